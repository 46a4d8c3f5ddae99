package capture

import (
	"bufio"
	"io"
	"runtime"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// PcapngWriter writes captured packets to a pcapng file while they are
// analysed (live -w). Every packet goes to interface 0, so frame numbers in
// the file are the frame numbers of the live run.
type PcapngWriter struct {
	bw    *bufio.Writer
	w     *pcapgo.NgWriter
	start time.Time
}

// NewPcapngWriter starts a pcapng file on w for packets of the given link
// type captured on ifname; comment is stored with the interface (the filter
// in use, for example).
func NewPcapngWriter(w io.Writer, link uint32, snaplen int, ifname, comment, version string) (*PcapngWriter, error) {
	// NgWriter keeps a *bufio.Writer of at least 4096 bytes as it is.
	bw := bufio.NewWriterSize(w, bufSize)
	ng, err := pcapgo.NewNgWriterInterface(bw,
		pcapgo.NgInterface{Name: ifname, Comment: comment, OS: runtime.GOOS, LinkType: layers.LinkType(link), SnapLength: uint32(snaplen)},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Hardware: runtime.GOARCH, OS: runtime.GOOS, Application: "ikescope " + version}})
	if err != nil {
		return nil, err
	}
	return &PcapngWriter{bw: bw, w: ng, start: time.Now()}, nil
}

// WritePacket appends one packet.
func (w *PcapngWriter) WritePacket(p *Packet) error {
	length := p.Length
	if length < len(p.Data) {
		length = len(p.Data)
	}
	return w.w.WritePacket(gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: length}, p.Data)
}

// Flush writes out what is buffered.
func (w *PcapngWriter) Flush() error { return w.w.Flush() }

// Close writes the capture statistics (an interface statistics block with
// the packets received and dropped) and flushes. It does not close the
// underlying writer.
func (w *PcapngWriter) Close(st LiveStats) error {
	now := time.Now()
	err := w.w.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{LastUpdate: now, StartTime: w.start, EndTime: now,
		PacketsReceived: st.Received, PacketsDropped: st.Dropped + st.IfDropped})
	if ferr := w.w.Flush(); err == nil {
		err = ferr
	}
	return err
}
