package main

import (
	"io"
	"os"
	"testing"
)

// BenchmarkAnalyzeCLI runs `ikescope analyze -T FORMAT FILE` in process,
// output discarded, for profiles of the whole command including the report:
// IKESCOPE_BENCH_FILE names the capture (for example one written by
// internal/bench/run.sh), IKESCOPE_BENCH_FORMAT the format (default text).
func BenchmarkAnalyzeCLI(b *testing.B) {
	path := os.Getenv("IKESCOPE_BENCH_FILE")
	if path == "" {
		b.Skip("IKESCOPE_BENCH_FILE not set")
	}
	format := os.Getenv("IKESCOPE_BENCH_FORMAT")
	if format == "" {
		format = "text"
	}
	b.ReportAllocs()
	for b.Loop() {
		if code := run([]string{"analyze", "-T", format, path}, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
