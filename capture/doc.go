// Package capture reads packets from pcap and pcapng capture files, and
// captures them live from an interface.
//
// Files are read in pure Go (no libpcap, builds with CGO_ENABLED=0) on top of
// github.com/google/gopacket/pcapgo. Live capture uses AF_PACKET with a kernel
// BPF filter on Linux in the default build, and libpcap
// (github.com/google/gopacket/pcap) in the build tagged libpcap, which also
// takes tcpdump filter expressions and works beyond Linux. A pcapng file's
// interface statistics give FileStats.End: when the capture stopped.
//
// Guarantees:
//
//   - The format is chosen by the magic number, never by the file name:
//     pcap in both byte orders with microsecond (0xa1b2c3d4) or nanosecond
//     (0xa1b23c4d) timestamps, and pcapng (any number of sections and
//     interfaces, mixed link types, both byte orders). A gzip-compressed
//     capture (magic 1f 8b) is decompressed transparently and the inner
//     magic then decides. Anything else is rejected when opening with an
//     error that names the file and wraps [ErrNotCapture].
//   - Packets come out in file order with 1-based frame numbers counted per
//     file (pcapng: one per packet block, as Wireshark counts them).
//     Packet.Data is only valid until the next call to Next.
//   - A file cut in the middle of a record yields every complete packet
//     before the cut, then a [*TruncatedError] giving the byte offset at
//     which the broken record starts. For gzip input the offset is in the
//     decompressed stream, and the decompressor may not hand out the very
//     last bytes before the cut.
//   - Malformed records (captured length above [MaxCapLen], pcapng blocks
//     whose lengths or options do not add up, unknown interface ids, ...)
//     give a [*RecordError] naming the file, the frame and the byte offset;
//     hostile input never makes the reader panic, and never makes it
//     allocate more than [MaxCapLen] for a packet buffer or 16 MiB for a
//     pcapng metadata block. pcapng blocks are checked by this
//     package before pcapgo sees them, because pcapgo's NgReader trusts
//     lengths it reads (it can panic on a bad timestamp resolution, allocate
//     a buffer of any size the file asks for, or lose block sync).
//   - Every error is reported once. After an error, or io.EOF, a single-file
//     Source returns io.EOF; a merged Source drops the failing file and goes
//     on with the others, so callers may log a non-EOF error and keep
//     calling Next until io.EOF.
//   - Reading a packet does not allocate in the steady state: each file is
//     read through a 1 MiB bufio.Reader with pcapgo's ZeroCopyReadPacketData
//     (for pcap and pcapng alike), and the Packet struct is reused.
//   - [OpenMerged] merges several files by timestamp; ties keep the order
//     of the names given. Packet.Source tells which file a packet came from
//     and frame numbers stay per file.
//   - Per-file statistics (packets, first and last timestamp, link types,
//     warnings) are available from every Source returned by this package
//     through the [StatsSource] interface or the [Stats] helper.
//
// gopacket's layers.LinkType is only 8 bits wide, so a link type above 255
// (for example 276, LINKTYPE_LINUX_SLL2) cannot be represented: pcapgo
// truncates it, and so does Packet.LinkType. Packet.Link and
// FileStats.LinkTypes hold the link type numbers as given in the file.
package capture
