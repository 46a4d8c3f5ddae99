// Command blast replays the frames of a capture out of a network interface
// as fast as it can, or at a given rate, in batches. It is the sender of
// internal/bench/live.sh (SENDER=blast): tcpreplay, which makes one system
// call per packet, cannot offer more than about 340 000 packets/s into a
// veth on the project's machine.
//
//	blast -i IFACE [-pps N] [-loop N] [-duration D] [-method mmsg|ring] [-batch N] FILE
//
// The capture (pcap or pcapng, Ethernet frames) is read into memory first,
// with capture.OpenFile. Then the frames are sent in file order, their
// timestamps ignored, through an AF_PACKET SOCK_RAW socket, with one of:
//
//   - mmsg: sendmmsg(2), up to -batch frames a system call, each frame
//     copied into a new socket buffer (packet_snd);
//   - ring: a TPACKET_V2 transmit ring (PACKET_TX_RING): -batch frames
//     are copied into the ring and one send(2) sends them all; the kernel
//     builds each socket buffer around the ring's pages.
//
// Both set PACKET_QDISC_BYPASS unless -qdisc-bypass=false.
//
// With -pps N the frames are paced: a batch goes out once it is due at N
// packets/s counted from the start, smaller batches at low rates (what one
// -slice of time holds); a late batch is made up at once, so the mean rate
// is N as long as the sender can keep up. -pps 0 sends as fast as it can.
//
// The run ends after -loop passes over the capture (0: no limit), after
// -duration, or on SIGINT or SIGTERM, whichever comes first. It prints,
// on standard output, the frames and bytes sent, the time taken, the rate,
// the send errors, and its own CPU time. A send that fails with ENOBUFS or
// EAGAIN (the device had no room: a veth whose peer's NAPI queue is full)
// is counted and tried again, and so is a sendmmsg call that sent fewer
// frames than it was given ("short": a later frame failed, and sendmmsg
// does not say why), until no frame could be sent for 5 s; any other
// error ends the run. Frames are never skipped, so the receiver sees the
// capture's frames in order.
//
// Frames shorter than an Ethernet header or longer than the interface's
// MTU allows (plus the 14-byte header) are not sent, and are counted when
// the capture is loaded. blast sends on whatever interface it is given:
// run it inside a network namespace, on a veth, as live.sh does.
//
// Linux only. It needs root or CAP_NET_RAW (and CAP_NET_ADMIN for its
// 8 MiB send buffer; without it the buffer is capped at
// net.core.wmem_max).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ikescope/ikescope/capture"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// maxBatch bounds -batch (UIO_MAXIOV is 1024 for sendmmsg).
const maxBatch = 1024

// giveUp is how long retryable send errors in a row, with no frame sent,
// may go on before they end the run.
const giveUp = 5 * time.Second

type options struct {
	ifname   string
	file     string
	rate     int64
	loops    int
	duration time.Duration
	method   string
	batch    int
	bypass   bool
	slice    time.Duration
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("blast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.ifname, "i", "", "send out of `interface` (required)")
	fs.Int64Var(&o.rate, "pps", 0, "send at `rate` packets per second (0: as fast as possible)")
	fs.IntVar(&o.loops, "loop", 1, "pass over the capture `N` times (0: until -duration or a signal)")
	fs.DurationVar(&o.duration, "duration", 0, "stop after `time` (0: no limit)")
	fs.StringVar(&o.method, "method", "mmsg", "send with `mmsg` (sendmmsg) or ring (TPACKET_V2 TX ring)")
	fs.IntVar(&o.batch, "batch", 128, "send up to `N` frames a system call (1 to 1024)")
	fs.BoolVar(&o.bypass, "qdisc-bypass", true, "set PACKET_QDISC_BYPASS")
	fs.DurationVar(&o.slice, "slice", time.Millisecond, "with -pps, send at least what one `slice` of time holds at a time, up to -batch")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: blast -i IFACE [flags] FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 || o.ifname == "" {
		fs.Usage()
		return 2
	}
	o.file = fs.Arg(0)
	switch {
	case o.rate < 0 || o.rate > maxRate:
		fmt.Fprintf(stderr, "blast: -pps must be between 0 and %d\n", maxRate)
		return 2
	case o.batch < 1 || o.batch > maxBatch:
		fmt.Fprintf(stderr, "blast: -batch must be between 1 and %d\n", maxBatch)
		return 2
	case o.loops < 0 || o.duration < 0 || o.slice <= 0:
		fmt.Fprintln(stderr, "blast: -loop and -duration must not be negative, -slice must be positive")
		return 2
	}
	if err := blast(o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "blast: %v\n", err)
		return 1
	}
	return 0
}

// load reads the Ethernet frames of file into one block of memory. It
// skips frames that are not Ethernet, shorter than a MAC header or longer
// than maxLen.
func load(file string, maxLen int, stderr io.Writer) (frames [][]byte, largest, skipped int, err error) {
	src, err := capture.OpenFile(file)
	if err != nil {
		return nil, 0, 0, err
	}
	defer src.Close()
	var mem []byte
	if st, err := os.Stat(file); err == nil && st.Mode().IsRegular() {
		mem = make([]byte, 0, st.Size()) // the frames take less than the file
	}
	var ends []int
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var te *capture.TruncatedError
		if errors.As(err, &te) {
			// What was read before the cut is still sent.
			fmt.Fprintf(stderr, "blast: %v\n", err)
			break
		}
		if err != nil {
			return nil, 0, 0, err
		}
		if p.Link != capture.LinkEthernet || len(p.Data) < 14 || len(p.Data) > maxLen {
			skipped++
			continue
		}
		mem = append(mem, p.Data...)
		ends = append(ends, len(mem))
		largest = max(largest, len(p.Data))
	}
	// Cut the frames only now: mem may have moved while it grew.
	frames = make([][]byte, len(ends))
	start := 0
	for i, end := range ends {
		frames[i] = mem[start:end:end]
		start = end
	}
	return frames, largest, skipped, nil
}

func blast(o options, stdout, stderr io.Writer) error {
	ifc, err := net.InterfaceByName(o.ifname)
	if err != nil {
		return fmt.Errorf("interface %s: %w", o.ifname, err)
	}
	frames, largest, skipped, err := load(o.file, ifc.MTU+14, stderr)
	if err != nil {
		return err
	}
	var bytes int64
	for _, f := range frames {
		bytes += int64(len(f))
	}
	fmt.Fprintf(stderr, "blast: %s: %d frames, %d bytes, largest %d", o.file, len(frames), bytes, largest)
	if skipped > 0 {
		fmt.Fprintf(stderr, "; %d skipped (not Ethernet, or too short or long for %s, MTU %d)", skipped, o.ifname, ifc.MTU)
	}
	fmt.Fprintln(stderr)
	if len(frames) == 0 {
		return errors.New("nothing to send")
	}
	s, err := openSender(ifc, o.method, o.batch, o.bypass, largest)
	if err != nil {
		return fmt.Errorf("%s: %w", o.ifname, err)
	}
	defer s.close()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(stop)

	var (
		p       = pacer{o.rate}
		wait    = p.batchDue(o.batch, o.slice) // packets to wait for before sending, when pacing
		sent    int64
		sentB   int64
		errs    = map[string]int64{}
		failing time.Time // when the current run of send errors began
		pos     int       // next frame
		loop    int       // passes done
		sendErr error
	)
	user0, sys0 := cpuTime()
	start := time.Now()
send:
	for o.loops == 0 || loop < o.loops {
		select {
		case <-stop:
			break send
		default:
		}
		n := o.batch
		if o.rate > 0 || o.duration > 0 {
			el := time.Since(start)
			if o.duration > 0 && el >= o.duration {
				break send
			}
			if o.rate > 0 {
				due := p.due(el) - sent
				if due < int64(wait) {
					time.Sleep(p.at(sent+int64(wait)) - el)
					continue
				}
				n = int(min(due, int64(o.batch)))
			}
		}
		b := frames[pos:min(pos+n, len(frames))]
		for len(b) > 0 {
			k, err := s.send(b)
			for _, f := range b[:k] {
				sentB += int64(len(f))
			}
			sent += int64(k)
			b = b[k:]
			if err == nil {
				failing = time.Time{}
				continue
			}
			if !retryable(err) {
				sendErr = err
				break send
			}
			errs[errName(err)]++
			if k > 0 || failing.IsZero() {
				failing = time.Now()
			} else if time.Since(failing) > giveUp {
				sendErr = fmt.Errorf("no frame sent for %v: %w", giveUp, err)
				break send
			}
		}
		if pos += n; pos >= len(frames) {
			pos = 0
			loop++
		}
	}
	elapsed := time.Since(start)
	user1, sys1 := cpuTime()

	secs := elapsed.Seconds()
	var nerr int64
	var names []string
	for name, c := range errs {
		nerr += c
		names = append(names, fmt.Sprintf("%s %d", name, c))
	}
	sort.Strings(names)
	errText := fmt.Sprint(nerr)
	if nerr > 0 {
		errText += " (" + strings.Join(names, ", ") + "; each tried again)"
	}
	fmt.Fprintf(stdout, "interface: %s\n", o.ifname)
	fmt.Fprintf(stdout, "method:    %s\n", s.describe())
	if o.rate > 0 {
		fmt.Fprintf(stdout, "paced:     %d packets/s, waiting for %d at a time\n", o.rate, wait)
	}
	fmt.Fprintf(stdout, "sent:      %d packets, %d bytes\n", sent, sentB)
	fmt.Fprintf(stdout, "elapsed:   %.3f s\n", secs)
	fmt.Fprintf(stdout, "rate:      %.0f packets/s, %.1f Mbit/s\n", float64(sent)/secs, float64(sentB)*8/secs/1e6)
	fmt.Fprintf(stdout, "errors:    %s\n", errText)
	fmt.Fprintf(stdout, "cpu:       %.2f s user, %.2f s system\n", (user1 - user0).Seconds(), (sys1 - sys0).Seconds())
	if sendErr != nil {
		return fmt.Errorf("%s: sending: %w", o.ifname, sendErr)
	}
	return nil
}

func errName(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOBUFS:
			return "ENOBUFS"
		case syscall.EAGAIN:
			return "EAGAIN"
		}
	}
	if errors.Is(err, errShort) {
		return "short"
	}
	return err.Error()
}
