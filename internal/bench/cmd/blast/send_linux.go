//go:build linux

package main

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sndBuf is the socket send buffer asked for (SO_SNDBUFFORCE, which needs
// CAP_NET_ADMIN; SO_SNDBUF otherwise, capped at net.core.wmem_max). The
// kernel charges every packet in flight to it, ring frames included.
const sndBuf = 8 << 20

// sender sends frames out of one interface.
type sender interface {
	// send hands frames to the kernel in order and returns how many it
	// took. When that is fewer than len(frames), err says why frames[n]
	// was not sent; nothing after it was sent either, and the caller may
	// send frames[n:] again.
	send(frames [][]byte) (int, error)
	describe() string
	close() error
}

// retryable reports whether a send that failed with err may be tried
// again: the device or the socket had no room for the packet just then.
func retryable(err error) bool {
	return errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EAGAIN) || errors.Is(err, errShort)
}

// openSocket makes a SOCK_RAW packet socket bound to ifindex with protocol
// 0, so that it receives nothing, and sends on it without an address.
// Frames are sent as they are, MAC header included; the kernel takes the
// protocol from the frame's EtherType.
func openSocket(ifindex int, bypass bool) (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("packet socket: %w (needs root or CAP_NET_RAW)", err)
	}
	fail := func(what string, err error) (int, error) {
		unix.Close(fd)
		return -1, fmt.Errorf("%s: %w", what, err)
	}
	if bypass {
		// Straight to the driver's transmit function, past the qdisc
		// layer and the taps of other packet sockets on the sending side
		// (packet_direct_xmit).
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1); err != nil {
			return fail("PACKET_QDISC_BYPASS", err)
		}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, sndBuf); err != nil {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, sndBuf); err != nil {
			return fail("SO_SNDBUF", err)
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifindex}); err != nil {
		return fail("bind", err)
	}
	return fd, nil
}

// openSender opens the sender for method on ifc; maxFrame is the length
// of the longest frame it will be given.
func openSender(ifc *net.Interface, method string, batch int, bypass bool, maxFrame int) (sender, error) {
	fd, err := openSocket(ifc.Index, bypass)
	if err != nil {
		return nil, err
	}
	note := ""
	if bypass {
		note = ", qdisc bypass"
	}
	switch method {
	case "mmsg":
		return newMmsg(fd, batch, note), nil
	case "ring":
		s, err := newTxRing(fd, batch, maxFrame, note)
		if err != nil {
			unix.Close(fd)
			return nil, err
		}
		return s, nil
	}
	unix.Close(fd)
	return nil, fmt.Errorf("unknown method %q (mmsg or ring)", method)
}

// mmsgSender sends with sendmmsg: up to batch frames a system call, each
// copied from our memory into a new socket buffer.
type mmsgSender struct {
	fd   int
	msgs []unix.Mmsghdr
	iovs []unix.Iovec
	note string
}

func newMmsg(fd, batch int, note string) *mmsgSender {
	s := &mmsgSender{fd: fd, msgs: make([]unix.Mmsghdr, batch), iovs: make([]unix.Iovec, batch), note: note}
	for i := range s.msgs {
		s.msgs[i].Hdr.Iov = &s.iovs[i]
		s.msgs[i].Hdr.Iovlen = 1
	}
	return s
}

func (s *mmsgSender) describe() string {
	return fmt.Sprintf("sendmmsg, up to %d frames a call%s", len(s.msgs), s.note)
}

func (s *mmsgSender) send(frames [][]byte) (int, error) {
	done := 0
	for done < len(frames) {
		n := min(len(frames)-done, len(s.msgs))
		for i, f := range frames[done : done+n] {
			s.iovs[i].Base = &f[0]
			s.iovs[i].SetLen(len(f))
		}
		r, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.msgs[0])), uintptr(n), 0, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			// sendmmsg fails only when the first message fails.
			return done, errno
		}
		done += int(r)
		if int(r) < n {
			// A later message failed: sendmmsg returns how many went
			// out and drops the error.
			return done, errShort
		}
	}
	return done, nil
}

// errShort is returned by mmsgSender.send when sendmmsg sent fewer frames
// than it was given: a frame after the first failed, for a reason the
// kernel does not report. Mostly ENOBUFS, as the counters of a veth show.
var errShort = errors.New("short sendmmsg")

func (s *mmsgSender) close() error { return unix.Close(s.fd) }

// TPACKET_V2 transmit ring (Documentation/networking/packet_mmap.rst in
// the kernel). Each frame of the ring starts with a struct tpacket2_hdr;
// the packet follows at tpacket2DataOff. A frame is ours while its status
// is TP_STATUS_AVAILABLE: we copy a packet in, set tp_len and the status
// TP_STATUS_SEND_REQUEST, and a send(2) with no data makes the kernel
// send every frame so marked, from its head on, in ring order. It builds
// each socket buffer around the ring's pages instead of copying the
// packet, and gives the frame back (TP_STATUS_AVAILABLE) when that buffer
// is freed: for a veth, once the peer has received it.
const (
	// tpacket2HdrLen is TPACKET_ALIGN(sizeof(struct tpacket2_hdr)).
	tpacket2HdrLen = unix.SizeofTpacket2Hdr
	// tpacket2DataOff is where the kernel reads a frame's packet from
	// (without PACKET_TX_HAS_OFF): tp_hdrlen minus sizeof(struct
	// sockaddr_ll), that is TPACKET_ALIGN(sizeof(struct tpacket2_hdr)).
	tpacket2DataOff = tpacket2HdrLen
	tpacketAlign    = unix.TPACKET_ALIGNMENT
	txBlockSize     = 64 << 10
)

type txRing struct {
	fd        int
	mem       []byte
	frameSize int
	frames    int
	batch     int // frames marked at most before each send
	head      int // the next frame to fill; the kernel's head too after each send
	note      string
}

// newTxRing sets up a ring of at least 2 x batch frames that each hold
// maxFrame bytes.
func newTxRing(fd, batch, maxFrame int, note string) (*txRing, error) {
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2); err != nil {
		return nil, fmt.Errorf("PACKET_VERSION: %w", err)
	}
	// A frame the kernel finds malformed is skipped (given back) instead
	// of stopping the ring for good; the frames are checked when loaded,
	// so this should not happen.
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_LOSS, 1); err != nil {
		return nil, fmt.Errorf("PACKET_LOSS: %w", err)
	}
	fs := 128
	for fs < tpacket2DataOff+maxFrame {
		fs <<= 1
	}
	bs := max(txBlockSize, fs)
	perBlock := bs / fs
	blocks := (2*batch + perBlock - 1) / perBlock
	req := unix.TpacketReq{Block_size: uint32(bs), Block_nr: uint32(blocks), Frame_size: uint32(fs), Frame_nr: uint32(blocks * perBlock)}
	if err := unix.SetsockoptTpacketReq(fd, unix.SOL_PACKET, unix.PACKET_TX_RING, &req); err != nil {
		return nil, fmt.Errorf("PACKET_TX_RING: %w", err)
	}
	mem, err := unix.Mmap(fd, 0, bs*blocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	return &txRing{fd: fd, mem: mem, frameSize: fs, frames: blocks * perBlock, batch: batch, note: note}, nil
}

func (r *txRing) describe() string {
	return fmt.Sprintf("TPACKET_V2 TX ring (%d frames of %d bytes), up to %d frames a send%s",
		r.frames, r.frameSize, r.batch, r.note)
}

// The frames of a block are contiguous and blocks are a whole number of
// frames here, so frame i is at i x frameSize.
func (r *txRing) frame(i int) []byte { return r.mem[i*r.frameSize : (i+1)*r.frameSize] }

func status(f []byte) *uint32 { return (*uint32)(unsafe.Pointer(&f[0])) }

// wait waits until frame i is ours again.
func (r *txRing) wait(i int) error {
	st := status(r.frame(i))
	if atomic.LoadUint32(st) == unix.TP_STATUS_AVAILABLE {
		return nil // the usual case: no clock read
	}
	deadline := time.Now().Add(time.Second)
	for {
		switch s := atomic.LoadUint32(st); s {
		case unix.TP_STATUS_AVAILABLE:
			return nil
		case unix.TP_STATUS_WRONG_FORMAT:
			return fmt.Errorf("TX ring frame %d: the kernel found it malformed", i)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("TX ring frame %d: not given back after 1 s (status %#x)", i, atomic.LoadUint32(st))
		}
		time.Sleep(10 * time.Microsecond)
	}
}

func (r *txRing) send(frames [][]byte) (int, error) {
	done := 0
	for done < len(frames) {
		start := r.head
		n := min(len(frames)-done, r.batch)
		for _, f := range frames[done : done+n] {
			if err := r.wait(r.head); err != nil {
				return done, err
			}
			fr := r.frame(r.head)
			copy(fr[tpacket2DataOff:], f)
			h := (*unix.Tpacket2Hdr)(unsafe.Pointer(&fr[0]))
			h.Len = uint32(len(f))
			h.Snaplen = uint32(len(f))
			atomic.StoreUint32(&h.Status, unix.TP_STATUS_SEND_REQUEST)
			r.head = (r.head + 1) % r.frames
		}
		// Blocking: returns once every frame marked was sent and given
		// back, or at the first that could not be sent.
		err := sendEmpty(r.fd)
		if err == nil {
			done += n
			continue
		}
		// The kernel stopped at the first frame it could not send and
		// left it, and those after it, marked; it will start from there
		// next time. Take them back, so the caller decides what is sent.
		sent := n
		for k := range n {
			i := (start + k) % r.frames
			if sent == n && atomic.LoadUint32(status(r.frame(i))) == unix.TP_STATUS_SEND_REQUEST {
				sent = k
				r.head = i
			}
			if sent < n {
				atomic.StoreUint32(status(r.frame(i)), unix.TP_STATUS_AVAILABLE)
			}
		}
		done += sent
		if sent == n {
			// The error came after the last frame went out (a wait for
			// the frames to come back that was cut short).
			continue
		}
		return done, err
	}
	return done, nil
}

// sendEmpty asks the kernel to send the frames marked in the TX ring.
func sendEmpty(fd int) error {
	for {
		_, _, errno := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), 0, 0, 0, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}

func (r *txRing) close() error {
	err := unix.Munmap(r.mem)
	if cerr := unix.Close(r.fd); err == nil {
		err = cerr
	}
	return err
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime() (user, sys time.Duration) {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
