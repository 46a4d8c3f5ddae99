package decode

// This file is the gopacket glue: layer types, DecodingLayer implementations
// and the UDP port wiring. The parsers themselves are plain functions over
// []byte in ike.go and esp.go.

import (
	"encoding/binary"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Layer types registered by this package, in gopacket's range for
// third-party layers.
var (
	LayerTypeIKE       = gopacket.RegisterLayerType(1500, gopacket.LayerTypeMetadata{Name: "IKE", Decoder: gopacket.DecodeFunc(decodeIKE)})
	LayerTypeESP       = gopacket.RegisterLayerType(1501, gopacket.LayerTypeMetadata{Name: "ESP", Decoder: gopacket.DecodeFunc(decodeESP)})
	LayerTypeNATT      = gopacket.RegisterLayerType(1502, gopacket.LayerTypeMetadata{Name: "NATT", Decoder: gopacket.DecodeFunc(decodeNATT)})
	LayerTypeLinuxSLL2 = gopacket.RegisterLayerType(1503, gopacket.LayerTypeMetadata{Name: "LinuxSLL2", Decoder: gopacket.DecodeFunc(decodeSLL2)})
	LayerTypePPP       = gopacket.RegisterLayerType(1504, gopacket.LayerTypeMetadata{Name: "PPP", Decoder: gopacket.DecodeFunc(decodePPP)})
	LayerTypePPPoE     = gopacket.RegisterLayerType(1505, gopacket.LayerTypeMetadata{Name: "PPPoESession", Decoder: gopacket.DecodeFunc(decodePPPoE)})
)

// Well-known ports (RFC 7296 §2, RFC 3948).
const (
	PortIKE  = 500
	PortNATT = 4500
)

func init() {
	layers.RegisterUDPPortLayerType(PortIKE, LayerTypeIKE)
	layers.RegisterUDPPortLayerType(PortNATT, LayerTypeNATT)
}

// RegisterIKEPort makes UDP port p carry IKE (without a non-ESP marker), for
// deployments on non-standard ports. Call it before decoding starts.
func RegisterIKEPort(p uint16) { layers.RegisterUDPPortLayerType(layers.UDPPort(p), LayerTypeIKE) }

// RegisterNATTPort makes UDP port p carry NAT-T (marker, keepalive, ESP).
func RegisterNATTPort(p uint16) {
	layers.RegisterUDPPortLayerType(layers.UDPPort(p), LayerTypeNATT)
}

// IKE is the gopacket layer for one IKE message. Err holds a decoding
// error that left a partial Message.
type IKE struct {
	layers.BaseLayer
	Msg *Message
	Err error
}

// LayerType returns LayerTypeIKE.
func (l *IKE) LayerType() gopacket.LayerType { return LayerTypeIKE }

// CanDecode returns LayerTypeIKE.
func (l *IKE) CanDecode() gopacket.LayerClass { return LayerTypeIKE }

// NextLayerType returns gopacket.LayerTypeZero: IKE is the last layer.
func (l *IKE) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// DecodeFromBytes parses data as an IKE message. A message with a readable
// header but broken payloads is kept (Msg set) and the error stored in Err;
// only a message shorter than the header fails.
func (l *IKE) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.Contents, l.Payload = data, nil
	l.Msg, l.Err = ParseMessage(data)
	if l.Msg == nil {
		df.SetTruncated()
		return l.Err
	}
	return nil
}

func decodeIKE(data []byte, p gopacket.PacketBuilder) error {
	l := &IKE{}
	if err := l.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(l)
	return nil
}

// ESP is the gopacket layer for an ESP header, over IP protocol 50 or
// inside UDP/4500. It allocates nothing.
type ESP struct {
	layers.BaseLayer
	ESPHeader
	// Bytes is the whole ESP packet, from the SPI on (for decryption).
	Bytes []byte
}

// LayerType returns LayerTypeESP.
func (l *ESP) LayerType() gopacket.LayerType { return LayerTypeESP }

// espClass makes the ESP layer answer both for IP protocol 50 (gopacket's
// LayerTypeIPSecESP) and for ESP inside UDP/4500.
var espClass = gopacket.NewLayerClass([]gopacket.LayerType{LayerTypeESP, layers.LayerTypeIPSecESP})

// CanDecode returns LayerTypeESP and gopacket's LayerTypeIPSecESP.
func (l *ESP) CanDecode() gopacket.LayerClass { return espClass }

// NextLayerType returns gopacket.LayerTypeZero: the rest is ciphertext.
func (l *ESP) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// DecodeFromBytes reads the SPI and sequence number.
func (l *ESP) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	h, err := ParseESP(data)
	if err != nil {
		df.SetTruncated()
		return err
	}
	l.ESPHeader = h
	l.Contents, l.Payload = data[:8:8], data[8:]
	l.Bytes = data
	return nil
}

func decodeESP(data []byte, p gopacket.PacketBuilder) error {
	l := &ESP{}
	if err := l.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(l)
	return nil
}

// NATT is the UDP/4500 demultiplexer layer (RFC 3948): its Kind says what
// follows, and NextLayerType routes to IKE or ESP.
type NATT struct {
	layers.BaseLayer
	Kind NATTKind
}

// LayerType returns LayerTypeNATT.
func (l *NATT) LayerType() gopacket.LayerType { return LayerTypeNATT }

// CanDecode returns LayerTypeNATT.
func (l *NATT) CanDecode() gopacket.LayerClass { return LayerTypeNATT }

// NextLayerType is IKE after a non-ESP marker, ESP otherwise, and nothing
// for a keepalive.
func (l *NATT) NextLayerType() gopacket.LayerType {
	switch l.Kind {
	case NATTIKE:
		return LayerTypeIKE
	case NATTESP:
		return LayerTypeESP
	}
	return gopacket.LayerTypeZero
}

var errNATTShort error = &Error{Path: "UDP/4500", Err: ErrTruncated}

// DecodeFromBytes classifies the datagram.
func (l *NATT) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	k, rest := DemuxNATT(data)
	l.Kind = k
	switch k {
	case NATTInvalid:
		df.SetTruncated()
		return errNATTShort
	case NATTKeepalive:
		l.Contents, l.Payload = data, nil
	case NATTIKE:
		l.Contents, l.Payload = data[:4:4], rest
	case NATTESP:
		l.Contents, l.Payload = nil, data
	}
	return nil
}

func decodeNATT(data []byte, p gopacket.PacketBuilder) error {
	l := &NATT{}
	if err := l.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(l)
	return p.NextDecoder(l.NextLayerType())
}

// LinuxSLL2 is the Linux "cooked" capture header version 2 (LINKTYPE_LINUX_SLL2,
// 276), which gopacket does not have.
type LinuxSLL2 struct {
	layers.BaseLayer
	Protocol   layers.EthernetType
	IfIndex    uint32
	ARPHRD     uint16
	PacketType uint8
	AddrLen    uint8
	Addr       [8]byte
}

// LayerType returns LayerTypeLinuxSLL2.
func (l *LinuxSLL2) LayerType() gopacket.LayerType { return LayerTypeLinuxSLL2 }

// CanDecode returns LayerTypeLinuxSLL2.
func (l *LinuxSLL2) CanDecode() gopacket.LayerClass { return LayerTypeLinuxSLL2 }

// NextLayerType follows the protocol field.
func (l *LinuxSLL2) NextLayerType() gopacket.LayerType { return l.Protocol.LayerType() }

var errSLL2Short error = &Error{Path: "SLL2", Err: ErrTruncated}

// DecodeFromBytes reads the 20-byte header.
func (l *LinuxSLL2) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 20 {
		df.SetTruncated()
		return errSLL2Short
	}
	l.Protocol = layers.EthernetType(binary.BigEndian.Uint16(data[0:2]))
	l.IfIndex = binary.BigEndian.Uint32(data[4:8])
	l.ARPHRD = binary.BigEndian.Uint16(data[8:10])
	l.PacketType = data[10]
	l.AddrLen = data[11]
	copy(l.Addr[:], data[12:20])
	l.Contents, l.Payload = data[:20:20], data[20:]
	return nil
}

func decodeSLL2(data []byte, p gopacket.PacketBuilder) error {
	l := &LinuxSLL2{}
	if err := l.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(l)
	return p.NextDecoder(l.Protocol)
}

// PPP is a PPP header as captured with LINKTYPE_PPP or LINKTYPE_PPP_HDLC
// (optional 0xff 0x03 address and control bytes, then a 1- or 2-byte
// protocol, RFC 1661 §2) and, with Session set, a PPPoE session header in
// front of it (RFC 2516 §4). gopacket's own PPP layer is not a DecodingLayer.
type PPP struct {
	layers.BaseLayer
	Session   bool
	SessionID uint16
	Protocol  uint16
}

// LayerType returns LayerTypePPP or LayerTypePPPoE.
func (l *PPP) LayerType() gopacket.LayerType {
	if l.Session {
		return LayerTypePPPoE
	}
	return LayerTypePPP
}

// CanDecode returns LayerTypePPP.
func (l *PPP) CanDecode() gopacket.LayerClass { return LayerTypePPP }

// NextLayerType is IPv4 or IPv6 for the PPP protocols 0x21 and 0x57.
func (l *PPP) NextLayerType() gopacket.LayerType {
	switch l.Protocol {
	case 0x0021:
		return layers.LayerTypeIPv4
	case 0x0057:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}

var errPPPShort error = &Error{Path: "PPP", Err: ErrTruncated}

// DecodeFromBytes reads the PPP header.
func (l *PPP) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	c := data
	if l.Session {
		// RFC 2516 §4: ver/type, code, session ID, length.
		if len(c) < 6 {
			df.SetTruncated()
			return errPPPShort
		}
		l.SessionID = binary.BigEndian.Uint16(c[2:4])
		c = c[6:]
	}
	if len(c) >= 2 && c[0] == 0xff && c[1] == 0x03 {
		c = c[2:]
	}
	switch {
	case len(c) >= 1 && c[0]&1 == 1: // compressed 1-byte protocol field
		l.Protocol = uint16(c[0])
		c = c[1:]
	case len(c) >= 2:
		l.Protocol = binary.BigEndian.Uint16(c)
		c = c[2:]
	default:
		df.SetTruncated()
		return errPPPShort
	}
	n := len(data) - len(c)
	l.Contents, l.Payload = data[:n:n], c
	return nil
}

func decodePPP(data []byte, p gopacket.PacketBuilder) error {
	l := &PPP{}
	if err := l.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(l)
	return p.NextDecoder(l.NextLayerType())
}

func decodePPPoE(data []byte, p gopacket.PacketBuilder) error {
	l := &PPP{Session: true}
	if err := l.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(l)
	return p.NextDecoder(l.NextLayerType())
}

// LayerTypeAH is the IPsec Authentication Header (RFC 4302).
var LayerTypeAH = gopacket.RegisterLayerType(1506, gopacket.LayerTypeMetadata{Name: "AH", Decoder: gopacket.DecodeFunc(decodeAH)})

// AH is the Authentication Header: ESP may follow it (ESP inside AH), so
// the pipeline walks through it. gopacket's IPSecAH is not a DecodingLayer.
type AH struct {
	layers.BaseLayer
	NextHeader layers.IPProtocol
	SPI, Seq   uint32
}

var ahClass = gopacket.NewLayerClass([]gopacket.LayerType{LayerTypeAH, layers.LayerTypeIPSecAH})

// LayerType returns LayerTypeAH.
func (l *AH) LayerType() gopacket.LayerType { return LayerTypeAH }

// CanDecode returns LayerTypeAH and gopacket's LayerTypeIPSecAH.
func (l *AH) CanDecode() gopacket.LayerClass { return ahClass }

// NextLayerType follows the next header field.
func (l *AH) NextLayerType() gopacket.LayerType { return l.NextHeader.LayerType() }

var errAHShort error = &Error{Path: "AH", Err: ErrTruncated}

// DecodeFromBytes reads the header; its length is (payload len + 2) * 4
// bytes (RFC 4302 §2.2).
func (l *AH) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 12 {
		df.SetTruncated()
		return errAHShort
	}
	n := (int(data[1]) + 2) * 4
	if n < 12 || n > len(data) {
		df.SetTruncated()
		return errAHShort
	}
	l.NextHeader = layers.IPProtocol(data[0])
	l.SPI = binary.BigEndian.Uint32(data[4:8])
	l.Seq = binary.BigEndian.Uint32(data[8:12])
	l.Contents, l.Payload = data[:n:n], data[n:]
	return nil
}

func decodeAH(data []byte, p gopacket.PacketBuilder) error {
	l := &AH{}
	if err := l.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(l)
	return p.NextDecoder(l.NextLayerType())
}

// linuxSLL is gopacket's LinuxSLL with a bounded address length: gopacket
// slices the address with the header's 16-bit length field, which panics
// for a length above 65529 (it wraps) or beyond the data. The field has
// room for 8 bytes; a longer length is read as 8, as Wireshark shows it.
type linuxSLL struct{ layers.LinuxSLL }

var errSLLShort error = &Error{Path: "SLL", Err: ErrTruncated}

// DecodeFromBytes reads the 16-byte header.
func (l *linuxSLL) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 16 {
		df.SetTruncated()
		return errSLLShort
	}
	l.PacketType = layers.LinuxSLLPacketType(binary.BigEndian.Uint16(data[0:2]))
	l.AddrType = binary.BigEndian.Uint16(data[2:4])
	l.AddrLen = binary.BigEndian.Uint16(data[4:6])
	l.Addr = data[6 : 6+min(int(l.AddrLen), 8)]
	l.EthernetType = layers.EthernetType(binary.BigEndian.Uint16(data[14:16]))
	l.BaseLayer = layers.BaseLayer{Contents: data[:16:16], Payload: data[16:]}
	return nil
}
