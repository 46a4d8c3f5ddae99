package check

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no expectation file, however malformed, panics the parser;
// what it accepts marshals and parses back to the same thing.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/*/*.expect.json")
	more, _ := filepath.Glob("../testdata/gen/captures/*.expect.json")
	for _, name := range append(seeds, more[:min(len(more), 5)]...) {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"schema":1,"ike_sas":[{"class":"established","phase1_ms":1,"tolerance_pct":5}]}`))
	f.Add([]byte(`{"schema":1,"ike_sas":[{"class":"x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := Parse(b)
		if err != nil {
			return
		}
		out, err := x.Marshal()
		if err != nil {
			t.Fatalf("accepted but cannot marshal: %v", err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("own output rejected: %v\n%s", err, out)
		}
	})
}
