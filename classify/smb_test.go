package classify

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ikescope/ikescope/decode"
)

func tcpFrame(src, dst string, flags uint8) *decode.Frame {
	return &decode.Frame{Kind: decode.KindOther, Proto: 6, Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst),
		TCP: decode.TCPInfo{Flags: flags}}
}

// TestSMBReset: a SYN to port 445 answered by RST is a finding whose
// evidence names both frames; a connection that opened (SYN-ACK) and is
// reset later is not; and connections that open do not use up the room
// for SYNs, so a reset after thousands of them is still found.
func TestSMBReset(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tr := NewTracker(DefaultConfig())
	frame := 0
	obs := func(f *decode.Frame) {
		frame++
		tr.Observe(Input{Frame: frame, Time: t0.Add(time.Duration(frame) * time.Millisecond), F: f})
	}
	// 5000 connections that open normally, then are reset (not our case).
	for i := range 5000 {
		c := netip.AddrPortFrom(netip.MustParseAddr("192.0.2.10"), uint16(10000+i)).String()
		obs(tcpFrame(c, "198.51.100.1:445", decode.TCPSyn))
		obs(tcpFrame("198.51.100.1:445", c, decode.TCPSyn|decode.TCPAck))
		obs(tcpFrame("198.51.100.1:445", c, decode.TCPRst|decode.TCPAck))
	}
	if n := len(tr.Findings()); n != 0 {
		t.Fatalf("%d findings for connections that opened", n)
	}
	obs(tcpFrame("192.0.2.20:50000", "198.51.100.1:445", decode.TCPSyn))
	syn := frame
	obs(tcpFrame("198.51.100.1:445", "192.0.2.20:50000", decode.TCPRst|decode.TCPAck))
	fs := tr.Findings()
	if len(fs) != 1 || fs[0].Type != "smb_reset" || fs[0].Frame != frame || len(fs[0].Evidence) != 2 ||
		fs[0].Evidence[0].Frame != syn || fs[0].Evidence[0].Text != "TCP SYN 192.0.2.20:50000 > 198.51.100.1:445" ||
		fs[0].Evidence[1].Frame != frame {
		t.Fatalf("findings %+v", fs)
	}
}
