// Command genexpect writes the expectation file of each generated capture
// from the logs of the two daemons that made it:
//
//	go run ./internal/daemonlog/cmd/genexpect testdata/gen/captures
//
// For every NAME.pcapng with NAME.initiator.log and NAME.responder.log
// beside it, NAME.pcapng.expect.json (and NAME.pcap.expect.json, when the
// tcpdump recording NAME.pcap is there) gets one entry per IKE SA the logs
// show, with the verdict class the logs imply, the phase-1 time the
// initiator logged, and no_retransmissions when neither daemon
// retransmitted. Nothing here looks at the capture: the expectations are
// what ikescope's analysis is checked against.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/check"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/internal/daemonlog"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genexpect DIR")
		os.Exit(2)
	}
	caps, err := filepath.Glob(filepath.Join(os.Args[1], "*.pcapng"))
	if err != nil || len(caps) == 0 {
		fmt.Fprintln(os.Stderr, "genexpect: no captures in", os.Args[1])
		os.Exit(3)
	}
	limits, err := readLimits(filepath.Join(os.Args[1], "..", "wire-limits.tsv"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "genexpect:", err)
		os.Exit(1)
	}
	status := 0
	for _, c := range caps {
		if err := write(c, limits); err != nil {
			fmt.Fprintln(os.Stderr, "genexpect:", err)
			status = 1
		}
	}
	os.Exit(status)
}

// limit is a line of wire-limits.tsv: an IKE SA whose fate the logs know
// but the packets cannot show.
type limit struct {
	logClass, wireClass, why string
}

func readLimits(name string) (map[string]limit, error) {
	b, err := os.ReadFile(name)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]limit{}
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("%s:%d: want 5 tab-separated fields", name, i+1)
		}
		m[f[0]+"#"+f[1]] = limit{f[2], f[3], f[4]}
	}
	return m, nil
}

func write(capture string, limits map[string]limit) error {
	base := strings.TrimSuffix(capture, ".pcapng")
	end, err := captureEnd(capture)
	if err != nil {
		return err
	}
	ini, err := parse(base+".initiator.log", end)
	if err != nil {
		return err
	}
	resp, err := parse(base+".responder.log", end)
	if err != nil {
		return err
	}
	x := &check.Expect{Schema: check.Schema, IKESAs: []check.SAExpect{},
		Comment: "written by internal/daemonlog/cmd/genexpect from " + filepath.Base(base) + ".initiator.log and .responder.log (strongSwan charon), not from the capture"}
	for i, o := range daemonlog.Judge(ini, resp) {
		e := check.SAExpect{Comment: o.Reason, Class: o.Class, Mode: o.Mode}
		key := filepath.Base(base) + "#" + strconv.Itoa(i+1)
		if l, ok := limits[key]; ok {
			if l.logClass == o.Class {
				e.Class = l.wireClass
				e.Comment = "logs: " + o.Class + " (" + o.Reason + "); on the wire: " + l.wireClass + ", because " + l.why
				o.Class = l.wireClass
			} else {
				fmt.Fprintf(os.Stderr, "genexpect: %s: wire-limits.tsv expects the logs to say %s, they say %s: entry ignored\n", key, l.logClass, o.Class)
			}
		}
		v := o.Version
		e.Version = &v
		if code := classify.ClassWindowsCode[classify.Class(o.Class)]; code != 0 {
			e.WindowsCode = &code
		}
		if o.Phase1 > 0 {
			ms := float64(o.Phase1.Microseconds()) / 1000
			tol := 250.0
			e.Phase1MS, e.ToleranceMS = &ms, &tol
		}
		if o.Retransmits == 0 {
			t := true
			e.NoRetransmissions = &t
		}
		x.IKESAs = append(x.IKESAs, e)
	}
	b, err := x.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(capture+check.Suffix, b, 0o644); err != nil {
		return err
	}
	// NAME.pcap holds the same packets, recorded at the same time by
	// tcpdump -w as plain pcap with no end-of-capture marker: its verdicts
	// must be the same, so it gets the same expectations.
	if _, err := os.Stat(base + ".pcap"); err != nil {
		return nil
	}
	x.Comment += "; the same expectations as " + filepath.Base(capture) + ": this is the same recording, made at the same time by tcpdump -w (plain pcap, no end-of-capture marker)"
	if b, err = x.Marshal(); err != nil {
		return err
	}
	return os.WriteFile(base+".pcap"+check.Suffix, b, 0o644)
}

// captureEnd is when the capture stopped (pcapng interface statistics), or
// its last packet.
func captureEnd(name string) (time.Time, error) {
	src, err := capture.OpenFile(name)
	if err != nil {
		return time.Time{}, err
	}
	defer src.Close()
	for {
		if _, err := src.Next(); err == io.EOF {
			break
		} else if err != nil {
			return time.Time{}, err
		}
	}
	st := capture.Stats(src)[0]
	if !st.End.IsZero() {
		return st.End, nil
	}
	return st.Last, nil
}

func parse(name string, until time.Time) ([]*daemonlog.SA, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sas, err := daemonlog.Parse(f, until)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return sas, nil
}
