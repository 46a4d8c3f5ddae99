package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"time"
)

// pcapng block types and constants.
const (
	ngIDB = 1          // interface description block
	ngPB  = 2          // packet block (obsolete)
	ngSPB = 3          // simple packet block
	ngISB = 5          // interface statistics block
	ngEPB = 6          // enhanced packet block
	ngSHB = 0x0a0d0d0a // section header block, same in both byte orders

	ngByteOrderMagic = 0x1a2b3c4d

	ngOptTSResol    = 9  // if_tsresol
	ngOptISBEndTime = 3  // isb_endtime
	ngOptTSOffset   = 14 // if_tsoffset

	// maxMetaBlock bounds the section header, interface description and
	// interface statistics blocks, which are buffered whole to be checked
	// (Wireshark's limit for any block).
	maxMetaBlock = 16 << 20
)

// ngFramer sits between the file and pcapgo's NgReader. It walks the pcapng
// block structure itself and hands NgReader only blocks that NgReader can
// parse safely and without losing sync; it also knows where each block
// starts, which NgReader does not tell.
//
// It guards against these NgReader v1.1.19 behaviours:
//   - block and option lengths are trusted: a short block makes its
//     remaining-length counter wrap around, an option longer than its block
//     or of length >= 65533 (uint16 overflow when padding is added) makes it
//     read the following blocks as options;
//   - a simple packet block's length is taken from the original packet
//     length, not from the block length;
//   - an interface's snaplen sizes the zero-copy buffer (up to 4 GiB), and
//     captured lengths have no limit at all;
//   - if_tsresol exponents >= 64 (binary) or >= 20 (decimal) make the time
//     divisor 0 or garbage: integer division by zero panics;
//   - a cut block surfaces as a bare io.EOF or io.ErrUnexpectedEOF (or, cut
//     right after a block header, as a clean io.EOF).
//
// Blocks that NgReader parses field by field (section header, interface
// description, interface statistics) are buffered and checked whole; for
// packet blocks only the fixed header is checked and the rest is passed
// through; unknown blocks, which NgReader skips, are passed through.
//
// Errors are *TruncatedError, *RecordError or *finalError; io.EOF is
// returned only at a block boundary.
type ngFramer struct {
	src *fileSource

	off        int64 // bytes consumed from src.br
	blockStart int64 // offset of the current block
	blockFrame int   // frame number for errors in the current block
	packets    int   // packet blocks seen so far

	buf     []byte
	pending []byte // checked bytes of the current block not yet handed out
	pass    int64  // bytes of the current block to pass through unchecked
	err     error  // sticky

	section bool   // a section header has been read
	big     bool   // byte order of the current section
	nIfaces int    // interfaces defined in the current section
	snap0   uint32 // (adjusted) snaplen of interface 0

	// sections holds the link types of the interfaces of the sections the
	// framer has entered that may still hold packets NgReader has not
	// returned (the framer reads ahead of NgReader, possibly into the
	// next section). The last one is the current section.
	sections []ngSection
}

// ngSection is what the framer records of one pcapng section.
type ngSection struct {
	first int      // frame number of the section's first packet (if it has any)
	links []uint16 // link type of each interface, by interface id
	resol []uint8  // if_tsresol of each interface (6 when absent)
}

// linkType returns the link type of interface ifc in the section that holds
// frame number frame. Frames must be asked for in increasing order:
// sections before the one holding frame are forgotten.
func (f *ngFramer) linkType(frame, ifc int) (uint32, bool) {
	n := 0
	for n+1 < len(f.sections) && f.sections[n+1].first <= frame {
		n++
	}
	if n > 0 {
		f.sections = slices.Delete(f.sections, 0, n)
	}
	if len(f.sections) == 0 {
		return 0, false
	}
	links := f.sections[0].links
	if ifc < 0 || ifc >= len(links) {
		return 0, false
	}
	return uint32(links[ifc]), true
}

// Read implements io.Reader for NgReader.
func (f *ngFramer) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if len(f.pending) > 0 {
			n := copy(p, f.pending)
			f.pending = f.pending[n:]
			return n, nil
		}
		if f.err != nil {
			return 0, f.err
		}
		if f.pass > 0 {
			if int64(len(p)) > f.pass {
				p = p[:f.pass]
			}
			n, err := f.src.br.Read(p)
			f.off += int64(n)
			f.pass -= int64(n)
			if err != nil && (err != io.EOF || f.pass > 0) {
				f.err = f.ioError(err)
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err := f.nextBlock(); err != nil {
			f.err = err
			return 0, err
		}
	}
}

func (f *ngFramer) u16(b []byte) uint16 {
	if f.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (f *ngFramer) u32(b []byte) uint32 {
	if f.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (f *ngFramer) put32(b []byte, v uint32) {
	if f.big {
		binary.BigEndian.PutUint32(b, v)
	} else {
		binary.LittleEndian.PutUint32(b, v)
	}
}

// read makes f.buf[:want] hold the current block's first want bytes, of
// which the first have are there already. It returns io.EOF only if the
// file ends cleanly before the block.
func (f *ngFramer) read(have, want int) ([]byte, error) {
	for have < want {
		// Grow in steps so that a truncated file claiming a huge block
		// does not allocate it.
		n := min(want-have, 64<<10)
		f.buf = slices.Grow(f.buf[:have], n)[:have+n]
		m, err := io.ReadFull(f.src.br, f.buf[have:have+n])
		f.off += int64(m)
		if err != nil {
			if err == io.EOF && have == 0 {
				return nil, io.EOF
			}
			return nil, f.ioError(err)
		}
		have += m
	}
	return f.buf[:want], nil
}

func (f *ngFramer) ioError(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &TruncatedError{File: f.src.name, Offset: f.blockStart, Frame: f.blockFrame, Err: io.ErrUnexpectedEOF}
	}
	return &finalError{fmt.Errorf("%s: reading block at byte %d (frame %d): %w", f.src.name, f.blockStart, f.blockFrame, err)}
}

func (f *ngFramer) bad(format string, args ...any) error {
	return &RecordError{File: f.src.name, Offset: f.blockStart, Frame: f.blockFrame, Err: fmt.Errorf(format, args...)}
}

// nextBlock reads and checks the next block's header and sets up pending
// and pass for it.
func (f *ngFramer) nextBlock() error {
	f.blockStart = f.off
	f.blockFrame = f.packets + 1
	b, err := f.read(0, 8)
	if err != nil {
		return err
	}
	if binary.BigEndian.Uint32(b[0:4]) == ngSHB {
		if b, err = f.read(8, 12); err != nil {
			return err
		}
		switch binary.BigEndian.Uint32(b[8:12]) {
		case ngByteOrderMagic:
			f.big = true
		case 0x4d3c2b1a:
			f.big = false
		default:
			return f.bad("section header: bad byte-order magic 0x%08x", binary.BigEndian.Uint32(b[8:12]))
		}
		f.section = true
	} else if !f.section {
		return f.bad("first block is not a section header")
	}
	typ, blen := f.u32(b[0:4]), f.u32(b[4:8])
	if blen < 12 || blen%4 != 0 {
		return f.bad("block type 0x%x: bad block length %d", typ, blen)
	}
	switch typ {
	case ngSHB:
		if blen < 28 || blen > maxMetaBlock {
			return f.bad("section header: bad block length %d", blen)
		}
		if b, err = f.read(12, int(blen)); err != nil {
			return err
		}
		if major, minor := f.u16(b[12:14]), f.u16(b[14:16]); major != 1 || minor != 0 {
			return f.bad("section header: unsupported pcapng version %d.%d", major, minor)
		}
		if err := f.checkOptions("section header", b[24:blen-4], false); err != nil {
			return err
		}
		f.nIfaces, f.snap0 = 0, 0
		f.sections = append(f.sections, ngSection{first: f.packets + 1})
	case ngIDB:
		if blen < 20 || blen > maxMetaBlock {
			return f.bad("interface description: bad block length %d", blen)
		}
		if b, err = f.read(8, int(blen)); err != nil {
			return err
		}
		if err := f.checkOptions("interface description", b[16:blen-4], true); err != nil {
			return err
		}
		sec := &f.sections[len(f.sections)-1]
		sec.links = append(sec.links, f.u16(b[8:10]))
		sec.resol = append(sec.resol, f.option(b[16:blen-4], ngOptTSResol, 6))
		// Snaplen 0 means unlimited; either way, bound the buffer NgReader
		// allocates. Packets are limited to MaxCapLen separately.
		snap := f.u32(b[12:16])
		if snap == 0 || snap > MaxCapLen {
			snap = MaxCapLen
			f.put32(b[12:16], snap)
		}
		if f.nIfaces == 0 {
			f.snap0 = snap
		}
		f.nIfaces++
	case ngISB:
		if blen < 24 || blen > maxMetaBlock {
			return f.bad("interface statistics: bad block length %d", blen)
		}
		if b, err = f.read(8, int(blen)); err != nil {
			return err
		}
		if id := f.u32(b[8:12]); id >= uint32(f.nIfaces) {
			return f.bad("interface statistics: interface %d not defined (section has %d)", id, f.nIfaces)
		}
		if err := f.checkOptions("interface statistics", b[20:blen-4], false); err != nil {
			return err
		}
		f.statsEnd(f.u32(b[8:12]), b[20:blen-4])
	case ngEPB, ngPB:
		if blen < 32 {
			return f.bad("packet block: bad block length %d", blen)
		}
		if b, err = f.read(8, 28); err != nil {
			return err
		}
		id := f.u32(b[8:12])
		if typ == ngPB {
			id = uint32(f.u16(b[8:10]))
		}
		if id >= uint32(f.nIfaces) {
			return f.bad("packet block: interface %d not defined (section has %d)", id, f.nIfaces)
		}
		caplen := f.u32(b[20:24])
		if caplen > MaxCapLen {
			return f.bad("captured length %d exceeds maximum %d", caplen, MaxCapLen)
		}
		if caplen > blen-32 {
			return f.bad("packet block: captured length %d does not fit in block length %d", caplen, blen)
		}
		f.packets++
		f.pass = int64(blen) - 28
	case ngSPB:
		if blen < 16 {
			return f.bad("simple packet block: bad block length %d", blen)
		}
		if f.nIfaces == 0 {
			return f.bad("simple packet block: no interface defined")
		}
		if b, err = f.read(8, 12); err != nil {
			return err
		}
		// NgReader's captured length: the original length, cut to
		// interface 0's snaplen (which is never 0 after nextBlock).
		caplen := min(f.u32(b[8:12]), f.snap0)
		if caplen > blen-16 {
			return f.bad("simple packet block: packet length %d does not fit in block length %d", caplen, blen)
		}
		f.packets++
		f.pass = int64(blen) - 12
	default:
		// NgReader skips other blocks.
		f.pass = int64(blen) - int64(len(b))
	}
	f.pending = b
	return nil
}

// checkOptions checks an option list the way NgReader will walk it:
// every option must fit in the block, and the interface options whose
// values NgReader uses must be well-formed.
func (f *ngFramer) checkOptions(block string, opts []byte, idb bool) error {
	for len(opts) > 0 {
		if len(opts) < 4 {
			return f.bad("%s: options truncated", block)
		}
		code, l := f.u16(opts[0:2]), int(f.u16(opts[2:4]))
		opts = opts[4:]
		if code == 0 {
			if l != 0 {
				return f.bad("%s: end-of-options option with length %d", block, l)
			}
			return nil
		}
		padded := (l + 3) &^ 3
		if l > 0xffff-3 || padded > len(opts) {
			return f.bad("%s: option %d of length %d overruns the block", block, code, l)
		}
		val := opts[:l]
		opts = opts[padded:]
		if !idb {
			continue
		}
		switch code {
		case ngOptTSResol:
			if l < 1 {
				return f.bad("%s: empty if_tsresol option", block)
			}
			if r := val[0]; r&0x80 != 0 && r&0x7f > 63 || r&0x80 == 0 && r > 19 {
				return f.bad("%s: unsupported timestamp resolution 0x%02x", block, r)
			}
		case ngOptTSOffset:
			if l < 8 {
				return f.bad("%s: if_tsoffset option of length %d", block, l)
			}
		}
	}
	return nil
}

// option returns the first byte of option code in a checked option list,
// or def when the option is absent.
func (f *ngFramer) option(opts []byte, code uint16, def uint8) uint8 {
	if v := f.optionValue(opts, code); len(v) > 0 {
		return v[0]
	}
	return def
}

// optionValue returns the value of option code in a checked option list.
func (f *ngFramer) optionValue(opts []byte, code uint16) []byte {
	for len(opts) >= 4 {
		c, l := f.u16(opts[0:2]), int(f.u16(opts[2:4]))
		opts = opts[4:]
		if c == 0 || l > len(opts) {
			return nil
		}
		if c == code {
			return opts[:l]
		}
		opts = opts[min((l+3)&^3, len(opts)):]
	}
	return nil
}

// statsEnd records the isb_endtime of an interface statistics block: when
// the capture on that interface stopped. It tells how long the capture ran
// on after its last packet, which a pcap file cannot say.
func (f *ngFramer) statsEnd(ifc uint32, opts []byte) {
	v := f.optionValue(opts, ngOptISBEndTime)
	if len(v) != 8 || len(f.sections) == 0 {
		return
	}
	sec := f.sections[len(f.sections)-1]
	if int(ifc) >= len(sec.resol) {
		return
	}
	ts := uint64(f.u32(v[0:4]))<<32 | uint64(f.u32(v[4:8]))
	// The option is in the interface's time resolution, but dumpcap up to
	// at least 4.0 writes microseconds whatever the resolution: take the
	// reading that falls at or after the last packet read.
	last := f.src.stats.Last
	for _, r := range []uint8{sec.resol[ifc], 6} {
		end, ok := tsTime(ts, r)
		if !ok || end.Before(last) || !last.IsZero() && end.Sub(last) > 7*24*time.Hour {
			continue
		}
		if end.After(f.src.stats.End) {
			f.src.stats.End = end
		}
		return
	}
}

// tsTime converts a pcapng timestamp in units given by if_tsresol.
func tsTime(ts uint64, resol uint8) (time.Time, bool) {
	var sec, frac, unit uint64
	if resol&0x80 != 0 {
		e := resol & 0x7f
		if e >= 64 {
			return time.Time{}, false
		}
		unit = 1 << e
	} else {
		if resol >= 20 {
			return time.Time{}, false
		}
		unit = 1
		for range resol {
			unit *= 10
		}
	}
	sec, frac = ts/unit, ts%unit
	if sec > 1<<40 {
		return time.Time{}, false
	}
	ns := frac * 1e9 / unit
	if unit > 1e9 { // avoid overflow of frac*1e9 for very fine units
		ns = frac / (unit / 1e9)
	}
	return time.Unix(int64(sec), int64(ns)).UTC(), true
}
