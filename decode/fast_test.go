package decode_test

import (
	"encoding/binary"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ikescope/ikescope/decode"
)

// sameFrames decodes each input with the fast path on and with the general
// path only, and fails on the first frame where they differ.
type pathPair struct {
	fast, general *decode.Decoder
}

func newPathPair() pathPair {
	p := pathPair{fast: decode.NewDecoder(), general: decode.NewDecoder()}
	decode.GeneralOnly(p.general)
	return p
}

func (p pathPair) check(t *testing.T, link uint32, b []byte, ts time.Time, ref int) {
	t.Helper()
	a := *p.fast.Decode(link, b, ts, ref)
	g := *p.general.Decode(link, b, ts, ref)
	if !reflect.DeepEqual(a, g) {
		t.Fatalf("link %d, %d bytes %x:\nfast    %+v\ngeneral %+v", link, len(b), b, a, g)
	}
}

// variants returns b and damaged copies of it: cut at each header
// boundary and with the length and version fields the fast path reads
// changed, so that its bail-outs are compared too.
func variants(b []byte) [][]byte {
	out := [][]byte{b}
	for _, n := range []int{0, 13, 14, 17, 18, 33, 34, 41, 42, 45, 46, 53, 54, 61, 62, 70, len(b) - 1} {
		if n >= 0 && n < len(b) {
			out = append(out, b[:n:n])
		}
	}
	for _, off := range []int{12, 14, 15, 16, 17, 18, 20, 21, 23, 36, 37, 38, 39, 40, 41, 42} {
		if off >= len(b) {
			continue
		}
		for _, v := range []byte{0, 1, 0x45, 0x60, 0x81, 0xff} {
			c := append([]byte(nil), b...)
			c[off] = v
			out = append(out, c)
		}
	}
	return out
}

func TestFastPathSameFrame(t *testing.T) {
	frames := seedFrames()
	if len(frames) == 0 {
		t.Fatal("no seed captures")
	}
	p := newPathPair()
	inputs := 0
	for _, fr := range frames {
		for _, b := range variants(fr.Data) {
			p.check(t, fr.Link, b, fr.Time, fr.Frame)
			inputs++
		}
	}
	// Hand-made shapes the captures may lack: 802.1Q in 802.1Q, an
	// Ethernet trailer after a short IPv4 packet, UDP length 0, a NAT-T
	// keepalive and a bare non-ESP marker.
	ike := append(make([]byte, 16), 0, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28)
	ip := ipv4UDP(1, 0, false, 500, 500, ike, true)
	qinq := append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0, 0, 7, 0x81, 0, 0, 9, 0x08, 0}, ip...)
	trailer := append(ethernet(ipv4UDP(1, 0, false, 4500, 4500, []byte{0xff}, true)), make([]byte, 18)...)
	udp0 := ethernet(ipv4UDP(1, 0, false, 500, 500, ike, true))
	binary.BigEndian.PutUint16(udp0[14+20+4:], 0)
	marker := ethernet(ipv4UDP(1, 0, false, 4500, 4500, []byte{0, 0, 0, 0}, true))
	// The same IKE packet behind a Linux cooked header (v1 and v2) and as
	// raw IP.
	sll := append([]byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0}, ip...)
	sll2 := append([]byte{0x08, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0}, ip...)
	hand := []struct {
		link uint32
		b    []byte
	}{
		{decode.LinkEthernet, qinq}, {decode.LinkEthernet, trailer}, {decode.LinkEthernet, udp0},
		{decode.LinkEthernet, marker}, {decode.LinkLinuxSLL, sll}, {decode.LinkLinuxSLL2, sll2},
		{decode.LinkRaw, ip}, {decode.LinkIPv4, ip},
	}
	for _, h := range hand {
		for _, v := range variants(h.b) {
			p.check(t, h.link, v, time.Unix(1700000000, 0), 1)
			inputs++
		}
	}
	// Each hand-made shape is one the fast path takes itself.
	for _, h := range hand {
		d := decode.NewDecoder()
		if d.Decode(h.link, h.b, time.Unix(1700000000, 0), 1); decode.FastFrames(d) != 1 {
			t.Errorf("link %d %x: not taken by the fast path", h.link, h.b)
		}
	}
	// The comparison means something only if the fast path took most of
	// the frames.
	if n := decode.FastFrames(p.fast); n < inputs/4 {
		t.Fatalf("fast path took %d of %d inputs", n, inputs)
	}
	if decode.FastFrames(p.general) != 0 {
		t.Fatal("GeneralOnly decoder used the fast path")
	}
	t.Logf("%d inputs, %d by the fast path", inputs, decode.FastFrames(p.fast))
}

// fastLinks are the link types FuzzFastPath tries: the fast path's own and
// two it leaves to the general path.
var fastLinks = []uint32{decode.LinkEthernet, decode.LinkLinuxSLL, decode.LinkLinuxSLL2, decode.LinkRaw,
	decode.LinkIPv4, decode.LinkIPv6, decode.LinkNull, decode.LinkPPP}

func FuzzFastPath(f *testing.F) {
	seen := map[string]bool{}
	for _, fr := range seedFrames() {
		i := slices.Index(fastLinks, fr.Link)
		if i >= 0 && !seen[string(fr.Data)] {
			seen[string(fr.Data)] = true
			f.Add(uint8(i), fr.Data)
		}
	}
	f.Fuzz(func(t *testing.T, link uint8, b []byte) {
		p := newPathPair()
		p.check(t, fastLinks[int(link)%len(fastLinks)], b, time.Unix(1700000000, 0), 1)
	})
}
