//go:build linux && !libpcap

package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The TPACKET_V3 receive ring (Documentation/networking/packet_mmap.rst in
// the kernel). The kernel fills the blocks in turn, each with as many
// packets as fit; a block becomes ours when the kernel sets TP_STATUS_USER
// in its header (when it is full, or at most ringBlockTimeout after its
// first packet came), and goes back when we set TP_STATUS_KERNEL. Should
// the kernel come to a block that is still ours, it drops packets until
// the block is given back (PACKET_STATISTICS counts the drops, and
// freeze_q_cnt the times this began).

const (
	// ringBlockSize is the size of a block: it holds about 2 200 ESP
	// packets of 150 bytes, or one packet of the largest snaplen.
	ringBlockSize = 512 << 10
	// ringMinBlocks and ringMaxBlocks bound the number of blocks.
	ringMinBlocks = 4
	ringMaxBlocks = 1 << 16
	// ringBlockTimeout bounds how long after its first packet the kernel
	// hands over a block that is not full (tp_retire_blk_tov). It must
	// stay well below the read timeout: after SIGINT, live reads until one
	// read timeout passes without a packet, and a packet sitting in a
	// block not handed over yet must still come out.
	ringBlockTimeout = 50 * time.Millisecond
	// ringFrameRoom bounds what the kernel puts in front of a packet's
	// data: the block's header, tpacket3_hdr, sockaddr_ll, the alignment
	// and PACKET_RESERVE.
	ringFrameRoom = 256

	// tpacket3HdrLen is TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): where
	// the kernel puts the packet's struct sockaddr_ll.
	tpacket3HdrLen = unix.SizeofTpacket3Hdr
	sockaddrLLLen  = unix.SizeofSockaddrLinklayer
	// blockStatusOff is the offset of block_status in a block: struct
	// tpacket_block_desc begins with version and offset_to_priv, then
	// struct tpacket_hdr_v1 (unix.TpacketHdrV1).
	blockStatusOff = 8
)

// testNoRing, when a test sets it, stands for a failure to set up the
// ring, so that openLive takes the recvmmsg path.
var testNoRing error

// ringError says which step of setting up the ring failed.
type ringError struct {
	step string
	err  error
}

func (e *ringError) Error() string { return e.step + ": " + e.err.Error() }
func (e *ringError) Unwrap() error { return e.err }

// ring is a TPACKET_V3 receive ring mapped into memory.
type ring struct {
	mem       []byte
	mapped    bool // mem is the kernel's mapping (not a test's slice)
	blockSize int
	blocks    int
	timeout   time.Duration // the read timeout
	efd       int           // eventfd: Close writes to it to wake a waiting Next
	pfd       [2]unix.PollFd

	cur     int    // index of the block being read, or waited for
	blk     []byte // that block while it is ours, else nil
	left    int    // packets of blk not handed out yet
	off     int    // offset in blk of the next packet's tpacket3_hdr
	given   uint64 // blocks given back to the kernel
	scratch []byte // a VLAN-tagged packet that had no headroom
}

// newRing sets up a ring of about size bytes on the packet socket fd,
// before it is bound.
func newRing(fd, size, snaplen int, readTimeout time.Duration) (*ring, error) {
	if testNoRing != nil {
		return nil, &ringError{"test", testNoRing}
	}
	bs := ringBlockSize
	for bs < snaplen+ringFrameRoom {
		bs <<= 1
	}
	n := size / bs
	if size%bs != 0 {
		n++
	}
	n = min(max(n, ringMinBlocks), ringMaxBlocks)
	tov := min(ringBlockTimeout, readTimeout/2)
	tovMS := max(tov.Milliseconds(), 1)
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return nil, &ringError{"PACKET_VERSION", err}
	}
	// Headroom in front of each packet for a VLAN tag (insertVLAN).
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_RESERVE, vlanRoom); err != nil {
		return nil, &ringError{"PACKET_RESERVE", err}
	}
	// TPACKET_V3 places packets one after another in a block; the frame
	// size only has to divide the block, so a block is one frame.
	req := unix.TpacketReq3{Block_size: uint32(bs), Block_nr: uint32(n), Frame_size: uint32(bs), Frame_nr: uint32(n),
		Retire_blk_tov: uint32(tovMS)}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return nil, &ringError{"PACKET_RX_RING", err}
	}
	mem, err := unix.Mmap(fd, 0, bs*n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, &ringError{"mmap", err}
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Munmap(mem)
		return nil, &ringError{"eventfd", err}
	}
	r := newRingOver(mem, bs, fd, efd, readTimeout)
	r.mapped = true
	return r, nil
}

// newRingOver reads the blocks of blockSize bytes in mem, waiting on the
// socket fd and the eventfd efd.
func newRingOver(mem []byte, blockSize, fd, efd int, readTimeout time.Duration) *ring {
	r := &ring{mem: mem, blockSize: blockSize, blocks: len(mem) / blockSize, timeout: readTimeout, efd: efd}
	r.pfd[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	r.pfd[1] = unix.PollFd{Fd: int32(efd), Events: unix.POLLIN}
	return r
}

func (r *ring) describe() string {
	return "TPACKET_V3 ring (" + sizeText(r.blocks*r.blockSize) + ": " + strconv.Itoa(r.blocks) + " blocks of " +
		sizeText(r.blockSize) + ")"
}

func sizeText(n int) string {
	if n%(1<<20) == 0 {
		return strconv.Itoa(n>>20) + " MiB"
	}
	return strconv.Itoa(n>>10) + " KiB"
}

// block returns block i.
func (r *ring) block(i int) []byte {
	return r.mem[i*r.blockSize : (i+1)*r.blockSize : (i+1)*r.blockSize]
}

// blockStatus points at a block's block_status, the word the kernel and
// we hand the block over with.
func blockStatus(b []byte) *uint32 { return (*uint32)(unsafe.Pointer(&b[blockStatusOff])) }

// nextRing is Next with the ring. The packet handed out last lies in the
// block being read: the block goes back to the kernel on the call after
// its last packet was handed out, when the caller is done with it.
func (s *afPacket) nextRing() (*Packet, error) {
	r := s.ring
	for {
		for r.left > 0 {
			p, err := s.ringPacket()
			if p != nil || err != nil {
				return p, err
			}
		}
		if r.blk != nil {
			r.giveBack()
		}
		if err := r.take(&s.closing); err != nil {
			if err == ErrTimeout || err == io.EOF {
				return nil, err
			}
			return nil, fmt.Errorf("%s: reading packets: %w", s.ifname, err)
		}
	}
}

// take makes the next block ours, waiting up to the read timeout for the
// kernel to hand it over. It returns ErrTimeout when the time is up, and
// io.EOF when Close is waiting.
func (r *ring) take(closing *atomic.Bool) error {
	var deadline time.Time
	for {
		b := r.block(r.cur)
		// The kernel writes the block, then (after a write barrier) its
		// status: the atomic load orders our reads of the block after it.
		if atomic.LoadUint32(blockStatus(b))&unix.TP_STATUS_USER != 0 {
			h := (*unix.TpacketHdrV1)(unsafe.Pointer(&b[blockStatusOff]))
			r.blk, r.left, r.off = b, int(h.Num_pkts), int(h.Offset_to_first_pkt)
			return nil
		}
		if closing.Load() {
			return io.EOF
		}
		wait := r.timeout
		if deadline.IsZero() {
			deadline = time.Now().Add(wait)
		} else if wait = time.Until(deadline); wait <= 0 {
			return ErrTimeout
		}
		r.pfd[0].Revents, r.pfd[1].Revents = 0, 0
		_, err := unix.Poll(r.pfd[:], int((wait+time.Millisecond-1)/time.Millisecond))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return fmt.Errorf("poll: %w", err)
		case r.pfd[1].Revents != 0:
			return io.EOF // only Close writes to the eventfd
		case r.pfd[0].Revents&(unix.POLLERR|unix.POLLNVAL) != 0:
			// An error on the socket (ENETDOWN when the interface goes
			// down), as recvmmsg would return it.
			e, err := unix.GetsockoptInt(int(r.pfd[0].Fd), unix.SOL_SOCKET, unix.SO_ERROR)
			if err != nil {
				return err
			}
			if e == 0 {
				return fmt.Errorf("poll: revents %#x", r.pfd[0].Revents)
			}
			return unix.Errno(e)
		}
	}
}

// giveBack returns the block being read to the kernel.
func (r *ring) giveBack() {
	atomic.StoreUint32(blockStatus(r.blk), unix.TP_STATUS_KERNEL)
	r.blk, r.left = nil, 0
	if r.cur++; r.cur == r.blocks {
		r.cur = 0
	}
	r.given++
}

// ringPacket fills s.pkt from the next packet of the block being read; nil
// and no error means skip the packet.
func (s *afPacket) ringPacket() (*Packet, error) {
	r := s.ring
	b, off := r.blk, r.off
	if off < 0 || off > len(b)-tpacket3HdrLen-sockaddrLLLen {
		r.left = 0
		return nil, fmt.Errorf("%s: reading the ring: block %d: packet header at offset %d of %d", s.ifname, r.cur, off, len(b))
	}
	h := (*unix.Tpacket3Hdr)(unsafe.Pointer(&b[off]))
	r.left--
	if h.Next_offset == 0 {
		r.left = 0 // the last packet of the block
	} else {
		r.off = off + int(h.Next_offset)
	}
	sa := (*unix.RawSockaddrLinklayer)(unsafe.Pointer(&b[off+tpacket3HdrLen]))
	if sa.Hatype == unix.ARPHRD_LOOPBACK && sa.Pkttype == unix.PACKET_OUTGOING {
		// Loopback shows every packet twice, going out and coming in;
		// libpcap keeps the incoming copy only.
		return nil, nil
	}
	mac := off + int(h.Mac)
	capLen := min(int(h.Snaplen), s.snaplen)
	if mac > len(b) || capLen > len(b)-mac {
		r.left = 0
		return nil, fmt.Errorf("%s: reading the ring: block %d: %d bytes at offset %d of %d", s.ifname, r.cur, capLen, mac, len(b))
	}
	p := &s.pkt
	p.Time = time.Unix(int64(h.Sec), int64(h.Nsec))
	p.Length = int(h.Len)
	data := b[mac : mac+capLen : mac+capLen]
	if s.link == LinkEthernet && capLen >= 12 && (h.Status&unix.TP_STATUS_VLAN_VALID != 0 || h.Hv1.Vlan_tci != 0) {
		data = r.insertVLAN(b, off, mac, capLen, uint16(h.Hv1.Vlan_tci), vlanTPID(h.Status, h.Hv1.Vlan_tpid))
		p.Length += vlanRoom
	}
	return s.handOut(data, int(sa.Ifindex)), nil
}

// insertVLAN puts a tag the kernel stripped back between the MAC addresses
// and the EtherType of the capLen bytes at mac in block b, whose packet
// header is at off. As libpcap does, it moves the MAC addresses into the
// headroom that PACKET_RESERVE keeps in front of every packet: the block
// is ours until the packet has been used. Without the headroom (which
// PACKET_RESERVE rules out) the packet is copied.
func (r *ring) insertVLAN(b []byte, off, mac, capLen int, tci, tpid uint16) []byte {
	if mac-vlanRoom >= off+tpacket3HdrLen+sockaddrLLLen {
		return tagInHeadroom(b, mac, capLen, tpid, tci)
	}
	r.scratch = append(r.scratch[:0], b[mac:mac+12]...)
	r.scratch = binary.BigEndian.AppendUint16(r.scratch, tpid)
	r.scratch = binary.BigEndian.AppendUint16(r.scratch, tci)
	r.scratch = append(r.scratch, b[mac+12:mac+capLen]...)
	return r.scratch[:len(r.scratch):len(r.scratch)]
}

// wake makes a Next waiting in poll return; Close calls it.
func (r *ring) wake() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	unix.Write(r.efd, one[:])
}

// close unmaps the ring and closes the eventfd; the socket is closed by
// the caller.
func (r *ring) close() {
	if r.mapped {
		unix.Munmap(r.mem)
	}
	r.mem, r.blk = nil, nil
	unix.Close(r.efd)
}
