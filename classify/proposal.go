package classify

import (
	"strconv"
	"strings"

	"github.com/ikescope/ikescope/decode"
)

// proposalsOf turns the proposals of a phase-1 SA payload into readable
// form: for IKEv1 one Proposal per transform (each transform is a complete
// alternative, RFC 2409 §5), for IKEv2 one per proposal.
func proposalsOf(major uint8, sa *decode.SA) []Proposal {
	var out []Proposal
	for i := range sa.Proposals {
		pr := &sa.Proposals[i]
		if major == 1 {
			for j := range pr.Transforms {
				var p Proposal
				applyV1(&p, pr.Protocol, &pr.Transforms[j])
				out = append(out, p)
			}
			continue
		}
		var p Proposal
		for j := range pr.Transforms {
			tr := &pr.Transforms[j]
			name := decode.TransformName(2, pr.Protocol, tr)
			for _, a := range tr.Attrs {
				if a.Type == 14 { // Key Length
					name += "-" + strconv.FormatUint(a.Value, 10)
				}
			}
			switch tr.Type {
			case 1:
				p.Encryption = join(p.Encryption, name)
			case 2:
				p.PRF = join(p.PRF, name)
			case 3:
				p.Integrity = join(p.Integrity, name)
			case 4:
				p.DHGroup = join(p.DHGroup, decode.DHGroupName(tr.ID))
				if p.DHGroupID == 0 {
					p.DHGroupID = tr.ID
				}
			}
		}
		out = append(out, p)
	}
	return out
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "/" + b
}

// applyV1 reads IKEv1 phase-1 attributes (RFC 2409 Appendix A).
func applyV1(p *Proposal, proto uint8, tr *decode.Transform) {
	var keyLen uint64
	for k := range tr.Attrs {
		a := &tr.Attrs[k]
		name := decode.AttrValueName(1, proto, a)
		if name == "" {
			name = strconv.FormatUint(a.Value, 10)
		}
		switch a.Type {
		case 1:
			p.Encryption = name
		case 2:
			p.Integrity = name
		case 3:
			p.Auth = name
		case 4:
			p.DHGroup, p.DHGroupID = decode.DHGroupName(uint16(a.Value)), uint16(a.Value)
		case 14:
			keyLen = a.Value
		}
	}
	if keyLen > 0 {
		p.Encryption += "-" + strconv.FormatUint(keyLen, 10)
	}
	applyLifetime(p, tr.Attrs, proto == 1)
}

// applyLifetime reads life type / life duration pairs (RFC 2409 Appendix A
// types 11 and 12 for phase 1; RFC 2407 §4.5 types 1 and 2 for IPsec).
func applyLifetime(p *Proposal, attrs []decode.Attribute, phase1 bool) {
	typeAttr, durAttr := uint16(11), uint16(12)
	if !phase1 {
		typeAttr, durAttr = 1, 2
	}
	var lifeType uint64
	for _, a := range attrs {
		switch a.Type {
		case typeAttr:
			lifeType = a.Value
		case durAttr:
			switch lifeType {
			case 1:
				p.LifetimeSeconds = a.Value
			case 2:
				p.LifetimeKilobytes = a.Value
			}
		}
	}
}

// String renders a proposal: "AES-CBC-256/SHA/2048-bit MODP Group/Pre-shared key".
func (p Proposal) String() string {
	var parts []string
	for _, s := range []string{p.Encryption, p.Integrity, p.PRF, p.DHGroup, p.Auth} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if p.LifetimeSeconds > 0 {
		parts = append(parts, strconv.FormatUint(p.LifetimeSeconds, 10)+"s")
	}
	return strings.Join(parts, "/")
}
