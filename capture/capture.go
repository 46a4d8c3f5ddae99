package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// MaxCapLen is the largest captured length accepted for one packet
// (262144, libpcap's and Wireshark's usual maximum). A record claiming more
// is reported as a *RecordError.
const MaxCapLen = 256 << 10

// bufSize is the size of the buffered reader used on every input.
const bufSize = 1 << 20

// ErrNotCapture is wrapped by the error OpenFile and OpenReader return for
// input that is neither pcap nor pcapng (after gzip decompression).
var ErrNotCapture = errors.New("not a pcap or pcapng file")

// Packet is one captured packet. Data is only valid until the next call to
// Next (zero-copy where possible); copy it to keep it.
type Packet struct {
	Time time.Time
	// Link is the link type (LINKTYPE_* number) as given in the file: the
	// low 16 bits of the pcap header's link type field, or the link type of
	// the pcapng interface the packet was captured on.
	Link uint32
	// LinkType is Link as gopacket's 8-bit layers.LinkType, which cuts
	// link types above 255 (276, LINKTYPE_LINUX_SLL2, becomes 20). Kept for
	// compatibility; use Link.
	LinkType  layers.LinkType
	Data      []byte
	CapLen    int // captured length, len(Data)
	Length    int // original length on the wire
	Source    int // index into the list of files given to Open/OpenMerged
	Frame     int // 1-based frame number within that source file
	Interface int // pcapng interface index (0 for pcap)
}

// Source yields packets in order.
//
// Next returns io.EOF at the clean end, a *TruncatedError when the file is
// cut mid-record (all packets before the cut were already returned), a
// *RecordError for a malformed record, or another error wrapping an I/O
// error. Each error is returned once (see the package documentation).
type Source interface {
	Next() (*Packet, error)
	Close() error
}

// StatsSource is implemented by every Source this package returns.
// Stats may be called at any time; it is complete once Next returned io.EOF.
// For a merged source it has one entry per file, in the order given.
type StatsSource interface {
	Source
	Stats() []FileStats
}

// Stats returns s's per-file statistics, or nil if s does not implement
// StatsSource.
func Stats(s Source) []FileStats {
	if ss, ok := s.(StatsSource); ok {
		return ss.Stats()
	}
	return nil
}

// FileStats describes one capture file after (or while) reading it.
type FileStats struct {
	File        string
	Format      string // "pcap" or "pcapng"
	Compressed  bool   // gzip-compressed on disk
	Packets     int
	First, Last time.Time // timestamps of the first and last packet, in file order
	LinkTypes   []uint32  // distinct link types (Packet.Link) of the packets read, in order of appearance
	// End is when the capture stopped, from pcapng interface statistics
	// (isb_endtime); zero when the file does not say (pcap files never do).
	End      time.Time
	Warnings []string
}

// TruncatedError reports a file that ends in the middle of a record.
// Offset is the byte offset at which the broken record starts and Frame the
// frame number that record would have had; frames 1..Frame-1 were returned.
// Frame is 0 when the file header itself is cut.
type TruncatedError struct {
	File   string
	Offset int64
	Frame  int
	Err    error
}

func (e *TruncatedError) Error() string {
	if e.Frame == 0 {
		return fmt.Sprintf("%s: truncated at byte %d (in file header): %v", e.File, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: truncated at byte %d (in record of frame %d): %v", e.File, e.Offset, e.Frame, e.Err)
}

func (e *TruncatedError) Unwrap() error { return e.Err }

// RecordError reports a malformed record: Offset is where the record (for
// pcapng: the block) starts, Frame the number of the frame it holds or, for
// a pcapng block that holds no packet, of the next frame.
type RecordError struct {
	File   string
	Offset int64
	Frame  int
	Err    error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("%s: bad record at byte %d (frame %d): %v", e.File, e.Offset, e.Frame, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// OpenFile opens one capture file; name "-" means standard input (which is
// then reported as "stdin" and not closed by Close).
func OpenFile(name string) (Source, error) {
	s, err := openFile(name, 0)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func openFile(name string, index int) (*fileSource, error) {
	if name == "-" {
		return open("stdin", os.Stdin, index, nil)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	s, err := open(name, f, index, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// OpenReader reads a capture from r; name is used in errors and statistics.
// Close does not close r.
func OpenReader(name string, r io.Reader) (Source, error) {
	s, err := open(name, r, 0, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenMerged opens several files and merges their packets by timestamp
// (stable: ties keep the order of names). With a single name it returns the
// plain file source.
func OpenMerged(names []string) (Source, error) {
	switch len(names) {
	case 0:
		return nil, errors.New("no capture files given")
	case 1:
		return OpenFile(names[0])
	}
	srcs := make([]*fileSource, 0, len(names))
	for i, n := range names {
		s, err := openFile(n, i)
		if err != nil {
			for _, o := range srcs {
				o.Close()
			}
			return nil, err
		}
		srcs = append(srcs, s)
	}
	return newMerged(srcs), nil
}

// Capture file magic numbers, as the first four bytes read big-endian.
const (
	magicPcapMicroBE = 0xa1b2c3d4
	magicPcapMicroLE = 0xd4c3b2a1
	magicPcapNanoBE  = 0xa1b23c4d
	magicPcapNanoLE  = 0x4d3cb2a1
	magicPcapng      = 0x0a0d0d0a
)

// open sniffs the format of r and returns a source positioned at the first
// packet. closer, if not nil, is closed by Close.
func open(name string, r io.Reader, index int, closer io.Closer) (*fileSource, error) {
	s := &fileSource{name: name, closer: closer}
	s.pkt.Source = index
	s.stats.File = name
	s.raw = r
	br := bufio.NewReaderSize(r, bufSize)
	magic, err := s.peekMagic(br)
	if err != nil {
		return nil, err
	}
	if magic>>16 == 0x1f8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, &TruncatedError{File: name, Err: fmt.Errorf("gzip header: %w", io.ErrUnexpectedEOF)}
			}
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		s.stats.Compressed = true
		s.raw = zr
		br = bufio.NewReaderSize(zr, bufSize)
		if magic, err = s.peekMagic(br); err != nil {
			return nil, err
		}
	}
	s.br = br
	switch magic {
	case magicPcapMicroBE, magicPcapMicroLE, magicPcapNanoBE, magicPcapNanoLE:
		err = s.openPcap()
	case magicPcapng:
		err = s.openPcapng()
	default:
		err = s.notCapture(fmt.Sprintf("magic 0x%08x", magic))
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// peekMagic returns the first four bytes of br, big-endian, or an error
// naming the file if there are fewer. A gzip magic is accepted with just
// two bytes.
func (s *fileSource) peekMagic(br *bufio.Reader) (uint32, error) {
	b, err := br.Peek(4)
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		return 0x1f8b0000, nil
	}
	if len(b) == 4 {
		return binary.BigEndian.Uint32(b), nil
	}
	if err != nil && err != io.EOF {
		if s.stats.Compressed && err == io.ErrUnexpectedEOF {
			return 0, &TruncatedError{File: s.name, Err: err}
		}
		return 0, fmt.Errorf("%s: %w", s.name, err)
	}
	if len(b) == 0 {
		return 0, s.notCapture("empty file")
	}
	return 0, s.notCapture(fmt.Sprintf("only %d bytes", len(b)))
}

func (s *fileSource) notCapture(what string) error {
	if s.stats.Compressed {
		what = "gzip-compressed, " + what
	}
	return fmt.Errorf("%s: %w (%s)", s.name, ErrNotCapture, what)
}

func (s *fileSource) openPcap() error {
	s.stats.Format = "pcap"
	hdr, err := s.br.Peek(24)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err == io.ErrUnexpectedEOF {
			return &TruncatedError{File: s.name, Err: err}
		}
		return fmt.Errorf("%s: %w", s.name, err)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if hdr[0] == 0xa1 {
		bo = binary.BigEndian
	}
	if major, minor := bo.Uint16(hdr[4:6]), bo.Uint16(hdr[6:8]); major != 2 || minor != 4 {
		// pcapgo only reads version 2.4, which is all that has been written
		// since 1998.
		return fmt.Errorf("%s: unsupported pcap version %d.%d", s.name, major, minor)
	}
	rawLink := bo.Uint32(hdr[20:24]) & 0xffff // upper bits: FCS length
	nanoFactor := uint32(1000)
	if bo.Uint32(hdr[0:4]) == 0xa1b23c4d {
		nanoFactor = 1 // nanosecond pcap
	}
	// pcapgo.NewReader keeps s.br as is: it is a *bufio.Reader larger than
	// its default size, and not gzip (that was handled above).
	rd, err := pcapgo.NewReader(s.br)
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	s.snaplen = rd.Snaplen()
	// Like Wireshark, accept records longer than the header's snaplen up to
	// MaxCapLen. This also bounds the packet buffer pcapgo allocates
	// (it sizes it from the snaplen).
	rd.SetSnaplen(MaxCapLen)
	s.pcap = rd
	s.bigEndian, s.nanoFactor = bo == binary.BigEndian, nanoFactor
	// The records are read ahead straight from the file (or gzip) into
	// the prefetcher's chunks, after what br already holds: through br,
	// every byte was copied once more (a tenth of analyze's CPU time).
	held, _ := s.br.Peek(s.br.Buffered())
	s.pf = newPrefetcher(io.MultiReader(bytes.NewReader(bytes.Clone(held)), s.raw))
	// A source dropped without Close must not leave the read-ahead
	// goroutine behind (it holds the file, not the source).
	runtime.AddCleanup(s, (*prefetcher).close, s.pf)
	s.br = nil
	s.pkt.LinkType = rd.LinkType()
	s.pkt.Link = rawLink
	s.offset = 24
	return nil
}

func (s *fileSource) openPcapng() error {
	s.stats.Format = "pcapng"
	s.fr = &ngFramer{src: s}
	// NgReader wraps its input with bufio.NewReader, which returns a
	// *bufio.Reader of at least the default size unchanged: keep it to know
	// how far NgReader has read.
	s.ngbr = bufio.NewReaderSize(s.fr, 4096)
	rd, err := pcapgo.NewNgReader(s.ngbr, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return s.ngError(err)
	}
	s.ng = rd
	return nil
}
