package capture

// Live capture: one interface, packets as they arrive.
//
// The default build is pure Go: on Linux it reads an AF_PACKET socket
// through a TPACKET_V3 ring mapped into memory (live_linux.go,
// live_ring_linux.go) with the kernel filter of live_filter.go attached;
// other systems have no live capture (live_other.go). Built with -tags libpcap it
// uses gopacket/pcap instead (live_pcap.go), which adds tcpdump filter
// expressions and the platforms libpcap supports.

import (
	"errors"
	"time"

	"golang.org/x/net/bpf"
)

// Live capture defaults.
const (
	// DefaultSnaplen is the default capture length per packet: tcpdump's,
	// enough for any IP datagram with its link header, GSO included.
	DefaultSnaplen = 262144
	// DefaultBufferSize is the default kernel buffer for packets waiting to
	// be read: 32 MiB, the size of the TPACKET_V3 ring (about 140 000 ESP
	// packets of 150 bytes, or 21 000 full-size frames; see live_linux.go for
	// how long that lasts).
	DefaultBufferSize = 32 << 20
	// DefaultReadTimeout is how long Next waits for a packet before it
	// returns ErrTimeout.
	DefaultReadTimeout = 100 * time.Millisecond
)

// AnyInterface captures on every interface (Linux only).
const AnyInterface = "any"

var (
	// ErrTimeout is returned by a live source's Next when no packet came
	// within the read timeout. It is not a failure: call Next again.
	ErrTimeout = errors.New("capture: read timeout")
	// ErrNeedLibpcap is returned by OpenLive in the pure-Go build when a
	// filter expression is given: compiling one needs libpcap.
	ErrNeedLibpcap = errors.New("filter expressions need the libpcap build of ikescope (go build -tags libpcap); " +
		"the pure-Go build filters IKE, NAT-T and ESP itself, or takes a compiled program with --bpf-raw (tcpdump -ddd output)")
	// ErrLiveUnsupported is returned by OpenLive where the build has no live
	// capture (not Linux, and not built with -tags libpcap).
	ErrLiveUnsupported = errors.New("live capture is not supported by this build on this system: " +
		"the pure-Go build captures on Linux only; build with -tags libpcap (and cgo) for other systems")
)

// LiveOptions configures OpenLive. The zero value of every field except
// Interface selects a default.
type LiveOptions struct {
	Interface string // interface name; "any" for all (Linux)
	Snaplen   int    // bytes kept per packet (DefaultSnaplen)
	// BufferSize is the kernel buffer in bytes (DefaultBufferSize). In the
	// pure-Go build on Linux it is the size of the TPACKET_V3 ring, rounded
	// up to whole blocks of 512 KiB, at least 4 of them; the socket's
	// receive buffer where no ring could be set up; libpcap's buffer in the
	// libpcap build.
	BufferSize int
	// NoPromisc leaves the interface out of promiscuous mode.
	NoPromisc bool
	// ReadTimeout bounds how long Next blocks (DefaultReadTimeout).
	ReadTimeout time.Duration
	// IKEPorts and NATTPorts are UDP ports the built-in filter passes
	// besides 500 and 4500.
	IKEPorts, NATTPorts []uint16
	// Expression is a tcpdump filter expression (libpcap build only); it
	// replaces the built-in filter.
	Expression string
	// Raw is a compiled classic BPF program that replaces the built-in
	// filter (see ParseRawFilter). It must be written for the link type the
	// capture delivers (Ethernet for Ethernet interfaces; raw IP, starting
	// at the IP header, for other interfaces and "any" in the pure-Go
	// build).
	Raw []bpf.RawInstruction
}

func (o *LiveOptions) defaults() {
	if o.Snaplen <= 0 {
		o.Snaplen = DefaultSnaplen
	}
	if o.Snaplen > MaxCapLen {
		o.Snaplen = MaxCapLen
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
}

// LiveSource is a live capture. Next returns ErrTimeout when nothing came
// within the read timeout; Packet.Frame counts the packets read (from 1)
// and Packet.Source is 0. Packet.Data is valid until the next call to Next
// or Close (it may point into memory shared with the kernel). Next,
// LiveStats and Close must be called from one goroutine; the pure-Go
// source on Linux also lets Close be called from another goroutine while
// Next waits: Next then returns io.EOF, at once with the ring, within the
// read timeout without it.
type LiveSource interface {
	Source
	// Link is the link type of every packet (LINKTYPE_* number).
	Link() uint32
	// Snaplen is the capture length in effect.
	Snaplen() int
	// Filter describes the filter in effect, for people.
	Filter() string
	// LiveStats returns the counters since the capture started.
	LiveStats() (LiveStats, error)
	// Method says how packets are read, for people: "TPACKET_V3 ring
	// (32 MiB: 64 blocks of 512 KiB)", or "recvmmsg" and why there is no
	// ring, or "libpcap".
	Method() string
}

// LiveStats are the capture's counters, from the kernel or libpcap.
type LiveStats struct {
	// Received counts the packets that passed the filter, including the
	// dropped ones (AF_PACKET tp_packets, pcap ps_recv).
	Received uint64
	// Dropped counts the packets dropped because the buffer was full.
	Dropped uint64
	// IfDropped counts the packets the interface or driver dropped, where
	// known (libpcap only).
	IfDropped uint64
	// Freezes counts the times the kernel found the ring full and stopped
	// filling it until a block was given back (TPACKET_V3 freeze_q_cnt;
	// pure-Go build with the ring only).
	Freezes uint64
}

// OpenLive starts a live capture with opt.
func OpenLive(opt LiveOptions) (LiveSource, error) {
	opt.defaults()
	if opt.Interface == "" {
		return nil, errors.New("no interface given")
	}
	return openLive(opt)
}
