package main

import (
	"testing"
	"time"
)

func TestPacerDue(t *testing.T) {
	tests := []struct {
		name string
		rate int64
		t    time.Duration
		want int64
	}{
		{"no pacing", 0, time.Second, 0},
		{"start", 1_000_000, 0, 0},
		{"negative", 1_000_000, -time.Second, 0},
		{"1 us at 1M", 1_000_000, time.Microsecond, 1},
		{"999 ns at 1M", 1_000_000, 999, 0},
		{"1 s at 750k", 750_000, time.Second, 750_000},
		{"1.5 s at 3", 3, 1500 * time.Millisecond, 4},
		{"a day at the max rate", maxRate, 24 * time.Hour, 86_400 * maxRate},
		{"almost a second at the max rate", maxRate, time.Second - 1, maxRate - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (pacer{tt.rate}).due(tt.t); got != tt.want {
				t.Errorf("pacer{%d}.due(%v) = %d, want %d", tt.rate, tt.t, got, tt.want)
			}
		})
	}
}

// TestPacerAt checks that at is the inverse of due: at(n) is the first
// time by which n packets are due.
func TestPacerAt(t *testing.T) {
	for _, rate := range []int64{1, 3, 7, 1000, 333_333, 1_000_000, 1_500_000, maxRate} {
		p := pacer{rate}
		for _, n := range []int64{1, 2, 63, 64, 128, 999, 1000, 1001, rate - 1, rate, rate + 1, 10*rate + 17} {
			if n <= 0 {
				continue
			}
			at := p.at(n)
			if got := p.due(at); got < n {
				t.Errorf("rate %d: due(at(%d) = %v) = %d, want >= %d", rate, n, at, got, n)
			}
			if got := p.due(at - 1); got >= n {
				t.Errorf("rate %d: due(at(%d) - 1ns = %v) = %d, want < %d", rate, n, at-1, got, n)
			}
		}
	}
	if got := (pacer{0}).at(5); got != 0 {
		t.Errorf("pacer{0}.at(5) = %v, want 0", got)
	}
}

func TestPacerBatchDue(t *testing.T) {
	tests := []struct {
		name  string
		rate  int64
		batch int
		slice time.Duration
		want  int
	}{
		{"no pacing", 0, 128, time.Millisecond, 128},
		{"1M, 1 ms", 1_000_000, 128, time.Millisecond, 128},
		{"50k, 1 ms", 50_000, 128, time.Millisecond, 50},
		{"100, 1 ms", 100, 128, time.Millisecond, 1},
		{"exactly a batch", 128_000, 128, time.Millisecond, 128},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (pacer{tt.rate}).batchDue(tt.batch, tt.slice); got != tt.want {
				t.Errorf("pacer{%d}.batchDue(%d, %v) = %d, want %d", tt.rate, tt.batch, tt.slice, got, tt.want)
			}
		})
	}
}
