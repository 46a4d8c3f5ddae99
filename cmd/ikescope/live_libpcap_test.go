//go:build libpcap

package main

import (
	"strings"
	"testing"
)

// buildTags are the tags the end-to-end tests build ikescope with: the
// same as the tests'.
var buildTags = []string{"libpcap"}

// The libpcap build compiles filter expressions, and rejects bad ones.
func TestLiveExpressionLibpcap(t *testing.T) {
	code, _, errs := runCmd(t, "live", "-i", "lo", "udp port 500 and and")
	if code != exitNoInput || !strings.Contains(errs, "filter") {
		t.Errorf("bad expression: exit %d, stderr %q", code, errs)
	}
}
