//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/bpf"

	"github.com/ikescope/ikescope/capture"
)

// TestLiveMeasure replays a capture into a veth at full speed (and, with
// IKESCOPE_MEASURE_PACED=1, at the capture's own pace) while `ikescope
// live` runs under /usr/bin/time -v on the other end, and logs packets/s,
// kernel drops, peak RSS and how long after the final packet the last
// verdict line came. It only runs when asked:
//
//	go run ./internal/synth/cmd/synth -n 200000 -o /tmp/s.pcap
//	IKESCOPE_MEASURE_PCAP=/tmp/s.pcap go test -run TestLiveMeasure -v ./cmd/ikescope/
//
// IKESCOPE_MEASURE_GIVEUP sets --give-up (default 2s; "default" for the
// profile's 100 s); IKESCOPE_MEASURE_ONLYPASS=1 replays only the frames the
// kernel filter passes, so that every frame offered reaches the analysis.
func TestLiveMeasure(t *testing.T) {
	name := os.Getenv("IKESCOPE_MEASURE_PCAP")
	if name == "" {
		t.Skip("set IKESCOPE_MEASURE_PCAP to a capture to replay")
	}
	timeTool, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		t.Skip("/usr/bin/time not installed")
	}
	frames, times := readFrames(t, name)
	giveUp := os.Getenv("IKESCOPE_MEASURE_GIVEUP")
	if giveUp == "" {
		giveUp = "2s"
	}
	paced := os.Getenv("IKESCOPE_MEASURE_PACED") == "1"
	v := newVethPair(t)
	args := []string{"-T", "jsonl", "--stats", "20ms"}
	if giveUp != "default" {
		args = append(args, "--give-up", giveUp)
	}
	p := startLive(t, v, []string{timeTool, "-v"}, args...)
	p.patience = 5 * time.Minute // the default give-up gap is 100 s
	p.waitFor(t, "the capture to start", func(_, errs []string) bool { return hasLine(errs, "listening on "+v.ifB) })
	snd := v.sender(t)

	pass := 0
	prog, err := capture.BuiltinFilter(capture.LinkEthernet, capture.DefaultSnaplen, nil)
	if err != nil {
		t.Fatal(err)
	}
	ins, _ := bpf.Disassemble(prog)
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatal(err)
	}
	onlyPass := os.Getenv("IKESCOPE_MEASURE_ONLYPASS") == "1"
	kept, keptT := frames[:0], times[:0]
	for i, f := range frames {
		if n, _ := vm.Run(f); n > 0 {
			pass++
		} else if onlyPass {
			continue
		}
		kept, keptT = append(kept, f), append(keptT, times[i])
	}
	frames, times = kept, keptT
	backlog0 := softnetDrops(t)
	start := time.Now()
	for i, f := range frames {
		if paced {
			if d := times[i].Sub(times[0]) - time.Since(start); d > 0 {
				time.Sleep(d)
			}
		}
		if err := snd.send(f); err != nil {
			t.Fatal(err)
		}
	}
	lastSent := time.Now()
	sendDur := lastSent.Sub(start)

	// Caught up: the capture has analysed everything the kernel kept, and
	// nothing more comes; then find when the count first reached that.
	var st measureStats
	p.waitFor(t, "the analysis to catch up", func(out, _ []string) bool {
		if time.Since(lastSent) < time.Second {
			return false
		}
		for i := len(out) - 1; i >= 0; i-- {
			if s, ok := parseStats(out[i]); ok {
				st = s
				return s.Packets > 0 && uint64(s.Packets) >= s.Received-s.Dropped
			}
		}
		return false
	})
	backlogDrops := softnetDrops(t) - backlog0
	var caughtUp time.Time
	p.mu.Lock()
	for i, l := range p.out {
		if s, ok := parseStats(l); ok && s.Packets >= st.Packets {
			caughtUp = p.outT[i]
			break
		}
	}
	p.mu.Unlock()
	// All verdicts out: no SA left live.
	p.waitFor(t, "every SA to get its verdict", func(out, _ []string) bool {
		for i := len(out) - 1; i >= 0; i-- {
			if s, ok := parseStats(out[i]); ok {
				return s.LiveSAs == 0 && s.Verdicts > 0
			}
		}
		return false
	})
	p.mu.Lock()
	var lastVerdict time.Time
	verdicts := 0
	for i, l := range p.out {
		if strings.Contains(l, `"type":"sa_verdict"`) {
			verdicts++
			lastVerdict = p.outT[i]
		}
	}
	p.mu.Unlock()

	// SIGINT goes to ikescope, the child of time (ip netns exec execs it).
	kids, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/task/" + strconv.Itoa(p.cmd.Process.Pid) + "/children")
	if err != nil || len(bytes.Fields(kids)) != 1 {
		t.Fatalf("cannot find ikescope under time: %q %v", kids, err)
	}
	pid, _ := strconv.Atoi(string(bytes.Fields(kids)[0]))
	ik, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	ik.Signal(os.Interrupt)
	<-p.done
	var final measureStats
	for _, l := range strings.Split(p.stdout(), "\n") {
		if s, ok := parseStats(l); ok {
			final = s
		}
	}
	tv := map[string]string{}
	for _, l := range strings.Split(p.stderr(), "\n") {
		for _, k := range []string{"Maximum resident set size", "User time", "System time", "Percent of CPU"} {
			if strings.Contains(l, k) {
				tv[k] = strings.TrimSpace(l[strings.LastIndexByte(l, ':')+1:])
			}
		}
	}
	handled := float64(st.Packets) / caughtUp.Sub(start).Seconds()
	t.Logf("replayed %d frames in %v (%.0f frames/s offered%s)", len(frames), sendDur.Round(time.Millisecond),
		float64(len(frames))/sendDur.Seconds(), map[bool]string{true: ", paced", false: ", full speed"}[paced])
	t.Logf("analysed %d packets (%d IKE, %d ESP) by %v after the first: %.0f packets/s handled",
		st.Packets, st.IKE, st.ESP, caughtUp.Sub(start).Round(time.Millisecond), handled)
	t.Logf("kernel: %d of the %d frames the filter passes reached the socket, %d dropped there (final: %d/%d); %d dropped before it (netdev backlog)",
		st.Received, pass, st.Dropped, final.Received, final.Dropped, backlogDrops)
	t.Logf("%d verdicts; the last came %v after the final packet (--give-up %s)", verdicts,
		lastVerdict.Sub(lastSent).Round(time.Millisecond), giveUp)
	t.Logf("peak RSS %s kB, CPU %s s user + %s s system over the whole run (/usr/bin/time -v); exit status %d",
		tv["Maximum resident set size"], tv["User time"], tv["System time"], p.exitStatus)
	if p.exitStatus != 0 || final.Packets == 0 {
		t.Errorf("ikescope: exit %d\n%s", p.exitStatus, p.stderr())
	}
}

type measureStats struct {
	Type     string `json:"type"`
	Packets  int    `json:"packets"`
	IKE      int    `json:"ike"`
	ESP      int    `json:"esp"`
	LiveSAs  int    `json:"live_sas"`
	Verdicts int    `json:"verdicts"`
	Received uint64 `json:"capture_received"`
	Dropped  uint64 `json:"capture_dropped"`
}

func parseStats(line string) (measureStats, bool) {
	if !strings.Contains(line, `"type":"stats"`) {
		return measureStats{}, false
	}
	var s measureStats
	return s, json.Unmarshal([]byte(line), &s) == nil
}

func readFrames(t *testing.T, name string) ([][]byte, []time.Time) {
	t.Helper()
	src, err := capture.OpenFile(name)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var frames [][]byte
	var times []time.Time
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Link != capture.LinkEthernet {
			t.Fatalf("%s: link type %d, want Ethernet", name, p.Link)
		}
		frames = append(frames, append([]byte(nil), p.Data...))
		times = append(times, p.Time)
	}
	return frames, times
}

// softnetDrops adds up the per-CPU backlog drops of /proc/net/softnet_stat
// (second column, hex): frames lost before any packet socket saw them.
func softnetDrops(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/net/softnet_stat")
	if err != nil {
		return 0
	}
	var n uint64
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 1 {
			v, _ := strconv.ParseUint(f[1], 16, 64)
			n += v
		}
	}
	return n
}
