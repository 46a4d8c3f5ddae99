package report

// appendIndented appends compact JSON src (as json.Marshal writes it: no
// white space outside strings) to dst, indented as json.Indent(dst, src,
// prefix, indent) would: each element on a line of its own that starts
// with prefix and one indent per level, ": " after keys, and empty objects
// and arrays kept as {} and []. json.Indent runs the full JSON scanner over
// every byte, which was two thirds of the time spent marshalling an SA
// (issue 12); src here is already known to be valid, so only strings need
// tracking. FuzzAppendIndented compares the two.
func appendIndented(dst, src []byte, prefix, indent string) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// Copy the string through its closing quote.
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(src))
			dst = append(dst, src[i:j]...)
			i = j - 1
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
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
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
