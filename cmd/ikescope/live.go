package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/decode"
	"github.com/ikescope/ikescope/internal/metrics"
	"github.com/ikescope/ikescope/internal/pipeline"
	"github.com/ikescope/ikescope/report"
)

// defaultLiveMaxSAs bounds the SA table of a live run. A busy gateway
// terminates a few thousand tunnels, each one live IKE SA (two during a
// rekey); at the 10 to 25 KB an SA costs (measured with synthetic traffic)
// 10 000 keeps the table under about 250 MB (docs/live.md, "Memory").
const defaultLiveMaxSAs = 10000

// liveTick is how often the live loop advances the clock when idle,
// flushes output and refreshes metrics.
const liveTick = 250 * time.Millisecond

// liveDrain bounds how long packets already queued are still read after
// SIGINT/SIGTERM.
const liveDrain = time.Second

// limitFlags are the classifier's limits, as analyze has them.
type limitFlags struct {
	profile                 *string
	mm, qm, acquire, giveUp *time.Duration
	local                   *string
}

func (l *limitFlags) register(fs *pflag.FlagSet) {
	l.profile = fs.String("profile", "", "timer profile: windows, strongswan or libreswan (default: strongswan's timers)")
	l.mm = fs.Duration("mm-limit", 0, "phase-1 limit: a phase 1 not complete after this long has failed (default from the profile: 170s)")
	l.qm = fs.Duration("qm-limit", 0, "phase-2 limit (default from the profile: 170s)")
	l.acquire = fs.Duration("acquire-limit", 0, "how long after phase 1 a phase 2 must start (default 60s)")
	l.giveUp = fs.Duration("give-up", 0, "silence after which a pending negotiation counts as abandoned, and after which a quiet SA gets its verdict (default from the profile: 100s)")
	l.local = fs.String("local", "", "the local `ADDR` (decides sa_reaped versus sa_deleted); default: the initiator")
}

// config returns the classifier configuration, or a message for the user.
func (l *limitFlags) config() (classify.Config, string) {
	cfg := classify.DefaultConfig()
	if *l.profile != "" {
		p, ok := classify.Profiles[*l.profile]
		if !ok {
			return cfg, "unknown profile " + strconv.Quote(*l.profile) + " (want windows, strongswan or libreswan)"
		}
		p.MaxSAs = cfg.MaxSAs
		cfg = p
	}
	for _, o := range []struct{ v, d *time.Duration }{{l.mm, &cfg.MMLimit}, {l.qm, &cfg.QMLimit}, {l.acquire, &cfg.AcquireLimit}, {l.giveUp, &cfg.GiveUp}} {
		if *o.v > 0 {
			*o.d = *o.v
		}
	}
	if *l.local != "" {
		a, err := netip.ParseAddr(*l.local)
		if err != nil {
			return cfg, "--local: " + err.Error()
		}
		cfg.Local = a
	}
	return cfg, ""
}

func runLive(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("live", "live -i IFACE [flags] [FILTER EXPRESSION]", stderr)
	iface := fs.StringP("interface", "i", "", "capture on `IFACE` (any: every interface; Linux)")
	format := fs.StringP("format", "T", "text", "output `FORMAT`: text (one line per verdict) or jsonl (the lines of analyze -T jsonl, plus periodic stats)")
	verbose := fs.BoolP("verbose", "v", false, "text: print each verdict with its evidence, hints and timeline, and events as they happen; on stderr, how packets are read (the ring, or why not)")
	write := fs.StringP("write", "w", "", "also write the captured packets to `FILE` (pcapng; frame numbers match the verdicts')")
	count := fs.IntP("count", "c", 0, "stop after `N` packets (0: run until SIGINT/SIGTERM)")
	statsEvery := fs.Duration("stats", 0, "print a status line every `INTERVAL`, e.g. 30s (text: to stderr; jsonl: a stats line)")
	metricsAddr := fs.String("metrics-addr", "", "serve Prometheus metrics on `ADDR` (host:port) at /metrics")
	maxSAs := fs.Int("max-sas", defaultLiveMaxSAs, "follow at most `N` IKE SAs; beyond, the one heard from longest ago is judged early and evicted")
	snaplen := fs.IntP("snapshot-length", "s", capture.DefaultSnaplen, "keep at most `BYTES` of each packet")
	bufKiB := fs.IntP("buffer-size", "B", capture.DefaultBufferSize>>10, "kernel capture buffer in `KiB`")
	noPromisc := fs.BoolP("no-promiscuous-mode", "p", false, "do not put the interface into promiscuous mode")
	bpfRaw := fs.String("bpf-raw", "", "replace the built-in kernel filter by a compiled program: `PROGRAM` in tcpdump -ddd form (newline- or comma-separated), or @FILE holding it")
	printFilter := fs.String("print-filter", "", "print the built-in filter for `LINK` (ethernet or raw) in tcpdump -ddd form and exit")
	fs.Lookup("print-filter").NoOptDefVal = "ethernet"
	var ikePorts, nattPorts []uint
	fs.UintSliceVar(&ikePorts, "ike-port", nil, "extra UDP `PORT`s that carry IKE (without non-ESP marker); the filter passes them too")
	fs.UintSliceVar(&nattPorts, "natt-port", nil, "extra UDP `PORT`s that carry NAT-T (marker, keepalive, ESP); the filter passes them too")
	fs.BoolP("numeric", "n", true, "do not resolve addresses (always the case; accepted for tcpdump compatibility)")
	var lim limitFlags
	lim.register(fs)
	var kf keyFlags
	kf.register(fs)
	if done, code := parseFlags(fs, args, stdout); done {
		return code
	}
	keys, kcode := kf.load(stderr)
	if kcode != exitOK {
		return kcode
	}

	var extra []uint16
	for _, p := range append(append([]uint(nil), ikePorts...), nattPorts...) {
		if p == 0 || p > 65535 {
			warn(stderr, "port "+strconv.FormatUint(uint64(p), 10)+" out of range")
			return exitUsage
		}
		extra = append(extra, uint16(p))
	}
	if *printFilter != "" {
		link := map[string]uint32{"ethernet": capture.LinkEthernet, "raw": capture.LinkRaw}[*printFilter]
		if link == 0 {
			warn(stderr, "--print-filter: unknown link "+strconv.Quote(*printFilter)+" (want ethernet or raw)")
			return exitUsage
		}
		prog, err := capture.BuiltinFilter(link, *snaplen, extra)
		if err != nil {
			warn(stderr, err.Error())
			return exitUsage
		}
		io.WriteString(stdout, capture.FormatRawFilter(prog))
		return exitOK
	}
	if *iface == "" {
		warn(stderr, "no interface given (use -i IFACE)")
		return exitUsage
	}
	if *format != "text" && *format != "jsonl" {
		warn(stderr, "unknown format "+strconv.Quote(*format)+" (want text or jsonl)")
		return exitUsage
	}
	if *maxSAs < 1 {
		warn(stderr, "--max-sas must be at least 1")
		return exitUsage
	}
	if *statsEvery < 0 {
		warn(stderr, "--stats must not be negative")
		return exitUsage
	}
	cfg, msg := lim.config()
	if msg != "" {
		warn(stderr, msg)
		return exitUsage
	}
	cfg.MaxSAs = *maxSAs
	opt := capture.LiveOptions{Interface: *iface, Snaplen: *snaplen, BufferSize: *bufKiB << 10, NoPromisc: *noPromisc,
		Expression: strings.Join(fs.Args(), " ")}
	for _, p := range ikePorts {
		opt.IKEPorts = append(opt.IKEPorts, uint16(p))
		decode.RegisterIKEPort(uint16(p))
	}
	for _, p := range nattPorts {
		opt.NATTPorts = append(opt.NATTPorts, uint16(p))
		decode.RegisterNATTPort(uint16(p))
	}
	if *bpfRaw != "" {
		text := *bpfRaw
		if strings.HasPrefix(text, "@") {
			b, err := os.ReadFile(text[1:])
			if err != nil {
				warn(stderr, "--bpf-raw: "+err.Error())
				return exitUsage
			}
			text = string(b)
		}
		prog, err := capture.ParseRawFilter(text)
		if err != nil {
			warn(stderr, "--bpf-raw: "+err.Error())
			return exitUsage
		}
		if opt.Expression != "" {
			warn(stderr, "give either a filter expression or --bpf-raw, not both")
			return exitUsage
		}
		opt.Raw = prog
	}

	src, err := capture.OpenLive(opt)
	if err != nil {
		warn(stderr, err.Error())
		if errors.Is(err, capture.ErrNeedLibpcap) {
			return exitUsage
		}
		return exitNoInput
	}
	defer src.Close()

	r := &liveRun{src: src, stderr: stderr, format: *format, verbose: *verbose, maxSAs: *maxSAs,
		byClass: map[string]int{}, start: time.Now()}
	r.now = r.start
	r.out = bufio.NewWriterSize(stdout, 64<<10)
	defer r.out.Flush()
	if *write != "" {
		f, err := os.Create(*write)
		if err != nil {
			warn(stderr, err.Error())
			return exitUsage
		}
		defer f.Close()
		if r.pw, err = capture.NewPcapngWriter(f, src.Link(), src.Snaplen(), *iface, "ikescope live, filter: "+src.Filter(), version); err != nil {
			warn(stderr, *write+": "+err.Error())
			return exitUsage
		}
	}
	if *metricsAddr != "" {
		r.met = metrics.New(version)
		ln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			warn(stderr, "--metrics-addr: "+err.Error())
			return exitUsage
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", r.met.Handler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		warn(stderr, "metrics on http://"+ln.Addr().String()+"/metrics")
	}

	r.tr = classify.NewTracker(cfg)
	r.tr.KeepDone = false
	r.tr.Emit = r.emit
	r.tr.OnEvent = r.event
	if r.met != nil {
		r.tr.OnPhase = r.met.Phase
	}
	r.pl = pipeline.New(r.tr)
	r.pl.IKEError = func(p *capture.Packet, err error) {
		if r.verbose {
			warn(stderr, "frame "+strconv.Itoa(p.Frame)+": ike: "+report.EscapeString(err.Error()))
		}
	}
	r.pl.Decrypter = decrypter(keys)
	if r.pl.Decrypter != nil {
		// The daemon keeps logging keys while live runs: read new ones
		// when a message finds none, and on every tick (for ESP).
		r.reloadKeys = kf.reloader(r.pl.Decrypter, stderr, r.verbose)
		r.pl.ReloadKeys = r.reloadKeys
	}
	r.pl.DecryptError = func(p *capture.Packet, err error) {
		if r.verbose {
			warn(stderr, "frame "+strconv.Itoa(p.Frame)+": decrypt: "+report.EscapeString(err.Error()))
		}
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	warn(stderr, "listening on "+*iface+", link-type "+linkName(src.Link())+", snapshot length "+strconv.Itoa(src.Snaplen())+
		" bytes, filter: "+src.Filter())
	if *verbose {
		// How packets are read, and why not through the ring when not.
		warn(stderr, "capture: "+src.Method())
	}

	status := r.loop(sigs, *count, *statsEvery)
	r.finish()
	return status
}

// liveRun is the state of one live capture. Everything runs on the
// goroutine of runLive; the metrics handler only reads collectors.
type liveRun struct {
	src     capture.LiveSource
	pl      *pipeline.Pipeline
	tr      *classify.Tracker
	out     *bufio.Writer
	stderr  io.Writer
	format  string
	verbose bool
	met     *metrics.Metrics
	pw      *capture.PcapngWriter
	maxSAs  int

	start, now time.Time
	verdicts   int
	byClass    map[string]int
	findings   int // findings already written
	finishing  bool
	atEnd      []*classify.SA // SAs still live when the capture stopped
	cstats     capture.LiveStats
	writeErr   error
	reloadKeys func() bool // nil without --keys
}

// loop reads packets until a signal, the packet count or a capture error.
func (r *liveRun) loop(sigs <-chan os.Signal, count int, statsEvery time.Duration) int {
	nextTick := r.start.Add(liveTick)
	nextStats := r.start.Add(statsEvery)
	var drainUntil time.Time
	for {
		if drainUntil.IsZero() {
			select {
			case <-sigs:
				drainUntil = time.Now().Add(liveDrain)
			default:
			}
		}
		p, err := r.src.Next()
		switch {
		case err == nil:
			r.now = p.Time
			r.packet(p)
			if count > 0 && r.pl.Counts.Packets >= uint64(count) {
				return exitOK
			}
			if !drainUntil.IsZero() && time.Now().After(drainUntil) {
				return exitOK
			}
		case errors.Is(err, capture.ErrTimeout):
			if !drainUntil.IsZero() {
				return exitOK // nothing left in the queue
			}
			r.now = time.Now()
		default:
			warn(r.stderr, err.Error())
			return exitDamaged
		}
		if !r.now.Before(nextTick) {
			r.tick()
			nextTick = r.now.Add(liveTick)
		}
		if statsEvery > 0 && !r.now.Before(nextStats) {
			r.stats(false)
			nextStats = r.now.Add(statsEvery)
		}
	}
}

func (r *liveRun) packet(p *capture.Packet) {
	if r.pw != nil && r.writeErr == nil {
		if r.writeErr = r.pw.WritePacket(p); r.writeErr != nil {
			warn(r.stderr, "-w: "+r.writeErr.Error()+" (no longer writing packets)")
		}
	}
	r.pl.Feed(p)
}

// tick advances the clock, so that limits expire while traffic is idle,
// and brings out everything that became final.
func (r *liveRun) tick() {
	if r.reloadKeys != nil {
		r.reloadKeys()
	}
	r.pl.Advance(r.now)
	r.flushFindings()
	if st, err := r.src.LiveStats(); err == nil {
		r.cstats = st
	}
	if r.met != nil {
		r.met.Update(r.snapshot())
	}
	r.out.Flush()
	if r.pw != nil && r.writeErr == nil {
		r.pw.Flush()
	}
}

func (r *liveRun) snapshot() metrics.Snapshot {
	c := r.pl.Counts
	return metrics.Snapshot{IKE: c.IKE, ESP: c.ESP, ESPBytes: c.ESPBytes, Keepalives: c.Keepalives, Fragments: c.Fragments,
		Other: c.Other, Malformed: c.Malformed, LiveSAs: r.tr.Live(), Evicted: r.tr.Evicted,
		CaptureDrops: r.cstats.Dropped + r.cstats.IfDropped, RingFreezes: r.cstats.Freezes}
}

// emit is the Tracker's Emit: an SA got its verdict.
func (r *liveRun) emit(sa *classify.SA) {
	r.verdicts++
	r.byClass[string(sa.Verdict.Class)]++
	if r.met != nil {
		r.met.SA(sa)
	}
	if r.finishing {
		r.atEnd = append(r.atEnd, sa)
		if r.format == "text" {
			return // listed in the summary
		}
	}
	switch {
	case r.format == "jsonl":
		r.out.Write(report.MarshalLine(report.NewSAVerdictLine(sa)))
	case r.verbose:
		r.out.WriteString(saBlock(sa) + "\n")
	default:
		r.out.WriteString(report.FormatTime(r.now) + " " + saLine(sa) + "\n")
	}
}

// event is the Tracker's OnEvent.
func (r *liveRun) event(sa *classify.SA, ev classify.Event) {
	if r.met != nil {
		r.met.Event(sa, ev)
	}
	switch {
	case r.format == "jsonl":
		r.out.Write(report.MarshalLine(report.NewEventLine(sa, ev)))
	case r.verbose:
		r.out.WriteString(report.FormatTime(ev.Time) + " event " + ev.Type + " on IKE SA #" + strconv.Itoa(sa.ID) +
			" ispi " + spiHex(sa.InitSPI) + ", frame " + strconv.Itoa(ev.Frame) + ": " + report.EscapeString(ev.Text) + "\n")
	}
}

func (r *liveRun) flushFindings() {
	fs := r.tr.Findings()
	for _, f := range fs[r.findings:] {
		if r.format == "jsonl" {
			r.out.Write(report.MarshalLine(report.NewFindingLine(f)))
		} else {
			r.out.WriteString(report.FormatTime(f.Time) + " finding " + f.Type + " at frame " + strconv.Itoa(f.Frame) + ": " +
				report.EscapeString(f.Text) + "\n")
		}
	}
	r.findings = len(fs)
}

// liveStatsLine is the jsonl stats line of live: the fields of analyze's
// stats line, and the capture's counters.
type liveStatsLine struct {
	report.StatsLine
	Final           bool   `json:"final"`
	Time            string `json:"time"`
	IKE             uint64 `json:"ike"`
	ESP             uint64 `json:"esp"`
	ESPBytes        uint64 `json:"esp_bytes"`
	Keepalives      uint64 `json:"keepalives"`
	Fragments       uint64 `json:"ip_fragments"`
	Other           uint64 `json:"other"`
	Malformed       uint64 `json:"malformed"`
	LiveSAs         int    `json:"live_sas"`
	Verdicts        int    `json:"verdicts"`
	Evicted         int    `json:"evicted"`
	MaxSAs          int    `json:"max_sas"`
	CaptureReceived uint64 `json:"capture_received"`
	CaptureDropped  uint64 `json:"capture_dropped"`
	IfDropped       uint64 `json:"capture_if_dropped"`
	RingFreezes     uint64 `json:"capture_ring_freezes"`
}

// stats prints the status line (final: the last one, after the summary).
func (r *liveRun) stats(final bool) {
	if st, err := r.src.LiveStats(); err == nil {
		r.cstats = st
	}
	c := r.pl.Counts
	if r.format == "jsonl" {
		r.out.Write(report.MarshalLine(liveStatsLine{
			StatsLine: report.StatsLine{Type: "stats", Packets: int(c.Packets), Summary: report.SummaryJSON{ByClass: r.byClass}},
			Final:     final, Time: report.FormatTime(time.Now()), IKE: c.IKE, ESP: c.ESP, ESPBytes: c.ESPBytes,
			Keepalives: c.Keepalives, Fragments: c.Fragments, Other: c.Other, Malformed: c.Malformed,
			LiveSAs: r.tr.Live(), Verdicts: r.verdicts, Evicted: r.tr.Evicted, MaxSAs: r.maxSAs,
			CaptureReceived: r.cstats.Received, CaptureDropped: r.cstats.Dropped, IfDropped: r.cstats.IfDropped,
			RingFreezes: r.cstats.Freezes}))
		r.out.Flush()
		return
	}
	warn(r.stderr, "stats: "+u64(c.Packets)+" packets ("+u64(c.IKE)+" IKE, "+u64(c.ESP)+" ESP, "+u64(c.Other+c.Keepalives+c.Fragments+c.Malformed)+
		" other), "+strconv.Itoa(r.tr.Live())+" live SAs, "+strconv.Itoa(r.verdicts)+" verdicts"+classCounts(r.byClass)+", "+
		strconv.Itoa(r.tr.Evicted)+" evicted, kernel drops "+u64(r.cstats.Dropped+r.cstats.IfDropped))
}

// finish judges every SA still live, then writes the summary.
func (r *liveRun) finish() {
	r.now = time.Now()
	r.finishing = true
	r.pl.Finish(r.now)
	r.flushFindings()
	if st, err := r.src.LiveStats(); err == nil {
		r.cstats = st
	}
	if r.met != nil {
		r.met.Update(r.snapshot())
	}
	if r.pw != nil && r.writeErr == nil {
		if err := r.pw.Close(r.cstats); err != nil {
			warn(r.stderr, "-w: "+err.Error())
		}
	}
	if r.format == "jsonl" {
		r.stats(true)
	} else {
		r.summaryText()
	}
	r.out.Flush()
	warn(r.stderr, u64(r.pl.Counts.Packets)+" packets captured, "+u64(r.cstats.Received)+" received by filter, "+
		u64(r.cstats.Dropped+r.cstats.IfDropped)+" dropped by kernel")
}

func (r *liveRun) summaryText() {
	c := r.pl.Counts
	w := r.out
	w.WriteString("\nlive capture summary after " + time.Since(r.start).Round(time.Millisecond).String() + ":\n")
	w.WriteString("  packets: " + u64(c.Packets) + " (" + u64(c.IKE) + " IKE, " + u64(c.ESP) + " ESP, " + u64(c.Keepalives) + " NAT-T keepalive, " +
		u64(c.Fragments) + " IP fragments, " + u64(c.Other) + " other, " + u64(c.Malformed) + " undecodable)\n")
	w.WriteString("  capture: " + u64(r.cstats.Received) + " received by the filter, " + u64(r.cstats.Dropped) + " dropped")
	if r.cstats.IfDropped > 0 {
		w.WriteString(", " + u64(r.cstats.IfDropped) + " dropped by the interface")
	}
	if r.cstats.Freezes > 0 {
		w.WriteString(" (the ring was full " + u64(r.cstats.Freezes) + " times)")
	}
	w.WriteString("\n  verdicts: " + strconv.Itoa(r.verdicts) + classCounts(r.byClass) + "\n")
	w.WriteString("  evicted: " + strconv.Itoa(r.tr.Evicted) + " (--max-sas " + strconv.Itoa(r.maxSAs) + ")\n")
	w.WriteString("  IKE SAs live at the end: " + strconv.Itoa(len(r.atEnd)) + "\n")
	for _, sa := range r.atEnd {
		if r.verbose {
			w.WriteString("\n" + saBlock(sa))
		} else {
			w.WriteString("    " + saLine(sa) + "\n")
		}
	}
}

// saLine is one verdict on one line.
func saLine(sa *classify.SA) string {
	v := sa.Verdict
	s := "IKE SA #" + strconv.Itoa(sa.ID) + " IKEv" + strconv.Itoa(sa.Version) + " " + sa.Mode + " " +
		sa.Initiator.String() + " -> " + sa.Responder.String()
	if sa.NATT {
		s += " (NAT-T)"
	}
	s += " ispi " + spiHex(sa.InitSPI) + " rspi " + spiHex(sa.RespSPI) + ": " + strings.ToUpper(string(v.Class))
	if !v.Final {
		s += " (not final)"
	}
	if v.WindowsCode != 0 {
		s += " [" + strconv.FormatUint(uint64(v.WindowsCode), 10)
		if we, ok := decode.LookupWinError(v.WindowsCode); ok {
			s += " " + we.Name
		}
		if v.Certain {
			s += ", reported by the peer]"
		} else {
			s += ", likely]"
		}
	}
	return s + " - " + report.EscapeString(v.Summary)
}

// saBlock is the analyze text block of one SA.
func saBlock(sa *classify.SA) string {
	var b strings.Builder
	report.AnalysisText(&b, []*classify.SA{sa}, nil)
	s := b.String()
	// Drop the count line ("1 IKE SA(s): ...") and the blank line after it.
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[i+2:]
	}
	return s
}

func classCounts(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.Itoa(m[k]) + " " + k
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func spiHex(v uint64) string {
	s := strconv.FormatUint(v, 16)
	return strings.Repeat("0", 16-len(s)) + s
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

func linkName(l uint32) string {
	switch l {
	case capture.LinkEthernet:
		return "EN10MB (Ethernet)"
	case capture.LinkRaw:
		return "RAW (raw IP)"
	case decode.LinkLinuxSLL:
		return "LINUX_SLL (Linux cooked)"
	case decode.LinkLinuxSLL2:
		return "LINUX_SLL2 (Linux cooked v2)"
	case decode.LinkNull:
		return "NULL (BSD loopback)"
	}
	return strconv.FormatUint(uint64(l), 10)
}
