package pipeline

import (
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/internal/synth"
)

// synthSource streams a synthetic capture of n packets from a goroutine.
func synthSource(t *testing.T, opt synth.Options) capture.Source {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		_, err := synth.Write(pw, opt)
		pw.CloseWithError(err)
	}()
	src, err := capture.OpenReader("synth", pr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close(); pr.Close() })
	return src
}

// feedGuarded feeds one packet and turns a panic in the tracker into a
// test failure that says what is wrong.
func feedGuarded(t *testing.T, pl *Pipeline, p *capture.Packet) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("frame %d: the tracker panicked with %d live SAs and %d evicted: %v\n"+
				"(classify.Tracker.newSA must make room before it adds the new SA: evictOldest otherwise picks "+
				"the new SA itself, which has no exchange yet, and judge dereferences a nil exchange)",
				p.Frame, pl.Tracker.Live(), pl.Tracker.Evicted, r)
		}
	}()
	pl.Feed(p)
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestMaxSAsBounded feeds millions of synthetic packets (IKEv1 and IKEv2
// negotiations on 120 tunnels, ESP, background traffic) through a tracker
// capped far below the number of SAs they create, as live capture runs it
// (no finished SAs kept), and checks that the SA table never exceeds the
// cap, that evictions are counted, that every SA gets exactly one verdict,
// and that the heap does not grow with the packet count.
func TestMaxSAsBounded(t *testing.T) {
	n := 2_000_000
	if testing.Short() {
		n = 300_000
	}
	const maxSAs = 40
	cfg := classify.DefaultConfig()
	cfg.MaxSAs = maxSAs
	tr := classify.NewTracker(cfg)
	tr.KeepDone = false
	verdicts := 0
	ids := map[int]bool{}
	tr.Emit = func(sa *classify.SA) {
		verdicts++
		if ids[sa.ID] {
			t.Errorf("SA #%d judged twice", sa.ID)
		}
		ids[sa.ID] = true
	}
	pl := New(tr)
	src := synthSource(t, synth.Options{Packets: n, Seed: 7, Tunnels: synth.MaxTunnels, Rate: 50000})
	peak := 0
	var heapHalf uint64
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		feedGuarded(t, pl, p)
		if l := tr.Live(); l > peak {
			peak = l
			if l > maxSAs {
				t.Fatalf("after frame %d: %d live SAs, cap %d", p.Frame, l, maxSAs)
			}
		}
		if p.Frame == n/2 {
			heapHalf = heapInUse()
		}
	}
	heapEnd := heapInUse()
	live := tr.Live()
	pl.Finish(time.Time{})
	c := pl.Counts
	t.Logf("%d packets: %d IKE, %d ESP; %d SAs judged, peak %d live, %d evicted; %d orphan ESP flows; heap %d KiB at half, %d KiB at end",
		c.Packets, c.IKE, c.ESP, verdicts, peak, tr.Evicted, len(tr.OrphanESP()), heapHalf>>10, heapEnd>>10)
	if c.Packets != uint64(n) {
		t.Fatalf("fed %d packets, want %d", c.Packets, n)
	}
	if c.IKE == 0 || c.ESP == 0 {
		t.Fatalf("no IKE or ESP in the synthetic capture: %+v", c)
	}
	if peak != maxSAs {
		t.Errorf("peak of %d live SAs: the test never reached the cap of %d", peak, maxSAs)
	}
	if tr.Evicted == 0 {
		t.Error("no SA evicted although the cap was reached")
	}
	if verdicts < tr.Evicted+live || len(ids) != verdicts {
		t.Errorf("%d verdicts for %d evicted and %d live at the end", verdicts, tr.Evicted, live)
	}
	if tr.Live() != 0 {
		t.Errorf("%d SAs live after Finish", tr.Live())
	}
	// Twice the packets must not mean (anywhere near) twice the heap: allow
	// 8 MiB of noise on top of what the first half needed.
	if heapEnd > heapHalf+8<<20 {
		t.Errorf("heap grew from %d KiB at %d packets to %d KiB at %d packets", heapHalf>>10, n/2, heapEnd>>10, n)
	}
}

// TestPipelineCounts checks the counters and the decode path on the sample
// capture.
func TestPipelineCounts(t *testing.T) {
	src, err := capture.OpenFile("../../testdata/sample/ikev1-main-quick-esp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tr := classify.NewTracker(classify.DefaultConfig())
	pl := New(tr)
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pl.Feed(p)
	}
	pl.Finish(time.Time{})
	c := pl.Counts
	if c.Packets != 27 || c.IKE != 11 || c.ESP != 16 || c.Other != 0 || c.ESPBytes == 0 {
		t.Errorf("counts %+v", c)
	}
	sas := tr.Results()
	if len(sas) != 1 || sas[0].Verdict.Class != classify.Established {
		t.Errorf("results: %d SAs", len(sas))
	}
}
