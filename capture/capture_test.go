package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

type tpkt struct {
	t    time.Time
	data []byte
	orig int // original length; 0 means len(data)
	ifc  int
}

func mkData(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

func ci(p tpkt) gopacket.CaptureInfo {
	orig := p.orig
	if orig == 0 {
		orig = len(p.data)
	}
	return gopacket.CaptureInfo{Timestamp: p.t, CaptureLength: len(p.data), Length: orig, InterfaceIndex: p.ifc}
}

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func samplePkts(n int) []tpkt {
	ps := make([]tpkt, n)
	for i := range ps {
		ps[i] = tpkt{t: t0.Add(time.Duration(i) * 1500 * time.Microsecond), data: mkData(40+i*7%200, byte(i))}
	}
	return ps
}

// buildPcap writes a little-endian pcap with pcapgo and returns it with the
// offset at which each record starts.
func buildPcap(t testing.TB, nanos bool, lt layers.LinkType, ps []tpkt) ([]byte, []int64) {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if nanos {
		w = pcapgo.NewWriterNanos(&buf)
	}
	if err := w.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for _, p := range ps {
		offs = append(offs, int64(buf.Len()))
		if err := w.WritePacket(ci(p), p.data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes(), offs
}

// buildPcapBE writes a big-endian microsecond pcap by hand.
func buildPcapBE(lt layers.LinkType, ps []tpkt) []byte {
	be := binary.BigEndian
	b := be.AppendUint32(nil, magicPcapMicroBE)
	b = be.AppendUint16(b, 2)
	b = be.AppendUint16(b, 4)
	b = be.AppendUint32(b, 0)
	b = be.AppendUint32(b, 0)
	b = be.AppendUint32(b, 65535)
	b = be.AppendUint32(b, uint32(lt))
	for _, p := range ps {
		c := ci(p)
		b = be.AppendUint32(b, uint32(p.t.Unix()))
		b = be.AppendUint32(b, uint32(p.t.Nanosecond()/1000))
		b = be.AppendUint32(b, uint32(c.CaptureLength))
		b = be.AppendUint32(b, uint32(c.Length))
		b = append(b, p.data...)
	}
	return b
}

// buildPcapng writes a pcapng with pcapgo: interface 0 Ethernet, interface 1
// raw IP. It returns the offset at which each packet's block starts.
func buildPcapng(t testing.TB, ps []tpkt) ([]byte, []int64) {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := w.AddInterface(pcapgo.NgInterface{Name: "tun0", LinkType: layers.LinkTypeRaw, SnapLength: 1500}); err != nil || id != 1 {
		t.Fatal(id, err)
	}
	var offs []int64
	for _, p := range ps {
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		offs = append(offs, int64(buf.Len()))
		if err := w.WritePacket(ci(p), p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), offs
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll reads s to the end and returns copies of the packets and the
// final non-EOF error, if any.
func readAll(t testing.TB, s Source) ([]Packet, error) {
	t.Helper()
	var out []Packet
	for {
		p, err := s.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			if p2, err2 := s.Next(); p2 != nil || err2 != io.EOF {
				t.Errorf("Next after error %v = %v, %v; want nil, io.EOF", err, p2, err2)
			}
			return out, err
		}
		if p.CapLen != len(p.Data) {
			t.Errorf("frame %d: CapLen %d != len(Data) %d", p.Frame, p.CapLen, len(p.Data))
		}
		c := *p
		c.Data = bytes.Clone(p.Data)
		out = append(out, c)
	}
}

func mustOpen(t testing.TB, name string, b []byte) Source {
	t.Helper()
	s, err := OpenReader(name, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("OpenReader(%s): %v", name, err)
	}
	return s
}

func checkPkts(t *testing.T, got []Packet, want []tpkt, lt func(int) layers.LinkType, res time.Duration) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d packets, want %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		if g.Frame != i+1 {
			t.Errorf("packet %d: Frame %d", i, g.Frame)
		}
		if !g.Time.Equal(w.t.Truncate(res)) {
			t.Errorf("frame %d: time %v, want %v", g.Frame, g.Time, w.t.Truncate(res))
		}
		if !bytes.Equal(g.Data, w.data) {
			t.Errorf("frame %d: data differs", g.Frame)
		}
		orig := w.orig
		if orig == 0 {
			orig = len(w.data)
		}
		if g.Length != orig || g.CapLen != len(w.data) {
			t.Errorf("frame %d: lengths %d/%d, want %d/%d", g.Frame, g.CapLen, g.Length, len(w.data), orig)
		}
		if g.LinkType != lt(i) || g.Link != uint32(lt(i)) {
			t.Errorf("frame %d: link type %v/%d, want %v", g.Frame, g.LinkType, g.Link, lt(i))
		}
		if g.Interface != w.ifc {
			t.Errorf("frame %d: interface %d, want %d", g.Frame, g.Interface, w.ifc)
		}
	}
}

func constLT(lt layers.LinkType) func(int) layers.LinkType {
	return func(int) layers.LinkType { return lt }
}

func TestPcapMicroLE(t *testing.T) {
	ps := samplePkts(20)
	ps[3].t = ps[3].t.Add(789 * time.Nanosecond) // below µs resolution
	b, _ := buildPcap(t, false, layers.LinkTypeEthernet, ps)
	s := mustOpen(t, "le.pcap", b)
	defer s.Close()
	got, err := readAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	checkPkts(t, got, ps, constLT(layers.LinkTypeEthernet), time.Microsecond)
	st := Stats(s)
	if len(st) != 1 || st[0].File != "le.pcap" || st[0].Packets != 20 || st[0].Format != "pcap" || st[0].Compressed ||
		!st[0].First.Equal(ps[0].t) || !st[0].Last.Equal(ps[19].t) ||
		len(st[0].LinkTypes) != 1 || st[0].LinkTypes[0] != uint32(layers.LinkTypeEthernet) || len(st[0].Warnings) != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestPcapNanos(t *testing.T) {
	ps := samplePkts(5)
	for i := range ps {
		ps[i].t = ps[i].t.Add(time.Duration(i*111+1) * time.Nanosecond)
	}
	b, _ := buildPcap(t, true, layers.LinkTypeRaw, ps)
	if binary.LittleEndian.Uint32(b) != magicPcapNanoBE {
		t.Fatalf("not a nanosecond pcap: % x", b[:4])
	}
	got, err := readAll(t, mustOpen(t, "ns.pcap", b))
	if err != nil {
		t.Fatal(err)
	}
	checkPkts(t, got, ps, constLT(layers.LinkTypeRaw), time.Nanosecond)
}

func TestPcapBigEndian(t *testing.T) {
	ps := samplePkts(4)
	ps[2].orig = 1400 // snapped packet
	got, err := readAll(t, mustOpen(t, "be.pcap", buildPcapBE(layers.LinkTypeNull, ps)))
	if err != nil {
		t.Fatal(err)
	}
	checkPkts(t, got, ps, constLT(layers.LinkTypeNull), time.Microsecond)
}

func TestPcapng(t *testing.T) {
	ps := samplePkts(9)
	for i := range ps {
		ps[i].ifc = i % 3 % 2 // 0 1 0 0 1 0 ...
		ps[i].t = ps[i].t.Add(time.Duration(i) * time.Nanosecond)
	}
	b, _ := buildPcapng(t, ps)
	s := mustOpen(t, "x.pcapng", b)
	got, err := readAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	checkPkts(t, got, ps, func(i int) layers.LinkType {
		if ps[i].ifc == 1 {
			return layers.LinkTypeRaw
		}
		return layers.LinkTypeEthernet
	}, time.Nanosecond)
	st := Stats(s)[0]
	if st.Format != "pcapng" || st.Packets != 9 || len(st.LinkTypes) != 2 ||
		st.LinkTypes[0] != uint32(layers.LinkTypeEthernet) || st.LinkTypes[1] != uint32(layers.LinkTypeRaw) {
		t.Errorf("stats %+v", st)
	}
}

func TestGzip(t *testing.T) {
	ps := samplePkts(30)
	pc, _ := buildPcap(t, false, layers.LinkTypeEthernet, ps)
	ng, _ := buildPcapng(t, ps)
	for name, b := range map[string][]byte{"pcap": pc, "pcapng": ng} {
		t.Run(name, func(t *testing.T) {
			// A misleading file name must not matter.
			s := mustOpen(t, "capture.txt", gz(t, b))
			got, err := readAll(t, s)
			if err != nil {
				t.Fatal(err)
			}
			checkPkts(t, got, ps, constLT(layers.LinkTypeEthernet), time.Microsecond)
			if st := Stats(s)[0]; !st.Compressed || st.Format != name {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestGzipTruncated(t *testing.T) {
	b, _ := buildPcap(t, false, layers.LinkTypeEthernet, samplePkts(200))
	z := gz(t, b)
	got, err := readAll(t, mustOpen(t, "cut.pcap.gz", z[:len(z)/2]))
	var te *TruncatedError
	if !errors.As(err, &te) || te.Frame != len(got)+1 {
		t.Fatalf("after %d packets: %v", len(got), err)
	}
}

func TestTruncated(t *testing.T) {
	ps := samplePkts(5)
	pc, pcOffs := buildPcap(t, false, layers.LinkTypeEthernet, ps)
	ng, ngOffs := buildPcapng(t, ps)
	for _, tc := range []struct {
		name string
		b    []byte
		offs []int64
		cuts []int64 // relative to the start of the third record
	}{
		{"x.pcap", pc, pcOffs, []int64{1, 7, 16, 16 + 5, 16 + int64(len(ps[2].data)) - 1}},
		{"x.pcapng", ng, ngOffs, []int64{1, 4, 8, 20, 28, 28 + 5, ngOffs[3] - ngOffs[2] - 1}},
	} {
		for _, cut := range tc.cuts {
			start := tc.offs[2]
			b := tc.b[:start+cut]
			s := mustOpen(t, tc.name, b)
			got, err := readAll(t, s)
			if len(got) != 2 {
				t.Errorf("%s cut at +%d: got %d packets, want 2", tc.name, cut, len(got))
			}
			var te *TruncatedError
			if !errors.As(err, &te) {
				t.Fatalf("%s cut at +%d: error %v, want *TruncatedError", tc.name, cut, err)
			}
			if te.File != tc.name || te.Offset != start || te.Frame != 3 || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s cut at +%d: %+v", tc.name, cut, te)
			}
			want := tc.name + ": truncated at byte " + strconv.FormatInt(start, 10) + " (in record of frame 3): unexpected EOF"
			if err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			if st := Stats(s)[0]; st.Packets != 2 {
				t.Errorf("stats %+v", st)
			}
		}
		// A cut exactly between records is a clean end.
		got, err := readAll(t, mustOpen(t, tc.name, tc.b[:tc.offs[2]]))
		if err != nil || len(got) != 2 {
			t.Errorf("%s cut between records: %d packets, %v", tc.name, len(got), err)
		}
	}
	// A cut file header.
	_, err := OpenReader("h.pcap", bytes.NewReader(pc[:10]))
	var te *TruncatedError
	if !errors.As(err, &te) || te.Frame != 0 || te.Offset != 0 || err.Error() != "h.pcap: truncated at byte 0 (in file header): unexpected EOF" {
		t.Errorf("cut pcap header: %v", err)
	}
	_, err = OpenReader("h.pcapng", bytes.NewReader(ng[:20]))
	if !errors.As(err, &te) || te.Offset != 0 {
		t.Errorf("cut pcapng header: %v", err)
	}
}

func TestNotCapture(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		want string
	}{
		{nil, "f: not a pcap or pcapng file (empty file)"},
		{[]byte("hi"), "f: not a pcap or pcapng file (only 2 bytes)"},
		{[]byte("hello world\n"), "f: not a pcap or pcapng file (magic 0x68656c6c)"},
		{gz(t, []byte("hello world\n")), "f: not a pcap or pcapng file (gzip-compressed, magic 0x68656c6c)"},
		{gz(t, nil), "f: not a pcap or pcapng file (gzip-compressed, empty file)"},
	} {
		s, err := OpenReader("f", bytes.NewReader(tc.b))
		if s != nil || err == nil || !errors.Is(err, ErrNotCapture) || err.Error() != tc.want {
			t.Errorf("got %v, %v; want %q", s, err, tc.want)
		}
	}
	// OpenFile names the file too, and does not care about its name.
	name := filepath.Join(t.TempDir(), "notes.pcap")
	if err := os.WriteFile(name, []byte("# some text"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(name); !errors.Is(err, ErrNotCapture) || !strings.HasPrefix(err.Error(), name+": ") {
		t.Errorf("OpenFile: %v", err)
	}
}

func TestAbsurdCaplen(t *testing.T) {
	ps := samplePkts(3)
	b, offs := buildPcap(t, false, layers.LinkTypeEthernet, ps)
	binary.LittleEndian.PutUint32(b[offs[1]+8:], 0xfffffff0)
	binary.LittleEndian.PutUint32(b[offs[1]+12:], 0xfffffff0)
	got, err := readAll(t, mustOpen(t, "big.pcap", b))
	var re *RecordError
	if len(got) != 1 || !errors.As(err, &re) || re.Frame != 2 || re.Offset != offs[1] || re.File != "big.pcap" {
		t.Fatalf("got %d packets, %v", len(got), err)
	}
	if !strings.HasPrefix(err.Error(), "big.pcap: bad record at byte "+strconv.FormatInt(offs[1], 10)+" (frame 2): ") {
		t.Errorf("error %q", err)
	}

	ng, ngOffs := buildPcapng(t, ps)
	binary.LittleEndian.PutUint32(ng[ngOffs[1]+20:], 0x7ffffff0)
	got, err = readAll(t, mustOpen(t, "big.pcapng", ng))
	if len(got) != 1 || !errors.As(err, &re) || re.Frame != 2 || re.Offset != ngOffs[1] {
		t.Fatalf("pcapng: got %d packets, %v", len(got), err)
	}
	ng, _ = buildPcapng(t, ps)
	binary.LittleEndian.PutUint32(ng[ngOffs[1]+20:], 1000) // beyond its block
	got, err = readAll(t, mustOpen(t, "big.pcapng", ng))
	if len(got) != 1 || !errors.As(err, &re) || re.Frame != 2 || re.Offset != ngOffs[1] {
		t.Fatalf("pcapng: got %d packets, %v", len(got), err)
	}
}

// A pcap record whose captured length exceeds its original length is read
// (pcapgo refuses it) with a warning.
func TestPcapCaplenAboveLength(t *testing.T) {
	ps := samplePkts(3)
	b, offs := buildPcap(t, false, layers.LinkTypeEthernet, ps)
	binary.LittleEndian.PutUint32(b[offs[1]+12:], 10)
	s := mustOpen(t, "x.pcap", b)
	got, err := readAll(t, s)
	if err != nil || len(got) != 3 || !bytes.Equal(got[1].Data, ps[1].data) || got[1].Length != 10 {
		t.Fatalf("%d packets, %v", len(got), err)
	}
	if w := Stats(s)[0].Warnings; len(w) != 1 || !strings.Contains(w[0], "frame 2: captured length") {
		t.Errorf("warnings %q", w)
	}
}

// ngBuilder writes pcapng blocks by hand, in either byte order.
type ngBuilder struct {
	bo  binary.AppendByteOrder
	b   []byte
	off []int64
}

func (n *ngBuilder) block(typ uint32, body []byte) {
	n.off = append(n.off, int64(len(n.b)))
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	l := uint32(12 + len(body))
	n.b = n.bo.AppendUint32(n.b, typ)
	n.b = n.bo.AppendUint32(n.b, l)
	n.b = append(n.b, body...)
	n.b = n.bo.AppendUint32(n.b, l)
}

func (n *ngBuilder) shb() {
	body := n.bo.AppendUint32(nil, ngByteOrderMagic)
	body = n.bo.AppendUint16(body, 1)
	body = n.bo.AppendUint16(body, 0)
	body = n.bo.AppendUint64(body, ^uint64(0))
	n.block(ngSHB, body)
}

func (n *ngBuilder) opt(b []byte, code uint16, val []byte) []byte {
	b = n.bo.AppendUint16(b, code)
	b = n.bo.AppendUint16(b, uint16(len(val)))
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func (n *ngBuilder) idb(lt uint16, snap uint32, opts []byte) {
	body := n.bo.AppendUint16(nil, lt)
	body = n.bo.AppendUint16(body, 0)
	body = n.bo.AppendUint32(body, snap)
	n.block(ngIDB, append(body, opts...))
}

func (n *ngBuilder) epb(ifc uint32, ts uint64, data []byte, orig uint32) {
	body := n.bo.AppendUint32(nil, ifc)
	body = n.bo.AppendUint32(body, uint32(ts>>32))
	body = n.bo.AppendUint32(body, uint32(ts))
	body = n.bo.AppendUint32(body, uint32(len(data)))
	body = n.bo.AppendUint32(body, orig)
	n.block(ngEPB, append(body, data...))
}

func TestPcapngHandmade(t *testing.T) {
	for _, bo := range []interface {
		binary.ByteOrder
		binary.AppendByteOrder
	}{binary.BigEndian, binary.LittleEndian} {
		n := &ngBuilder{bo: bo}
		n.shb()
		n.idb(uint16(layers.LinkTypeEthernet), 0, nil)
		n.epb(0, uint64(t0.UnixMicro()), mkData(60, 1), 60)
		n.block(0x0bad, []byte("custom block"))
		// Second interface: raw IP, millisecond resolution, snaplen 64.
		n.idb(uint16(layers.LinkTypeRaw), 64, n.opt(n.opt(nil, ngOptTSResol, []byte{3}), 0, nil))
		n.epb(1, uint64(t0.UnixMilli())+5, mkData(20, 2), 20)
		// Simple packet block: interface 0's snaplen (unlimited) applies.
		n.block(ngSPB, append(n.bo.AppendUint32(nil, 30), mkData(30, 3)...))
		// A new section with a single interface.
		n.shb()
		n.idb(uint16(layers.LinkTypeLinuxSLL), 0, nil)
		n.epb(0, uint64(t0.UnixMicro())+7, mkData(50, 4), 1500)
		s := mustOpen(t, "hand.pcapng", n.b)
		got, err := readAll(t, s)
		if err != nil {
			t.Fatal(bo, err)
		}
		want := []tpkt{
			{t: t0, data: mkData(60, 1)},
			{t: t0.Add(5 * time.Millisecond), data: mkData(20, 2), ifc: 1},
			{t: time.Unix(0, 0).UTC(), data: mkData(30, 3)},
			{t: t0.Add(7 * time.Microsecond), data: mkData(50, 4), orig: 1500},
		}
		lts := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL}
		// pcapgo gives simple packet blocks the zero time.
		got[2].Time = time.Unix(0, 0).UTC()
		checkPkts(t, got, want, func(i int) layers.LinkType { return lts[i] }, time.Nanosecond)
	}
}

// Blocks that would make pcapgo's NgReader panic, over-allocate or lose
// sync are rejected with a *RecordError naming the block.
func TestPcapngMalformed(t *testing.T) {
	le := binary.LittleEndian
	for _, tc := range []struct {
		name  string
		build func(n *ngBuilder)
		want  string
	}{
		{"tsresol binary 2^-100", func(n *ngBuilder) {
			n.idb(1, 0, n.opt(nil, ngOptTSResol, []byte{0x80 | 100}))
		}, "unsupported timestamp resolution 0xe4"},
		{"tsresol decimal 10^-64", func(n *ngBuilder) {
			n.idb(1, 0, n.opt(nil, ngOptTSResol, []byte{64}))
		}, "unsupported timestamp resolution 0x40"},
		{"option overruns block", func(n *ngBuilder) {
			o := n.opt(nil, 2, []byte("eth0"))
			le.PutUint16(o[2:], 200)
			n.idb(1, 0, o)
		}, "option 2 of length 200 overruns the block"},
		{"unknown interface", func(n *ngBuilder) {
			n.idb(1, 0, nil)
			n.epb(3, 0, mkData(10, 0), 10)
		}, "interface 3 not defined"},
		{"block length", func(n *ngBuilder) {
			n.idb(1, 0, nil)
			n.epb(0, 0, mkData(10, 0), 10)
			le.PutUint32(n.b[n.off[2]+4:], 13)
		}, "bad block length 13"},
		{"simple packet too long", func(n *ngBuilder) {
			n.idb(1, 0, nil)
			n.block(ngSPB, append(le.AppendUint32(nil, 1000), mkData(8, 0)...))
		}, "packet length 1000 does not fit"},
		{"simple packet without interface", func(n *ngBuilder) {
			n.block(ngSPB, append(le.AppendUint32(nil, 8), mkData(8, 0)...))
		}, "no interface defined"},
	} {
		n := &ngBuilder{bo: le}
		n.shb()
		tc.build(n)
		s, err := OpenReader("m.pcapng", bytes.NewReader(n.b))
		if err == nil {
			_, err = readAll(t, s)
		}
		var re *RecordError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) || re.Offset != n.off[len(n.off)-1] {
			t.Errorf("%s: %v (offsets %v)", tc.name, err, n.off)
		}
	}
	// A bad version in the first section header fails OpenReader.
	n := &ngBuilder{bo: le}
	n.shb()
	le.PutUint16(n.b[12:], 2)
	if _, err := OpenReader("v.pcapng", bytes.NewReader(n.b)); err == nil || !strings.Contains(err.Error(), "unsupported pcapng version 2.0") {
		t.Errorf("version: %v", err)
	}
}

// Link types above 255 do not fit gopacket's layers.LinkType; Packet.Link
// and FileStats.LinkTypes keep the number from the file.
func TestLinkTypeWide(t *testing.T) {
	const sll2 = 276 // LINKTYPE_LINUX_SLL2
	ps := samplePkts(3)
	le := binary.LittleEndian
	b, _ := buildPcap(t, false, layers.LinkTypeEthernet, ps)
	le.PutUint32(b[20:], sll2)
	// Big-endian, with the FCS bits (F set, 4 bytes) in the upper half.
	be := buildPcapBE(layers.LinkTypeEthernet, ps)
	binary.BigEndian.PutUint32(be[20:], 1<<28|1<<26|sll2)
	for name, b := range map[string][]byte{"sll2.pcap": b, "sll2-be.pcap": be, "sll2.pcap.gz": gz(t, b)} {
		s := mustOpen(t, name, b)
		got, err := readAll(t, s)
		if err != nil {
			t.Fatal(name, err)
		}
		if len(got) != len(ps) {
			t.Fatalf("%s: %d packets", name, len(got))
		}
		for _, p := range got {
			if p.Link != sll2 || p.LinkType != layers.LinkType(sll2&0xff) {
				t.Errorf("%s: frame %d: Link %d, LinkType %d", name, p.Frame, p.Link, p.LinkType)
			}
		}
		if st := Stats(s)[0]; len(st.LinkTypes) != 1 || st.LinkTypes[0] != sll2 || len(st.Warnings) != 0 {
			t.Errorf("%s: stats %+v", name, st)
		}
	}

	// pcapng: two sections, small enough that the block checker has read
	// the whole file before the first packet comes out.
	for _, bo := range []interface {
		binary.ByteOrder
		binary.AppendByteOrder
	}{binary.BigEndian, binary.LittleEndian} {
		n := &ngBuilder{bo: bo}
		n.shb()
		n.idb(uint16(layers.LinkTypeEthernet), 0, nil)
		n.idb(sll2, 0, nil)
		n.epb(1, uint64(t0.UnixMicro()), mkData(40, 1), 40)
		n.epb(0, uint64(t0.UnixMicro())+1, mkData(40, 2), 40)
		n.epb(1, uint64(t0.UnixMicro())+2, mkData(40, 3), 40)
		n.shb() // a section without packets
		n.idb(uint16(layers.LinkTypeRaw), 0, nil)
		n.shb()
		n.idb(sll2, 0, nil)
		n.idb(uint16(layers.LinkTypeLinuxSLL), 0, nil)
		n.block(ngSPB, append(n.bo.AppendUint32(nil, 30), mkData(30, 4)...))
		n.epb(1, uint64(t0.UnixMicro())+4, mkData(40, 5), 40)
		n.epb(0, uint64(t0.UnixMicro())+5, mkData(40, 6), 40)
		s := mustOpen(t, "sll2.pcapng", n.b)
		got, err := readAll(t, s)
		if err != nil {
			t.Fatal(bo, err)
		}
		want := []uint32{sll2, 1, sll2, sll2, 113, sll2}
		if len(got) != len(want) {
			t.Fatalf("%v: %d packets, want %d", bo, len(got), len(want))
		}
		for i, p := range got {
			if p.Link != want[i] || p.LinkType != layers.LinkType(want[i]&0xff) {
				t.Errorf("%v: frame %d: Link %d, LinkType %d; want %d", bo, p.Frame, p.Link, p.LinkType, want[i])
			}
		}
		// (The simple packet block has no timestamp: one out-of-order warning.)
		if st := Stats(s)[0]; !slices.Equal(st.LinkTypes, []uint32{sll2, 1, 113}) || len(st.Warnings) != 1 {
			t.Errorf("%v: stats %+v", bo, st)
		}
	}

	// The same through pcapgo's writer, with the IDB's link type patched.
	ng, _ := buildPcapng(t, ps) // interface 0 Ethernet, 1 raw IP
	i := int(le.Uint32(ng[4:])) // the first IDB follows the section header
	if le.Uint32(ng[i:]) != ngIDB || le.Uint16(ng[i+8:]) != uint16(layers.LinkTypeEthernet) {
		t.Fatalf("no Ethernet IDB after the section header in pcapgo's output")
	}
	le.PutUint16(ng[i+8:], sll2)
	got, err := readAll(t, mustOpen(t, "patched.pcapng", ng))
	if err != nil {
		t.Fatal(err)
	}
	for j, p := range got {
		if p.Interface == 0 && p.Link != sll2 || p.Interface == 1 && p.Link != uint32(layers.LinkTypeRaw) {
			t.Errorf("patched: frame %d: interface %d, Link %d", j+1, p.Interface, p.Link)
		}
	}
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMerged(t *testing.T) {
	// a: 0, 2, 4, 6 ms; b: 1, 2, 3, 10 ms (pcapng, gzip). At 2 ms a comes first.
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	var pa, pb []tpkt
	for i, n := range []int{0, 2, 4, 6} {
		pa = append(pa, tpkt{t: ms(n), data: mkData(50+i, 0xa0)})
	}
	for i, n := range []int{1, 2, 3, 10} {
		pb = append(pb, tpkt{t: ms(n), data: mkData(70+i, 0xb0), ifc: i % 2})
	}
	ba, _ := buildPcap(t, false, layers.LinkTypeEthernet, pa)
	bb, _ := buildPcapng(t, pb)
	na, nb := writeTemp(t, "a.pcap", ba), writeTemp(t, "b.pcapng.gz", gz(t, bb))
	s, err := OpenMerged([]string{na, nb})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	type key struct{ src, frame int }
	want := []key{{0, 1}, {1, 1}, {0, 2}, {1, 2}, {1, 3}, {0, 3}, {0, 4}, {1, 4}}
	var got []key
	var last time.Time
	for {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, key{p.Source, p.Frame})
		src := pa
		if p.Source == 1 {
			src = pb
		}
		w := src[p.Frame-1]
		if !bytes.Equal(p.Data, w.data) || !p.Time.Equal(w.t) || p.Interface != w.ifc {
			t.Errorf("packet %+v differs from %+v", p, w)
		}
		if p.Time.Before(last) {
			t.Errorf("time went back at %+v", got)
		}
		last = p.Time
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	st := Stats(s)
	if len(st) != 2 || st[0].File != na || st[1].File != nb || st[0].Packets != 4 || st[1].Packets != 4 || !st[1].Compressed {
		t.Errorf("stats %+v", st)
	}
}

// In a merge a truncated file reports its error once and the others go on.
func TestMergedTruncated(t *testing.T) {
	ps := samplePkts(6)
	ba, _ := buildPcap(t, false, layers.LinkTypeEthernet, ps)
	bb, offs := buildPcap(t, true, layers.LinkTypeEthernet, ps[:4])
	na, nb := writeTemp(t, "a.pcap", ba), writeTemp(t, "b.pcap", bb[:offs[2]+3])
	s, err := OpenMerged([]string{na, nb})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	var errs []error
	for {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
		_ = p
	}
	var te *TruncatedError
	if n != 8 || len(errs) != 1 || !errors.As(errs[0], &te) || te.File != nb || te.Frame != 3 {
		t.Errorf("%d packets, errors %v", n, errs)
	}
}

func TestOpenMergedSingle(t *testing.T) {
	b, _ := buildPcap(t, false, layers.LinkTypeEthernet, samplePkts(3))
	s, err := OpenMerged([]string{writeTemp(t, "one.pcap", b)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*fileSource); !ok {
		t.Errorf("OpenMerged with one name returned %T", s)
	}
	if _, err := OpenMerged(nil); err == nil {
		t.Error("OpenMerged(nil) succeeded")
	}
	if _, err := OpenMerged([]string{writeTemp(t, "one.pcap", b), "/nonexistent/x.pcap"}); err == nil {
		t.Error("OpenMerged with a missing file succeeded")
	}
}

func TestNoAllocs(t *testing.T) {
	ps := samplePkts(2000)
	pc, _ := buildPcap(t, false, layers.LinkTypeEthernet, ps)
	ng, _ := buildPcapng(t, ps)
	for _, tc := range []struct {
		name string
		open func() Source
	}{
		{"pcap", func() Source { return mustOpen(t, "a.pcap", pc) }},
		{"pcapng", func() Source { return mustOpen(t, "a.pcapng", ng) }},
		{"merged", func() Source {
			return newMerged([]*fileSource{mustOpen(t, "a", pc).(*fileSource), mustOpen(t, "b", ng).(*fileSource)})
		}},
	} {
		s := tc.open()
		for range 10 { // warm up: buffers grow
			if _, err := s.Next(); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		allocs := testing.AllocsPerRun(500, func() {
			if _, e := s.Next(); e != nil {
				err = e
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if allocs != 0 {
			t.Errorf("%s: %v allocations per packet", tc.name, allocs)
		}
	}
}

// TestSharedPcaps reads the shared corpus and checks the packet counts
// against MANIFEST.tsv. Other files there must be rejected as not captures.
func TestSharedPcaps(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "pcaps")
	mf, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Skip("no shared pcaps:", err)
	}
	defer mf.Close()
	want := map[string]int{}
	sc := bufio.NewScanner(mf)
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 6 {
			continue
		}
		n, err := strconv.Atoi(f[5])
		if err != nil {
			t.Fatalf("MANIFEST.tsv: %q: %v", sc.Text(), err)
		}
		want[filepath.FromSlash(f[0])] = n
	}
	seen := 0
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		n, listed := want[rel]
		s, err := OpenFile(path)
		if !listed {
			if err == nil {
				s.Close()
				if rel != "MANIFEST.tsv" && rel != "README.md" {
					t.Logf("%s: not in MANIFEST.tsv but opens as a capture", rel)
				}
			} else if !errors.Is(err, ErrNotCapture) {
				t.Errorf("%s: %v", rel, err)
			}
			return nil
		}
		seen++
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		defer s.Close()
		got, err := readAll(t, s)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		st := Stats(s)[0]
		if len(got) == 0 || len(got) != n || st.Packets != n {
			t.Errorf("%s: %d packets, want %d", rel, len(got), n)
		}
		t.Logf("%s: %s %d packets, link types %v, warnings %q", rel, st.Format, st.Packets, st.LinkTypes, st.Warnings)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d files in MANIFEST.tsv", seen, len(want))
	}
}

func FuzzOpenReader(f *testing.F) {
	ps := samplePkts(4)
	pc, _ := buildPcap(f, false, layers.LinkTypeEthernet, ps)
	ns, _ := buildPcap(f, true, layers.LinkTypeRaw, ps)
	ng, _ := buildPcapng(f, ps)
	f.Add(pc)
	f.Add(ns)
	f.Add(buildPcapBE(layers.LinkTypeNull, ps))
	f.Add(ng)
	f.Add(gz(f, pc))
	f.Add(gz(f, ng))
	f.Add(ng[:len(ng)-9])
	h := &ngBuilder{bo: binary.BigEndian}
	h.shb()
	h.idb(1, 64, h.opt(h.opt(nil, ngOptTSResol, []byte{0x85}), ngOptTSOffset, make([]byte, 8)))
	h.epb(0, 12345, mkData(33, 0), 40)
	h.block(ngSPB, append(h.bo.AppendUint32(nil, 100), mkData(64, 0)...))
	h.block(ngISB, append(h.bo.AppendUint32(nil, 0), make([]byte, 8)...))
	f.Add(h.b)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := OpenReader("fuzz", bytes.NewReader(b))
		if err != nil {
			if s != nil {
				t.Fatal("source and error")
			}
			if !strings.HasPrefix(err.Error(), "fuzz: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		defer s.Close()
		for i := 1; i <= 1000; i++ {
			p, err := s.Next()
			if err != nil {
				if err != io.EOF && !strings.HasPrefix(err.Error(), "fuzz: ") {
					t.Fatalf("error does not name the file: %v", err)
				}
				return
			}
			if p.Frame != i || p.CapLen != len(p.Data) || p.CapLen > MaxCapLen {
				t.Fatalf("bad packet %d: frame %d caplen %d len(data) %d", i, p.Frame, p.CapLen, len(p.Data))
			}
		}
	})
}

// TestDroppedSourceStopsReadAhead: a source that is never closed does not
// leave its read-ahead goroutine blocked forever once it is garbage.
func TestDroppedSourceStopsReadAhead(t *testing.T) {
	ps := make([]tpkt, 3000)
	for i := range ps {
		ps[i] = tpkt{t: t0.Add(time.Duration(i) * time.Millisecond), data: mkData(1400, byte(i))}
	}
	b, _ := buildPcap(t, false, layers.LinkTypeEthernet, ps) // 4 MB: more than the read-ahead holds
	before := runtime.NumGoroutine()
	func() {
		s := mustOpen(t, "dropped.pcap", b)
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
	}()
	for range 200 {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		if runtime.NumGoroutine() <= before {
			return
		}
	}
	t.Fatalf("%d goroutines, %d before the source was opened", runtime.NumGoroutine(), before)
}
