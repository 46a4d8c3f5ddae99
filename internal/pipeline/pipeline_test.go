package pipeline

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/decode"
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
	if err := pl.FeedAll(src); err != nil {
		t.Fatal(err)
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

// TestFeedAllocs: once its flow is known, an ESP packet costs no
// allocation through the whole pipeline (decode and tracking), and neither
// does a packet that is not IKE or ESP.
func TestFeedAllocs(t *testing.T) {
	src := synthSource(t, synth.Options{Packets: 30000, Seed: 9})
	pl := New(classify.NewTracker(classify.DefaultConfig()))
	var (
		last  time.Time
		kinds = map[decode.Kind][][]byte{}
	)
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pl.Feed(p)
		last = p.Time
		if k := pl.dec.Decode(p.Link, p.Data, p.Time, p.Frame).Kind; k == decode.KindESP || k == decode.KindOther {
			if len(kinds[k]) < 20 {
				kinds[k] = append(kinds[k], bytes.Clone(p.Data))
			}
		}
	}
	for _, k := range []decode.Kind{decode.KindESP, decode.KindOther} {
		if len(kinds[k]) == 0 {
			t.Fatalf("no %v packets in the synthetic capture", k)
		}
		for i, data := range kinds[k] {
			p := &capture.Packet{Link: decode.LinkEthernet, Data: data, CapLen: len(data), Length: len(data), Frame: 1000000 + i}
			// Within one second of capture time: the once-a-second expiry
			// is not per-packet work.
			last = last.Add(time.Microsecond)
			p.Time = last
			pl.Feed(p) // a new flow may allocate
			allocs := testing.AllocsPerRun(50, func() {
				last = last.Add(time.Microsecond)
				p.Time = last
				pl.Feed(p)
			})
			if allocs != 0 {
				t.Errorf("%v packet %d: %v allocations per Feed, want 0", k, i, allocs)
			}
			last = last.Add(2 * time.Second) // the next packet's expiry falls outside the measurement
		}
	}
}
