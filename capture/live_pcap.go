//go:build libpcap

package capture

import (
	"errors"
	"fmt"
	"io"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcap"
)

// Live capture through libpcap (gopacket/pcap, cgo): tcpdump filter
// expressions and every platform libpcap runs on. Without an expression the
// built-in filter is given to libpcap as the equivalent expression
// (FilterExpression); a raw program (--bpf-raw) is passed through as is.

type pcapLive struct {
	h       *pcap.Handle
	ifname  string
	link    uint32
	snaplen int
	filter  string
	pkt     Packet
	frame   int
	closed  bool
	stats   LiveStats
}

func openLive(opt LiveOptions) (LiveSource, error) {
	in, err := pcap.NewInactiveHandle(opt.Interface)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opt.Interface, err)
	}
	defer in.CleanUp()
	for _, step := range []struct {
		what string
		err  error
	}{
		{"snaplen", in.SetSnapLen(opt.Snaplen)},
		{"promiscuous mode", in.SetPromisc(!opt.NoPromisc)},
		{"timeout", in.SetTimeout(opt.ReadTimeout)},
		{"buffer size", in.SetBufferSize(opt.BufferSize)},
		{"immediate mode", in.SetImmediateMode(true)},
	} {
		if step.err != nil {
			return nil, fmt.Errorf("%s: %s: %w", opt.Interface, step.what, step.err)
		}
	}
	h, err := in.Activate()
	if err != nil {
		return nil, fmt.Errorf("%s: %w (live capture needs root or CAP_NET_RAW)", opt.Interface, err)
	}
	s := &pcapLive{h: h, ifname: opt.Interface, link: uint32(h.LinkType()), snaplen: h.SnapLen()}
	switch {
	case opt.Raw != nil:
		prog := make([]pcap.BPFInstruction, len(opt.Raw))
		for i, in := range opt.Raw {
			prog[i] = pcap.BPFInstruction{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
		}
		err = h.SetBPFInstructionFilter(prog)
		s.filter = "raw BPF program (" + itoa(uint32(len(prog))) + " instructions)"
	case opt.Expression != "":
		err = h.SetBPFFilter(opt.Expression)
		s.filter = opt.Expression
	default:
		extra := append(append([]uint16(nil), opt.IKEPorts...), opt.NATTPorts...)
		s.filter = FilterExpression(extra)
		err = h.SetBPFFilter(s.filter)
	}
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("%s: filter: %w", opt.Interface, err)
	}
	s.pkt.Link = s.link
	s.pkt.LinkType = layers.LinkType(s.link)
	return s, nil
}

// Next implements Source.
func (s *pcapLive) Next() (*Packet, error) {
	if s.closed {
		return nil, io.EOF
	}
	data, ci, err := s.h.ZeroCopyReadPacketData()
	if err != nil {
		var ne pcap.NextError
		if errors.As(err, &ne) && ne == pcap.NextErrorTimeoutExpired {
			return nil, ErrTimeout
		}
		return nil, fmt.Errorf("%s: reading packets: %w", s.ifname, err)
	}
	s.frame++
	p := &s.pkt
	p.Time = ci.Timestamp
	p.Data = data
	p.CapLen = ci.CaptureLength
	p.Length = ci.Length
	p.Frame = s.frame
	p.Interface = ci.InterfaceIndex
	return p, nil
}

// LiveStats implements LiveSource.
func (s *pcapLive) LiveStats() (LiveStats, error) {
	if s.closed {
		return s.stats, nil
	}
	st, err := s.h.Stats()
	if err != nil {
		return s.stats, fmt.Errorf("%s: stats: %w", s.ifname, err)
	}
	s.stats = LiveStats{Received: uint64(uint32(st.PacketsReceived)), Dropped: uint64(uint32(st.PacketsDropped)),
		IfDropped: uint64(uint32(st.PacketsIfDropped))}
	return s.stats, nil
}

func (s *pcapLive) Link() uint32   { return s.link }
func (s *pcapLive) Snaplen() int   { return s.snaplen }
func (s *pcapLive) Filter() string { return s.filter }

// Method implements LiveSource.
func (s *pcapLive) Method() string { return pcap.Version() }

// Close implements Source.
func (s *pcapLive) Close() error {
	if s.closed {
		return nil
	}
	s.LiveStats()
	s.closed = true
	s.h.Close()
	return nil
}
