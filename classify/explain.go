package classify

import (
	"strconv"
	"strings"

	"github.com/ikescope/ikescope/decode"
)

// Explanation is what ikescope knows about a Windows error.
type Explanation struct {
	decode.WinError
	Meaning   string // what it means, in plain words
	OnTheWire string // what a capture shows for it
	Check     string // what to check
	Class     Class  // the verdict class ikescope gives it, if any
	Note      string // corrections of numbers some articles get wrong
	// Meant is the error those articles mean when they give this number
	// (nil when the number is not one they get wrong).
	Meant *Explanation
}

type knowledge struct{ meaning, wire, check string }

// explained holds the errors ikescope's verdicts map to, written from the
// packets' point of view.
var explained = map[uint32]knowledge{
	13801: {"the peer rejected the credentials offered (pre-shared key, certificate or Kerberos)",
		"an AUTHENTICATION_FAILED / INVALID-HASH-INFORMATION notify from the peer, or phase 1 stalling at the first encrypted message (IKEv1 MM5, IKEv2 IKE_AUTH)",
		"the pre-shared key on both sides, the certificate chain and its revocation reachability, the IDs each side sends and expects"},
	13805: {"the negotiation timed out", "requests retransmitted until the retransmission window closed", "reachability of the peer on UDP 500/4500"},
	13807: {"the peer deleted the IKE SA while a negotiation on it was still pending",
		"a Delete (or an encrypted informational followed by the end of the SA) from the peer while quick mode / CREATE_CHILD_SA was unanswered",
		"the peer's log at that time: policy change, service restart, SA limit"},
	13808: {"the local side deleted (reaped) the IKE SA before establishment completed",
		"the local side sends a Delete, or starts a new IKE SA to the same peer, while the old negotiation is still being retransmitted",
		"local policy changes or service restarts at that time; a fresh attempt usually follows"},
	13810: {"phase 1 is up but the phase-2 (quick mode) request was dropped: it got no answer",
		"quick mode / CREATE_CHILD_SA requests retransmitted with nothing back, while phase 1 completed",
		"that the peer's phase-2 policy (traffic selectors, proposals, PFS group) matches; the peer's log for the quick-mode request"},
	13813: {"the peer never answered: no response at all to the first IKE message",
		"main mode message 1 (or IKE_SA_INIT) retransmitted on UDP 500 with nothing back from the peer",
		"that the peer is up, listens on UDP 500/4500, and that no firewall or NAT on the path drops IKE"},
	13814: {"main mode took too long: the peer answered, but phase 1 did not complete in time",
		"main mode messages answered at first, then a message (often MM5, the first encrypted one) retransmitted until the limit passed",
		"the pre-shared key (a mismatch stalls at MM5), certificates, and whether large messages are IP-fragmented and dropped on the path"},
	13815: {"quick mode took too long: phase 2 was answered but never completed",
		"quick mode messages 1 and 2 seen, message 3 (or the responder's part) missing",
		"phase-2 proposals and PFS settings on both sides, and the initiator's log"},
	13885: {"the main mode SA reached its lifetime or the peer deleted it",
		"no rekey of the IKE SA before its negotiated lifetime ran out; a fresh main mode follows from scratch",
		"that rekeying is enabled and the lifetimes of the two sides are compatible"},
	13895: {"the quick mode SA expired in the IPsec driver", "ESP traffic stops at the negotiated phase-2 lifetime with no new quick mode",
		"phase-2 lifetimes (seconds and kilobytes) and rekey settings"},
	13886: {"the peer is assumed dead: the established main mode SA stopped getting answers",
		"after establishment, DPD / informational or quick mode requests go unanswered and the SA is torn down",
		"the peer's state and NAT/firewall timeouts on the path (NAT-T keepalives keep mappings open)"},
	13848: {"the peer could not check the certificate revocation list (CRL)", "phase 1 failing at the authentication step with certificates",
		"that the CRL distribution points in the certificates are reachable from the peer"},
	13844: {"IKE failed to load a soft SA (fallback to clear)", "nothing specific: a local IPsec driver condition", "local IPsec policy and the IKEEXT service log"},
	0x80320015: {"a Windows Filtering Platform API error: the call is allowed for kernel-mode callers only. It comes from a program calling the filtering API, not from IKE",
		"nothing: this error never appears on the wire, so a capture cannot show it",
		"the program or service that reported it (usually a third-party VPN client or firewall driver calling WFP from user mode); not the IPsec peer"},
	13842: {"the peer sent a vendor ID payload that IKE failed to process", "a malformed or unexpected Vendor ID payload in phase 1", "the vendor IDs decoded by 'ikescope decode -v'"},
}

// wrongNumbers are numbers some articles attach to the wrong error: what the
// number really is, and the error the articles mean by it.
var wrongNumbers = map[uint32]struct {
	note  string
	meant uint32
}{
	0x3618: {"0x3618 is 13848 ERROR_IPSEC_IKE_PEER_CRL_FAILED. Articles that give 0x3618 for a main mode delay drop " +
		"mean 13814 ERROR_IPSEC_IKE_MM_DELAY_DROP, which is 0x35F6", 13814},
	0x3614: {"0x3614 is 13844 ERROR_IPSEC_IKE_LOAD_SOFT_SA. Articles that give 0x3614 for a quick mode acquire drop " +
		"mean 13810 ERROR_IPSEC_IKE_QM_ACQUIRE_DROP, which is 0x35F2", 13810},
	0x3612: {"0x3612 is 13842 ERROR_IPSEC_IKE_PROCESS_ERR_VENDOR. Articles that give 0x3612 for a reaped SA " +
		"mean 13808 ERROR_IPSEC_IKE_SA_REAPED, which is 0x35F0", 13808},
	0x80284010: {"0x80284010 is TBS_E_SERVICE_DISABLED (TPM Base Services are disabled), not an IKE or IPsec error. " +
		"Articles that list it with IPsec errors mean FWP_E_KM_CLIENTS_ONLY, which is 0x80320015", 0x80320015},
}

// Explain looks up a code (decimal, hex, HRESULT 0x8007xxxx) or a name.
func Explain(q string) (Explanation, bool) {
	q = strings.TrimSpace(q)
	var e Explanation
	var ok bool
	if n, err := strconv.ParseUint(q, 0, 32); err == nil {
		code := uint32(n)
		if w, bad := wrongNumbers[code]; bad {
			e.Note = w.note
			if m, found := Explain(strconv.FormatUint(uint64(w.meant), 10)); found {
				e.Meant = &m
			}
		}
		e.WinError, ok = decode.LookupWinError(code)
		if !ok && e.Note != "" {
			e.Code = code
			return e, true
		}
	} else {
		e.WinError, ok = decode.LookupWinErrorName(q)
	}
	if !ok {
		return e, false
	}
	if w, bad := wrongNumbers[e.Code]; bad && e.Note == "" {
		// Asked by name: say which number it is, without the meant error.
		e.Note = w.note
	}
	if k, found := explained[e.Code]; found {
		e.Meaning, e.OnTheWire, e.Check = k.meaning, k.wire, k.check
	}
	for c, code := range ClassWindowsCode {
		if code == e.Code {
			e.Class = c
		}
	}
	if e.Code == 13895 {
		e.Class = LifetimeExpired
	}
	return e, true
}
