package decode_test

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/decode"
)

// TestTcpdumpOutputs compares ikescope's decode of the captures in
// ../shared/pcaps/tcpdump with what tcpdump's own expected outputs (the
// *.out files of its test suite, listed in TESTS.tsv) say about each frame.
//
// The .out text is parsed back into facts: the ISAKMP header (version,
// message ID, cookies, exchange, flags), the IKEv1 initiator/responder side
// tcpdump derives, the payload chain and what tcpdump prints of each payload
// (SA proposals, transforms and attributes, notify types, vendor IDs, ID
// payloads, lengths), and ESP SPI and sequence numbers. tcpdump's names are
// mapped back to numbers with the tables below. Only facts tcpdump states
// are compared; where tcpdump prints nothing (a field it leaves out at this
// verbosity, a payload it cannot reach), nothing is compared.
//
// Every difference must be listed with its reason in
// testdata/tcpdump-known-differences.tsv (test, frame, field, reason); a
// listed difference that no longer occurs fails the test too. Run with
// -print-diffs to print the unlisted ones as TSV lines.
//
// Tests whose tcpdump arguments contain -E are skipped: their output depends
// on decryption.
func TestTcpdumpOutputs(t *testing.T) {
	if _, err := os.Stat(sharedPcaps); err != nil {
		t.Skip("../shared/pcaps not present")
	}
	dir := filepath.Join(sharedPcaps, "tcpdump")
	tests := tdLoadTests(t, dir)
	known := tdLoadKnown(t)
	seen := map[string]bool{}
	var unlisted []string
	var nTests, nFrames, nFacts int
	for _, tc := range tests {
		text, err := os.ReadFile(filepath.Join(dir, tc.out))
		if err != nil {
			t.Fatal(err)
		}
		want, perrs := tdParseOutput(string(text), tc.verbose)
		for _, e := range perrs {
			t.Errorf("%s: tcpdump output not understood: %s", tc.name, e)
		}
		got := tdDecodeCapture(t, filepath.Join(dir, tc.pcap))
		nTests++
		diff := func(frame int, field, w, g string) {
			key := tc.name + "\t" + strconv.Itoa(frame) + "\t" + field
			seen[key] = true
			if _, ok := known[key]; ok {
				return
			}
			unlisted = append(unlisted, fmt.Sprintf("%s\ttcpdump %q, ikescope %q", key, w, g))
		}
		frames := map[int]bool{}
		for fr := range want {
			frames[fr] = true
		}
		for fr := range got {
			frames[fr] = true
		}
		var order []int
		for fr := range frames {
			order = append(order, fr)
		}
		sort.Ints(order)
		for _, fr := range order {
			nFrames++
			w, g := want[fr], got[fr]
			if w == nil {
				diff(fr, "kind", tdAbsent, g.vals["kind"])
				continue
			}
			if g == nil {
				g = &tdGot{vals: map[string]string{"kind": tdAbsent}}
			}
			if w.kind() != g.vals["kind"] {
				// Nothing else is comparable when the two disagree on
				// what the frame is.
				nFacts++
				diff(fr, "kind", w.kind(), g.vals["kind"])
				continue
			}
			for _, fc := range w.facts {
				if !tdSamePayload(fc.field, w.types, g.types) {
					continue
				}
				gv, ok := g.vals[fc.field]
				if !ok {
					gv = tdAbsent
				}
				if gv == tdUnstated {
					continue
				}
				nFacts++
				if gv != fc.value {
					diff(fr, fc.field, fc.value, gv)
				}
			}
		}
	}
	t.Logf("tcpdump: %d tests, %d frames, %d facts compared, %d differences", nTests, nFrames, nFacts, len(seen))
	reportKnown(t, "tcpdump", "tcpdump-known-differences.tsv", unlisted, known, seen)
}

const (
	tdAbsent   = "(absent)"   // the side does not have the fact
	tdUnstated = "(unstated)" // ikescope decodes the field but does not say it here
)

type tdTest struct {
	name, pcap, out string
	verbose         int
}

// tdLoadTests reads TESTS.tsv: test name, pcap, expected output, tcpdump
// arguments, needs_libcrypto.
func tdLoadTests(t *testing.T, dir string) []tdTest {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "TESTS.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tdTest
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 4 || cols[0] == "" {
			continue
		}
		tc := tdTest{name: cols[0], pcap: cols[1], out: cols[2]}
		args := strings.Fields(cols[3])
		decrypt := false
		for _, a := range args {
			if a == "-E" {
				decrypt = true
			}
			if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") {
				tc.verbose += strings.Count(a[1:], "v")
			}
		}
		if decrypt {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, tc.pcap)); err != nil {
			t.Logf("%s: capture %s not present, skipped", tc.name, tc.pcap)
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, tc.out)); err != nil {
			t.Logf("%s: output %s not present, skipped", tc.name, tc.out)
			continue
		}
		out = append(out, tc)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tdLoadKnown maps "test\tframe\tfield" to the reason.
func tdLoadKnown(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "tcpdump-known-differences.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 4)
		if len(parts) != 4 || strings.TrimSpace(parts[3]) == "" {
			t.Fatalf("tcpdump-known-differences.tsv: want test, frame, field, reason: %q", line)
		}
		key := parts[0] + "\t" + parts[1] + "\t" + parts[2]
		if _, dup := known[key]; dup {
			t.Fatalf("tcpdump-known-differences.tsv: %q listed twice", key)
		}
		known[key] = parts[3]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return known
}

// tdSamePayload gates the per-payload facts ("p3.len"): they are compared
// only when both sides have a payload of the same type at that index, since
// a difference in the chain itself is already the "payloads" fact.
func tdSamePayload(field string, w, g []int) bool {
	if !strings.HasPrefix(field, "p") {
		return true
	}
	dot := strings.IndexByte(field, '.')
	if dot < 0 {
		return true
	}
	i, err := strconv.Atoi(field[1:dot])
	if err != nil {
		return true
	}
	return i < len(w) && i < len(g) && w[i] == g[i]
}

// ---- tcpdump's side ----

type tdFact struct{ field, value string }

// tdWant is what tcpdump's text says about one frame.
type tdWant struct {
	facts []tdFact
	types []int // the payload chain tcpdump printed
}

func (w *tdWant) add(field, value string) { w.facts = append(w.facts, tdFact{field, value}) }

func (w *tdWant) kind() string {
	for _, f := range w.facts {
		if f.field == "kind" {
			return f.value
		}
	}
	return tdAbsent
}

var (
	// With -#, every packet starts with its frame number; -tttt prints the date.
	tdFrameRe  = regexp.MustCompile(`^ *(\d+)  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (.*)$`)
	tdESPRe    = regexp.MustCompile(`ESP\(spi=0x([0-9a-f]+),seq=0x([0-9a-f]+)\), length (\d+)`)
	tdISAKMPRe = regexp.MustCompile(`(?:^|[ :])isakmp(?: (\d+)\.(\d+))?(?: msgid ([0-9a-f]{8}))?(?: cookie ([0-9a-f]{16})->([0-9a-f]{16}))?:`)
	tdV1Re     = regexp.MustCompile(`^ phase (1|2/others) ([IR?]) ([^\s\[:]+)(\[[EC]*\])?`)
	tdV2Re     = regexp.MustCompile(`^ (parent_sa|child_sa ) ([^\s\[:]+)(\[[IVR]*\])?`)
	tdLenRe    = regexp.MustCompile(` ?\(len mismatch: isakmp (\d+)/ip (\d+)\)`)
	tdItemRe   = regexp.MustCompile(`^((?:    )+)\((.*)$`)
	tdNameRe   = regexp.MustCompile(`^([A-Za-z0-9#]*)(\[C\])?:?`)
	tdHexDump  = regexp.MustCompile(`^\t0x[0-9a-f]{4}: `)
	tdAttrRe   = regexp.MustCompile(`\(type=([^()]+?) (?:len=(\d+) )?value=([^()]*)\)`)
)

// tdParseOutput splits a .out file into packets and parses each.
func tdParseOutput(text string, verbose int) (map[int]*tdWant, []string) {
	out := map[int]*tdWant{}
	var errs []string
	frame := 0
	var rec []string
	flush := func() {
		if frame == 0 {
			return
		}
		w, err := tdParseRecord(strings.Join(rec, "\n"), verbose)
		if err != nil {
			errs = append(errs, fmt.Sprintf("frame %d: %v", frame, err))
		}
		out[frame] = w
	}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if m := tdFrameRe.FindStringSubmatch(line); m != nil {
			flush()
			frame, _ = strconv.Atoi(m[1])
			rec = []string{m[2]}
			continue
		}
		if frame == 0 {
			errs = append(errs, fmt.Sprintf("text before the first packet: %q", line))
			continue
		}
		rec = append(rec, line)
	}
	flush()
	return out, errs
}

// tdParseRecord reads the facts of one packet's text.
func tdParseRecord(rec string, verbose int) (*tdWant, error) {
	w := &tdWant{}
	if m := tdESPRe.FindStringSubmatch(rec); m != nil {
		w.add("kind", "esp")
		w.add("esp.spi", tdHexNum(m[1]))
		w.add("esp.seq", tdHexNum(m[2]))
		w.add("esp.length", m[3])
		return w, nil
	}
	if strings.Contains(rec, "[|esp]") {
		// ESP cut before tcpdump could print its header.
		w.add("kind", "esp")
		return w, nil
	}
	if strings.Contains(rec, "isakmp-nat-keep-alive") {
		w.add("kind", "keepalive")
		return w, nil
	}
	loc := tdISAKMPRe.FindStringSubmatchIndex(rec)
	if loc == nil {
		// Not IKE or ESP, or cut before the ISAKMP header ("[|isakmp]").
		w.add("kind", "none")
		return w, nil
	}
	w.add("kind", "ike")
	sub := func(i int) string {
		if loc[2*i] < 0 {
			return ""
		}
		return rec[loc[2*i]:loc[2*i+1]]
	}
	if verbose >= 1 {
		if sub(1) == "" || sub(3) == "" {
			return w, errors.New("-v output without version or message ID")
		}
		w.add("version", sub(1)+"."+sub(2))
		w.add("msgid", sub(3))
	}
	if verbose >= 2 {
		if sub(4) == "" {
			return w, errors.New("-vv output without cookies")
		}
		w.add("ispi", sub(4))
		w.add("rspi", sub(5))
	}
	rest := rec[loc[1]:]
	major := "other"
	var exch, flags, phase string
	if m := tdV1Re.FindStringSubmatch(rest); m != nil {
		major, phase, exch, flags = "1", m[1], m[3], m[4]
		w.add("direction", m[2])
		rest = rest[len(m[0]):]
	} else if m := tdV2Re.FindStringSubmatch(rest); m != nil {
		major, phase, exch, flags = "2", m[1], m[2], m[3]
		rest = rest[len(m[0]):]
	}
	if verbose == 0 {
		// The version is not printed, but which printer ran says it.
		w.add("major", major)
	}
	if major == "other" {
		if strings.TrimSpace(rest) != "" {
			return w, fmt.Errorf("unexpected text after a header of unknown version: %q", rest)
		}
		return w, nil
	}
	if verbose == 0 {
		// tcpdump's phase is "message ID is zero" (phase 1) or not.
		if strings.HasPrefix(phase, "1") || phase == "parent_sa" {
			w.add("phase", "1")
		} else {
			w.add("phase", "2")
		}
	}
	n, ok := tdLookup(exch, tdExchanges)
	if !ok {
		return w, fmt.Errorf("unknown exchange name %q", exch)
	}
	w.add("exchange", strconv.Itoa(n))
	w.add("flags", flags)
	if verbose == 0 {
		return w, nil
	}
	if !strings.HasPrefix(rest, ":") {
		return w, fmt.Errorf("no payloads after the -v header: %q", rest)
	}
	return w, tdParseBody(w, rest[1:])
}

// tdParseBody reads the payload part of a -v ISAKMP line: " [encrypted X]"
// or one "(" item per line, indented four spaces per level.
func tdParseBody(w *tdWant, body string) error {
	if m := tdLenRe.FindStringSubmatch(body); m != nil {
		w.add("length", m[1])
		body = strings.Replace(body, m[0], "", 1)
	}
	if strings.HasPrefix(body, " [encrypted ") {
		name := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(body), "[encrypted "), "]")
		n, ok := tdPayloadNum(name)
		if !ok {
			return fmt.Errorf("unknown payload name %q", name)
		}
		w.add("encrypted_np", strconv.Itoa(n))
		return nil
	}
	lines := strings.Split(body, "\n")
	var top []*tdItem
	var stack []*tdItem
	for _, line := range lines[1:] {
		if tdHexDump.MatchString(line) {
			continue
		}
		m := tdItemRe.FindStringSubmatch(line)
		if m == nil {
			return fmt.Errorf("line not understood: %q", line)
		}
		depth := len(m[1]) / 4
		nm := tdNameRe.FindStringSubmatch(m[2])
		it := &tdItem{name: nm[1], crit: nm[2] != "", body: m[2][len(nm[0]):]}
		if depth > len(stack)+1 {
			return fmt.Errorf("item nested too deep: %q", line)
		}
		stack = append(stack[:depth-1], it)
		if depth == 1 {
			top = append(top, it)
		} else {
			p := stack[depth-2]
			p.kids = append(p.kids, it)
		}
	}
	w.types = []int{}
	var list []string
	for i, it := range top {
		if it.name == "" {
			// "()": tcpdump stops at a payload whose length is 4 or
			// less, without naming it.
			if i != len(top)-1 {
				return errors.New("payloads after an empty item")
			}
			break
		}
		pt, err := tdItemFacts(w, it, "p"+strconv.Itoa(i)+".")
		if err != nil {
			return err
		}
		w.types = append(w.types, pt)
		list = append(list, strconv.Itoa(pt))
	}
	w.add("payloads", strings.Join(list, ","))
	if name := tdChainTrunc(body); name != "" {
		n, ok := tdPayloadNum(name)
		if !ok {
			return fmt.Errorf("unknown payload name %q in truncation mark", name)
		}
		w.add("trunc", strconv.Itoa(n))
	}
	return nil
}

// tdChainTrunc finds a "[|name]" mark printed outside every item: the
// payload walk stopped because the next payload (of that type) does not fit
// in the captured data. "[|isakmp]" is the generic mark of a read past the
// capture inside an item and says nothing about the chain.
func tdChainTrunc(s string) string {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '[':
			if depth != 0 || !strings.HasPrefix(s[i:], "[|") {
				continue
			}
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				continue
			}
			if name := s[i+2 : i+j]; name != "isakmp" {
				return name
			}
		}
	}
	return ""
}

type tdItem struct {
	name string // as printed, without "[C]"
	crit bool   // "[C]": IKEv2 critical bit
	body string // the rest of the item's line
	kids []*tdItem
}

// tdPayloadType is the payload type of a top-level item. tcpdump prints
// IKEv2 SA, Nonce and Notify with the IKEv1 names ("sa", "nonce", "n"); the
// printers differ in what follows the name.
func tdPayloadType(it *tdItem) (int, bool) {
	switch it.name {
	case "sa":
		if strings.HasPrefix(it.body, " doi=") {
			return 1, true
		}
		return 33, true
	case "nonce":
		if strings.HasPrefix(it.body, " n len=") {
			return 10, true
		}
		return 40, true
	case "n":
		if strings.HasPrefix(it.body, " prot_id=") {
			return 41, true
		}
		return 11, true
	}
	return tdPayloadNum(it.name)
}

func tdPayloadNum(name string) (int, bool) {
	if strings.HasPrefix(name, "pay") {
		n, err := strconv.Atoi(name[3:])
		return n, err == nil
	}
	return tdLookup(name, tdPayloads)
}

var (
	tdV1SARe    = regexp.MustCompile(`^ doi=(ipsec|\d+) situation=([^\s)]+)`)
	tdLenOnlyRe = regexp.MustCompile(`^ len=(\d+)`)
	tdHexLenRe  = regexp.MustCompile(`^ len=(\d+)(?: ([0-9a-f]+))?`)
	tdV1KERe    = regexp.MustCompile(`^ key len=(\d+)`)
	tdV1IDRe    = regexp.MustCompile(`^ idtype=(.+?) protoid=(\d+) port=(\d+)(?: len=(\d+))?`)
	tdV1CertRe  = regexp.MustCompile(`^ len=(\d+) type=([^\s)]+)`)
	tdV1NonceRe = regexp.MustCompile(`^ n len=(\d+)`)
	tdV1NRe     = regexp.MustCompile(`^ doi=(ipsec|\d+) proto=([^\s)]+) type=([^\s)]+)(?: spi=([0-9a-f]+))?`)
	tdV1DRe     = regexp.MustCompile(`^ doi=(ipsec|\d+) proto=([^\s)]+) spilen=(\d+) nspi=(\d+) spi=([0-9a-f,]*)`)
	tdV2KERe    = regexp.MustCompile(`^ len=(\d+) group=(EC2N 2\^1[58]5|[^\s)]+)`)
	tdV2IDRe    = regexp.MustCompile(`^ len=(\d+)(?: [0-9a-f]+)? (ipv4|fqdn|rfc822|ipv6|dn|gn|keyid):`)
	tdV2VIDHex  = regexp.MustCompile(`^ ([0-9a-f]+)`)
	tdV2AuthRe  = regexp.MustCompile(`^ len=(\d+) method=([^\s)]+)`)
	tdV2NRe     = regexp.MustCompile(`^ prot_id=([^\s)]+) type=(\d+)\([^)]*\)(?: spi=([0-9a-f]+))?`)
	tdV2VIDRe   = regexp.MustCompile(`^ len=(\d+) vid=`)
	tdV1PropRe  = regexp.MustCompile(`^ #(\d+) protoid=([^\s)]+) transform=(\d+)(?: spi=([0-9a-f]+))?`)
	tdV2PropRe  = regexp.MustCompile(`^ #(\d+) protoid=([^\s)]+) transform=(\d+) len=\d+(?: spi=([0-9a-f]+))?`)
	tdV1TRe     = regexp.MustCompile(`^ #(\d+) id=(\(reserved\)|[^\s)]+) `)
	tdV2TRe     = regexp.MustCompile(`^ #\d+ type=([^\s)]+) id=(EC2N 2\^1[58]5|[^\s)]+) `)
)

// tdItemFacts adds what tcpdump prints of one payload and returns its type.
// Top-level proposal and transform payloads (which only crafted messages
// have) are given by type alone: ikescope gives no typed form to a P or T
// payload outside an SA.
func tdItemFacts(w *tdWant, it *tdItem, pre string) (int, error) {
	pt, ok := tdPayloadType(it)
	if !ok {
		return 0, fmt.Errorf("unknown payload name %q", it.name)
	}
	add := func(field, value string) { w.add(pre+field, value) }
	if pt >= 33 && pt <= 48 {
		add("critical", strconv.FormatBool(it.crit))
	}
	b := it.body
	clean := !strings.Contains(b, "[|")
	switch pt {
	case 1:
		if m := tdV1SARe.FindStringSubmatch(b); m != nil {
			doi := tdDOI(m[1])
			add("doi", doi)
			add("situation", m[2])
			if doi == "1" {
				tdV1Proposals(w, it, pre)
			}
		}
	case 33:
		if m := tdLenOnlyRe.FindStringSubmatch(b); m != nil {
			add("len", m[1])
		}
		tdV2Proposals(w, it, pre)
	case 4:
		if m := tdV1KERe.FindStringSubmatch(b); m != nil {
			add("len", m[1])
		}
	case 5:
		if m := tdV1IDRe.FindStringSubmatch(b); m != nil {
			if n, ok := tdLookup(m[1], tdV1IDTypes); ok {
				add("idtype", strconv.Itoa(n))
			}
			add("protoid", m[2])
			add("port", m[3])
			switch {
			case m[4] != "":
				add("datalen", m[4])
			case clean:
				// tcpdump prints len= whenever there is data.
				add("datalen", "0")
			}
		}
	case 6, 7:
		if m := tdV1CertRe.FindStringSubmatch(b); m != nil {
			add("len", m[1])
			if n, ok := tdLookup(m[2], tdCertEncodings); ok {
				add("encoding", strconv.Itoa(n))
			}
		}
	case 8, 9, 13:
		if m := tdHexLenRe.FindStringSubmatch(b); m != nil {
			add("len", m[1])
			if m[2] != "" {
				add("data", m[2])
			}
		}
	case 10:
		if m := tdV1NonceRe.FindStringSubmatch(b); m != nil {
			add("len", m[1])
		}
	case 11:
		if m := tdV1NRe.FindStringSubmatch(b); m != nil {
			doi := tdDOI(m[1])
			add("n.doi", doi)
			add("n.proto", tdProto(m[2], doi))
			if n, ok := tdLookup(m[3], tdV1Notifies); ok {
				add("n.type", strconv.Itoa(n))
			}
			add("n.spi", m[4])
		}
	case 12:
		if m := tdV1DRe.FindStringSubmatch(b); m != nil {
			doi := tdDOI(m[1])
			add("d.doi", doi)
			add("d.proto", tdProto(m[2], doi))
			add("d.spisize", m[3])
			add("d.nspi", m[4])
			add("d.spis", m[5])
		}
	case 34:
		if m := tdV2KERe.FindStringSubmatch(b); m != nil {
			add("datalen", m[1])
			if n, ok := tdLookup(m[2], tdV2IDs[4]); ok {
				add("group", strconv.Itoa(n))
			}
		}
	case 35, 36:
		if m := tdV2IDRe.FindStringSubmatch(b); m != nil {
			add("len", m[1])
			typ := tdV2IDTypes[m[2]]
			add("idtype", strconv.Itoa(typ))
			l, _ := strconv.Atoi(m[1])
			need := l - 4
			if tdV2IDHex[typ] {
				need *= 2
			}
			if rest := b[len(m[0]):]; need >= 0 && len(rest) >= need {
				add("iddata", rest[:need])
			}
		} else if m := tdLenOnlyRe.FindStringSubmatch(b); m != nil {
			// A type tcpdump has no name for: no data printed.
			add("len", m[1])
		}
	case 39:
		if m := tdV2AuthRe.FindStringSubmatch(b); m != nil {
			add("len", m[1])
			if n, ok := tdLookup(m[2], tdV2AuthMethods); ok {
				add("method", strconv.Itoa(n))
			}
		}
	case 41:
		if m := tdV2NRe.FindStringSubmatch(b); m != nil {
			if n, ok := tdLookup(m[1], tdProtocols); ok {
				add("n.proto", strconv.Itoa(n))
			}
			add("n.type", m[2])
			if m[3] != "" {
				// Printed for some types only: its absence says nothing.
				add("n.spi", m[3])
			}
		}
	case 43:
		if m := tdV2VIDRe.FindStringSubmatch(b); m != nil {
			add("len", m[1])
			l, _ := strconv.Atoi(m[1])
			if rest := b[len(m[0]):]; len(rest) >= l {
				add("vid", rest[:l])
				if h := tdV2VIDHex.FindStringSubmatch(rest[l:]); h != nil {
					add("data", h[1])
				}
			}
		}
	case 37, 38, 40, 42, 44, 45, 46, 47, 48:
		if m := tdLenOnlyRe.FindStringSubmatch(b); m != nil {
			add("len", m[1])
		}
	}
	return pt, nil
}

// tdKidKind names a substructure item: "p" or "t" as expected, or the type
// tcpdump took the item for when the previous "next" field named something
// else.
func tdKidKind(it *tdItem, want string) string {
	if it.name == want || it.name == "" {
		return it.name
	}
	if n, ok := tdPayloadType(it); ok {
		return strconv.Itoa(n)
	}
	return it.name
}

func tdV1Proposals(w *tdWant, sa *tdItem, pre string) {
	var kinds []string
	for j, p := range sa.kids {
		kinds = append(kinds, tdKidKind(p, "p"))
		m := tdV1PropRe.FindStringSubmatch(p.body)
		if p.name != "p" || m == nil {
			continue
		}
		pp := fmt.Sprintf("%sprop%d.", pre, j)
		w.add(pp+"num", m[1])
		proto, _ := tdLookup(m[2], tdProtocols)
		w.add(pp+"protocol", strconv.Itoa(proto))
		w.add(pp+"ntransforms", m[3])
		w.add(pp+"spi", m[4])
		var tk []string
		for k, tr := range p.kids {
			tk = append(tk, tdKidKind(tr, "t"))
			m := tdV1TRe.FindStringSubmatch(tr.body)
			if tr.name != "t" || m == nil {
				continue
			}
			tp := fmt.Sprintf("%st%d", pp, k)
			if id, ok := tdLookup(m[2], tdV1TransformIDs[proto]); ok {
				w.add(tp, "num="+m[1]+" id="+strconv.Itoa(id))
			}
			tdAttrs(w, tr.body[len(m[0]):], tdV1AttrMaps[proto], tp)
		}
		w.add(pp+"ts", strings.Join(tk, ","))
	}
	w.add(pre+"props", strings.Join(kinds, ","))
}

func tdV2Proposals(w *tdWant, sa *tdItem, pre string) {
	var kinds []string
	for j, p := range sa.kids {
		kinds = append(kinds, tdKidKind(p, "p"))
		m := tdV2PropRe.FindStringSubmatch(p.body)
		if p.name != "p" || m == nil {
			continue
		}
		pp := fmt.Sprintf("%sprop%d.", pre, j)
		w.add(pp+"num", m[1])
		if proto, ok := tdLookup(m[2], tdProtocols); ok {
			w.add(pp+"protocol", strconv.Itoa(proto))
		}
		w.add(pp+"ntransforms", m[3])
		w.add(pp+"spi", m[4])
		var tk []string
		for k, tr := range p.kids {
			tk = append(tk, tdKidKind(tr, "t"))
			m := tdV2TRe.FindStringSubmatch(tr.body)
			if tr.name != "t" || m == nil {
				continue
			}
			tp := fmt.Sprintf("%st%d", pp, k)
			typ, ok := tdLookup(m[1], tdV2TransformTypes)
			if !ok {
				continue
			}
			ids := tdV2IDs[typ]
			if ids == nil {
				// Unknown transform type: tcpdump prints the number.
				ids = map[string]int{}
			}
			if id, ok := tdLookup(m[2], ids); ok {
				w.add(tp, "type="+strconv.Itoa(typ)+" id="+strconv.Itoa(id))
			} else if n, err := strconv.Atoi(m[2]); err == nil {
				w.add(tp, "type="+strconv.Itoa(typ)+" id="+strconv.Itoa(n))
			}
			var amap map[string]tdAttrType
			if typ == 1 {
				amap = tdV2EncrAttrs
			}
			tdAttrs(w, tr.body[len(m[0]):], amap, tp)
		}
		w.add(pp+"ts", strings.Join(tk, ","))
	}
	w.add(pre+"props", strings.Join(kinds, ","))
}

// tdAttrs adds the "(type=X value=Y)" attributes of a transform as
// "type/value" or "type/len=N/hex", and their count when tcpdump printed
// the transform to its end.
func tdAttrs(w *tdWant, s string, amap map[string]tdAttrType, tp string) {
	all := tdAttrRe.FindAllStringSubmatch(s, -1)
	for i, m := range all {
		var at tdAttrType
		if amap != nil {
			at = amap[m[1]]
		}
		typ := at.num
		if at.values == nil && at.num == 0 {
			n, ok := tdLookup(m[1], nil)
			if !ok {
				continue
			}
			typ = n
		}
		v := ""
		if m[2] != "" {
			v = fmt.Sprintf("%d/len=%s/%s", typ, m[2], m[3])
		} else if n, ok := at.values[m[3]]; ok {
			v = fmt.Sprintf("%d/%d", typ, n)
		} else if n, err := strconv.ParseUint(m[3], 16, 16); err == nil && len(m[3]) == 4 {
			v = fmt.Sprintf("%d/%d", typ, n)
		} else {
			continue
		}
		w.add(fmt.Sprintf("%s.a%d", tp, i), v)
	}
	if !strings.Contains(s, "[|") && !strings.Contains(s, "...") {
		w.add(tp+".nattrs", strconv.Itoa(len(all)))
	}
}

func tdDOI(s string) string {
	if s == "ipsec" {
		return "1"
	}
	return s
}

// tdProto reads a protocol ID: named for the IPsec DOI, a number otherwise.
func tdProto(s, doi string) string {
	if doi != "1" {
		return s
	}
	if n, ok := tdLookup(s, tdProtocols); ok {
		return strconv.Itoa(n)
	}
	return s
}

// tdLookup maps a tcpdump name to its number; tcpdump prints "#N" for
// values without a name.
func tdLookup(s string, table map[string]int) (int, bool) {
	if v, ok := table[s]; ok {
		return v, true
	}
	if strings.HasPrefix(s, "#") {
		n, err := strconv.Atoi(s[1:])
		return n, err == nil
	}
	return 0, false
}

func tdHexNum(s string) string {
	n, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return "bad:" + s
	}
	return strconv.FormatUint(n, 10)
}

// Name tables: tcpdump's names (print-isakmp.c) with the numbers RFC 2407,
// 2408, 2409 and 7296 give them.
var (
	// RFC 2408 §3.1, RFC 2409 §5.5, RFC 7296 §3.1.
	tdExchanges = map[string]int{
		"none": 0, "base": 1, "ident": 2, "auth": 3, "agg": 4, "inf": 5,
		"oakley-quick": 32, "oakley-newgroup": 33,
		"ikev2_init": 34, "ikev2_auth": 35, "child_sa": 36, "inf2": 37,
	}
	// RFC 2408 §3.1 and RFC 7296 §3.2 ("payN" is handled by tdPayloadNum).
	tdPayloads = map[string]int{
		"none": 0, "sa": 1, "p": 2, "t": 3, "ke": 4, "id": 5, "cert": 6, "cr": 7,
		"hash": 8, "sig": 9, "nonce": 10, "n": 11, "d": 12, "vid": 13,
		"v2sa": 33, "v2ke": 34, "v2IDi": 35, "v2IDr": 36, "v2cert": 37, "v2cr": 38,
		"v2auth": 39, "v2nonce": 40, "v2n": 41, "v2d": 42, "v2vid": 43,
		"v2TSi": 44, "v2TSr": 45, "v2e": 46, "v2cp": 47, "v2eap": 48,
	}
	// RFC 2407 §4.4.1.
	tdProtocols = map[string]int{"isakmp": 1, "ipsec-ah": 2, "ipsec-esp": 3, "ipcomp": 4}
	// RFC 2408 §3.14.1 and RFC 2407 §4.6.3.
	tdV1Notifies = map[string]int{
		"INVALID-PAYLOAD-TYPE": 1, "DOI-NOT-SUPPORTED": 2, "SITUATION-NOT-SUPPORTED": 3,
		"INVALID-COOKIE": 4, "INVALID-MAJOR-VERSION": 5, "INVALID-MINOR-VERSION": 6,
		"INVALID-EXCHANGE-TYPE": 7, "INVALID-FLAGS": 8, "INVALID-MESSAGE-ID": 9,
		"INVALID-PROTOCOL-ID": 10, "INVALID-SPI": 11, "INVALID-TRANSFORM-ID": 12,
		"ATTRIBUTES-NOT-SUPPORTED": 13, "NO-PROPOSAL-CHOSEN": 14, "BAD-PROPOSAL-SYNTAX": 15,
		"PAYLOAD-MALFORMED": 16, "INVALID-KEY-INFORMATION": 17, "INVALID-ID-INFORMATION": 18,
		"INVALID-CERT-ENCODING": 19, "INVALID-CERTIFICATE": 20, "CERT-TYPE-UNSUPPORTED": 21,
		"INVALID-CERT-AUTHORITY": 22, "INVALID-HASH-INFORMATION": 23, "AUTHENTICATION-FAILED": 24,
		"INVALID-SIGNATURE": 25, "ADDRESS-NOTIFICATION": 26, "NOTIFY-SA-LIFETIME": 27,
		"CERTIFICATE-UNAVAILABLE": 28, "UNSUPPORTED-EXCHANGE-TYPE": 29, "UNEQUAL-PAYLOAD-LENGTHS": 30,
		"RESERVED": 8192, "CONNECTED": 16384,
		"RESPONDER-LIFETIME": 24576, "REPLAY-STATUS": 24577, "INITIAL-CONTACT": 24578,
	}
	// RFC 2407 §4.6.2.1.
	tdV1IDTypes = map[string]int{
		"IPv4": 1, "FQDN": 2, "user FQDN": 3, "IPv4net": 4, "IPv6": 5, "IPv6net": 6,
		"IPv4range": 7, "IPv6range": 8, "ASN1 DN": 9, "ASN1 GN": 10, "keyid": 11,
	}
	// RFC 2408 §3.9.
	tdCertEncodings = map[string]int{
		"none": 0, "pkcs7": 1, "pgp": 2, "dns": 3, "x509sign": 4, "x509ke": 5,
		"kerberos": 6, "crl": 7, "arl": 8, "spki": 9, "x509attr": 10,
	}
	// RFC 7296 §3.5; the types tcpdump prints in hex.
	tdV2IDTypes = map[string]int{"ipv4": 1, "fqdn": 2, "rfc822": 3, "ipv6": 5, "dn": 9, "gn": 10, "keyid": 11}
	tdV2IDHex   = map[int]bool{1: true, 5: true, 9: true, 10: true, 11: true}
	// RFC 7296 §3.8.
	tdV2AuthMethods = map[string]int{"invalid": 0, "rsasig": 1, "shared-secret": 2, "dsssig": 3}
	// RFC 7296 §3.3.2.
	tdV2TransformTypes = map[string]int{"encr": 1, "prf": 2, "integ": 3, "dh": 4, "esn": 5}
	tdGroups           = map[string]int{
		"modp768": 1, "modp1024": 2, "EC2N 2^155": 3, "EC2N 2^185": 4, "modp1536": 5,
		"iana-grp06": 6, "iana-grp07": 7, "iana-grp08": 8, "iana-grp09": 9,
		"iana-grp10": 10, "iana-grp11": 11, "iana-grp12": 12, "iana-grp13": 13,
		"modp2048": 14, "modp3072": 15, "modp4096": 16, "modp6144": 17, "modp8192": 18,
	}
	// RFC 2407 §4.4.4 numbering, which RFC 7296's ENCR IDs share.
	tdESPIDs = map[string]int{
		"1des-iv64": 1, "1des": 2, "3des": 3, "rc5": 4, "idea": 5, "cast": 6,
		"blowfish": 7, "3idea": 8, "1des-iv32": 9, "rc4": 10, "null": 11, "aes": 12,
	}
	tdV2IDs = map[int]map[string]int{
		1: tdESPIDs,
		2: {"hmac-md5": 1, "hmac-sha": 2, "hmac-tiger": 3, "aes128_xcbc": 4},
		3: {"hmac-md5": 1, "hmac-sha": 2, "dec-mac": 3, "kpdk-md5": 4, "aes-xcbc": 5},
		4: tdGroups,
		5: {"no-esn": 0, "esn": 1},
	}
	// IKEv1 transform IDs by protocol (RFC 2407 §4.4.2-4.4.5); other
	// protocols are printed as numbers.
	tdV1TransformIDs = map[int]map[string]int{
		1: {"ike": 1},
		2: {"(reserved)": 1, "md5": 2, "sha": 3, "1des": 4, "sha2-256": 5, "sha2-384": 6, "sha2-512": 7},
		3: tdESPIDs,
		4: {"oui": 1, "deflate": 2, "lzs": 3},
	}
)

// tdAttrType is an attribute type's number and its named values.
type tdAttrType struct {
	num    int
	values map[string]int
}

var (
	tdLifeTypes = map[string]int{"sec": 1, "kb": 2}
	// RFC 2409 Appendix A.
	tdOakleyAttrs = map[string]tdAttrType{
		"enc":           {1, map[string]int{"1des": 1, "idea": 2, "blowfish": 3, "rc5": 4, "3des": 5, "cast": 6, "aes": 7}},
		"hash":          {2, map[string]int{"md5": 1, "sha1": 2, "tiger": 3, "sha2-256": 4, "sha2-384": 5, "sha2-512": 6}},
		"auth":          {3, map[string]int{"preshared": 1, "dss": 2, "rsa sig": 3, "rsa enc": 4, "rsa enc revised": 5}},
		"group desc":    {4, tdGroups},
		"group type":    {5, map[string]int{"MODP": 1, "ECP": 2, "EC2N": 3}},
		"group prime":   {6, map[string]int{}},
		"group gen1":    {7, map[string]int{}},
		"group gen2":    {8, map[string]int{}},
		"group curve A": {9, map[string]int{}},
		"group curve B": {10, map[string]int{}},
		"lifetype":      {11, tdLifeTypes},
		"lifeduration":  {12, map[string]int{}},
		"prf":           {13, map[string]int{}},
		"keylen":        {14, map[string]int{}},
		"field":         {15, map[string]int{}},
		"order":         {16, map[string]int{}},
	}
	// RFC 2407 §4.5.
	tdIPsecAttrs = map[string]tdAttrType{
		"lifetype":   {1, tdLifeTypes},
		"life":       {2, map[string]int{}},
		"group desc": {3, tdGroups},
		"enc mode":   {4, map[string]int{"tunnel": 1, "transport": 2}},
		"auth":       {5, map[string]int{"hmac-md5": 1, "hmac-sha1": 2, "1des-mac": 3, "keyed": 4}},
		"keylen":     {6, map[string]int{}},
		"rounds":     {7, map[string]int{}},
		"dictsize":   {8, map[string]int{}},
		"privalg":    {9, map[string]int{}},
	}
	tdV1AttrMaps = map[int]map[string]tdAttrType{1: tdOakleyAttrs, 2: tdIPsecAttrs, 3: tdIPsecAttrs, 4: tdIPsecAttrs}
	// RFC 7296 §3.3.5.
	tdV2EncrAttrs = map[string]tdAttrType{"keylen": {14, map[string]int{}}}
)

// ---- ikescope's side ----

// tdGot is what ikescope says about one frame, under the same field names.
type tdGot struct {
	vals  map[string]string
	types []int
}

func tdDecodeCapture(t *testing.T, path string) map[int]*tdGot {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer src.Close()
	d := decode.NewDecoder()
	sides := map[uint64][2]netip.Addr{}
	out := map[int]*tdGot{}
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var te *capture.TruncatedError
			if errors.As(err, &te) {
				break
			}
			t.Fatalf("%s: %v", path, err)
		}
		f := d.Decode(p.Link, p.Data, p.Time, p.Frame)
		out[p.Frame] = tdFrameFacts(f, sides)
	}
	return out
}

func tdFrameFacts(f *decode.Frame, sides map[uint64][2]netip.Addr) *tdGot {
	g := &tdGot{vals: map[string]string{}}
	v := g.vals
	switch {
	case f.Kind == decode.KindESP:
		v["kind"] = "esp"
		v["esp.spi"] = strconv.FormatUint(uint64(f.ESP.SPI), 10)
		v["esp.seq"] = strconv.FormatUint(uint64(f.ESP.Seq), 10)
		v["esp.length"] = strconv.Itoa(f.ESP.Len)
		return g
	case f.Kind == decode.KindKeepalive:
		v["kind"] = "keepalive"
		return g
	case f.Kind != decode.KindIKE || f.IKE == nil:
		v["kind"] = "none"
		return g
	}
	m := f.IKE
	v["kind"] = "ike"
	v["version"] = fmt.Sprintf("%d.%d", m.Major, m.Minor)
	v["msgid"] = fmt.Sprintf("%08x", m.MsgID)
	v["ispi"] = fmt.Sprintf("%016x", m.InitSPI)
	v["rspi"] = fmt.Sprintf("%016x", m.RespSPI)
	switch m.Major {
	case 1, 2:
		v["major"] = strconv.Itoa(int(m.Major))
	default:
		v["major"] = "other"
	}
	if m.MsgID == 0 {
		v["phase"] = "1"
	} else {
		v["phase"] = "2"
	}
	if m.Major == 1 {
		v["direction"] = tdSide(m, f.Src.Addr(), f.Dst.Addr(), sides)
	}
	v["exchange"] = strconv.Itoa(int(m.Exchange))
	v["flags"] = tdFlags(m)
	v["encrypted_np"] = strconv.Itoa(int(m.NextPayload))
	v["length"] = strconv.FormatUint(uint64(m.Length), 10)
	v["trunc"] = tdOurTrunc(m, f.IKEErr)
	var list []string
	for i := range m.Payloads {
		p := &m.Payloads[i]
		g.types = append(g.types, int(p.Type))
		list = append(list, strconv.Itoa(int(p.Type)))
		tdPayloadFacts(v, m, p, "p"+strconv.Itoa(i)+".")
	}
	v["payloads"] = strings.Join(list, ",")
	return g
}

// tdSide says whether the sender of an IKEv1 message is the initiator or
// the responder, by RFC 2408 §3.1's rule as tcpdump applies it: the first
// message of an SA has a zero responder cookie and comes from the
// initiator; later messages are placed by their IP source address.
func tdSide(m *decode.Message, src, dst netip.Addr, sides map[uint64][2]netip.Addr) string {
	e, ok := sides[m.InitSPI]
	if !ok {
		if m.RespSPI == 0 {
			sides[m.InitSPI] = [2]netip.Addr{src, dst}
			return "I"
		}
		return "?"
	}
	switch src {
	case e[0]:
		return "I"
	case e[1]:
		return "R"
	}
	return "?"
}

// tdFlags renders the header flags the way tcpdump does: nothing when zero,
// else "[" with E and C (IKEv1) or I, V and R (IKEv2) "]".
func tdFlags(m *decode.Message) string {
	if m.Flags == 0 {
		return ""
	}
	var s string
	if m.Major == 2 {
		for _, f := range []struct {
			bit uint8
			c   string
		}{{decode.FlagInitiator, "I"}, {decode.FlagVersion, "V"}, {decode.FlagResponse, "R"}} {
			if m.Flags&f.bit != 0 {
				s += f.c
			}
		}
	} else {
		for _, f := range []struct {
			bit uint8
			c   string
		}{{decode.FlagEncrypted, "E"}, {decode.FlagCommit, "C"}} {
			if m.Flags&f.bit != 0 {
				s += f.c
			}
		}
	}
	return "[" + s + "]"
}

// tdOurTrunc is the type of the payload at which ikescope's walk of the
// chain found the data cut short, "none" when it found no problem, and
// unstated when its (first) error is about something else.
func tdOurTrunc(m *decode.Message, err error) string {
	if err == nil {
		return "none"
	}
	var de *decode.Error
	if !errors.As(err, &de) || !errors.Is(err, decode.ErrTruncated) || strings.Contains(de.Path, "/") {
		return tdUnstated
	}
	end := decode.HeaderLen
	if n := len(m.Payloads); n > 0 {
		end = m.Payloads[n-1].Offset + m.Payloads[n-1].Length
	}
	if de.Offset < end {
		// Inside the last payload: its body, not the chain, is short.
		return tdUnstated
	}
	for n := 0; n < 256; n++ {
		if decode.PayloadName(m.Major, decode.PayloadType(n)) == de.Path {
			return strconv.Itoa(n)
		}
	}
	return tdUnstated
}

func tdPayloadFacts(v map[string]string, m *decode.Message, p *decode.Payload, pre string) {
	set := func(field, value string) { v[pre+field] = value }
	set("critical", strconv.FormatBool(p.Critical))
	set("len", strconv.Itoa(p.Length-4))
	if sa := p.SA; sa != nil {
		v1 := p.Type == decode.PayloadSA
		if v1 {
			set("doi", strconv.FormatUint(uint64(sa.DOI), 10))
			set("situation", tdSituation(sa))
		}
		var kinds []string
		for j, pr := range sa.Proposals {
			kinds = append(kinds, "p")
			pp := fmt.Sprintf("prop%d.", j)
			set(pp+"num", strconv.Itoa(int(pr.Num)))
			set(pp+"protocol", strconv.Itoa(int(pr.Protocol)))
			set(pp+"ntransforms", strconv.Itoa(int(pr.NumTransforms)))
			set(pp+"spi", hex.EncodeToString(pr.SPI))
			var tk []string
			for k, tr := range pr.Transforms {
				tk = append(tk, "t")
				tp := fmt.Sprintf("%st%d", pp, k)
				if v1 {
					set(tp, fmt.Sprintf("num=%d id=%d", tr.Num, tr.ID))
				} else {
					set(tp, fmt.Sprintf("type=%d id=%d", tr.Type, tr.ID))
				}
				for a, at := range tr.Attrs {
					s := fmt.Sprintf("%d/%d", at.Type, at.Value)
					if !at.TV {
						s = fmt.Sprintf("%d/len=%d/%x", at.Type, len(at.Data), at.Data)
					}
					set(fmt.Sprintf("%s.a%d", tp, a), s)
				}
				set(tp+".nattrs", strconv.Itoa(len(tr.Attrs)))
			}
			set(pp+"ts", strings.Join(tk, ","))
		}
		set("props", strings.Join(kinds, ","))
	}
	if ke := p.KE; ke != nil && p.Type == decode.PayloadKEv2 {
		set("datalen", strconv.Itoa(ke.DataLen))
		set("group", strconv.Itoa(int(ke.Group)))
	}
	if id := p.ID; id != nil {
		switch p.Type {
		case decode.PayloadID:
			set("idtype", strconv.Itoa(int(id.Type)))
			set("protoid", strconv.Itoa(int(id.Protocol)))
			set("port", strconv.Itoa(int(id.Port)))
			set("datalen", strconv.Itoa(len(id.Data)))
		case decode.PayloadIDi, decode.PayloadIDr:
			set("idtype", strconv.Itoa(int(id.Type)))
			if tdV2IDHex[int(id.Type)] {
				set("iddata", hex.EncodeToString(id.Data))
			} else {
				set("iddata", tdASCII(id.Data))
			}
		}
	}
	if c := p.Cert; c != nil {
		set("encoding", strconv.Itoa(int(c.Encoding)))
	}
	if p.Data != nil {
		set("data", hex.EncodeToString(p.Data))
		if p.Type == decode.PayloadVendorIDv2 {
			set("vid", tdASCII(p.Data))
		}
	}
	if n := p.Notify; n != nil {
		if n.Major == 1 {
			set("n.doi", strconv.FormatUint(uint64(n.DOI), 10))
		}
		set("n.proto", strconv.Itoa(int(n.Protocol)))
		set("n.type", strconv.Itoa(int(n.Type)))
		set("n.spi", hex.EncodeToString(n.SPI))
	}
	if d := p.Delete; d != nil {
		set("d.doi", strconv.FormatUint(uint64(d.DOI), 10))
		set("d.proto", strconv.Itoa(int(d.Protocol)))
		set("d.spisize", strconv.Itoa(int(d.SPISize)))
		set("d.nspi", strconv.Itoa(int(d.NumSPIs)))
		var spis []string
		for _, s := range d.SPIs {
			spis = append(spis, hex.EncodeToString(s))
		}
		set("d.spis", strings.Join(spis, ","))
	}
	if a := p.Auth; a != nil {
		set("method", strconv.Itoa(int(a.Method)))
	}
}

// tdSituation renders an IKEv1 situation as tcpdump does: the names of the
// three RFC 2407 §4.2 bits for the IPsec DOI, the number otherwise.
func tdSituation(sa *decode.SA) string {
	if sa.DOI != 1 {
		return strconv.FormatUint(uint64(sa.Situation), 10)
	}
	var names []string
	for _, b := range []struct {
		bit  uint32
		name string
	}{{1, "identity"}, {2, "secrecy"}, {4, "integrity"}} {
		if sa.Situation&b.bit != 0 {
			names = append(names, b.name)
		}
	}
	return strings.Join(names, "+")
}

// tdASCII renders bytes as tcpdump's ASCII dumps do: printable ASCII as is,
// anything else as ".".
func tdASCII(b []byte) string {
	s := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		s[i] = c
	}
	return string(s)
}
