package classify_test

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/internal/pipeline"
)

// readAll returns every packet of a capture (copied) and when the capture
// says it ended (zero for plain pcap).
func readAll(t *testing.T, path string) ([]capture.Packet, time.Time) {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []capture.Packet
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c := *p
		c.Data = slices.Clone(p.Data)
		out = append(out, c)
	}
	var end time.Time
	for _, st := range capture.Stats(src) {
		if st.End.After(end) {
			end = st.End
		}
	}
	return out, end
}

// run analyses packets as `ikescope analyze` does, the capture ending at end
// (or at the last packet when end is zero).
func run(pkts []capture.Packet, end time.Time, cfg classify.Config) []*classify.SA {
	tr := classify.NewTracker(cfg)
	pl := pipeline.New(tr)
	for i := range pkts {
		p := pkts[i]
		pl.Feed(&p)
	}
	pl.Finish(end)
	return tr.Results()
}

// genCaptures lists the pcapng files of testdata/gen: captures/ (the
// scenarios with short timers, recorded past the daemons' give-up) and
// early/ (slower timers, recording stopped while they still retransmit).
func genCaptures(t *testing.T) []string {
	t.Helper()
	var ngs []string
	for _, dir := range []string{"captures", "early"} {
		m, err := filepath.Glob(filepath.Join("..", "testdata", "gen", dir, "*.pcapng"))
		if err != nil || len(m) == 0 {
			t.Fatal("no captures in testdata/gen/" + dir)
		}
		ngs = append(ngs, m...)
	}
	return ngs
}

// TestPlainPcapSameVerdicts: every scenario of testdata/gen was recorded at
// once by dumpcap (pcapng, whose interface statistics say when the capture
// stopped) and by tcpdump -w (plain pcap, no end marker). The classes must
// not depend on which file is read.
func TestPlainPcapSameVerdicts(t *testing.T) {
	pairs := 0
	for _, ng := range genCaptures(t) {
		pc := strings.TrimSuffix(ng, ".pcapng") + ".pcap"
		if _, err := os.Stat(pc); err != nil {
			t.Errorf("%s: no plain pcap recording beside it", filepath.Base(ng))
			continue
		}
		ngPkts, ngEnd := readAll(t, ng)
		pcPkts, pcEnd := readAll(t, pc)
		if !pcEnd.IsZero() {
			t.Fatalf("%s: plain pcap with an end time", pc)
		}
		a, b := run(ngPkts, ngEnd, classify.DefaultConfig()), run(pcPkts, pcEnd, classify.DefaultConfig())
		pairs++
		if len(a) != len(b) {
			t.Errorf("%s: %d IKE SAs from pcapng, %d from pcap", filepath.Base(ng), len(a), len(b))
			continue
		}
		for i := range a {
			if a[i].Verdict.Class != b[i].Verdict.Class {
				t.Errorf("%s: IKE SA %d: pcapng says %s (%s), pcap says %s (%s)", filepath.Base(ng), i+1,
					a[i].Verdict.Class, a[i].Verdict.Summary, b[i].Verdict.Class, b[i].Verdict.Summary)
			}
		}
	}
	t.Logf("%d pcapng/pcap pairs", pairs)
	if !classify.NoRareIsZero() {
		t.Error("classify's shared zero saRare was written while analysing the captures")
	}
	if pairs < 50 {
		t.Errorf("only %d pcapng/pcap pairs in testdata/gen", pairs)
	}
}

// decidingFrame is the frame a capture must reach for sa's verdict to be
// decided: the second send of the request nobody answered, or, for verdicts
// decided by a packet (a notify, a Delete), the last frame of the evidence.
func decidingFrame(sa *classify.SA) (frame int, what string) {
	v := sa.Verdict
	switch v.Class {
	case classify.NoResponse, classify.MMDelayDrop, classify.QMAcquireDrop, classify.QMDelayDrop, classify.DeadPeer:
		if u := v.Unanswered; u != nil && len(u.Frames) >= 2 {
			return u.Frames[1], "its 2nd unanswered send"
		}
		if v.Class == classify.QMDelayDrop {
			// QM3 lost: the responder's second copy of QM2 shows it.
			for _, x := range sa.Exchanges {
				for _, m := range x.Messages {
					if x.Phase == 2 && m.Dir == classify.R2I && len(m.Frames) >= 2 {
						return m.Frames[1], "the responder's 2nd QM2"
					}
				}
			}
		}
	case classify.ProposalMismatch, classify.AuthFailed, classify.SADeleted, classify.SAReaped:
		f := 0
		for _, e := range v.Evidence {
			f = max(f, e.Frame)
		}
		return f, "the last frame of its evidence"
	}
	return 0, ""
}

// TestCutAfterEvidence cuts each failing capture right after the frame that
// decides its verdict (the 2nd unanswered send of the stalled request, or
// the deciding notify or Delete) and checks that the class is already the
// failure class: no give-up, end marker or quiet time is needed.
func TestCutAfterEvidence(t *testing.T) {
	cuts := 0
	for _, ng := range genCaptures(t) {
		for _, path := range []string{ng, strings.TrimSuffix(ng, ".pcapng") + ".pcap"} {
			pkts, end := readAll(t, path)
			full := run(pkts, end, classify.DefaultConfig())
			for _, sa := range full {
				f, what := decidingFrame(sa)
				if f == 0 {
					continue
				}
				n := slices.IndexFunc(pkts, func(p capture.Packet) bool { return p.Frame == f })
				if n < 0 {
					t.Errorf("%s: frame %d not in the capture", path, f)
					continue
				}
				cut := run(pkts[:n+1], time.Time{}, classify.DefaultConfig())
				i := slices.IndexFunc(cut, func(c *classify.SA) bool { return c.InitSPI == sa.InitSPI })
				cuts++
				if i < 0 {
					t.Errorf("%s: IKE SA %016x missing when cut after frame %d (%s)", filepath.Base(path), sa.InitSPI, f, what)
					continue
				}
				if got := cut[i].Verdict.Class; got != sa.Verdict.Class {
					t.Errorf("%s: IKE SA %d cut after frame %d (%s): %s (%s), want %s as from the whole capture",
						filepath.Base(path), sa.ID, f, what, got, cut[i].Verdict.Summary, sa.Verdict.Class)
				}
			}
		}
	}
	t.Logf("%d captures cut after the frame that decides an SA", cuts)
	if cuts < 50 {
		t.Errorf("only %d cut captures checked", cuts)
	}
}

// TestInProgressWithoutEvidence: a single unanswered send at the very end of
// a capture is not yet a failure.
func TestInProgressWithoutEvidence(t *testing.T) {
	path := filepath.Join("..", "testdata", "gen", "captures", "v1_no_response.pcap")
	pkts, _ := readAll(t, path)
	full := run(pkts, time.Time{}, classify.DefaultConfig())
	if len(full) != 1 || full[0].Verdict.Unanswered == nil {
		t.Fatalf("want one no_response SA with its unanswered request, got %d SAs", len(full))
	}
	first := full[0].Verdict.Unanswered.Frames[0]
	n := slices.IndexFunc(pkts, func(p capture.Packet) bool { return p.Frame == first })
	cut := run(pkts[:n+1], time.Time{}, classify.DefaultConfig())
	if len(cut) != 1 || cut[0].Verdict.Class != classify.InProgress || cut[0].Verdict.Final {
		t.Fatalf("cut after the first send: %+v", cut[0].Verdict)
	}
	if v := full[0].Verdict; v.Class != classify.NoResponse || v.Final || !strings.Contains(v.Summary, "the capture ended while the initiator was still retransmitting (") {
		t.Errorf("whole plain pcap: %s final=%v %q", v.Class, v.Final, v.Summary)
	}
}

// TestLostCopiesStillPending: an IKE message sent in IP fragments whose
// later fragments never arrive is known lost only when reassembly gives up
// (decode.FragmentTimeout after its first fragment). In
// testdata/gen/early/v2_cert_frags_lost the initiator sends IKE_AUTH five
// times; the first three are reported lost while the fourth and fifth are
// still pending, which must not read as "the sender gave up after three".
func TestLostCopiesStillPending(t *testing.T) {
	for _, ext := range []string{".pcap", ".pcapng"} {
		path := filepath.Join("..", "testdata", "gen", "early", "v2_cert_frags_lost"+ext)
		pkts, end := readAll(t, path)
		sas := run(pkts, end, classify.DefaultConfig())
		if len(sas) != 1 {
			t.Fatalf("%s: %d IKE SAs, want 1", ext, len(sas))
		}
		v := sas[0].Verdict
		u := v.Unanswered
		if v.Class != classify.MMDelayDrop || u == nil || len(u.Frames) != 5 || u.GaveUp || v.Final {
			t.Errorf("%s: %s final=%v unanswered=%+v, want mm_delay_drop, not final, 5 sends still going", ext, v.Class, v.Final, u)
		}
	}
}
