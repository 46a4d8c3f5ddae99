package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/internal/pipeline"
	"github.com/ikescope/ikescope/internal/synth"
	"github.com/ikescope/ikescope/report"
)

// TestAnalyzeSpoolSameOutput: analyze renders each SA as its verdict becomes
// final and writes them in order of start at the end (spool.go), with
// rendered SAs in memory or, past spoolMem, in a temporary file. Its text and
// JSON must be exactly what the report package writes for Tracker.Results
// held whole (the golden tests' path), for every committed capture.
func TestAnalyzeSpoolSameOutput(t *testing.T) {
	var caps []string
	for _, dir := range []string{"../../testdata/gen/captures", "../../testdata/gen/early", "../../testdata/sample", "../../testdata/windows"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		for _, f := range m {
			if !strings.HasSuffix(f, ".json") {
				caps = append(caps, f)
			}
		}
	}
	if len(caps) < 50 {
		t.Fatalf("only %d captures", len(caps))
	}
	defer func(m int) { spoolMem = m }(spoolMem)
	for _, c := range caps {
		wantText, wantJSON := wholeOutput(t, c)
		for _, mem := range []int{16 << 20, 1} { // in memory; in a file from the first SA
			spoolMem = mem
			code, text, errs := runCmd(t, "analyze", c)
			if code != exitOK {
				t.Fatalf("%s: exit %d: %s", c, code, errs)
			}
			if text != wantText {
				t.Errorf("%s (spool %d): text differs from report.AnalysisText", c, mem)
			}
			_, js, _ := runCmd(t, "analyze", "-T", "json", c)
			if js != wantJSON {
				t.Errorf("%s (spool %d): JSON differs from the encoded document", c, mem)
			}
		}
	}
}

// wholeOutput is the analysis of path as the report package writes it from
// every SA held at once.
func wholeOutput(t *testing.T, path string) (text, js string) {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tr := classify.NewTracker(classify.DefaultConfig())
	pl := pipeline.New(tr)
	if err := pl.FeedAll(src); err != nil {
		t.Fatal(err)
	}
	pl.Finish(captureEnd(src))
	var tb, jb bytes.Buffer
	report.AnalysisText(&tb, tr.Results(), tr.Findings())
	doc := report.NewAnalysis(tr.Results(), tr.Findings())
	doc.Tool, doc.Captures = report.Tool{Name: "ikescope", Version: version}, capturesJSON(src)
	enc := json.NewEncoder(&jb)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return tb.String(), jb.String()
}

// TestSpoolFileRemoved: the temporary file is gone after the run.
func TestSpoolFileRemoved(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	defer func(m int) { spoolMem = m }(spoolMem)
	spoolMem = 1
	if code, _, errs := runCmd(t, "analyze", "-T", "json", "../../testdata/gen/captures/v2_rekey.pcapng"); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Errorf("left behind in TMPDIR: %v", left)
	}
}

// TestAnalyzeMaxSAs: --max-sas bounds the open SAs; the SAs judged early are
// counted in the summary (text header, JSON summary.evicted, stderr).
func TestAnalyzeMaxSAs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flood.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Flood(f, synth.FloodOptions{Kind: synth.FloodInit, Packets: 10}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, out, errs := runCmd(t, "analyze", "--max-sas", "3", path)
	if code != exitOK || !strings.HasPrefix(out, "10 IKE SA(s): 10 in_progress; 7 judged early and evicted") ||
		!strings.Contains(errs, "7 IKE SA(s) judged early and evicted: more than --max-sas 3") {
		t.Errorf("exit %d, stdout %.120q, stderr %q", code, out, errs)
	}
	_, js, _ := runCmd(t, "analyze", "--max-sas", "3", "-T", "json", path)
	var doc struct {
		Summary struct {
			ByClass map[string]int `json:"by_class"`
			Evicted int            `json:"evicted"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil || doc.Summary.Evicted != 7 || doc.Summary.ByClass["in_progress"] != 10 {
		t.Errorf("summary %+v (%v)", doc.Summary, err)
	}
	cs := loadContract(t)
	if err := cs.doc.Validate(decodeInstance(t, []byte(js))); err != nil {
		t.Errorf("document with evictions does not match the schema: %v", err)
	}
	_, jl, _ := runCmd(t, "analyze", "--max-sas", "3", "-T", "jsonl", path)
	lines := strings.Split(strings.TrimSpace(jl), "\n")
	last := lines[len(lines)-1]
	if err := cs.lines["stats"].Validate(decodeInstance(t, []byte(last))); err != nil || !strings.Contains(last, `"evicted":7`) {
		t.Errorf("stats line %s: %v", last, err)
	}
	_, js, _ = runCmd(t, "analyze", "-T", "json", path)
	if strings.Contains(js, `"evicted"`) {
		t.Error("evicted in the summary with nothing evicted")
	}
	if code, _, errs := runCmd(t, "analyze", "--max-sas", "0", path); code != exitUsage || !strings.Contains(errs, "--max-sas") {
		t.Errorf("--max-sas 0: exit %d %q", code, errs)
	}
}
