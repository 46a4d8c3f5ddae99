package classify

import "github.com/ikescope/ikescope/decode"

// What the tracker reads from payloads that were decrypted with keys
// (decode.Payload.Decrypted): the exact notify or Delete, and the phase-2
// lifetimes of a quick mode. Without keys these are guessed from sizes and
// timing (verdict.go says "likely"); with them the evidence names them.

// childNotify reports IKEv2 error notifies that refuse a child SA rather
// than the IKE SA (RFC 7296 §1.2, §3.10.1).
func childNotify(t uint16) bool {
	switch t {
	case nNoProposalChosen, nTSUnacceptable, 34, 35, 36, 37, 39: // SINGLE_PAIR_REQUIRED, NO_ADDITIONAL_SAS, INTERNAL_ADDRESS_FAILURE, FAILED_CP_REQUIRED, INVALID_SELECTORS
		return true
	}
	return false
}

// hasPayload reports a payload of type t in m.
func hasPayload(m *decode.Message, t decode.PayloadType) bool {
	if m == nil {
		return false
	}
	for i := range m.Payloads {
		if m.Payloads[i].Type == t {
			return true
		}
	}
	return false
}

// childProposal reads the lifetimes of a phase-2 SA payload: the first
// transform of the first proposal, which in a responder's quick mode
// answer is the one chosen (RFC 2407 §4.5 attributes 1 and 2).
func childProposal(major uint8, sa *decode.SA) Proposal {
	var p Proposal
	if major != 1 || len(sa.Proposals) == 0 || len(sa.Proposals[0].Transforms) == 0 {
		return p
	}
	applyLifetime(&p, sa.Proposals[0].Transforms[0].Attrs, false)
	return p
}

// readDelete reports whether m carried a decrypted (or clear) Delete.
func readDelete(m *Message) bool {
	for _, t := range m.Payloads {
		if t == decode.PayloadDelete || t == decode.PayloadDeletev2 {
			return true
		}
	}
	return false
}

// decryptedNote is appended to evidence read from decrypted payloads.
func decryptedNote(d bool) string {
	if d {
		return " (decrypted)"
	}
	return ""
}

// childRefused reports a decrypted IKE_AUTH response that refuses its child
// SA with an error notify next to AUTH (RFC 7296 §1.2).
func childRefused(m *decode.Message) bool {
	for i := range m.Payloads {
		if n := m.Payloads[i].Notify; n != nil && m.Payloads[i].Decrypted && childNotify(n.Type) {
			return true
		}
	}
	return false
}
