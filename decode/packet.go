package decode

// The link/IP pipeline: a long-lived Decoder runs a gopacket
// DecodingLayerParser over each captured packet, reassembles IP fragments
// (IPv4 with gopacket's ip4defrag, IPv6 here) and reports what the packet
// carried. It allocates nothing for ESP and non-IKE packets.

import (
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Link types as numbered by tcpdump.org. gopacket's LinkType is a uint8 and
// cannot hold LINKTYPE_LINUX_SLL2, so the pipeline takes the raw number.
const (
	LinkNull       = 0
	LinkEthernet   = 1
	LinkPPP        = 9
	LinkRawOpenBSD = 12
	LinkRawBSDOS   = 14
	LinkPPPHDLC    = 50
	LinkRaw        = 101
	LinkLoop       = 108
	LinkLinuxSLL   = 113
	LinkIPv4       = 228
	LinkIPv6       = 229
	LinkLinuxSLL2  = 276
)

// Kind says what a frame carried.
type Kind uint8

// Frame kinds.
const (
	KindOther     Kind = iota // not IKE or ESP (counted, not decoded further)
	KindIKE                   // an IKE message, on UDP 500, 4500 (after the marker) or a registered port
	KindESP                   // ESP over IP protocol 50 or UDP/4500
	KindKeepalive             // NAT-T keepalive
	KindFragment              // an IP fragment held for reassembly
	KindMalformed             // a frame that could not be decoded up to its transport layer
)

var kindNames = [...]string{"other", "ike", "esp", "keepalive", "fragment", "malformed"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind?"
}

// TCPInfo is kept for the few TCP facts the classifier looks at (SMB over a
// tunnel, KB2503010).
type TCPInfo struct {
	Flags uint8 // FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10
	Seq   uint32
}

// TCP flag bits.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPAck = 0x10
)

// Frame is what one captured packet carried. The Decoder reuses it: it is
// valid until the next call to Decode.
type Frame struct {
	Kind     Kind
	Src, Dst netip.AddrPort // ports are zero for ESP over IP
	Proto    uint8          // IP protocol of the transport: 17, 50, 6, ...
	NATT     bool           // on UDP/4500 (or a registered NAT-T port)
	VLAN     uint16         // innermost 802.1Q tag, if any
	IKE      *Message       // KindIKE
	IKEErr   error          // decoding error of a partly decoded IKE message
	IKELen   int            // bytes of the IKE message as received
	// IKEBytes are the bytes of the IKE message (without the non-ESP
	// marker), valid only until the next Decode: for decryption.
	IKEBytes []byte
	ESP      ESPHeader // KindESP
	// ESPBytes is the ESP packet from the SPI on, valid only until the
	// next Decode: for decryption.
	ESPBytes []byte
	AHSPI    uint32 // SPI of an AH header in front of the transport, if any
	HasAH    bool
	TCP      TCPInfo // when Proto == 6
	// Datagram describes the IP fragments a reassembled datagram was built
	// from; nil when the packet was not fragmented.
	Datagram *Datagram
	// Err is a link or network layer problem (truncated header...).
	Err error
	// Layers lists the layer types decoded, outermost first.
	Layers []gopacket.LayerType
}

// Decoder decodes captured packets. It is not safe for concurrent use.
type Decoder struct {
	// parsers holds one DecodingLayerParser per first layer (link types and
	// the re-entry points after PPPoE and reassembly); they share the
	// layer values below.
	parsers []firstParser
	decoded []gopacket.LayerType
	// layers is the container the parsers share (the fast path asks it
	// whether a layer is one of ours); slow turns the fast path off.
	layers     gopacket.DecodingLayerSparse
	slow       bool
	fastFrames int

	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   linuxSLL
	sll2  LinuxSLL2
	loop  layers.Loopback
	ppp   PPP
	pppoe PPP
	ip4   layers.IPv4
	ip6   layers.IPv6
	udp   layers.UDP
	tcp   layers.TCP
	natt  NATT
	esp   ESP
	ah    AH
	ike   IKE

	frags *fragmenter
	f     Frame
}

// NewDecoder returns a Decoder with its layers and reassembly state.
func NewDecoder() *Decoder {
	d := &Decoder{frags: newFragmenter()}
	d.pppoe.Session = true
	// One lookup table of layers for all the parsers: a slice indexed by
	// layer type (gopacket's default is a map, a hash lookup per layer of
	// every packet).
	dlc := gopacket.DecodingLayerContainer(gopacket.DecodingLayerSparse(nil))
	for _, l := range []gopacket.DecodingLayer{&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.ppp, &d.ip4, &d.ip6,
		&d.udp, &d.tcp, &d.natt, &d.esp, &d.ah, &d.ike, pppoeLayer{&d.pppoe}} {
		dlc = dlc.Put(l)
	}
	d.layers = dlc.(gopacket.DecodingLayerSparse)
	for _, first := range []gopacket.LayerType{
		layers.LayerTypeEthernet, layers.LayerTypeLoopback, layers.LayerTypeLinuxSLL, LayerTypeLinuxSLL2,
		LayerTypePPP, LayerTypePPPoE, layers.LayerTypeIPv4, layers.LayerTypeIPv6,
		layers.LayerTypeUDP, layers.LayerTypeTCP, LayerTypeESP,
	} {
		p := gopacket.NewDecodingLayerParser(first)
		p.SetDecodingLayerContainer(dlc)
		p.IgnoreUnsupported = true
		// No input may cause a panic, and we do not rely on recover():
		// gopacket's panic recovery is off, so a panicking layer shows up
		// in tests and fuzzing instead of as a decoding error.
		p.IgnorePanic = true
		d.parsers = append(d.parsers, firstParser{first, p})
	}
	d.decoded = make([]gopacket.LayerType, 0, 16)
	d.f.Layers = make([]gopacket.LayerType, 0, 16)
	return d
}

// firstParser is the parser that starts at a given layer.
type firstParser struct {
	first gopacket.LayerType
	p     *gopacket.DecodingLayerParser
}

// parser returns the parser starting at first, or nil (a short list,
// Ethernet first).
func (d *Decoder) parser(first gopacket.LayerType) *gopacket.DecodingLayerParser {
	for i := range d.parsers {
		if d.parsers[i].first == first {
			return d.parsers[i].p
		}
	}
	return nil
}

// pppoeLayer registers the session-mode PPP layer under LayerTypePPPoE.
type pppoeLayer struct{ *PPP }

func (p pppoeLayer) CanDecode() gopacket.LayerClass { return LayerTypePPPoE }

// firstLayer maps a link type to the first layer of the chain.
func firstLayer(link uint32, data []byte) gopacket.LayerType {
	switch link {
	case LinkEthernet:
		return layers.LayerTypeEthernet
	case LinkNull, LinkLoop:
		return layers.LayerTypeLoopback
	case LinkLinuxSLL:
		return layers.LayerTypeLinuxSLL
	case LinkLinuxSLL2:
		return LayerTypeLinuxSLL2
	case LinkPPP, LinkPPPHDLC:
		return LayerTypePPP
	case LinkIPv4:
		return layers.LayerTypeIPv4
	case LinkIPv6:
		return layers.LayerTypeIPv6
	case LinkRaw, LinkRawOpenBSD, LinkRawBSDOS:
		if len(data) > 0 && data[0]>>4 == 6 {
			return layers.LayerTypeIPv6
		}
		return layers.LayerTypeIPv4
	}
	return gopacket.LayerTypeZero
}

// errUnknownLink is returned for link types the pipeline does not know.
var errUnknownLink error = &Error{Path: "link", Err: ErrNotIKE}

// Decode decodes one captured packet of the given link type. ref is an
// opaque reference (a frame number) recorded with IP fragments so that a
// reassembled or lost datagram can name the frames it came from. The
// returned Frame is reused by the next call.
func (d *Decoder) Decode(link uint32, data []byte, ts time.Time, ref int) *Frame {
	f := &d.f
	layersBuf := f.Layers[:0]
	*f = Frame{Layers: layersBuf}
	if !d.slow {
		if d.fast(link, data) {
			d.fastFrames++
			return f
		}
		*f = Frame{Layers: layersBuf}
	}
	first := firstLayer(link, data)
	if first == gopacket.LayerTypeZero {
		f.Kind = KindMalformed
		f.Err = errUnknownLink
		return f
	}
	for hop := 0; hop < 4; hop++ {
		parser := d.parser(first)
		if parser == nil {
			return f
		}
		err := parser.DecodeLayers(data, &d.decoded)
		f.Layers = append(f.Layers, d.decoded...)
		d.collect()
		if err != nil {
			if f.Kind == KindIKE || d.ikeFailed() {
				// The IKE layer keeps partial messages; only a header
				// shorter than 28 bytes lands here. gopacket does not
				// list a layer that failed, so collect did not see it:
				// the frame is still IKE, without a message.
				f.Kind = KindIKE
				f.IKE = nil
				f.IKEErr = err
				f.IKELen = len(d.ike.Contents)
			} else {
				f.Err = err
				if f.Kind == KindOther {
					f.Kind = KindMalformed
				}
			}
			return f
		}
		if len(d.decoded) == 0 {
			return f
		}
		last := d.decoded[len(d.decoded)-1]
		next, rest := d.continuation(last, ts, ref)
		if next == gopacket.LayerTypeZero {
			return f
		}
		first, data = next, rest
	}
	return f
}

// ikeFailed reports whether the parser stopped at the IKE layer: the last
// layer decoded hands its payload to IKE (UDP on an IKE port, or a NAT-T
// non-ESP marker), so the error came from the IKE header.
func (d *Decoder) ikeFailed() bool {
	if len(d.decoded) == 0 {
		return false
	}
	switch d.decoded[len(d.decoded)-1] {
	case layers.LayerTypeUDP:
		return d.udp.NextLayerType() == LayerTypeIKE
	case LayerTypeNATT:
		return d.natt.Kind == NATTIKE
	}
	return false
}

// collect copies what the layers just decoded into the frame.
func (d *Decoder) collect() {
	f := &d.f
	for _, lt := range d.decoded {
		switch lt {
		case layers.LayerTypeDot1Q:
			f.VLAN = d.dot1q.VLANIdentifier
		case layers.LayerTypeIPv4:
			f.Src = netip.AddrPortFrom(addr4(d.ip4.SrcIP), 0)
			f.Dst = netip.AddrPortFrom(addr4(d.ip4.DstIP), 0)
			f.Proto = uint8(d.ip4.Protocol)
		case layers.LayerTypeIPv6:
			f.Src = netip.AddrPortFrom(addr16(d.ip6.SrcIP), 0)
			f.Dst = netip.AddrPortFrom(addr16(d.ip6.DstIP), 0)
			f.Proto = uint8(d.ip6.NextHeader)
		case layers.LayerTypeUDP:
			f.Proto = 17
			f.Src = netip.AddrPortFrom(f.Src.Addr(), uint16(d.udp.SrcPort))
			f.Dst = netip.AddrPortFrom(f.Dst.Addr(), uint16(d.udp.DstPort))
		case layers.LayerTypeTCP:
			d.setTCP()
		case LayerTypeNATT:
			f.NATT = true
			if d.natt.Kind == NATTKeepalive {
				f.Kind = KindKeepalive
			}
		case LayerTypeAH, layers.LayerTypeIPSecAH:
			f.AHSPI, f.HasAH = d.ah.SPI, true
			f.Proto = uint8(d.ah.NextHeader)
		case LayerTypeESP, layers.LayerTypeIPSecESP:
			d.setESP()
		case LayerTypeIKE:
			f.Kind = KindIKE
			f.IKE = d.ike.Msg
			f.IKEErr = d.ike.Err
			f.IKELen = len(d.ike.Contents)
			f.IKEBytes = d.ike.Contents
		}
	}
}

// setTCP copies the decoded TCP header into the frame.
func (d *Decoder) setTCP() {
	f := &d.f
	f.Proto = 6
	f.Src = netip.AddrPortFrom(f.Src.Addr(), uint16(d.tcp.SrcPort))
	f.Dst = netip.AddrPortFrom(f.Dst.Addr(), uint16(d.tcp.DstPort))
	var fl uint8
	if d.tcp.FIN {
		fl |= TCPFin
	}
	if d.tcp.SYN {
		fl |= TCPSyn
	}
	if d.tcp.RST {
		fl |= TCPRst
	}
	if d.tcp.ACK {
		fl |= TCPAck
	}
	f.TCP = TCPInfo{Flags: fl, Seq: d.tcp.Seq}
}

// setESP copies the decoded ESP header into the frame.
func (d *Decoder) setESP() {
	f := &d.f
	f.Kind = KindESP
	f.ESP = d.esp.ESPHeader
	f.ESPBytes = d.esp.Bytes
}

// continuation decides whether decoding goes on after the parser stopped at
// last: PPPoE sessions, and IP fragments (which return the reassembled
// transport payload once complete).
func (d *Decoder) continuation(last gopacket.LayerType, ts time.Time, ref int) (gopacket.LayerType, []byte) {
	f := &d.f
	switch last {
	case layers.LayerTypeEthernet:
		if d.eth.EthernetType == layers.EthernetTypePPPoESession {
			return LayerTypePPPoE, d.eth.Payload
		}
	case layers.LayerTypeDot1Q:
		if d.dot1q.Type == layers.EthernetTypePPPoESession {
			return LayerTypePPPoE, d.dot1q.Payload
		}
	case layers.LayerTypeIPv4:
		ip := &d.ip4
		if ip.Flags&layers.IPv4MoreFragments == 0 && ip.FragOffset == 0 {
			return gopacket.LayerTypeZero, nil
		}
		if !fragmentWanted(uint8(ip.Protocol)) {
			return gopacket.LayerTypeZero, nil
		}
		f.Kind = KindFragment
		dg, payload := d.frags.add4(ip, ts, ref)
		if dg == nil {
			return gopacket.LayerTypeZero, nil
		}
		f.Kind = KindOther
		f.Datagram = dg
		return ipProtoLayer(uint8(ip.Protocol)), payload
	case layers.LayerTypeIPv6:
		next, payload := d.ip6.NextHeader, d.ip6.Payload
		if next != layers.IPProtocolIPv6Fragment {
			return gopacket.LayerTypeZero, nil
		}
		fh, ok := parseFrag6(payload)
		if !ok {
			f.Kind = KindMalformed
			f.Err = errFrag6Short
			return gopacket.LayerTypeZero, nil
		}
		f.Proto = fh.next
		if !fragmentWanted(fh.next) {
			return gopacket.LayerTypeZero, nil
		}
		f.Kind = KindFragment
		dg, data := d.frags.add6(f.Src.Addr(), f.Dst.Addr(), fh, payload[8:], ts, ref)
		if dg == nil {
			return gopacket.LayerTypeZero, nil
		}
		f.Kind = KindOther
		f.Datagram = dg
		return ipProtoLayer(fh.next), data
	}
	return gopacket.LayerTypeZero, nil
}

// fragmentWanted limits reassembly to the protocols that can carry IKE or
// ESP, so that fragmented background traffic costs nothing.
func fragmentWanted(proto uint8) bool { return proto == 17 || proto == 50 }

func ipProtoLayer(p uint8) gopacket.LayerType {
	switch p {
	case 17:
		return layers.LayerTypeUDP
	case 50:
		return LayerTypeESP
	case 6:
		return layers.LayerTypeTCP
	}
	return gopacket.LayerTypeZero
}

// Expire finalises incomplete fragmented datagrams whose first fragment is
// older than t minus the reassembly timeout, and returns them: these are
// the datagrams that lost fragments.
func (d *Decoder) Expire(t time.Time) []*Datagram { return d.frags.expire(t) }

// Pending returns the datagrams still waiting for fragments (at the end of
// a capture, these are the ones that lost fragments).
func (d *Decoder) Pending() []*Datagram { return d.frags.pending() }

func addr4(ip []byte) netip.Addr {
	if len(ip) != 4 {
		return netip.Addr{}
	}
	return netip.AddrFrom4([4]byte(ip))
}

func addr16(ip []byte) netip.Addr {
	if len(ip) != 16 {
		return netip.Addr{}
	}
	return netip.AddrFrom16([16]byte(ip))
}
