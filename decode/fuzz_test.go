package decode_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/decode"
)

// Fuzz targets. FuzzParseMessage and FuzzUDP4500 are seeded from every UDP
// payload on ports 500 and 4500, FuzzDecodeFrame from every Ethernet frame
// and every IPv4 packet, of the public captures in ../../shared/pcaps (when
// present) and of the captures in ../testdata. Crashers found by
// `go test -fuzz` land in testdata/fuzz/<Target>/ and are committed.

// captureRoots are the directories searched for captures, relative to the
// package directory.
var captureRoots = []string{filepath.Join("..", "..", "shared", "pcaps"), filepath.Join("..", "testdata")}

// captureFiles lists the capture files (*.pcap, *.pcapng, *.cap) under
// root, recursively and in lexical order. A missing root gives none.
func captureFiles(root string) []string {
	var files []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // absent or unreadable: nothing to seed from
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".pcap", ".pcapng", ".cap":
			files = append(files, path)
		}
		return nil
	})
	return files
}

// capturedFrame is one packet of a capture, copied.
type capturedFrame struct {
	Link  uint32
	Data  []byte
	Time  time.Time
	Frame int
}

// readCapture returns every packet of a capture up to its end or its first
// error (a truncated or damaged file still gives what came before).
func readCapture(path string) ([]capturedFrame, error) {
	src, err := capture.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var out []capturedFrame
	for {
		p, err := src.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			var te *capture.TruncatedError
			if errors.As(err, &te) {
				return out, nil
			}
			return out, err
		}
		out = append(out, capturedFrame{Link: p.Link, Data: bytes.Clone(p.Data), Time: p.Time, Frame: p.Frame})
	}
}

// seedFrames is every packet of every capture under captureRoots.
func seedFrames() []capturedFrame {
	var out []capturedFrame
	for _, root := range captureRoots {
		for _, path := range captureFiles(root) {
			fr, _ := readCapture(path)
			out = append(out, fr...)
		}
	}
	return out
}

// udpPayload returns the UDP ports and payload of a frame, using gopacket's
// own decoders (not the Decoder under test).
func udpPayload(fr capturedFrame) (src, dst uint16, payload []byte, ok bool) {
	if fr.Link > 255 {
		return 0, 0, nil, false // gopacket's LinkType is 8 bits wide
	}
	pkt := gopacket.NewPacket(fr.Data, layers.LinkType(fr.Link), gopacket.Lazy)
	l := pkt.Layer(layers.LayerTypeUDP)
	if l == nil {
		return 0, 0, nil, false
	}
	udp := l.(*layers.UDP)
	return uint16(udp.SrcPort), uint16(udp.DstPort), udp.Payload, true
}

// ikeSeeds returns the UDP/500 payloads and the UDP/4500 payloads of the
// seed captures, without duplicates.
func ikeSeeds() (port500, port4500 [][]byte) {
	seen := map[string]bool{}
	for _, fr := range seedFrames() {
		sp, dp, b, ok := udpPayload(fr)
		if !ok || seen[string(b)] {
			continue
		}
		switch {
		case sp == decode.PortNATT || dp == decode.PortNATT:
			seen[string(b)] = true
			port4500 = append(port4500, bytes.Clone(b))
		case sp == decode.PortIKE || dp == decode.PortIKE:
			seen[string(b)] = true
			port500 = append(port500, bytes.Clone(b))
		}
	}
	return port500, port4500
}

// checkMessage checks what ParseMessage promises for any input b.
func checkMessage(t *testing.T, b []byte, m *decode.Message, err error) {
	t.Helper()
	if err != nil {
		var de *decode.Error
		if !errors.As(err, &de) {
			t.Fatalf("error %v (%#v) is not a *decode.Error", err, err)
		}
		if de.Offset < 0 || de.Offset > len(b) {
			t.Fatalf("error %q: offset %d outside the %d-byte input", de, de.Offset, len(b))
		}
		if de.Err == nil {
			t.Fatalf("error %#v wraps no sentinel", de)
		}
	}
	if m == nil {
		if err == nil {
			t.Fatalf("nil message without an error for %d bytes", len(b))
		}
		if len(b) >= decode.HeaderLen {
			t.Fatalf("nil message for %d bytes (a header was there): %v", len(b), err)
		}
		return
	}
	if len(b) < decode.HeaderLen {
		t.Fatalf("message from %d bytes, shorter than the header", len(b))
	}
	// Offsets only move forward: each payload starts at or after the end
	// of the one before, and ends within the input.
	end := decode.HeaderLen
	for i, p := range m.Payloads {
		if p.Offset < end {
			t.Fatalf("payload %d (%s) at offset %d, before %d: %#v", i, p.Name(m.Major), p.Offset, end, p)
		}
		if p.Length < 4 || p.Offset+p.Length > len(b) {
			t.Fatalf("payload %d (%s) offset %d length %d outside the %d-byte input", i, p.Name(m.Major), p.Offset, p.Length, len(b))
		}
		end = p.Offset + p.Length
	}
	for _, a := range m.Anomalies {
		var de *decode.Error
		if !errors.As(a, &de) || de.Offset < 0 || de.Offset > len(b) {
			t.Fatalf("anomaly %v (%#v) is not a positioned *decode.Error within %d bytes", a, a, len(b))
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	p500, p4500 := ikeSeeds()
	for _, b := range p500 {
		f.Add(b)
	}
	for _, b := range p4500 {
		if k, rest := decode.DemuxNATT(b); k == decode.NATTIKE {
			f.Add(rest)
		}
	}
	f.Add([]byte{})
	f.Add(make([]byte, decode.HeaderLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decode.ParseMessage(b)
		checkMessage(t, b, m, err)
		// The Message keeps nothing of its input: parse a copy, overwrite
		// the copy, and the result must still equal the first one.
		c := bytes.Clone(b)
		m2, err2 := decode.ParseMessage(c)
		for i := range c {
			c[i] ^= 0xff
		}
		if !reflect.DeepEqual(m, m2) || !reflect.DeepEqual(err, err2) {
			t.Fatalf("message changed with its input buffer:\n%#v\n%#v", m, m2)
		}
	})
}

func FuzzUDP4500(f *testing.F) {
	p500, p4500 := ikeSeeds()
	for _, b := range p4500 {
		f.Add(b)
	}
	for _, b := range p500 {
		f.Add(append([]byte{0, 0, 0, 0}, b...))
	}
	for _, b := range [][]byte{{}, {0xff}, {0xff, 0xff}, {0, 0, 0, 0}, {0, 0, 0}, make([]byte, 8), {0, 0, 0, 1, 0, 0, 0, 1}} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, rest := decode.DemuxNATT(b)
		// RFC 3948 §2: the kinds, decided by the spec and not the decoder.
		want := decode.NATTInvalid
		switch {
		case len(b) == 1 && b[0] == 0xff:
			want = decode.NATTKeepalive
		case len(b) >= 4 && binary.BigEndian.Uint32(b) == 0:
			want = decode.NATTIKE
		case len(b) >= 8:
			want = decode.NATTESP
		}
		if k != want {
			t.Fatalf("DemuxNATT(% x) = %s, want %s", b, k, want)
		}
		switch k {
		case decode.NATTIKE:
			if !bytes.Equal(rest, b[4:]) {
				t.Fatalf("NATTIKE rest is not the bytes after the marker")
			}
			m, err := decode.ParseMessage(rest)
			checkMessage(t, rest, m, err)
		case decode.NATTESP:
			if !bytes.Equal(rest, b) {
				t.Fatalf("NATTESP rest is not the whole datagram")
			}
			h, err := decode.ParseESP(rest)
			if err != nil {
				t.Fatalf("ParseESP(%d bytes): %v", len(rest), err)
			}
			if h.SPI == 0 || h.SPI != binary.BigEndian.Uint32(b) || h.Seq != binary.BigEndian.Uint32(b[4:]) || h.Len != len(b) {
				t.Fatalf("ParseESP(% x) = %#v", b, h)
			}
		default:
			if rest != nil {
				t.Fatalf("%s with %d bytes of rest", k, len(rest))
			}
		}
	})
}

// ipv4UDP builds an IPv4 packet carrying a UDP datagram, for seeds.
func ipv4UDP(id uint16, fragOff uint16, more bool, sport, dport uint16, payload []byte, withUDP bool) []byte {
	var body []byte
	if withUDP {
		body = binary.BigEndian.AppendUint16(body, sport)
		body = binary.BigEndian.AppendUint16(body, dport)
		body = binary.BigEndian.AppendUint16(body, uint16(8+len(payload)))
		body = append(body, 0, 0)
	}
	body = append(body, payload...)
	h := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7}
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(body)))
	binary.BigEndian.PutUint16(h[4:], id)
	fl := fragOff / 8
	if more {
		fl |= 0x2000
	}
	binary.BigEndian.PutUint16(h[6:], fl)
	return append(h, body...)
}

// ethernet puts an Ethernet II header (IPv4) in front of p.
func ethernet(p []byte) []byte {
	h := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}
	return append(h, p...)
}

func FuzzDecodeFrame(f *testing.F) {
	seen := map[string]bool{}
	add := func(b []byte) {
		if !seen[string(b)] {
			seen[string(b)] = true
			f.Add(b)
		}
	}
	for _, fr := range seedFrames() {
		if fr.Link == decode.LinkEthernet {
			add(fr.Data)
		}
		if fr.Link <= 255 {
			// The same packet from its IP header on, for the raw IPv4 path.
			pkt := gopacket.NewPacket(fr.Data, layers.LinkType(fr.Link), gopacket.Lazy)
			if nl := pkt.NetworkLayer(); nl != nil && nl.LayerType() == layers.LayerTypeIPv4 {
				n := len(nl.LayerContents()) + len(nl.LayerPayload())
				if n <= len(fr.Data) {
					add(fr.Data[len(fr.Data)-n:])
				}
			}
		}
	}
	ike := append(make([]byte, 16), 0, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28)
	add(ethernet(ipv4UDP(1, 0, false, 500, 500, ike, true)))
	add(ipv4UDP(1, 0, false, 4500, 4500, append([]byte{0, 0, 0, 0}, ike...), true))
	add(ipv4UDP(1, 0, false, 4500, 4500, []byte{0xff}, true))
	add(ipv4UDP(2, 0, true, 500, 500, ike[:16], true))
	add(ipv4UDP(2, 24, false, 0, 0, ike[16:], false))
	// A Linux SLL header whose address length wraps gopacket's slicing
	// (it panicked before the bounded linuxSLL layer).
	add(append([]byte{0, 0, 0, 1, 0xff, 0xff}, make([]byte, 10)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts := time.Unix(1700000000, 0)
		d := decode.NewDecoder()
		// Every link type the Decoder knows (and one it does not); the
		// second IPv4 pass sees the same fragment again.
		for i, link := range []uint32{decode.LinkEthernet, decode.LinkIPv4, decode.LinkRaw, decode.LinkIPv4,
			decode.LinkNull, decode.LinkLoop, decode.LinkLinuxSLL, decode.LinkLinuxSLL2, decode.LinkPPP,
			decode.LinkPPPHDLC, decode.LinkIPv6, decode.LinkRawOpenBSD, 147} {
			fr := d.Decode(link, b, ts.Add(time.Duration(i)*time.Second), i+1)
			checkFrame(t, fr)
		}
		// The input as a run of IPv4 packets, each preceded by a 2-byte
		// length, into one Decoder: fragments of one datagram can meet.
		d = decode.NewDecoder()
		for i, rest := 0, b; len(rest) >= 2 && i < 16; i++ {
			n := int(binary.BigEndian.Uint16(rest))
			rest = rest[2:]
			if n > len(rest) {
				n = len(rest)
			}
			fr := d.Decode(decode.LinkIPv4, rest[:n:n], ts.Add(time.Duration(i)*time.Second), i+1)
			checkFrame(t, fr)
			rest = rest[n:]
		}
		d.Pending()
		d.Expire(ts.Add(time.Hour))
	})
}

// checkFrame checks the invariants of a decoded frame.
func checkFrame(t *testing.T, fr *decode.Frame) {
	t.Helper()
	if fr.Kind > decode.KindMalformed {
		t.Fatalf("kind %d out of range", fr.Kind)
	}
	if fr.Kind == decode.KindIKE && fr.IKE == nil && fr.IKEErr == nil {
		t.Fatalf("IKE frame with neither a message nor an error")
	}
	if fr.IKE != nil {
		if fr.Kind != decode.KindIKE {
			t.Fatalf("IKE message in a %s frame", fr.Kind)
		}
		for i, p := range fr.IKE.Payloads {
			if p.Offset < decode.HeaderLen || p.Offset+p.Length > fr.IKELen {
				t.Fatalf("payload %d offset %d length %d outside the %d-byte message", i, p.Offset, p.Length, fr.IKELen)
			}
		}
	}
	if fr.Kind == decode.KindESP && fr.ESP.Len < 8 {
		t.Fatalf("ESP frame with %d bytes", fr.ESP.Len)
	}
}

// Keep the seed helpers honest: a present capture directory yields seeds.
func TestFuzzSeeds(t *testing.T) {
	if _, err := os.Stat(captureRoots[0]); err != nil {
		t.Skip("public captures not present")
	}
	p500, p4500 := ikeSeeds()
	if len(p500) == 0 || len(p4500) == 0 {
		t.Errorf("seeds: %d from UDP/500, %d from UDP/4500; want some of each", len(p500), len(p4500))
	}
}
