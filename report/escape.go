// Package report renders decoded packets and analysis results for people
// (text, and an HTML page with a ladder per SA) and programs (JSON). Strings
// that come from packets are escaped: no control character from the wire
// reaches a terminal, and no markup reaches a browser.
package report

import (
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape makes bytes from a packet safe to print: printable ASCII and
// printable UTF-8 stay, newline, carriage return and tab become \n, \r and
// \t, everything else becomes \xNN, and a backslash becomes \\. Each
// string is escaped exactly once, where it is printed.
func Escape(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == '\\':
			sb.WriteString(`\\`)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r == utf8.RuneError && n <= 1, !unicode.IsPrint(r):
			// Invalid UTF-8, control characters (C0, DEL, C1), and what is
			// not printable: format characters such as the bidi overrides
			// that could reorder what a terminal shows (U+202A-202E,
			// U+2066-2069), zero-width characters, line and paragraph
			// separators, spaces other than U+0020, private use and
			// unassigned code points.
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
// Most strings need no escaping and are returned as they are.
func EscapeString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return Escape([]byte(s))
		}
	}
	return s
}

// appendEscaped appends EscapeString(s) to b.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return append(b, Escape([]byte(s))...)
		}
	}
	return append(b, s...)
}

// Hex returns lowercase hex.
func Hex(b []byte) string { return hex.EncodeToString(b) }
