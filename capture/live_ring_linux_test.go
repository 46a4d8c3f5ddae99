//go:build linux && !libpcap

package capture

// Tests of the TPACKET_V3 ring reader over blocks built in memory, laid out
// as the kernel lays them out: no root, no socket. live_netns_linux_test.go
// tests it on a real socket.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakePkt is one packet to put in a fake block.
type fakePkt struct {
	data      []byte // what the kernel wrote (the MAC header without a stripped tag)
	origLen   int    // tp_len; len(data) when 0
	sec, nsec uint32
	tci       uint16 // a stripped VLAN tag, with TP_STATUS_VLAN_VALID
	tpid      uint16 // with TP_STATUS_VLAN_TPID_VALID when not 0
	hatype    uint16
	pkttype   uint8
	ifindex   int32
	mac       int // tp_mac; fakeMac when 0
}

// fakeMac is where the kernel puts an Ethernet frame's data in a SOCK_RAW
// ring with PACKET_RESERVE 4: TPACKET_ALIGN(68 + 16) + 4 - 14.
const fakeMac = 86

// fakeBlock writes pkts into block b as the kernel does, and hands the
// block to user space.
func fakeBlock(b []byte, pkts []fakePkt) {
	clear(b)
	const first = 48 // BLK_PLUS_PRIV(0)
	h := (*unix.TpacketHdrV1)(unsafe.Pointer(&b[blockStatusOff]))
	h.Num_pkts = uint32(len(pkts))
	h.Offset_to_first_pkt = first
	off := first
	for i, p := range pkts {
		mac := p.mac
		if mac == 0 {
			mac = fakeMac
		}
		ph := (*unix.Tpacket3Hdr)(unsafe.Pointer(&b[off]))
		ph.Sec, ph.Nsec = p.sec, p.nsec
		ph.Snaplen = uint32(len(p.data))
		ph.Len = uint32(len(p.data))
		if p.origLen != 0 {
			ph.Len = uint32(p.origLen)
		}
		ph.Mac = uint16(mac)
		if p.tci != 0 {
			ph.Status |= unix.TP_STATUS_VLAN_VALID
			ph.Hv1.Vlan_tci = uint32(p.tci)
		}
		if p.tpid != 0 {
			ph.Status |= unix.TP_STATUS_VLAN_TPID_VALID
			ph.Hv1.Vlan_tpid = p.tpid
		}
		sa := (*unix.RawSockaddrLinklayer)(unsafe.Pointer(&b[off+tpacket3HdrLen]))
		sa.Family = unix.AF_PACKET
		sa.Hatype = p.hatype
		if sa.Hatype == 0 {
			sa.Hatype = unix.ARPHRD_ETHER
		}
		sa.Pkttype = p.pkttype
		sa.Ifindex = p.ifindex
		copy(b[off+mac:], p.data)
		next := (mac + len(p.data) + 15) &^ 15
		if i < len(pkts)-1 {
			ph.Next_offset = uint32(next)
		}
		off += next
	}
	*blockStatus(b) = unix.TP_STATUS_USER
}

// fakeSource is an afPacket reading a ring of blocks in memory; its socket
// is an eventfd nobody writes to, so waiting for a block times out.
func fakeSource(t testing.TB, blocks, blockSize, snaplen int, timeout time.Duration) (*afPacket, []byte) {
	t.Helper()
	sock, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	mem := make([]byte, blocks*blockSize)
	s := &afPacket{fd: sock, ifname: "fake0", link: LinkEthernet, snaplen: snaplen}
	s.ring = newRingOver(mem, blockSize, sock, efd, timeout)
	s.pkt.Link = LinkEthernet
	t.Cleanup(func() { s.Close() })
	return s, mem
}

func frameOf(n int, seq byte) []byte {
	f := make([]byte, n)
	for i := range f {
		f[i] = seq + byte(i)
	}
	binary.BigEndian.PutUint16(f[12:14], 0x0800)
	return f
}

// tagged is f with an 802.1Q-style tag inserted after the MAC addresses.
func tagged(f []byte, tpid, tci uint16) []byte {
	out := append([]byte(nil), f[:12]...)
	out = binary.BigEndian.AppendUint16(out, tpid)
	out = binary.BigEndian.AppendUint16(out, tci)
	return append(out, f[12:]...)
}

// TestRingWalk reads two blocks: packets come out in order and in place,
// with their lengths, times and interface, a stripped VLAN tag put back
// (in the headroom, or by a copy when there is none), loopback's outgoing
// copies skipped; and a block goes back to the kernel only on the Next
// after its last packet.
func TestRingWalk(t *testing.T) {
	const bs = 8192
	s, mem := fakeSource(t, 3, bs, 1000, time.Millisecond)
	f1, f2, f3, f4, f5, f6 := frameOf(60, 1), frameOf(1200, 2), frameOf(98, 3), frameOf(300, 4), frameOf(80, 5), frameOf(70, 6)
	fakeBlock(mem[:bs], []fakePkt{
		{data: f1, sec: 1700000000, nsec: 1, ifindex: 7},
		{data: f3, sec: 1700000000, nsec: 999999999, tci: 100, ifindex: 7},                // 802.1Q, no TPID given
		{data: f4, sec: 1700000001, nsec: 5, tci: 10, tpid: 0x88a8, origLen: 1500},        // 802.1ad; truncated by the filter
		{data: f5, hatype: unix.ARPHRD_LOOPBACK, pkttype: unix.PACKET_OUTGOING},           // skipped
		{data: f6, sec: 1700000002, tci: 5, mac: tpacket3HdrLen + sockaddrLLLen, nsec: 7}, // no headroom
	})
	fakeBlock(mem[bs:2*bs], []fakePkt{
		{data: f2[:1000], origLen: 1200, sec: 1700000003}, // cut to 1000 bytes (tp_snaplen) by the filter
	})
	want := []struct {
		data   []byte
		length int
		time   time.Time
		ifidx  int
	}{
		{f1, 60, time.Unix(1700000000, 1), 7},
		{tagged(f3, 0x8100, 100), 102, time.Unix(1700000000, 999999999), 7},
		{tagged(f4, 0x88a8, 10), 1504, time.Unix(1700000001, 5), 0},
		{tagged(f6, 0x8100, 5), 74, time.Unix(1700000002, 7), 0},
		{f2[:1000], 1200, time.Unix(1700000003, 0), 0},
	}
	for i, w := range want {
		p, err := s.Next()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !bytes.Equal(p.Data, w.data) || p.CapLen != len(w.data) || p.Length != w.length || !p.Time.Equal(w.time) ||
			p.Interface != w.ifidx || p.Frame != i+1 || p.Link != LinkEthernet {
			t.Errorf("packet %d: %d bytes %x, caplen %d, length %d, time %v, interface %d, frame %d;\nwant %d bytes %x, length %d, time %v, interface %d",
				i, len(p.Data), head(p.Data), p.CapLen, p.Length, p.Time, p.Interface, p.Frame, len(w.data), head(w.data), w.length, w.time, w.ifidx)
		}
		if cap(p.Data) != len(p.Data) {
			t.Errorf("packet %d: capacity %d beyond its %d bytes", i, cap(p.Data), len(p.Data))
		}
		switch st := *blockStatus(mem[:bs]); {
		case i == 3 && st != unix.TP_STATUS_USER:
			// The last packet of block 0 is still in use: the block is ours.
			t.Errorf("block 0 status %#x while its last packet is in use, want TP_STATUS_USER", st)
		case i == 4 && st != unix.TP_STATUS_KERNEL:
			// The first packet of block 1: block 0 was given back.
			t.Errorf("block 0 status %#x after its packets were used, want TP_STATUS_KERNEL", st)
		}
	}
	if _, err := s.Next(); err != ErrTimeout {
		t.Errorf("Next with no block ready: %v, want ErrTimeout", err)
	}
	if st := *blockStatus(mem[bs : 2*bs]); st != unix.TP_STATUS_KERNEL {
		t.Errorf("block 1 status %#x after its packets were used, want TP_STATUS_KERNEL", st)
	}
	if s.ring.given != 2 || s.ring.cur != 2 {
		t.Errorf("gave back %d blocks, waiting for block %d; want 2 and 2", s.ring.given, s.ring.cur)
	}
	// The kernel fills block 2, then block 0 again.
	fakeBlock(mem[2*bs:], []fakePkt{{data: f1, sec: 5}})
	fakeBlock(mem[:bs], []fakePkt{{data: f3, sec: 6}})
	for i, w := range [][]byte{f1, f3} {
		p, err := s.Next()
		if err != nil || !bytes.Equal(p.Data, w) || p.Frame != 6+i {
			t.Fatalf("after wrapping around, packet %d: %v %x frame %d", i, err, head(p.Data), p.Frame)
		}
	}
}

func head(b []byte) []byte { return b[:min(len(b), 20)] }

// TestRingSnaplen: the reader's snaplen cuts packets the kernel wrote
// longer (a raw filter may keep more than -s).
func TestRingSnaplen(t *testing.T) {
	const bs = 8192
	s, mem := fakeSource(t, 2, bs, 100, time.Millisecond)
	f := frameOf(500, 9)
	fakeBlock(mem[:bs], []fakePkt{{data: f}, {data: f, tci: 3}})
	p, err := s.Next()
	if err != nil || !bytes.Equal(p.Data, f[:100]) || p.CapLen != 100 || p.Length != 500 {
		t.Fatalf("%v: %d bytes, caplen %d, length %d; want 100, 100, 500", err, len(p.Data), p.CapLen, p.Length)
	}
	p, err = s.Next()
	if err != nil || !bytes.Equal(p.Data, tagged(f, 0x8100, 3)[:104]) || p.CapLen != 104 || p.Length != 504 {
		t.Fatalf("tagged: %v: %d bytes, caplen %d, length %d; want 104, 104, 504 (as recvmmsg does)", err, len(p.Data), p.CapLen, p.Length)
	}
}

// TestRingBadBlock: a block whose offsets do not add up gives an error,
// never a panic or a read past the block; reading goes on with the next.
func TestRingBadBlock(t *testing.T) {
	const bs = 4096
	for _, tc := range []struct {
		name  string
		spoil func(b []byte)
	}{
		{"first packet past the block", func(b []byte) {
			(*unix.TpacketHdrV1)(unsafe.Pointer(&b[blockStatusOff])).Offset_to_first_pkt = bs
		}},
		{"first packet header cut by the block end", func(b []byte) {
			(*unix.TpacketHdrV1)(unsafe.Pointer(&b[blockStatusOff])).Offset_to_first_pkt = bs - 50
		}},
		{"next offset past the block", func(b []byte) {
			(*unix.Tpacket3Hdr)(unsafe.Pointer(&b[48])).Next_offset = 1 << 31
		}},
		{"data past the block", func(b []byte) {
			(*unix.Tpacket3Hdr)(unsafe.Pointer(&b[48])).Snaplen = bs
		}},
		{"mac past the block", func(b []byte) {
			(*unix.Tpacket3Hdr)(unsafe.Pointer(&b[48])).Mac = 0xffff
		}},
		{"more packets than the chain holds", func(b []byte) {
			(*unix.TpacketHdrV1)(unsafe.Pointer(&b[blockStatusOff])).Num_pkts = 1000
		}},
	} {
		s, mem := fakeSource(t, 2, bs, DefaultSnaplen, time.Millisecond)
		fakeBlock(mem[:bs], []fakePkt{{data: frameOf(100, 1)}, {data: frameOf(100, 2)}})
		tc.spoil(mem[:bs])
		fakeBlock(mem[bs:], []fakePkt{{data: frameOf(64, 3)}})
		errs, got := 0, 0
		for range 10 {
			p, err := s.Next()
			if err == ErrTimeout {
				break
			}
			if err != nil {
				errs++
				continue
			}
			got++
			if len(p.Data) > 100 {
				t.Errorf("%s: a packet of %d bytes", tc.name, len(p.Data))
			}
		}
		if tc.name == "more packets than the chain holds" {
			if errs != 0 || got != 3 {
				t.Errorf("%s: %d packets, %d errors; want 3 packets (the chain ends at next_offset 0)", tc.name, got, errs)
			}
		} else if errs != 1 || got == 0 {
			t.Errorf("%s: %d packets, %d errors; want one error, then the next block", tc.name, got, errs)
		}
	}
}

// TestRingCloseWakesNext: Close from another goroutine makes a Next that
// waits for a block (with a read timeout of an hour) return io.EOF.
func TestRingCloseWakesNext(t *testing.T) {
	s, _ := fakeSource(t, 2, 4096, 1000, time.Hour)
	done := make(chan error, 1)
	go func() {
		_, err := s.Next()
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // most likely in poll by now; either way Next must end
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err != io.EOF {
			t.Errorf("Next after Close: %v, want io.EOF", err)
		}
	case <-time.After(30 * time.Second): // a safety net, not a timing assertion
		t.Fatal("Next still waiting after Close")
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("Next after Close: %v, want io.EOF", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestRingSetupFails: where the ring cannot be set up, newRing says which
// step failed, as a *ringError (openLive then takes recvmmsg).
func TestRingSetupFails(t *testing.T) {
	_, err := newRing(-1, 1<<20, 1500, time.Second)
	var re *ringError
	if !errors.As(err, &re) || re.step != "PACKET_VERSION" || !errors.Is(err, unix.EBADF) {
		t.Errorf("newRing on a bad fd: %v, want a *ringError at PACKET_VERSION wrapping EBADF", err)
	}
}

// BenchmarkRingNext is the cost of handing out one packet from the ring,
// block changes included (the kernel's part is not measured).
func BenchmarkRingNext(b *testing.B) {
	const bs, nb = 1 << 20, 4
	s, mem := fakeSource(b, nb, bs, DefaultSnaplen, time.Millisecond)
	var pkts []fakePkt
	for used := 48; used+fakeMac+120+16 < bs; used += (fakeMac + 120 + 15) &^ 15 {
		pkts = append(pkts, fakePkt{data: frameOf(120, byte(len(pkts))), sec: 1})
	}
	for i := range nb {
		fakeBlock(mem[i*bs:(i+1)*bs], pkts)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := s.Next()
		if err != nil {
			b.Fatal(err)
		}
		_ = p
		if s.ring.left == 0 {
			// Hand the block straight back as if the kernel had filled it
			// again: it is given back on the next call.
			prev := s.ring.cur
			s.ring.giveBack()
			*blockStatus(s.ring.block(prev)) = unix.TP_STATUS_USER
		}
	}
}
