//go:build linux

package main

// End-to-end tests of `ikescope live` on a veth pair between two network
// namespaces made by the test. Only documentation addresses are used, and
// no address is configured on either end: the frames written into one end
// are captured on the other and then dropped by that namespace's stack.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/ikescope/ikescope/capture"
)

// requireNetns is set when the end-to-end tests must run (CI on a machine
// known to allow namespaces): they fail instead of skipping.
var requireNetns = os.Getenv("IKESCOPE_REQUIRE_NETNS") == "1"

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if requireNetns {
		t.Fatalf("IKESCOPE_REQUIRE_NETNS=1: %s", msg)
	}
	t.Skipf("%s (set IKESCOPE_REQUIRE_NETNS=1 to make this a failure)", msg)
}

// vethPair is two namespaces joined by a veth: A (where frames are written)
// and B (where ikescope captures).
type vethPair struct {
	nsA, nsB   string
	ifA, ifB   string
	macA, macB net.HardwareAddr
	ipPath     string
}

func newVethPair(t *testing.T) *vethPair {
	t.Helper()
	if runtime.GOOS != "linux" {
		skipOrFail(t, "network namespaces need Linux")
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "not root: cannot create network namespaces")
	}
	ipPath, err := exec.LookPath("ip")
	if err != nil {
		skipOrFail(t, "iproute2 (ip) not installed")
	}
	id := strconv.Itoa(os.Getpid() % 100000)
	// "iklive": not the "iks" prefix of testdata/gen, whose namespaces may
	// exist at the same time.
	v := &vethPair{nsA: "iklive" + id + "a", nsB: "iklive" + id + "b", ifA: "iklive" + id + "a0", ifB: "iklive" + id + "b0", ipPath: ipPath}
	ip := func(args ...string) error {
		out, err := exec.Command(ipPath, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
		return nil
	}
	if err := ip("netns", "add", v.nsA); err != nil {
		skipOrFail(t, "cannot create a network namespace: %v", err)
	}
	t.Cleanup(func() { delNetns(t, ip, v.nsA) })
	if err := ip("netns", "add", v.nsB); err != nil {
		skipOrFail(t, "cannot create a network namespace: %v", err)
	}
	t.Cleanup(func() { delNetns(t, ip, v.nsB) })
	steps := [][]string{
		{"link", "add", v.ifA, "netns", v.nsA, "type", "veth", "peer", "name", v.ifB, "netns", v.nsB},
		// No IPv6 on either end: no router or neighbour solicitations.
		{"netns", "exec", v.nsA, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"},
		{"netns", "exec", v.nsB, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"},
		// Jumbo MTU: replayed captures may hold frames a little over 1514
		// bytes (VLAN tags).
		{"-n", v.nsA, "link", "set", v.ifA, "address", "02:00:00:00:00:0a", "mtu", "9000", "up"},
		{"-n", v.nsB, "link", "set", v.ifB, "address", "02:00:00:00:00:0b", "mtu", "9000", "up"},
		{"-n", v.nsB, "link", "set", "lo", "up"}, // for --metrics-addr 127.0.0.1:0
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			if s[0] == "netns" { // sysctl missing: not fatal
				t.Log(err)
				continue
			}
			skipOrFail(t, "cannot set up the veth pair: %v", err)
		}
	}
	v.macA, _ = net.ParseMAC("02:00:00:00:00:0a")
	v.macB, _ = net.ParseMAC("02:00:00:00:00:0b")
	return v
}

// inNetns runs f on an OS thread switched into the named namespace. The
// thread is not given back to the Go scheduler afterwards (it ends with the
// goroutine), so no other goroutine ever runs in that namespace.
func inNetns(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread is thrown away when we return.
		h, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer h.Close()
		if err := unix.Setns(int(h.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// sender writes frames into an interface of a namespace with an AF_PACKET
// socket.
type sender struct{ fd int }

func (v *vethPair) sender(t *testing.T) *sender {
	t.Helper()
	s := &sender{fd: -1}
	err := inNetns(v.nsA, func() error {
		ifi, err := net.InterfaceByName(v.ifA)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi.Index}); err != nil {
			unix.Close(fd)
			return err
		}
		// A large send buffer, so that a fast replay does not block on it.
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 32<<20)
		s.fd = fd
		return nil
	})
	if err != nil {
		t.Fatalf("sender socket in %s: %v", v.nsA, err)
	}
	t.Cleanup(func() { unix.Close(s.fd) })
	return s
}

func (s *sender) send(frame []byte) error {
	for {
		_, err := unix.Write(s.fd, frame)
		if err == unix.ENOBUFS || err == unix.EAGAIN || err == unix.EINTR {
			time.Sleep(50 * time.Microsecond)
			continue
		}
		return err
	}
}

// addrMap rewrites the sample's private addresses to documentation ones.
var addrMap = map[string]net.IP{
	"192.168.140.205": net.IPv4(192, 0, 2, 205).To4(),
	"192.168.140.200": net.IPv4(198, 51, 100, 200).To4(),
}

// rewriteSample returns the frames of the sample capture with documentation
// addresses and the given MACs, checksums fixed, and writes them with their
// original timestamps to a pcap in dir.
func rewriteSample(t *testing.T, dir string, src, dst net.HardwareAddr) ([][]byte, string) {
	t.Helper()
	in, err := capture.OpenFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var frames [][]byte
	var times []time.Time
	for {
		p, err := in.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pk := gopacket.NewPacket(p.Data, layers.LayerTypeEthernet, gopacket.NoCopy)
		eth, _ := pk.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		ip4, _ := pk.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if eth == nil || ip4 == nil {
			t.Fatalf("frame %d of the sample is not Ethernet/IPv4", p.Frame)
		}
		e := *eth
		ip := *ip4
		fromA := ip.SrcIP.String() == "192.168.140.205"
		for _, a := range []*net.IP{&ip.SrcIP, &ip.DstIP} {
			n, ok := addrMap[a.String()]
			if !ok {
				t.Fatalf("frame %d: unexpected address %v", p.Frame, *a)
			}
			*a = n
		}
		e.SrcMAC, e.DstMAC = src, dst
		if !fromA {
			e.SrcMAC, e.DstMAC = dst, src
		}
		ls := []gopacket.SerializableLayer{&e, &ip}
		if u, ok := pk.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			uc := *u
			uc.SetNetworkLayerForChecksum(&ip)
			ls = append(ls, &uc, gopacket.Payload(u.Payload))
		} else {
			ls = append(ls, gopacket.Payload(ip4.Payload))
		}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, append([]byte(nil), buf.Bytes()...))
		times = append(times, p.Time)
	}
	name := filepath.Join(dir, "sample-doc.pcap")
	writePcap(t, name, frames, times)
	return frames, name
}

func writePcap(t *testing.T, name string, frames [][]byte, times []time.Time) {
	t.Helper()
	var b bytes.Buffer
	le := func(v uint32) { b.Write([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}) }
	le(0xa1b2c3d4)
	b.Write([]byte{2, 0, 4, 0})
	le(0)
	le(0)
	le(65535)
	le(1)
	for i, f := range frames {
		le(uint32(times[i].Unix()))
		le(uint32(times[i].Nanosecond() / 1000))
		le(uint32(len(f)))
		le(uint32(len(f)))
		b.Write(f)
	}
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildRace is set under go test -race (live_race_test.go): the binary is
// built with -race too.
var buildRace bool

var (
	binMu sync.Mutex
	bins  = map[*testing.T]string{}
)

// ikescopeBinary builds ikescope into the test's temporary directory (once
// per test), with the tests' build tags, and with -race when the tests run
// with it.
func ikescopeBinary(t *testing.T) string {
	t.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	if b, ok := bins[t]; ok {
		return b
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building ikescope: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "ikescope")
	args := []string{"build", "-o", bin}
	if len(buildTags) > 0 {
		args = append(args, "-tags", strings.Join(buildTags, ","))
	}
	if buildRace {
		args = append(args, "-race")
	}
	out, err := exec.Command(goTool, append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bins[t] = bin
	t.Cleanup(func() {
		binMu.Lock()
		delete(bins, t)
		binMu.Unlock()
	})
	return bin
}

// proc is a running ikescope with its output collected line by line.
type proc struct {
	cmd        *exec.Cmd
	mu         sync.Mutex
	out, errs  []string
	outT       []time.Time // arrival time of each stdout line
	done       chan struct{}
	exitStatus int
	// patience bounds waitFor (default 90 s); a safety net, not a timing
	// assertion.
	patience time.Duration
}

func startLive(t *testing.T, v *vethPair, wrap []string, args ...string) *proc {
	t.Helper()
	bin := ikescopeBinary(t)
	argv := append(append([]string(nil), wrap...), v.ipPath, "netns", "exec", v.nsB, bin, "live", "-i", v.ifB)
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	// A process group of its own, so that a failed test can kill ikescope
	// under a wrapper (time) too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	p := &proc{cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	read := func(r io.Reader, out bool) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			p.mu.Lock()
			if out {
				p.out = append(p.out, sc.Text())
				p.outT = append(p.outT, time.Now())
			} else {
				p.errs = append(p.errs, sc.Text())
			}
			p.mu.Unlock()
		}
	}
	wg.Add(2)
	go read(stdout, true)
	go read(stderr, false)
	go func() {
		wg.Wait()
		err := cmd.Wait()
		p.exitStatus = cmd.ProcessState.ExitCode()
		if err != nil && p.exitStatus == 0 {
			p.exitStatus = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

// waitFor polls until cond holds on the output so far or the process ends;
// the deadline is a safety net, not a timing assertion.
func (p *proc) waitFor(t *testing.T, what string, cond func(out, errs []string) bool) {
	t.Helper()
	patience := p.patience
	if patience == 0 {
		patience = 90 * time.Second
	}
	deadline := time.Now().Add(patience)
	for {
		p.mu.Lock()
		ok := cond(p.out, p.errs)
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-p.done:
			p.mu.Lock()
			ok = cond(p.out, p.errs)
			p.mu.Unlock()
			if ok {
				return
			}
			t.Fatalf("ikescope exited (status %d) before %s\nstdout:\n%s\nstderr:\n%s", p.exitStatus, what, p.stdout(), p.stderr())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s\nstdout:\n%s\nstderr:\n%s", what, p.stdout(), p.stderr())
		}
	}
}

func (p *proc) stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.out, "\n")
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.errs, "\n")
}

func (p *proc) interrupt(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("ikescope did not stop after SIGINT\nstderr:\n%s", p.stderr())
	}
	return p.exitStatus
}

func hasLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// saSummary is the part of an sa_verdict line that must not depend on
// timing: who, which SPIs, which exchanges with how many messages, and the
// class.
type saSummary struct {
	Class, Mode, Initiator, Responder, ISPI, RSPI string
	Version                                       int
	Exchanges                                     string
	ESPPackets                                    uint64
}

func summarize(t *testing.T, line string) saSummary {
	t.Helper()
	var v struct {
		Type  string `json:"type"`
		IKESA struct {
			Version      int    `json:"version"`
			Mode         string `json:"mode"`
			Initiator    string `json:"initiator"`
			Responder    string `json:"responder"`
			InitiatorSPI string `json:"initiator_spi"`
			ResponderSPI string `json:"responder_spi"`
			Exchanges    []struct {
				Type      string `json:"type"`
				Completed bool   `json:"completed"`
				Messages  []struct {
					Direction       string `json:"direction"`
					Retransmissions int    `json:"retransmissions"`
				} `json:"messages"`
			} `json:"exchanges"`
			ChildSAs []struct {
				ESPPackets uint64 `json:"esp_packets"`
			} `json:"child_sas"`
			Verdict struct {
				Class string `json:"class"`
			} `json:"verdict"`
		} `json:"ike_sa"`
	}
	if err := json.Unmarshal([]byte(line), &v); err != nil || v.Type != "sa_verdict" {
		t.Fatalf("not an sa_verdict line (%v): %s", err, line)
	}
	s := saSummary{Class: v.IKESA.Verdict.Class, Mode: v.IKESA.Mode, Initiator: v.IKESA.Initiator, Responder: v.IKESA.Responder,
		ISPI: v.IKESA.InitiatorSPI, RSPI: v.IKESA.ResponderSPI, Version: v.IKESA.Version}
	var xs []string
	for _, x := range v.IKESA.Exchanges {
		d := x.Type + ":" + strconv.FormatBool(x.Completed) + ":"
		for _, m := range x.Messages {
			d += m.Direction + "+" + strconv.Itoa(m.Retransmissions) + ","
		}
		xs = append(xs, d)
	}
	s.Exchanges = strings.Join(xs, " ")
	for _, c := range v.IKESA.ChildSAs {
		s.ESPPackets += c.ESPPackets
	}
	return s
}

func verdictLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, `"type":"sa_verdict"`) {
			out = append(out, l)
		}
	}
	return out
}

// analyzeJSONL runs `ikescope analyze -T jsonl` in-process.
func analyzeJSONL(t *testing.T, args ...string) []string {
	t.Helper()
	code, out, errs := runCmd(t, append([]string{"analyze", "-T", "jsonl"}, args...)...)
	if code != exitOK {
		t.Fatalf("analyze %v: exit %d: %s", args, code, errs)
	}
	return strings.Split(strings.TrimSpace(out), "\n")
}

func TestLiveNetns(t *testing.T) {
	v := newVethPair(t)
	dir := t.TempDir()
	frames, rewritten := rewriteSample(t, dir, v.macA, v.macB)
	want := verdictLines(analyzeJSONL(t, rewritten))
	if len(want) != 1 {
		t.Fatalf("analyze of the rewritten sample: %d verdicts, want 1", len(want))
	}
	wantSA := summarize(t, want[0])
	if wantSA.Class != "established" || wantSA.Initiator != "192.0.2.205:500" {
		t.Fatalf("analyze of the rewritten sample: %+v", wantSA)
	}

	// Two captures on the same interface at once: jsonl with a short
	// give-up gap, so the verdict streams while the capture runs, and text
	// with the default limits, so the SA is still live at SIGINT.
	pcapng := filepath.Join(dir, "live.pcapng")
	j := startLive(t, v, nil, "-T", "jsonl", "--give-up", "2s", "-w", pcapng, "--stats", "200ms", "--metrics-addr", "127.0.0.1:0")
	txt := startLive(t, v, nil, "--stats", "100ms")
	verbose := startLive(t, v, nil, "--give-up", "2s", "-v")
	for _, p := range []*proc{j, txt, verbose} {
		p.waitFor(t, "the capture to start", func(_, errs []string) bool { return hasLine(errs, "listening on "+v.ifB) })
	}
	snd := v.sender(t)
	for _, f := range frames {
		if err := snd.send(f); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // keep the replay gentle and in order
	}

	// The verdict streams once the SA has been quiet for the give-up gap.
	j.waitFor(t, "the streamed verdict", func(out, _ []string) bool { return len(verdictLines(out)) > 0 })
	got := verdictLines(strings.Split(j.stdout(), "\n"))
	if len(got) != 1 {
		t.Fatalf("live streamed %d verdicts, want 1:\n%s", len(got), j.stdout())
	}
	gotSA := summarize(t, got[0])
	if gotSA != wantSA {
		t.Errorf("live verdict differs from analyze:\n live    %+v\n analyze %+v", gotSA, wantSA)
	}
	if !strings.Contains(got[0], `"final":true`) {
		t.Errorf("streamed verdict is not final: %s", got[0])
	}
	// Events stream in the analyze -T jsonl format too.
	if !hasLine(strings.Split(j.stdout(), "\n"), `"type":"event","ike_sa_id":1`) {
		t.Errorf("no event lines streamed:\n%s", j.stdout())
	}
	// The metrics, scraped from inside the namespace.
	var metricsURL string
	for _, l := range strings.Split(j.stderr(), "\n") {
		if i := strings.Index(l, "metrics on http://"); i >= 0 {
			metricsURL = l[i+len("metrics on http://"):]
		}
	}
	m := scrapeInNetns(t, v.nsB, metricsURL)
	for _, w := range []string{
		`ikescope_negotiations_total{class="established"} 1`,
		`ikescope_packets_total{kind="ike"} 11`,
		`ikescope_esp_packets_total 16`,
		`ikescope_ike_retransmissions_total 1`,
		`ikescope_phase1_duration_seconds_count 1`,
		`ikescope_phase2_duration_seconds_count 1`,
		`ikescope_active_sas 0`,
		`ikescope_capture_drops_total 0`,
		`ikescope_evicted_sas_total 0`,
	} {
		if !strings.Contains(m, w+"\n") {
			t.Errorf("metrics lack %q", w)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", m)
	}

	// Text, verbose: the verdict block streams, and the events before it.
	verbose.waitFor(t, "the streamed verdict block", func(out, _ []string) bool { return hasLine(out, "verdict: ESTABLISHED") })
	vo := verbose.stdout()
	for _, w := range []string{
		"IKE SA #1 IKEv1 main 192.0.2.205:500 -> 198.51.100.200:500  ispi " + wantSA.ISPI,
		"event retransmitted on IKE SA #1 ispi " + wantSA.ISPI + ", frame 4: Main Mode r2i message retransmitted",
		"timeline:",
	} {
		if !strings.Contains(vo, w) {
			t.Errorf("verbose text output lacks %q:\n%s", w, vo)
		}
	}
	if strings.Index(vo, "event retransmitted") > strings.Index(vo, "verdict: ESTABLISHED") {
		t.Errorf("event after the verdict:\n%s", vo)
	}
	// -v says how packets are read: the pure-Go build through the
	// TPACKET_V3 ring, libpcap in the libpcap build.
	wantMethod := "ikescope: capture: TPACKET_V3 ring ("
	if len(buildTags) > 0 {
		wantMethod = "ikescope: capture: libpcap"
	}
	if !strings.Contains(verbose.stderr(), wantMethod) {
		t.Errorf("verbose stderr lacks %q:\n%s", wantMethod, verbose.stderr())
	}
	verbose.interrupt(t)

	if code := j.interrupt(t); code != exitOK {
		t.Errorf("jsonl run: exit %d after SIGINT\nstderr:\n%s", code, j.stderr())
	}
	lines := strings.Split(j.stdout(), "\n")
	last := lines[len(lines)-1]
	var st struct {
		Type     string `json:"type"`
		Final    bool   `json:"final"`
		Packets  int    `json:"packets"`
		IKE      int    `json:"ike"`
		ESP      int    `json:"esp"`
		Verdicts int    `json:"verdicts"`
		LiveSAs  int    `json:"live_sas"`
		Summary  struct {
			ByClass map[string]int `json:"by_class"`
		} `json:"summary"`
		Received *uint64 `json:"capture_received"`
		Freezes  *uint64 `json:"capture_ring_freezes"`
	}
	if err := json.Unmarshal([]byte(last), &st); err != nil || st.Type != "stats" || !st.Final {
		t.Fatalf("last jsonl line is not the final stats line (%v): %s", err, last)
	}
	if st.Received == nil || *st.Received < uint64(len(frames)) || st.Freezes == nil || *st.Freezes != 0 {
		t.Errorf("final stats: capture_received and capture_ring_freezes missing or wrong: %s", last)
	}
	if st.Packets != len(frames) || st.IKE != 11 || st.ESP != 16 || st.Verdicts != 1 || st.Summary.ByClass["established"] != 1 {
		t.Errorf("final stats %+v, want %d packets, 11 IKE, 16 ESP, 1 established", st, len(frames))
	}
	if !hasLine(lines, `"type":"stats","packets":`) || strings.Count(j.stdout(), `"type":"stats"`) < 2 {
		t.Errorf("no periodic stats lines:\n%s", j.stdout())
	}

	// What live wrote with -w is the capture it analysed: analyze agrees.
	again := verdictLines(analyzeJSONL(t, "--give-up", "2s", pcapng))
	if len(again) != 1 {
		t.Fatalf("analyze of the -w file: %d verdicts", len(again))
	}
	if s := summarize(t, again[0]); s != wantSA {
		t.Errorf("analyze of live's -w file differs:\n -w      %+v\n analyze %+v", s, wantSA)
	}

	// Text: SIGINT prints the summary with the SA still live.
	txt.waitFor(t, "all packets to be analysed", func(_, errs []string) bool {
		return hasLine(errs, "stats: "+strconv.Itoa(len(frames))+" packets")
	})
	if code := txt.interrupt(t); code != exitOK {
		t.Errorf("text run: exit %d after SIGINT\nstderr:\n%s", code, txt.stderr())
	}
	out := txt.stdout()
	for _, w := range []string{
		"live capture summary",
		"packets: " + strconv.Itoa(len(frames)) + " (11 IKE, 16 ESP",
		"verdicts: 1 (1 established)",
		"evicted: 0",
		"IKE SAs live at the end: 1",
		"IKE SA #1 IKEv1 main 192.0.2.205:500 -> 198.51.100.200:500 ispi " + wantSA.ISPI,
		": ESTABLISHED - phase 1 completed in",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("text summary lacks %q:\n%s", w, out)
		}
	}
	if !strings.Contains(txt.stderr(), "dropped by kernel") {
		t.Errorf("no capture statistics on stderr:\n%s", txt.stderr())
	}
}

func delNetns(t *testing.T, ip func(...string) error, ns string) {
	var err error
	for i := 0; i < 20; i++ {
		if err = ip("netns", "del", ns); err == nil {
			if _, serr := os.Stat("/run/netns/" + ns); serr == nil {
				err = fmt.Errorf("/run/netns/%s still there after ip netns del", ns)
				continue
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("cannot delete network namespace %s: %v", ns, err)
}

// scrapeInNetns fetches an HTTP URL (host:port/path) from inside a network
// namespace, with a plain HTTP/1.0 request on a socket made there.
func scrapeInNetns(t *testing.T, ns, url string) string {
	t.Helper()
	hostport, path, ok := strings.Cut(url, "/")
	if !ok || hostport == "" {
		t.Fatalf("no metrics address in ikescope's stderr (%q)", url)
	}
	var body []byte
	err := inNetns(ns, func() error {
		// A single address and no deadline: net.Dial makes the socket on
		// this goroutine, so on this thread, in the namespace.
		c, err := net.Dial("tcp", hostport)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := io.WriteString(c, "GET /"+path+" HTTP/1.0\r\nHost: "+hostport+"\r\n\r\n"); err != nil {
			return err
		}
		body, err = io.ReadAll(c)
		return err
	})
	if err != nil {
		t.Fatalf("scraping %s in %s: %v", url, ns, err)
	}
	s := string(body)
	if !strings.HasPrefix(s, "HTTP/1.0 200") {
		t.Fatalf("scraping %s: %.200s", url, s)
	}
	return s
}

// tagFrames inserts 802.1Q tags (outermost first) after the MAC addresses.
func tagFrames(frames [][]byte, tags ...[2]uint16) [][]byte {
	out := make([][]byte, len(frames))
	for i, f := range frames {
		b := append([]byte(nil), f[:12]...)
		for _, tg := range tags {
			b = append(b, byte(tg[0]>>8), byte(tg[0]), byte(tg[1]>>8), byte(tg[1]))
		}
		out[i] = append(b, f[12:]...)
	}
	return out
}

// TestLiveNetnsVLAN sends the sample tagged (802.1Q, then QinQ). The
// kernel hands packet sockets the frame without its outer tag (in
// PACKET_AUXDATA): live must filter it, put the tag back for -w, and give
// the same verdict.
func TestLiveNetnsVLAN(t *testing.T) {
	v := newVethPair(t)
	dir := t.TempDir()
	frames, rewritten := rewriteSample(t, dir, v.macA, v.macB)
	want := summarize(t, verdictLines(analyzeJSONL(t, rewritten))[0])
	snd := v.sender(t)
	for _, tc := range []struct {
		name string
		tags [][2]uint16
	}{
		{"dot1q", [][2]uint16{{0x8100, 100}}},
		{"qinq", [][2]uint16{{0x88a8, 10}, {0x8100, 100}}},
	} {
		w := filepath.Join(dir, tc.name+".pcapng")
		p := startLive(t, v, nil, "-T", "jsonl", "--give-up", "1s", "-w", w)
		p.waitFor(t, "the capture to start", func(_, errs []string) bool { return hasLine(errs, "listening on "+v.ifB) })
		for _, f := range tagFrames(frames, tc.tags...) {
			if err := snd.send(f); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
		p.waitFor(t, tc.name+" verdict", func(out, _ []string) bool { return len(verdictLines(out)) > 0 })
		p.interrupt(t)
		got := verdictLines(strings.Split(p.stdout(), "\n"))
		if len(got) != 1 {
			t.Fatalf("%s: %d verdicts:\n%s", tc.name, len(got), p.stdout())
		}
		if s := summarize(t, got[0]); s != want {
			t.Errorf("%s: live verdict differs from analyze of the untagged sample:\n live    %+v\n analyze %+v", tc.name, s, want)
		}
		// The -w file has every frame with all its tags back.
		src, err := capture.OpenFile(w)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			pk, err := src.Next()
			if err != nil {
				break
			}
			n++
			g := gopacket.NewPacket(pk.Data, layers.LayerTypeEthernet, gopacket.Default)
			var ids []uint16
			for _, l := range g.Layers() {
				if d, ok := l.(*layers.Dot1Q); ok {
					ids = append(ids, d.VLANIdentifier)
				}
			}
			eth, _ := g.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
			if len(ids) != len(tc.tags) || ids[len(ids)-1] != 100 || eth == nil || uint16(eth.EthernetType) != tc.tags[0][0] {
				t.Errorf("%s: frame %d of the -w file has tags %v (ethertype %v), want %v", tc.name, pk.Frame, ids, eth.EthernetType, tc.tags)
				break
			}
		}
		src.Close()
		if n != len(frames) {
			t.Errorf("%s: -w file has %d frames, want %d", tc.name, n, len(frames))
		}
	}
}
