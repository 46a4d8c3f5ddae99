package decode

import "encoding/binary"

// ESPHeader is the cleartext part of an ESP packet (RFC 4303 §2): SPI and
// sequence number. The rest is ciphertext.
type ESPHeader struct {
	SPI uint32
	Seq uint32
	Len int // bytes from the SPI to the end of the packet
}

// ParseESP reads the ESP header from b. It does not allocate.
func ParseESP(b []byte) (ESPHeader, error) {
	if len(b) < 8 {
		return ESPHeader{}, errESPTruncated
	}
	return ESPHeader{
		SPI: binary.BigEndian.Uint32(b[0:4]),
		Seq: binary.BigEndian.Uint32(b[4:8]),
		Len: len(b),
	}, nil
}

// errESPTruncated is preallocated so that a short ESP packet costs no
// allocation either.
var errESPTruncated error = &Error{Path: "ESP", Offset: 0, Err: ErrTruncated}

// NATTKind says what a UDP/4500 datagram carries.
type NATTKind uint8

// Kinds of UDP/4500 datagrams (RFC 3948 §2).
const (
	NATTInvalid   NATTKind = iota // too short to be anything
	NATTKeepalive                 // single 0xFF byte (RFC 3948 §2.3)
	NATTIKE                       // non-ESP marker, IKE follows (RFC 3948 §2.2)
	NATTESP                       // UDP-encapsulated ESP (RFC 3948 §2.1)
)

func (k NATTKind) String() string {
	switch k {
	case NATTKeepalive:
		return "keepalive"
	case NATTIKE:
		return "ike"
	case NATTESP:
		return "esp"
	}
	return "invalid"
}

// DemuxNATT classifies a UDP/4500 payload and returns the bytes that follow:
// the IKE message after the non-ESP marker, or the ESP packet. It never
// guesses IKE without the marker.
func DemuxNATT(b []byte) (NATTKind, []byte) {
	switch {
	case len(b) == 1 && b[0] == 0xff:
		return NATTKeepalive, nil
	case len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0:
		// RFC 3948 §2.2: a zero SPI field is the non-ESP marker.
		return NATTIKE, b[4:len(b):len(b)]
	case len(b) >= 8:
		return NATTESP, b
	}
	return NATTInvalid, nil
}
