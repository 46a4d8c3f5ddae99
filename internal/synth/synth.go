// Package synth writes deterministic synthetic captures for benchmarks and
// tests: Ethernet frames with IKEv1 and IKEv2 negotiations, ESP (over IP
// protocol 50 and UDP/4500), NAT-T keepalives and background TCP, UDP and
// ICMP traffic, as a pcap file.
//
// Everything is drawn from a PCG generator seeded by Options.Seed, so the
// same options always give the same bytes. Addresses come from the
// documentation ranges only (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
// 2001:db8::/32) and every tunnel uses its own pair of addresses. No packet
// holds real key material: nonces, KE values, ciphertext and ICVs are
// pseudo-random bytes.
//
// The generator reuses its buffers and layers and allocates almost nothing
// per packet, so a capture of a million packets takes well under a second
// of CPU.
package synth

import (
	"bufio"
	"errors"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Options controls Write. The zero value of every field except Packets
// selects a default.
type Options struct {
	Packets int       // number of packets to write
	Seed    uint64    // PCG seed
	Start   time.Time // timestamp of the first packet; default 2024-03-12 09:00:00 UTC
	Rate    float64   // mean packets per second; default 10000
	Nanos   bool      // write a nanosecond pcap (default microsecond)
	Tunnels int       // number of IPsec tunnels (peer pairs), 1..MaxTunnels; default 64
	// ClearQuickMode writes IKEv1 quick mode messages unencrypted, with
	// their SA payloads (ESP proposal and SPI, transforms, life type and
	// duration), Nonce and ID payloads, so that ESP SPIs can be tied to a
	// negotiation. Real quick mode is always encrypted; by default it is
	// written so (E flag, opaque body).
	ClearQuickMode bool
}

// MaxTunnels is the largest Options.Tunnels: IPv4 tunnel i uses
// 192.0.2.(i+1) and 198.51.100.(i+1), and 198.51.100.128 and up are kept
// for background servers.
const MaxTunnels = 120

// Stats counts what Write wrote.
type Stats struct {
	Packets      int // frames written
	Bytes        int64
	IPv6         int // frames with an IPv6 header
	IKE          int // IKE messages (retransmissions included)
	IKEv1        int
	IKEv2        int
	IKENATT      int // IKE messages on UDP/4500 after the non-ESP marker
	Retransmits  int // IKE messages sent again unchanged
	Negotiations int // IKE negotiations completed (child SAs created)
	ESP          int // ESP packets, over IP or UDP
	ESPUDP       int // ESP packets in UDP/4500
	Keepalives   int // NAT-T keepalives
	TCP          int
	SMBProbes    int // TCP SYNs to port 445 answered by a RST
	UDP          int // background UDP (DNS, NTP, QUIC-like)
	DNS          int
	ICMP         int
	First, Last  time.Time
}

// Defaults.
const (
	defaultRate    = 10000
	defaultTunnels = 64
)

var defaultStart = time.Date(2024, 3, 12, 9, 0, 0, 0, time.UTC)

// Traffic mix, as cumulative probabilities per generation step. Background
// steps may write two frames (request and reply), so the shares per frame
// come out at about 1.5% IKE, 45% ESP, 1% keepalives, the rest background.
const (
	pIKE       = 0.017
	pESP       = pIKE + 0.495
	pKeepalive = pESP + 0.01
)

// errPackets is returned for a negative packet count.
var errPackets = errors.New("synth: negative packet count")

// Write writes a pcap capture of opt.Packets Ethernet frames to w.
func Write(w io.Writer, opt Options) (Stats, error) {
	if opt.Packets < 0 {
		return Stats{}, errPackets
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	g := newGen(bw, opt)
	if err := g.pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return Stats{}, err
	}
	for g.err == nil && g.st.Packets < g.opt.Packets {
		g.step()
	}
	if g.err != nil {
		return g.st, g.err
	}
	return g.st, bw.Flush()
}

// gen is the generator state. It is used by one goroutine.
type gen struct {
	opt Options
	rng *rand.Rand
	pw  *pcapgo.Writer
	err error
	st  Stats

	now      int64   // timestamp of the next frame, ns since the epoch
	meanGap  float64 // mean inter-frame gap, ns
	pool     []byte  // pseudo-random bytes standing in for ciphertext
	poolMask int

	// Serialization state, reused for every frame. The address slices of
	// the layers point into the arrays below.
	sbuf              gopacket.SerializeBuffer
	sopt              gopacket.SerializeOptions
	eth               layers.Ethernet
	ip4               layers.IPv4
	ip6               layers.IPv6
	udp               layers.UDP
	tcp               layers.TCP
	icmp              layers.ICMPv4
	pay               gopacket.Payload
	smac, dmac        [6]byte
	sip4, dip4        [4]byte
	sip6, dip6        [16]byte
	stack             [5]gopacket.SerializableLayer
	tcpSynOpts        []layers.TCPOption
	tcpSynAckOpts     []layers.TCPOption
	scratch, udpBytes []byte

	ike     ikeBuf
	tunnels []tunnel
	busy    []int // tunnels with a negotiation under way
	conns   []tcpConn
}

func newGen(w io.Writer, opt Options) *gen {
	if opt.Start.IsZero() {
		opt.Start = defaultStart
	}
	if opt.Rate <= 0 {
		opt.Rate = defaultRate
	}
	if opt.Tunnels <= 0 {
		opt.Tunnels = defaultTunnels
	}
	opt.Tunnels = min(opt.Tunnels, MaxTunnels)
	g := &gen{
		opt:     opt,
		rng:     rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)),
		now:     opt.Start.UnixNano(),
		meanGap: 1e9 / opt.Rate,
		sbuf:    gopacket.NewSerializeBufferExpectedSize(64, 1600),
		sopt:    gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		scratch: make([]byte, 0, 2048),
	}
	if opt.Nanos {
		g.pw = pcapgo.NewWriterNanos(w)
	} else {
		g.pw = pcapgo.NewWriter(w)
	}
	g.pool = make([]byte, 1<<16+2048)
	for i := 0; i+8 <= len(g.pool); i += 8 {
		v := g.rng.Uint64()
		for j := range 8 {
			g.pool[i+j] = byte(v >> (8 * j))
		}
	}
	g.poolMask = 1<<16 - 1
	g.eth.SrcMAC, g.eth.DstMAC = g.smac[:], g.dmac[:]
	g.ip4.SrcIP, g.ip4.DstIP = g.sip4[:], g.dip4[:]
	g.ip4.Version = 4
	g.ip6.SrcIP, g.ip6.DstIP = g.sip6[:], g.dip6[:]
	g.ip6.Version = 6
	g.tcpSynOpts = []layers.TCPOption{
		{OptionType: layers.TCPOptionKindMSS, OptionData: []byte{0x05, 0xb4}},
		{OptionType: layers.TCPOptionKindSACKPermitted},
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindWindowScale, OptionData: []byte{7}},
	}
	g.tcpSynAckOpts = []layers.TCPOption{
		{OptionType: layers.TCPOptionKindMSS, OptionData: []byte{0x05, 0x78}},
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindSACKPermitted},
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindWindowScale, OptionData: []byte{8}},
	}
	g.ike.b = make([]byte, 0, 2048)
	g.initTunnels()
	g.initConns()
	return g
}

// step writes the frames of one generation step.
func (g *gen) step() {
	r := g.rng.Float64()
	switch {
	case r < pIKE:
		g.ikeStep()
	case r < pESP:
		g.espStep()
	case r < pKeepalive:
		g.keepaliveStep()
	default:
		g.backgroundStep()
	}
}

// random returns n pseudo-random bytes from the pool. The slice aliases
// the pool: copy it before changing it.
func (g *gen) random(n int) []byte {
	if n > 2048 {
		n = 2048
	}
	off := int(g.rng.Uint32()) & g.poolMask
	return g.pool[off : off+n : off+n]
}

// host is one end of a frame.
type host struct {
	addr netip.Addr
	mac  [6]byte
	ttl  uint8
}

func newHost(a netip.Addr, ttl uint8) host {
	h := host{addr: a, ttl: ttl}
	b := a.As16()
	h.mac = [6]byte{0x02, 0x00, b[12], b[13], b[14], b[15]}
	if a.Is6() {
		h.mac[1] = b[11]
	}
	return h
}

// ipHeader fills the link and network layers for a frame from src to dst
// and returns them: the first two entries of g.stack.
func (g *gen) ipHeader(src, dst *host, proto layers.IPProtocol, df bool) []gopacket.SerializableLayer {
	g.smac, g.dmac = src.mac, dst.mac
	s := g.stack[:0]
	s = append(s, &g.eth)
	if src.addr.Is4() {
		g.eth.EthernetType = layers.EthernetTypeIPv4
		g.sip4, g.dip4 = src.addr.As4(), dst.addr.As4()
		g.ip4.TTL = src.ttl
		g.ip4.Protocol = proto
		g.ip4.Id = uint16(g.rng.Uint32())
		g.ip4.Flags = 0
		if df {
			g.ip4.Flags = layers.IPv4DontFragment
		}
		return append(s, &g.ip4)
	}
	g.st.IPv6++
	g.eth.EthernetType = layers.EthernetTypeIPv6
	g.sip6, g.dip6 = src.addr.As16(), dst.addr.As16()
	g.ip6.HopLimit = src.ttl
	g.ip6.NextHeader = proto
	return append(s, &g.ip6)
}

func (g *gen) network(src *host) gopacket.NetworkLayer {
	if src.addr.Is4() {
		return &g.ip4
	}
	return &g.ip6
}

// sendUDP writes one UDP datagram.
func (g *gen) sendUDP(src, dst *host, sport, dport uint16, payload []byte) {
	s := g.ipHeader(src, dst, layers.IPProtocolUDP, false)
	g.udp.SrcPort, g.udp.DstPort = layers.UDPPort(sport), layers.UDPPort(dport)
	g.udp.SetNetworkLayerForChecksum(g.network(src))
	g.pay = payload
	g.write(append(s, &g.udp, &g.pay))
}

// sendIP writes an IP packet whose transport is payload (ESP over IP).
func (g *gen) sendIP(src, dst *host, proto layers.IPProtocol, payload []byte) {
	s := g.ipHeader(src, dst, proto, true)
	g.pay = payload
	g.write(append(s, &g.pay))
}

// write serializes the layers and writes the frame with the current
// timestamp, then advances the clock.
func (g *gen) write(ls []gopacket.SerializableLayer) {
	if g.err != nil || g.st.Packets >= g.opt.Packets {
		return
	}
	if err := gopacket.SerializeLayers(g.sbuf, g.sopt, ls...); err != nil {
		g.err = err
		return
	}
	data := g.sbuf.Bytes()
	ts := time.Unix(0, g.now)
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}
	if err := g.pw.WritePacket(ci, data); err != nil {
		g.err = err
		return
	}
	if g.st.Packets == 0 {
		g.st.First = ts
	}
	g.st.Last = ts
	g.st.Packets++
	g.st.Bytes += int64(len(data))
	gap := g.rng.ExpFloat64() * g.meanGap
	if gap < 1000 {
		gap = 1000 // 1 µs: keep microsecond timestamps strictly increasing
	}
	g.now += int64(gap)
}
