package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/ikescope/ikescope/capture"
)

// TestAnalyzeMergedHalves: a capture split in two files (named in reverse
// order) gives the same IKE SAs and verdicts as the whole, because the files
// are merged by timestamp; and the second half alone still yields verdicts
// for the SAs it joins mid-way (capture started late, rekeyed SAs).
func TestAnalyzeMergedHalves(t *testing.T) {
	whole := "../../testdata/gen/captures/v2_rekey.pcapng"
	if _, err := os.Stat(whole); err != nil {
		t.Skip("generated captures absent")
	}
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.pcap"), filepath.Join(dir, "second.pcap")
	splitCapture(t, whole, 60, first, second)

	classes := func(args ...string) []string {
		code, out, errs := runCmd(t, append([]string{"analyze", "-T", "json"}, args...)...)
		if code != exitOK {
			t.Fatalf("analyze %v: exit %d: %s", args, code, errs)
		}
		var doc struct {
			IKESAs []struct {
				ISPI    string `json:"initiator_spi"`
				Verdict struct {
					Class string `json:"class"`
				} `json:"verdict"`
			} `json:"ike_sas"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		var cs []string
		for _, sa := range doc.IKESAs {
			cs = append(cs, sa.ISPI+" "+sa.Verdict.Class)
		}
		return cs
	}
	want := classes(whole)
	got := classes(second, first)
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("merged halves: %v, whole: %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("SA %d: merged halves %q, whole %q", i+1, got[i], want[i])
		}
	}
	if late := classes(second); len(late) == 0 {
		t.Error("second half alone: no IKE SA")
	}
}

// splitCapture writes the first n packets of name to a, the rest to b
// (classic pcap, nanosecond timestamps).
func splitCapture(t *testing.T, name string, n int, a, b string) {
	t.Helper()
	src, err := capture.OpenFile(name)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var ws [2]*pcapgo.Writer
	for i, file := range []string{a, b} {
		f, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		ws[i] = pcapgo.NewWriterNanos(f)
		if err := ws[i].WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; ; k++ {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		w := ws[0]
		if k >= n {
			w = ws[1]
		}
		ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: len(p.Data)}
		if err := w.WritePacket(ci, p.Data); err != nil {
			t.Fatal(err)
		}
	}
}
