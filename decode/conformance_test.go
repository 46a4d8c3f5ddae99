package decode_test

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/decode"
)

// The conformance test compares ikescope's decode of every public capture
// with the facts tshark shows (testdata/tshark/*.json, made by
// testdata/tshark/gen.sh). Every difference must be listed, with its reason,
// in testdata/tshark/known-differences.tsv; a listed difference that no
// longer occurs fails the test too, so the list stays true.

var sharedPcaps = filepath.Join("..", "..", "shared", "pcaps")

var printDiffs = flag.Bool("print-diffs", false, "print every tshark difference as a known-differences.tsv line")

type facts struct {
	Capture string       `json:"capture"`
	Frames  []frameFacts `json:"frames"`
}

type frameFacts struct {
	Frame int        `json:"frame"`
	IKE   []ikeFacts `json:"ike,omitempty"`
	ESP   []espFacts `json:"esp,omitempty"`
}

type ikeFacts struct {
	ISPI        string          `json:"ispi"`
	RSPI        string          `json:"rspi"`
	Version     string          `json:"version"`
	Exchange    *int            `json:"exchange,omitempty"`
	Flags       int             `json:"flags"`
	MsgID       uint32          `json:"msgid"`
	Length      *int            `json:"length,omitempty"`
	Payloads    []int           `json:"payloads"`
	Notify      []int           `json:"notify,omitempty"`
	VendorIDs   []string        `json:"vendor_ids,omitempty"`
	Proposals   []proposalFacts `json:"proposals,omitempty"`
	Malformed   bool            `json:"malformed,omitempty"`
	Reassembled bool            `json:"reassembled,omitempty"`
}

type proposalFacts struct {
	Num        int              `json:"num"`
	Protocol   int              `json:"protocol"`
	SPI        string           `json:"spi"`
	Transforms []transformFacts `json:"transforms"`
}

type transformFacts struct {
	Num   int         `json:"num"`
	Type  int         `json:"type"`
	ID    int         `json:"id"`
	Attrs []attrFacts `json:"attrs"`
}

type attrFacts struct {
	Type  int `json:"type"`
	Value any `json:"value"`
}

type espFacts struct {
	SPI uint32 `json:"spi"`
	Seq uint32 `json:"seq"`
}

// ourFacts decodes a capture and states the same facts as the tshark files.
func ourFacts(t *testing.T, path string) map[int]frameFacts {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer src.Close()
	d := decode.NewDecoder()
	out := map[int]frameFacts{}
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
		ff := frameFacts{Frame: p.Frame}
		switch f.Kind {
		case decode.KindIKE:
			if f.IKE == nil {
				continue
			}
			ff.IKE = []ikeFacts{messageFacts(f.IKE)}
		case decode.KindESP:
			ff.ESP = []espFacts{{SPI: f.ESP.SPI, Seq: f.ESP.Seq}}
		default:
			continue
		}
		out[p.Frame] = ff
	}
	return out
}

func messageFacts(m *decode.Message) ikeFacts {
	exch, length := int(m.Exchange), int(m.Length)
	k := ikeFacts{
		ISPI: fmt.Sprintf("%016x", m.InitSPI), RSPI: fmt.Sprintf("%016x", m.RespSPI),
		Version: fmt.Sprintf("%d.%d", m.Major, m.Minor), Exchange: &exch, Flags: int(m.Flags),
		MsgID: m.MsgID, Length: &length, Payloads: []int{},
	}
	for i := range m.Payloads {
		p := &m.Payloads[i]
		k.Payloads = append(k.Payloads, int(p.Type))
		if p.Notify != nil {
			k.Notify = append(k.Notify, int(p.Notify.Type))
		}
		if p.Type == decode.PayloadVendorID || p.Type == decode.PayloadVendorIDv2 {
			k.VendorIDs = append(k.VendorIDs, hex.EncodeToString(p.Data))
		}
		if p.SA == nil {
			continue
		}
		for _, pr := range p.SA.Proposals {
			pf := proposalFacts{Num: int(pr.Num), Protocol: int(pr.Protocol), SPI: hex.EncodeToString(pr.SPI), Transforms: []transformFacts{}}
			for _, tr := range pr.Transforms {
				tf := transformFacts{Num: int(tr.Num), Type: int(tr.Type), ID: int(tr.ID), Attrs: []attrFacts{}}
				for _, a := range tr.Attrs {
					var v any = float64(a.Value)
					if !a.TV && len(a.Data) > 8 {
						v = hex.EncodeToString(a.Data)
					}
					tf.Attrs = append(tf.Attrs, attrFacts{Type: int(a.Type), Value: v})
				}
				pf.Transforms = append(pf.Transforms, tf)
			}
			k.Proposals = append(k.Proposals, pf)
		}
	}
	return k
}

// known maps "capture\tframe\tfield" to the reason.
func loadKnown(t *testing.T) map[string]string {
	f, err := os.Open(filepath.Join("..", "testdata", "tshark", "known-differences.tsv"))
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
			t.Fatalf("known-differences.tsv: want capture, frame, field, reason: %q", line)
		}
		known[parts[0]+"\t"+parts[1]+"\t"+parts[2]] = parts[3]
	}
	return known
}

func TestTsharkConformance(t *testing.T) {
	if _, err := os.Stat(sharedPcaps); err != nil {
		t.Skip("../shared/pcaps not present")
	}
	refs, err := filepath.Glob(filepath.Join("..", "testdata", "tshark", "*.json"))
	if err != nil || len(refs) == 0 {
		t.Fatalf("no tshark references: %v", err)
	}
	known := loadKnown(t)
	seen := map[string]bool{}
	var unlisted []string
	for _, ref := range refs {
		b, err := os.ReadFile(ref)
		if err != nil {
			t.Fatal(err)
		}
		var want facts
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		got := ourFacts(t, filepath.Join(sharedPcaps, want.Capture))
		diff := func(frame int, field string, w, g any) {
			key := want.Capture + "\t" + strconv.Itoa(frame) + "\t" + field
			seen[key] = true
			if _, ok := known[key]; ok {
				return
			}
			unlisted = append(unlisted, fmt.Sprintf("%s\ttshark %s, ikescope %s", key, js(w), js(g)))
		}
		wantFrames := map[int]bool{}
		for _, wf := range want.Frames {
			wantFrames[wf.Frame] = true
			gf := got[wf.Frame]
			compareFrame(wf, gf, diff)
		}
		var extra []int
		for fr := range got {
			if !wantFrames[fr] {
				extra = append(extra, fr)
			}
		}
		sort.Ints(extra)
		for _, fr := range extra {
			diff(fr, "frame", nil, got[fr])
		}
	}
	reportKnown(t, "tshark", "known-differences.tsv", unlisted, known, seen)
}

// norm treats an absent list and an empty one alike.
func norm(v any) string { return strings.ReplaceAll(js(v), "null", "[]") }

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func compareFrame(w, g frameFacts, diff func(int, string, any, any)) {
	if len(w.ESP) != len(g.ESP) {
		diff(w.Frame, "esp", w.ESP, g.ESP)
	} else {
		for i := range w.ESP {
			if w.ESP[i] != g.ESP[i] {
				diff(w.Frame, "esp", w.ESP[i], g.ESP[i])
			}
		}
	}
	wi := w.IKE
	// tshark's "reassembled" entries are IKEv1 fragments it rebuilt; the
	// decoder reports fragments as they are on the wire.
	var plain []ikeFacts
	for _, m := range wi {
		if !m.Reassembled {
			plain = append(plain, m)
		}
	}
	if len(plain) != len(g.IKE) {
		diff(w.Frame, "ike", len(plain), len(g.IKE))
		return
	}
	for i := range plain {
		wm, gm := plain[i], g.IKE[i]
		f := func(name string, a, b any) {
			if !reflect.DeepEqual(a, b) && norm(a) != norm(b) {
				diff(w.Frame, name, a, b)
			}
		}
		f("ispi", wm.ISPI, gm.ISPI)
		f("rspi", wm.RSPI, gm.RSPI)
		f("version", wm.Version, gm.Version)
		if wm.Exchange != nil {
			f("exchange", *wm.Exchange, *gm.Exchange)
		}
		f("flags", wm.Flags, gm.Flags)
		f("msgid", wm.MsgID, gm.MsgID)
		if wm.Length != nil {
			f("length", *wm.Length, *gm.Length)
		}
		f("payloads", wm.Payloads, gm.Payloads)
		f("notify", wm.Notify, gm.Notify)
		f("vendor_ids", wm.VendorIDs, gm.VendorIDs)
		f("proposals", wm.Proposals, gm.Proposals)
	}
}

// reportKnown fails on every difference from the reference tool that the
// known-differences file does not list, and on every listed difference
// that no longer occurs.
func reportKnown[V any](t *testing.T, tool, file string, unlisted []string, known map[string]V, seen map[string]bool) {
	t.Helper()
	sort.Strings(unlisted)
	for _, u := range unlisted {
		if *printDiffs {
			fmt.Println(u)
		}
		t.Errorf("difference from %s not in %s: %s", tool, file, u)
	}
	var stale []string
	for k := range known {
		if !seen[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	for _, k := range stale {
		t.Errorf("%s lists a difference that no longer occurs: %s", file, k)
	}
}
