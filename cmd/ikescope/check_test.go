package main

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Tests of `ikescope check` over the committed captures and copies of them.

const (
	checkSample  = "../../testdata/sample/ikev1-main-quick-esp.pcap"
	checkWindows = "../../testdata/windows/windows-vids-status.pcap"
	// The sample's IKE SA as the difference lines name it.
	checkSampleSA = "ike_sa 1 (192.168.140.205:500 -> 192.168.140.200:500)"
)

func runCheckCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"check"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// checkCopy copies src into dir (as name, or src's base name) and returns
// the new path.
func checkCopy(t *testing.T, src, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if name == "" {
		name = filepath.Base(src)
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func checkRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCheckTestdata(t *testing.T) {
	code, out, errs := runCheckCmd(t, "../../testdata")
	if code != exitOK {
		t.Fatalf("check ../../testdata: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"ok    ../../testdata/sample/ikev1-main-quick-esp.pcap (1 IKE SA)\n",
		"ok    ../../testdata/windows/windows-vids-status.pcap (2 IKE SAs)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, " 0 failed, 0 errors") {
		t.Errorf("totals line:\n%s", out)
	}
	// Naming the captures, or their expectation files, works the same.
	if code, out, _ := runCheckCmd(t, checkSample, checkWindows+".expect.json"); code != exitOK || !strings.Contains(out, "checked 2 captures: 2 passed") {
		t.Errorf("explicit captures: exit %d\n%s", code, out)
	}
}

func TestCheckRegression(t *testing.T) {
	dir := t.TempDir()
	checkCopy(t, checkSample, dir, "")
	checkCopy(t, checkWindows, dir, "sub/windows.pcap")
	checkCopy(t, checkWindows+".expect.json", dir, "sub/windows.pcap.expect.json")
	exp := checkRead(t, checkSample+".expect.json")
	changed := strings.Replace(exp, `"class": "established"`, `"class": "auth_failed"`, 1)
	changed = strings.Replace(changed, `"esp_packets_at_least": 16`, `"esp_packets_at_least": 17`, 1)
	if changed == exp {
		t.Fatal("the sample's expectation has no class established / 16 ESP packets to change")
	}
	os.WriteFile(filepath.Join(dir, "ikev1-main-quick-esp.pcap.expect.json"), []byte(changed), 0o644)

	code, out, errs := runCheckCmd(t, dir)
	if code != exitCheck {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitCheck, out, errs)
	}
	sample := filepath.Join(dir, "ikev1-main-quick-esp.pcap")
	want := "FAIL  " + sample + "\n" +
		"  " + checkSampleSA + ": class: want auth_failed, got established\n" +
		"  " + checkSampleSA + ": esp_packets_at_least: want at least 17 ESP packets, got 16\n" +
		"ok    " + filepath.Join(dir, "sub", "windows.pcap") + " (2 IKE SAs)\n" +
		"checked 2 captures: 1 passed, 1 failed, 0 errors\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

func TestCheckSkipAndErrors(t *testing.T) {
	dir := t.TempDir()
	checkCopy(t, checkSample, dir, "")
	checkCopy(t, checkSample+".expect.json", dir, "")
	checkCopy(t, checkWindows, dir, "no-expectation.pcapng")
	checkCopy(t, checkWindows, dir, ".hidden/ignored.pcap")
	checkCopy(t, "../../testdata/check/unknown-field.expect.json", dir, "ignored-not-a-capture.expect.json")

	// Without -v the skipped capture is only counted.
	code, out, _ := runCheckCmd(t, dir)
	if code != exitOK || !strings.Contains(out, "; 1 skipped without an expectation file (-v lists them)\n") || strings.Contains(out, "no-expectation") {
		t.Errorf("skip: exit %d\n%s", code, out)
	}
	code, out, _ = runCheckCmd(t, "-v", dir)
	if code != exitOK || !strings.Contains(out, "skip  "+filepath.Join(dir, "no-expectation.pcapng")+" (no no-expectation.pcapng.expect.json)\n") {
		t.Errorf("skip -v: exit %d\n%s", code, out)
	}

	// A capture named explicitly without an expectation is an error.
	lone := filepath.Join(dir, "no-expectation.pcapng")
	code, out, _ = runCheckCmd(t, lone)
	if code != exitNoInput || !strings.Contains(out, "ERROR "+lone+": no expectation file "+lone+".expect.json") {
		t.Errorf("explicit capture without expectation: exit %d\n%s", code, out)
	}
	// ... and, next to a passing capture, a failure of the run.
	if code, out, _ := runCheckCmd(t, lone, filepath.Join(dir, "ikev1-main-quick-esp.pcap")); code != exitCheck || !strings.Contains(out, "1 passed, 0 failed, 1 error") {
		t.Errorf("explicit capture without expectation next to a good one: exit %d\n%s", code, out)
	}

	// An expectation file with a typo is an error naming the field.
	bad := t.TempDir()
	checkCopy(t, checkSample, bad, "")
	checkCopy(t, "../../testdata/check/unknown-field.expect.json", bad, "ikev1-main-quick-esp.pcap.expect.json")
	code, out, _ = runCheckCmd(t, bad)
	if code != exitNoInput || !strings.Contains(out, `ike_sas entry 1: unknown field "esp_packets"`) {
		t.Errorf("unknown field: exit %d\n%s", code, out)
	}
	// --update does not overwrite it.
	code, out, _ = runCheckCmd(t, "--update", bad)
	if code == exitOK || !strings.Contains(checkRead(t, filepath.Join(bad, "ikev1-main-quick-esp.pcap.expect.json")), `"esp_packets"`) {
		t.Errorf("--update over an invalid file: exit %d\n%s", code, out)
	}

	// A capture that cannot be read.
	junk := t.TempDir()
	os.WriteFile(filepath.Join(junk, "junk.pcap"), []byte("not a capture at all"), 0o644)
	checkCopy(t, checkSample+".expect.json", junk, "junk.pcap.expect.json")
	if code, out, _ := runCheckCmd(t, junk); code != exitNoInput || !strings.Contains(out, "ERROR "+filepath.Join(junk, "junk.pcap")+": ") {
		t.Errorf("unreadable capture: exit %d\n%s", code, out)
	}

	// Nothing to check at all.
	empty := t.TempDir()
	if code, out, errs := runCheckCmd(t, empty); code != exitNoInput || !strings.Contains(errs, "no capture with an expectation file") {
		t.Errorf("empty directory: exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ := runCheckCmd(t, filepath.Join(empty, "missing.pcap")); code != exitNoInput || !strings.Contains(out, "no such file") {
		t.Errorf("missing path: exit %d\n%s", code, out)
	}

	// Usage.
	if code, _, _ := runCheckCmd(t); code != exitUsage {
		t.Errorf("no arguments: exit %d", code)
	}
	if code, _, _ := runCheckCmd(t, "--bogus", dir); code != exitUsage {
		t.Errorf("bad flag: exit %d", code)
	}
	if code, _, _ := runCheckCmd(t, "--profile", "cisco", dir); code != exitUsage {
		t.Errorf("bad profile: exit %d", code)
	}
	if code, _, _ := runCheckCmd(t, "--junit", filepath.Join(empty, "no", "such", "dir.xml"), dir); code != exitUsage {
		t.Errorf("--junit into a missing directory: exit %d", code)
	}
	if code, out, _ := runCheckCmd(t, "--help"); code != exitOK || !strings.Contains(out, "--update") || !strings.Contains(out, "exit status") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
}

func TestCheckGzip(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(checkRead(t, checkWindows)))
	zw.Close()
	os.WriteFile(filepath.Join(dir, "windows.pcap.gz"), b.Bytes(), 0o644)
	checkCopy(t, checkWindows+".expect.json", dir, "windows.pcap.gz.expect.json")
	if code, out, errs := runCheckCmd(t, dir); code != exitOK || !strings.Contains(out, "ok    "+filepath.Join(dir, "windows.pcap.gz")) {
		t.Errorf("gzip capture: exit %d\n%s%s", code, out, errs)
	}
}

func TestCheckUpdateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	sample := checkCopy(t, checkSample, dir, "")
	win := checkCopy(t, checkWindows, dir, "")
	checkCopy(t, checkWindows, dir, "other/skipped.pcap")

	// Create: only for captures named explicitly.
	code, out, errs := runCheckCmd(t, "--update", "--profile", "windows", sample, win)
	if code != exitOK {
		t.Fatalf("--update: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "created "+sample+".expect.json (1 IKE SA)\n") || !strings.Contains(out, "created "+win+".expect.json (2 IKE SAs)\n") {
		t.Errorf("--update output:\n%s", out)
	}
	want := `{
  "schema": 1,
  "profile": "windows",
  "ike_sas": [
    {
      "class": "established",
      "version": 1,
      "mode": "main",
      "initiator": "192.168.140.205:500",
      "responder": "192.168.140.200:500"
    }
  ]
}
`
	if got := checkRead(t, sample+".expect.json"); got != want {
		t.Errorf("created file:\n%s\nwant:\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "other", "skipped.pcap.expect.json")); err == nil {
		t.Error("--update created an expectation for a capture it was not asked about")
	}
	if code, out, _ := runCheckCmd(t, dir); code != exitOK || !strings.Contains(out, "checked 2 captures: 2 passed") {
		t.Errorf("check after --update: exit %d\n%s", code, out)
	}

	// The user adds assertions: some hold, some no longer do, and the class
	// is wrong. --update keeps the first, drops the others and says so.
	edited := `{
  "schema": 1,
  "comment": "mine",
  "profile": "windows",
  "ike_sas": [
    {
      "comment": "the only IKE SA",
      "class": "auth_failed",
      "initiator": "192.168.140.205:500",
      "established_within": "11s",
      "phase1_ms": 10100,
      "tolerance_ms": 100,
      "no_retransmissions": true,
      "esp_packets_at_least": 10,
      "events": ["retransmitted", "natt"]
    }
  ]
}
`
	os.WriteFile(sample+".expect.json", []byte(edited), 0o644)
	if code, _, _ := runCheckCmd(t, dir); code != exitCheck {
		t.Fatalf("edited file should fail before --update: exit %d", code)
	}
	code, out, errs = runCheckCmd(t, "-u", dir)
	if code != exitOK {
		t.Fatalf("--update DIR: exit %d\n%s%s", code, out, errs)
	}
	wantOut := "updated " + sample + ".expect.json (1 IKE SA)\n" +
		"  " + checkSampleSA + ": class: auth_failed -> established\n" +
		"  " + checkSampleSA + ": dropped no_retransmissions true (1 retransmission now)\n" +
		"  " + checkSampleSA + ": dropped event natt (no longer reported)\n" +
		"same  " + win + ".expect.json\n" +
		"updated 2 captures: 1 expectation file(s) written, 1 unchanged, 0 errors; 1 skipped without an expectation file (-v lists them)\n"
	if out != wantOut {
		t.Errorf("--update DIR output:\n%s\nwant:\n%s", out, wantOut)
	}
	want = `{
  "schema": 1,
  "comment": "mine",
  "profile": "windows",
  "ike_sas": [
    {
      "comment": "the only IKE SA",
      "class": "established",
      "initiator": "192.168.140.205:500",
      "established_within": "11s",
      "phase1_ms": 10100,
      "tolerance_ms": 100,
      "esp_packets_at_least": 10,
      "events": [
        "retransmitted"
      ]
    }
  ]
}
`
	if got := checkRead(t, sample+".expect.json"); got != want {
		t.Errorf("updated file:\n%s\nwant:\n%s", got, want)
	}
	if code, out, _ := runCheckCmd(t, dir); code != exitOK {
		t.Errorf("check after the second --update: exit %d\n%s", code, out)
	}
	// A third run changes nothing.
	if code, out, _ := runCheckCmd(t, "--update", dir); code != exitOK || !strings.Contains(out, "0 expectation file(s) written, 2 unchanged") {
		t.Errorf("third --update: exit %d\n%s", code, out)
	}
}

func TestCheckJUnit(t *testing.T) {
	dir := t.TempDir()
	checkCopy(t, checkSample, dir, "a-pass.pcap")
	checkCopy(t, checkSample+".expect.json", dir, "a-pass.pcap.expect.json")
	checkCopy(t, checkSample, dir, "b-fail.pcap")
	exp := strings.Replace(checkRead(t, checkSample+".expect.json"), `"mode": "main"`, `"mode": "aggressive"`, 1)
	os.WriteFile(filepath.Join(dir, "b-fail.pcap.expect.json"), []byte(exp), 0o644)
	checkCopy(t, checkSample, dir, "c-error.pcap")
	checkCopy(t, "../../testdata/check/unknown-field.expect.json", dir, "c-error.pcap.expect.json")
	xmlFile := filepath.Join(t.TempDir(), "junit.xml")

	code, out, errs := runCheckCmd(t, "--junit", xmlFile, dir)
	if code != exitCheck {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitCheck, out, errs)
	}
	var doc struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Cases    []struct {
				ClassName string `xml:"classname,attr"`
				Name      string `xml:"name,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	b, err := os.ReadFile(xmlFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("--junit output is not XML: %v\n%s", err, b)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("want one testsuite:\n%s", b)
	}
	s := doc.Suites[0]
	if s.Name != "ikescope check" || s.Tests != 3 || s.Failures != 1 || s.Errors != 1 || len(s.Cases) != 3 {
		t.Fatalf("testsuite %+v\n%s", s, b)
	}
	pass, fail, bad := s.Cases[0], s.Cases[1], s.Cases[2]
	if pass.Name != filepath.Join(dir, "a-pass.pcap") || pass.ClassName != "ikescope.check" || pass.Failure != nil || pass.Error != nil {
		t.Errorf("passing testcase: %+v", pass)
	}
	wantDiff := checkSampleSA + ": mode: want aggressive, got main"
	if fail.Name != filepath.Join(dir, "b-fail.pcap") || fail.Failure == nil || fail.Failure.Message != wantDiff || fail.Failure.Text != wantDiff+"\n" {
		t.Errorf("failing testcase: %+v", fail)
	}
	if bad.Name != filepath.Join(dir, "c-error.pcap") || bad.Error == nil || !strings.Contains(bad.Error.Message, `unknown field "esp_packets"`) {
		t.Errorf("error testcase: %+v", bad)
	}
}

func TestCheckSafeNames(t *testing.T) {
	if got := checkSafe(`C:\captures\a b.pcap`); got != `C:\captures\a b.pcap` {
		t.Errorf("checkSafe changed a Windows path: %q", got)
	}
	if got, want := checkSafe("x\x1b[31m\u202e\xff.pcap"), `x\x1b[31m\xe2\x80\xae\xff.pcap`; got != want {
		t.Errorf("checkSafe = %q, want %q", got, want)
	}
	dir := t.TempDir()
	name := "esc\x1b[31m.pcap"
	checkCopy(t, checkSample, dir, name)
	checkCopy(t, checkSample+".expect.json", dir, name+".expect.json")
	code, out, _ := runCheckCmd(t, dir)
	if code != exitOK || strings.Contains(out, "\x1b") || !strings.Contains(out, `esc\x1b[31m.pcap`) {
		t.Errorf("capture name with ESC: exit %d, output %q", code, out)
	}
}
