package report

import "bytes"

// appendIndented appends compact JSON src (as json.Marshal writes it: no
// white space outside strings) to dst, indented as json.Indent(dst, src,
// prefix, indent) would: each element on a line of its own that starts
// with prefix and one indent per level, ": " after keys, and empty objects
// and arrays kept as {} and []. json.Indent runs the full JSON scanner over
// every byte, which was two thirds of the time spent marshalling an SA
// (issue 12); src here is already known to be valid, so only strings need
// tracking. FuzzAppendIndented compares the two.
func appendIndented(dst, src []byte, prefix, indent string) []byte {
	// pad is a newline, the prefix and enough indents for most depths.
	const deep = 16
	pad := make([]byte, 0, 1+len(prefix)+deep*len(indent))
	pad = append(append(pad, '\n'), prefix...)
	for range deep {
		pad = append(pad, indent...)
	}
	depth := 0
	newline := func() {
		if depth <= deep && depth >= 0 {
			dst = append(dst, pad[:1+len(prefix)+depth*len(indent)]...)
			return
		}
		dst = append(dst, pad[:1+len(prefix)]...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); {
		// Numbers, literals and the like go through as they are.
		j := i
		for j < len(src) && !jsonSyntax[src[j]] {
			j++
		}
		dst = append(dst, src[i:j]...)
		if i = j; i == len(src) {
			break
		}
		switch c := src[i]; c {
		case '"':
			// Up to the closing quote: the first one not escaped, that is
			// not preceded by an odd run of backslashes.
			end := len(src)
			for k := i + 1; k < len(src); {
				q := bytes.IndexByte(src[k:], '"')
				if q < 0 {
					break
				}
				k += q
				b := 0
				for k-1-b > i && src[k-1-b] == '\\' {
					b++
				}
				if b%2 == 0 {
					end = k + 1
					break
				}
				k++
			}
			dst = append(dst, src[i:end]...)
			i = end
			continue
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i += 2
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		}
		i++
	}
	return dst
}

// jsonSyntax marks the bytes appendIndented acts on.
var jsonSyntax = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true, ',': true, ':': true}
