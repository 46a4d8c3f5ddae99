package capture

import "testing"

// FuzzParseRawFilter: --bpf-raw input never panics the parser, and what it
// accepts is a non-empty program.
func FuzzParseRawFilter(f *testing.F) {
	f.Add("4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n")
	f.Add("1,6 0 0 65535")
	f.Add("2\n0 0 0 0")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		prog, err := ParseRawFilter(s)
		if err == nil && len(prog) == 0 {
			t.Fatal("accepted an empty program")
		}
	})
}
