package main

import (
	"bufio"
	"errors"
	"io"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/decode"
	"github.com/ikescope/ikescope/report"
)

// inputFlags are the flags shared by commands that read captures.
type inputFlags struct {
	read      []string
	count     int
	ikePorts  []uint
	nattPorts []uint
}

func (in *inputFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&in.read, "read", "r", nil, "read packets from `FILE` (pcap or pcapng, optionally gzip-compressed; - for stdin); repeatable, or give files as arguments")
	fs.IntVarP(&in.count, "count", "c", 0, "stop after `N` packets (0: no limit)")
	fs.UintSliceVar(&in.ikePorts, "ike-port", nil, "extra UDP `PORT`s that carry IKE (without non-ESP marker)")
	fs.UintSliceVar(&in.nattPorts, "natt-port", nil, "extra UDP `PORT`s that carry NAT-T (marker, keepalive, ESP)")
	fs.BoolP("numeric", "n", true, "do not resolve addresses (always the case; accepted for tcpdump compatibility)")
}

// each hands fn every packet of src, up to --count, and returns how many
// it handed over and exitOK, or exitDamaged after a read error. An error
// is reported and ends a single file; a merged source goes on with its
// other files (everything before the error was handed over already).
func (in *inputFlags) each(src capture.Source, files []string, stderr io.Writer, fn func(*capture.Packet)) (int, int) {
	status, n := exitOK, 0
	for in.count == 0 || n < in.count {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			warn(stderr, err.Error())
			status = exitDamaged
			if len(files) == 1 {
				break
			}
			continue
		}
		n++
		fn(p)
	}
	return status, n
}

// open opens the inputs, registering extra ports first. It returns the
// source and the file names, or an exit code.
func (in *inputFlags) open(args []string, stdin io.Reader, stderr io.Writer) (capture.Source, []string, int) {
	for _, p := range append(append([]uint(nil), in.ikePorts...), in.nattPorts...) {
		if p == 0 || p > 65535 {
			warn(stderr, "port "+strconv.FormatUint(uint64(p), 10)+" out of range")
			return nil, nil, exitUsage
		}
	}
	for _, p := range in.ikePorts {
		decode.RegisterIKEPort(uint16(p))
	}
	for _, p := range in.nattPorts {
		decode.RegisterNATTPort(uint16(p))
	}
	files := append(append([]string(nil), in.read...), args...)
	if len(files) == 0 {
		warn(stderr, "no capture given (use -r FILE, a file argument, or -r - for stdin)")
		return nil, nil, exitUsage
	}
	var src capture.Source
	var err error
	if len(files) == 1 && files[0] == "-" {
		src, err = capture.OpenReader("-", stdin)
	} else {
		for _, f := range files {
			if f == "-" {
				warn(stderr, "stdin (-) cannot be merged with other captures")
				return nil, nil, exitUsage
			}
		}
		src, err = capture.OpenMerged(files)
	}
	if err != nil {
		warn(stderr, err.Error())
		return nil, nil, exitNoInput
	}
	return src, files, exitOK
}

func newFlagSet(name, synopsis string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.Usage = func() {
		io.WriteString(fs.Output(), "usage: ikescope "+synopsis+"\n\nflags:\n"+fs.FlagUsages()+
			"\nexit status: 0 the run finished, 1 a check failed, 2 usage error,\n3 input could not be read at all, 4 the run finished but the input was damaged\n")
	}
	return fs
}

// parseFlags parses args; done is true when the command should return code.
// --help prints the usage to stdout (once: pflag's own call is silenced);
// a bad flag prints the error and the usage to stderr.
func parseFlags(fs *pflag.FlagSet, args []string, stdout io.Writer) (done bool, code int) {
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, pflag.ErrHelp):
		fs.SetOutput(stdout)
		usage()
		return true, exitOK
	case err != nil:
		io.WriteString(fs.Output(), "ikescope "+fs.Name()+": "+err.Error()+"\n")
		usage()
		return true, exitUsage
	}
	return false, exitOK
}

type decodeCounts struct {
	packets, ike, esp, keepalive, fragments, other, malformed, ikeErrors int
}

func runDecode(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("decode", "decode [flags] CAPTURE...", stderr)
	var in inputFlags
	in.register(fs)
	verbose := fs.BoolP("verbose", "v", false, "print every payload, proposal, transform and attribute")
	format := fs.StringP("format", "T", "text", "output `FORMAT`: text or json (one object per packet)")
	var kf keyFlags
	kf.register(fs)
	if done, code := parseFlags(fs, args, stdout); done {
		return code
	}
	keys, code := kf.load(stderr)
	if code != exitOK {
		return code
	}
	dx := decrypter(keys)
	if *format != "text" && *format != "json" {
		warn(stderr, "unknown format "+strconv.Quote(*format)+" (want text or json)")
		return exitUsage
	}
	src, files, code := in.open(fs.Args(), stdin, stderr)
	if src == nil {
		return code
	}
	defer src.Close()

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	d := decode.NewDecoder()
	var innerDec *decode.Decoder
	defer decryptSummary(stderr, dx)
	var n decodeCounts
	status, _ := in.each(src, files, stderr, func(p *capture.Packet) {
		n.packets++
		f := d.Decode(p.Link, p.Data, p.Time, p.Frame)
		m := report.Meta{Frame: p.Frame, Time: p.Time}
		if len(files) > 1 {
			m.File = files[p.Source]
		}
		switch f.Kind {
		case decode.KindIKE:
			n.ike++
			if f.IKEErr != nil {
				n.ikeErrors++
				warn(stderr, location(files, p)+": ike: "+report.EscapeString(f.IKEErr.Error()))
			}
			if dx != nil && f.IKE != nil {
				if _, err := dx.Decrypt(f.IKE, f.IKEBytes); err != nil {
					f.IKE.Anomalies = append(f.IKE.Anomalies, err)
					warn(stderr, location(files, p)+": decrypt: "+report.EscapeString(err.Error()))
				}
			}
		case decode.KindESP:
			n.esp++
		case decode.KindKeepalive:
			n.keepalive++
		case decode.KindFragment:
			n.fragments++
			return
		case decode.KindMalformed:
			n.malformed++
			return
		default:
			n.other++
			return
		}
		var espInner string
		if dx != nil && f.Kind == decode.KindESP {
			espInner = decryptESPLine(dx, &innerDec, f, func(err error) {
				warn(stderr, location(files, p)+": decrypt: "+report.EscapeString(err.Error()))
			})
		}
		switch {
		case *format == "json":
			out.Write(report.MarshalLine(report.DecodeJSON(m, f)))
		case *verbose:
			report.DecodeTree(out, m, f)
		default:
			report.DecodeLine(out, m, f)
		}
		if espInner != "" && *format != "json" {
			out.WriteString("    decrypted: " + espInner + "\n")
		}
	})
	for _, dg := range d.Pending() {
		msg := "incomplete IP datagram " + dg.Src.String() + " > " + dg.Dst.String() + " id " + strconv.FormatUint(uint64(dg.ID), 10) +
			": " + strconv.Itoa(len(dg.Fragments)) + " fragment(s) seen, missing bytes"
		for _, g := range dg.Missing() {
			if g[1] < 0 {
				msg += " " + strconv.Itoa(g[0]) + "-end"
			} else {
				msg += " " + strconv.Itoa(g[0]) + "-" + strconv.Itoa(g[1])
			}
		}
		if dg.IKE != nil {
			msg += " (IKE " + dg.IKE.ExchangeName() + " ispi " + strconv.FormatUint(dg.IKE.InitSPI, 16) + ", " + strconv.Itoa(dg.IKELen) + " bytes)"
		}
		warn(stderr, msg)
		if *format == "json" {
			out.Write(report.MarshalLine(struct {
				Kind     string               `json:"kind"`
				Src      string               `json:"src"`
				Dst      string               `json:"dst"`
				Datagram *report.DatagramJSON `json:"incomplete"`
			}{"lost_fragments", dg.Src.String(), dg.Dst.String(), report.DatagramToJSON(dg)}))
		}
	}
	out.Flush()
	warn(stderr, strconv.Itoa(n.packets)+" packets: "+strconv.Itoa(n.ike)+" IKE ("+strconv.Itoa(n.ikeErrors)+" malformed), "+
		strconv.Itoa(n.esp)+" ESP, "+strconv.Itoa(n.keepalive)+" NAT-T keepalive, "+strconv.Itoa(n.fragments)+" IP fragments, "+
		strconv.Itoa(n.other)+" other skipped, "+strconv.Itoa(n.malformed)+" undecodable")
	return status
}

func location(files []string, p *capture.Packet) string {
	return files[p.Source] + ": frame " + strconv.Itoa(p.Frame)
}
