package decode_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ikescope/ikescope/decode"
)

// Hand-built hostile messages for ParseMessage. Each case states the
// sentinel it must get, where, and which payloads must survive the damage.

// rawPayload is one payload of a hand-built chain: its type and its body (without
// the 4-byte generic header).
type rawPayload struct {
	t    decode.PayloadType
	body []byte
}

// ikeMsg assembles a 28-byte header and the payload chain: the header names
// the first payload, each generic header names the payload after it, and
// the last one names last. The header length is the total length.
func ikeMsg(major uint8, ps []rawPayload, last decode.PayloadType) []byte {
	next := last
	if len(ps) > 0 {
		next = ps[0].t
	}
	exch, flags := byte(decode.ExchangeMainMode), byte(0)
	if major == 2 {
		exch, flags = byte(decode.ExchangeIKESAInit), decode.FlagInitiator
	}
	// The version byte: major version in the high nibble, minor 0.
	b := []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, byte(next), major << 4, exch, flags, 0, 0, 0, 0, 0, 0, 0, 0}
	for i, p := range ps {
		nx := last
		if i+1 < len(ps) {
			nx = ps[i+1].t
		}
		b = append(b, byte(nx), 0)
		b = binary.BigEndian.AppendUint16(b, uint16(4+len(p.body)))
		b = append(b, p.body...)
	}
	binary.BigEndian.PutUint32(b[24:], uint32(len(b)))
	return b
}

// put16 and put32 return a copy of b with a field overwritten.
func put16(b []byte, off int, v uint16) []byte {
	b = slices.Clone(b)
	binary.BigEndian.PutUint16(b[off:], v)
	return b
}

func put32(b []byte, off int, v uint32) []byte {
	b = slices.Clone(b)
	binary.BigEndian.PutUint32(b[off:], v)
	return b
}

// withLen sets the header length.
func withLen(b []byte, n uint32) []byte { return put32(b, 24, n) }

// repeat returns n payloads of type t with the given body.
func repeat(n int, t decode.PayloadType, body []byte) []rawPayload {
	ps := make([]rawPayload, n)
	for i := range ps {
		ps[i] = rawPayload{t, body}
	}
	return ps
}

// v2Proposal builds an IKEv2 proposal substructure (RFC 7296 §3.3.1).
func v2Proposal(more bool, num, proto uint8, spi []byte, transforms ...[]byte) []byte {
	var body []byte
	for _, t := range transforms {
		body = append(body, t...)
	}
	last := byte(0)
	if more {
		last = 2
	}
	b := []byte{last, 0}
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(spi)+len(body)))
	b = append(b, num, proto, byte(len(spi)), byte(len(transforms)))
	b = append(b, spi...)
	return append(b, body...)
}

// v2Transform builds an IKEv2 transform substructure (RFC 7296 §3.3.2).
func v2Transform(more bool, typ uint8, id uint16, attrs ...[]byte) []byte {
	var a []byte
	for _, x := range attrs {
		a = append(a, x...)
	}
	last := byte(0)
	if more {
		last = 3
	}
	b := []byte{last, 0}
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(a)))
	b = append(b, typ, 0)
	b = binary.BigEndian.AppendUint16(b, id)
	return append(b, a...)
}

// v1Proposal and v1Transform build the IKEv1 forms (RFC 2408 §3.5, §3.6).
func v1Proposal(num, proto uint8, transforms ...[]byte) []byte {
	var body []byte
	for _, t := range transforms {
		body = append(body, t...)
	}
	b := []byte{0, 0}
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(body)))
	b = append(b, num, proto, 0, byte(len(transforms)))
	return append(b, body...)
}

func v1Transform(num, id uint8, attrs ...[]byte) []byte {
	var a []byte
	for _, x := range attrs {
		a = append(a, x...)
	}
	b := []byte{0, 0}
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(a)))
	b = append(b, num, id, 0, 0)
	return append(b, a...)
}

// tv is a TV attribute (AF bit set), tlv a TLV attribute whose length field
// says n while data holds the bytes actually present.
func attrTV(t, v uint16) []byte {
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, 0x8000|t), v)
}

func attrTLV(t, n uint16, data []byte) []byte {
	b := binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, t), n)
	return append(b, data...)
}

func joinBytes(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

var (
	nonce16 = rawPayload{decode.PayloadNoncev2, make([]byte, 16)}                             // 20 bytes on the wire
	vid8    = rawPayload{decode.PayloadVendorIDv2, []byte("ikescope")}                        // 12 bytes on the wire
	keV2    = rawPayload{decode.PayloadKEv2, joinBytes([]byte{0, 14, 0, 0}, make([]byte, 8))} // 16 bytes on the wire
)

// v2SA is an IKEv2 SA body: one proposal with AES-CBC-256 and PRF-SHA2-256.
var v2SA = v2Proposal(false, 1, 1, nil,
	v2Transform(true, 1, 12, attrTV(14, 256)),
	v2Transform(false, 2, 5))

type hostileCase struct {
	name  string
	in    []byte
	want  error  // sentinel of the returned error; nil for none
	off   int    // its offset
	path  string // its path, when not empty
	anom  error  // sentinel of the one anomaly expected, if any
	types []decode.PayloadType
	nilOK bool                                  // the message is nil (no header)
	check func(t *testing.T, m *decode.Message) // further checks
}

func hostileCases() []hostileCase {
	v2 := func(ps ...rawPayload) []byte { return ikeMsg(2, ps, decode.PayloadNone) }
	N, V, KE := decode.PayloadNoncev2, decode.PayloadVendorIDv2, decode.PayloadKEv2
	threeV2 := v2(nonce16, vid8, keV2) // Nonce at 28, V at 48, KE at 60; 76 bytes
	types := func(n int, t decode.PayloadType) []decode.PayloadType {
		return slices.Repeat([]decode.PayloadType{t}, n)
	}
	return []hostileCase{
		{name: "empty", in: nil, want: decode.ErrTruncated, off: 0, nilOK: true},
		{name: "27 bytes", in: threeV2[:27], want: decode.ErrTruncated, off: 27, nilOK: true},
		{name: "header only", in: v2()},
		{name: "valid chain", in: threeV2, types: []decode.PayloadType{N, V, KE}},
		{name: "header length 0", in: withLen(threeV2, 0), anom: decode.ErrBadLength, types: []decode.PayloadType{N, V, KE}},
		{name: "header length 3", in: withLen(threeV2, 3), anom: decode.ErrBadLength, types: []decode.PayloadType{N, V, KE}},
		{name: "header length 27", in: withLen(threeV2, 27), anom: decode.ErrBadLength, types: []decode.PayloadType{N, V, KE}},
		{name: "header length past the end", in: withLen(threeV2, 1000), anom: decode.ErrLengthMismatch, types: []decode.PayloadType{N, V, KE}},
		{name: "header length 0xffffffff", in: withLen(threeV2, 0xffffffff), anom: decode.ErrLengthMismatch, types: []decode.PayloadType{N, V, KE}},
		// The header says one byte less than the datagram: the last
		// payload no longer fits in the message.
		{name: "header length one short", in: withLen(threeV2, 75), want: decode.ErrTruncated, off: 62, path: "KE",
			anom: decode.ErrTrailingBytes, types: []decode.PayloadType{N, V}},
		// The datagram lost its last byte; the header still says 76.
		{name: "datagram one byte short", in: threeV2[:75], want: decode.ErrTruncated, off: 62, path: "KE",
			anom: decode.ErrLengthMismatch, types: []decode.PayloadType{N, V}},
		{name: "payload length 0", in: put16(threeV2, 50, 0), want: decode.ErrBadLength, off: 50, path: "V", types: []decode.PayloadType{N}},
		{name: "payload length 3", in: put16(threeV2, 50, 3), want: decode.ErrBadLength, off: 50, path: "V", types: []decode.PayloadType{N}},
		{name: "payload length 4", in: put16(threeV2, 50, 4), want: decode.ErrTruncated, off: 54, path: "KE",
			types: []decode.PayloadType{N, V}}, // the vendor ID bytes are read as the next generic header
		{name: "payload length past the end", in: put16(threeV2, 50, 0xffff), want: decode.ErrTruncated, off: 50, path: "V", types: []decode.PayloadType{N}},
		{name: "first payload length past the end", in: put16(threeV2, 30, 77), want: decode.ErrTruncated, off: 30, path: "Nonce"},
		{name: "generic header cut", in: withLen(threeV2[:30], 30), want: decode.ErrTruncated, off: 28, path: "Nonce"},
		// A chain whose next-payload fields keep naming Nonce: it ends
		// when the bytes do, with the three payloads that were there.
		{name: "next-payload loop", in: ikeMsg(2, repeat(3, N, make([]byte, 16)), N), want: decode.ErrTruncated, off: 88, types: types(3, N)},
		{name: "next-payload loop to itself", in: ikeMsg(2, repeat(1, V, nil), V), want: decode.ErrTruncated, off: 32, types: types(1, V)},
		{name: "64 payloads", in: ikeMsg(2, repeat(64, V, nil), decode.PayloadNone), types: types(64, V)},
		{name: "65 payloads", in: ikeMsg(2, repeat(65, V, nil), decode.PayloadNone), want: decode.ErrTooManyPayloads, off: 28 + 64*4, types: types(64, V)},
		{name: "300 payloads", in: ikeMsg(2, repeat(300, V, nil), decode.PayloadNone), want: decode.ErrTooManyPayloads, off: 28 + 64*4, types: types(64, V)},
		{name: "65 payloads IKEv1", in: ikeMsg(1, repeat(65, decode.PayloadVendorID, nil), decode.PayloadNone), want: decode.ErrTooManyPayloads, off: 28 + 64*4,
			types: types(64, decode.PayloadVendorID)},
		{name: "0xFF payload types", in: ikeMsg(2, repeat(3, 0xff, []byte{1, 2, 3}), decode.PayloadNone), types: types(3, 0xff)},
		{name: "0xFF payload types IKEv1", in: ikeMsg(1, repeat(3, 0xff, []byte{1, 2, 3}), decode.PayloadNone), types: types(3, 0xff)},
		{name: "0xFF next at the end", in: ikeMsg(2, []rawPayload{nonce16}, 0xff), want: decode.ErrTruncated, off: 48, types: []decode.PayloadType{N}},
		{name: "0xFF next with no payloads", in: ikeMsg(2, nil, 0xff), want: decode.ErrTruncated, off: 28},
		{name: "trailing bytes after the chain", in: withLen(append(slices.Clone(threeV2), 1, 2, 3), 79), want: decode.ErrTrailingBytes, off: 76,
			types: []decode.PayloadType{N, V, KE}},
		// SA payload at 28, its body at 32, the proposal length at 34.
		{name: "SA proposal length 0", in: v2(rawPayload{decode.PayloadSAv2, []byte{0, 0, 0, 0, 1, 1, 0, 0}}, nonce16), want: decode.ErrBadLength, off: 34, path: "SA/P1",
			types: []decode.PayloadType{decode.PayloadSAv2, N}},
		{name: "SA proposal length 3", in: v2(rawPayload{decode.PayloadSAv2, []byte{0, 0, 0, 3, 1, 1, 0, 0}}, nonce16), want: decode.ErrBadLength, off: 34, path: "SA/P1",
			types: []decode.PayloadType{decode.PayloadSAv2, N}},
		{name: "SA proposal length past the end", in: v2(rawPayload{decode.PayloadSAv2, put16(v2SA, 2, 0xffff)}, nonce16), want: decode.ErrTruncated, off: 34, path: "SA/P1",
			types: []decode.PayloadType{decode.PayloadSAv2, N}},
		{name: "SA second proposal length 0", in: v2(rawPayload{decode.PayloadSAv2, joinBytes(put16(v2SA, 0, 0x0200), []byte{0, 0, 0, 0})}),
			want: decode.ErrBadLength, off: 32 + len(v2SA) + 2, path: "SA/P2", types: []decode.PayloadType{decode.PayloadSAv2},
			check: func(t *testing.T, m *decode.Message) {
				if sa := m.Payloads[0].SA; sa == nil || len(sa.Proposals) != 1 || len(sa.Proposals[0].Transforms) != 2 {
					t.Errorf("the first proposal was not kept whole: %#v", sa)
				}
			}},
		{name: "SA proposal SPI size past the end", in: v2(rawPayload{decode.PayloadSAv2, []byte{0, 0, 0, 8, 1, 3, 200, 0}}), want: decode.ErrTruncated, off: 40, path: "SA/P1",
			types: []decode.PayloadType{decode.PayloadSAv2}},
		{name: "SA transform length 0", in: v2(rawPayload{decode.PayloadSAv2, v2Proposal(false, 1, 1, nil, []byte{0, 0, 0, 0, 1, 0, 0, 12})}), want: decode.ErrBadLength, off: 42, path: "SA/P1/T1",
			types: []decode.PayloadType{decode.PayloadSAv2}},
		// Proposal at 32, T1 at 40 (12 bytes), T2 at 52: its attribute at
		// 60 says 100 bytes of data where 4 are left.
		{name: "transform attribute length past the end", in: v2(rawPayload{decode.PayloadSAv2, v2Proposal(false, 1, 1, nil,
			v2Transform(true, 1, 12, attrTV(14, 256)),
			v2Transform(false, 2, 5, attrTLV(1, 100, []byte{1, 2, 3, 4})))}, nonce16),
			want: decode.ErrTruncated, off: 62, path: "SA/P1/T2/A1", types: []decode.PayloadType{decode.PayloadSAv2, N},
			check: func(t *testing.T, m *decode.Message) {
				sa := m.Payloads[0].SA
				if sa == nil || len(sa.Proposals) != 1 || len(sa.Proposals[0].Transforms) != 2 || len(sa.Proposals[0].Transforms[0].Attrs) != 1 {
					t.Errorf("transforms before the broken attribute were not kept: %#v", sa)
				}
			}},
		// IKEv1: SA at 28, DOI and situation to 40, proposal header to 48,
		// transform header to 56, a TV attribute to 60, then a TLV
		// attribute claiming 65535 bytes.
		{name: "TLV attribute with huge length", in: ikeMsg(1, []rawPayload{{decode.PayloadSA, joinBytes([]byte{0, 0, 0, 1, 0, 0, 0, 1},
			v1Proposal(1, 1, v1Transform(1, 1, attrTV(1, 7), attrTLV(2, 0xffff, []byte{1, 2, 3, 4}))))}}, decode.PayloadNone),
			want: decode.ErrTruncated, off: 62, path: "SA/P1/T1/A2", types: []decode.PayloadType{decode.PayloadSA}},
		{name: "Notify with SPI size 255", in: v2(rawPayload{decode.PayloadNotifyv2, joinBytes([]byte{1, 255, 0x40, 0x04}, make([]byte, 20))}, nonce16),
			want: decode.ErrTruncated, off: 36, path: "N", types: []decode.PayloadType{decode.PayloadNotifyv2, N}},
		{name: "Notify IKEv1 with SPI size 255", in: ikeMsg(1, []rawPayload{{decode.PayloadNotify, joinBytes([]byte{0, 0, 0, 1, 1, 255, 0x60, 0x02}, make([]byte, 16))}}, decode.PayloadNone),
			want: decode.ErrTruncated, off: 40, types: []decode.PayloadType{decode.PayloadNotify}},
		{name: "Notify body cut", in: v2(rawPayload{decode.PayloadNotifyv2, []byte{1, 0}}), want: decode.ErrTruncated, off: 34, path: "N",
			types: []decode.PayloadType{decode.PayloadNotifyv2}},
		// Delete at 28, SPIs from 36.
		{name: "Delete with 65535 SPIs claimed, 3 present", in: v2(rawPayload{decode.PayloadDeletev2, joinBytes([]byte{3, 4, 0xff, 0xff}, make([]byte, 12))}),
			want: decode.ErrTruncated, off: 48, path: "D/SPI4", types: []decode.PayloadType{decode.PayloadDeletev2},
			check: func(t *testing.T, m *decode.Message) {
				if d := m.Payloads[0].Delete; d == nil || len(d.SPIs) != 3 || d.NumSPIs != 0xffff {
					t.Errorf("delete = %#v, want the 3 SPIs that were there", d)
				}
			}},
		{name: "Delete with 65535 SPIs claimed, 300 present", in: v2(rawPayload{decode.PayloadDeletev2, joinBytes([]byte{3, 4, 0xff, 0xff}, make([]byte, 1200))}),
			want: decode.ErrTooMany, off: 36 + 256*4, types: []decode.PayloadType{decode.PayloadDeletev2},
			check: func(t *testing.T, m *decode.Message) {
				if d := m.Payloads[0].Delete; d == nil || len(d.SPIs) != 256 {
					t.Errorf("delete kept %d SPIs, want 256", len(d.SPIs))
				}
			}},
		{name: "Delete IKEv1 with 65535 SPIs claimed", in: ikeMsg(1, []rawPayload{{decode.PayloadDelete, joinBytes([]byte{0, 0, 0, 1, 3, 4, 0xff, 0xff}, make([]byte, 8))}}, decode.PayloadNone),
			want: decode.ErrTruncated, off: 48, types: []decode.PayloadType{decode.PayloadDelete}},
		// TSi at 28, selector at 36, its length at 38.
		{name: "TS with selector length 3", in: v2(rawPayload{decode.PayloadTSi, []byte{1, 0, 0, 0, 7, 0, 0, 3, 0, 0, 0xff, 0xff}}),
			want: decode.ErrBadLength, off: 38, path: "TSi/TS1", types: []decode.PayloadType{decode.PayloadTSi}},
		{name: "TS with selector length past the end", in: v2(rawPayload{decode.PayloadTSi, []byte{1, 0, 0, 0, 7, 0, 0, 16, 0, 0, 0xff, 0xff}}),
			want: decode.ErrTruncated, off: 38, path: "TSi/TS1", types: []decode.PayloadType{decode.PayloadTSi}},
		{name: "TS count disagrees", in: v2(rawPayload{decode.PayloadTSi, joinBytes([]byte{2, 0, 0, 0, 7, 0, 0, 16, 0, 0, 0xff, 0xff}, []byte{10, 0, 0, 0, 10, 0, 0, 255})}),
			want: decode.ErrBadLength, off: 52, path: "TSi", types: []decode.PayloadType{decode.PayloadTSi}},
		// SK at 28 (36 bytes), then 5 bytes inside the header length.
		{name: "IKEv2 SK followed by trailing bytes", in: func() []byte {
			b := ikeMsg(2, []rawPayload{{decode.PayloadSK, make([]byte, 32)}}, decode.PayloadIDi)
			b = append(b, 1, 2, 3, 4, 5)
			return withLen(b, uint32(len(b)))
		}(), want: decode.ErrTrailingBytes, off: 64, path: "SK", types: []decode.PayloadType{decode.PayloadSK},
			check: func(t *testing.T, m *decode.Message) {
				if e := m.Payloads[0].Encrypted; e == nil || e.InnerNext != decode.PayloadIDi || e.DataLen != 32 {
					t.Errorf("SK = %#v", e)
				}
			}},
		{name: "IKEv2 SKF cut", in: ikeMsg(2, []rawPayload{{decode.PayloadSKF, []byte{0, 1}}}, decode.PayloadIDi), want: decode.ErrTruncated, off: 34, path: "SKF",
			types: []decode.PayloadType{decode.PayloadSKF}},
		{name: "unknown major version 0xb", in: func() []byte { b := slices.Clone(threeV2); b[17] = 0xb0; return b }(), want: decode.ErrBadVersion, off: 17},
		{name: "major version 0", in: func() []byte { b := slices.Clone(threeV2); b[17] = 0x00; return b }(), want: decode.ErrBadVersion, off: 17},
		{name: "IKEv1 encrypted body", in: func() []byte {
			b := ikeMsg(1, []rawPayload{{decode.PayloadHash, make([]byte, 20)}}, decode.PayloadNone)
			b[19] = decode.FlagEncrypted
			return put16(b, 30, 0xffff) // ciphertext: never read as payloads
		}(), check: func(t *testing.T, m *decode.Message) {
			if m.EncryptedLen != 24 || len(m.Payloads) != 0 {
				t.Errorf("encrypted body: EncryptedLen %d, %d payloads", m.EncryptedLen, len(m.Payloads))
			}
		}},
	}
}

func typeList(major uint8, ps []decode.Payload) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Name(major)+"("+strconv.Itoa(int(p.Type))+")")
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestParseMessageHostile(t *testing.T) {
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			m, err := decode.ParseMessage(tc.in) // a panic fails the test: nothing recovers it
			checkMessage(t, tc.in, m, err)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("error %q (%#v), want none", err, err)
				}
			} else {
				var de *decode.Error
				switch {
				case !errors.Is(err, tc.want):
					t.Fatalf("error %v (%#v), want %q", err, err, tc.want)
				case !errors.As(err, &de):
					t.Fatalf("error %#v is not a *decode.Error", err)
				case de.Offset != tc.off:
					t.Errorf("error %q at offset %d, want %d", de, de.Offset, tc.off)
				case tc.path != "" && de.Path != tc.path:
					t.Errorf("error %q: path %q, want %q", de, de.Path, tc.path)
				}
			}
			if m == nil {
				if !tc.nilOK {
					t.Fatalf("nil message, error %v", err)
				}
				return
			}
			if tc.nilOK {
				t.Fatalf("message %#v from %d bytes, want none", m, len(tc.in))
			}
			var got []decode.PayloadType
			for _, p := range m.Payloads {
				got = append(got, p.Type)
			}
			if !slices.Equal(got, tc.types) {
				t.Errorf("payloads %s, want %v\n%#v", typeList(m.Major, m.Payloads), tc.types, m.Payloads)
			}
			switch {
			case tc.anom == nil && len(m.Anomalies) > 0:
				t.Errorf("anomalies %v (%#v), want none", m.Anomalies, m.Anomalies)
			case tc.anom != nil && (len(m.Anomalies) != 1 || !errors.Is(m.Anomalies[0], tc.anom)):
				t.Errorf("anomalies %v (%#v), want %q", m.Anomalies, m.Anomalies, tc.anom)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}

// TestDecodePublicCapturesNoPanic decodes every packet of every public
// capture with the Decoder (gopacket's panic recovery off, see NewDecoder)
// and checks the IKE and ESP frame counts against MANIFEST.tsv.
func TestDecodePublicCapturesNoPanic(t *testing.T) {
	root := captureRoots[0]
	mf, err := os.Open(filepath.Join(root, "MANIFEST.tsv"))
	if err != nil {
		t.Skip("public captures not present")
	}
	defer mf.Close()
	// Captures where ikescope counts differently from the manifest (which
	// has tshark's counts), with the reason. testdata/tshark/known-differences.tsv
	// has the same cases frame by frame.
	exceptions := map[string]struct {
		ike, esp int
		reason   string
	}{
		"tcpdump/isakmp-pointer-loop.pcap": {1, 0, "crafted 30-byte UDP/500 datagram with header length 0: " +
			"tshark leaves it as data, ikescope decodes the header and reports the bad length"},
		"tcpdump/isakmpv1-attr-oobr.pcap": {0, 0, "crafted IPv4 option (type 0xff, length 18) runs past the header: " +
			"gopacket's IPv4 layer rejects the packet, tshark warns and goes on to UDP"},
	}
	type counts struct{ ike, esp int }
	want := map[string]counts{}
	sc := bufio.NewScanner(mf)
	for line := 0; sc.Scan(); line++ {
		f := strings.Split(sc.Text(), "\t")
		if line == 0 || len(f) < 8 {
			continue
		}
		ike, err1 := strconv.Atoi(f[6])
		esp, err2 := strconv.Atoi(f[7])
		if err1 != nil || err2 != nil {
			t.Fatalf("MANIFEST.tsv line %d: isakmp_packets %q, esp_packets %q", line+1, f[6], f[7])
		}
		want[f[0]] = counts{ike, esp}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	files := captureFiles(root)
	if len(files) == 0 {
		t.Fatal("no captures found")
	}
	usedExceptions := map[string]bool{}
	for _, path := range files {
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		frames, err := readCapture(path)
		if err != nil {
			t.Errorf("%s: %v (after %d frames)", rel, err, len(frames))
		}
		d := decode.NewDecoder()
		var got counts
		for _, fr := range frames {
			f := d.Decode(fr.Link, fr.Data, fr.Time, fr.Frame)
			checkFrame(t, f)
			switch f.Kind {
			case decode.KindIKE:
				got.ike++
			case decode.KindESP:
				got.esp++
			}
		}
		w, ok := want[rel]
		if !ok {
			t.Errorf("%s: not in MANIFEST.tsv", rel)
			continue
		}
		delete(want, rel)
		if ex, ok := exceptions[rel]; ok {
			usedExceptions[rel] = true
			if got != (counts{ex.ike, ex.esp}) {
				t.Errorf("%s: %d IKE, %d ESP frames; the listed exception says %d, %d (%s)", rel, got.ike, got.esp, ex.ike, ex.esp, ex.reason)
			}
			if got == w {
				t.Errorf("%s: now agrees with MANIFEST.tsv; remove the exception", rel)
			}
			continue
		}
		if got != w {
			t.Errorf("%s: %d IKE, %d ESP frames; MANIFEST.tsv says %d, %d", rel, got.ike, got.esp, w.ike, w.esp)
		}
	}
	for rel := range want {
		t.Errorf("%s: in MANIFEST.tsv but not found", rel)
	}
	// The project's own captures have no manifest: decoding them must
	// simply not panic.
	for _, path := range captureFiles(captureRoots[1]) {
		frames, err := readCapture(path)
		if err != nil {
			t.Errorf("%s: %v (after %d frames)", path, err, len(frames))
		}
		d := decode.NewDecoder()
		for _, fr := range frames {
			checkFrame(t, d.Decode(fr.Link, fr.Data, fr.Time, fr.Frame))
		}
	}
	for rel := range exceptions {
		if !usedExceptions[rel] {
			t.Errorf("exception for %s, which was not decoded", rel)
		}
	}
}

// TestDecodeShortIKE: a UDP/500 datagram, or a UDP/4500 one after the
// non-ESP marker, too short for the IKE header is still an IKE frame, with
// no message and the header error.
func TestDecodeShortIKE(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		name   string
		pkt    []byte
		kind   decode.Kind
		natt   bool
		ikeLen int
	}{
		{"UDP/500 10 bytes", ipv4UDP(1, 0, false, 500, 500, make([]byte, 10), true), decode.KindIKE, false, 10},
		{"UDP/500 27 bytes", ipv4UDP(1, 0, false, 500, 500, make([]byte, 27), true), decode.KindIKE, false, 27},
		{"UDP/4500 marker and 6 bytes", ipv4UDP(1, 0, false, 4500, 4500, make([]byte, 10), true), decode.KindIKE, true, 6},
		// gopacket stops at an empty payload: nothing follows the marker.
		{"UDP/4500 marker only", ipv4UDP(1, 0, false, 4500, 4500, make([]byte, 4), true), decode.KindOther, true, 0},
		{"UDP/4500 3 bytes", ipv4UDP(1, 0, false, 4500, 4500, []byte{1, 2, 3}, true), decode.KindMalformed, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := decode.NewDecoder().Decode(decode.LinkIPv4, tc.pkt, ts, 1)
			checkFrame(t, f)
			if f.Kind != tc.kind {
				t.Fatalf("kind %s, want %s (err %v, IKE err %v, layers %v)", f.Kind, tc.kind, f.Err, f.IKEErr, f.Layers)
			}
			if tc.kind != decode.KindIKE {
				if (f.Err != nil) != (tc.kind == decode.KindMalformed) {
					t.Errorf("%s frame with error %v", f.Kind, f.Err)
				}
				return
			}
			var de *decode.Error
			if f.IKE != nil || !errors.Is(f.IKEErr, decode.ErrTruncated) || !errors.As(f.IKEErr, &de) || de.Offset != tc.ikeLen {
				t.Errorf("IKE %#v, IKE error %v (%#v), want none and truncated at %d", f.IKE, f.IKEErr, f.IKEErr, tc.ikeLen)
			}
			if f.Err != nil || f.NATT != tc.natt || f.IKELen != tc.ikeLen {
				t.Errorf("err %v, NATT %v, IKELen %d; want nil, %v, %d", f.Err, f.NATT, f.IKELen, tc.natt, tc.ikeLen)
			}
		})
	}
}
