//go:build !libpcap

package main

import (
	"strings"
	"testing"
)

// buildTags are the tags the end-to-end tests build ikescope with: the
// same as the tests'.
var buildTags []string

// The pure-Go build cannot compile filter expressions: it says so and
// names the libpcap build and --bpf-raw.
func TestLiveExpressionNeedsLibpcap(t *testing.T) {
	code, _, errs := runCmd(t, "live", "-i", "lo", "host", "192.0.2.1")
	if code != exitUsage || !strings.Contains(errs, "-tags libpcap") || !strings.Contains(errs, "--bpf-raw") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
