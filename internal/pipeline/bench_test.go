package pipeline

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/internal/synth"
)

// benchFile returns the capture the file benchmarks read:
// $IKESCOPE_BENCH_FILE, or a synthetic capture of n packets written once to
// the temporary directory.
func benchFile(b *testing.B, name string, opt synth.Options) string {
	b.Helper()
	if p := os.Getenv("IKESCOPE_BENCH_FILE"); p != "" {
		return p
	}
	path := filepath.Join(os.TempDir(), "ikescope-bench-"+name+".pcap")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := synth.Write(f, opt); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}

// analyzeFile runs the analyze loop over a file: read, decode, track, judge.
func analyzeFile(b *testing.B, path string) int {
	src, err := capture.OpenFile(path)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	tr := classify.NewTracker(classify.DefaultConfig())
	pl := New(tr)
	if err := pl.FeedAll(src); err != nil {
		b.Fatal(err)
	}
	pl.Finish(time.Time{})
	return int(pl.Counts.Packets)
}

// BenchmarkAnalyzeFile is `ikescope analyze` without the report: the
// synthetic 1M-packet mix of IKE, ESP and background traffic.
func BenchmarkAnalyzeFile(b *testing.B) {
	path := benchFile(b, "mix-1000000", synth.Options{Packets: 1_000_000, Seed: 1})
	b.ReportAllocs()
	pkts := 0
	for b.Loop() {
		pkts += analyzeFile(b, path)
	}
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
}
