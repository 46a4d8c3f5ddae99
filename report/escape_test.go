package report_test

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ikescope/ikescope/decode"
	"github.com/ikescope/ikescope/report"
)

// hexEsc is the escape Escape writes for the bytes of s.
func hexEsc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])>>4, 16) + strconv.FormatUint(uint64(s[i])&15, 16))
	}
	return b.String()
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"printable ASCII", "vpn-gw_1.example.com:500 (test) ~!@#$%^&*", "vpn-gw_1.example.com:500 (test) ~!@#$%^&*"},
		{"UTF-8 name", "münchen.example", "münchen.example"},
		{"UTF-8 scripts", "東京.例え.jp Ελλάδα 🔒", "東京.例え.jp Ελλάδα 🔒"},
		{"backslash", `DOMAIN\user`, `DOMAIN\\user`},
		{"backslash then x", `\x41`, `\\x41`},
		{"NUL", "a\x00b", `a\x00b`},
		{"terminal escape", "\x1b[31mevil\x07", `\x1b[31mevil\x07`},
		{"newline and CR", "line1\r\nline2", `line1\r\nline2`},
		{"tab", "a\tb", `a\tb`},
		{"vendor name hashed with its newline", "draft-ietf-ipsec-nat-t-ike-02\n", `draft-ietf-ipsec-nat-t-ike-02\n`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"C1 CSI as UTF-8", "a\u009b31mb", `a\xc2\x9b31mb`},
		{"C1 NEL as UTF-8", "\u0085", `\xc2\x85`},
		{"lone C1 byte", "a\x9bb", `a\x9bb`},
		{"invalid byte 0xff", "\xff", `\xff`},
		{"truncated sequence", "\xe2\x82", `\xe2\x82`},
		{"overlong slash", "\xc0\xaf", `\xc0\xaf`},
		{"surrogate", "\xed\xa0\x80", `\xed\xa0\x80`},
		{"RLO", "user\u202egpj.exe", `user\xe2\x80\xaegpj.exe`},
		{"LRI..PDI", "\u2066x\u2069", `\xe2\x81\xa6x\xe2\x81\xa9`},
		{"line separator", "a\u2028b", `a\xe2\x80\xa8b`},
		{"zero-width space", "vpn\u200b.example", `vpn\xe2\x80\x8b.example`},
		{"byte order mark", "\ufeffid", `\xef\xbb\xbfid`},
		{"no-break space", "a\u00a0b", `a\xc2\xa0b`},
		{"U+FFFD as itself", "\ufffd", "\ufffd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := report.Escape([]byte(tc.in)); got != tc.want {
				t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := report.EscapeString(tc.in); got != tc.want {
				t.Errorf("EscapeString(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestEscapeEveryControl checks each C0 control, DEL, each C1 control (as
// UTF-8 and as a lone byte), every byte that cannot start valid UTF-8, and
// every bidi override and isolate.
func TestEscapeEveryControl(t *testing.T) {
	var in []string
	for c := 0; c < 0x20; c++ {
		in = append(in, string(rune(c)))
	}
	in = append(in, "\x7f")
	for r := rune(0x80); r < 0xa0; r++ {
		in = append(in, string(r), string([]byte{byte(r)}))
	}
	for c := 0xa0; c < 0x100; c++ {
		if !utf8.Valid([]byte{byte(c)}) {
			in = append(in, string([]byte{byte(c)}))
		}
	}
	for _, r := range []rune{0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069} {
		in = append(in, string(r))
	}
	short := map[string]string{"\n": `\n`, "\r": `\r`, "\t": `\t`}
	for _, s := range in {
		want := hexEsc(s)
		if w, ok := short[s]; ok {
			want = w
		}
		if got := report.EscapeString(s); got != want {
			t.Errorf("EscapeString(%q) = %q, want %q", s, got, want)
		}
	}
	for c := 0x20; c < 0x7f; c++ {
		s := string(rune(c))
		want := s
		if c == '\\' {
			want = `\\`
		}
		if got := report.EscapeString(s); got != want {
			t.Errorf("EscapeString(%q) = %q, want %q", s, got, want)
		}
	}
}

// checkSafe fails if s holds anything a terminal could act on: bytes below
// 0x20 other than '\n', DEL, invalid UTF-8, or a non-printable rune.
func checkSafe(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("output is not valid UTF-8: %q", s)
	}
	for i, r := range s {
		if r == '\n' {
			continue
		}
		if r < 0x20 || r == 0x7f || !unicode.IsPrint(r) {
			t.Errorf("output holds %U at byte %d: %q", r, i, s)
			return
		}
	}
}

// unescape reverses Escape, so that the tests can check that no two inputs
// print the same.
func unescape(s string) ([]byte, bool) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+1 < len(s) && (s[i+1] == 'n' || s[i+1] == 'r' || s[i+1] == 't'):
			out = append(out, map[byte]byte{'n': '\n', 'r': '\r', 't': '\t'}[s[i+1]])
			i++
		case i+3 < len(s) && s[i+1] == 'x':
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				return nil, false
			}
			out = append(out, byte(v))
			i += 3
		default:
			return nil, false
		}
	}
	return out, true
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "münchen.example", "\x1b[31mevil\x07", `a\b`, "\u202e\xff\xc2\x9b"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := report.Escape(b)
		checkSafe(t, s)
		if strings.Contains(s, "\n") {
			t.Fatalf("Escape(%q) = %q holds a newline", b, s)
		}
		back, ok := unescape(s)
		if !ok || !bytes.Equal(back, b) {
			t.Fatalf("Escape(%q) = %q does not unescape to its input (got %q)", b, s, back)
		}
	})
}

// ikeWithID builds an IKEv2 IKE_AUTH message whose only cleartext payload
// is an IDi of the given type and data.
func ikeWithID(idType uint8, data []byte) []byte {
	b := make([]byte, 28, 64)
	b[16] = byte(decode.PayloadIDi)
	b[17] = 0x20
	b[18] = byte(decode.ExchangeIKEAuth)
	b[19] = decode.FlagInitiator
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(data)))
	b = append(b, idType, 0, 0, 0)
	b = append(b, data...)
	binary.BigEndian.PutUint32(b[24:], uint32(len(b)))
	return b
}

func TestDecodeTreeEscapesID(t *testing.T) {
	const evil = "\x1b[31mevil\x07"
	for _, tc := range []struct {
		name   string
		idType uint8
		data   string
	}{
		{"FQDN", 2, evil},
		{"RFC822", 3, "user@" + evil + "\u202e\r\n\x7f\xc2\x9b"},
		{"KEY_ID", 11, evil},
		{"unknown type", 200, evil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ikeWithID(tc.idType, []byte(tc.data))
			m, err := decode.ParseMessage(b)
			if err != nil {
				t.Fatalf("ParseMessage: %v", err)
			}
			if len(m.Payloads) != 1 || m.Payloads[0].ID == nil || string(m.Payloads[0].ID.Data) != tc.data {
				t.Fatalf("payloads %#v, want one IDi holding %q", m.Payloads, tc.data)
			}
			f := &decode.Frame{Kind: decode.KindIKE, IKE: m, IKELen: len(b)}
			var out bytes.Buffer
			report.DecodeTree(&out, report.Meta{File: "x.pcap", Frame: 1, Time: time.Unix(0, 0)}, f)
			s := out.String()
			checkSafe(t, s)
			if !strings.Contains(s, "mevil") && !strings.Contains(s, report.Hex([]byte(evil))) {
				t.Errorf("the identity is missing from the output:\n%s", s)
			}
			if tc.idType == 2 && !strings.Contains(s, `\x1b[31mevil\x07`) {
				t.Errorf("FQDN not shown escaped:\n%s", s)
			}
			if testing.Verbose() {
				t.Logf("\n%s", s)
			}
		})
	}
}
