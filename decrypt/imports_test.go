package decrypt_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps decrypt pure: no I/O packages, nothing from the
// capture, classify or report layers; decode and crypto only.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, imp := range strings.Fields(string(out)) {
		switch {
		case imp == "os", imp == "net", strings.HasPrefix(imp, "net/http"), imp == "time",
			strings.Contains(imp, "gopacket"), strings.HasSuffix(imp, "/capture"),
			strings.HasSuffix(imp, "/classify"), strings.HasSuffix(imp, "/report"):
			t.Errorf("decrypt imports %s", imp)
		}
	}
}
