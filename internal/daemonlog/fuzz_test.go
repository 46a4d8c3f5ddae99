package daemonlog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse: any log text parses without panicking, and Judge copes with
// whatever Parse returns.
func FuzzParse(f *testing.F) {
	logs, _ := filepath.Glob("../../testdata/gen/captures/*.log")
	for _, name := range logs[:min(len(logs), 6)] {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("2026-11-22T22:24:43.789 09[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2\n"))
	f.Add([]byte("2026-11-22T22:24:43.789 09[IKE] <gw|1> maximum IKE_SA lifetime 99999999999999999999s\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sas, err := Parse(bytes.NewReader(b), time.Time{})
		if err != nil {
			return
		}
		Judge(sas, sas)
	})
}
