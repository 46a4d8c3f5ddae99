package decode

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strconv"
)

// HeaderLen is the length of the ISAKMP/IKE header (RFC 2408 §3.1, RFC 7296 §3.1).
const HeaderLen = 28

// Limits that bound the work done on one message. Every loop in the parser
// consumes input and stops at these caps.
const (
	maxPayloads   = 64
	maxProposals  = 64
	maxTransforms = 255
	maxAttributes = 64
	maxSelectors  = 64
	maxSPIs       = 256
)

// ExchangeType is the exchange type field of the IKE header. IKEv1 and IKEv2
// numbers do not overlap.
type ExchangeType uint8

// Exchange types (RFC 2408 §3.1, RFC 2409 §5.5, RFC 7296 §3.1).
const (
	ExchangeBase            ExchangeType = 1
	ExchangeMainMode        ExchangeType = 2
	ExchangeAuthOnly        ExchangeType = 3
	ExchangeAggressive      ExchangeType = 4
	ExchangeInformational   ExchangeType = 5
	ExchangeTransaction     ExchangeType = 6
	ExchangeQuickMode       ExchangeType = 32
	ExchangeNewGroup        ExchangeType = 33
	ExchangeIKESAInit       ExchangeType = 34
	ExchangeIKEAuth         ExchangeType = 35
	ExchangeCreateChildSA   ExchangeType = 36
	ExchangeInformationalV2 ExchangeType = 37
)

func (t ExchangeType) String() string {
	if s := exchangeName(0, uint8(t)); s != "" {
		return s
	}
	return strconv.Itoa(int(t))
}

// PayloadType is a next-payload value. IKEv1 and IKEv2 numbers do not overlap.
type PayloadType uint8

// Payload types (RFC 2408 §3.1, RFC 3947, RFC 7296 §3.2, RFC 7383).
const (
	PayloadNone       PayloadType = 0
	PayloadSA         PayloadType = 1
	PayloadProposal   PayloadType = 2
	PayloadTransform  PayloadType = 3
	PayloadKE         PayloadType = 4
	PayloadID         PayloadType = 5
	PayloadCert       PayloadType = 6
	PayloadCertReq    PayloadType = 7
	PayloadHash       PayloadType = 8
	PayloadSig        PayloadType = 9
	PayloadNonce      PayloadType = 10
	PayloadNotify     PayloadType = 11
	PayloadDelete     PayloadType = 12
	PayloadVendorID   PayloadType = 13
	PayloadAttr       PayloadType = 14
	PayloadNATD       PayloadType = 20
	PayloadNATOA      PayloadType = 21
	PayloadNATDDraft  PayloadType = 130
	PayloadNATOADraft PayloadType = 131
	PayloadFragment   PayloadType = 132 // Cisco/Microsoft IKEv1 fragmentation

	PayloadSAv2       PayloadType = 33
	PayloadKEv2       PayloadType = 34
	PayloadIDi        PayloadType = 35
	PayloadIDr        PayloadType = 36
	PayloadCertv2     PayloadType = 37
	PayloadCertReqv2  PayloadType = 38
	PayloadAuth       PayloadType = 39
	PayloadNoncev2    PayloadType = 40
	PayloadNotifyv2   PayloadType = 41
	PayloadDeletev2   PayloadType = 42
	PayloadVendorIDv2 PayloadType = 43
	PayloadTSi        PayloadType = 44
	PayloadTSr        PayloadType = 45
	PayloadSK         PayloadType = 46
	PayloadCP         PayloadType = 47
	PayloadEAP        PayloadType = 48
	PayloadSKF        PayloadType = 53
)

func (t PayloadType) String() string {
	if s := payloadName(0, uint8(t)); s != "" {
		return s
	}
	return strconv.Itoa(int(t))
}

// Header flags.
const (
	FlagEncrypted = 0x01 // IKEv1 E
	FlagCommit    = 0x02 // IKEv1 C
	FlagAuthOnly  = 0x04 // IKEv1 A
	FlagInitiator = 0x08 // IKEv2 I
	FlagVersion   = 0x10 // IKEv2 V
	FlagResponse  = 0x20 // IKEv2 R
)

// Header is the fixed ISAKMP/IKE header.
type Header struct {
	InitSPI, RespSPI uint64
	NextPayload      PayloadType
	Major, Minor     uint8
	Exchange         ExchangeType
	Flags            uint8
	MsgID            uint32
	Length           uint32
}

// Version is the major version: 1 or 2 for valid messages.
func (h *Header) Version() int { return int(h.Major) }

// Encrypted reports the IKEv1 E flag.
func (h *Header) Encrypted() bool { return h.Major == 1 && h.Flags&FlagEncrypted != 0 }

// Response reports the IKEv2 R flag.
func (h *Header) Response() bool { return h.Major == 2 && h.Flags&FlagResponse != 0 }

// Initiator reports the IKEv2 I flag (the sender is the original initiator).
func (h *Header) Initiator() bool { return h.Major == 2 && h.Flags&FlagInitiator != 0 }

// FlagString renders the flags the way tcpdump does: "E", "C", "A" for
// IKEv1 and "I", "V", "R" for IKEv2, or "-" when none are set.
func (h *Header) FlagString() string {
	var b [6]byte
	n := 0
	if h.Major == 2 {
		for _, f := range [...]struct {
			bit uint8
			c   byte
		}{{FlagInitiator, 'I'}, {FlagVersion, 'V'}, {FlagResponse, 'R'}} {
			if h.Flags&f.bit != 0 {
				b[n] = f.c
				n++
			}
		}
	} else {
		for _, f := range [...]struct {
			bit uint8
			c   byte
		}{{FlagEncrypted, 'E'}, {FlagCommit, 'C'}, {FlagAuthOnly, 'A'}} {
			if h.Flags&f.bit != 0 {
				b[n] = f.c
				n++
			}
		}
	}
	if n == 0 {
		return "-"
	}
	return string(b[:n])
}

// ExchangeName names the exchange for this header's version.
func (h *Header) ExchangeName() string {
	if s := exchangeName(h.Major, uint8(h.Exchange)); s != "" {
		return s
	}
	return strconv.Itoa(int(h.Exchange))
}

// ParseHeader reads the fixed header.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < HeaderLen {
		return h, errAt("header", len(b), ErrTruncated)
	}
	h.InitSPI = binary.BigEndian.Uint64(b[0:8])
	h.RespSPI = binary.BigEndian.Uint64(b[8:16])
	h.NextPayload = PayloadType(b[16])
	h.Major = b[17] >> 4
	h.Minor = b[17] & 0x0f
	h.Exchange = ExchangeType(b[18])
	h.Flags = b[19]
	h.MsgID = binary.BigEndian.Uint32(b[20:24])
	h.Length = binary.BigEndian.Uint32(b[24:28])
	return h, nil
}

// Message is one decoded IKE message. It holds no reference to the input
// buffer: everything kept is copied.
type Message struct {
	Header
	Payloads []Payload
	// EncryptedLen is the length of the IKEv1 encrypted body (E flag), whose
	// payloads cannot be read without keys.
	EncryptedLen int
	// Anomalies are problems that did not stop decoding, such as a header
	// length that disagrees with the datagram.
	Anomalies []error
	// Digest is a hash of the message bytes, so that a retransmission (the
	// same bytes sent again) can be recognised without keeping the bytes.
	// It is seeded once per process: compare digests within a run, never
	// store or print them.
	Digest uint64
}

// Payload is one payload of the chain. Exactly one of the typed pointers is
// set for payload types that have a typed form.
type Payload struct {
	Type     PayloadType
	Critical bool // IKEv2 critical bit
	Offset   int  // offset of the generic header in the message (in the plaintext when Decrypted)
	Length   int  // including the 4-byte generic header
	// Decrypted marks a payload read from the plaintext of an encrypted
	// body (IKEv1 E flag, IKEv2 SK/SKF) with keys the user supplied.
	Decrypted bool

	SA        *SA
	KE        *KE
	ID        *Identity
	Cert      *Cert // CERT and CERTREQ
	Auth      *Auth // IKEv2 AUTH
	Notify    *Notify
	Delete    *Delete
	TS        *TrafficSelectors
	CP        *Config
	Encrypted *Encrypted // IKEv2 SK and SKF
	Fragment  *V1Fragment
	EAP       *EAP
	// Data holds the bytes of payloads whose content is a plain value: Vendor
	// ID, NAT-D hash, HASH, SIG. Nonce keeps only its length.
	Data    []byte
	DataLen int
}

// Name is the short name of the payload type for the message's version.
func (p *Payload) Name(major uint8) string {
	if s := payloadName(major, uint8(p.Type)); s != "" {
		return s
	}
	return strconv.Itoa(int(p.Type))
}

// SA is a Security Association payload.
type SA struct {
	DOI       uint32 // IKEv1
	Situation uint32 // IKEv1
	Proposals []Proposal
}

// Proposal is one proposal of an SA payload.
type Proposal struct {
	Num           uint8
	Protocol      uint8
	SPI           []byte
	NumTransforms uint8
	Transforms    []Transform
}

// Transform is one transform. For IKEv1, Num is the transform number and ID
// the transform ID (Type is 0); for IKEv2, Type is the transform type.
type Transform struct {
	Num   uint8
	Type  uint8
	ID    uint16
	Attrs []Attribute
}

// Attribute is a data attribute (RFC 2408 §3.3, RFC 7296 §3.3.5). TV
// attributes carry their value in Value; TLV attributes in Data, with Value
// set too when Data is at most 8 bytes.
type Attribute struct {
	Type  uint16 // without the format bit
	TV    bool
	Value uint64
	Data  []byte
}

// KE is a key exchange payload.
type KE struct {
	Group   uint16 // IKEv2 only
	DataLen int
}

// Identity is an ID payload.
type Identity struct {
	Type     uint8
	Protocol uint8  // IKEv1
	Port     uint16 // IKEv1
	Data     []byte
}

// Cert is a CERT or CERTREQ payload.
type Cert struct {
	Encoding uint8
	DataLen  int
}

// Auth is an IKEv2 AUTH payload.
type Auth struct {
	Method  uint8
	DataLen int
}

// Notify is a notification payload.
type Notify struct {
	Major    uint8 // version of the message, for naming
	DOI      uint32
	Protocol uint8
	Type     uint16
	SPI      []byte
	Data     []byte
	// Decoded forms of well-known notify data.
	WinError    uint32 // Microsoft status notify 12345: Windows error code
	HasWinError bool
	Seq         uint32 // DPD R-U-THERE / R-U-THERE-ACK sequence number
	HasSeq      bool
	Attrs       []Attribute // RESPONDER-LIFETIME attributes
	Group       uint16      // INVALID_KE_PAYLOAD accepted group
}

// Name names the notify type for the version of its message.
func (n *Notify) Name() string {
	if s := notifyName(n.Major, n.Type); s != "" {
		return s
	}
	return strconv.Itoa(int(n.Type))
}

// IsError reports whether the notify is an error type.
func (n *Notify) IsError() bool { return notifyIsError(n.Major, n.Type) }

// Notify types used by the decoder and the classifier.
const (
	NotifyMSStatus          = 12345 // Microsoft status notify, data = Windows error code
	NotifyResponderLifetime = 24576 // IKEv1 IPsec DOI
	NotifyInitialContactV1  = 24578
	NotifyRUThere           = 36136 // RFC 3706
	NotifyRUThereAck        = 36137
	NotifyInvalidKEPayload  = 17
	NotifyNoProposalChosen  = 14
	NotifyAuthFailed        = 24 // IKEv2; IKEv1 24 is INVALID-HASH-INFORMATION
)

// Delete is a delete payload.
type Delete struct {
	DOI      uint32
	Protocol uint8
	SPISize  uint8
	NumSPIs  uint16
	SPIs     [][]byte
}

// TrafficSelectors is a TSi or TSr payload.
type TrafficSelectors struct {
	Selectors []TrafficSelector
}

// TrafficSelector is one selector of a TS payload.
type TrafficSelector struct {
	Type               uint8
	IPProtocol         uint8
	StartPort, EndPort uint16
	StartAddr, EndAddr []byte
}

// Config is an IKEv2 CP payload or an IKEv1 attribute (mode config) payload.
type Config struct {
	Type  uint8
	ID    uint16 // IKEv1 identifier
	Attrs []Attribute
}

// Encrypted is an IKEv2 SK or SKF payload. Its contents are opaque.
type Encrypted struct {
	InnerNext PayloadType // the first inner payload type
	FragNum   uint16      // SKF only
	FragTotal uint16      // SKF only
	DataLen   int
}

// V1Fragment is an IKEv1 fragment payload (type 132).
type V1Fragment struct {
	ID      uint16
	Num     uint8
	Last    bool
	DataLen int
}

// EAP is an IKEv2 EAP payload.
type EAP struct {
	Code    uint8
	ID      uint8
	EAPType uint8
	DataLen int
}

// ParseMessage decodes one IKE message from b (a UDP payload, without the
// non-ESP marker). It never panics and never reads past b. When the message
// is malformed it returns what it could decode together with an *Error; the
// Message is nil only when not even the header could be read.
func ParseMessage(b []byte) (*Message, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	m := &Message{Header: h, Digest: digest(b)}
	body := b[HeaderLen:]
	switch {
	case h.Length < HeaderLen:
		m.Anomalies = append(m.Anomalies, errAt("header", 24, ErrBadLength))
	case int64(h.Length) > int64(len(b)):
		m.Anomalies = append(m.Anomalies, errAt("header", 24, ErrLengthMismatch))
	case int64(h.Length) < int64(len(b)):
		body = b[HeaderLen:h.Length]
		m.Anomalies = append(m.Anomalies, errAt("header", int(h.Length), ErrTrailingBytes))
	}
	if h.Major != 1 && h.Major != 2 {
		return m, errAt("header", 17, ErrBadVersion)
	}
	if h.Encrypted() {
		// RFC 2408 §3.1: everything after the header is encrypted.
		m.EncryptedLen = len(body)
		return m, nil
	}
	return m, m.parseChain(cursor{b: body, off: HeaderLen}, h.NextPayload, false)
}

// AddDecrypted decodes plain, the plaintext of the message's encrypted body
// (IKEv1) or SK payload (IKEv2, padding and pad length already removed),
// as a payload chain starting with payload type first, and appends its
// payloads to m marked Decrypted. Offsets are relative to plain. IKEv1
// padding is not self-describing (RFC 2409 §5.3), so for IKEv1 bytes after
// the end of the chain are allowed. It never panics and never reads past
// plain; payloads decoded before an error are kept.
func (m *Message) AddDecrypted(first PayloadType, plain []byte) error {
	start := len(m.Payloads)
	err := m.parseChain(cursor{b: plain}, first, m.Major == 1)
	for i := start; i < len(m.Payloads); i++ {
		m.Payloads[i].Decrypted = true
	}
	return err
}

// DecryptedPayloads reports whether any payload of m was decrypted.
func (m *Message) DecryptedPayloads() bool {
	for i := range m.Payloads {
		if m.Payloads[i].Decrypted {
			return true
		}
	}
	return false
}

// countPayloads walks the generic headers of a payload chain and returns how
// many payloads parseChain will keep: at most maxPayloads, and not one whose
// length is below 4 or past the end (parseChain stops there without it).
func countPayloads(b []byte, next PayloadType) int {
	n, off := 0, 0
	for next != PayloadNone && n < maxPayloads {
		if len(b)-off < 4 {
			break
		}
		length := int(binary.BigEndian.Uint16(b[off+2:]))
		if length < 4 || length > len(b)-off {
			break
		}
		n++
		if next == PayloadSK || next == PayloadSKF {
			break
		}
		next = PayloadType(b[off])
		off += length
	}
	return n
}

// parseChain walks the generic payload chain (RFC 2408 §3.2, RFC 7296 §3.2).
func (m *Message) parseChain(c cursor, next PayloadType, padded bool) error {
	var firstErr error
	fail := func(err *Error) error {
		if firstErr != nil {
			return firstErr
		}
		return err
	}
	// One allocation of the right size: appending grew the slice of
	// 152-byte payloads two or three times for each message.
	// (AddDecrypted appends to the payloads already there.)
	if n := countPayloads(c.b, next); n > 0 {
		m.Payloads = slices.Grow(m.Payloads, n)
	}
	for n := 0; next != PayloadNone; n++ {
		if n >= maxPayloads {
			return fail(errAt("", c.off, ErrTooManyPayloads))
		}
		start := c.off
		var nx, fl uint8
		var length uint16
		if !c.u8(&nx) || !c.u8(&fl) || !c.u16(&length) {
			return fail(errAt(PayloadName(m.Major, next), start, ErrTruncated))
		}
		if length < 4 {
			return fail(errAt(PayloadName(m.Major, next), start+2, ErrBadLength))
		}
		body, ok := c.sub(int(length) - 4)
		if !ok {
			return fail(errAt(PayloadName(m.Major, next), start+2, ErrTruncated))
		}
		p := Payload{Type: next, Offset: start, Length: int(length)}
		if m.Major == 2 {
			p.Critical = fl&0x80 != 0
		}
		// A broken payload body does not stop the walk: its generic header
		// still says where the next payload starts. The first error is
		// returned once the chain is done.
		if err := m.parsePayload(&p, PayloadType(nx), body); err != nil && firstErr == nil {
			firstErr = err
		}
		m.Payloads = append(m.Payloads, p)
		if next == PayloadSK || next == PayloadSKF {
			// RFC 7296 §3.14: the SK payload is last; its next-payload
			// field names the first inner payload.
			if c.len() > 0 {
				return fail(errAt("SK", c.off, ErrTrailingBytes))
			}
			return firstErr
		}
		next = PayloadType(nx)
	}
	if c.len() > 0 && !padded {
		return fail(errAt("", c.off, ErrTrailingBytes))
	}
	return firstErr
}

func (m *Message) parsePayload(p *Payload, nx PayloadType, c cursor) error {
	name := payloadName(m.Major, uint8(p.Type))
	if name == "" {
		name = strconv.Itoa(int(p.Type))
	}
	trunc := func() error { return errAt(name, c.off, ErrTruncated) }
	if m.Major == 1 {
		switch p.Type {
		case PayloadSA:
			sa := &SA{}
			p.SA = sa
			if !c.u32(&sa.DOI) || !c.u32(&sa.Situation) {
				return trunc()
			}
			// RFC 2407 §4.6.1: SIT_SECRECY/SIT_INTEGRITY add labelled
			// domain fields we do not decode; proposals follow only for
			// SIT_IDENTITY_ONLY.
			if sa.DOI != 1 || sa.Situation != 1 {
				return nil
			}
			return m.parseProposals(sa, c, name)
		case PayloadKE:
			p.KE = &KE{DataLen: c.len()}
		case PayloadID:
			id := &Identity{}
			if !c.u8(&id.Type) || !c.u8(&id.Protocol) || !c.u16(&id.Port) {
				return trunc()
			}
			id.Data = clone(c.b)
			p.ID = id
		case PayloadCert, PayloadCertReq:
			ce := &Cert{}
			if !c.u8(&ce.Encoding) {
				return trunc()
			}
			ce.DataLen = c.len()
			p.Cert = ce
		case PayloadHash, PayloadSig, PayloadVendorID, PayloadNATD, PayloadNATDDraft:
			p.Data = clone(c.b)
			p.DataLen = c.len()
		case PayloadNonce:
			p.DataLen = c.len()
		case PayloadNATOA, PayloadNATOADraft:
			// RFC 3947 §5.2: ID type, reserved, address.
			id := &Identity{}
			if !c.u8(&id.Type) || !c.skip(3) {
				return trunc()
			}
			id.Data = clone(c.b)
			p.ID = id
		case PayloadNotify:
			n := &Notify{Major: 1}
			var spiSize uint8
			if !c.u32(&n.DOI) || !c.u8(&n.Protocol) || !c.u8(&spiSize) || !c.u16(&n.Type) {
				return trunc()
			}
			spi, ok := c.take(int(spiSize))
			if !ok {
				return trunc()
			}
			n.SPI = clone(spi)
			n.Data = clone(c.b)
			p.Notify = n
			return n.decodeData(name, c)
		case PayloadDelete:
			d := &Delete{}
			if !c.u32(&d.DOI) || !c.u8(&d.Protocol) || !c.u8(&d.SPISize) || !c.u16(&d.NumSPIs) {
				return trunc()
			}
			p.Delete = d
			return d.readSPIs(name, c)
		case PayloadAttr:
			cf := &Config{}
			if !c.u8(&cf.Type) || !c.skip(1) || !c.u16(&cf.ID) {
				return trunc()
			}
			p.CP = cf
			attrs, err := parseAttributes(c, loc{base: name}, maxAttributes)
			cf.Attrs = attrs
			return err
		case PayloadFragment:
			// Cisco/Microsoft IKEv1 fragmentation: ID(2), number(1), flags(1).
			f := &V1Fragment{}
			var flags uint8
			if !c.u16(&f.ID) || !c.u8(&f.Num) || !c.u8(&flags) {
				return trunc()
			}
			f.Last = flags&1 != 0
			f.DataLen = c.len()
			p.Fragment = f
		default:
			p.DataLen = c.len()
		}
		return nil
	}
	switch p.Type {
	case PayloadSAv2:
		sa := &SA{}
		p.SA = sa
		return m.parseProposals(sa, c, name)
	case PayloadKEv2:
		ke := &KE{}
		if !c.u16(&ke.Group) || !c.skip(2) {
			return trunc()
		}
		ke.DataLen = c.len()
		p.KE = ke
	case PayloadIDi, PayloadIDr:
		id := &Identity{}
		if !c.u8(&id.Type) || !c.skip(3) {
			return trunc()
		}
		id.Data = clone(c.b)
		p.ID = id
	case PayloadCertv2, PayloadCertReqv2:
		ce := &Cert{}
		if !c.u8(&ce.Encoding) {
			return trunc()
		}
		ce.DataLen = c.len()
		p.Cert = ce
	case PayloadAuth:
		a := &Auth{}
		if !c.u8(&a.Method) || !c.skip(3) {
			return trunc()
		}
		a.DataLen = c.len()
		p.Auth = a
	case PayloadNoncev2:
		p.DataLen = c.len()
	case PayloadNotifyv2:
		n := &Notify{Major: 2}
		var spiSize uint8
		if !c.u8(&n.Protocol) || !c.u8(&spiSize) || !c.u16(&n.Type) {
			return trunc()
		}
		spi, ok := c.take(int(spiSize))
		if !ok {
			return trunc()
		}
		n.SPI = clone(spi)
		n.Data = clone(c.b)
		p.Notify = n
		return n.decodeData(name, c)
	case PayloadDeletev2:
		d := &Delete{}
		if !c.u8(&d.Protocol) || !c.u8(&d.SPISize) || !c.u16(&d.NumSPIs) {
			return trunc()
		}
		p.Delete = d
		return d.readSPIs(name, c)
	case PayloadVendorIDv2:
		p.Data = clone(c.b)
		p.DataLen = c.len()
	case PayloadTSi, PayloadTSr:
		ts := &TrafficSelectors{}
		p.TS = ts
		return ts.parse(name, c)
	case PayloadSK:
		p.Encrypted = &Encrypted{InnerNext: nx, DataLen: c.len()}
	case PayloadSKF:
		e := &Encrypted{InnerNext: nx}
		if !c.u16(&e.FragNum) || !c.u16(&e.FragTotal) {
			return trunc()
		}
		e.DataLen = c.len()
		p.Encrypted = e
	case PayloadCP:
		cf := &Config{}
		if !c.u8(&cf.Type) || !c.skip(3) {
			return trunc()
		}
		p.CP = cf
		attrs, err := parseCPAttributes(c, name)
		cf.Attrs = attrs
		return err
	case PayloadEAP:
		e := &EAP{}
		var l uint16
		if !c.u8(&e.Code) || !c.u8(&e.ID) || !c.u16(&l) {
			return trunc()
		}
		if c.len() > 0 {
			c.u8(&e.EAPType)
		}
		e.DataLen = c.len()
		p.EAP = e
	default:
		p.Data = nil
		p.DataLen = c.len()
	}
	return nil
}

// parseProposals reads the proposal substructures of an SA payload. IKEv1
// proposals are payloads of type 2 chained by next-payload (RFC 2408 §3.5);
// IKEv2 uses the same layout with "last substruc" 0 or 2 (RFC 7296 §3.3.1).
func (m *Message) parseProposals(sa *SA, c cursor, saName string) error {
	for n := 0; c.len() > 0; n++ {
		path := loc{base: saName, p: n + 1}
		if n >= maxProposals {
			return errAt(path.String(), c.off, ErrTooMany)
		}
		more, pc, err := substructure(&c, path)
		if err != nil {
			return err
		}
		var pr Proposal
		var spiSize uint8
		if !pc.u8(&pr.Num) || !pc.u8(&pr.Protocol) || !pc.u8(&spiSize) || !pc.u8(&pr.NumTransforms) {
			return errAt(path.String(), pc.off, ErrTruncated)
		}
		spi, ok := pc.take(int(spiSize))
		if !ok {
			sa.Proposals = append(sa.Proposals, pr)
			return errAt(path.String(), pc.off, ErrTruncated)
		}
		pr.SPI = clone(spi)
		err = m.parseTransforms(&pr, pc, path)
		sa.Proposals = append(sa.Proposals, pr)
		if err != nil {
			return err
		}
		if more == 0 {
			break
		}
	}
	if c.len() > 0 {
		return errAt(saName, c.off, ErrTrailingBytes)
	}
	return nil
}

// substructure reads the header that proposals and transforms share
// (RFC 2408 §3.5 and §3.6, RFC 7296 §3.3.1 and §3.3.2): last-substructure
// flag, reserved, length. It returns the flag and the rest of the
// substructure, and moves c past it.
func substructure(c *cursor, path loc) (more uint8, body cursor, err error) {
	start := c.off
	var resv uint8
	var length uint16
	if !c.u8(&more) || !c.u8(&resv) || !c.u16(&length) {
		return 0, cursor{}, errAt(path.String(), start, ErrTruncated)
	}
	if length < 8 {
		return 0, cursor{}, errAt(path.String(), start+2, ErrBadLength)
	}
	body, ok := c.sub(int(length) - 4)
	if !ok {
		return 0, cursor{}, errAt(path.String(), start+2, ErrTruncated)
	}
	return more, body, nil
}

func (m *Message) parseTransforms(pr *Proposal, c cursor, ppath loc) error {
	for n := 0; c.len() > 0; n++ {
		path := ppath
		path.t = n + 1
		if n >= maxTransforms {
			return errAt(path.String(), c.off, ErrTooMany)
		}
		more, tc, err := substructure(&c, path)
		if err != nil {
			return err
		}
		var t Transform
		if m.Major == 1 {
			// RFC 2408 §3.6: transform number, transform ID, 2 reserved.
			var id uint8
			if !tc.u8(&t.Num) || !tc.u8(&id) || !tc.skip(2) {
				return errAt(path.String(), tc.off, ErrTruncated)
			}
			t.ID = uint16(id)
		} else {
			// RFC 7296 §3.3.2: type, reserved, transform ID.
			if !tc.u8(&t.Type) || !tc.skip(1) || !tc.u16(&t.ID) {
				return errAt(path.String(), tc.off, ErrTruncated)
			}
		}
		attrs, err := parseAttributes(tc, path, maxAttributes)
		t.Attrs = attrs
		pr.Transforms = append(pr.Transforms, t)
		if err != nil {
			return err
		}
		if more == 0 {
			break
		}
	}
	if c.len() > 0 {
		return errAt(ppath.String(), c.off, ErrTrailingBytes)
	}
	return nil
}

// loc is where in a message a proposal, transform or attribute is, made
// into its path ("SA/P1/T3/A2") only when an error is reported: building the
// strings for every transform of every message was a fifth of the time
// spent on a flood of retransmitted IKE_SA_INIT requests.
type loc struct {
	base    string
	p, t, a int // 1-based; 0 when not part of the path
}

func (l loc) String() string {
	s := l.base
	if l.p > 0 {
		s += "/P" + strconv.Itoa(l.p)
	}
	if l.t > 0 {
		s += "/T" + strconv.Itoa(l.t)
	}
	if l.a > 0 {
		s += "/A" + strconv.Itoa(l.a)
	}
	return s
}

// parseAttributes reads data attributes in the ISAKMP format (RFC 2408
// §3.3): AF bit set means TV with a 2-byte value, clear means TLV.
func parseAttributes(c cursor, ppath loc, max int) ([]Attribute, error) {
	var attrs []Attribute
	for n := 0; c.len() > 0; n++ {
		path := ppath
		path.a = n + 1
		if n >= max {
			return attrs, errAt(path.String(), c.off, ErrTooMany)
		}
		start := c.off
		var t, v uint16
		if !c.u16(&t) || !c.u16(&v) {
			return attrs, errAt(path.String(), start, ErrTruncated)
		}
		a := Attribute{Type: t & 0x7fff}
		if t&0x8000 != 0 {
			a.TV = true
			a.Value = uint64(v)
		} else {
			d, ok := c.take(int(v))
			if !ok {
				return attrs, errAt(path.String(), start+2, ErrTruncated)
			}
			a.Data = clone(d)
			a.Value, _ = uintBytes(d)
		}
		attrs = append(attrs, a)
	}
	return attrs, nil
}

// parseCPAttributes reads IKEv2 configuration attributes (RFC 7296 §3.15.1):
// reserved bit, 15-bit type, length, value.
func parseCPAttributes(c cursor, ppath string) ([]Attribute, error) {
	var attrs []Attribute
	for n := 0; c.len() > 0; n++ {
		path := ppath + "/A" + strconv.Itoa(n+1)
		if n >= maxAttributes {
			return attrs, errAt(path, c.off, ErrTooMany)
		}
		start := c.off
		var t, l uint16
		if !c.u16(&t) || !c.u16(&l) {
			return attrs, errAt(path, start, ErrTruncated)
		}
		d, ok := c.take(int(l))
		if !ok {
			return attrs, errAt(path, start+2, ErrTruncated)
		}
		a := Attribute{Type: t & 0x7fff, Data: clone(d)}
		a.Value, _ = uintBytes(d)
		attrs = append(attrs, a)
	}
	return attrs, nil
}

func (d *Delete) readSPIs(name string, c cursor) error {
	if d.SPISize == 0 {
		if c.len() > 0 {
			return errAt(name, c.off, ErrTrailingBytes)
		}
		return nil
	}
	for i := 0; i < int(d.NumSPIs); i++ {
		if i >= maxSPIs {
			return errAt(name, c.off, ErrTooMany)
		}
		spi, ok := c.take(int(d.SPISize))
		if !ok {
			return errAt(name+"/SPI"+strconv.Itoa(i+1), c.off, ErrTruncated)
		}
		d.SPIs = append(d.SPIs, clone(spi))
	}
	if c.len() > 0 {
		return errAt(name, c.off, ErrTrailingBytes)
	}
	return nil
}

// decodeData decodes the data of well-known notify types. c holds the data.
func (n *Notify) decodeData(name string, c cursor) error {
	switch n.Type {
	case NotifyMSStatus:
		// MS-IKEE: the data is a 4-byte Windows error code.
		var v uint32
		if c.u32(&v) {
			n.WinError, n.HasWinError = v, true
		}
	case NotifyRUThere, NotifyRUThereAck:
		// RFC 3706 §5: 32-bit sequence number.
		if n.Major == 1 {
			var v uint32
			if c.u32(&v) {
				n.Seq, n.HasSeq = v, true
			}
		}
	case NotifyResponderLifetime:
		// RFC 2407 §4.6.3.1: the data is a list of SA attributes.
		if n.Major == 1 {
			attrs, err := parseAttributes(c, loc{base: name + "/RESPONDER-LIFETIME"}, maxAttributes)
			n.Attrs = attrs
			return err
		}
	case NotifyInvalidKEPayload:
		if n.Major == 2 {
			var g uint16
			if c.u16(&g) {
				n.Group = g
			}
		}
	}
	return nil
}

func (ts *TrafficSelectors) parse(name string, c cursor) error {
	var num uint8
	if !c.u8(&num) || !c.skip(3) {
		return errAt(name, c.off, ErrTruncated)
	}
	for i := 0; c.len() > 0; i++ {
		path := name + "/TS" + strconv.Itoa(i+1)
		if i >= maxSelectors {
			return errAt(path, c.off, ErrTooMany)
		}
		start := c.off
		var s TrafficSelector
		var l uint16
		if !c.u8(&s.Type) || !c.u8(&s.IPProtocol) || !c.u16(&l) {
			return errAt(path, start, ErrTruncated)
		}
		if l < 8 {
			return errAt(path, start+2, ErrBadLength)
		}
		sc, ok := c.sub(int(l) - 4)
		if !ok {
			return errAt(path, start+2, ErrTruncated)
		}
		if !sc.u16(&s.StartPort) || !sc.u16(&s.EndPort) {
			return errAt(path, sc.off, ErrTruncated)
		}
		alen := sc.len() / 2
		a, _ := sc.take(alen)
		s.StartAddr = clone(a)
		s.EndAddr = clone(sc.b)
		ts.Selectors = append(ts.Selectors, s)
	}
	if len(ts.Selectors) != int(num) {
		return errAt(name, c.off, ErrBadLength)
	}
	return nil
}

// digestSeed seeds Message.Digest. maphash hashes a word at a time with the
// processor's AES instructions where it has them: FNV-1a, a byte at a time,
// was a tenth of the time spent on a flood of retransmissions.
var digestSeed = maphash.MakeSeed()

func digest(b []byte) uint64 { return maphash.Bytes(digestSeed, b) }
