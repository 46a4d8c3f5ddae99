package decode_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/decode"
	"github.com/ikescope/ikescope/internal/synth"
)

// benchPackets is the size of the synthetic capture the benchmarks decode:
// about 660 MB with the default mix (1.5% IKE, 45% ESP, the rest
// keepalives and background traffic).
const benchPackets = 1_000_000

// benchFrame is one packet held in memory.
type benchFrame struct {
	link uint32
	data []byte
	ts   time.Time
}

// benchCapture is generated once per test binary run. The file is written
// to os.TempDir under a fixed name (so repeated runs overwrite it rather
// than pile up) and always rewritten, so it matches the current generator.
var benchCapture struct {
	once     sync.Once
	path     string
	err      error
	loadOnce sync.Once
	frames   []benchFrame
	bytes    int64
}

func benchCapturePath(b *testing.B) string {
	c := &benchCapture
	c.once.Do(func() {
		c.path = filepath.Join(os.TempDir(), "ikescope-bench-synth-"+strconv.Itoa(benchPackets)+".pcap")
		tmp := c.path + ".tmp" + strconv.Itoa(os.Getpid())
		f, err := os.Create(tmp)
		if err != nil {
			c.err = err
			return
		}
		_, err = synth.Write(f, synth.Options{Packets: benchPackets, Seed: 1})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, c.path)
		}
		if err != nil {
			os.Remove(tmp)
		}
		c.err = err
	})
	if c.err != nil {
		b.Fatal(c.err)
	}
	return c.path
}

// benchFrames reads the capture into memory once: all packet bytes in one
// buffer, each frame a capacity-capped slice of it.
func benchFrames(b *testing.B) ([]benchFrame, int64) {
	path := benchCapturePath(b)
	c := &benchCapture
	c.loadOnce.Do(func() {
		fi, err := os.Stat(path)
		if err != nil {
			c.err = err
			return
		}
		src, err := capture.OpenFile(path)
		if err != nil {
			c.err = err
			return
		}
		defer src.Close()
		arena := make([]byte, 0, fi.Size())
		frames := make([]benchFrame, 0, benchPackets)
		for {
			p, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				c.err = err
				return
			}
			start := len(arena)
			arena = append(arena, p.Data...)
			end := len(arena)
			frames = append(frames, benchFrame{link: uint32(p.LinkType), data: arena[start:end:end], ts: p.Time})
			c.bytes += int64(len(p.Data))
		}
		c.frames = frames
	})
	if c.err != nil {
		b.Fatal(c.err)
	}
	return c.frames, c.bytes
}

// BenchmarkDecode decodes the whole synthetic capture, held in memory, with
// one Decoder per operation set (one op = all frames).
func BenchmarkDecode(b *testing.B) {
	b.Run("fast", func(b *testing.B) { benchDecode(b, false) })
	b.Run("general", func(b *testing.B) { benchDecode(b, true) })
}

// benchDecode is BenchmarkDecode with the fast path on or off.
func benchDecode(b *testing.B, general bool) {
	frames, n := benchFrames(b)
	d := decode.NewDecoder()
	if general {
		decode.GeneralOnly(d)
	}
	b.ReportAllocs()
	b.SetBytes(n)
	for b.Loop() {
		for i := range frames {
			fr := &frames[i]
			d.Decode(fr.link, fr.data, fr.ts, i+1)
		}
	}
	b.ReportMetric(float64(len(frames))*float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}

// BenchmarkDecodeFile reads the capture with capture.OpenFile and decodes
// every packet: the end-to-end rate of the read and decode stages.
func BenchmarkDecodeFile(b *testing.B) {
	path := benchCapturePath(b)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	d := decode.NewDecoder()
	b.ReportAllocs()
	b.SetBytes(fi.Size())
	var pkts int
	for b.Loop() {
		src, err := capture.OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		for {
			p, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			d.Decode(uint32(p.LinkType), p.Data, p.Time, p.Frame)
			pkts++
		}
		src.Close()
	}
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
}

// allocFrame serializes an Ethernet frame for TestDecodeAllocs.
func allocFrame(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecodeAllocs checks that ESP and non-IKE packets decode without
// allocating (STYLE.md: hot path and allocation).
func TestDecodeAllocs(t *testing.T) {
	mac1 := net.HardwareAddr{0x02, 0, 0xc0, 0, 2, 1}
	mac2 := net.HardwareAddr{0x02, 0, 0xc6, 0x33, 0x64, 1}
	eth := func(et layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: et}
	}
	ip4 := func(p layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: p, SrcIP: net.IP{192, 0, 2, 1}, DstIP: net.IP{198, 51, 100, 1}}
	}
	esp := make([]byte, 8+16+96+12) // SPI, sequence number, IV, ciphertext, ICV
	copy(esp, []byte{0xc1, 0x2a, 0x33, 0x44, 0, 0, 0x01, 0x02})
	for i := 8; i < len(esp); i++ {
		esp[i] = byte(i * 7)
	}
	udp := func(ip gopacket.NetworkLayer, sport, dport layers.UDPPort) *layers.UDP {
		u := &layers.UDP{SrcPort: sport, DstPort: dport}
		u.SetNetworkLayerForChecksum(ip)
		return u
	}
	dns := []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1}

	v4 := ip4(layers.IPProtocolUDP)
	v4nat := ip4(layers.IPProtocolUDP)
	v4ka := ip4(layers.IPProtocolUDP)
	v4tcp := ip4(layers.IPProtocolTCP)
	tcp := &layers.TCP{SrcPort: 44123, DstPort: 445, Seq: 1000, Ack: 2000, ACK: true, PSH: true, Window: 502}
	tcp.SetNetworkLayerForChecksum(v4tcp)
	v6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolESP,
		SrcIP: net.ParseIP("2001:db8:a::1"), DstIP: net.ParseIP("2001:db8:b::1")}

	cases := []struct {
		name string
		data []byte
		kind decode.Kind
	}{
		{"esp-ipv4", allocFrame(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolESP), gopacket.Payload(esp)), decode.KindESP},
		{"esp-udp4500", allocFrame(t, eth(layers.EthernetTypeIPv4), v4nat, udp(v4nat, 61012, 4500), gopacket.Payload(esp)), decode.KindESP},
		{"natt-keepalive", allocFrame(t, eth(layers.EthernetTypeIPv4), v4ka, udp(v4ka, 4500, 4500), gopacket.Payload{0xff}), decode.KindKeepalive},
		{"tcp", allocFrame(t, eth(layers.EthernetTypeIPv4), v4tcp, tcp, gopacket.Payload(esp[:100])), decode.KindOther},
		{"udp-dns", allocFrame(t, eth(layers.EthernetTypeIPv4), v4, udp(v4, 40000, 53), gopacket.Payload(dns)), decode.KindOther},
		{"esp-ipv6", allocFrame(t, eth(layers.EthernetTypeIPv6), v6, gopacket.Payload(esp)), decode.KindESP},
	}
	ts := time.Date(2024, 3, 12, 9, 0, 0, 0, time.UTC)
	// gopacket's general path too: it takes the frames the fast path
	// hands back.
	general := decode.NewDecoder()
	decode.GeneralOnly(general)
	for _, tc := range cases {
		t.Run(tc.name+"/general", func(t *testing.T) {
			general.Decode(decode.LinkEthernet, tc.data, ts, 1) // warm-up
			if allocs := testing.AllocsPerRun(100, func() { general.Decode(decode.LinkEthernet, tc.data, ts, 1) }); allocs != 0 {
				t.Errorf("%s: %v allocations per Decode, want 0", tc.name, allocs)
			}
		})
	}
	d := decode.NewDecoder()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := d.Decode(decode.LinkEthernet, tc.data, ts, 1) // warm-up
			if f.Kind != tc.kind || f.Err != nil {
				t.Fatalf("kind %v err %v, want %v; layers %v", f.Kind, f.Err, tc.kind, f.Layers)
			}
			if tc.kind == decode.KindESP && (f.ESP.SPI != 0xc12a3344 || f.ESP.Seq != 0x0102) {
				t.Errorf("ESP %#v", f.ESP)
			}
			allocs := testing.AllocsPerRun(100, func() {
				d.Decode(decode.LinkEthernet, tc.data, ts, 1)
			})
			if allocs != 0 {
				t.Errorf("%s: %v allocations per Decode, want 0", tc.name, allocs)
			}
		})
	}

	// Every frame of a synthetic mix that is not IKE: ESP from NAT ports,
	// keepalives, TCP with options, ICMP, DNS, NTP, IPv6.
	t.Run("synth-mix", func(t *testing.T) {
		var buf bytes.Buffer
		if _, err := synth.Write(&buf, synth.Options{Packets: 20000, Seed: 5}); err != nil {
			t.Fatal(err)
		}
		src, err := capture.OpenReader("synth", &buf)
		if err != nil {
			t.Fatal(err)
		}
		var frames [][]byte
		for {
			p, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if f := d.Decode(uint32(p.LinkType), p.Data, p.Time, p.Frame); f.Kind != decode.KindIKE {
				frames = append(frames, bytes.Clone(p.Data))
			}
		}
		allocs := testing.AllocsPerRun(1, func() {
			for _, data := range frames {
				d.Decode(decode.LinkEthernet, data, ts, 1)
			}
		})
		if allocs != 0 {
			t.Errorf("%v allocations decoding %d non-IKE frames, want 0", allocs, len(frames))
		}
	})
}
