// Command synth writes a synthetic capture (see package synth).
//
//	synth -o FILE [-n PACKETS] [-seed N] [-nanos] [-tunnels N] [-clear-qm]
//	synth -windows -o FILE
//	synth -flood init|retransmit|esp [-n PACKETS] [-spis N] -o FILE
//
// With -o - (the default) the capture goes to standard output.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ikescope/ikescope/internal/synth"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "-", "output `file` (- for standard output)")
	n := fs.Int("n", 100000, "number of `packets`")
	seed := fs.Uint64("seed", 1, "random seed")
	nanos := fs.Bool("nanos", false, "write a nanosecond pcap")
	tunnels := fs.Int("tunnels", 0, "number of IPsec tunnels (default 64, at most 120)")
	clearQM := fs.Bool("clear-qm", false, "write IKEv1 quick mode unencrypted")
	rate := fs.Float64("rate", 0, "mean packets per second (default 10000)")
	windows := fs.Bool("windows", false, "write the small Windows IKE sample instead")
	flood := fs.String("flood", "", "write a flood capture instead: init (N unanswered IKE_SA_INIT from N sources), retransmit (one IKE_SA_INIT N times) or esp (N ESP packets over -spis SPIs)")
	spis := fs.Int("spis", 100000, "with -flood esp: number of SPIs")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "synth: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var w io.Writer = stdout
	var f *os.File
	if *out != "-" {
		var err error
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintf(stderr, "synth: %v\n", err)
			return 1
		}
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var err error
	if *flood != "" {
		err = synth.Flood(bw, synth.FloodOptions{Kind: *flood, Packets: *n, SPIs: *spis})
	} else if *windows {
		err = synth.WindowsSample(bw)
	} else {
		var st synth.Stats
		st, err = synth.Write(bw, synth.Options{
			Packets: *n, Seed: *seed, Nanos: *nanos, Tunnels: *tunnels, ClearQuickMode: *clearQM, Rate: *rate,
		})
		if err == nil {
			fmt.Fprintf(stderr, "synth: %d packets, %d bytes: %d IKE (%d v1, %d v2, %d on 4500, %d retransmitted, %d negotiations), "+
				"%d ESP (%d in UDP), %d keepalives, %d TCP (%d SMB probes), %d UDP (%d DNS), %d ICMP, %d IPv6\n",
				st.Packets, st.Bytes, st.IKE, st.IKEv1, st.IKEv2, st.IKENATT, st.Retransmits, st.Negotiations,
				st.ESP, st.ESPUDP, st.Keepalives, st.TCP, st.SMBProbes, st.UDP, st.DNS, st.ICMP, st.IPv6)
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return 1
	}
	return 0
}
