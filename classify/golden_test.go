package classify_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/decode"
	"github.com/ikescope/ikescope/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var sharedPcaps = filepath.Join("..", "..", "shared", "pcaps")

// analyze runs a capture through decode and classify, like `ikescope analyze`.
func analyze(t *testing.T, path string, cfg classify.Config) *classify.Tracker {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	d := decode.NewDecoder()
	tr := classify.NewTracker(cfg)
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
			t.Fatal(err)
		}
		tr.Observe(classify.Input{Frame: p.Frame, Source: p.Source, Time: p.Time, F: d.Decode(p.Link, p.Data, p.Time, p.Frame)})
	}
	tr.LostDatagrams(d.Pending())
	tr.Finish()
	return tr
}

// expected verdicts of the public captures, one per IKE SA in order of
// start, each with the reason a careful engineer reading the packets would
// give. Captures with many SAs state the counts per class instead.
var expected = []struct {
	capture string
	classes []classify.Class
	counts  map[classify.Class]int
	reason  string
}{
	{capture: "tcpdump/ISAKMP_sa_setup.pcap", classes: []classify.Class{classify.Established},
		reason: "all six main mode messages (MM5/MM6 encrypted) and the three quick mode messages are there"},
	{capture: "zeek-spicy-ipsec/ipsec-ikev1-isakmp-main-mode.pcap", classes: []classify.Class{classify.Established},
		reason: "complete main mode followed by a complete quick mode"},
	{capture: "zeek-spicy-ipsec/ipsec-ikev1-isakmp-aggressive-mode.pcap", classes: []classify.Class{classify.Established},
		reason: "aggressive mode's three messages, then a three-message quick mode"},
	{capture: "zeek-spicy-ipsec/ipsec.cap", classes: []classify.Class{classify.Established},
		reason: "the initiator sends NO-PROPOSAL-CHOSEN after MM2, but the responder retransmits MM2 10 s later and main mode, quick mode and ESP in both directions follow"},
	{capture: "zeek-plugin-ikev2/ikev2.pcap", classes: []classify.Class{classify.AuthFailed},
		reason: "IKE_SA_INIT retried after INVALID_KE_PAYLOAD; the 1.5 kB fragmented IKE_AUTH is answered by 80 bytes whose SK holds a single Notify (a success starts with IDr and AUTH), and nothing follows: an AUTHENTICATION_FAILED"},
	{capture: "arkime/IKEv1.pcap", classes: []classify.Class{classify.InProgress, classify.Established},
		reason: "SA 1 is a lone MM1 one minute before the end, under the give-up gap; SA 2 completes main mode and two quick modes with 296 ESP packets"},
	{capture: "suricata-verify/ikev1-duplicate-proposals/generated.pcap", classes: []classify.Class{classify.InProgress},
		reason: "a single MM1 and the capture ends at once: nothing can be said yet"},
	{capture: "suricata-verify/ikev2-weak-dh/IKEv2_SA_INIT_2-8-weak.pcap", classes: []classify.Class{classify.InProgress},
		reason: "a single IKE_SA_INIT request: still pending when the capture ends"},
	{capture: "tcpdump/ikev2pI2.pcap", classes: []classify.Class{classify.InProgress},
		reason: "initiator's IKE_SA_INIT and IKE_AUTH requests only, capture ends right away"},
	{capture: "nDPI/ipsec_isakmp_esp.pcap",
		counts: map[classify.Class]int{classify.Established: 37, classify.MMDelayDrop: 34, classify.NoResponse: 1},
		reason: "a VPN client that completes IKE_SA_INIT (after a COOKIE round) with several gateways and goes on to IKE_AUTH with only some of them (mm_delay_drop for the abandoned ones); the capture is several captures joined, its clock going back 19 h at frame 287"},
	{capture: "PcapPlusPlus/ipsec.pcapng", classes: nil, reason: "ESP and AH only, no IKE"},
	{capture: "zeek/ip6_esp.pcap", classes: nil, reason: "ESP only, no IKE"},
}

func TestExpectedVerdicts(t *testing.T) {
	if _, err := os.Stat(sharedPcaps); err != nil {
		t.Skip("../shared/pcaps not present")
	}
	for _, e := range expected {
		t.Run(e.capture, func(t *testing.T) {
			tr := analyze(t, filepath.Join(sharedPcaps, e.capture), classify.DefaultConfig())
			sas := tr.Results()
			if e.counts != nil {
				got := map[classify.Class]int{}
				for _, sa := range sas {
					got[sa.Verdict.Class]++
				}
				for c, n := range e.counts {
					if got[c] != n {
						t.Errorf("%s: %d SAs, want %d (%s); all: %v", c, got[c], n, e.reason, got)
					}
				}
				return
			}
			if len(sas) != len(e.classes) {
				t.Fatalf("%d IKE SAs, want %d (%s)", len(sas), len(e.classes), e.reason)
			}
			for i, sa := range sas {
				if sa.Verdict.Class != e.classes[i] {
					t.Errorf("SA #%d: %s (%s), want %s: %s", sa.ID, sa.Verdict.Class, sa.Verdict.Summary, e.classes[i], e.reason)
				}
			}
		})
	}
}

// TestGolden renders every public capture and testdata capture as text and
// JSON and compares with testdata/golden/ (-update rewrites them).
func TestGolden(t *testing.T) {
	var caps []string
	for _, dir := range []string{sharedPcaps, filepath.Join("..", "testdata")} {
		filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return nil
			}
			switch filepath.Ext(p) {
			case ".pcap", ".pcapng", ".cap":
				caps = append(caps, p)
			}
			return nil
		})
	}
	if len(caps) == 0 {
		t.Skip("no captures")
	}
	for _, c := range caps {
		name := strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(c, sharedPcaps+"/"), "../"), "/", "__")
		t.Run(name, func(t *testing.T) {
			tr := analyze(t, c, classify.DefaultConfig())
			var buf bytes.Buffer
			report.AnalysisText(&buf, tr.Results(), tr.Findings())
			for _, sa := range tr.Results() {
				buf.Write(report.MarshalLine(report.SAToJSON(sa)))
			}
			golden := filepath.Join("testdata", "golden", name+".golden")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./classify/ -update)", err)
			}
			if !bytes.Equal(want, buf.Bytes()) {
				t.Errorf("output differs from %s (rerun with -update and review the diff)", golden)
			}
		})
	}
}
