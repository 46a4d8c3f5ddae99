package metrics

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/internal/pipeline"
)

// scrape fetches /metrics and returns the samples by "name{labels}".
func scrape(t *testing.T, srv *httptest.Server) map[string]float64 {
	t.Helper()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func expect(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s missing", k)
			continue
		}
		if math.Abs(g-w) > 1e-6*math.Max(1, math.Abs(w)) {
			t.Errorf("%s = %v, want %v", k, g, w)
		}
	}
}

func snapshot(pl *pipeline.Pipeline, drops uint64) Snapshot {
	c := pl.Counts
	return Snapshot{IKE: c.IKE, ESP: c.ESP, ESPBytes: c.ESPBytes, Keepalives: c.Keepalives, Fragments: c.Fragments,
		Other: c.Other, Malformed: c.Malformed, LiveSAs: pl.Tracker.Live(), Evicted: pl.Tracker.Evicted, CaptureDrops: drops}
}

// TestMetricsSample runs the sample capture (IKEv1 main mode with one
// retransmission, quick mode, 16 ESP packets) through the pipeline with the
// metrics hooked in as live does, and scrapes the handler midway and at
// the end.
func TestMetricsSample(t *testing.T) {
	m := New("test")
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()

	tr := classify.NewTracker(classify.DefaultConfig())
	tr.KeepDone = false
	tr.Emit = m.SA
	tr.OnEvent = m.Event
	tr.OnPhase = m.Phase
	pl := pipeline.New(tr)
	src, err := capture.OpenFile("../../testdata/sample/ikev1-main-quick-esp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var espBytes uint64
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pl.Feed(p)
		if p.Frame == 4 {
			// Frame 4 retransmits frame 2: counted as it happens, while
			// the SA is still negotiating.
			m.Update(snapshot(pl, 0))
			expect(t, scrape(t, srv), map[string]float64{
				"ikescope_ike_retransmissions_total":                   1,
				"ikescope_active_sas":                                  1,
				`ikescope_negotiations_total{class="established"}`:     0,
				`ikescope_packets_total{kind="ike"}`:                   4,
				`ikescope_events_total{type="retransmitted"}`:          1,
				"ikescope_phase1_duration_seconds_count":               0,
				`ikescope_build_info{version="test"}`:                  1,
				`ikescope_negotiations_total{class="no_response"}`:     0,
				`ikescope_negotiations_total{class="mm_delay_drop"}`:   0,
				`ikescope_negotiations_total{class="sa_deleted"}`:      0,
				`ikescope_negotiations_total{class="auth_failed"}`:     0,
				`ikescope_negotiations_total{class="in_progress"}`:     0,
				`ikescope_negotiations_total{class="qm_delay_drop"}`:   0,
				`ikescope_negotiations_total{class="dead_peer"}`:       0,
				`ikescope_negotiations_total{class="sa_reaped"}`:       0,
				`ikescope_negotiations_total{class="qm_acquire_drop"}`: 0,
			})
		}
	}
	espBytes = pl.Counts.ESPBytes
	pl.Finish(time.Time{})
	m.Update(snapshot(pl, 3))
	got := scrape(t, srv)
	expect(t, got, map[string]float64{
		`ikescope_negotiations_total{class="established"}`: 1,
		"ikescope_ike_retransmissions_total":               1,
		"ikescope_active_sas":                              0,
		"ikescope_esp_packets_total":                       16,
		"ikescope_esp_bytes_total":                         float64(espBytes),
		`ikescope_packets_total{kind="ike"}`:               11,
		`ikescope_packets_total{kind="esp"}`:               16,
		`ikescope_packets_total{kind="other"}`:             0,
		"ikescope_capture_drops_total":                     3,
		"ikescope_capture_ring_freezes_total":              0,
		"ikescope_evicted_sas_total":                       0,
		// Main mode: frame 1 at 14:40:04.119051 to MM6 at 14:40:14.224380.
		"ikescope_phase1_duration_seconds_count":           1,
		"ikescope_phase1_duration_seconds_sum":             10.105329,
		`ikescope_phase1_duration_seconds_bucket{le="10"}`: 0,
		`ikescope_phase1_duration_seconds_bucket{le="30"}`: 1,
		// Quick mode: 14:40:14.227153 to QM3 at 14:40:14.427667.
		"ikescope_phase2_duration_seconds_count":             1,
		"ikescope_phase2_duration_seconds_sum":               0.200514,
		`ikescope_phase2_duration_seconds_bucket{le="0.1"}`:  0,
		`ikescope_phase2_duration_seconds_bucket{le="0.25"}`: 1,
		`ikescope_events_total{type="weak_crypto"}`:          1,
	})
	if espBytes == 0 {
		t.Error("no ESP bytes counted")
	}
	if _, ok := got["process_resident_memory_bytes"]; !ok && runtime.GOOS == "linux" {
		t.Error("no process metrics (resident memory)")
	}
	if _, ok := got["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}

	// Counters only move forward, by the difference of the snapshots.
	m.Update(Snapshot{ESP: 20, ESPBytes: espBytes + 100, IKE: 11, CaptureDrops: 10, RingFreezes: 2, Evicted: 4, LiveSAs: 7})
	expect(t, scrape(t, srv), map[string]float64{
		"ikescope_esp_packets_total":          20,
		"ikescope_esp_bytes_total":            float64(espBytes + 100),
		"ikescope_capture_drops_total":        10,
		"ikescope_capture_ring_freezes_total": 2,
		"ikescope_evicted_sas_total":          4,
		"ikescope_active_sas":                 7,
	})
}
