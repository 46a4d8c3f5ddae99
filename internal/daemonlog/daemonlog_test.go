package daemonlog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parseString(t *testing.T, s string) []*SA {
	t.Helper()
	sas, err := Parse(strings.NewReader(strings.TrimSpace(s)+"\n"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return sas
}

// Lines below are excerpts of charon 5.9.8 logs written by testdata/gen.
func TestJudge(t *testing.T) {
	for _, c := range []struct {
		name, ini, resp, class string
	}{
		{"no response", `
2026-11-22T22:24:43.789 09[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:24:43.789 09[ENC] <gw|1> generating ID_PROT request 0 [ SA V V V V ]
2026-11-22T22:24:44.789 11[IKE] <gw|1> sending retransmit 1 of request message ID 0, seq 1
2026-11-22T22:24:50.892 11[IKE] <gw|1> giving up after 3 retransmits
2026-11-22T22:24:50.892 11[IKE] <gw|1> establishing IKE_SA failed, peer not responding`, "", "no_response"},
		{"phase 1 answered, then given up", `
2026-11-22T22:29:19.709 10[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:29:19.710 10[ENC] <gw|1> generating ID_PROT request 0 [ SA V V V V ]
2026-11-22T22:29:19.712 12[NET] <gw|1> received packet: from 192.0.2.2[500] to 192.0.2.1[500] (136 bytes)
2026-11-22T22:29:19.712 12[ENC] <gw|1> parsed ID_PROT response 0 [ SA V V V ]
2026-11-22T22:29:19.715 12[ENC] <gw|1> generating ID_PROT request 0 [ KE No NAT-D NAT-D ]
2026-11-22T22:29:26.830 12[IKE] <gw|1> giving up after 3 retransmits`, "", "mm_delay_drop"},
		{"proposal rejected", `
2026-11-22T22:29:15.500 10[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:29:15.501 10[ENC] <gw|1> generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]
2026-11-22T22:29:15.502 12[NET] <gw|1> received packet: from 192.0.2.2[500] to 192.0.2.1[500] (36 bytes)
2026-11-22T22:29:15.502 12[ENC] <gw|1> parsed IKE_SA_INIT response 0 [ N(NO_PROP) ]
2026-11-22T22:29:15.502 12[IKE] <gw|1> received NO_PROPOSAL_CHOSEN notify error`, "", "proposal_mismatch"},
		{"phase 2 never answered", `
2026-11-22T22:25:40.295 09[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:25:40.315 15[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.1[a]...192.0.2.2[b]
2026-11-22T22:25:40.315 15[IKE] <gw|1> IKE_SA gw[1] state change: CONNECTING => ESTABLISHED
2026-11-22T22:25:40.315 15[IKE] <gw|1> CHILD_SA net{1} established with SPIs 6add04cf_i 51f5a967_o and TS 203.0.113.1/32 === 203.0.113.2/32
2026-11-22T22:25:40.591 12[ENC] <gw|1> generating CREATE_CHILD_SA request 2 [ SA No TSi TSr ]
2026-11-22T22:25:41.592 11[IKE] <gw|1> retransmit 1 of request with message ID 2
2026-11-22T22:25:47.695 15[IKE] <gw|1> giving up after 3 retransmits
2026-11-22T22:25:47.695 15[IKE] <gw|1> initiating IKE_SA gw[2] to 192.0.2.2`, "", "qm_acquire_drop"},
		{"local delete while quick mode pending", `
2026-11-22T22:28:28.230 13[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:28:28.250 13[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.1[a]...192.0.2.2[b]
2026-11-22T22:28:28.250 13[IKE] <gw|1> IKE_SA gw[1] state change: CONNECTING => ESTABLISHED
2026-11-22T22:28:28.253 13[ENC] <gw|1> generating QUICK_MODE request 3948228817 [ HASH SA No ID ID ]
2026-11-22T22:28:29.253 09[IKE] <gw|1> sending retransmit 1 of request message ID 3948228817, seq 4
2026-11-22T22:28:30.257 14[IKE] <gw|1> sending DELETE for IKE_SA gw[1]`, "", "sa_reaped"},
		{"responder never saw quick mode complete", `
2026-11-22T22:25:31.400 13[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:25:31.420 13[IKE] <gw|1> IKE_SA gw[1] state change: CONNECTING => ESTABLISHED
2026-11-22T22:25:31.421 13[ENC] <gw|1> generating QUICK_MODE request 7 [ HASH SA No ID ID ]
2026-11-22T22:25:31.422 13[ENC] <gw|1> parsed QUICK_MODE response 7 [ HASH SA No ID ID ]
2026-11-22T22:25:31.422 13[IKE] <gw|1> CHILD_SA net{1} established with SPIs 1_i 2_o and TS 203.0.113.1/32 === 203.0.113.2/32
2026-11-22T22:25:31.422 13[ENC] <gw|1> generating QUICK_MODE request 7 [ HASH ]`, `
2026-11-22T22:25:31.401 02[IKE] <1> 192.0.2.1 is initiating a Main Mode IKE_SA
2026-11-22T22:25:31.420 13[IKE] <gw|1> IKE_SA gw[1] state change: CONNECTING => ESTABLISHED
2026-11-22T22:25:31.421 13[ENC] <gw|1> parsed QUICK_MODE request 7 [ HASH SA No ID ID ]
2026-11-22T22:25:31.421 13[ENC] <gw|1> generating QUICK_MODE response 7 [ HASH SA No ID ID ]
2026-11-22T22:25:32.421 13[IKE] <gw|1> sending retransmit 1 of response message ID 7, seq 1
2026-11-22T22:25:38.421 13[IKE] <gw|1> giving up after 3 retransmits`, "qm_delay_drop"},
		// The log (cut at the end of the capture) ends while a request is
		// still being retransmitted: judged by its phase, as on the wire.
		{"still retransmitting phase 1 at the end", `
2026-11-22T22:24:43.789 09[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:24:43.789 09[ENC] <gw|1> generating ID_PROT request 0 [ SA V V V V ]
2026-11-22T22:24:44.789 11[IKE] <gw|1> sending retransmit 1 of request message ID 0, seq 1`, "", "no_response"},
		{"sent once at the end", `
2026-11-22T22:24:43.789 09[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:24:43.789 09[ENC] <gw|1> generating ID_PROT request 0 [ SA V V V V ]`, "", "in_progress"},
		{"still retransmitting quick mode at the end", `
2026-11-22T22:28:28.230 13[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:28:28.250 13[IKE] <gw|1> IKE_SA gw[1] state change: CONNECTING => ESTABLISHED
2026-11-22T22:28:28.253 13[ENC] <gw|1> generating QUICK_MODE request 3948228817 [ HASH SA No ID ID ]
2026-11-22T22:28:29.253 09[IKE] <gw|1> sending retransmit 1 of request message ID 3948228817, seq 4`, "", "qm_acquire_drop"},
		{"DPD unanswered at the end", `
2026-11-22T22:28:28.230 13[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:28:28.250 13[IKE] <gw|1> IKE_SA gw[1] state change: CONNECTING => ESTABLISHED
2026-11-22T22:28:32.253 13[ENC] <gw|1> generating INFORMATIONAL_V1 request 11 [ HASH N(DPD) ]
2026-11-22T22:28:34.253 13[ENC] <gw|1> generating INFORMATIONAL_V1 request 12 [ HASH N(DPD) ]`, "", "dead_peer"},
		{"responder still resending QM2 at the end", `
2026-11-22T22:25:31.400 13[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:25:31.420 13[IKE] <gw|1> IKE_SA gw[1] state change: CONNECTING => ESTABLISHED
2026-11-22T22:25:31.421 13[ENC] <gw|1> generating QUICK_MODE request 7 [ HASH SA No ID ID ]
2026-11-22T22:25:31.422 13[ENC] <gw|1> parsed QUICK_MODE response 7 [ HASH SA No ID ID ]
2026-11-22T22:25:31.422 13[IKE] <gw|1> CHILD_SA net{1} established with SPIs 1_i 2_o and TS 203.0.113.1/32 === 203.0.113.2/32
2026-11-22T22:25:31.422 13[ENC] <gw|1> generating QUICK_MODE request 7 [ HASH ]`, `
2026-11-22T22:25:31.401 02[IKE] <1> 192.0.2.1 is initiating a Main Mode IKE_SA
2026-11-22T22:25:31.420 13[IKE] <gw|1> IKE_SA gw[1] state change: CONNECTING => ESTABLISHED
2026-11-22T22:25:31.421 13[ENC] <gw|1> parsed QUICK_MODE request 7 [ HASH SA No ID ID ]
2026-11-22T22:25:31.421 13[ENC] <gw|1> generating QUICK_MODE response 7 [ HASH SA No ID ID ]
2026-11-22T22:25:32.421 13[IKE] <gw|1> sending retransmit 1 of response message ID 7, seq 1`, "qm_delay_drop"},
		{"child closed at its lifetime", `
2026-11-22T22:25:31.400 13[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:25:31.420 13[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.1[a]...192.0.2.2[b]
2026-11-22T22:25:31.420 13[IKE] <gw|1> IKE_SA gw[1] state change: CONNECTING => ESTABLISHED
2026-11-22T22:25:31.422 13[IKE] <gw|1> CHILD_SA net{1} established with SPIs 1_i 2_o and TS 203.0.113.1/32 === 203.0.113.2/32
2026-11-22T22:25:37.422 01[IKE] <gw|1> closing expired CHILD_SA net{1} with SPIs 1_i 2_o and TS 203.0.113.1/32 === 203.0.113.2/32`, "", "lifetime_expired"},
		{"established", `
2026-11-22T22:23:00.377 15[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:23:00.397 10[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.1[a]...192.0.2.2[b]
2026-11-22T22:23:00.397 10[IKE] <gw|1> IKE_SA gw[1] state change: CONNECTING => ESTABLISHED`, "", "established"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := Judge(parseString(t, c.ini), parseString(t, c.resp))
			if len(out) == 0 {
				t.Fatal("no negotiation found")
			}
			if out[0].Class != c.class {
				t.Errorf("class %s (%s), want %s", out[0].Class, out[0].Reason, c.class)
			}
		})
	}
}

// TestNewSAInOldContext: charon logs the start of a fresh IKE SA under the
// old one's prefix; the two must stay apart.
func TestNewSAInOldContext(t *testing.T) {
	sas := parseString(t, `
2026-11-22T22:29:09.812 09[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.2
2026-11-22T22:29:11.834 14[IKE] <gw|1> received DELETE for IKE_SA gw[1]
2026-11-22T22:29:11.834 14[IKE] <gw|1> initiating Main Mode IKE_SA gw[2] to 192.0.2.2
2026-11-22T22:29:11.835 13[NET] <gw|2> received packet: from 192.0.2.2[500] to 192.0.2.1[500] (136 bytes)`)
	if len(sas) != 2 || sas[1].ID != 2 || !sas[1].Initiator || sas[1].Started.Second() != 11 {
		t.Fatalf("got %d SAs: %+v", len(sas), sas)
	}
}

// TestCommittedLogs: every committed scenario log parses, and each
// scenario yields at least one negotiation.
func TestCommittedLogs(t *testing.T) {
	logs, _ := filepath.Glob("../../testdata/gen/captures/*.initiator.log")
	if len(logs) == 0 {
		t.Skip("no generated captures")
	}
	for _, name := range logs {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sas, err := Parse(f, time.Time{})
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(sas) == 0 {
			t.Errorf("%s: no IKE SA found", name)
		}
	}
}
