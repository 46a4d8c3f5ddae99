package decrypt

import (
	"net/netip"
	"strconv"
	"strings"
)

// charonSA collects the keys logged for one IKE SA (one "<name|id>").
type charonSA struct {
	v2      V2Keys
	v2start int // line of "Sk_d secret", 0 when no set is open
	v1      V1Keys
	v1start int
	// child SA keys, for ESP
	encr, integ    string
	ei, er, ai, ar []byte
	espNext        bool // "adding inbound/outbound ESP SA" seen, its SPI line follows
}

// pendingDump is a "LABEL => N bytes @ 0x..." line whose hex dump lines
// follow.
type pendingDump struct {
	label string
	want  int
	got   []byte
	line  int
}

// parseCharon reads a strongSwan charon log written with ike (and enc)
// log level 4, where key material is dumped as
//
//	... <gw|1> Sk_ei secret => 16 bytes @ 0x7f6b080020f0
//	... <gw|1>    0: 9E D1 ...  (16 bytes a line, then ASCII)
//
// IKEv2 key sets are Sk_ei/Sk_er/Sk_ai/Sk_ar (after "Sk_d secret"); IKEv1
// sets are "encryption key Ka" and "initial IV" (after "SKEYID"). The log
// does not tie the keys to SPIs, so the sets are bound to SAs by trial.
// Lines that are not key dumps are ignored; a dump that is cut short or
// has bad hex is an error naming its line.
func parseCharon(name string, lines []string) (*Keys, error) {
	k := &Keys{}
	sas := map[string]*charonSA{}
	var order []string
	pend := map[string]*pendingDump{}
	get := func(uid string) *charonSA {
		s := sas[uid]
		if s == nil {
			s = &charonSA{}
			sas[uid] = s
			order = append(order, uid)
		}
		return s
	}
	flushV2 := func(s *charonSA) {
		if s.v2start != 0 && len(s.v2.EI) > 0 && len(s.v2.ER) > 0 {
			s.v2.Source = name + ":" + strconv.Itoa(s.v2start)
			k.V2 = append(k.V2, s.v2)
		}
		s.v2, s.v2start = V2Keys{}, 0
	}
	flushV1 := func(s *charonSA) {
		if s.v1start != 0 && len(s.v1.Key) > 0 {
			s.v1.Source = name + ":" + strconv.Itoa(s.v1start)
			k.V1 = append(k.V1, s.v1)
		}
		s.v1, s.v1start = V1Keys{}, 0
	}
	done := func(uid string, d *pendingDump) {
		s := get(uid)
		switch d.label {
		case "Sk_d secret":
			flushV2(s)
			s.v2start = d.line
		case "Sk_ei secret":
			s.v2.EI = d.got
		case "Sk_er secret":
			s.v2.ER = d.got
		case "Sk_ai secret":
			s.v2.AI = d.got
		case "Sk_ar secret":
			s.v2.AR = d.got
		case "SKEYID":
			flushV1(s)
			s.v1start = d.line
		case "encryption key Ka":
			s.v1.Key = d.got
		case "initial IV":
			s.v1.IV = d.got
		case "encryption initiator key":
			s.ei = d.got
		case "encryption responder key":
			s.er = d.got
		case "integrity initiator key":
			s.ai = d.got
		case "integrity responder key":
			s.ar = d.got
		}
	}
	for i, l := range lines {
		uid, rest, ok := charonTag(l)
		if !ok {
			continue
		}
		if d := pend[uid]; d != nil {
			if off, hexs, ok := hexDumpLine(rest); ok {
				if off != len(d.got) {
					return nil, &PosError{File: name, Line: i + 1, Err: ErrBadLine, Note: "hex dump of " + strconv.Quote(d.label) + " continues at offset " + strconv.Itoa(off) + ", want " + strconv.Itoa(len(d.got))}
				}
				n := d.want - len(d.got)
				if n > 16 {
					n = 16
				}
				b, err := hexTokens(hexs, n)
				if err != nil {
					return nil, &PosError{File: name, Line: i + 1, Err: ErrBadHex, Note: "hex dump of " + strconv.Quote(d.label)}
				}
				d.got = append(d.got, b...)
				if len(d.got) == d.want {
					delete(pend, uid)
					done(uid, d)
				}
				continue
			}
			if isKeyLabel(d.label) {
				return nil, &PosError{File: name, Line: d.line, Err: ErrBadLine, Note: "hex dump of " + strconv.Quote(d.label) + " cut short: " + strconv.Itoa(len(d.got)) + " of " + strconv.Itoa(d.want) + " bytes"}
			}
			delete(pend, uid)
		}
		if t := strings.TrimSpace(rest); strings.HasPrefix(t, "using ") {
			s := get(uid)
			if a, ok := strings.CutSuffix(t, " for encryption"); ok {
				s.encr, s.integ = strings.TrimPrefix(a, "using "), ""
				s.ei, s.er, s.ai, s.ar = nil, nil, nil, nil
			} else if a, ok := strings.CutSuffix(t, " for integrity"); ok {
				s.integ = strings.TrimPrefix(a, "using ")
			}
			continue
		} else if t == "adding inbound ESP SA" || t == "adding outbound ESP SA" {
			get(uid).espNext = true
			continue
		} else if s := sas[uid]; s != nil && s.espNext && strings.HasPrefix(t, "SPI 0x") {
			s.espNext = false
			k.ESP = append(k.ESP, charonESP(s, t, name+":"+strconv.Itoa(i+1))...)
			continue
		}
		label, n, ok := dumpHeader(rest)
		if !ok {
			continue
		}
		d := &pendingDump{label: label, want: n, line: i + 1}
		if n == 0 {
			done(uid, d)
			continue
		}
		if n > 4096 {
			// Large dumps (messages, DH secrets) are skipped line by line.
			if isKeyLabel(label) {
				return nil, &PosError{File: name, Line: i + 1, Err: ErrBadKeyLen, Note: strconv.Quote(label) + " of " + strconv.Itoa(n) + " bytes"}
			}
		}
		pend[uid] = d
	}
	for uid, d := range pend {
		if isKeyLabel(d.label) {
			return nil, &PosError{File: name, Line: d.line, Err: ErrBadLine, Note: "hex dump of " + strconv.Quote(d.label) + " cut short at the end of the file (" + uid + ")"}
		}
	}
	for _, uid := range order {
		flushV2(sas[uid])
		flushV1(sas[uid])
	}
	return k, nil
}

func isKeyLabel(s string) bool {
	switch s {
	case "Sk_d secret", "Sk_ei secret", "Sk_er secret", "Sk_ai secret", "Sk_ar secret", "SKEYID", "encryption key Ka", "initial IV":
		return true
	}
	return false
}

// charonTag finds the "<name|id>" tag and returns it with the rest of the
// line after it (one space removed).
func charonTag(l string) (uid, rest string, ok bool) {
	i := strings.Index(l, "<")
	for i >= 0 {
		j := strings.IndexByte(l[i:], '>')
		if j < 0 {
			return "", "", false
		}
		tag := l[i+1 : i+j]
		// "<gw|1>" for a named SA, "<1>" before the config is known.
		if bar := strings.LastIndexByte(tag, '|'); isDigits(tag) || (bar >= 0 && bar+1 < len(tag) && isDigits(tag[bar+1:])) {
			rest = strings.TrimPrefix(l[i+j+1:], " ")
			return tag, rest, true
		}
		k := strings.Index(l[i+1:], "<")
		if k < 0 {
			return "", "", false
		}
		i += 1 + k
	}
	return "", "", false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// dumpHeader parses "LABEL => N bytes @ 0x...".
func dumpHeader(rest string) (label string, n int, ok bool) {
	i := strings.LastIndex(rest, " => ")
	if i <= 0 {
		return "", 0, false
	}
	tail := rest[i+4:]
	sp := strings.IndexByte(tail, ' ')
	if sp <= 0 || !strings.HasPrefix(tail[sp:], " bytes @ ") {
		return "", 0, false
	}
	v, err := strconv.Atoi(tail[:sp])
	if err != nil || v < 0 || v > 1<<20 {
		return "", 0, false
	}
	return strings.TrimSpace(rest[:i]), v, true
}

// hexDumpLine parses "   16: AB CD ...": the offset and what follows.
func hexDumpLine(rest string) (off int, hexs string, ok bool) {
	t := strings.TrimLeft(rest, " ")
	c := strings.IndexByte(t, ':')
	if c <= 0 || !isDigits(t[:c]) || c > 7 {
		return 0, "", false
	}
	v, err := strconv.Atoi(t[:c])
	if err != nil {
		return 0, "", false
	}
	return v, strings.TrimPrefix(t[c+1:], " "), true
}

// hexTokens reads n space-separated two-digit hex bytes.
func hexTokens(s string, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for len(out) < n {
		if len(s) < 2 {
			return nil, ErrBadHex
		}
		hi, ok1 := unhex(s[0])
		lo, ok2 := unhex(s[1])
		if !ok1 || !ok2 {
			return nil, ErrBadHex
		}
		out = append(out, hi<<4|lo)
		s = s[2:]
		if len(out) < n {
			if len(s) == 0 || s[0] != ' ' {
				return nil, ErrBadHex
			}
			s = s[1:]
		}
	}
	return out, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// charonESP makes the candidate key sets for the ESP SA of a line
// "SPI 0x1a6f4d22, src 192.0.2.2 dst 192.0.2.1": the initiator's and the
// responder's keys (which one protects this direction depends on who
// initiated the child SA; the ICV tells).
func charonESP(s *charonSA, t, src string) []ESPKeys {
	f := strings.Fields(strings.NewReplacer(",", " ").Replace(t))
	if len(f) < 2 || len(s.ei) == 0 {
		return nil
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 32)
	if err != nil {
		return nil
	}
	e := ESPKeys{SPI: uint32(v), Source: src}
	for i := 2; i+1 < len(f); i++ {
		switch f[i] {
		case "src":
			e.Src, _ = netip.ParseAddr(f[i+1])
		case "dst":
			e.Dst, _ = netip.ParseAddr(f[i+1])
		}
	}
	switch s.encr {
	case "AES_CBC":
		e.Encr = Cipher{EncrAESCBC, len(s.ei) * 8}
	case "3DES_CBC":
		e.Encr = Cipher{Encr3DES, 192}
	case "AES_GCM_16":
		e.Encr = Cipher{EncrAESGCM16, (len(s.ei) - 4) * 8}
	case "AES_GCM_12":
		e.Encr = Cipher{EncrAESGCM12, (len(s.ei) - 4) * 8}
	case "AES_GCM_8":
		e.Encr = Cipher{EncrAESGCM8, (len(s.ei) - 4) * 8}
	case "CHACHA20_POLY1305":
		e.Encr = Cipher{EncrChaCha, 256}
	case "NULL":
		e.Encr = Cipher{EncrNULL, 0}
	default:
		e.Unsupported = s.encr
	}
	e.Integ = integs[0]
	if s.integ != "" {
		found := false
		for _, in := range integs[1:] {
			if in.Name == s.integ {
				e.Integ, found = in, true
			}
		}
		if !found {
			e.Unsupported = s.integ
		}
	}
	a, b := e, e
	a.EncKey, a.AuthKey = s.ei, s.ai
	b.EncKey, b.AuthKey = s.er, s.ar
	return []ESPKeys{a, b}
}
