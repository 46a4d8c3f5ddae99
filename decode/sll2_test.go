package decode_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/decode"
)

// sll2IKEFrame builds a LINKTYPE_LINUX_SLL2 frame carrying IPv4/UDP 500 with
// a minimal IKEv2 message (a bare 28-byte header).
func sll2IKEFrame() []byte {
	be := binary.BigEndian

	ike := make([]byte, 28)
	copy(ike[0:8], []byte{1, 2, 3, 4, 5, 6, 7, 8}) // initiator SPI; responder SPI zero
	ike[16] = 0                                    // next payload: none
	ike[17] = 0x20                                 // version 2.0
	ike[18] = 34                                   // IKE_SA_INIT
	ike[19] = 0x08                                 // initiator
	be.PutUint32(ike[24:], 28)                     // length

	udp := make([]byte, 8, 8+len(ike))
	be.PutUint16(udp[0:], 500)
	be.PutUint16(udp[2:], 500)
	be.PutUint16(udp[4:], uint16(8+len(ike)))
	udp = append(udp, ike...) // checksum 0: none (IPv4)

	ip := make([]byte, 20, 20+len(udp))
	ip[0] = 0x45
	be.PutUint16(ip[2:], uint16(20+len(udp)))
	ip[8] = 64 // TTL
	ip[9] = 17 // UDP
	copy(ip[12:16], []byte{192, 0, 2, 1})
	copy(ip[16:20], []byte{198, 51, 100, 2})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(be.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	be.PutUint16(ip[10:], ^uint16(sum))
	ip = append(ip, udp...)

	sll2 := make([]byte, 20, 20+len(ip))
	be.PutUint16(sll2[0:], 0x0800) // protocol: IPv4; 2 reserved bytes follow
	be.PutUint32(sll2[4:], 3)      // interface index
	be.PutUint16(sll2[8:], 1)      // ARPHRD_ETHER
	sll2[10] = 0                   // packet type: to us
	sll2[11] = 6                   // address length
	copy(sll2[12:20], []byte{0x02, 0, 0, 0, 0, 1, 0, 0})
	return append(sll2, ip...)
}

func checkSLL2IKE(t *testing.T, f *decode.Frame) {
	t.Helper()
	if f.Kind != decode.KindIKE {
		t.Fatalf("kind %v (err %v), want ike", f.Kind, f.Err)
	}
	if f.IKE == nil || f.IKEErr != nil {
		t.Fatalf("IKE %v, IKEErr %v", f.IKE, f.IKEErr)
	}
	wantSrc := netip.MustParseAddrPort("192.0.2.1:500")
	wantDst := netip.MustParseAddrPort("198.51.100.2:500")
	if f.Src != wantSrc || f.Dst != wantDst || f.Proto != 17 || f.NATT || f.IKELen != 28 {
		t.Errorf("src %v dst %v proto %d natt %v ike length %d", f.Src, f.Dst, f.Proto, f.NATT, f.IKELen)
	}
}

func TestSLL2(t *testing.T) {
	data := sll2IKEFrame()
	d := decode.NewDecoder()
	checkSLL2IKE(t, d.Decode(decode.LinkLinuxSLL2, data, time.Time{}, 1))

	// The number gopacket's 8-bit LinkType would give (276 cut to 20) is
	// not SLL2.
	if f := d.Decode(decode.LinkLinuxSLL2&0xff, data, time.Time{}, 2); f.Kind == decode.KindIKE {
		t.Errorf("link type %d decoded as IKE", decode.LinkLinuxSLL2&0xff)
	}

	// A truncated SLL2 header is malformed, not a panic.
	if f := d.Decode(decode.LinkLinuxSLL2, data[:19], time.Time{}, 3); f.Kind != decode.KindMalformed {
		t.Errorf("short SLL2 header: kind %v", f.Kind)
	}
}

// TestSLL2FromCapture reads the frame back from a pcap whose header says
// LINKTYPE_LINUX_SLL2 and decodes it with the link type capture reports.
func TestSLL2FromCapture(t *testing.T) {
	data := sll2IKEFrame()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}, data); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.LittleEndian.PutUint32(b[20:24], decode.LinkLinuxSLL2)

	src, err := capture.OpenReader("sll2.pcap", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	p, err := src.Next()
	if err != nil {
		t.Fatal(err)
	}
	if p.Link != decode.LinkLinuxSLL2 {
		t.Fatalf("Link %d, want %d", p.Link, decode.LinkLinuxSLL2)
	}
	checkSLL2IKE(t, decode.NewDecoder().Decode(p.Link, p.Data, p.Time, p.Frame))
	if _, err := src.Next(); err != io.EOF {
		t.Errorf("second Next: %v", err)
	}
}
