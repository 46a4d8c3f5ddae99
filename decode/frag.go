package decode

import (
	"encoding/binary"
	"net/netip"
	"sort"
	"time"

	"github.com/google/gopacket/ip4defrag"
	"github.com/google/gopacket/layers"
)

// Reassembly limits. RFC 8200 §4.5 and RFC 791 let a receiver drop
// datagrams whose fragments do not all arrive within 60 s; IKE peers retry
// long before that, so 30 s keeps state small without splitting real
// datagrams.
const (
	FragmentTimeout  = 30 * time.Second
	maxFragDatagrams = 1024
	maxFragsPerDG    = 64
)

// FragmentSeen is one IP fragment that arrived.
type FragmentSeen struct {
	Offset int // byte offset in the datagram payload
	Length int
	More   bool // more-fragments flag
	Time   time.Time
	Ref    int // the caller's frame reference
}

// Datagram records the fragments of one fragmented IP datagram: which
// arrived, and whether the datagram could be rebuilt.
type Datagram struct {
	Src, Dst  netip.Addr
	ID        uint32
	Proto     uint8
	First     time.Time
	Last      time.Time
	Fragments []FragmentSeen
	Complete  bool
	// TotalLen is the payload length, known once the last fragment arrived
	// (0 otherwise).
	TotalLen int
	// From the first fragment, when it arrived: the UDP ports and, for IKE
	// on UDP 500 or 4500, the IKE header, so that a datagram whose later
	// fragments were lost can still be tied to its IKE SA.
	SrcPort, DstPort uint16
	IKE              *Header
	IKELen           int // IKE message length from the header

	data [][]byte // IPv6: copies of the fragment payloads, by arrival
}

// Missing returns the byte ranges of the payload that no fragment covered,
// as [start, end) pairs. The end of an unknown total is -1.
func (dg *Datagram) Missing() [][2]int {
	fr := append([]FragmentSeen(nil), dg.Fragments...)
	sort.Slice(fr, func(i, j int) bool { return fr[i].Offset < fr[j].Offset })
	var gaps [][2]int
	at := 0
	for _, f := range fr {
		if f.Offset > at {
			gaps = append(gaps, [2]int{at, f.Offset})
		}
		if e := f.Offset + f.Length; e > at {
			at = e
		}
	}
	switch {
	case dg.TotalLen == 0:
		gaps = append(gaps, [2]int{at, -1})
	case at < dg.TotalLen:
		gaps = append(gaps, [2]int{at, dg.TotalLen})
	}
	return gaps
}

type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
	v6       bool
}

type fragmenter struct {
	v4       *ip4defrag.IPv4Defragmenter
	inflight map[fragKey]*Datagram
	evicted  []*Datagram
}

func newFragmenter() *fragmenter {
	return &fragmenter{v4: ip4defrag.NewIPv4Defragmenter(), inflight: make(map[fragKey]*Datagram)}
}

func (fr *fragmenter) record(k fragKey, fs FragmentSeen, ts time.Time) *Datagram {
	dg := fr.inflight[k]
	if dg == nil {
		if len(fr.inflight) >= maxFragDatagrams {
			fr.evictOldest()
		}
		dg = &Datagram{Src: k.src, Dst: k.dst, ID: k.id, Proto: k.proto, First: ts}
		fr.inflight[k] = dg
	}
	dg.Last = ts
	if len(dg.Fragments) < maxFragsPerDG {
		dg.Fragments = append(dg.Fragments, fs)
	}
	if !fs.More {
		dg.TotalLen = fs.Offset + fs.Length
	}
	return dg
}

// noteFirst records what the first fragment shows of the transport.
func (dg *Datagram) noteFirst(payload []byte) {
	if dg.Proto != 17 || len(payload) < 8 {
		return
	}
	dg.SrcPort = binary.BigEndian.Uint16(payload[0:2])
	dg.DstPort = binary.BigEndian.Uint16(payload[2:4])
	b := payload[8:]
	if dg.SrcPort == PortNATT || dg.DstPort == PortNATT {
		k, rest := DemuxNATT(b)
		if k != NATTIKE {
			return
		}
		b = rest
	} else if dg.SrcPort != PortIKE && dg.DstPort != PortIKE {
		return
	}
	if h, err := ParseHeader(b); err == nil {
		dg.IKE = &h
		dg.IKELen = int(h.Length)
	}
}

func (fr *fragmenter) evictOldest() {
	var ok fragKey
	var old *Datagram
	for k, dg := range fr.inflight {
		if old == nil || dg.First.Before(old.First) {
			ok, old = k, dg
		}
	}
	if old != nil {
		delete(fr.inflight, ok)
		fr.evicted = append(fr.evicted, old)
	}
}

// add4 records an IPv4 fragment and feeds a private copy to ip4defrag (which
// keeps the layer it is given). It returns the datagram and the reassembled
// transport payload once complete.
func (fr *fragmenter) add4(ip *layers.IPv4, ts time.Time, ref int) (*Datagram, []byte) {
	k := fragKey{src: addr4(ip.SrcIP), dst: addr4(ip.DstIP), id: uint32(ip.Id), proto: uint8(ip.Protocol)}
	off := int(ip.FragOffset) * 8
	more := ip.Flags&layers.IPv4MoreFragments != 0
	dg := fr.record(k, FragmentSeen{Offset: off, Length: len(ip.Payload), More: more, Time: ts, Ref: ref}, ts)
	if off == 0 {
		dg.noteFirst(ip.Payload)
	}
	cp := &layers.IPv4{
		Version: ip.Version, IHL: ip.IHL, TOS: ip.TOS, Length: ip.Length, Id: ip.Id,
		Flags: ip.Flags, FragOffset: ip.FragOffset, TTL: ip.TTL, Protocol: ip.Protocol,
		SrcIP: append([]byte(nil), ip.SrcIP...), DstIP: append([]byte(nil), ip.DstIP...),
	}
	// ip4defrag passes a packet with DF set through unchanged, even when it
	// is a fragment (crafted, or a broken stack). A later fragment must not
	// be decoded as a datagram, so DF is cleared on its copy; a first
	// fragment with DF+MF is decoded as it stands, as tshark and tcpdump do
	// (tcpdump/isakmp-ikev1_n_print-oobr.pcap frame 1).
	if off > 0 {
		cp.Flags &^= layers.IPv4DontFragment
	}
	// ip4defrag takes the fragment length from the IPv4 total length minus
	// 20; keep it consistent with the payload actually captured.
	cp.Length = uint16(20 + len(ip.Payload))
	cp.Payload = append([]byte(nil), ip.Payload...)
	out, err := fr.v4.DefragIPv4WithTimestamp(cp, ts)
	if err != nil || out == nil {
		return nil, nil
	}
	delete(fr.inflight, k)
	dg.Complete = true
	return dg, out.Payload
}

type frag6 struct {
	next uint8
	off  int
	more bool
	id   uint32
}

var errFrag6Short error = &Error{Path: "IPv6 fragment", Err: ErrTruncated}

// parseFrag6 reads an IPv6 fragment header (RFC 8200 §4.5).
func parseFrag6(b []byte) (frag6, bool) {
	if len(b) < 8 {
		return frag6{}, false
	}
	ofs := binary.BigEndian.Uint16(b[2:4])
	return frag6{
		next: b[0],
		off:  int(ofs>>3) * 8,
		more: ofs&1 != 0,
		id:   binary.BigEndian.Uint32(b[4:8]),
	}, true
}

// add6 records an IPv6 fragment and reassembles the datagram once every
// byte up to the last fragment is present.
func (fr *fragmenter) add6(src, dst netip.Addr, h frag6, payload []byte, ts time.Time, ref int) (*Datagram, []byte) {
	k := fragKey{src: src, dst: dst, id: h.id, proto: h.next, v6: true}
	dg := fr.record(k, FragmentSeen{Offset: h.off, Length: len(payload), More: h.more, Time: ts, Ref: ref}, ts)
	if h.off == 0 {
		dg.noteFirst(payload)
	}
	if len(dg.data) < maxFragsPerDG {
		dg.data = append(dg.data, append([]byte(nil), payload...))
	}
	if dg.TotalLen == 0 || len(dg.Missing()) > 0 {
		return nil, nil
	}
	if dg.TotalLen > 65535+8 {
		return nil, nil
	}
	out := make([]byte, dg.TotalLen)
	for i, f := range dg.Fragments {
		if i < len(dg.data) && f.Offset < len(out) {
			copy(out[f.Offset:], dg.data[i])
		}
	}
	dg.data = nil
	delete(fr.inflight, k)
	dg.Complete = true
	return dg, out
}

func (fr *fragmenter) expire(t time.Time) []*Datagram {
	cut := t.Add(-FragmentTimeout)
	out := fr.evicted
	fr.evicted = nil
	for k, dg := range fr.inflight {
		if dg.First.Before(cut) {
			delete(fr.inflight, k)
			dg.data = nil
			out = append(out, dg)
		}
	}
	if len(out) > 0 {
		fr.v4.DiscardOlderThan(cut)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].First.Before(out[j].First) })
	return out
}

func (fr *fragmenter) pending() []*Datagram {
	out := append([]*Datagram(nil), fr.evicted...)
	for _, dg := range fr.inflight {
		out = append(out, dg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].First.Before(out[j].First) })
	return out
}
