package synth

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Flood kinds: captures that stress how the analysis scales rather than
// what it says.
const (
	// FloodInit: N IKE_SA_INIT requests from N distinct initiators, none
	// answered (one IKE SA each): a scan or a DoS against a gateway.
	FloodInit = "init"
	// FloodRetransmit: one IKE_SA_INIT request sent N times.
	FloodRetransmit = "retransmit"
	// FloodESP: one IKE SA, then N ESP packets spread round-robin over
	// Options.SPIs SPIs between the same two hosts.
	FloodESP = "esp"
)

// FloodOptions describe a flood capture.
type FloodOptions struct {
	Kind    string
	Packets int
	SPIs    int           // FloodESP: distinct SPIs (default 100 000)
	Gap     time.Duration // between packets (default 10 µs)
}

// Flood writes a flood capture (Ethernet, microsecond pcap) to w. The
// addresses are from 2001:db8::/32 and 192.0.2.0/24 (documentation
// ranges).
func Flood(w io.Writer, opt FloodOptions) error {
	if opt.Gap <= 0 {
		opt.Gap = 10 * time.Microsecond
	}
	if opt.SPIs <= 0 {
		opt.SPIs = 100000
	}
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	f := &flooder{pw: pw, now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), gap: opt.Gap,
		buf: gopacket.NewSerializeBuffer()}
	gw := netip.MustParseAddr("2001:db8:ffff::1")
	switch opt.Kind {
	case FloodInit:
		for i := range opt.Packets {
			src := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 1, 0, 0, 0, 0, 0, 0, 0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
			f.udp(src, gw, 500, 500, initRequest(uint64(i)+1))
		}
	case FloodRetransmit:
		msg := initRequest(0x1122334455667788)
		src := netip.MustParseAddr("2001:db8:1::1")
		for range opt.Packets {
			f.udp(src, gw, 500, 500, msg)
		}
	case FloodESP:
		a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
		f.udp(a, b, 500, 500, initRequest(0x0102030405060708))
		f.udp(b, a, 500, 500, initResponse(0x0102030405060708, 0x1112131415161718))
		esp := make([]byte, 8+16+64+12)
		for i := range opt.Packets {
			spi := uint32(0x1000 + i%opt.SPIs)
			binary.BigEndian.PutUint32(esp, spi)
			binary.BigEndian.PutUint32(esp[4:], uint32(i/opt.SPIs+1))
			src, dst := a, b
			if spi&1 == 1 {
				src, dst = b, a
			}
			f.esp(src, dst, esp)
		}
	default:
		return fmt.Errorf("unknown flood kind %q (want %s, %s or %s)", opt.Kind, FloodInit, FloodRetransmit, FloodESP)
	}
	return f.err
}

type flooder struct {
	pw  *pcapgo.Writer
	now time.Time
	gap time.Duration
	buf gopacket.SerializeBuffer
	err error
}

var floodMAC = [2][]byte{{0x02, 0, 0, 0, 0, 1}, {0x02, 0, 0, 0, 0, 2}}

func (f *flooder) ip(src, dst netip.Addr, proto layers.IPProtocol) (gopacket.SerializableLayer, gopacket.NetworkLayer, layers.EthernetType) {
	if src.Is4() {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		return ip, ip, layers.EthernetTypeIPv4
	}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	return ip, ip, layers.EthernetTypeIPv6
}

func (f *flooder) udp(src, dst netip.Addr, sport, dport uint16, payload []byte) {
	ip, nl, et := f.ip(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(nl)
	f.write(et, ip, u, gopacket.Payload(payload))
}

func (f *flooder) esp(src, dst netip.Addr, payload []byte) {
	ip, _, et := f.ip(src, dst, layers.IPProtocolESP)
	f.write(et, ip, gopacket.Payload(payload))
}

func (f *flooder) write(et layers.EthernetType, ls ...gopacket.SerializableLayer) {
	if f.err != nil {
		return
	}
	eth := &layers.Ethernet{SrcMAC: floodMAC[0], DstMAC: floodMAC[1], EthernetType: et}
	if f.err = gopacket.SerializeLayers(f.buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		append([]gopacket.SerializableLayer{eth}, ls...)...); f.err != nil {
		return
	}
	data := f.buf.Bytes()
	f.err = f.pw.WritePacket(gopacket.CaptureInfo{Timestamp: f.now, CaptureLength: len(data), Length: len(data)}, data)
	f.now = f.now.Add(f.gap)
}

// initRequest is an IKEv2 IKE_SA_INIT request (RFC 7296 §1.2): SA with one
// AES-CBC-128/SHA2-256/MODP-2048 proposal, KE, Nonce.
func initRequest(ispi uint64) []byte {
	return initMessage(ispi, 0, 0x08)
}

func initResponse(ispi, rspi uint64) []byte {
	return initMessage(ispi, rspi, 0x20)
}

func initMessage(ispi, rspi uint64, flags byte) []byte {
	m := &ikeBuf{b: make([]byte, 0, 512)}
	m.header(ispi, rspi, ikeV2, 34, flags, 0)
	s := m.begin(33)
	p := m.sub(2, true)
	m.put(1, 1, 0, 4)
	for i, x := range []struct {
		typ byte
		id  uint16
		kl  uint16
	}{{1, 12, 128}, {2, 5, 0}, {3, 12, 0}, {4, 14, 0}} {
		tr := m.sub(3, i == 3)
		m.put(x.typ, 0)
		m.u16(x.id)
		if x.kl != 0 {
			m.tv(14, x.kl)
		}
		m.end(tr)
	}
	m.end(p)
	m.end(s)
	ke := m.begin(34)
	m.u16(14)
	m.u16(0)
	m.bytes(make([]byte, 256))
	m.end(ke)
	n := m.begin(40)
	nonce := make([]byte, 32)
	binary.BigEndian.PutUint64(nonce, ispi)
	m.bytes(nonce)
	m.end(n)
	return m.finish()
}
