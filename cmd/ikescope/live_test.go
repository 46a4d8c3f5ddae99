package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikescope/ikescope/capture"
)

func TestLiveUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"no interface", []string{"live"}, exitUsage, "no interface given"},
		{"bad format", []string{"live", "-i", "lo", "-T", "json"}, exitUsage, "unknown format"},
		{"bad max-sas", []string{"live", "-i", "lo", "--max-sas", "0"}, exitUsage, "--max-sas"},
		{"bad profile", []string{"live", "-i", "lo", "--profile", "nope"}, exitUsage, "unknown profile"},
		{"bad port", []string{"live", "-i", "lo", "--ike-port", "70000"}, exitUsage, "out of range"},
		{"bad raw program", []string{"live", "-i", "lo", "--bpf-raw", "3,6 0 0 1"}, exitUsage, "--bpf-raw"},
		{"raw program and expression", []string{"live", "-i", "lo", "--bpf-raw", "1,6 0 0 65535", "udp"}, exitUsage, "not both"},
		{"bad print-filter", []string{"live", "--print-filter=fddi"}, exitUsage, "unknown link"},
	} {
		code, _, errs := runCmd(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.err) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", tc.name, code, errs, tc.code, tc.err)
		}
	}
	code, out, _ := runCmd(t, "live", "--help")
	for _, w := range []string{"--interface", "--max-sas", "--metrics-addr", "--stats", "--bpf-raw", "--write", "exit status"} {
		if code != exitOK || !strings.Contains(out, w) {
			t.Errorf("live --help (exit %d) lacks %s", code, w)
		}
	}
}

func TestLivePrintFilter(t *testing.T) {
	for _, link := range []string{"ethernet", "raw"} {
		code, out, errs := runCmd(t, "live", "--print-filter="+link, "--natt-port", "4501")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		prog, err := capture.ParseRawFilter(out)
		if err != nil {
			t.Fatalf("--print-filter=%s output does not parse back: %v\n%s", link, err, out)
		}
		if !strings.Contains(out, " 4501\n") {
			t.Errorf("--print-filter=%s: extra port 4501 missing", link)
		}
		// It is what --bpf-raw takes, from a file too.
		f := filepath.Join(t.TempDir(), "prog")
		os.WriteFile(f, []byte(out), 0o644)
		if code, _, errs := runCmd(t, "live", "-i", "ikescope-no-such-if0", "--bpf-raw", "@"+f); code != exitNoInput || strings.Contains(errs, "--bpf-raw") {
			t.Errorf("--bpf-raw @file (%d instructions): exit %d, %s", len(prog), code, errs)
		}
	}
}

func TestLiveNoSuchInterface(t *testing.T) {
	code, _, errs := runCmd(t, "live", "-i", "ikescope-no-such-if0")
	if code != exitNoInput || !strings.Contains(errs, "ikescope-no-such-if0") {
		t.Errorf("exit %d, stderr %q; want exit %d naming the interface", code, errs, exitNoInput)
	}
}
