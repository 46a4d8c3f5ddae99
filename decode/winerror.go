package decode

import (
	"slices"
	"strconv"
	"strings"
)

// WinError describes one Windows error code.
//
// The table (see winerror_table.go) covers the Windows IPsec policy-store
// errors ERROR_IPSEC_* / WARNING_IPSEC_* 13000-13025, the IKE negotiation
// errors ERROR_IPSEC_IKE_* 13800-13909 (as reported by IKEEXT in audit events
// 4653/4654, netsh wfp traces and RAS/VPN client errors), the IPsec driver
// and DoS-protection errors 13910-13932, and one non-Win32 entry,
// FWP_E_KM_CLIENTS_ONLY (an HRESULT in FACILITY_FWP, 0x80320015).
//
// 13800 ERROR_IPSEC_IKE_NEG_STATUS_BEGIN, 13897 ERROR_IPSEC_IKE_NEG_STATUS_END
// and 13909 ERROR_IPSEC_IKE_NEG_STATUS_EXTENDED_END are range markers, not
// real failures; Microsoft's message text for them is just the name.
type WinError struct {
	Code    uint32 // e.g. 13814
	Name    string // e.g. "ERROR_IPSEC_IKE_MM_DELAY_DROP"
	Message string // Microsoft's official message text ("" if unknown)
}

const (
	winHRWin32Mask = 0xFFFF0000
	winHRWin32     = 0x80070000 // SEVERITY_ERROR | FACILITY_WIN32 << 16
)

// winErrorByName maps each table Name to its index in winErrors.
var winErrorByName = func() map[string]int {
	m := make(map[string]int, len(winErrors))
	for i, e := range winErrors {
		m[e.Name] = i
	}
	return m
}()

// winErrorIndex returns the index of code in the sorted table, or -1.
func winErrorIndex(code uint32) int {
	i, ok := slices.BinarySearchFunc(winErrors, code, func(e WinError, c uint32) int {
		switch {
		case e.Code < c:
			return -1
		case e.Code > c:
			return 1
		}
		return 0
	})
	if !ok {
		return -1
	}
	return i
}

// LookupWinError finds a Windows error by code. It accepts the plain Win32
// code (13814), the same code wrapped as an HRESULT by HRESULT_FROM_WIN32
// (0x800735F6, FACILITY_WIN32: the low 16 bits are used), and the exact
// HRESULT of the non-Win32 entries (0x80320015 FWP_E_KM_CLIENTS_ONLY).
func LookupWinError(code uint32) (WinError, bool) {
	if i := winErrorIndex(code); i >= 0 {
		return winErrors[i], true
	}
	if code&winHRWin32Mask == winHRWin32 {
		if i := winErrorIndex(code & 0xFFFF); i >= 0 {
			return winErrors[i], true
		}
	}
	return WinError{}, false
}

// winErrorPrefixes are tried, in order, in front of a name that does not
// match a table entry as given.
var winErrorPrefixes = [...]string{
	"ERROR_",
	"ERROR_IPSEC_",
	"ERROR_IPSEC_IKE_",
	"WARNING_",
	"WARNING_IPSEC_",
	"FWP_E_",
}

// LookupWinErrorName finds a Windows error by its symbolic name. Matching is
// case-insensitive, ignores surrounding space, and the leading "ERROR_",
// "ERROR_IPSEC_", "ERROR_IPSEC_IKE_" (or "WARNING_IPSEC_", "FWP_E_") may be
// left out: "MM_DELAY_DROP", "ipsec_ike_mm_delay_drop" and
// "ERROR_IPSEC_IKE_MM_DELAY_DROP" all find 13814.
func LookupWinErrorName(name string) (WinError, bool) {
	name = strings.ToUpper(strings.TrimSpace(name))
	if name == "" {
		return WinError{}, false
	}
	if i, ok := winErrorByName[name]; ok {
		return winErrors[i], true
	}
	for _, p := range winErrorPrefixes {
		if i, ok := winErrorByName[p+name]; ok {
			return winErrors[i], true
		}
	}
	return WinError{}, false
}

// WinErrors returns a copy of the whole table, sorted by code.
func WinErrors() []WinError {
	return slices.Clone(winErrors)
}

// Hex returns the code in hexadecimal, e.g. "0x35F6" for 13814.
func (e WinError) Hex() string {
	return winHex(e.Code, 4)
}

// HRESULT returns the code as an HRESULT in hexadecimal. Win32 codes are
// wrapped as HRESULT_FROM_WIN32 does (13814 -> "0x800735F6"); entries that are
// already HRESULTs (FWP_E_*) are returned as they are ("0x80320015").
func (e WinError) HRESULT() string {
	c := e.Code
	if c != 0 && c <= 0xFFFF {
		c |= winHRWin32
	}
	return winHex(c, 8)
}

// String returns "NAME (code): message", or "NAME (code)" with no message.
func (e WinError) String() string {
	s := e.Name + " (" + strconv.FormatUint(uint64(e.Code), 10) + ")"
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// winHex formats v as "0x" plus upper-case hex, zero-padded to width digits.
func winHex(v uint32, width int) string {
	h := strings.ToUpper(strconv.FormatUint(uint64(v), 16))
	if n := width - len(h); n > 0 {
		h = strings.Repeat("0", n) + h
	}
	return "0x" + h
}
