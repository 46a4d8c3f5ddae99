package capture

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/net/bpf"
)

const samplePcap = "../testdata/sample/ikev1-main-quick-esp.pcap"

// vm returns a function running prog in x/net/bpf's VM over an Ethernet
// or raw IP packet: the number of bytes kept (0: dropped).
func vm(t *testing.T, prog []bpf.RawInstruction) func([]byte) int {
	t.Helper()
	ins, ok := bpf.Disassemble(prog)
	if !ok {
		t.Fatalf("program does not disassemble: %v", ins)
	}
	m, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	return func(pkt []byte) int {
		n, err := m.Run(pkt)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		return n
	}
}

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
	v4A  = net.IP{192, 0, 2, 1}
	v4B  = net.IP{198, 51, 100, 1}
	v6A  = net.ParseIP("2001:db8::1")
	v6B  = net.ParseIP("2001:db8::2")
)

// pkt serializes layers with lengths and checksums fixed (checksums only
// when a network layer is among them).
func pkt(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	var nl gopacket.NetworkLayer
	for _, l := range ls {
		if n, ok := l.(gopacket.NetworkLayer); ok {
			nl = n
		}
	}
	for _, l := range ls {
		if c, ok := l.(interface {
			SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
		}); ok && nl != nil {
			c.SetNetworkLayerForChecksum(nl)
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: nl != nil}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func eth(typ layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: typ}
}

func ip4(proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: v4A, DstIP: v4B}
}

func ip6(next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: v6A, DstIP: v6B}
}

func udp(sport, dport uint16) *layers.UDP {
	return &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
}

var ikeHeader = gopacket.Payload(append(make([]byte, 28), 0)) // enough to look like something

type filterCase struct {
	name string
	data []byte // Ethernet frame
	want bool
}

func filterCases(t *testing.T) []filterCase {
	dot1q := func(typ layers.EthernetType, vid uint16) *layers.Dot1Q {
		return &layers.Dot1Q{VLANIdentifier: vid, Type: typ}
	}
	frag := func(proto layers.IPProtocol, off uint16, mf bool) []byte {
		ip := ip4(proto)
		ip.FragOffset = off
		if mf {
			ip.Flags = layers.IPv4MoreFragments
		}
		return pkt(t, eth(layers.EthernetTypeIPv4), ip, gopacket.Payload(make([]byte, 64)))
	}
	// IPv6 fragment header by hand: next header, reserved, offset/flags, id.
	frag6 := func(next byte, off uint16) []byte {
		h := []byte{next, 0, 0, 0, 0, 0, 0, 7}
		binary.BigEndian.PutUint16(h[2:4], off<<3)
		return pkt(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6Fragment), gopacket.Payload(append(h, make([]byte, 64)...)))
	}
	// IPv6 hop-by-hop options header of 8 bytes (PadN), then UDP.
	hbh := func(sport, dport uint16) []byte {
		u := pkt(t, udp(sport, dport), ikeHeader)
		h := []byte{byte(layers.IPProtocolUDP), 0, 1, 4, 0, 0, 0, 0}
		return pkt(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6HopByHop), gopacket.Payload(append(h, u...)))
	}
	// A longer extension header (destination options, 24 bytes), then a
	// fragment header.
	destFrag := func(next byte) []byte {
		h := make([]byte, 24)
		h[0], h[1] = byte(layers.IPProtocolIPv6Fragment), 2
		h[2], h[3] = 1, 20
		f := []byte{next, 0, 0, 8, 0, 0, 0, 9}
		return pkt(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6Destination), gopacket.Payload(append(append(h, f...), make([]byte, 32)...)))
	}
	ipOpts := ip4(layers.IPProtocolUDP)
	ipOpts.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}} // NOPs, EOL: IHL 6
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: 1, SourceHwAddress: macA, SourceProtAddress: v4A, DstHwAddress: make([]byte, 6), DstProtAddress: v4B}
	return []filterCase{
		{"ipv4 udp 500", pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), udp(500, 500), ikeHeader), true},
		{"ipv4 udp 4500 to ephemeral", pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), udp(4500, 61234), ikeHeader), true},
		{"ipv4 udp ephemeral to 4500", pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), udp(61234, 4500), ikeHeader), true},
		{"ipv4 udp 500 with options", pkt(t, eth(layers.EthernetTypeIPv4), ipOpts, udp(40000, 500), ikeHeader), true},
		{"ipv4 esp", pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolESP), gopacket.Payload(make([]byte, 40))), true},
		{"ipv4 udp first fragment to 500", pkt(t, eth(layers.EthernetTypeIPv4),
			&layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: v4A, DstIP: v4B, Flags: layers.IPv4MoreFragments},
			udp(500, 500), ikeHeader), true},
		{"ipv4 udp later fragment", frag(layers.IPProtocolUDP, 185, true), true},
		{"ipv4 udp last fragment", frag(layers.IPProtocolUDP, 370, false), true},
		{"ipv4 esp fragment", frag(layers.IPProtocolESP, 185, false), true},
		{"ipv4 tcp fragment", frag(layers.IPProtocolTCP, 185, false), false},
		{"ipv6 udp 500", pkt(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolUDP), udp(500, 500), ikeHeader), true},
		{"ipv6 udp 4500", pkt(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolUDP), udp(33333, 4500), ikeHeader), true},
		{"ipv6 esp", pkt(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolESP), gopacket.Payload(make([]byte, 40))), true},
		{"ipv6 udp fragment", frag6(byte(layers.IPProtocolUDP), 100), true},
		{"ipv6 esp fragment", frag6(byte(layers.IPProtocolESP), 0), true},
		{"ipv6 tcp fragment", frag6(byte(layers.IPProtocolTCP), 100), false},
		{"ipv6 hop-by-hop udp 500", hbh(500, 500), true},
		{"ipv6 hop-by-hop udp 53", hbh(53, 40000), false},
		{"ipv6 dest-opts fragment of udp", destFrag(byte(layers.IPProtocolUDP)), true},
		{"ipv6 dest-opts fragment of tcp", destFrag(byte(layers.IPProtocolTCP)), false},
		{"vlan ipv4 udp 500", pkt(t, eth(layers.EthernetTypeDot1Q), dot1q(layers.EthernetTypeIPv4, 100), ip4(layers.IPProtocolUDP), udp(500, 500), ikeHeader), true},
		{"vlan ipv6 esp", pkt(t, eth(layers.EthernetTypeDot1Q), dot1q(layers.EthernetTypeIPv6, 100), ip6(layers.IPProtocolESP), gopacket.Payload(make([]byte, 40))), true},
		{"qinq ipv4 udp 4500", pkt(t, eth(layers.EthernetTypeQinQ), dot1q(layers.EthernetTypeDot1Q, 10), dot1q(layers.EthernetTypeIPv4, 20),
			ip4(layers.IPProtocolUDP), udp(4500, 4500), ikeHeader), true},
		{"vlan ipv4 dns", pkt(t, eth(layers.EthernetTypeDot1Q), dot1q(layers.EthernetTypeIPv4, 100), ip4(layers.IPProtocolUDP), udp(40000, 53), ikeHeader), false},
		{"ipv4 dns", pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), udp(40000, 53), ikeHeader), false},
		{"ipv4 udp 501", pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), udp(501, 499), ikeHeader), false},
		{"ipv4 tcp 500", pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP),
			&layers.TCP{SrcPort: 500, DstPort: 500, DataOffset: 5, Window: 1}), false},
		{"ipv4 tcp 4500", pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP),
			&layers.TCP{SrcPort: 40000, DstPort: 4500, DataOffset: 5, Window: 1}), false},
		{"ipv4 icmp", pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)}, gopacket.Payload(make([]byte, 56))), false},
		{"ipv4 ah", pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolAH), gopacket.Payload(make([]byte, 40))), false},
		{"ipv6 udp 53", pkt(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolUDP), udp(53, 40000), ikeHeader), false},
		{"ipv6 icmp", pkt(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolICMPv6), gopacket.Payload(make([]byte, 40))), false},
		{"arp", pkt(t, eth(layers.EthernetTypeARP), arp), false},
		{"lldp-ish", pkt(t, eth(0x88cc), gopacket.Payload(make([]byte, 46))), false},
		{"short", []byte{1, 2, 3}, false},
	}
}

func TestBuiltinFilterEthernet(t *testing.T) {
	prog, err := BuiltinFilter(LinkEthernet, 65535, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := vm(t, prog)
	for _, c := range filterCases(t) {
		n := run(c.data)
		if got := n > 0; got != c.want {
			t.Errorf("%s: filter kept %d bytes, want pass=%v\n%s", c.name, n, c.want, gopacket.NewPacket(c.data, layers.LayerTypeEthernet, gopacket.Default))
		}
		if n != 0 && n != 65535 {
			t.Errorf("%s: kept %d bytes, want the snaplen 65535", c.name, n)
		}
	}
}

func TestBuiltinFilterRaw(t *testing.T) {
	prog, err := BuiltinFilter(LinkRaw, 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := vm(t, prog)
	for _, c := range filterCases(t) {
		if len(c.data) < 14 || binary.BigEndian.Uint16(c.data[12:14]) == uint16(layers.EthernetTypeDot1Q) ||
			binary.BigEndian.Uint16(c.data[12:14]) == uint16(layers.EthernetTypeQinQ) {
			continue // no VLAN tags without a MAC header
		}
		raw := c.data[14:]
		want := c.want
		if c.name == "arp" || c.name == "lldp-ish" {
			want = false
		}
		if n := run(raw); (n > 0) != want || (n != 0 && n != 1000) {
			t.Errorf("%s (raw IP): filter kept %d bytes, want pass=%v", c.name, n, want)
		}
	}
}

func TestBuiltinFilterSample(t *testing.T) {
	prog, err := BuiltinFilter(LinkEthernet, DefaultSnaplen, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := vm(t, prog)
	s, err := OpenFile(samplePcap)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	for {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if run(p.Data) == 0 {
			t.Errorf("frame %d of the sample (IKE or ESP) dropped by the filter", p.Frame)
		}
	}
	if n != 27 {
		t.Errorf("read %d frames of the sample, want 27", n)
	}
}

func TestBuiltinFilterExtraPorts(t *testing.T) {
	p7000 := pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), udp(40000, 7000), ikeHeader)
	p7000v6 := pkt(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolUDP), udp(7000, 40000), ikeHeader)
	plain, err := BuiltinFilter(LinkEthernet, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if vm(t, plain)(p7000) != 0 {
		t.Error("UDP 7000 passes without being asked for")
	}
	extra, err := BuiltinFilter(LinkEthernet, 100, []uint16{7000, 500})
	if err != nil {
		t.Fatal(err)
	}
	run := vm(t, extra)
	if run(p7000) == 0 || run(p7000v6) == 0 {
		t.Error("UDP 7000 dropped although given as an extra port")
	}
	var many []uint16
	for i := 0; i < MaxExtraPorts; i++ {
		many = append(many, uint16(10000+i))
	}
	if _, err := BuiltinFilter(LinkEthernet, 100, many); err != nil {
		t.Errorf("%d extra ports: %v", len(many), err)
	}
	if _, err := BuiltinFilter(LinkEthernet, 100, append(many, 1)); err == nil {
		t.Errorf("%d extra ports accepted", len(many)+1)
	}
	if _, err := BuiltinFilter(276, 100, nil); err == nil {
		t.Error("a filter for link type 276")
	}
}

// tcpdumpUDP500 is `tcpdump -ddd -r sample.pcap 'udp port 500'` (libpcap 1.10).
const tcpdumpUDP500 = `20
40 0 0 12
21 0 6 34525
48 0 0 20
21 0 15 17
40 0 0 54
21 12 0 500
40 0 0 56
21 10 11 500
21 0 10 2048
48 0 0 23
21 0 8 17
40 0 0 20
69 6 0 8191
177 0 0 14
72 0 0 14
21 2 0 500
72 0 0 16
21 0 1 500
6 0 0 65535
6 0 0 0
`

func TestParseRawFilter(t *testing.T) {
	prog, err := ParseRawFilter(tcpdumpUDP500)
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) != 20 || prog[0] != (bpf.RawInstruction{Op: 40, K: 12}) {
		t.Fatalf("parsed %v", prog)
	}
	if FormatRawFilter(prog) != tcpdumpUDP500 {
		t.Errorf("FormatRawFilter does not give the input back:\n%s", FormatRawFilter(prog))
	}
	// The comma form (iptables/tc) parses the same.
	comma, err := ParseRawFilter(strings.ReplaceAll(strings.TrimSpace(tcpdumpUDP500), "\n", ","))
	if err != nil || len(comma) != 20 {
		t.Fatalf("comma form: %v %v", comma, err)
	}
	run := vm(t, prog)
	if run(pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), udp(500, 500), ikeHeader)) == 0 {
		t.Error("tcpdump's udp port 500 program drops UDP 500")
	}
	if run(pkt(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolESP), gopacket.Payload(make([]byte, 40)))) != 0 {
		t.Error("tcpdump's udp port 500 program passes ESP")
	}
	// Our own program survives the round trip.
	own, _ := BuiltinFilter(LinkEthernet, 1500, nil)
	back, err := ParseRawFilter(FormatRawFilter(own))
	if err != nil || len(back) != len(own) {
		t.Fatalf("round trip: %v", err)
	}
	for i := range own {
		if own[i] != back[i] {
			t.Fatalf("instruction %d: %v != %v", i, own[i], back[i])
		}
	}
	for _, bad := range []string{"", "x", "2\n6 0 0 1", "1\n6 0 0", "1\n6 0 0 99999999999", "1\n40 0 0 12", "1\n6 0 256 0", "0\n", "-1\n6 0 0 0"} {
		if p, err := ParseRawFilter(bad); err == nil {
			t.Errorf("ParseRawFilter(%q) = %v, want an error", bad, p)
		}
	}
}

// TestFilterExpressionMatchesBuiltin compiles the libpcap equivalent of the
// built-in filter with tcpdump, when it is installed, and checks that both
// programs agree on every test packet.
func TestFilterExpressionMatchesBuiltin(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed")
	}
	if _, err := os.Stat(samplePcap); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tcpdump, "-ddd", "-r", samplePcap, FilterExpression(nil)).Output()
	if err != nil {
		t.Skipf("tcpdump -ddd: %v", err)
	}
	theirs, err := ParseRawFilter(string(out))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := BuiltinFilter(LinkEthernet, 65535, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := vm(t, ours), vm(t, theirs)
	for _, c := range filterCases(t) {
		if strings.Contains(c.name, "hop-by-hop udp 500") || strings.Contains(c.name, "dest-opts") || strings.Contains(c.name, "ipv6 tcp fragment") {
			continue // libpcap's "udp port" and "ip6 proto" do not walk extension headers
		}
		if (a(c.data) > 0) != (b(c.data) > 0) {
			t.Errorf("%s: built-in %d, libpcap %d", c.name, a(c.data), b(c.data))
		}
	}
}
