package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

var indentSeeds = []string{
	`{}`, `[]`, `{"a":[]}`, `{"a":{},"b":[1,2,{"c":null}]}`, `[[],[[]],{}]`,
	`{"s":"quote \" and backslash \\ and \\\" and {[,:]}","t":"\u003c\u0026"}`,
	`{"n":-1.5e+10,"b":true,"f":false,"z":null,"e":""}`, `"plain"`, `42`,
}

func FuzzAppendIndented(f *testing.F) {
	for _, s := range indentSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), "    ", "  "); err != nil {
			t.Fatal(err)
		}
		got := appendIndented([]byte("x"), compact.Bytes(), "    ", "  ")
		if !bytes.Equal(got[1:], want.Bytes()) || got[0] != 'x' {
			t.Fatalf("%s:\ngot  %s\nwant %s", compact.Bytes(), got[1:], want.Bytes())
		}
	})
}
