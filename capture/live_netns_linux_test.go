//go:build linux && !libpcap

package capture

// Tests of the AF_PACKET source on a real socket: two network namespaces
// made here, joined by a veth; frames written into one end with a packet
// socket are captured on the other. No address is configured and IPv6 is
// off, so the test's frames are all there is on the link. They carry
// documentation addresses only (192.0.2.1, 198.51.100.1).

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// requireNetns makes the tests below fail instead of skipping when they
// cannot make namespaces (as in cmd/ikescope).
var requireNetns = os.Getenv("IKESCOPE_REQUIRE_NETNS") == "1"

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if requireNetns {
		t.Fatalf("IKESCOPE_REQUIRE_NETNS=1: %s", msg)
	}
	t.Skipf("%s (set IKESCOPE_REQUIRE_NETNS=1 to make this a failure)", msg)
}

// veth is two namespaces joined by a veth: frames are sent from A and
// captured in B.
type veth struct {
	nsA, nsB, ifA, ifB string
	ip                 func(args ...string) error
	sendFD             int
}

func newVeth(t *testing.T) *veth {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "not root: cannot create network namespaces")
	}
	ipPath, err := exec.LookPath("ip")
	if err != nil {
		skipOrFail(t, "iproute2 (ip) not installed")
	}
	// "ikcap": not the prefixes of cmd/ikescope's tests ("iklive") and
	// testdata/gen ("iks"), whose namespaces may exist at the same time.
	id := strconv.Itoa(os.Getpid() % 100000)
	v := &veth{nsA: "ikcap" + id + "a", nsB: "ikcap" + id + "b", ifA: "ikcap" + id + "a0", ifB: "ikcap" + id + "b0", sendFD: -1}
	v.ip = func(args ...string) error {
		out, err := exec.Command(ipPath, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
		return nil
	}
	for _, ns := range []string{v.nsA, v.nsB} {
		if err := v.ip("netns", "add", ns); err != nil {
			skipOrFail(t, "cannot create a network namespace: %v", err)
		}
		t.Cleanup(func() {
			for range 20 {
				if v.ip("netns", "del", ns) == nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Errorf("cannot delete network namespace %s", ns)
		})
	}
	for _, s := range [][]string{
		{"link", "add", v.ifA, "netns", v.nsA, "type", "veth", "peer", "name", v.ifB, "netns", v.nsB},
		{"netns", "exec", v.nsA, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"},
		{"netns", "exec", v.nsB, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"},
		{"-n", v.nsA, "link", "set", v.ifA, "address", "02:00:00:00:00:01", "mtu", "9000", "up"},
		{"-n", v.nsB, "link", "set", v.ifB, "address", "02:00:00:00:00:02", "mtu", "9000", "up"},
	} {
		if err := v.ip(s...); err != nil {
			if s[0] == "netns" { // sysctl missing: not fatal
				t.Log(err)
				continue
			}
			skipOrFail(t, "cannot set up the veth pair: %v", err)
		}
	}
	err = inNetns(v.nsA, func() error {
		ifi, err := interfaceIndex(v.ifA)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi}); err != nil {
			unix.Close(fd)
			return err
		}
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 8<<20)
		v.sendFD = fd
		return nil
	})
	if err != nil {
		t.Fatalf("sender socket in %s: %v", v.nsA, err)
	}
	t.Cleanup(func() { unix.Close(v.sendFD) })
	return v
}

func interfaceIndex(name string) (int, error) {
	i, _, err := interfaceInfo(name)
	return i, err
}

// inNetns runs f on an OS thread switched into the named namespace; the
// thread ends with the goroutine, so nothing else ever runs there.
func inNetns(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer h.Close()
		if err := unix.Setns(int(h.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

func (v *veth) send(t *testing.T, frame []byte) {
	t.Helper()
	for {
		_, err := unix.Write(v.sendFD, frame)
		if err == unix.ENOBUFS || err == unix.EAGAIN || err == unix.EINTR {
			time.Sleep(50 * time.Microsecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
}

// open starts a capture in B, on B's end of the veth unless opt names
// another interface.
func (v *veth) open(t *testing.T, opt LiveOptions) *afPacket {
	t.Helper()
	if opt.Interface == "" {
		opt.Interface = v.ifB
	}
	var src LiveSource
	err := inNetns(v.nsB, func() error {
		var err error
		src, err = OpenLive(opt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src.(*afPacket)
}

// withoutRing runs f with the ring's setup failing, as on a kernel
// without TPACKET_V3.
func withoutRing(f func()) {
	testNoRing = errors.New("disabled by the test")
	defer func() { testNoRing = nil }()
	f()
}

// ikeFrame is an Ethernet frame of n bytes carrying UDP 500 (the built-in
// filter passes it) with seq in its first payload bytes; dns is the same
// to UDP 53 (the filter drops it).
func ikeFrame(t *testing.T, n int, seq uint32, dns bool) []byte {
	sport, dport := uint16(500), uint16(500)
	if dns {
		sport, dport = 40000, 53
	}
	const hdr = 14 + 20 + 8
	payload := make([]byte, max(n-hdr, 4))
	binary.BigEndian.PutUint32(payload, seq)
	for i := 4; i < len(payload); i++ {
		payload[i] = byte(seq) + byte(i)
	}
	return pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), udp(sport, dport), gopacket.Payload(payload))
}

// insertTags puts VLAN tags (outermost first) after the MAC addresses.
func insertTags(f []byte, tags ...[2]uint16) []byte {
	out := append([]byte(nil), f[:12]...)
	for _, tg := range tags {
		out = binary.BigEndian.AppendUint16(out, tg[0])
		out = binary.BigEndian.AppendUint16(out, tg[1])
	}
	return append(out, f[12:]...)
}

// readN reads until n packets came or the capture was quiet for a while
// (a safety net: the tests send exactly what they then expect).
func readN(t *testing.T, s *afPacket, n int) []Packet {
	t.Helper()
	var got []Packet
	quiet := 0
	for len(got) < n && quiet < 100 {
		p, err := s.Next()
		if err == ErrTimeout {
			quiet++
			continue
		}
		if err != nil {
			t.Fatalf("Next after %d packets: %v", len(got), err)
		}
		quiet = 0
		c := *p
		c.Data = append([]byte(nil), p.Data...)
		got = append(got, c)
	}
	return got
}

// TestLiveCapture sends frames of many sizes, some VLAN-tagged (802.1Q
// and 802.1ad), between frames the filter must drop: every frame that
// passes comes out whole, in order, tags back in place, with its length
// and a kernel timestamp of its own, taken after it was sent; the kernel counts
// them all and drops none. Then the same with a snaplen of 100, and with
// a raw program that keeps 200 bytes of everything.
func TestLiveCapture(t *testing.T) {
	v := newVeth(t)
	for _, ring := range []bool{true, false} {
		for _, tc := range []struct {
			name    string
			opt     LiveOptions
			keepDNS bool
			cut     int // bytes kept of the frame without its outer tag
		}{
			{name: "default"},
			{name: "snaplen 100", opt: LiveOptions{Snaplen: 100}, cut: 100},
			{name: "raw filter keeps 200 bytes", opt: LiveOptions{Raw: []bpf.RawInstruction{{Op: 6, K: 200}}}, keepDNS: true, cut: 200},
		} {
			name := map[bool]string{true: "ring", false: "recvmmsg"}[ring] + "/" + tc.name
			t.Run(name, func(t *testing.T) {
				s := openPath(t, v, tc.opt, ring)
				var want [][]byte
				var cut []int
				var sentAt []time.Time
				for i := range 300 {
					f := ikeFrame(t, 60+(i*37)%1400, uint32(i), false)
					outer := 0
					switch i % 10 {
					case 3:
						f = insertTags(f, [2]uint16{0x8100, 100})
						outer = 4
					case 7:
						f = insertTags(f, [2]uint16{0x88a8, 10}, [2]uint16{0x8100, 20})
						outer = 4
					}
					sentAt = append(sentAt, time.Now())
					v.send(t, f)
					want = append(want, f)
					cut = append(cut, min(len(f), tc.cut+outer))
					dns := ikeFrame(t, 100, uint32(i), true)
					if tc.keepDNS {
						sentAt = append(sentAt, time.Now())
						want = append(want, dns)
						cut = append(cut, min(len(dns), tc.cut))
					}
					v.send(t, dns)
				}
				got := readN(t, s, len(want))
				end := time.Now()
				if len(got) != len(want) {
					t.Fatalf("captured %d packets, want %d", len(got), len(want))
				}
				for i, p := range got {
					w := want[i]
					if tc.cut != 0 {
						w = w[:cut[i]]
					}
					if !bytes.Equal(p.Data, w) || p.CapLen != len(w) || p.Length != len(want[i]) || p.Frame != i+1 || p.Link != LinkEthernet {
						t.Fatalf("packet %d: %d bytes (caplen %d, length %d, frame %d) %x\nwant %d bytes (length %d) %x",
							i, len(p.Data), p.CapLen, p.Length, p.Frame, head(p.Data), len(w), len(want[i]), head(w))
					}
					// The kernel's clock is the one time.Now reads: each
					// packet's stamp is its own, taken after it was sent and
					// before it was read. (Not necessarily in order: until
					// the kernel's deferred work switches arrival stamps on,
					// recvmmsg stamps packets as it reads them.)
					if p.Time.Before(sentAt[i]) || p.Time.After(end) {
						t.Fatalf("packet %d: time %v, not in [%v, %v]", i, p.Time, sentAt[i], end)
					}
				}
				st, err := s.LiveStats()
				if err != nil || st.Received != uint64(len(want)) || st.Dropped != 0 || st.Freezes != 0 {
					t.Errorf("stats %+v (%v), want %d received, none dropped", st, err, len(want))
				}
			})
		}
	}
}

// openPath opens a capture on v, with the ring or without, and checks that
// Method names the path in use.
func openPath(t *testing.T, v *veth, opt LiveOptions, ring bool) *afPacket {
	t.Helper()
	var s *afPacket
	if ring {
		s = v.open(t, opt)
	} else {
		withoutRing(func() { s = v.open(t, opt) })
	}
	switch m := s.Method(); {
	case ring && (s.ring == nil || !strings.HasPrefix(m, "TPACKET_V3 ring (")):
		t.Fatalf("not reading from the ring: %q", m)
	case !ring && (s.ring != nil || m != "recvmmsg (no TPACKET_V3 ring: test: disabled by the test)"):
		t.Fatalf("not reading with recvmmsg: %q", m)
	}
	return s
}

// TestLiveRingRollover sends three times what the smallest ring (4 blocks
// of 512 KiB) holds, in bursts of a third of it while a goroutine reads:
// the blocks go round the ring and back to the kernel, and as the reader
// is waited for between bursts, nothing is dropped.
func TestLiveRingRollover(t *testing.T) {
	v := newVeth(t)
	s := openPath(t, v, LiveOptions{BufferSize: 1}, true)
	if s.ring.blocks != ringMinBlocks || s.ring.blockSize != ringBlockSize {
		t.Fatalf("ring of %d blocks of %d bytes, want %d of %d", s.ring.blocks, s.ring.blockSize, ringMinBlocks, ringBlockSize)
	}
	const size = 1000
	perBlock := (ringBlockSize - 48) / ((fakeMac + size + 15) &^ 15)
	total := 3 * ringMinBlocks * perBlock
	burst := ringMinBlocks * perBlock / 3
	var read atomic.Int64
	done := make(chan error, 1)
	go func() {
		for n := 0; n < total; {
			p, err := s.Next()
			if err == ErrTimeout {
				continue
			}
			if err != nil {
				done <- err
				return
			}
			if seq := binary.BigEndian.Uint32(p.Data[42:]); int(seq) != n || len(p.Data) != size {
				done <- fmt.Errorf("packet %d: sequence number %d, %d bytes", n, seq, len(p.Data))
				return
			}
			n++
			read.Store(int64(n))
		}
		done <- nil
	}()
	for sent := 0; sent < total; {
		for range min(burst, total-sent) {
			v.send(t, ikeFrame(t, size, uint32(sent), false))
			sent++
		}
		// Wait for the reader (a safety net bounds the wait, not a timing
		// assertion).
		for deadline := time.Now().Add(30 * time.Second); read.Load() < int64(sent); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the reader is stuck at %d of %d packets sent", read.Load(), sent)
			}
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, err := s.LiveStats()
	if err != nil || st.Received != uint64(total) || st.Dropped != 0 || st.Freezes != 0 {
		t.Errorf("stats %+v (%v), want %d received, none dropped", st, err, total)
	}
	if s.ring.given < 3*ringMinBlocks {
		t.Errorf("%d blocks given back to the kernel, want at least %d (three times round the ring)", s.ring.given, 3*ringMinBlocks)
	}
}

// TestLiveCloseWakesNext: Close from another goroutine ends a Next that
// waits for packets: at once with the ring (whose read timeout is an hour
// here), within the read timeout with recvmmsg.
func TestLiveCloseWakesNext(t *testing.T) {
	v := newVeth(t)
	for _, ring := range []bool{true, false} {
		t.Run(map[bool]string{true: "ring", false: "recvmmsg"}[ring], func(t *testing.T) {
			timeout := time.Hour
			if !ring {
				timeout = 200 * time.Millisecond
			}
			s := openPath(t, v, LiveOptions{ReadTimeout: timeout}, ring)
			done := make(chan error, 1)
			go func() {
				for {
					_, err := s.Next()
					if err != ErrTimeout {
						done <- err
						return
					}
				}
			}()
			time.Sleep(50 * time.Millisecond) // most likely waiting by now; either way Next must end
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			select {
			case err := <-done:
				if err != io.EOF {
					t.Errorf("Next: %v, want io.EOF", err)
				}
			case <-time.After(30 * time.Second): // a safety net, not a timing assertion
				t.Fatal("Next still waiting after Close")
			}
			if _, err := s.LiveStats(); err != nil {
				t.Errorf("LiveStats after Close: %v", err)
			}
		})
	}
}

// TestLiveInterfaceDown: when the interface goes down, a waiting Next
// returns the socket's error (ENETDOWN), on the ring as with recvmmsg.
func TestLiveInterfaceDown(t *testing.T) {
	for _, ring := range []bool{true, false} {
		t.Run(map[bool]string{true: "ring", false: "recvmmsg"}[ring], func(t *testing.T) {
			v := newVeth(t)
			s := openPath(t, v, LiveOptions{}, ring)
			done := make(chan error, 1)
			go func() {
				for {
					_, err := s.Next()
					if err != ErrTimeout {
						done <- err
						return
					}
				}
			}()
			if err := v.ip("-n", v.nsB, "link", "set", v.ifB, "down"); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if !errors.Is(err, unix.ENETDOWN) || !strings.Contains(err.Error(), v.ifB) {
					t.Errorf("Next: %v, want ENETDOWN naming %s", err, v.ifB)
				}
			case <-time.After(30 * time.Second): // a safety net, not a timing assertion
				t.Fatal("Next still waiting after the interface went down")
			}
		})
	}
}

// TestLiveAny captures on "any" (a SOCK_DGRAM socket: packets start at
// the IP header, link type raw): every frame's IP packet comes out whole
// and in order, on the ring as with recvmmsg.
func TestLiveAny(t *testing.T) {
	v := newVeth(t)
	for _, ring := range []bool{true, false} {
		t.Run(map[bool]string{true: "ring", false: "recvmmsg"}[ring], func(t *testing.T) {
			s := openPath(t, v, LiveOptions{Interface: AnyInterface}, ring)
			if s.Link() != LinkRaw {
				t.Fatalf("link type %d, want raw (%d)", s.Link(), LinkRaw)
			}
			var want [][]byte
			for i := range 50 {
				f := ikeFrame(t, 60+i*29, uint32(i), false)
				v.send(t, f)
				v.send(t, ikeFrame(t, 100, uint32(i), true))
				want = append(want, f[14:])
			}
			got := readN(t, s, len(want))
			if len(got) != len(want) {
				t.Fatalf("captured %d packets, want %d", len(got), len(want))
			}
			for i, p := range got {
				if !bytes.Equal(p.Data, want[i]) || p.Length != len(want[i]) || p.Link != LinkRaw {
					t.Fatalf("packet %d: %d bytes (length %d, link %d) %x\nwant %d bytes %x", i, len(p.Data), p.Length, p.Link,
						head(p.Data), len(want[i]), head(want[i]))
				}
			}
		})
	}
}
