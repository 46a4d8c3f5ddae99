// Package report renders decoded packets and analysis results for people
// (text) and programs (JSON). Strings that come from packets are escaped: no
// control character from the wire reaches a terminal.
package report

import (
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// Escape makes bytes from a packet safe to print: printable ASCII and
// printable UTF-8 stay, everything else becomes \xNN, and a backslash
// becomes \\.
func Escape(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == '\\':
			sb.WriteString(`\\`)
		case r == utf8.RuneError && n <= 1, r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0,
			r == 0x2028, r == 0x2029, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			// Control characters, C1 controls, and bidi overrides that could
			// reorder what a terminal shows.
			for _, c := range b[:n] {
				sb.WriteString(`\x`)
				sb.WriteByte(hexDigits[c>>4])
				sb.WriteByte(hexDigits[c&15])
			}
		default:
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}

const hexDigits = "0123456789abcdef"

// EscapeString is Escape for a string.
func EscapeString(s string) string { return Escape([]byte(s)) }

// Hex returns lowercase hex.
func Hex(b []byte) string { return hex.EncodeToString(b) }
