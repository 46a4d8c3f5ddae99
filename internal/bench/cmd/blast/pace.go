package main

import "time"

// maxRate bounds the rate a pacer accepts, so that its arithmetic cannot
// overflow: due multiplies nanoseconds below one second by the rate.
const maxRate = 1_000_000_000

// pacer spreads packets evenly over time at rate packets per second,
// counted from a start: by elapsed time t, due(t) packets are due. A
// pacer with rate 0 does not pace.
//
// The sender does not send each packet at its own time, which a sleep
// cannot hit at a million packets a second, but waits until a batch is
// due (see batchDue) and sends it in one call. Being late (a sleep that
// overslept, a slow send) is made up by sending what is due at once, so
// the mean rate stays exact and the bursts stay a batch long.
type pacer struct {
	rate int64
}

// due returns how many packets are due by elapsed time t (rounded down).
func (p pacer) due(t time.Duration) int64 {
	if t <= 0 || p.rate <= 0 {
		return 0
	}
	s, ns := int64(t/time.Second), int64(t%time.Second)
	return s*p.rate + ns*p.rate/int64(time.Second)
}

// at returns the elapsed time by which n packets are due: the smallest t
// with due(t) >= n.
func (p pacer) at(n int64) time.Duration {
	if n <= 0 || p.rate <= 0 {
		return 0
	}
	s, r := n/p.rate, n%p.rate
	// ceil(r * 1e9 / rate); r < rate <= maxRate, so r*1e9 < 1e18 fits.
	ns := (r*int64(time.Second) + p.rate - 1) / p.rate
	return time.Duration(s)*time.Second + time.Duration(ns)
}

// batchDue returns how many packets to wait for before sending: a full
// batch, or at low rates what one slice of time holds (at least one), so
// that at 1 000 packets/s with a 1 ms slice packets go one by one instead
// of in bursts of a batch.
func (p pacer) batchDue(batch int, slice time.Duration) int {
	if p.rate <= 0 {
		return batch
	}
	perSlice := p.due(slice)
	if perSlice < 1 {
		return 1
	}
	if perSlice < int64(batch) {
		return int(perSlice)
	}
	return batch
}
