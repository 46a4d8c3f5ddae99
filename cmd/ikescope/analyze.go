package main

import (
	"bufio"
	"errors"
	"io"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/internal/pipeline"
	"github.com/ikescope/ikescope/report"
)

func runAnalyze(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("analyze", "analyze [flags] CAPTURE...", stderr)
	var in inputFlags
	in.register(fs)
	format := fs.StringP("format", "T", "text", "output `FORMAT`: text, json (one document), jsonl (one event per line as it becomes final) or html (a self-contained page with a ladder per SA)")
	htmlOut := fs.String("html", "", "also write the HTML report (as -T html) to `FILE`")
	profile := fs.String("profile", "", "timer profile: windows, strongswan or libreswan (default: strongswan's timers)")
	mm := fs.Duration("mm-limit", 0, "phase-1 limit: a phase 1 not complete after this long has failed (default from the profile: 170s)")
	qm := fs.Duration("qm-limit", 0, "phase-2 limit (default from the profile: 170s)")
	acq := fs.Duration("acquire-limit", 0, "how long after phase 1 a phase 2 must start (default 60s)")
	giveUp := fs.Duration("give-up", 0, "silence after which a pending negotiation counts as abandoned (default from the profile: 100s)")
	local := fs.String("local", "", "the local `ADDR` (decides sa_reaped versus sa_deleted); default: the initiator")
	failOn := fs.String("fail-on", "", "exit 1 when a verdict of one of these `CLASS[,CLASS]` is found")
	endAt := fs.String("capture-end", "", "when the recording stopped, for files that do not say (plain pcap): RFC 3339 `TIME`, or +DURATION after the last packet")
	childLife := fs.Duration("child-lifetime", 0, "phase-2 lifetime to check child SAs against where the negotiated one is not visible (encrypted quick mode, IKEv2)")
	childKB := fs.Uint64("child-lifetime-kb", 0, "phase-2 lifetime in kilobytes, likewise")
	maxSAs := fs.Int("max-sas", classify.DefaultConfig().MaxSAs, "follow at most `N` IKE SAs at once; beyond, the one heard from longest ago is judged early (an evicted event) so that memory stays bounded")
	var kf keyFlags
	kf.register(fs)
	if done, code := parseFlags(fs, args, stdout); done {
		return code
	}
	keys, code := kf.load(stderr)
	if code != exitOK {
		return code
	}
	switch *format {
	case "text", "json", "jsonl", "html":
	default:
		warn(stderr, "unknown format "+strconv.Quote(*format)+" (want text, json, jsonl or html)")
		return exitUsage
	}
	cfg := classify.DefaultConfig()
	if *profile != "" {
		p, ok := classify.Profiles[*profile]
		if !ok {
			warn(stderr, "unknown profile "+strconv.Quote(*profile)+" (want windows, strongswan or libreswan)")
			return exitUsage
		}
		p.MaxSAs = cfg.MaxSAs
		cfg = p
	}
	for _, o := range []struct {
		v *time.Duration
		d *time.Duration
	}{{mm, &cfg.MMLimit}, {qm, &cfg.QMLimit}, {acq, &cfg.AcquireLimit}, {giveUp, &cfg.GiveUp}} {
		if *o.v > 0 {
			*o.d = *o.v
		}
	}
	if *childLife > 0 {
		cfg.ChildLifetime = *childLife
	}
	if *childKB > 0 {
		cfg.ChildLifetimeKB = *childKB
	}
	if *maxSAs < 1 {
		warn(stderr, "--max-sas must be at least 1")
		return exitUsage
	}
	cfg.MaxSAs = *maxSAs
	end, err := parseCaptureEnd(*endAt)
	if err != nil {
		warn(stderr, "--capture-end: "+err.Error())
		return exitUsage
	}
	if *local != "" {
		a, err := netip.ParseAddr(*local)
		if err != nil {
			warn(stderr, "--local: "+err.Error())
			return exitUsage
		}
		cfg.Local = a
	}
	fail := map[classify.Class]bool{}
	if *failOn != "" {
		for _, c := range strings.Split(*failOn, ",") {
			c = strings.TrimSpace(c)
			ok := false
			for _, k := range classify.Classes {
				if string(k) == c {
					ok = true
				}
			}
			if !ok {
				warn(stderr, "--fail-on: unknown class "+strconv.Quote(c))
				return exitUsage
			}
			fail[classify.Class(c)] = true
		}
	}
	src, files, code := in.open(fs.Args(), stdin, stderr)
	if src == nil {
		return code
	}
	defer src.Close()
	var htmlFile *os.File
	if *htmlOut != "" {
		// Created before reading, so a bad path fails at once.
		f, err := os.Create(*htmlOut)
		if err != nil {
			warn(stderr, "--html: "+err.Error())
			return exitUsage
		}
		htmlFile = f
		defer f.Close()
	}

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	if os.Getenv("GOGC") == "" {
		// The collector runs when the heap has grown by half, not doubled:
		// peak memory follows the open SAs more closely (5M packets: 73 MB
		// -> 59 MB peak RSS) for about the same CPU time (issue 12).
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	tr := classify.NewTracker(cfg)
	// text and json: each SA is rendered when its verdict is final and kept
	// only as such (spool.go), so memory follows the open SAs.
	var sp spool
	defer sp.close()
	var renderErr error
	var render chan *classify.SA // SAs to the renderer (text, json)
	var rendered chan struct{}   // closed when it is done
	switch *format {
	case "text", "json":
		tr.KeepDone = htmlFile != nil // the HTML report needs them all at the end
		// Rendered by a second goroutine while the packets go on: an SA is
		// not changed once its verdict is final (classify.Tracker.Emit).
		render = make(chan *classify.SA, 256)
		rendered = make(chan struct{})
		go func() {
			defer close(rendered)
			var text []byte // reused: sp.add copies
			for sa := range render {
				var b []byte
				if *format == "text" {
					text = report.AppendSAText(text[:0], sa)
					b = text
				} else {
					var merr error
					if b, merr = report.MarshalSAJSON(sa); merr != nil && renderErr == nil {
						renderErr = merr
					}
				}
				sp.add(sa.Started, sa.ID, b)
			}
		}()
		tr.Emit = func(sa *classify.SA) { render <- sa }
	}
	if *format == "jsonl" {
		// Each SA's event lines come as the events happen, before its
		// sa_verdict line (docs/output.md).
		tr.KeepDone = htmlFile != nil // the HTML report needs them all at the end
		tr.OnEvent = func(sa *classify.SA, ev classify.Event) {
			out.Write(report.MarshalLine(report.NewEventLine(sa, ev)))
		}
		tr.Emit = func(sa *classify.SA) {
			out.Write(report.MarshalLine(report.NewSAVerdictLine(sa)))
		}
	}
	matched := false
	// Counted here because jsonl keeps no finished SAs for Results.
	byClass := report.SummaryJSON{ByClass: map[string]int{}}
	counting := tr.Emit
	tr.Emit = func(sa *classify.SA) {
		byClass.ByClass[string(sa.Verdict.Class)]++
		if fail[sa.Verdict.Class] {
			matched = true
		}
		if counting != nil {
			counting(sa)
		}
	}
	status := exitOK
	pl := pipeline.New(tr)
	pl.IKEError = func(p *capture.Packet, err error) {
		warn(stderr, location(files, p)+": ike: "+report.EscapeString(err.Error()))
	}
	pl.Decrypter = decrypter(keys)
	pl.DecryptError = func(p *capture.Packet, err error) {
		warn(stderr, location(files, p)+": decrypt: "+report.EscapeString(err.Error()))
	}
	defer decryptSummary(stderr, pl.Decrypter)
	readStatus, n := in.each(src, files, stderr, pl.Feed)
	if readStatus != exitOK {
		status = readStatus
	}
	pl.Finish(end.resolve(src))
	if render != nil {
		close(render)
		<-rendered
	}
	byClass.Evicted = tr.Evicted
	if tr.Evicted > 0 {
		warn(stderr, strconv.Itoa(tr.Evicted)+" IKE SA(s) judged early and evicted: more than --max-sas "+strconv.Itoa(cfg.MaxSAs)+" were open at once")
	}
	sas := tr.Results() // kept only for HTML
	// In the order of start, as Tracker.Results lists them.
	sp.sorted()
	switch *format {
	case "text":
		io.WriteString(out, report.TextHeader(len(sp.items), byClass))
		for i := range sp.items {
			var b []byte
			if b, err = sp.read(i); err != nil {
				break
			}
			out.Write(b)
		}
		io.WriteString(out, report.TextFindings(tr.Findings()))
	case "json":
		i := 0
		err = report.WriteAnalysisJSONParts(out, report.Tool{Name: "ikescope", Version: version}, capturesJSON(src),
			byClass, len(sp.items), func() ([]byte, error) {
				i++
				return sp.read(i - 1)
			}, tr.Findings())
	case "jsonl":
		for _, f := range tr.Findings() {
			out.Write(report.MarshalLine(report.NewFindingLine(f)))
		}
		out.Write(report.MarshalLine(report.StatsLine{Type: "stats", Packets: n, Summary: byClass}))
	case "html":
		if err := writeHTML(out, src, sas, tr.Findings(), tr.Evicted); err != nil {
			warn(stderr, "html: "+err.Error())
			status = exitDamaged
		}
	}
	if htmlFile != nil {
		bw := bufio.NewWriterSize(htmlFile, 64<<10)
		err := writeHTML(bw, src, sas, tr.Findings(), tr.Evicted)
		if err == nil {
			err = bw.Flush()
		}
		if err == nil {
			err = htmlFile.Close()
		}
		if err != nil {
			warn(stderr, "--html: "+err.Error())
			status = exitDamaged
		}
	}
	if err == nil {
		err = renderErr
	}
	if err != nil {
		// An SA could not be rendered, or the spool's temporary file or
		// the output could not be written: the output is incomplete.
		warn(stderr, "output: "+err.Error())
		return exitDamaged
	}
	if matched && status == exitOK {
		status = exitCheck
	}
	return status
}

// writeHTML writes the HTML report of a run: the same document as -T json.
func writeHTML(w io.Writer, src capture.Source, sas []*classify.SA, findings []classify.Finding, evicted int) error {
	doc := report.NewAnalysis(sas, findings)
	doc.Summary.Evicted = evicted
	doc.Tool, doc.Captures = report.Tool{Name: "ikescope", Version: version}, capturesJSON(src)
	return report.HTML(w, doc, sas)
}

func capturesJSON(src capture.Source) []report.CaptureJSON {
	out := []report.CaptureJSON{}
	for _, st := range capture.Stats(src) {
		c := report.CaptureJSON{File: st.File, Packets: st.Packets, Warnings: []string{}, LinkTypes: []uint32{}}
		if st.Packets > 0 {
			f, l := report.FormatTime(st.First), report.FormatTime(st.Last)
			c.First, c.Last = &f, &l
		}
		for _, lt := range st.LinkTypes {
			c.LinkTypes = append(c.LinkTypes, uint32(lt))
		}
		c.Warnings = append(c.Warnings, st.Warnings...)
		out = append(out, c)
	}
	return out
}

// captureEndFlag is --capture-end: an absolute time, or a duration after the
// last packet; zero when not given.
type captureEndFlag struct {
	at    time.Time
	after time.Duration
}

func parseCaptureEnd(s string) (captureEndFlag, error) {
	if s == "" {
		return captureEndFlag{}, nil
	}
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return captureEndFlag{}, errors.New("want an RFC 3339 time or +DURATION (e.g. +30s), got " + strconv.Quote(s))
		}
		return captureEndFlag{after: d}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return captureEndFlag{}, errors.New("want an RFC 3339 time (e.g. 2026-12-04T21:13:30Z) or +DURATION, got " + strconv.Quote(s))
	}
	return captureEndFlag{at: t}, nil
}

// resolve is the end of the capture: the flag's time when given (a time
// before the last packet leaves the clock at the last packet), else what
// the files say.
func (e captureEndFlag) resolve(src capture.Source) time.Time {
	switch {
	case !e.at.IsZero():
		return e.at
	case e.after > 0:
		var last time.Time
		for _, st := range capture.Stats(src) {
			if st.Last.After(last) {
				last = st.Last
			}
		}
		return last.Add(e.after)
	}
	return captureEnd(src)
}

// captureEnd is when the capture stopped, where the files say so (pcapng
// interface statistics): the silence after the last packet then counts
// towards the limits, as it would have on the wire.
func captureEnd(src capture.Source) time.Time {
	var end time.Time
	for _, st := range capture.Stats(src) {
		if st.End.After(end) {
			end = st.End
		}
	}
	return end
}
