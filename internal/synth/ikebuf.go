package synth

import "encoding/binary"

// ikeBuf builds one IKE message in place. Payloads are chained as they are
// begun: begin patches the next-payload field of the previous payload (or
// of the header) with the new payload's type.
type ikeBuf struct {
	b    []byte
	next int // offset of the next-payload byte to patch
}

// IKE header versions.
const (
	ikeV1 = 0x10
	ikeV2 = 0x20
)

// header starts a message (RFC 2408 §3.1, RFC 7296 §3.1).
func (m *ikeBuf) header(ispi, rspi uint64, ver, exch, flags byte, msgID uint32) {
	b := m.b[:0]
	b = binary.BigEndian.AppendUint64(b, ispi)
	b = binary.BigEndian.AppendUint64(b, rspi)
	b = append(b, 0, ver, exch, flags)
	b = binary.BigEndian.AppendUint32(b, msgID)
	b = binary.BigEndian.AppendUint32(b, 0)
	m.b, m.next = b, 16
}

// begin starts a payload of type pt and returns its offset.
func (m *ikeBuf) begin(pt byte) int {
	m.b[m.next] = pt
	start := len(m.b)
	m.next = start
	m.b = append(m.b, 0, 0, 0, 0)
	return start
}

// end sets the length of the payload (or substructure) started at start;
// the length field is at start+2 in all of them.
func (m *ikeBuf) end(start int) {
	binary.BigEndian.PutUint16(m.b[start+2:], uint16(len(m.b)-start))
}

// finish sets the header length and returns the message.
func (m *ikeBuf) finish() []byte {
	binary.BigEndian.PutUint32(m.b[24:], uint32(len(m.b)))
	return m.b
}

func (m *ikeBuf) put(p ...byte)  { m.b = append(m.b, p...) }
func (m *ikeBuf) bytes(p []byte) { m.b = append(m.b, p...) }
func (m *ikeBuf) u16(v uint16)   { m.b = binary.BigEndian.AppendUint16(m.b, v) }
func (m *ikeBuf) u32(v uint32)   { m.b = binary.BigEndian.AppendUint32(m.b, v) }
func (m *ikeBuf) payload(pt byte, data []byte) {
	s := m.begin(pt)
	m.bytes(data)
	m.end(s)
}

// tv appends a TV (basic) attribute (RFC 2408 §3.3).
func (m *ikeBuf) tv(typ, v uint16) {
	m.u16(0x8000 | typ)
	m.u16(v)
}

// life appends a life duration attribute: TV when the value fits in 16
// bits, else TLV with 4 bytes, as implementations do.
func (m *ikeBuf) life(typ uint16, v uint32) {
	if v <= 0xffff {
		m.tv(typ, uint16(v))
		return
	}
	m.u16(typ)
	m.u16(4)
	m.u32(v)
}

// sub starts a proposal or transform substructure: more is the value of
// its first byte when another one follows (2 for proposals, 3 for
// transforms), or 0 for the last one.
func (m *ikeBuf) sub(more byte, last bool) int {
	if last {
		more = 0
	}
	start := len(m.b)
	m.b = append(m.b, more, 0, 0, 0)
	return start
}
