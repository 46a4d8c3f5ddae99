package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// maxWarnings bounds FileStats.Warnings for one file.
const maxWarnings = 50

// fileSource reads one capture file. Exactly one of pcap and ng is set.
type fileSource struct {
	name   string
	closer io.Closer
	br     *bufio.Reader // 1 MiB buffer over the (decompressed) file; pcap: nil once open
	raw    io.Reader     // the (decompressed) file under br

	pcap       *pcapgo.Reader // read the file header; nextPcap reads the records
	pf         *prefetcher    // pcap records, read ahead in a goroutine
	bigEndian  bool           // pcap records are big-endian
	nanoFactor uint32         // 1000 for microsecond pcap, 1 for nanosecond
	snaplen    uint32         // snaplen from the pcap file header
	offset     int64          // pcap: offset of the next record

	ng   *pcapgo.NgReader
	fr   *ngFramer     // checks pcapng blocks between br and ng
	ngbr *bufio.Reader // NgReader's buffer over fr

	pkt   Packet
	frame int
	done  bool
	stats FileStats

	lastLT                              uint32
	warnedOrder, warnedSnap, warnedLong bool
}

// Next implements Source.
func (s *fileSource) Next() (*Packet, error) {
	if s.done {
		return nil, io.EOF
	}
	var err error
	if s.pcap != nil {
		err = s.nextPcap()
	} else {
		err = s.nextNg()
	}
	if err != nil {
		s.done = true
		return nil, err
	}
	s.frame++
	p := &s.pkt
	p.Frame = s.frame
	st := &s.stats
	st.Packets++
	if st.Packets == 1 {
		st.First = p.Time
	} else if p.Time.Before(st.Last) && !s.warnedOrder {
		s.warnedOrder = true
		s.warnf("frame %d: timestamp earlier than the previous frame's (file not in time order)", s.frame)
	}
	st.Last = p.Time
	if p.Link != s.lastLT || len(st.LinkTypes) == 0 {
		s.lastLT = p.Link
		if !slices.Contains(st.LinkTypes, p.Link) {
			st.LinkTypes = append(st.LinkTypes, p.Link)
		}
	}
	return p, nil
}

// nextPcap reads one pcap record. The record is returned as a slice of the
// 1 MiB read buffer (Peek, then Discard): pcapgo's ZeroCopyReadPacketData
// copies every packet out of the buffer into its own, which was a third of
// analyze's time on a 1M-packet capture (issue 12). pcapgo still reads and
// checks the file header.
func (s *fileSource) nextPcap() error {
	start := s.offset
	h, err := s.pf.next(16)
	if len(h) < 16 {
		if len(h) == 0 && err == io.EOF {
			return io.EOF
		}
		return s.readError(err, start)
	}
	// The byte order is tested here rather than called through the
	// binary.ByteOrder interface: four indirect calls per packet.
	var sec, frac, capLen, length uint32
	if s.bigEndian {
		be := binary.BigEndian
		sec, frac, capLen, length = be.Uint32(h[0:4]), be.Uint32(h[4:8]), be.Uint32(h[8:12]), be.Uint32(h[12:16])
	} else {
		le := binary.LittleEndian
		sec, frac, capLen, length = le.Uint32(h[0:4]), le.Uint32(h[4:8]), le.Uint32(h[8:12]), le.Uint32(h[12:16])
	}
	// As pcapgo computes it (the product wraps in 32 bits for an invalid
	// microsecond field), so that times do not depend on the reader.
	ts := time.Unix(int64(sec), int64(frac*s.nanoFactor)).UTC()
	if capLen > MaxCapLen {
		return &RecordError{File: s.name, Offset: start, Frame: s.frame + 1,
			Err: fmt.Errorf("captured length %d exceeds maximum %d", capLen, MaxCapLen)}
	}
	data, err := s.pf.next(int(capLen))
	if len(data) < int(capLen) {
		return s.readError(err, start)
	}
	if capLen > length && !s.warnedLong {
		// Wireshark and tcpdump accept a captured length above the
		// original length; so do we, with a warning.
		s.warnedLong = true
		s.warnf("frame %d: captured length %d exceeds original length %d", s.frame+1, capLen, length)
	}
	if capLen > s.snaplen && s.snaplen != 0 && !s.warnedSnap {
		s.warnedSnap = true
		s.warnf("frame %d: captured length %d exceeds the file's snaplen %d", s.frame+1, capLen, s.snaplen)
	}
	s.offset = start + 16 + int64(capLen)
	p := &s.pkt
	p.Time = ts
	p.Data = data
	p.CapLen = int(capLen)
	p.Length = int(length)
	return nil
}

// readError maps an error met while reading the record at offset start.
func (s *fileSource) readError(err error, start int64) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &TruncatedError{File: s.name, Offset: start, Frame: s.frame + 1, Err: io.ErrUnexpectedEOF}
	}
	return fmt.Errorf("%s: reading frame %d at byte %d: %w", s.name, s.frame+1, start, err)
}

func (s *fileSource) nextNg() error {
	data, ci, err := s.ng.ZeroCopyReadPacketData()
	if err != nil {
		if err == io.EOF {
			// The framer returns io.EOF only between blocks.
			return io.EOF
		}
		return s.ngError(err)
	}
	p := &s.pkt
	if len(ci.AncillaryData) > 0 {
		p.LinkType, _ = ci.AncillaryData[0].(layers.LinkType)
	}
	// The framer saw the interface's full 16-bit link type; pcapgo's is
	// cut to 8 bits.
	if lt, ok := s.fr.linkType(s.frame+1, ci.InterfaceIndex); ok {
		p.Link = lt
	} else {
		p.Link = uint32(p.LinkType)
	}
	p.Time = ci.Timestamp
	p.Data = data
	p.CapLen = ci.CaptureLength
	p.Length = ci.Length
	p.Interface = ci.InterfaceIndex
	return nil
}

// ngError maps an error from pcapgo's NgReader. Errors made by the framer
// pass through; anything else (which the framer's checks should make
// impossible) is reported at the position NgReader had reached.
func (s *fileSource) ngError(err error) error {
	var te *TruncatedError
	var re *RecordError
	var fe *finalError
	switch {
	case errors.As(err, &te):
		return te
	case errors.As(err, &re):
		return re
	case errors.As(err, &fe):
		return fe.err
	}
	off := s.fr.off - int64(s.ngbr.Buffered())
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &TruncatedError{File: s.name, Offset: off, Frame: s.frame + 1, Err: io.ErrUnexpectedEOF}
	}
	return &RecordError{File: s.name, Offset: off, Frame: s.frame + 1, Err: err}
}

// finalError carries an error that is already fully worded through pcapgo.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// Close implements Source. It closes the file if OpenFile opened it.
func (s *fileSource) Close() error {
	s.done = true
	if s.pf != nil {
		s.pf.close()
	}
	if c := s.closer; c != nil {
		s.closer = nil
		return c.Close()
	}
	return nil
}

// Stats implements StatsSource.
func (s *fileSource) Stats() []FileStats {
	st := s.stats
	st.LinkTypes = slices.Clone(st.LinkTypes)
	st.Warnings = slices.Clone(st.Warnings)
	return []FileStats{st}
}

func (s *fileSource) warnf(format string, args ...any) {
	switch n := len(s.stats.Warnings); {
	case n < maxWarnings:
		s.stats.Warnings = append(s.stats.Warnings, fmt.Sprintf(format, args...))
	case n == maxWarnings:
		s.stats.Warnings = append(s.stats.Warnings, "too many warnings, further ones dropped")
	}
}
