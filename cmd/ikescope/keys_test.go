package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/internal/pipeline"
)

const genDir = "../../testdata/gen/captures"

func scenarioKeys(name string) []string {
	var args []string
	for _, role := range []string{"initiator", "responder"} {
		p := filepath.Join(genDir, name+"."+role+".keys.log")
		if _, err := os.Stat(p); err == nil {
			args = append(args, "--keys", p)
		}
	}
	return args
}

// keyHex returns every key the charon logs of a scenario dumped, as the
// lower-case hex a leak would show, to check no output carries them.
func keyHex(t *testing.T, name string) []string {
	var out []string
	for _, role := range []string{"initiator", "responder"} {
		b, err := os.ReadFile(filepath.Join(genDir, name+"."+role+".keys.log"))
		if err != nil {
			continue
		}
		secret := false
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, " bytes @ ") {
				// Key dumps only: natd chunks, hashes and messages are
				// dumped too, and those do appear on the wire.
				secret = false
				for _, k := range []string{"secret =>", "SKEYID", "Ka =>", " key =>"} {
					if strings.Contains(l, k) {
						secret = true
					}
				}
				continue
			}
			if i := strings.Index(l, "   0: "); i > 0 && secret {
				f := strings.Fields(l[i+6:])
				if len(f) >= 8 {
					out = append(out, strings.ToLower(strings.Join(f[:8], "")))
				}
			}
		}
	}
	return out
}

func TestDecodeWithKeys(t *testing.T) {
	name := "v2_child_proposal_mismatch"
	cap := filepath.Join(genDir, name+".pcapng")
	args := append([]string{"decode"}, append(scenarioKeys(name), cap)...)
	code, out, errs := runCmd(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "SK decrypted: IDr AUTH N(MOBIKE_SUPPORTED) N(NO_ADDITIONAL_ADDRESSES) N(NO_PROPOSAL_CHOSEN)") {
		t.Errorf("decode does not show the decrypted IKE_AUTH response:\n%s", out)
	}
	if !strings.Contains(errs, "decryption: 2 encrypted IKE messages, 2 decrypted, 0 without keys, 0 failed") {
		t.Errorf("summary: %s", errs)
	}
	code, out, _ = runCmd(t, append([]string{"decode", "-v"}, append(scenarioKeys(name), cap)...)...)
	if code != exitOK || !strings.Contains(out, "Notify [N] offset") || !strings.Contains(out, " decrypted\n") {
		t.Errorf("decode -v does not mark decrypted payloads:\n%s", out)
	}
	code, out, _ = runCmd(t, append([]string{"decode", "-T", "json"}, append(scenarioKeys(name), cap)...)...)
	decrypted := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var v struct {
			IKE *struct {
				Payloads []struct {
					Name      string `json:"name"`
					Decrypted bool   `json:"decrypted"`
				} `json:"payloads"`
			} `json:"ike"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		if v.IKE != nil {
			for _, p := range v.IKE.Payloads {
				if p.Decrypted {
					decrypted++
				}
			}
		}
	}
	if code != exitOK || decrypted == 0 {
		t.Errorf("decode -T json: exit %d, %d decrypted payloads", code, decrypted)
	}
}

// TestAnalyzeWithKeys: the verdict comes from the decrypted payload, the
// analyze JSON stays valid against the schema, and no key appears anywhere
// in the output of any format.
func TestAnalyzeWithKeys(t *testing.T) {
	cs := loadContract(t)
	for _, name := range []string{"v2_child_proposal_mismatch", "v1_libreswan_main", "v1_child_expiry"} {
		cap := filepath.Join(genDir, name+".pcapng")
		keys := scenarioKeys(name)
		code, out, errs := runCmd(t, append([]string{"analyze"}, append(keys, cap)...)...)
		if code != exitOK || !strings.Contains(out, "(decrypted)") {
			t.Errorf("%s: exit %d, no decrypted evidence:\n%s%s", name, code, out, errs)
		}
		all := out + errs
		code, out, errs = runCmd(t, append([]string{"analyze", "-T", "json"}, append(keys, cap)...)...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", name, code, errs)
		}
		if err := cs.doc.Validate(decodeInstance(t, []byte(out))); err != nil {
			t.Errorf("%s: analyze -T json with keys does not match the schema: %v", name, err)
		}
		all += out + errs
		for _, f := range []string{"text", "json"} {
			_, o, e := runCmd(t, append([]string{"decode", "-v", "-T", f}, append(keys, cap)...)...)
			if f == "json" {
				_, o, e = runCmd(t, append([]string{"decode", "-T", f}, append(keys, cap)...)...)
			}
			all += o + e
		}
		for _, k := range keyHex(t, name) {
			if strings.Contains(strings.ToLower(all), k) {
				t.Errorf("%s: key material %s... appears in the output", name, k[:6])
			}
		}
	}
}

func TestKeysFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.table")
	os.WriteFile(bad, []byte("# table\n0102030405060708,1112131415161718,00,00,\"ROT13\",00,00,\"NONE\"\n"), 0o600)
	code, out, errs := runCmd(t, "analyze", "--keys", bad, filepath.Join(genDir, "v2_success.pcapng"))
	if code != exitNoInput || out != "" || !strings.Contains(errs, bad+":2: unknown algorithm") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = runCmd(t, "decode", "--keys", filepath.Join(dir, "missing"), filepath.Join(genDir, "v2_success.pcapng"))
	if code != exitNoInput || !strings.Contains(errs, "--keys") {
		t.Errorf("missing key file: exit %d, %q", code, errs)
	}
	for _, cmd := range []string{"decode", "analyze", "check", "live"} {
		_, out, _ := runCmd(t, cmd, "--help")
		if !strings.Contains(out, "--keys FILE") {
			t.Errorf("%s --help does not list --keys", cmd)
		}
	}
}

func TestKeysCommand(t *testing.T) {
	name := "v2_success"
	cap := filepath.Join(genDir, name+".pcapng")
	dir := t.TempDir()
	code, out, errs := runCmd(t, append(append([]string{"keys"}, scenarioKeys(name)...), "--wireshark", dir, cap)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "IKEv2 SA ispi d66db6d02c67c65f rspi 6e03fc17dc3220a5: AES-CBC-128, HMAC_SHA2_256_128: keys from") ||
		!strings.Contains(out, "ESP SA spi ") {
		t.Errorf("keys output:\n%s", out)
	}
	for _, k := range keyHex(t, name) {
		if strings.Contains(strings.ToLower(out+errs), k) {
			t.Errorf("key material %s... on stdout/stderr", k[:6])
		}
	}
	// The tables it wrote decrypt the capture on their own.
	tables := []string{}
	for _, f := range []string{"ikev2_decryption_table", "esp_sa"} {
		p := filepath.Join(dir, f)
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, err, st)
		}
		tables = append(tables, "--keys", p)
	}
	code, _, errs = runCmd(t, append(append([]string{"decode"}, tables...), cap)...)
	if code != exitOK || !strings.Contains(errs, "4 encrypted IKE messages, 4 decrypted") || strings.Count(errs, "10 packets decrypted: 10 ICMP") != 2 {
		t.Errorf("decode with the written tables: exit %d: %s", code, errs)
	}
}

// TestKeysReloadLive: in live capture the daemon writes the keys while ikescope
// runs; a message that finds no keys makes the key files be read again.
func TestKeysReloadLive(t *testing.T) {
	name := "v2_success"
	logFile := filepath.Join(t.TempDir(), "charon-keys.log")
	os.WriteFile(logFile, nil, 0o600)
	kf := keyFlags{files: []string{logFile}}
	keys, code := kf.load(io.Discard)
	if code != exitOK {
		t.Fatal(code)
	}
	dx := decrypter(keys)
	pl := pipeline.New(classify.NewTracker(classify.DefaultConfig()))
	pl.Decrypter = dx
	pl.ReloadKeys = kf.reloader(dx, io.Discard, false)
	src, err := capture.OpenFile(filepath.Join(genDir, name+".pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for {
		p, err := src.Next()
		if err != nil {
			break
		}
		if p.Frame == 5 {
			// Written as charon derives the keys: after IKE_SA_INIT.
			b, _ := os.ReadFile(filepath.Join(genDir, name+".initiator.keys.log"))
			os.WriteFile(logFile, b, 0o600)
		}
		pl.Feed(p)
	}
	if s := dx.Stats; s.Decrypted != 4 || s.NoKeys != 0 || s.Encrypted != 4 {
		t.Errorf("stats %+v, want 4 of 4 decrypted", s)
	}
	if len(dx.ESPStats()) != 2 {
		t.Errorf("ESP SPIs decrypted: %d, want 2", len(dx.ESPStats()))
	}
}
