package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = "../../testdata/sample/ikev1-main-quick-esp.pcap"

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDecodeSample(t *testing.T) {
	code, out, errs := runCmd(t, "decode", sample)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "IKEv1 Main Mode") || !strings.Contains(out, "ESP spi 0x1c0d7b38") {
		t.Errorf("decode output lacks main mode or ESP:\n%s", out)
	}
	if !strings.Contains(errs, "27 packets") {
		t.Errorf("summary: %q", errs)
	}
	code, out, _ = runCmd(t, "decode", "-T", "json", sample)
	if code != exitOK {
		t.Fatal(code)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
	}
}

func TestAnalyzeSampleJSON(t *testing.T) {
	code, out, errs := runCmd(t, "analyze", "-T", "json", sample)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Schema int `json:"schema"`
		IKESAs []struct {
			Verdict struct {
				Class string `json:"class"`
			} `json:"verdict"`
			InitiatorSPI string `json:"initiator_spi"`
		} `json:"ike_sas"`
		Summary struct {
			ByClass map[string]int `json:"by_class"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != 1 || len(doc.IKESAs) != 1 || doc.IKESAs[0].Verdict.Class != "established" || len(doc.IKESAs[0].InitiatorSPI) != 16 {
		t.Errorf("unexpected analysis: %+v", doc)
	}
	// `ikescope CAPTURE` is analyze.
	code, out, _ = runCmd(t, sample)
	if code != exitOK || !strings.Contains(out, "ESTABLISHED") {
		t.Errorf("ikescope CAPTURE: exit %d\n%s", code, out)
	}
}

func TestFailOn(t *testing.T) {
	if code, _, _ := runCmd(t, "analyze", "--fail-on", "established", sample); code != exitCheck {
		t.Errorf("--fail-on established: exit %d, want %d", code, exitCheck)
	}
	if code, _, _ := runCmd(t, "analyze", "--fail-on", "no_response,mm_delay_drop", sample); code != exitOK {
		t.Errorf("--fail-on other classes: exit %d, want 0", code)
	}
	if code, _, _ := runCmd(t, "analyze", "--fail-on", "bogus", sample); code != exitUsage {
		t.Errorf("--fail-on bogus: exit %d, want %d", code, exitUsage)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcap")
	os.WriteFile(cut, b[:len(b)-30], 0o644)
	code, out, errs := runCmd(t, "decode", cut)
	if code != exitDamaged {
		t.Errorf("truncated capture: exit %d, want %d", code, exitDamaged)
	}
	if !strings.Contains(errs, "cut.pcap") || !strings.Contains(out, "ESP") {
		t.Errorf("truncated capture: want a warning naming the file and the packets before the cut; stderr %q", errs)
	}
	// A damaged file among several: the others are still read, by decode
	// as by analyze, and the exit status says the input was damaged.
	early := filepath.Join(dir, "early.pcap")
	os.WriteFile(early, b[:24+16+10], 0o644) // cut in its first record
	_, whole, _ := runCmd(t, "decode", sample)
	code, out, errs = runCmd(t, "decode", early, sample)
	if code != exitDamaged || !strings.Contains(errs, "early.pcap") || strings.Count(out, "\n") != strings.Count(whole, "\n") {
		t.Errorf("damaged file then a good one: exit %d, %d lines (the good file alone has %d); stderr %q",
			code, strings.Count(out, "\n"), strings.Count(whole, "\n"), errs)
	}
	junk := filepath.Join(dir, "junk.pcap")
	os.WriteFile(junk, []byte("hello, this is not a capture"), 0o644)
	if code, _, errs := runCmd(t, "decode", junk); code != exitNoInput || !strings.Contains(errs, "junk.pcap") {
		t.Errorf("not a capture: exit %d %q", code, errs)
	}
	if code, _, _ := runCmd(t, "decode", "--bogus", sample); code != exitUsage {
		t.Errorf("bad flag: exit %d", code)
	}
	if code, out, _ := runCmd(t, "decode", "--help"); code != exitOK || !strings.Contains(out, "exit status") {
		t.Errorf("--help: exit %d %q", code, out)
	}
}

func TestExplain(t *testing.T) {
	code, out, _ := runCmd(t, "explain", "13814")
	if code != exitOK || !strings.Contains(out, "ERROR_IPSEC_IKE_MM_DELAY_DROP") || !strings.Contains(out, "mm_delay_drop") {
		t.Errorf("explain 13814: %d %s", code, out)
	}
	code, out, _ = runCmd(t, "explain", "0x3618")
	if code != exitOK || !strings.Contains(out, "ERROR_IPSEC_IKE_PEER_CRL_FAILED") || !strings.Contains(out, "13848") {
		t.Errorf("explain 0x3618: %s", out)
	}
	for _, q := range []string{"0x800735F6", "MM_DELAY_DROP", "0x35f6"} {
		if _, out, _ := runCmd(t, "explain", q); !strings.Contains(out, "13814") {
			t.Errorf("explain %s: %s", q, out)
		}
	}
	if _, out, _ := runCmd(t, "explain", "0x80320015"); !strings.Contains(out, "never appears on the wire") {
		t.Errorf("explain FWP: %s", out)
	}
	// Numbers some articles get wrong: say what the number is and what the
	// articles meant, with the meant error's own number.
	for _, tc := range []struct{ q, is, meant, meantHex string }{
		{"0x3618", "13848 ERROR_IPSEC_IKE_PEER_CRL_FAILED", "ERROR_IPSEC_IKE_MM_DELAY_DROP", "0x35F6"},
		{"0x3614", "13844 ERROR_IPSEC_IKE_LOAD_SOFT_SA", "ERROR_IPSEC_IKE_QM_ACQUIRE_DROP", "0x35F2"},
		{"0x3612", "13842 ERROR_IPSEC_IKE_PROCESS_ERR_VENDOR", "ERROR_IPSEC_IKE_SA_REAPED", "0x35F0"},
		{"0x80284010", "TBS_E_SERVICE_DISABLED", "FWP_E_KM_CLIENTS_ONLY", "0x80320015"},
	} {
		_, out, _ := runCmd(t, "explain", tc.q)
		head, meant, ok := strings.Cut(out, "what those articles mean:")
		if !ok || !strings.Contains(head, tc.is) || !strings.Contains(head, tc.meant) ||
			!strings.HasPrefix(strings.TrimSpace(meant), tc.meant) || !strings.Contains(meant, "("+tc.meantHex) {
			t.Errorf("explain %s: want %q and what the articles mean (%s %s):\n%s", tc.q, tc.is, tc.meant, tc.meantHex, out)
		}
	}
	if _, out, _ := runCmd(t, "explain", "--list"); strings.Count(out, "\n") < 140 {
		t.Errorf("explain --list: %d lines", strings.Count(out, "\n"))
	}
}

// TestFlagErrors: every command says which flag was wrong (stderr, exit 2)
// and prints --help once, to stdout.
func TestFlagErrors(t *testing.T) {
	for _, cmd := range []string{"decode", "analyze", "check", "explain", "live"} {
		code, out, errs := runCmd(t, cmd, "--no-such-flag")
		if code != exitUsage || out != "" || !strings.Contains(errs, "ikescope "+cmd+": unknown flag: --no-such-flag") || !strings.Contains(errs, "usage: ikescope "+cmd) {
			t.Errorf("%s --no-such-flag: exit %d, stdout %q, stderr %q", cmd, code, out, errs)
		}
		code, out, errs = runCmd(t, cmd, "--help")
		if code != exitOK || errs != "" || strings.Count(out, "usage: ikescope "+cmd) != 1 {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", cmd, code, out, errs)
		}
	}
}

// TestCaptureEndAndChildLifetime: a plain pcap stopped while the initiator
// was still retransmitting gets its failure class, not final; with
// --capture-end long enough after the last packet the give-up counts as seen
// and the verdict is final. --child-lifetime supplies the phase-2 lifetime
// that the encrypted quick mode hides.
func TestCaptureEndAndChildLifetime(t *testing.T) {
	cap := filepath.Join("..", "..", "testdata", "gen", "captures", "v1_no_response.pcap")
	verdict := func(args ...string) map[string]any {
		t.Helper()
		code, out, errs := runCmd(t, append([]string{"analyze", "-T", "json"}, args...)...)
		if code != exitOK {
			t.Fatalf("analyze %v: exit %d: %s", args, code, errs)
		}
		var doc struct {
			IKESAs []struct {
				Verdict map[string]any `json:"verdict"`
			} `json:"ike_sas"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.IKESAs) == 0 {
			t.Fatalf("analyze %v: %v %s", args, err, out)
		}
		return doc.IKESAs[0].Verdict
	}
	v := verdict(cap)
	if v["class"] != "no_response" || v["final"] != false {
		t.Errorf("plain pcap: %v final=%v, want no_response, not final", v["class"], v["final"])
	}
	u, _ := v["unanswered"].(map[string]any)
	if u == nil || u["sender"] != "initiator" || u["gave_up"] != false || u["send_count"].(float64) < 2 {
		t.Errorf("unanswered: %v", v["unanswered"])
	}
	if v := verdict("--capture-end", "+60s", cap); v["class"] != "no_response" || v["final"] != true {
		t.Errorf("--capture-end +60s: %v final=%v, want no_response, final", v["class"], v["final"])
	}
	if code, _, errs := runCmd(t, "analyze", "--capture-end", "yesterday", cap); code != exitUsage || !strings.Contains(errs, "--capture-end") {
		t.Errorf("bad --capture-end: exit %d %q", code, errs)
	}
	child := filepath.Join("..", "..", "testdata", "gen", "captures", "v1_child_expiry.pcap")
	if v := verdict(child); v["class"] != "established" || !strings.Contains(fmt.Sprint(v["hints"]), "phase-2 lifetime is unknown (IKEv1 negotiates it inside the encrypted quick mode)") {
		t.Errorf("child expiry without a lifetime: %v %v", v["class"], v["hints"])
	}
	v = verdict("--child-lifetime", "6s", child)
	w, _ := v["windows_error"].(map[string]any)
	if v["class"] != "lifetime_expired" || w == nil || w["code"].(float64) != 13895 {
		t.Errorf("child expiry with --child-lifetime 6s: %v %v", v["class"], v["windows_error"])
	}
	if v := verdict("--child-lifetime", "60s", child); v["class"] != "established" {
		t.Errorf("child expiry with a 60 s lifetime: %v, want established", v["class"])
	}
}
