package synth

import (
	"bufio"
	"io"
	"net/netip"
	"time"

	"github.com/google/gopacket/layers"
)

// Windows sample addresses.
var (
	WindowsHost = netip.MustParseAddr("192.0.2.10")    // the Windows machine
	WindowsPeer = netip.MustParseAddr("198.51.100.20") // its peer
)

// WindowsErrorAuthFail is the Windows error the sample's status notify
// carries: ERROR_IPSEC_IKE_AUTH_FAIL.
const WindowsErrorAuthFail = 13801 // 0x35E9

// windowsStart is the timestamp of the sample's first packet.
var windowsStart = time.Date(2024, 3, 12, 10, 0, 0, 0, time.UTC)

// WindowsSample writes a small synthetic microsecond pcap of a Windows
// host, WindowsHost:
//
//  1. IKEv1 main mode message 1 from the Windows initiator, with the
//     Windows proposals (life type seconds, life duration 28800) and the
//     vendor IDs MS NT5 ISAKMPOAKLEY version 9, RFC 3947,
//     draft-ietf-ipsec-nat-t-ike-02\n, FRAGMENTATION, MS-Negotiation
//     Discovery Capable, IKE CGA version 1 and Vid-Initial-Contact;
//  2. main mode message 2 from WindowsPeer, accepting the first proposal,
//     with the vendor IDs RFC 3947 and DPD;
//  3. an IKEv2 IKE_SA_INIT request from WindowsPeer to the Windows host;
//  4. the Windows responder's unencrypted IKE_SA_INIT response: the vendor
//     ID MS NT5 ISAKMPOAKLEY version 9 and a Microsoft status notify (type
//  12345. whose data is the Windows error 13801
//     (ERROR_IPSEC_IKE_AUTH_FAIL), 4 bytes big-endian.
func WindowsSample(w io.Writer) error {
	bw := bufio.NewWriter(w)
	g := newGen(bw, Options{Packets: 4, Seed: 13801, Start: windowsStart, Tunnels: 1})
	if err := g.pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	win := newHost(WindowsHost, 128)
	peer := newHost(WindowsPeer, 64)

	v1 := &tunnel{a: win, b: peer, prof: profWindows, aPort500: 500, aPort4500: 4500, prop: 0}
	v1.group = v1Offers[profWindows][0].group
	v1.ispi, v1.rspi = 0x8a3c_51f2_0e94_d7b6, 0x3f61_c2a8_95d0_47e1
	at := func(d time.Duration) { g.now = windowsStart.Add(d).UnixNano() }
	at(0)
	g.sendIKE(v1, g.buildIKE(v1, v1MM1), false, false, false)
	// The peer is not a Windows machine: it accepts the first proposal and
	// sends the RFC 3947 and DPD vendor IDs.
	m := &g.ike
	m.header(v1.ispi, v1.rspi, ikeV1, 2, 0, 0)
	g.v1SA(v1, true)
	m.payload(13, vidRFC3947)
	m.payload(13, vidDPD)
	at(1840 * time.Microsecond)
	g.sendIKE(v1, m.finish(), true, false, false)

	v2 := &tunnel{a: peer, b: win, prof: profStrongSwan, v2: true, aPort500: 500, aPort4500: 4500, prop: 0}
	v2.group = 19
	v2.ispi, v2.rspi = 0x5be2_09c4_7d13_a86f, 0
	at(2*time.Second + 417*time.Microsecond)
	g.sendIKE(v2, g.buildIKE(v2, v2InitReq), false, false, true)

	// The error response: MS-IKEE status notify (12345) with the Windows
	// error code, and the Windows vendor ID.
	m.header(v2.ispi, 0, ikeV2, 34, 0x20, 0)
	var code [4]byte
	code[2], code[3] = WindowsErrorAuthFail>>8, WindowsErrorAuthFail&0xff
	g.v2Notify(12345, code[:])
	m.payload(43, vidMSNT5v9)
	at(2*time.Second + 3102*time.Microsecond)
	g.sendIKE(v2, m.finish(), true, false, true)
	if g.err != nil {
		return g.err
	}
	return bw.Flush()
}
