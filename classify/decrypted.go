package classify

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/ikescope/ikescope/decode"
)

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

// childOffer is what the initiator of a phase 2 offered, read from
// decrypted payloads: the child SA proposals and the traffic selectors
// (IKEv2 TSi/TSr, IKEv1 quick mode IDci/IDcr).
type childOffer struct {
	exchange  string
	proposals []string
	local     []string // TSi / IDci
	remote    []string // TSr / IDcr
	ids       int      // IKEv1 IDs seen in the current quick mode
}

func (o *childOffer) note(major uint8, x *Exchange, dir Dir, p *decode.Payload) {
	if dir != I2R {
		return
	}
	if o.exchange != x.Name+"/"+strconv.FormatUint(uint64(x.MsgID), 16) {
		*o = childOffer{exchange: x.Name + "/" + strconv.FormatUint(uint64(x.MsgID), 16)}
	}
	switch {
	case p.SA != nil:
		o.proposals = childProposals(major, p.SA)
	case p.TS != nil && p.Type == decode.PayloadTSi:
		o.local = selectorsText(p.TS)
	case p.TS != nil && p.Type == decode.PayloadTSr:
		o.remote = selectorsText(p.TS)
	case p.ID != nil:
		// RFC 2409 §5.5: IDci then IDcr.
		if o.ids == 0 {
			o.local = []string{idText(p.ID)}
		} else {
			o.remote = []string{idText(p.ID)}
		}
		o.ids++
	}
}

// text renders the offer for a hint, or "" when nothing was read.
func (o *childOffer) text() string {
	var parts []string
	if len(o.proposals) > 0 {
		parts = append(parts, "proposals "+strings.Join(o.proposals, "; "))
	}
	if len(o.local) > 0 || len(o.remote) > 0 {
		parts = append(parts, "traffic selectors "+orAny(o.local)+" === "+orAny(o.remote))
	}
	if len(parts) == 0 {
		return ""
	}
	return "the initiator offered (decrypted " + strings.SplitN(o.exchange, "/", 2)[0] + "): " + strings.Join(parts, ", ")
}

func orAny(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ",")
}

// childProposals renders child SA proposals: "ESP AES_CBC-128/HMAC_SHA2_256_128".
func childProposals(major uint8, sa *decode.SA) []string {
	var out []string
	for i := range sa.Proposals {
		pr := &sa.Proposals[i]
		for j := range pr.Transforms {
			tr := &pr.Transforms[j]
			name := decode.TransformName(major, pr.Protocol, tr)
			var extra []string
			for _, a := range tr.Attrs {
				switch {
				case major == 2 && a.Type == 14, major == 1 && a.Type == 6: // key length
					name += "-" + strconv.FormatUint(a.Value, 10)
				case major == 1 && a.Type == 5: // authentication algorithm
					extra = append(extra, decode.AttrValueName(major, pr.Protocol, &a))
				}
			}
			if major == 2 && j > 0 {
				out[len(out)-1] += "/" + name
				continue
			}
			proto := decode.ProtocolName(major, pr.Protocol)
			if !strings.HasPrefix(name, proto+"_") {
				name = proto + " " + name
			}
			out = append(out, strings.Join(append([]string{name}, extra...), "/"))
		}
		if len(out) > 8 {
			break
		}
	}
	return out
}

func selectorsText(ts *decode.TrafficSelectors) []string {
	var out []string
	for _, s := range ts.Selectors {
		a, ok1 := netip.AddrFromSlice(s.StartAddr)
		b, ok2 := netip.AddrFromSlice(s.EndAddr)
		if !ok1 || !ok2 {
			continue
		}
		r := a.String()
		if a != b {
			r += "-" + b.String()
		}
		if s.IPProtocol != 0 {
			r += " proto " + strconv.Itoa(int(s.IPProtocol))
		}
		if s.StartPort != 0 || s.EndPort != 65535 {
			r += " port " + strconv.Itoa(int(s.StartPort))
			if s.EndPort != s.StartPort {
				r += "-" + strconv.Itoa(int(s.EndPort))
			}
		}
		out = append(out, r)
	}
	return out
}

// idText renders an IKEv1 quick mode ID (RFC 2407 §4.6.2): address,
// subnet or range, with protocol and port when set.
func idText(id *decode.Identity) string {
	var r string
	d := id.Data
	switch id.Type {
	case 1, 5: // IPV4_ADDR, IPV6_ADDR
		if a, ok := netip.AddrFromSlice(d); ok {
			r = a.String()
		}
	case 4, 6: // subnets: address then mask
		if len(d)%2 == 0 && len(d) > 0 {
			a, ok1 := netip.AddrFromSlice(d[:len(d)/2])
			m := d[len(d)/2:]
			if ok1 {
				bits := 0
				for _, b := range m {
					for b&0x80 != 0 {
						bits++
						b <<= 1
					}
				}
				r = a.String() + "/" + strconv.Itoa(bits)
			}
		}
	case 7, 8: // ranges
		if len(d)%2 == 0 && len(d) > 0 {
			a, ok1 := netip.AddrFromSlice(d[:len(d)/2])
			b, ok2 := netip.AddrFromSlice(d[len(d)/2:])
			if ok1 && ok2 {
				r = a.String() + "-" + b.String()
			}
		}
	}
	if r == "" {
		r = "ID type " + strconv.Itoa(int(id.Type))
	}
	if id.Protocol != 0 {
		r += " proto " + strconv.Itoa(int(id.Protocol))
	}
	if id.Port != 0 {
		r += " port " + strconv.Itoa(int(id.Port))
	}
	return r
}

// childLifetimes are the lifetimes of a decrypted phase-2 proposal.
type childLifetimes struct{ seconds, kilobytes uint64 }

// apply takes RESPONDER-LIFETIME attributes (RFC 2407 §4.6.3.1) as
// applyLifetime does for a Proposal.
func (l *childLifetimes) apply(attrs []decode.Attribute) {
	p := Proposal{LifetimeSeconds: l.seconds, LifetimeKilobytes: l.kilobytes}
	applyLifetime(&p, attrs, false)
	l.seconds, l.kilobytes = p.LifetimeSeconds, p.LifetimeKilobytes
}
