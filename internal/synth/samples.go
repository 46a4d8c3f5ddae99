package synth

import (
	"bufio"
	"io"
	"net/netip"
	"time"

	"github.com/google/gopacket/layers"
)

// samplesStart is the timestamp of the first packet of HostileSample and
// ManySAs.
var samplesStart = time.Date(2024, 3, 12, 11, 0, 0, 0, time.UTC)

// HostileSample writes a small microsecond pcap whose peer-chosen strings
// carry markup, for testing that reports escape what comes from packets:
// an IKEv1 aggressive mode between 192.0.2.30 and 198.51.100.30 whose
// first message has an ID_FQDN identity of initID and a vendor ID of
// vendorID bytes, answered (once, then a retransmission of the first
// message is answered again) by a second message whose ID_USER_FQDN
// identity is respID, and then an unencrypted informational from the
// responder with INVALID_ID_INFORMATION, so the SA fails as auth_failed.
func HostileSample(w io.Writer, initID, respID, vendorID string) error {
	bw := bufio.NewWriter(w)
	g := newGen(bw, Options{Packets: 16, Seed: 14, Start: samplesStart, Tunnels: 1})
	if err := g.pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	t := &tunnel{a: newHost(netip.MustParseAddr("192.0.2.30"), 64), b: newHost(netip.MustParseAddr("198.51.100.30"), 64),
		prof: profStrongSwan, aPort500: 500, aPort4500: 4500}
	t.group = v1Offers[profStrongSwan][0].group
	t.ispi, t.rspi = 0x1c0d_e5ca_fe00_0001, 0x2b1e_0bad_f00d_0002
	at := func(d time.Duration) { g.now = samplesStart.Add(d).UnixNano() }
	m := &g.ike
	id := func(typ byte, s string) {
		p := m.begin(5)
		m.put(typ, 17, 1, 244) // protocol UDP, port 500
		m.bytes([]byte(s))
		m.end(p)
	}
	am1 := func() []byte {
		m.header(t.ispi, 0, ikeV1, 4, 0, 0) // aggressive mode
		g.v1SA(t, false)
		m.payload(4, g.random(keLen(t.group)))
		m.payload(10, g.random(32))
		id(2, initID) // ID_FQDN
		m.payload(13, []byte(vendorID))
		return m.finish()
	}
	am2 := func() []byte {
		m.header(t.ispi, t.rspi, ikeV1, 4, 0, 0)
		g.v1SA(t, true)
		m.payload(4, g.random(keLen(t.group)))
		m.payload(10, g.random(32))
		id(3, respID) // ID_USER_FQDN
		m.payload(8, g.random(20))
		return m.finish()
	}
	at(0)
	first := append([]byte(nil), am1()...)
	g.sendIKE(t, first, false, false, false)
	at(4 * time.Second)
	g.sendIKE(t, first, false, false, false)
	at(4*time.Second + 2100*time.Microsecond)
	g.sendIKE(t, am2(), true, false, false)
	// RFC 2408 §3.14: an unencrypted notification, INVALID_ID_INFORMATION.
	m.header(t.ispi, t.rspi, ikeV1, 5, 0, 0x5a5a0001)
	p := m.begin(11)
	m.u32(1)    // DOI IPsec
	m.put(1, 0) // PROTO_ISAKMP, no SPI
	m.u16(18)   // INVALID_ID_INFORMATION
	m.end(p)
	at(4*time.Second + 2900*time.Microsecond)
	g.sendIKE(t, m.finish(), true, false, false)
	if g.err != nil {
		return g.err
	}
	return bw.Flush()
}

// ManySAs writes a microsecond pcap of n IKEv2 negotiations (at most
// 64516), each between its own pair of documentation addresses, 10 ms
// apart: every seventh gets no answer (its IKE_SA_INIT is sent three times),
// every thirteenth has its IKE_AUTH answered with an error the tracker
// cannot read (an encrypted response) after a retransmission, and the rest
// complete IKE_SA_INIT and IKE_AUTH.
func ManySAs(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	g := newGen(bw, Options{Packets: 8 * n, Seed: 10000, Start: samplesStart, Tunnels: 1})
	if err := g.pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	n = min(n, 254*254)
	for i := range n {
		a := netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i%254)})
		b := netip.AddrFrom4([4]byte{198, 51, 100, byte(1 + i/254)})
		if i/254%2 == 1 {
			b = netip.AddrFrom4([4]byte{203, 0, 113, byte(1 + i/254)})
		}
		t := &tunnel{a: newHost(a, 64), b: newHost(b, 64), prof: profStrongSwan, v2: true, aPort500: 500, aPort4500: 4500, group: 19}
		t.ispi, t.rspi = 0x1000_0000_0000_0000|uint64(i)<<8|1, 0x2000_0000_0000_0000|uint64(i)<<8|2
		base := time.Duration(i) * 10 * time.Millisecond
		at := func(d time.Duration) { g.now = samplesStart.Add(base + d).UnixNano() }
		at(0)
		init := append([]byte(nil), g.buildIKE(t, v2InitReq)...)
		g.sendIKE(t, init, false, false, true)
		if i%7 == 3 {
			at(1 * time.Second)
			g.sendIKE(t, init, false, false, true)
			at(3 * time.Second)
			g.sendIKE(t, init, false, false, true)
			continue
		}
		at(2 * time.Millisecond)
		g.sendIKE(t, g.buildIKE(t, v2InitResp), true, false, true)
		at(5 * time.Millisecond)
		auth := append([]byte(nil), g.buildIKE(t, v2AuthReq)...)
		g.sendIKE(t, auth, false, false, true)
		if i%13 == 5 {
			at(1 * time.Second)
			g.sendIKE(t, auth, false, false, true)
		}
		at(8 * time.Millisecond)
		g.sendIKE(t, g.buildIKE(t, v2AuthResp), true, false, true)
	}
	if g.err != nil {
		return g.err
	}
	return bw.Flush()
}
