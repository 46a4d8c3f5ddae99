package decode

import (
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestWinErrorTableSortedUnique(t *testing.T) {
	all := WinErrors()
	if len(all) == 0 {
		t.Fatal("empty table")
	}
	names := map[string]uint32{}
	for i, e := range all {
		if i > 0 && all[i-1].Code >= e.Code {
			t.Errorf("table not strictly sorted at %d: %d then %d", i, all[i-1].Code, e.Code)
		}
		if prev, dup := names[e.Name]; dup {
			t.Errorf("duplicate name %s (%d and %d)", e.Name, prev, e.Code)
		}
		names[e.Name] = e.Code
		if e.Name == "" || e.Name != strings.ToUpper(e.Name) || strings.ContainsAny(e.Name, " \t") {
			t.Errorf("bad name %q for %d", e.Name, e.Code)
		}
		if e.Message != strings.TrimSpace(e.Message) || strings.Contains(e.Message, `\_`) {
			t.Errorf("%s: message not clean: %q", e.Name, e.Message)
		}
		if e.Code > 0xFFFF && !strings.HasPrefix(e.Name, "FWP_E_") {
			t.Errorf("%s: code %#x is not a Win32 code", e.Name, e.Code)
		}
	}
}

func TestWinErrorsReturnsCopy(t *testing.T) {
	a := WinErrors()
	a[0].Name = "CHANGED"
	if b := WinErrors(); b[0].Name == "CHANGED" {
		t.Fatal("WinErrors exposes the internal table")
	}
}

func TestWinErrorRangesComplete(t *testing.T) {
	// x/sys/windows (and winerror.h) define every code in these ranges.
	for _, r := range [][2]uint32{{13000, 13025}, {13800, 13909}, {13910, 13918}, {13925, 13932}} {
		for c := r[0]; c <= r[1]; c++ {
			if _, ok := LookupWinError(c); !ok {
				t.Errorf("code %d missing", c)
			}
		}
	}
	for _, c := range []uint32{12999, 13026, 13799, 13919, 13924, 13933, 0, 0xFFFF} {
		if e, ok := LookupWinError(c); ok {
			t.Errorf("LookupWinError(%d) = %v, want not found", c, e)
		}
	}
}

func TestWinErrorKnownFacts(t *testing.T) {
	tests := []struct {
		code    uint32
		name    string
		hex     string
		message string // "" = don't check
	}{
		{13800, "ERROR_IPSEC_IKE_NEG_STATUS_BEGIN", "0x35E8", "ERROR_IPSEC_IKE_NEG_STATUS_BEGIN"},
		{13801, "ERROR_IPSEC_IKE_AUTH_FAIL", "0x35E9", "IKE authentication credentials are unacceptable."},
		{13805, "ERROR_IPSEC_IKE_TIMED_OUT", "0x35ED", "Negotiation timed out."},
		{13806, "ERROR_IPSEC_IKE_NO_CERT", "0x35EE", "IKE failed to find valid machine certificate. Contact your Network Security Administrator about installing a valid certificate in the appropriate Certificate Store."},
		{13807, "ERROR_IPSEC_IKE_SA_DELETED", "0x35EF", "IKE SA deleted by peer before establishment completed."},
		{13808, "ERROR_IPSEC_IKE_SA_REAPED", "0x35F0", "IKE SA deleted before establishment completed."},
		{13810, "ERROR_IPSEC_IKE_QM_ACQUIRE_DROP", "0x35F2", "Negotiation request sat in Queue too long."},
		{13813, "ERROR_IPSEC_IKE_DROP_NO_RESPONSE", "0x35F5", "No response from peer."},
		{13814, "ERROR_IPSEC_IKE_MM_DELAY_DROP", "0x35F6", "Negotiation took too long."},
		{13815, "ERROR_IPSEC_IKE_QM_DELAY_DROP", "0x35F7", "Negotiation took too long."},
		{13842, "ERROR_IPSEC_IKE_PROCESS_ERR_VENDOR", "0x3612", "Error processing VendorId payload."},
		{13844, "ERROR_IPSEC_IKE_LOAD_SOFT_SA", "0x3614", "Soft SA loaded."},
		{13848, "ERROR_IPSEC_IKE_PEER_CRL_FAILED", "0x3618", "Certification Revocation check of peer's certificate failed."},
		{13884, "ERROR_IPSEC_IKE_QM_LIMIT", "0x363C", ""},
		{13885, "ERROR_IPSEC_IKE_MM_EXPIRED", "0x363D", "Main mode SA lifetime expired or peer sent a main mode delete."},
		{13886, "ERROR_IPSEC_IKE_PEER_MM_ASSUMED_INVALID", "0x363E", "Main mode SA assumed to be invalid because peer stopped responding."},
		{13895, "ERROR_IPSEC_IKE_QM_EXPIRED", "0x3647", "Quick mode SA was expired by IPsec driver."},
		{13897, "ERROR_IPSEC_IKE_NEG_STATUS_END", "0x3649", ""},
		{13901, "ERROR_IPSEC_KEY_MODULE_IMPERSONATION_NEGOTIATION_PENDING", "0x364D", ""},
		{13909, "ERROR_IPSEC_IKE_NEG_STATUS_EXTENDED_END", "0x3655", ""},
		{13910, "ERROR_IPSEC_BAD_SPI", "0x3656", "The SPI in the packet does not match a valid IPsec SA."},
		{13932, "ERROR_IPSEC_DOSP_MAX_PER_IP_RATELIMIT_QUEUES", "0x366C", ""},
		{13000, "ERROR_IPSEC_QM_POLICY_EXISTS", "0x32C8", "The specified quick mode policy already exists."},
		{13024, "WARNING_IPSEC_MM_POLICY_PRUNED", "0x32E0", ""},
		{0x80320015, "FWP_E_KM_CLIENTS_ONLY", "0x80320015", "The call is allowed for kernel-mode callers only."},
	}
	for _, tt := range tests {
		e, ok := LookupWinError(tt.code)
		if !ok {
			t.Errorf("LookupWinError(%d): not found", tt.code)
			continue
		}
		if e.Code != tt.code || e.Name != tt.name {
			t.Errorf("LookupWinError(%d) = %d %s, want %s", tt.code, e.Code, e.Name, tt.name)
		}
		if got := e.Hex(); got != tt.hex {
			t.Errorf("%s.Hex() = %s, want %s", tt.name, got, tt.hex)
		}
		if tt.message != "" && e.Message != tt.message {
			t.Errorf("%s message = %q, want %q", tt.name, e.Message, tt.message)
		}
		if e.Message == "" {
			t.Errorf("%s has no message", tt.name)
		}
		n, ok := LookupWinErrorName(tt.name)
		if !ok || n != e {
			t.Errorf("LookupWinErrorName(%q) = %v, %v; want %v", tt.name, n, ok, e)
		}
	}
}

func TestWinErrorHRESULT(t *testing.T) {
	tests := []struct {
		in      uint32
		code    uint32
		hresult string
	}{
		{0x800735F6, 13814, "0x800735F6"},
		{13814, 13814, "0x800735F6"},
		{0x800735E9, 13801, "0x800735E9"},
		{0x800732C8, 13000, "0x800732C8"},
		{0x80070000 | 13932, 13932, "0x8007366C"},
		{0x80320015, 0x80320015, "0x80320015"},
	}
	for _, tt := range tests {
		e, ok := LookupWinError(tt.in)
		if !ok || e.Code != tt.code {
			t.Errorf("LookupWinError(%#x) = %v, %v; want code %d", tt.in, e, ok, tt.code)
			continue
		}
		if got := e.HRESULT(); got != tt.hresult {
			t.Errorf("%s.HRESULT() = %s, want %s", e.Name, got, tt.hresult)
		}
	}
	for _, c := range []uint32{
		0x800635F6, // wrong facility
		0x000735F6, // no severity bit
		0xC00735F6, // not FACILITY_WIN32 HRESULT form
		0x80073657 + 0x10000,
		0x80070000 | 13919, // gap
		0x80320016,         // other FWP error, not in table
		0x80070015,         // low bits 0x15, not in table
		0x80070000,
	} {
		if e, ok := LookupWinError(c); ok {
			t.Errorf("LookupWinError(%#x) = %v, want not found", c, e)
		}
	}
	if got := (WinError{Code: 5}).HRESULT(); got != "0x80070005" {
		t.Errorf("HRESULT(5) = %s", got)
	}
	if got := (WinError{Code: 5}).Hex(); got != "0x0005" {
		t.Errorf("Hex(5) = %s", got)
	}
}

func TestLookupWinErrorName(t *testing.T) {
	tests := []struct {
		name string
		code uint32
	}{
		{"ERROR_IPSEC_IKE_MM_DELAY_DROP", 13814},
		{"error_ipsec_ike_mm_delay_drop", 13814},
		{"MM_DELAY_DROP", 13814},
		{"mm_delay_drop", 13814},
		{"ipsec_ike_mm_delay_drop", 13814},
		{"IPSEC_IKE_MM_DELAY_DROP", 13814},
		{"IKE_MM_DELAY_DROP", 13814},
		{"  Auth_Fail\n", 13801},
		{"no_cert", 13806},
		{"MM_EXPIRED", 13885},
		{"QM_EXPIRED", 13895},
		{"PEER_MM_ASSUMED_INVALID", 13886},
		{"BAD_SPI", 13910},
		{"ipsec_bad_spi", 13910},
		{"DOSP_BLOCK", 13925},
		{"KEY_MODULE_IMPERSONATION_NEGOTIATION_PENDING", 13901},
		{"QM_POLICY_EXISTS", 13000},
		{"MM_POLICY_PRUNED", 13024},
		{"warning_ipsec_qm_policy_pruned", 13025},
		{"KM_CLIENTS_ONLY", 0x80320015},
		{"fwp_e_km_clients_only", 0x80320015},
	}
	for _, tt := range tests {
		e, ok := LookupWinErrorName(tt.name)
		if !ok || e.Code != tt.code {
			t.Errorf("LookupWinErrorName(%q) = %v, %v; want code %d", tt.name, e, ok, tt.code)
		}
	}
	for _, n := range []string{"", " ", "ERROR_", "ERROR_IPSEC_IKE_", "MM_DELAY", "NOPE", "ERROR_IPSEC_IKE_BAD_SPI", "13814"} {
		if e, ok := LookupWinErrorName(n); ok {
			t.Errorf("LookupWinErrorName(%q) = %v, want not found", n, e)
		}
	}
}

// Every short form (a name with one of the optional prefixes removed) must
// lead back to its own entry, so no abbreviation is ambiguous.
func TestWinErrorShortNamesUnambiguous(t *testing.T) {
	for _, e := range WinErrors() {
		for _, p := range winErrorPrefixes {
			short, ok := strings.CutPrefix(e.Name, p)
			if !ok || short == "" {
				continue
			}
			got, ok := LookupWinErrorName(short)
			if !ok || got.Code != e.Code {
				t.Errorf("short name %q finds %v (%v), want %s", short, got.Name, ok, e.Name)
			}
		}
	}
}

func TestWinErrorString(t *testing.T) {
	e, _ := LookupWinError(13814)
	if got, want := e.String(), "ERROR_IPSEC_IKE_MM_DELAY_DROP (13814): Negotiation took too long."; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := (WinError{Code: 1, Name: "X"}).String(); got != "X (1)" {
		t.Errorf("String() = %q", got)
	}
}

// TestWinErrorMatchesXSys cross-checks the table against every copy of
// golang.org/x/sys/windows/zerrors_windows.go in the local module cache:
// each ERROR_IPSEC_* / WARNING_IPSEC_* constant in 13000-13999 and
// FWP_E_KM_CLIENTS_ONLY must be in the table under the same name and code.
// It is skipped when x/sys is not in the cache (no network is used).
func TestWinErrorMatchesXSys(t *testing.T) {
	var roots []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		roots = append(roots, c)
	}
	for _, p := range filepath.SplitList(build.Default.GOPATH) {
		roots = append(roots, filepath.Join(p, "pkg", "mod"))
	}
	var files []string
	for _, r := range roots {
		m, _ := filepath.Glob(filepath.Join(r, "golang.org", "x", "sys@*", "windows", "zerrors_windows.go"))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("golang.org/x/sys not in the module cache")
	}
	re := regexp.MustCompile(`(?m)^\s+((?:ERROR|WARNING)_IPSEC_\w+|FWP_E_KM_CLIENTS_ONLY)\s+(?:syscall\.Errno|Handle)\s+=\s+(\w+)`)
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			v, err := strconv.ParseUint(m[2], 0, 32)
			if err != nil {
				t.Errorf("%s: %s = %s: %v", f, m[1], m[2], err)
				continue
			}
			code := uint32(v)
			if m[1] != "FWP_E_KM_CLIENTS_ONLY" && (code < 13000 || code > 13999) {
				continue
			}
			n++
			seen[m[1]] = true
			e, ok := LookupWinError(code)
			if !ok || e.Name != m[1] || e.Code != code {
				t.Errorf("%s: %s = %d; table has %v (found %v)", f, m[1], code, e, ok)
			}
		}
		if n == 0 {
			t.Errorf("%s: no IPsec constants found; pattern out of date?", f)
		}
	}
	for _, e := range WinErrors() {
		if !seen[e.Name] {
			t.Errorf("%s (%d) is in the table but in no x/sys copy", e.Name, e.Code)
		}
	}
	t.Logf("checked against %d x/sys cop(y/ies)", len(files))
}
