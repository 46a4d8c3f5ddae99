package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/decrypt"
)

const genCaptures = "../../testdata/gen/captures"

// analyseWithKeys runs a committed scenario through the pipeline with the
// charon key logs committed next to it, as analyze --keys does.
func analyseWithKeys(t *testing.T, name string) ([]*classify.SA, decrypt.Stats) {
	t.Helper()
	keys := &decrypt.Keys{}
	logs, _ := filepath.Glob(filepath.Join(genCaptures, name+".*keys.log"))
	if len(logs) == 0 {
		t.Fatalf("%s: no key logs", name)
	}
	for _, l := range logs {
		f, err := os.Open(l)
		if err != nil {
			t.Fatal(err)
		}
		k, err := decrypt.ParseKeys(l, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		keys.Merge(k)
	}
	src, err := capture.OpenFile(filepath.Join(genCaptures, name+".pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pl := New(classify.NewTracker(classify.DefaultConfig()))
	pl.Decrypter = decrypt.New(keys)
	pl.DecryptError = func(p *capture.Packet, err error) { t.Errorf("%s frame %d: %v", name, p.Frame, err) }
	if err := pl.FeedAll(src); err != nil {
		t.Fatal(err)
	}
	var end time.Time
	for _, st := range capture.Stats(src) {
		if st.End.After(end) {
			end = st.End
		}
	}
	pl.Finish(end)
	return pl.Tracker.Results(), pl.Decrypter.Stats
}

// TestVerdictsFromDecryptedPayloads checks that with keys the verdicts are
// read from the payloads: the cases of testdata/gen/wire-limits.tsv, where
// the daemons' logs say what the encrypted packets alone cannot show, now
// get the log's class, and the evidence names the decrypted payload.
func TestVerdictsFromDecryptedPayloads(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sa       int // index of the IKE SA
		class    classify.Class
		evidence string // a substring of some evidence or hint line
	}{
		{"v2_child_proposal_mismatch", 0, classify.ProposalMismatch, "NO_PROPOSAL_CHOSEN from the responder for the child SA of IKE_AUTH (the IKE SA itself came up) (decrypted)"},
		{"v2_child_no_answer", 1, classify.ProposalMismatch, "TS_UNACCEPTABLE from the responder for the child SA of IKE_AUTH"},
		{"v2_peer_delete_pending", 1, classify.ProposalMismatch, "TS_UNACCEPTABLE"},
		{"v2_peer_delete_pending", 0, classify.SADeleted, "Delete of the IKE SA sent by the responder (decrypted)"},
		{"v2_libreswan_child_refused", 0, classify.ProposalMismatch, "TS_UNACCEPTABLE from the responder for the child SA of IKE_AUTH"},
		{"v1_child_expiry", 0, classify.LifetimeExpired, "negotiated phase-2 lifetime 6.0s"},
		{"v1_child_expiry", 0, classify.LifetimeExpired, "Delete of the phase-2 SA from the responder at +6.0s (decrypted)"},
		{"v1_libreswan_main", 0, classify.ProposalMismatch, "NO-PROPOSAL-CHOSEN from the responder in phase 2 (decrypted)"},
		{"v1_libreswan_main", 0, classify.ProposalMismatch, "the initiator offered (decrypted Quick Mode): proposals ESP_AES-128/HMAC-SHA2-256, traffic selectors 203.0.113.1 === 203.0.113.2"},
		{"v2_libreswan_child_refused", 0, classify.ProposalMismatch, "traffic selectors 203.0.113.1 === 203.0.113.2"},
		{"v1_peer_delete_pending", 0, classify.SADeleted, "Delete of the IKE SA sent by the responder (decrypted)"},
		{"v1_psk_mismatch", 0, classify.MMDelayDrop, "answered MM5 with PAYLOAD-MALFORMED (decrypted, frame 8)"},
		{"v2_psk_mismatch", 0, classify.AuthFailed, "AUTHENTICATION_FAILED from the responder (decrypted)"},
		{"v1_local_delete_pending", 0, classify.SAReaped, "Delete of the IKE SA sent by the initiator (decrypted)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sas, st := analyseWithKeys(t, tc.name)
			if st.Failed != 0 || st.NoKeys != 0 {
				t.Errorf("decryption: %+v", st)
			}
			if tc.sa >= len(sas) {
				t.Fatalf("%d IKE SAs, want #%d", len(sas), tc.sa+1)
			}
			v := sas[tc.sa].Verdict
			var lines []string
			for _, e := range v.Evidence {
				lines = append(lines, e.Text)
			}
			lines = append(lines, v.Hints...)
			if v.Class != tc.class {
				t.Errorf("IKE SA #%d: class %s, want %s; evidence:\n%s", tc.sa+1, v.Class, tc.class, strings.Join(lines, "\n"))
			}
			found := false
			for _, l := range lines {
				if strings.Contains(l, tc.evidence) {
					found = true
				}
			}
			if !found {
				t.Errorf("IKE SA #%d: no evidence or hint contains %q:\n%s", tc.sa+1, tc.evidence, strings.Join(lines, "\n"))
			}
		})
	}
}

// TestKeysDoNotChangeCleanVerdicts: for every committed scenario, the
// verdicts with keys are those without, except where the payloads say
// more (the table above).
func TestDecryptAllScenarios(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(genCaptures, "*.pcapng"))
	total := decrypt.Stats{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".pcapng")
		if logs, _ := filepath.Glob(filepath.Join(genCaptures, name+".*keys.log")); len(logs) == 0 {
			continue
		}
		_, st := analyseWithKeys(t, name)
		total.Encrypted += st.Encrypted
		total.Decrypted += st.Decrypted
		total.Failed += st.Failed
		total.NoKeys += st.NoKeys
	}
	if total.Encrypted == 0 || total.Decrypted != total.Encrypted {
		t.Errorf("decrypted %d of %d encrypted messages (%d failed, %d without keys)", total.Decrypted, total.Encrypted, total.Failed, total.NoKeys)
	}
	t.Logf("decrypted %d of %d encrypted messages", total.Decrypted, total.Encrypted)
}

// TestSMBResetInsideESP: a TCP RST from port 445 that travels inside the
// tunnel is visible only with the child SA keys; with them the SMB finding
// (KB2503010) is reported, without them it is not.
func TestSMBResetInsideESP(t *testing.T) {
	run := func(withKeys bool) []classify.Finding {
		name := "v2_smb_reset"
		dir := "../../testdata/gen/crypto"
		src, err := capture.OpenFile(filepath.Join(dir, name+".pcapng"))
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		pl := New(classify.NewTracker(classify.DefaultConfig()))
		if withKeys {
			keys := &decrypt.Keys{}
			for _, role := range []string{"initiator", "responder"} {
				f, err := os.Open(filepath.Join(dir, name+"."+role+".keys.log"))
				if err != nil {
					t.Fatal(err)
				}
				k, err := decrypt.ParseKeys(f.Name(), f)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				keys.Merge(k)
			}
			pl.Decrypter = decrypt.New(keys)
		}
		if err := pl.FeedAll(src); err != nil {
			t.Fatal(err)
		}
		pl.Finish(time.Time{})
		return pl.Tracker.Findings()
	}
	if f := run(false); len(f) != 0 {
		t.Errorf("without keys: %d findings", len(f))
	}
	f := run(true)
	if len(f) != 1 || f[0].Type != "smb_reset" {
		t.Fatalf("with keys: findings %+v", f)
	}
}

// TestRefusedIKEAuthWithKeys: read from the payloads, an IKE_AUTH answered
// by AUTHENTICATION_FAILED did not bring the IKE SA up, and a child refused
// inside IKE_AUTH is not counted as a child SA.
func TestRefusedIKEAuthWithKeys(t *testing.T) {
	sas, _ := analyseWithKeys(t, "v2_psk_mismatch")
	if len(sas) != 1 || !sas[0].Established.IsZero() || len(sas[0].Children) != 0 {
		t.Errorf("v2_psk_mismatch: established %v, %d children", sas[0].Established, len(sas[0].Children))
	}
	sas, _ = analyseWithKeys(t, "v2_child_proposal_mismatch")
	if len(sas) != 1 || sas[0].Established.IsZero() || len(sas[0].Children) != 0 {
		t.Errorf("v2_child_proposal_mismatch: established %v, %d children", sas[0].Established, len(sas[0].Children))
	}
	sas, _ = analyseWithKeys(t, "v2_success")
	if len(sas) != 1 || sas[0].Established.IsZero() || len(sas[0].Children) != 1 {
		t.Errorf("v2_success: established %v, %d children", sas[0].Established, len(sas[0].Children))
	}
}
