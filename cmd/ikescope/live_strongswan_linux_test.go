//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLiveStrongSwan runs `ikescope live` on a veth while two real
// strongSwan daemons negotiate beside it (testdata/gen/live-e2e.sh): one
// IKEv2 negotiation that succeeds and is deleted, one that fails with
// NO_PROPOSAL_CHOSEN, then SIGINT. The verdicts must stream before the
// SIGINT, in order, with the right classes, the metrics endpoint must count
// them, and the summary must follow the SIGINT.
func TestLiveStrongSwan(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the real-daemon test")
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "not root: cannot create network namespaces")
	}
	for _, tool := range []string{"/usr/lib/ipsec/charon", "swanctl", "ip", "nft", "ping"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "%s not installed (apt-get install strongswan-charon strongswan-swanctl libcharon-extra-plugins nftables iputils-ping)", tool)
		}
	}
	bin := ikescopeBinary(t)
	out := t.TempDir()
	cmd := exec.Command("bash", "../../testdata/gen/live-e2e.sh", bin, out)
	cmd.Env = append(os.Environ(), "PFX=ikl"+strconv.Itoa(os.Getpid()%100000))
	done := make(chan error, 1)
	var combined []byte
	go func() {
		var err error
		combined, err = cmd.CombinedOutput()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("live-e2e.sh: %v\n%s", err, combined)
		}
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("live-e2e.sh did not finish in 3 minutes")
	}

	marks := readMarks(t, filepath.Join(out, "marks"))
	sigint, ok := marks["sigint"]
	if !ok {
		t.Fatalf("no sigint mark; marks %v", marks)
	}
	f, err := os.Open(filepath.Join(out, "live.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var classes []string
	finalStats := false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		at, line, _ := strings.Cut(sc.Text(), " ")
		when, _ := strconv.ParseFloat(at, 64)
		var l struct {
			Type  string `json:"type"`
			Final bool   `json:"final"`
			SA    struct {
				Verdict struct {
					Class string `json:"class"`
					Final bool   `json:"final"`
				} `json:"verdict"`
			} `json:"ike_sa"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("live output is not JSON lines: %q: %v", line, err)
		}
		switch l.Type {
		case "sa_verdict":
			classes = append(classes, l.SA.Verdict.Class)
			if when >= sigint {
				t.Errorf("verdict %s printed only after SIGINT: it should stream when final", l.SA.Verdict.Class)
			}
			if !l.SA.Verdict.Final {
				t.Errorf("verdict %s streamed before it was final", l.SA.Verdict.Class)
			}
		case "stats":
			if l.Final {
				finalStats = true
				if when < sigint {
					t.Error("final summary before SIGINT")
				}
			}
		}
	}
	if want := []string{"established", "proposal_mismatch"}; strings.Join(classes, ",") != strings.Join(want, ",") {
		t.Errorf("streamed verdicts %v, want %v (strongSwan logs in %s)", classes, want, out)
	}
	if !finalStats {
		t.Error("no final summary (stats line with final=true) after SIGINT")
	}
	metrics, err := os.ReadFile(filepath.Join(out, "metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`ikescope_negotiations_total{class="established"} 1`,
		`ikescope_negotiations_total{class="proposal_mismatch"} 1`,
		"ikescope_phase1_duration_seconds_count 1",
		"ikescope_capture_drops_total 0",
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics scrape lacks %q:\n%s", want, metrics)
		}
	}
	errText, _ := os.ReadFile(filepath.Join(out, "live.err"))
	if !strings.Contains(string(errText), "dropped by kernel") {
		t.Errorf("no kernel drop counters on stderr:\n%s", errText)
	}
}

func readMarks(t *testing.T, name string) map[string]float64 {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		at, what, _ := strings.Cut(line, " ")
		v, _ := strconv.ParseFloat(at, 64)
		m[what] = v
	}
	return m
}

// TestLiveStrongSwanKeys is TestLiveStrongSwan with --keys on the
// initiator's charon key log, which charon writes while live runs: a third
// negotiation whose child SA is refused inside IKE_AUTH (only the
// decrypted response shows it) must stream as proposal_mismatch with
// decrypted evidence.
func TestLiveStrongSwanKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the real-daemon test")
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "not root: cannot create network namespaces")
	}
	for _, tool := range []string{"/usr/lib/ipsec/charon", "swanctl", "ip", "nft", "ping"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "%s not installed (apt-get install strongswan-charon strongswan-swanctl libcharon-extra-plugins nftables iputils-ping)", tool)
		}
	}
	bin := ikescopeBinary(t)
	out := t.TempDir()
	cmd := exec.Command("bash", "../../testdata/gen/live-e2e.sh", bin, out)
	cmd.Env = append(os.Environ(), "PFX=ikk"+strconv.Itoa(os.Getpid()%100000), "LIVE_KEYS=1")
	done := make(chan error, 1)
	var combined []byte
	go func() {
		var err error
		combined, err = cmd.CombinedOutput()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("live-e2e.sh: %v\n%s", err, combined)
		}
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("live-e2e.sh did not finish in 3 minutes")
	}
	b, err := os.ReadFile(filepath.Join(out, "live.out"))
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	decrypted := false
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		_, line, _ := strings.Cut(l, " ")
		var v struct {
			Type string `json:"type"`
			SA   struct {
				Verdict struct {
					Class    string `json:"class"`
					Evidence []struct {
						Text string `json:"text"`
					} `json:"evidence"`
				} `json:"verdict"`
			} `json:"ike_sa"`
		}
		if json.Unmarshal([]byte(line), &v) != nil || v.Type != "sa_verdict" {
			continue
		}
		classes = append(classes, v.SA.Verdict.Class)
		for _, e := range v.SA.Verdict.Evidence {
			if strings.Contains(e.Text, "NO_PROPOSAL_CHOSEN from the responder for the child SA of IKE_AUTH") && strings.Contains(e.Text, "(decrypted)") {
				decrypted = true
			}
		}
	}
	if want := "established,proposal_mismatch,proposal_mismatch"; strings.Join(classes, ",") != want {
		t.Errorf("streamed verdicts %v, want %s (logs in %s)", classes, want, out)
	}
	if !decrypted {
		errText, _ := os.ReadFile(filepath.Join(out, "live.err"))
		t.Errorf("no decrypted NO_PROPOSAL_CHOSEN evidence for the child refused in IKE_AUTH:\n%s\nstderr:\n%s", b, errText)
	}
}
