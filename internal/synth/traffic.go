package synth

import (
	"encoding/binary"
	"net/netip"

	"github.com/google/gopacket/layers"
)

// espStep writes one ESP packet of a random tunnel, in either direction,
// with the tunnel's current SPI and the next sequence number.
func (g *gen) espStep() {
	t := &g.tunnels[g.rng.IntN(len(g.tunnels))]
	fromB := g.rng.IntN(2) == 0
	spi, seq := t.spiB, &t.seqB
	if fromB {
		spi, seq = t.spiA, &t.seqA
	}
	*seq++
	// Inner packet size: TCP ACKs and small requests, some mid-sized,
	// many full-sized segments clamped to fit the tunnel's MTU.
	var inner int
	switch r := g.rng.IntN(100); {
	case r < 40:
		inner = 40 + g.rng.IntN(80)
	case r < 55:
		inner = 120 + g.rng.IntN(480)
	default:
		inner = 1200 + g.rng.IntN(120)
	}
	// RFC 4303 §2.4: pad plus the pad length and next header bytes to the
	// block size.
	ct := (inner + 2 + 15) &^ 15
	if t.ivLen == 8 {
		ct = (inner + 2 + 3) &^ 3 // GCM needs 4-byte alignment only
	}
	b := g.scratch[:0]
	b = binary.BigEndian.AppendUint32(b, spi)
	b = binary.BigEndian.AppendUint32(b, *seq)
	b = append(b, g.random(t.ivLen+ct+t.icvLen)...)
	g.scratch = b
	src, dst := &t.a, &t.b
	if fromB {
		src, dst = dst, src
	}
	g.st.ESP++
	if t.natt {
		// RFC 3948 §2.1: UDP-encapsulated ESP.
		g.st.ESPUDP++
		sport, dport := t.aPort4500, uint16(4500)
		if fromB {
			sport, dport = dport, sport
		}
		g.sendUDP(src, dst, sport, dport, b)
		return
	}
	g.sendIP(src, dst, layers.IPProtocolESP, b)
}

// keepaliveStep writes a NAT-T keepalive (RFC 3948 §2.3) from the NATed
// side of a random NAT-T tunnel.
func (g *gen) keepaliveStep() {
	for range 8 {
		t := &g.tunnels[g.rng.IntN(len(g.tunnels))]
		if t.natt {
			g.st.Keepalives++
			g.sendUDP(&t.a, &t.b, t.aPort4500, 4500, keepalive[:])
			return
		}
	}
	g.espStep()
}

var keepalive = [1]byte{0xff}

// Background hosts: clients in 203.0.113.0/24 and 2001:db8:c::/48,
// servers at 198.51.100.128 and up and in 2001:db8:d::/48.
func (g *gen) client(v6 bool) host {
	n := byte(1 + g.rng.IntN(200))
	if v6 {
		return newHost(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 15: n}), 64)
	}
	ttl := uint8(64)
	if n%3 == 0 {
		ttl = 128 // Windows clients
	}
	return newHost(netip.AddrFrom4([4]byte{203, 0, 113, n}), ttl)
}

func (g *gen) server(v6 bool) host {
	n := byte(128 + g.rng.IntN(120))
	if v6 {
		return newHost(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x0d, 15: n}), 61)
	}
	return newHost(netip.AddrFrom4([4]byte{198, 51, 100, n}), uint8(50+g.rng.IntN(10)))
}

// ephemeral returns a client port from the Linux ephemeral range, which
// holds no port gopacket decodes as a protocol.
func (g *gen) ephemeral() uint16 { return uint16(32768 + g.rng.IntN(28232)) }

var dnsServer = newHost(netip.AddrFrom4([4]byte{198, 51, 100, 53}), 60)

// backgroundStep writes non-IPsec traffic: mostly TCP, then DNS, QUIC-like
// UDP, NTP, ICMP echo and the odd SMB probe answered by a RST.
func (g *gen) backgroundStep() {
	switch r := g.rng.IntN(1000); {
	case r < 700:
		g.tcpStep()
	case r < 800:
		g.dnsPair()
	case r < 900:
		g.quic()
	case r < 930:
		g.ntpPair()
	case r < 985:
		g.pingPair()
	default:
		g.smbProbe()
	}
}

var dnsNames = [...]string{
	"www.example.com", "mail.example.org", "example.net", "update.example.com",
	"vpn.example.org", "time.example.net", "cdn.example.com", "login.example.org",
}

// dnsPair writes a DNS query for an A or AAAA record and its answer
// (RFC 1035 §4.1).
func (g *gen) dnsPair() {
	c := g.client(false)
	port := g.ephemeral()
	id := uint16(g.rng.Uint32())
	name := dnsNames[g.rng.IntN(len(dnsNames))]
	qtype := uint16(1)
	if g.rng.IntN(3) == 0 {
		qtype = 28
	}
	b := g.scratch[:0]
	b = binary.BigEndian.AppendUint16(b, id)
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD, one question
	qstart := len(b)
	for i := 0; i < len(name); {
		j := i
		for j < len(name) && name[j] != '.' {
			j++
		}
		b = append(b, byte(j-i))
		b = append(b, name[i:j]...)
		i = j + 1
	}
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, qtype)
	b = append(b, 0, 1) // IN
	qend := len(b)
	g.scratch = b
	g.st.UDP++
	g.st.DNS++
	g.sendUDP(&c, &dnsServer, port, 53, b)

	// The answer repeats the question and adds one record.
	b = g.udpBytes[:0]
	b = binary.BigEndian.AppendUint16(b, id)
	b = append(b, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0)
	b = append(b, g.scratch[qstart:qend]...)
	b = append(b, 0xc0, 12) // pointer to the question name
	b = binary.BigEndian.AppendUint16(b, qtype)
	b = append(b, 0, 1)
	b = binary.BigEndian.AppendUint32(b, uint32(60+g.rng.IntN(3600)))
	if qtype == 1 {
		b = append(b, 0, 4, 192, 0, 2, byte(200+g.rng.IntN(50)))
	} else {
		b = append(b, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(1+g.rng.IntN(250)))
	}
	g.udpBytes = b
	g.st.UDP++
	g.st.DNS++
	g.sendUDP(&dnsServer, &c, 53, port, b)
}

// quic writes a UDP/443 datagram that looks like QUIC short-header
// traffic: opaque bytes.
func (g *gen) quic() {
	v6 := g.rng.IntN(8) == 0
	c, s := g.client(v6), g.server(v6)
	n := 40 + g.rng.IntN(1200)
	b := append(g.scratch[:0], 0x40|byte(g.rng.IntN(64)))
	b = append(b, g.random(n)...)
	g.scratch = b
	g.st.UDP++
	if g.rng.IntN(2) == 0 {
		g.sendUDP(&c, &s, g.ephemeral(), 443, b)
	} else {
		g.sendUDP(&s, &c, 443, g.ephemeral(), b)
	}
}

// ntpPair writes an NTP client request and the server's reply (RFC 5905).
func (g *gen) ntpPair() {
	c, s := g.client(false), g.server(false)
	port := g.ephemeral()
	b := append(g.scratch[:0], 0x23, 0, 6, 0xe9) // v4, client
	b = append(b, make([]byte, 36)...)
	b = append(b, g.random(8)...) // transmit timestamp
	g.scratch = b
	g.st.UDP += 2
	g.sendUDP(&c, &s, port, 123, b)
	b[0], b[1] = 0x24, 2 // v4, server, stratum 2
	g.sendUDP(&s, &c, 123, port, b)
}

// pingPair writes an ICMP echo request and reply with the Linux ping
// payload: 8 bytes of time, then 0x10, 0x11, ...
func (g *gen) pingPair() {
	c, s := g.client(false), g.server(false)
	id, seq := uint16(g.rng.Uint32()), uint16(1+g.rng.IntN(100))
	b := append(g.scratch[:0], g.random(8)...)
	for i := range 48 {
		b = append(b, byte(0x10+i))
	}
	g.scratch = b
	for i := range 2 {
		src, dst := &c, &s
		g.icmp.TypeCode = layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0)
		if i == 1 {
			src, dst = dst, src
			g.icmp.TypeCode = layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoReply, 0)
		}
		g.icmp.Id, g.icmp.Seq = id, seq
		ls := g.ipHeader(src, dst, layers.IPProtocolICMPv4, true)
		g.pay = b
		g.st.ICMP++
		g.write(append(ls, &g.icmp, &g.pay))
	}
}

// smbProbe writes a SYN to TCP 445 and the RST|ACK of a host that does not
// listen there.
func (g *gen) smbProbe() {
	c, s := g.client(false), g.server(false)
	port := g.ephemeral()
	seq := g.rng.Uint32()
	g.st.SMBProbes++
	g.sendTCP(&c, &s, port, 445, seq, 0, tcpFlags{SYN: true}, g.tcpSynOpts, nil)
	g.sendTCP(&s, &c, 445, port, 0, seq+1, tcpFlags{RST: true, ACK: true}, nil, nil)
}

// tcpConn is a background TCP connection going through its life: 3-way
// handshake, request, response segments with ACKs, FIN exchange.
type tcpConn struct {
	c, s         host
	cport, sport uint16
	cseq, sseq   uint32
	state        int
	left         int // response bytes still to send
	unacked      int
}

func (g *gen) initConns() {
	g.conns = make([]tcpConn, 48)
	for i := range g.conns {
		g.newConn(&g.conns[i])
		// Most connections are already established when the capture starts.
		if g.rng.IntN(4) != 0 {
			g.conns[i].state = 3 + g.rng.IntN(2)
		}
	}
}

var serverPorts = [...]uint16{443, 443, 443, 443, 443, 22, 445, 993}

func (g *gen) newConn(k *tcpConn) {
	v6 := g.rng.IntN(10) == 0
	*k = tcpConn{
		c: g.client(v6), s: g.server(v6),
		cport: g.ephemeral(), sport: serverPorts[g.rng.IntN(len(serverPorts))],
		cseq: g.rng.Uint32(), sseq: g.rng.Uint32(),
		left: 500 + g.rng.IntN(200000),
	}
}

// TCP connection states.
const (
	tcpSyn = iota
	tcpSynAck
	tcpAck
	tcpRequest
	tcpData
	tcpFin
	tcpFinAck
	tcpLastAck
)

// tcpStep writes the next segment of a random background connection.
func (g *gen) tcpStep() {
	k := &g.conns[g.rng.IntN(len(g.conns))]
	var ack = tcpFlags{ACK: true}
	switch k.state {
	case tcpSyn:
		g.sendTCP(&k.c, &k.s, k.cport, k.sport, k.cseq, 0, tcpFlags{SYN: true}, g.tcpSynOpts, nil)
		k.cseq++
	case tcpSynAck:
		g.sendTCP(&k.s, &k.c, k.sport, k.cport, k.sseq, k.cseq, tcpFlags{SYN: true, ACK: true}, g.tcpSynAckOpts, nil)
		k.sseq++
	case tcpAck:
		g.sendTCP(&k.c, &k.s, k.cport, k.sport, k.cseq, k.sseq, ack, nil, nil)
	case tcpRequest:
		p := g.random(100 + g.rng.IntN(600))
		g.sendTCP(&k.c, &k.s, k.cport, k.sport, k.cseq, k.sseq, tcpFlags{PSH: true, ACK: true}, nil, p)
		k.cseq += uint32(len(p))
	case tcpData:
		if k.unacked >= 2 || (k.unacked > 0 && g.rng.IntN(3) == 0) {
			// Delayed ACK from the client.
			g.sendTCP(&k.c, &k.s, k.cport, k.sport, k.cseq, k.sseq, ack, nil, nil)
			k.unacked = 0
			return
		}
		n := min(k.left, 1448)
		fl := ack
		fl.PSH = n < 1448
		g.sendTCP(&k.s, &k.c, k.sport, k.cport, k.sseq, k.cseq, fl, nil, g.random(n))
		k.sseq += uint32(n)
		k.left -= n
		k.unacked++
		if k.left > 0 {
			return
		}
	case tcpFin:
		g.sendTCP(&k.c, &k.s, k.cport, k.sport, k.cseq, k.sseq, tcpFlags{FIN: true, ACK: true}, nil, nil)
		k.cseq++
	case tcpFinAck:
		g.sendTCP(&k.s, &k.c, k.sport, k.cport, k.sseq, k.cseq, tcpFlags{FIN: true, ACK: true}, nil, nil)
		k.sseq++
	case tcpLastAck:
		g.sendTCP(&k.c, &k.s, k.cport, k.sport, k.cseq, k.sseq, ack, nil, nil)
		g.newConn(k)
		return
	}
	k.state++
}

// sendTCP writes one TCP segment.
func (g *gen) sendTCP(src, dst *host, sport, dport uint16, seq, ack uint32, fl tcpFlags, opts []layers.TCPOption, payload []byte) {
	ls := g.ipHeader(src, dst, layers.IPProtocolTCP, true)
	t := &g.tcp
	t.SrcPort, t.DstPort = layers.TCPPort(sport), layers.TCPPort(dport)
	t.Seq, t.Ack = seq, ack
	t.FIN, t.SYN, t.RST, t.PSH, t.ACK = fl.FIN, fl.SYN, fl.RST, fl.PSH, fl.ACK
	t.Window = 502
	if fl.SYN {
		t.Window = 64240
	}
	t.Options, t.Padding = opts, nil
	t.SetNetworkLayerForChecksum(g.network(src))
	g.pay = payload
	g.st.TCP++
	g.write(append(ls, t, &g.pay))
}

// tcpFlags are the TCP flags a segment sets.
type tcpFlags struct{ FIN, SYN, RST, PSH, ACK bool }
