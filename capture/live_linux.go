//go:build linux && !libpcap

package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/google/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// AF_PACKET capture, pure Go.
//
// Ethernet interfaces (and loopback) are read with a SOCK_RAW socket, so
// packets keep their MAC header (LinkEthernet) and a VLAN tag the kernel
// stripped is put back, as libpcap does. Other interfaces (tun, PPP,
// WireGuard, GRE, ...) and "any" are read with a SOCK_DGRAM socket: packets
// start at the IP header (LinkRaw). The filter is attached before the
// socket is bound, so no unfiltered packet is ever queued. Timestamps are
// the kernel's (SO_TIMESTAMPNS on both paths below).
//
// Packets are read from a TPACKET_V3 ring (live_ring_linux.go): the kernel
// writes them into blocks of 512 KiB mapped into our memory, and Next
// hands them out in place, without a system call or a copy, until a block
// is used up; only then does it give the block back and, if the next one
// is not full yet, wait in poll. The ring's size is BufferSize (-B; 32 MiB
// by default: 64 blocks). The kernel hands a block over when it is full,
// or at most 50 ms after the block's first packet came: on a quiet link
// packets wait at most 50 ms, and the ring lasts at least 64 x 50 ms =
// 3.2 s should the reader stall (longer at higher rates, up to 32 MiB of
// packets). A stripped VLAN tag is put back in place, in 4 bytes of
// headroom the kernel leaves in front of every packet (PACKET_RESERVE).
//
// Measured with internal/bench/live.sh and live-drain.sh on the project's
// 2-core VM (docs/performance.md): replaying 1M ESP packets at 300 000/s,
// ikescope pinned to one core used 0.8 to 0.9 s of CPU with the ring
// against 2.9 to 3.5 s with recvmmsg, and from a full ring one core reads
// and analyses 1.1 to 1.7 million packets/s (0.3 to 0.4 million with
// recvmmsg). The kernel's copy into the ring is made in the receive
// softirq, on the core the packet arrived on, and is not in those numbers.
//
// Where the ring cannot be set up (an old kernel, no memory for it, mmap
// refused), the socket is made again and read with recvmmsg in batches of
// 8, each packet copied out of the kernel into its own buffer with 4 bytes
// of headroom for the VLAN tag, which comes from PACKET_AUXDATA. Method says
// which path is in use, and why there is no ring.

// batchSize is the number of packets one recvmmsg call can return.
const batchSize = 8

// vlanRoom is the headroom kept in front of each packet so that a stripped
// 802.1Q tag can be put back without moving the packet.
const vlanRoom = 4

type afPacket struct {
	fd      int
	ifname  string
	link    uint32
	snaplen int
	filter  string
	method  string

	// mu is held by Next, LiveStats and Close, so that Close may come from
	// another goroutine: it sets closing and wakes a waiting Next first.
	mu      sync.Mutex
	closing atomic.Bool
	closed  bool

	ring *ring // nil: read with recvmmsg

	msgs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrLinklayer
	bufs  [][]byte
	oobs  [][]byte
	n, i  int // packets in the batch, next one to hand out

	pkt   Packet
	frame int
	stats LiveStats
}

var (
	cmsgHdrLen = unix.CmsgSpace(0)
	auxLen     = unix.CmsgSpace(int(unsafe.Sizeof(unix.TpacketAuxdata{})))
	tsLen      = unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{})))
)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func openLive(opt LiveOptions) (LiveSource, error) {
	if opt.Expression != "" {
		return nil, ErrNeedLibpcap
	}
	s := &afPacket{ifname: opt.Interface, snaplen: opt.Snaplen, fd: -1}
	ifindex, hwType := 0, uint16(0)
	if opt.Interface != AnyInterface {
		var err error
		if ifindex, hwType, err = interfaceInfo(opt.Interface); err != nil {
			return nil, err
		}
	}
	sockType := unix.SOCK_DGRAM
	s.link = LinkRaw
	if ifindex != 0 && (hwType == unix.ARPHRD_ETHER || hwType == unix.ARPHRD_LOOPBACK) {
		sockType = unix.SOCK_RAW
		s.link = LinkEthernet
	}
	prog := opt.Raw
	s.filter = "raw BPF program (" + itoa(uint32(len(prog))) + " instructions)"
	if prog == nil {
		extra := append(append([]uint16(nil), opt.IKEPorts...), opt.NATTPorts...)
		var err error
		if prog, err = BuiltinFilter(s.link, opt.Snaplen, extra); err != nil {
			return nil, fmt.Errorf("%s: filter: %w", opt.Interface, err)
		}
		s.filter = "built-in (UDP 500/4500"
		for _, p := range extra {
			s.filter += "/" + itoa(uint32(p))
		}
		s.filter += ", ESP, IP fragments)"
	}
	err := s.open(opt, sockType, ifindex, prog, true)
	var re *ringError
	if errors.As(err, &re) {
		// Not an error: the ring is faster, recvmmsg works everywhere.
		s.method = "recvmmsg (no TPACKET_V3 ring: " + re.Error() + ")"
		err = s.open(opt, sockType, ifindex, prog, false)
	}
	if err != nil {
		return nil, err
	}
	s.pkt.Link = s.link
	s.pkt.LinkType = layers.LinkType(s.link)
	return s, nil
}

// open makes the socket: with a ring, or set up for recvmmsg. A
// *ringError says that the ring could not be set up; the socket is closed
// then, as after any other error.
func (s *afPacket) open(opt LiveOptions, sockType, ifindex int, prog []bpf.RawInstruction, withRing bool) error {
	// Protocol 0: the socket receives nothing until it is bound, after the
	// filter (and the ring) are in place.
	fd, err := unix.Socket(unix.AF_PACKET, sockType|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s: packet socket: %w (live capture needs root or CAP_NET_RAW)", opt.Interface, err)
	}
	s.fd = fd
	fail := func(what string, err error) error {
		s.release()
		return fmt.Errorf("%s: %s: %w", opt.Interface, what, err)
	}
	if err := attachFilter(fd, prog); err != nil {
		return fail("attaching the filter", err)
	}
	if withRing {
		r, err := newRing(fd, opt.BufferSize, opt.Snaplen, opt.ReadTimeout)
		if err != nil {
			s.release()
			return err
		}
		s.ring = r
		s.method = r.describe()
	} else {
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
			return fail("PACKET_AUXDATA", err)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, opt.BufferSize); err != nil {
			// Without CAP_NET_ADMIN the buffer is capped at net.core.rmem_max.
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, opt.BufferSize); err != nil {
				return fail("SO_RCVBUF", err)
			}
		}
		tv := unix.NsecToTimeval(opt.ReadTimeout.Nanoseconds())
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return fail("SO_RCVTIMEO", err)
		}
		s.setupBatch()
	}
	// recvmmsg needs SO_TIMESTAMPNS for each packet's time. The ring has a
	// time anyway; with the option it is taken as the packet arrives
	// rather than as it is written into the ring.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fail("SO_TIMESTAMPNS", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}); err != nil {
		return fail("bind", err)
	}
	if !opt.NoPromisc && ifindex != 0 {
		mreq := unix.PacketMreq{Ifindex: int32(ifindex), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return fail("promiscuous mode", err)
		}
	}
	return nil
}

// release unmaps the ring and closes the socket.
func (s *afPacket) release() error {
	if s.ring != nil {
		s.ring.close()
		s.ring = nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	return err
}

// interfaceInfo returns the index and ARPHRD hardware type of an interface,
// asked through ioctls on a packet socket so that the answer comes from the
// network namespace the capture runs in.
func interfaceInfo(name string) (int, uint16, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: packet socket: %w (live capture needs root or CAP_NET_RAW)", name, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return 0, 0, fmt.Errorf("%s: no such interface", name)
		}
		return 0, 0, fmt.Errorf("%s: %w", name, err)
	}
	index := int(ifr.Uint32())
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, 0, fmt.Errorf("%s: hardware type: %w", name, err)
	}
	// ifr_hwaddr is a struct sockaddr: sa_family holds the ARPHRD type.
	return index, ifr.Uint16(), nil
}

func attachFilter(fd int, prog []bpf.RawInstruction) error {
	if len(prog) == 0 {
		return errors.New("empty program")
	}
	f := make([]unix.SockFilter, len(prog))
	for i, in := range prog {
		f[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]})
}

func (s *afPacket) setupBatch() {
	s.msgs = make([]unix.Mmsghdr, batchSize)
	s.iovs = make([]unix.Iovec, batchSize)
	s.names = make([]unix.RawSockaddrLinklayer, batchSize)
	s.bufs = make([][]byte, batchSize)
	s.oobs = make([][]byte, batchSize)
	for i := range s.msgs {
		s.bufs[i] = make([]byte, vlanRoom+s.snaplen)
		s.oobs[i] = make([]byte, auxLen+tsLen)
		s.iovs[i].Base = &s.bufs[i][vlanRoom]
		s.iovs[i].SetLen(s.snaplen)
	}
}

// Next implements Source.
func (s *afPacket) Next() (*Packet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, io.EOF
	}
	if s.ring != nil {
		return s.nextRing()
	}
	for {
		if s.i >= s.n {
			if err := s.fill(); err != nil {
				return nil, err
			}
		}
		i := s.i
		s.i++
		if p := s.parse(i); p != nil {
			return p, nil
		}
	}
}

// fill reads a batch: it blocks up to the read timeout for the first
// packet, then takes whatever else is queued.
func (s *afPacket) fill() error {
	for i := range s.msgs {
		h := &s.msgs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&s.names[i]))
		h.Namelen = uint32(unsafe.Sizeof(s.names[i]))
		h.Iov = &s.iovs[i]
		h.Iovlen = 1
		h.Control = &s.oobs[i][0]
		h.SetControllen(len(s.oobs[i]))
		h.Flags = 0
		s.msgs[i].Len = 0
	}
	for {
		n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.msgs[0])), uintptr(len(s.msgs)),
			uintptr(unix.MSG_WAITFORONE), 0, 0)
		switch errno {
		case 0:
			s.n, s.i = int(n), 0
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if s.closing.Load() {
				return io.EOF // Close is waiting
			}
			return ErrTimeout
		}
		return fmt.Errorf("%s: reading packets: %w", s.ifname, errno)
	}
}

// parse fills s.pkt from message i; nil means skip the packet.
func (s *afPacket) parse(i int) *Packet {
	m := &s.msgs[i]
	sa := &s.names[i]
	if sa.Hatype == unix.ARPHRD_LOOPBACK && sa.Pkttype == unix.PACKET_OUTGOING {
		// Loopback shows every packet twice, going out and coming in;
		// libpcap keeps the incoming copy only.
		return nil
	}
	buf := s.bufs[i]
	capLen := int(m.Len)
	if capLen > s.snaplen {
		capLen = s.snaplen
	}
	p := &s.pkt
	p.Time = time.Time{}
	p.Length = capLen
	var vlan, tpid uint16
	haveVLAN := false
	oob := s.oobs[i][:m.Hdr.Controllen]
	for len(oob) >= cmsgHdrLen {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if int(h.Len) < cmsgHdrLen || int(h.Len) > len(oob) {
			break
		}
		data := oob[cmsgHdrLen:h.Len]
		switch {
		case h.Level == unix.SOL_PACKET && h.Type == unix.PACKET_AUXDATA && len(data) >= int(unsafe.Sizeof(unix.TpacketAuxdata{})):
			aux := (*unix.TpacketAuxdata)(unsafe.Pointer(&data[0]))
			p.Length = int(aux.Len)
			if aux.Status&unix.TP_STATUS_VLAN_VALID != 0 || aux.Vlan_tci != 0 {
				haveVLAN, vlan, tpid = true, aux.Vlan_tci, vlanTPID(aux.Status, aux.Vlan_tpid)
			}
		case h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && len(data) >= int(unsafe.Sizeof(unix.Timespec{})):
			ts := (*unix.Timespec)(unsafe.Pointer(&data[0]))
			p.Time = time.Unix(int64(ts.Sec), int64(ts.Nsec))
		}
		adv := unix.CmsgSpace(int(h.Len) - cmsgHdrLen)
		if adv > len(oob) {
			break
		}
		oob = oob[adv:]
	}
	if p.Time.IsZero() {
		p.Time = time.Now()
	}
	data := buf[vlanRoom : vlanRoom+capLen]
	if haveVLAN && s.link == LinkEthernet && capLen >= 12 {
		data = tagInHeadroom(buf, vlanRoom, capLen, tpid, vlan)
		p.Length += vlanRoom
	}
	return s.handOut(data, int(sa.Ifindex))
}

// vlanTPID is the TPID of a tag the kernel stripped: the one it reports,
// or 802.1Q's.
func vlanTPID(status uint32, tpid uint16) uint16 {
	if status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
		return tpid
	}
	return 0x8100
}

// tagInHeadroom puts a tag the kernel stripped back between the MAC
// addresses and the EtherType of the capLen bytes at mac in b, by moving
// the MAC addresses into the vlanRoom bytes in front of them, and returns
// the tagged frame.
func tagInHeadroom(b []byte, mac, capLen int, tpid, tci uint16) []byte {
	start := mac - vlanRoom
	copy(b[start:start+12], b[mac:mac+12])
	binary.BigEndian.PutUint16(b[start+12:start+14], tpid)
	binary.BigEndian.PutUint16(b[start+14:start+16], tci)
	return b[start : mac+capLen : mac+capLen]
}

// handOut completes s.pkt, whose Time and Length are set, with data and
// its frame number: the last step of both ways of reading.
func (s *afPacket) handOut(data []byte, ifindex int) *Packet {
	p := &s.pkt
	if p.Length < len(data) {
		p.Length = len(data)
	}
	s.frame++
	p.Frame = s.frame
	p.Data = data
	p.CapLen = len(data)
	p.Interface = ifindex
	return p
}

// LiveStats implements LiveSource. The kernel resets its counters on every
// read; they are added up here.
func (s *afPacket) LiveStats() (LiveStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.liveStats()
}

func (s *afPacket) liveStats() (LiveStats, error) {
	if s.closed {
		return s.stats, nil
	}
	if s.ring != nil {
		// With a TPACKET_V3 ring the kernel answers with tpacket_stats_v3.
		st, err := unix.GetsockoptTpacketStatsV3(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
		if err != nil {
			return s.stats, fmt.Errorf("%s: PACKET_STATISTICS: %w", s.ifname, err)
		}
		s.stats.Received += uint64(st.Packets)
		s.stats.Dropped += uint64(st.Drops)
		s.stats.Freezes += uint64(st.Freeze_q_cnt)
		return s.stats, nil
	}
	st, err := unix.GetsockoptTpacketStats(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return s.stats, fmt.Errorf("%s: PACKET_STATISTICS: %w", s.ifname, err)
	}
	s.stats.Received += uint64(st.Packets)
	s.stats.Dropped += uint64(st.Drops)
	return s.stats, nil
}

func (s *afPacket) Link() uint32   { return s.link }
func (s *afPacket) Snaplen() int   { return s.snaplen }
func (s *afPacket) Filter() string { return s.filter }
func (s *afPacket) Method() string { return s.method }

// Close implements Source. Called from another goroutine while Next waits
// for packets, it makes that Next return io.EOF (at once with the ring,
// within the read timeout with recvmmsg), then closes.
func (s *afPacket) Close() error {
	if s.closing.Swap(true) {
		// Closed already, or another Close is under way: wait for it
		// (it holds the lock until it is done).
		s.mu.Lock()
		defer s.mu.Unlock()
		return nil
	}
	if s.ring != nil {
		s.ring.wake()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.liveStats()
	s.closed = true
	return s.release()
}
