package decode

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Sentinel errors. Every error returned by the parsers wraps one of these
// inside an *Error that says where in the message the problem was.
var (
	ErrTruncated       = errors.New("truncated")
	ErrBadLength       = errors.New("bad length")
	ErrTooManyPayloads = errors.New("too many payloads")
	ErrTooMany         = errors.New("too many elements")
	ErrBadVersion      = errors.New("unknown ike version")
	ErrTrailingBytes   = errors.New("trailing bytes")
	ErrLengthMismatch  = errors.New("header length differs from datagram length")
	ErrNotIKE          = errors.New("not an ike message")
)

// Error is a positioned decoding error: Path names the structure being read
// ("SA/P1/T3/A2"), Offset is the byte offset in the IKE message.
type Error struct {
	Path   string
	Offset int
	Err    error
}

func (e *Error) Error() string {
	s := e.Err.Error() + " at offset " + strconv.Itoa(e.Offset)
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// cursor reads from a byte slice without ever reading past its end. off is
// the offset of b[0] within the whole message, for error positions.
type cursor struct {
	b   []byte
	off int
}

func (c *cursor) len() int { return len(c.b) }

func (c *cursor) take(n int) ([]byte, bool) {
	if n < 0 || n > len(c.b) {
		return nil, false
	}
	v := c.b[:n:n]
	c.b = c.b[n:]
	c.off += n
	return v, true
}

// sub splits off the next n bytes as a cursor of their own.
func (c *cursor) sub(n int) (cursor, bool) {
	off := c.off
	b, ok := c.take(n)
	return cursor{b: b, off: off}, ok
}

func (c *cursor) u8(v *uint8) bool {
	if len(c.b) < 1 {
		return false
	}
	*v = c.b[0]
	c.b = c.b[1:]
	c.off++
	return true
}

func (c *cursor) u16(v *uint16) bool {
	if len(c.b) < 2 {
		return false
	}
	*v = binary.BigEndian.Uint16(c.b)
	c.b = c.b[2:]
	c.off += 2
	return true
}

func (c *cursor) u32(v *uint32) bool {
	if len(c.b) < 4 {
		return false
	}
	*v = binary.BigEndian.Uint32(c.b)
	c.b = c.b[4:]
	c.off += 4
	return true
}

func (c *cursor) skip(n int) bool {
	_, ok := c.take(n)
	return ok
}

func errAt(path string, off int, err error) *Error {
	return &Error{Path: path, Offset: off, Err: err}
}

// clone copies b so that it survives the packet buffer being reused.
func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// uintBytes reads up to 8 big-endian bytes as an integer.
func uintBytes(b []byte) (uint64, bool) {
	if len(b) > 8 {
		return 0, false
	}
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v, true
}
