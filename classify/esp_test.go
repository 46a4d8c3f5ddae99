package classify

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ikescope/ikescope/decode"
)

func espFrame(spi uint32, src, dst string) *decode.Frame {
	return &decode.Frame{Kind: decode.KindESP, Proto: 50, Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst),
		ESP: decode.ESPHeader{SPI: spi, Seq: 1, Len: 100}}
}

// TestESPFlowsBySPI: flows that share an SPI (between other addresses) or
// share a cache slot are counted apart, and forgetting one, at the head or
// inside a chain, leaves the others findable.
func TestESPFlowsBySPI(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tr := NewTracker(DefaultConfig())
	type flow struct {
		spi      uint32
		src, dst string
		n        uint64
	}
	flows := []*flow{
		{0x1000, "192.0.2.1:0", "198.51.100.1:0", 3},
		{0x1000, "192.0.2.2:0", "198.51.100.1:0", 5},                 // same SPI, other source
		{0x1000, "198.51.100.1:0", "192.0.2.1:0", 7},                 // same SPI, reverse direction
		{0x1000 + espCacheSize, "192.0.2.1:0", "198.51.100.1:0", 11}, // same cache slot
		{0x1000, "[2001:db8::1]:0", "[2001:db8::2]:0", 13},
	}
	frame := 0
	for round := range 13 {
		for _, fl := range flows {
			if uint64(round) < fl.n {
				frame++
				tr.Observe(Input{Frame: frame, Time: t0.Add(time.Duration(frame) * time.Millisecond), F: espFrame(fl.spi, fl.src, fl.dst)})
			}
		}
	}
	find := func(fl *flow) *ESPStats {
		return tr.lookupESP(fl.spi, netip.MustParseAddrPort(fl.src).Addr(), netip.MustParseAddrPort(fl.dst).Addr())
	}
	for _, fl := range flows {
		if st := find(fl); st == nil || st.Packets != fl.n {
			t.Fatalf("flow %+v: %+v", fl, st)
		}
	}
	// Forget the chain's head, then one inside it.
	for _, i := range []int{4, 1} {
		tr.forgetESP(find(flows[i]))
		if find(flows[i]) != nil {
			t.Fatalf("flow %d still found", i)
		}
		flows = append(flows[:i], flows[i+1:]...)
		for _, fl := range flows {
			if st := find(fl); st == nil || st.Packets != fl.n {
				t.Fatalf("after forgetting: flow %+v: %+v", fl, st)
			}
		}
	}
}
