package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/check"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/decode"
	"github.com/ikescope/ikescope/decrypt"
	"github.com/ikescope/ikescope/internal/pipeline"
	"github.com/ikescope/ikescope/report"
)

// checkOpts are the analysis settings of the check command.
type checkOpts struct {
	profile                 string
	mm, qm, acquire, giveUp time.Duration
	local                   netip.Addr
	count                   int
	keys                    *decrypt.Keys
}

// config returns the tracker configuration for a capture whose expectation
// file names profile (or "" for the command's --profile).
func (o *checkOpts) config(profile string) classify.Config {
	cfg := classify.DefaultConfig()
	if profile == "" {
		profile = o.profile
	}
	if p, ok := classify.Profiles[profile]; ok {
		p.MaxSAs = cfg.MaxSAs
		cfg = p
	}
	for _, l := range []struct {
		v time.Duration
		d *time.Duration
	}{{o.mm, &cfg.MMLimit}, {o.qm, &cfg.QMLimit}, {o.acquire, &cfg.AcquireLimit}, {o.giveUp, &cfg.GiveUp}} {
		if l.v > 0 {
			*l.d = l.v
		}
	}
	cfg.Local = o.local
	return cfg
}

// checkTarget is one capture to check.
type checkTarget struct {
	capture, expect string
	exists          bool // the expectation file exists
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("check", "check [flags] DIR|CAPTURE...\n\n"+
		"Analyses every capture (.pcap, .pcapng, .cap, optionally .gz) that has an expectation\n"+
		"file <capture>.expect.json next to it and compares the verdicts with it (docs/check.md).\n"+
		"A DIR is searched recursively; captures in it without an expectation file are skipped.", stderr)
	update := flags.BoolP("update", "u", false, "write the current results as expectations (creates the file for a CAPTURE named explicitly; keeps assertions that still hold)")
	junit := flags.String("junit", "", "also write the results as JUnit XML to `FILE`")
	verbose := flags.BoolP("verbose", "v", false, "list the captures skipped for lack of an expectation file, and decoding warnings")
	var o checkOpts
	flags.StringVar(&o.profile, "profile", "", "timer profile `NAME` for captures whose expectation file names none: windows, strongswan or libreswan (default: strongswan's timers)")
	flags.DurationVar(&o.mm, "mm-limit", 0, "phase-1 limit (default from the profile)")
	flags.DurationVar(&o.qm, "qm-limit", 0, "phase-2 limit (default from the profile)")
	flags.DurationVar(&o.acquire, "acquire-limit", 0, "how long after phase 1 a phase 2 must start (default 60s)")
	flags.DurationVar(&o.giveUp, "give-up", 0, "silence after which a pending negotiation counts as abandoned (default from the profile)")
	local := flags.String("local", "", "the local `ADDR` (decides sa_reaped versus sa_deleted); default: the initiator")
	flags.IntVarP(&o.count, "count", "c", 0, "read at most `N` packets of each capture (0: no limit)")
	ikePorts := flags.UintSlice("ike-port", nil, "extra UDP `PORT`s that carry IKE (without non-ESP marker)")
	nattPorts := flags.UintSlice("natt-port", nil, "extra UDP `PORT`s that carry NAT-T (marker, keepalive, ESP)")
	var kf keyFlags
	kf.register(flags)
	if done, code := parseFlags(flags, args, stdout); done {
		return code
	}
	keys, code := kf.load(stderr)
	if code != exitOK {
		return code
	}
	o.keys = keys
	if flags.NArg() == 0 {
		warn(stderr, "check: no directory or capture given")
		flags.Usage()
		return exitUsage
	}
	if o.profile != "" {
		if _, ok := classify.Profiles[o.profile]; !ok {
			warn(stderr, "unknown profile "+strconv.Quote(o.profile)+" (want windows, strongswan or libreswan)")
			return exitUsage
		}
	}
	if *local != "" {
		a, err := netip.ParseAddr(*local)
		if err != nil {
			warn(stderr, "--local: "+err.Error())
			return exitUsage
		}
		o.local = a
	}
	for _, p := range append(append([]uint(nil), *ikePorts...), *nattPorts...) {
		if p == 0 || p > 65535 {
			warn(stderr, "port "+strconv.FormatUint(uint64(p), 10)+" out of range")
			return exitUsage
		}
	}
	for _, p := range *ikePorts {
		decode.RegisterIKEPort(uint16(p))
	}
	for _, p := range *nattPorts {
		decode.RegisterNATTPort(uint16(p))
	}
	var junitFile *os.File
	if *junit != "" {
		// Open it now, so that a bad path is a usage error before the run.
		f, err := os.Create(*junit)
		if err != nil {
			warn(stderr, "--junit: "+err.Error())
			return exitUsage
		}
		junitFile = f
		defer f.Close()
	}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	start := time.Now()
	var (
		cases   []check.Case
		skipped []string
		done    int // captures analysed and compared (or updated)
		passed  int
		changed int // --update: files written
	)
	errorCase := func(name, msg string) {
		out.WriteString("ERROR " + checkSafe(name) + ": " + checkSafe(msg) + "\n")
		cases = append(cases, check.Case{Name: name, Error: msg})
	}
	seen := map[string]bool{}
	var targets []checkTarget
	for _, arg := range flags.Args() {
		if c, ok := strings.CutSuffix(arg, check.Suffix); ok && c != "" {
			arg = c // the expectation file was named: check its capture
		}
		st, err := os.Stat(arg)
		if err != nil {
			errorCase(arg, checkErrText(err))
			continue
		}
		if !st.IsDir() {
			if !seen[filepath.Clean(arg)] {
				seen[filepath.Clean(arg)] = true
				targets = append(targets, checkTargetFor(arg))
			}
			continue
		}
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				warn(stderr, checkSafe(checkErrText(err)))
				return nil
			}
			if d.IsDir() {
				if p != arg && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !isCaptureName(d.Name()) || seen[filepath.Clean(p)] {
				return nil
			}
			seen[filepath.Clean(p)] = true
			t := checkTargetFor(p)
			if !t.exists {
				skipped = append(skipped, p)
				return nil
			}
			targets = append(targets, t)
			return nil
		})
		if err != nil {
			warn(stderr, checkSafe(checkErrText(err)))
		}
	}
	if *verbose {
		for _, p := range skipped {
			out.WriteString("skip  " + checkSafe(p) + " (no " + checkSafe(filepath.Base(p)) + check.Suffix + ")\n")
		}
	}

	for _, t := range targets {
		t0 := time.Now()
		var x *check.Expect
		if t.exists {
			var err error
			if x, err = check.Load(t.expect); err != nil {
				errorCase(t.capture, checkErrText(err))
				continue
			}
		} else if !*update {
			errorCase(t.capture, "no expectation file "+t.expect+" (run 'ikescope check --update "+t.capture+"' to create it)")
			continue
		}
		profile := ""
		if x != nil {
			profile = x.Profile
		}
		a, warnings, err := checkAnalyse(t.capture, o.config(profile), o.count, o.keys)
		if err != nil {
			errorCase(t.capture, checkErrText(err))
			continue
		}
		for _, w := range warnings {
			if *verbose || !strings.HasPrefix(w, "ike: ") {
				warn(stderr, checkSafe(t.capture+": "+w))
			}
		}
		if *update {
			wrote, err := checkWriteExpectation(out, t, x, a, o.profile)
			if err != nil {
				errorCase(t.capture, checkErrText(err))
				continue
			}
			done++
			passed++
			if wrote {
				changed++
			}
			cases = append(cases, check.Case{Name: t.capture, Time: time.Since(t0)})
			continue
		}
		done++
		diffs := check.Compare(x, a)
		cases = append(cases, check.Case{Name: t.capture, Time: time.Since(t0), Differences: diffs})
		if len(diffs) == 0 {
			passed++
			out.WriteString("ok    " + checkSafe(t.capture) + " (" + checkPlural(len(a.IKESAs), "IKE SA") + ")\n")
			continue
		}
		out.WriteString("FAIL  " + checkSafe(t.capture) + "\n")
		for _, d := range diffs {
			out.WriteString("  " + checkSafe(d.String()) + "\n")
		}
	}

	errs := 0
	for _, c := range cases {
		if c.Error != "" {
			errs++
		}
	}
	var total strings.Builder
	if *update {
		total.WriteString("updated " + checkPlural(done, "capture") + ": " + strconv.Itoa(changed) + " expectation file(s) written, " +
			strconv.Itoa(done-changed) + " unchanged, " + checkPlural(errs, "error"))
	} else {
		total.WriteString("checked " + checkPlural(done, "capture") + ": " + strconv.Itoa(passed) + " passed, " +
			strconv.Itoa(done-passed) + " failed, " + checkPlural(errs, "error"))
	}
	if len(skipped) > 0 {
		total.WriteString("; " + strconv.Itoa(len(skipped)) + " skipped without an expectation file")
		if !*verbose {
			total.WriteString(" (-v lists them)")
		}
	}
	out.WriteString(total.String() + "\n")

	status := exitOK
	switch {
	case done == 0:
		if len(cases) == 0 {
			warn(stderr, "no capture with an expectation file (<capture>"+check.Suffix+") found")
		}
		status = exitNoInput
	case errs > 0 || passed < done:
		status = exitCheck
	}
	if junitFile != nil {
		var b bytes.Buffer
		check.WriteJUnit(&b, check.Suite{Name: "ikescope check", Timestamp: start, Cases: cases})
		if _, err := junitFile.Write(b.Bytes()); err != nil {
			warn(stderr, "--junit: "+err.Error())
			if status == exitOK {
				status = exitCheck
			}
		}
	}
	return status
}

// checkTargetFor returns the check target for a capture.
func checkTargetFor(capturePath string) checkTarget {
	t := checkTarget{capture: capturePath, expect: capturePath + check.Suffix}
	if st, err := os.Stat(t.expect); err == nil && !st.IsDir() {
		t.exists = true
	}
	return t
}

// isCaptureName reports whether a file name looks like a capture: .pcap,
// .pcapng or .cap, optionally followed by .gz. (The format itself is chosen
// by the magic number when reading; the name only selects what a DIR walk
// picks up.)
func isCaptureName(name string) bool {
	n := strings.ToLower(name)
	n = strings.TrimSuffix(n, ".gz")
	for _, ext := range []string{".pcap", ".pcapng", ".cap"} {
		if strings.HasSuffix(n, ext) && len(n) > len(ext) {
			return true
		}
	}
	return false
}

// checkWriteExpectation writes the --update result for one capture and reports
// whether the file changed.
func checkWriteExpectation(out io.Writer, t checkTarget, old *check.Expect, a *report.Analysis, profile string) (bool, error) {
	var x *check.Expect
	var notes []string
	verb := "created "
	if old == nil {
		x = check.FromResults(a, profile)
	} else {
		x, notes = check.Update(old, a)
		verb = "updated "
	}
	b, err := x.Marshal()
	if err != nil {
		return false, errors.New(t.expect + ": " + err.Error())
	}
	if prev, err := os.ReadFile(t.expect); err == nil && bytes.Equal(prev, b) {
		io.WriteString(out, "same  "+checkSafe(t.expect)+"\n")
		return false, nil
	}
	if err := checkWriteFile(t.expect, b); err != nil {
		return false, err
	}
	io.WriteString(out, verb+checkSafe(t.expect)+" ("+checkPlural(len(a.IKESAs), "IKE SA")+")\n")
	for _, n := range notes {
		io.WriteString(out, "  "+checkSafe(n)+"\n")
	}
	return true, nil
}

// checkWriteFile writes b to name through a temporary file in the same
// directory, so that an interrupted update leaves the old file in place.
func checkWriteFile(name string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), name); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// checkAnalyse runs one capture through decode and classify as analyze
// does, and returns the analysis in the JSON contract's form. err is set
// only when the capture could not be opened; read errors after the first
// packet come back as warnings, with the packets before them analysed.
func checkAnalyse(name string, cfg classify.Config, limit int, keys *decrypt.Keys) (*report.Analysis, []string, error) {
	src, err := capture.OpenFile(name)
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	var warnings []string
	tr := classify.NewTracker(cfg)
	pl := pipeline.New(tr)
	pl.IKEError = func(p *capture.Packet, err error) {
		warnings = append(warnings, "ike: frame "+strconv.Itoa(p.Frame)+": "+report.EscapeString(err.Error()))
	}
	pl.Decrypter = decrypter(keys)
	pl.DecryptError = func(p *capture.Packet, err error) {
		warnings = append(warnings, "decrypt: frame "+strconv.Itoa(p.Frame)+": "+report.EscapeString(err.Error()))
	}
	for n := 0; limit == 0 || n < limit; n++ {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			warnings = append(warnings, "damaged capture: "+checkErrText(err))
			break
		}
		pl.Feed(p)
	}
	pl.Finish(captureEnd(src))
	a := report.NewAnalysis(tr.Results(), tr.Findings())
	return &a, warnings, nil
}

// checkErrText is err's message; a missing file reads "PATH: no such file or
// directory", without the operation (open, stat, lstat) that found it missing.
func checkErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
		return pe.Path + ": no such file or directory"
	}
	return err.Error()
}

// checkSafe makes a path or message safe for a terminal: what is not
// printable becomes \xNN. Unlike report.EscapeString it leaves backslashes
// alone, so Windows paths read as typed.
func checkSafe(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			n := utf8.RuneLen(r)
			if r == utf8.RuneError {
				_, n = utf8.DecodeRuneInString(s[i:])
			}
			for _, c := range []byte(s[i : i+n]) {
				b.WriteString(`\x` + strconv.FormatUint(uint64(c>>4), 16) + strconv.FormatUint(uint64(c&15), 16))
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func checkPlural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
