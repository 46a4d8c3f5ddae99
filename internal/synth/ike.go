package synth

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
)

// profile is the implementation a tunnel's peers imitate: it picks the
// offered transforms, vendor IDs and message sizes.
type profile uint8

const (
	profStrongSwan profile = iota
	profCisco
	profWindows
	numProfiles
)

// Vendor IDs (the values decode/vendorid.go recognises).
var (
	vidMSNT5v9      = mustHex("1e2b516905991c7d7c96fcbfb587e46100000009") // MS NT5 ISAKMPOAKLEY, version 9
	vidRFC3947      = md5Of("RFC 3947")
	vidNATTDraft02N = md5Of("draft-ietf-ipsec-nat-t-ike-02\n")
	vidFragment     = mustHex("4048b7d56ebce88525e7de7f00d6c2d3") // MD5("FRAGMENTATION")
	vidMSNegDisc    = md5Of("MS-Negotiation Discovery Capable")
	vidCGA          = md5Of("IKE CGA version 1")
	vidInitContact  = md5Of("Vid-Initial-Contact")
	vidDPD          = mustHex("afcad71368a1f1c96b8696fc77570100") // RFC 3706
	vidXAUTH        = mustHex("09002689dfd6b712")
	vidStrongSwan   = md5Of("strongSwan")
	vidCiscoUnity   = mustHex("12f5f28c457168a9702d9fe274cc0100")
)

func md5Of(s string) []byte {
	h := md5.Sum([]byte(s))
	return h[:]
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("synth: bad hex " + s)
	}
	return b
}

// v1InitVIDs and v1RespVIDs are the IKEv1 main mode vendor IDs per
// profile, in the order the implementations send them.
var (
	v1InitVIDs = [numProfiles][][]byte{
		profStrongSwan: {vidStrongSwan, vidXAUTH, vidDPD, vidRFC3947, vidNATTDraft02N},
		profCisco:      {vidCiscoUnity, vidDPD, vidRFC3947, vidNATTDraft02N, vidFragment, vidXAUTH},
		profWindows:    {vidMSNT5v9, vidRFC3947, vidNATTDraft02N, vidFragment, vidMSNegDisc, vidCGA, vidInitContact},
	}
	v1RespVIDs = [numProfiles][][]byte{
		profStrongSwan: {vidXAUTH, vidDPD, vidRFC3947},
		profCisco:      {vidCiscoUnity, vidDPD, vidRFC3947, vidFragment},
		profWindows:    {vidMSNT5v9, vidRFC3947, vidFragment, vidMSNegDisc, vidCGA},
	}
	v2VIDs = [numProfiles][][]byte{
		profStrongSwan: {vidStrongSwan},
		profCisco:      nil,
		profWindows:    {vidMSNT5v9, vidMSNegDisc, vidCGA},
	}
)

// IKEv1 phase 1 attribute types and values (RFC 2409 appendix A).
const (
	v1AttrEnc      = 1
	v1AttrHash     = 2
	v1AttrAuth     = 3
	v1AttrGroup    = 4
	v1AttrLifeType = 11
	v1AttrLifeDur  = 12
	v1AttrKeyLen   = 14
)

// v1Xform is one IKEv1 phase 1 transform (KEY_IKE).
type v1Xform struct {
	enc, keyLen, hash, auth, group uint16
	life                           uint32 // seconds
}

var v1Offers = [numProfiles][]v1Xform{
	profStrongSwan: {{7, 256, 4, 1, 14, 10800}, {7, 128, 2, 1, 14, 10800}},
	profCisco:      {{7, 256, 2, 65001, 14, 86400}, {7, 128, 2, 65001, 2, 86400}, {5, 0, 2, 65001, 2, 86400}},
	profWindows:    {{7, 128, 2, 3, 2, 28800}, {5, 0, 2, 3, 2, 28800}, {7, 256, 4, 3, 14, 28800}, {7, 256, 2, 3, 14, 28800}},
}

// v2Xform is one IKEv2 transform (RFC 7296 §3.3.2).
type v2Xform struct {
	typ    uint8
	id     uint16
	keyLen uint16
}

// IKEv2 transform types.
const (
	v2Encr  = 1
	v2PRF   = 2
	v2Integ = 3
	v2DH    = 4
)

var v2Offers = [numProfiles][][]v2Xform{
	profStrongSwan: {
		{{v2Encr, 12, 256}, {v2Encr, 12, 128}, {v2Integ, 12, 0}, {v2Integ, 2, 0}, {v2PRF, 5, 0}, {v2PRF, 2, 0}, {v2DH, 19, 0}, {v2DH, 14, 0}, {v2DH, 31, 0}},
		{{v2Encr, 20, 256}, {v2Encr, 20, 128}, {v2PRF, 5, 0}, {v2DH, 19, 0}, {v2DH, 14, 0}, {v2DH, 31, 0}},
	},
	profCisco: {
		{{v2Encr, 12, 256}, {v2Integ, 12, 0}, {v2PRF, 5, 0}, {v2DH, 14, 0}, {v2DH, 19, 0}},
	},
	profWindows: {
		{{v2Encr, 12, 256}, {v2Integ, 2, 0}, {v2PRF, 2, 0}, {v2DH, 2, 0}},
		{{v2Encr, 12, 128}, {v2Integ, 2, 0}, {v2PRF, 2, 0}, {v2DH, 2, 0}},
		{{v2Encr, 3, 0}, {v2Integ, 2, 0}, {v2PRF, 2, 0}, {v2DH, 2, 0}},
	},
}

// keLen is the length of a key exchange value for a DH group.
func keLen(group uint16) int {
	switch group {
	case 1:
		return 96
	case 2:
		return 128
	case 5:
		return 192
	case 14:
		return 256
	case 19:
		return 64
	case 20:
		return 96
	case 31:
		return 32
	}
	return 256
}

// msgKind is one message of a negotiation script.
type msgKind uint8

const (
	v1MM1 msgKind = iota
	v1MM2
	v1MM3
	v1MM4
	v1MM5
	v1MM6
	v1QM1
	v1QM2
	v1QM3
	v1DPD
	v1DPDAck
	v2InitReq
	v2InitResp
	v2InitInvalidKE
	v2AuthReq
	v2AuthResp
	v2ChildReq
	v2ChildResp
	v2InfoReq
	v2InfoResp
)

// fromResponder reports whether the message is sent by the tunnel's
// responder (b).
func (k msgKind) fromResponder() bool {
	switch k {
	case v1MM2, v1MM4, v1MM6, v1QM2, v1DPDAck, v2InitResp, v2InitInvalidKE, v2AuthResp, v2ChildResp, v2InfoResp:
		return true
	}
	return false
}

// Negotiation scripts.
var (
	scriptV1Full      = []msgKind{v1MM1, v1MM2, v1MM3, v1MM4, v1MM5, v1MM6, v1QM1, v1QM2, v1QM3}
	scriptV1Rekey     = []msgKind{v1QM1, v1QM2, v1QM3}
	scriptV1DPD       = []msgKind{v1DPD, v1DPDAck}
	scriptV2Full      = []msgKind{v2InitReq, v2InitResp, v2AuthReq, v2AuthResp}
	scriptV2InvalidKE = []msgKind{v2InitReq, v2InitInvalidKE, v2InitReq, v2InitResp, v2AuthReq, v2AuthResp}
	scriptV2Child     = []msgKind{v2ChildReq, v2ChildResp}
	scriptV2DPD       = []msgKind{v2InfoReq, v2InfoResp}
)

// tunnel is an IPsec peer pair: a initiates, b responds. Its ESP SAs
// change with every completed negotiation.
type tunnel struct {
	a, b      host
	v2        bool
	prof      profile
	natt      bool   // a is behind a NAT: IKE floats to 4500, ESP is UDP-encapsulated
	aPort500  uint16 // a's IKE source port as seen on the wire
	aPort4500 uint16 // a's NAT-T source port as seen on the wire
	floated   bool   // the current IKE SA has moved to port 4500
	privA     [4]byte

	ispi, rspi uint64
	msgID      uint32 // IKEv2: next request message ID of the initiator
	v1MsgID    uint32 // IKEv1: message ID of the current quick mode or informational exchange
	prop       int    // chosen offer (v1 transform, v2 proposal)
	group      uint16
	badKE      bool // the first IKE_SA_INIT uses a group the responder refuses

	spiA, spiB       uint32 // ESP SPIs: spiA is a's inbound SA (b to a), spiB b's inbound SA (a to b)
	seqA, seqB       uint32
	newSPIA, newSPIB uint32
	ivLen, icvLen    int

	script []msgKind
	pos    int
	// The last IKE message and how it was sent, for retransmission.
	last     []byte
	lastResp bool
	lastNATT bool
}

func (g *gen) initTunnels() {
	n := g.opt.Tunnels
	g.tunnels = make([]tunnel, n)
	for i := range g.tunnels {
		t := &g.tunnels[i]
		t.prof = profile(g.rng.IntN(int(numProfiles)))
		t.v2 = g.rng.IntN(10) < 6
		ttlA, ttlB := uint8(64), uint8(64)
		if t.prof == profWindows {
			ttlA = 128
		}
		ttlA -= uint8(2 + g.rng.IntN(8))
		ttlB -= uint8(2 + g.rng.IntN(8))
		if i%8 == 7 {
			// RFC 3849 documentation prefix: 2001:db8:a::/48 initiators,
			// 2001:db8:b::/48 responders.
			t.a = newHost(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, 14: byte(i >> 8), 15: byte(i + 1)}), ttlA)
			t.b = newHost(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x0b, 14: byte(i >> 8), 15: byte(i + 1)}), ttlB)
			t.aPort500, t.aPort4500 = 500, 4500
		} else {
			t.a = newHost(netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}), ttlA)
			t.b = newHost(netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)}), ttlB)
			t.natt = g.rng.IntN(10) < 3
			t.aPort500, t.aPort4500 = 500, 4500
			if t.natt && g.rng.IntN(2) == 0 {
				// A port-translating NAT maps 500 and 4500 to ephemeral ports.
				t.aPort500 = uint16(49152 + g.rng.IntN(16384))
				t.aPort4500 = uint16(49152 + g.rng.IntN(16384))
			}
			t.privA = [4]byte{10, 0, byte(i >> 8), byte(i + 2)}
		}
		t.ivLen, t.icvLen = 16, 12
		if g.rng.IntN(3) == 0 {
			t.ivLen, t.icvLen = 8, 16 // AES-GCM
		}
		// The capture starts while the tunnel is up: an IKE SA and ESP SAs
		// negotiated earlier.
		g.chooseOffer(t)
		t.ispi, t.rspi = g.rng.Uint64()|1, g.rng.Uint64()|1
		t.msgID = 2 + uint32(g.rng.IntN(20))
		t.floated = t.natt
		t.spiA, t.spiB = g.spi(), g.spi()
		t.seqA, t.seqB = uint32(g.rng.IntN(200000)), uint32(g.rng.IntN(200000))
		t.last = make([]byte, 0, 1500)
	}
	g.busy = make([]int, 0, 16)
}

// spi returns an ESP SPI as implementations pick them (never below 256).
func (g *gen) spi() uint32 {
	if g.rng.IntN(2) == 0 {
		return 0xc0000000 | g.rng.Uint32()>>2 // Linux XFRM style
	}
	return 0x100 + g.rng.Uint32N(0xffffff00)
}

func (g *gen) chooseOffer(t *tunnel) {
	if t.v2 {
		offers := v2Offers[t.prof]
		t.prop = g.rng.IntN(len(offers))
		t.group = 0
		for _, x := range offers[t.prop] {
			if x.typ == v2DH {
				t.group = x.id
				break
			}
		}
		return
	}
	t.prop = g.rng.IntN(len(v1Offers[t.prof]))
	t.group = v1Offers[t.prof][t.prop].group
}

// ikeStep writes one IKE message: the next one of a negotiation under
// way, a retransmission, or the first of a new negotiation.
func (g *gen) ikeStep() {
	var ti int
	if len(g.busy) == 0 || (len(g.busy) < 6 && g.rng.IntN(3) == 0) {
		ti = g.rng.IntN(len(g.tunnels))
		t := &g.tunnels[ti]
		if t.script == nil {
			g.startNegotiation(t)
			g.busy = append(g.busy, ti)
		}
	} else {
		ti = g.busy[g.rng.IntN(len(g.busy))]
	}
	t := &g.tunnels[ti]
	if t.pos > 0 && g.rng.IntN(40) == 0 {
		g.sendIKE(t, t.last, t.lastResp, t.lastNATT, t.v2)
		g.st.Retransmits++
		return
	}
	k := t.script[t.pos]
	t.pos++
	msg := g.buildIKE(t, k)
	natt := t.floated
	t.last = append(t.last[:0], msg...)
	t.lastResp, t.lastNATT = k.fromResponder(), natt
	g.sendIKE(t, msg, k.fromResponder(), natt, t.v2)
	switch k {
	case v1MM4, v2InitResp:
		// RFC 3947 §4, RFC 7296 §2.23: move to port 4500 behind a NAT.
		t.floated = t.natt
	}
	if t.pos == len(t.script) {
		switch k {
		case v1QM3, v2AuthResp, v2ChildResp:
			t.spiA, t.spiB = t.newSPIA, t.newSPIB
			t.seqA, t.seqB = 0, 0
			g.st.Negotiations++
		}
		t.script, t.pos = nil, 0
		for i, b := range g.busy {
			if b == ti {
				g.busy = append(g.busy[:i], g.busy[i+1:]...)
				break
			}
		}
	}
}

func (g *gen) startNegotiation(t *tunnel) {
	t.pos = 0
	t.badKE = false
	r := g.rng.IntN(100)
	if t.v2 {
		switch {
		case r < 40:
			t.script = scriptV2Full
		case r < 80:
			t.script = scriptV2Child
		default:
			t.script = scriptV2DPD
		}
	} else {
		switch {
		case r < 45:
			t.script = scriptV1Full
		case r < 85:
			t.script = scriptV1Rekey
		default:
			t.script = scriptV1DPD
		}
	}
	t.newSPIA, t.newSPIB = g.spi(), g.spi()
	switch t.script[0] {
	case v1MM1, v2InitReq:
		g.chooseOffer(t)
		t.ispi, t.rspi = g.rng.Uint64()|1, g.rng.Uint64()|1
		t.msgID = 2 // IKE_AUTH is message 1
		t.floated = false
		if t.v2 && g.altGroup(t) != 0 && g.rng.IntN(10) == 0 {
			t.script = scriptV2InvalidKE
			t.badKE = true
		}
	case v1QM1, v1DPD:
		t.v1MsgID = g.rng.Uint32() | 1
	}
}

// altGroup returns a DH group of the tunnel's IKEv2 proposal other than
// the one the responder wants, or 0.
func (g *gen) altGroup(t *tunnel) uint16 {
	for _, x := range v2Offers[t.prof][t.prop] {
		if x.typ == v2DH && x.id != t.group {
			return x.id
		}
	}
	return 0
}

// sendIKE writes an IKE message of tunnel t: on UDP 500, or on 4500 after
// the non-ESP marker.
func (g *gen) sendIKE(t *tunnel, msg []byte, fromB, natt, v2 bool) {
	src, dst := &t.a, &t.b
	sport, dport := t.aPort500, uint16(500)
	if natt {
		sport, dport = t.aPort4500, 4500
		// RFC 3948 §2.2: non-ESP marker.
		g.udpBytes = append(g.udpBytes[:0], 0, 0, 0, 0)
		g.udpBytes = append(g.udpBytes, msg...)
		msg = g.udpBytes
		g.st.IKENATT++
	}
	if fromB {
		src, dst = dst, src
		sport, dport = dport, sport
	}
	g.st.IKE++
	if v2 {
		g.st.IKEv2++
	} else {
		g.st.IKEv1++
	}
	g.sendUDP(src, dst, sport, dport, msg)
}

// buildIKE builds message k of tunnel t into g.ike.
func (g *gen) buildIKE(t *tunnel, k msgKind) []byte {
	m := &g.ike
	switch k {
	case v1MM1:
		m.header(t.ispi, 0, ikeV1, 2, 0, 0)
		g.v1SA(t, false)
		for _, v := range v1InitVIDs[t.prof] {
			m.payload(13, v)
		}
	case v1MM2:
		m.header(t.ispi, t.rspi, ikeV1, 2, 0, 0)
		g.v1SA(t, true)
		for _, v := range v1RespVIDs[t.prof] {
			m.payload(13, v)
		}
	case v1MM3, v1MM4:
		m.header(t.ispi, t.rspi, ikeV1, 2, 0, 0)
		m.payload(4, g.random(keLen(t.group)))
		nonce := 32
		if t.prof == profCisco {
			nonce = 20
		}
		m.payload(10, g.random(nonce))
		// RFC 3947 §3.2: NAT-D of the peer's address first, then our own.
		g.natd(t, 20, k == v1MM4, false)
		g.natd(t, 20, k == v1MM4, true)
	case v1MM5, v1MM6:
		n := 64
		if t.prof == profWindows {
			n = 1040 + 16*g.rng.IntN(8) // certificate and signature
		}
		g.v1Encrypted(t.ispi, t.rspi, 2, 0, 5, n)
	case v1QM1, v1QM2, v1QM3:
		if g.opt.ClearQuickMode {
			g.v1ClearQM(t, k)
			break
		}
		n := 32
		if k != v1QM3 {
			n = 176 + 16*g.rng.IntN(6)
			if t.group != 0 && g.rng.IntN(2) == 0 {
				n += keLen(t.group) // PFS
			}
		}
		g.v1Encrypted(t.ispi, t.rspi, 32, t.v1MsgID, 8, n)
	case v1DPD, v1DPDAck:
		g.v1Encrypted(t.ispi, t.rspi, 5, t.v1MsgID, 8, 64)
	case v2InitReq:
		m.header(t.ispi, 0, ikeV2, 34, 0x08, 0)
		g.v2SA(t, false)
		group := t.group
		if t.badKE && t.pos == 1 {
			group = g.altGroup(t) // the responder will ask for t.group
		}
		s := m.begin(34)
		m.u16(group)
		m.u16(0)
		m.bytes(g.random(keLen(group)))
		m.end(s)
		m.payload(40, g.random(32))
		g.natd(t, 41, false, true)
		g.natd(t, 41, false, false)
		g.v2Notify(16430, nil)                      // IKEV2_FRAGMENTATION_SUPPORTED
		g.v2Notify(16431, []byte{0, 2, 0, 3, 0, 4}) // SIGNATURE_HASH_ALGORITHMS
		for _, v := range v2VIDs[t.prof] {
			m.payload(43, v)
		}
	case v2InitInvalidKE:
		// RFC 7296 §1.2: the responder names the group it wants and keeps
		// no state (responder SPI zero).
		m.header(t.ispi, 0, ikeV2, 34, 0x20, 0)
		var grp [2]byte
		binary.BigEndian.PutUint16(grp[:], t.group)
		g.v2Notify(17, grp[:])
	case v2InitResp:
		m.header(t.ispi, t.rspi, ikeV2, 34, 0x20, 0)
		g.v2SA(t, true)
		s := m.begin(34)
		m.u16(t.group)
		m.u16(0)
		m.bytes(g.random(keLen(t.group)))
		m.end(s)
		m.payload(40, g.random(32))
		g.natd(t, 41, true, true)
		g.natd(t, 41, true, false)
		if t.prof != profStrongSwan {
			s := m.begin(38) // CERTREQ: X.509 signature, one CA key hash
			m.put(4)
			m.bytes(g.random(20))
			m.end(s)
		}
		g.v2Notify(16430, nil)
		g.v2Notify(16404, nil) // MULTIPLE_AUTH_SUPPORTED
		for _, v := range v2VIDs[t.prof] {
			m.payload(43, v)
		}
	case v2AuthReq, v2AuthResp:
		flags, inner := byte(0x08), byte(35) // IDi
		if k == v2AuthResp {
			flags, inner = 0x20, 36 // IDr
		}
		n := 240 + 16*g.rng.IntN(10)
		if t.prof != profStrongSwan {
			n = 1024 + 16*g.rng.IntN(12)
		}
		g.v2SK(t, 35, flags, 1, inner, n)
	case v2ChildReq, v2ChildResp:
		flags := byte(0x08)
		if k == v2ChildResp {
			flags = 0x20
		}
		g.v2SK(t, 36, flags, t.msgID, 33, 192+16*g.rng.IntN(8))
		if k == v2ChildResp {
			t.msgID++
		}
	case v2InfoReq, v2InfoResp:
		flags := byte(0x08)
		if k == v2InfoResp {
			flags = 0x20
		}
		g.v2SK(t, 37, flags, t.msgID, 0, 0)
		if k == v2InfoResp {
			t.msgID++
		}
	}
	return m.finish()
}

// v1SA appends an IKEv1 phase 1 SA payload: DOI IPsec, SIT_IDENTITY_ONLY,
// one ISAKMP proposal with the profile's transforms (RFC 2408 §3.4-3.6),
// or with the chosen one only in the response.
func (g *gen) v1SA(t *tunnel, resp bool) {
	m := &g.ike
	offers := v1Offers[t.prof]
	first, last := 0, len(offers)
	if resp {
		first, last = t.prop, t.prop+1
	}
	s := m.begin(1)
	m.u32(1) // DOI IPsec
	m.u32(1) // SIT_IDENTITY_ONLY
	p := m.sub(2, true)
	m.put(1, 1, 0, byte(last-first)) // proposal #1, PROTO_ISAKMP, no SPI
	for i := first; i < last; i++ {
		x := offers[i]
		tr := m.sub(3, i == last-1)
		m.put(byte(i+1), 1, 0, 0) // transform number, KEY_IKE
		m.tv(v1AttrEnc, x.enc)
		if x.keyLen != 0 {
			m.tv(v1AttrKeyLen, x.keyLen)
		}
		m.tv(v1AttrHash, x.hash)
		m.tv(v1AttrAuth, x.auth)
		m.tv(v1AttrGroup, x.group)
		m.tv(v1AttrLifeType, 1) // seconds
		m.life(v1AttrLifeDur, x.life)
		m.end(tr)
	}
	m.end(p)
	m.end(s)
}

// v1ClearQM appends an unencrypted quick mode message: HASH, SA with one
// ESP proposal (RFC 2407 §4.5 attributes), Nonce, IDci and IDcr.
func (g *gen) v1ClearQM(t *tunnel, k msgKind) {
	m := &g.ike
	m.header(t.ispi, t.rspi, ikeV1, 32, 0, t.v1MsgID)
	m.payload(8, g.random(20))
	if k == v1QM3 {
		return
	}
	spi := t.newSPIA // the initiator offers its inbound SPI
	if k == v1QM2 {
		spi = t.newSPIB
	}
	s := m.begin(1)
	m.u32(1)
	m.u32(1)
	p := m.sub(2, true)
	n := 2
	if k == v1QM2 {
		n = 1
	}
	m.put(1, 3, 4, byte(n)) // proposal #1, PROTO_IPSEC_ESP, 4-byte SPI
	m.u32(spi)
	for i := range n {
		tr := m.sub(3, i == n-1)
		m.put(byte(i+1), 12, 0, 0) // ESP_AES
		m.tv(1, 1)                 // SA Life Type: seconds
		m.tv(2, 3600)              // SA Life Duration
		if t.prof == profCisco {
			m.tv(1, 2)         // kilobytes
			m.life(2, 4608000) // TLV: too large for TV
		}
		mode := uint16(1) // tunnel
		if t.natt {
			mode = 3 // UDP-Encapsulated-Tunnel, RFC 3947 §5.1
		}
		m.tv(4, mode)
		m.tv(5, 2) // HMAC-SHA
		m.tv(6, uint16(256-128*i))
		m.end(tr)
	}
	m.end(p)
	m.end(s)
	m.payload(10, g.random(32))
	for _, a := range [2]netip.Addr{t.a.addr, t.b.addr} {
		s := m.begin(5)
		if a.Is4() {
			m.put(4, 0, 0, 0) // ID_IPV4_ADDR_SUBNET
			b := a.As4()
			m.bytes(b[:3])
			m.put(0, 255, 255, 255, 0)
		} else {
			m.put(6, 0, 0, 0) // ID_IPV6_ADDR_SUBNET
			b := a.As16()
			m.bytes(b[:8])
			m.put(0, 0, 0, 0, 0, 0, 0, 0) // a /64
			m.put(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
			m.put(0, 0, 0, 0, 0, 0, 0, 0)
		}
		m.end(s)
	}
}

// v1Encrypted builds an IKEv1 message with the E flag whose body (n
// bytes, a multiple of the cipher block) stands in for the ciphertext.
func (g *gen) v1Encrypted(ispi, rspi uint64, exch byte, msgID uint32, first byte, n int) {
	m := &g.ike
	m.header(ispi, rspi, ikeV1, exch, 0x01, msgID)
	m.b[16] = first
	m.bytes(g.random(n))
}

// v2SA appends an IKEv2 SA payload: the profile's proposals, or the
// chosen proposal reduced to one transform of each type in the response.
func (g *gen) v2SA(t *tunnel, resp bool) {
	m := &g.ike
	offers := v2Offers[t.prof]
	s := m.begin(33)
	for pi, prop := range offers {
		if resp && pi != t.prop {
			continue
		}
		var xs [16]v2Xform
		sel := xs[:0]
		if resp {
			var seen [5]bool
			for _, x := range prop {
				if x.typ == v2DH && x.id != t.group || seen[x.typ] {
					continue
				}
				seen[x.typ] = true
				sel = append(sel, x)
			}
		} else {
			sel = append(sel, prop...)
		}
		p := m.sub(2, resp || pi == len(offers)-1)
		m.put(byte(pi+1), 1, 0, byte(len(sel))) // proposal number, IKE, no SPI
		for i, x := range sel {
			tr := m.sub(3, i == len(sel)-1)
			m.put(x.typ, 0)
			m.u16(x.id)
			if x.keyLen != 0 {
				m.tv(14, x.keyLen) // Key Length
			}
			m.end(tr)
		}
		m.end(p)
	}
	m.end(s)
}

// v2Notify appends an IKEv2 Notify payload with no SPI (RFC 7296 §3.10).
func (g *gen) v2Notify(typ uint16, data []byte) {
	m := &g.ike
	s := m.begin(41)
	m.put(0, 0)
	m.u16(typ)
	m.bytes(data)
	m.end(s)
}

// v2SK builds an IKEv2 message whose only payload is SK (RFC 7296 §3.14):
// IV, n bytes of ciphertext (plus at least one byte of padding length, so
// never empty) and the ICV.
func (g *gen) v2SK(t *tunnel, exch, flags byte, msgID uint32, inner byte, n int) {
	m := &g.ike
	m.header(t.ispi, t.rspi, ikeV2, exch, flags, msgID)
	s := m.begin(46)
	m.b[s] = inner // RFC 7296 §3.14: the first inner payload; SK is last
	// IV, the inner payloads and padding, ICV.
	m.bytes(g.random(16 + n + 16 + 16))
	m.end(s)
}

// natd appends a NAT discovery hash: NAT-D (IKEv1, RFC 3947 §3.2) or the
// NAT_DETECTION_SOURCE_IP / DESTINATION_IP notify (IKEv2, RFC 7296
// §2.23), HASH(SPIi | SPIr | IP | port). The initiator behind a NAT hashes
// its private address, so the peer sees a mismatch.
func (g *gen) natd(t *tunnel, pt byte, fromB, source bool) {
	var buf [16 + 16 + 2]byte
	rspi := t.rspi
	if pt == 41 && !fromB {
		rspi = 0
	}
	binary.BigEndian.PutUint64(buf[0:], t.ispi)
	binary.BigEndian.PutUint64(buf[8:], rspi)
	aboutA := source != fromB
	var n int
	switch {
	case aboutA && t.natt:
		n = 16 + copy(buf[16:], t.privA[:])
		binary.BigEndian.PutUint16(buf[n:], 500)
	case aboutA:
		n = 16 + copy(buf[16:], t.a.addr.AsSlice())
		binary.BigEndian.PutUint16(buf[n:], t.aPort500)
	default:
		n = 16 + copy(buf[16:], t.b.addr.AsSlice())
		binary.BigEndian.PutUint16(buf[n:], 500)
	}
	sum := sha1.Sum(buf[:n+2])
	if pt == 20 {
		g.ike.payload(20, sum[:])
		return
	}
	typ := uint16(16389) // NAT_DETECTION_DESTINATION_IP
	if source {
		typ = 16388
	}
	g.v2Notify(typ, sum[:])
}
