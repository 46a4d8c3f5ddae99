// Package decrypt reads IKE key material and decrypts IKEv1 encrypted
// bodies and IKEv2 SK/SKF payloads, so that their payloads decode like
// clear ones.
//
// It does no I/O beyond reading an io.Reader handed to ParseKeys, reads no
// clock, and never panics on any input: key files and captured messages
// are data. Key material is never included in an error message or in any
// String method; only the file position and what is wrong are reported.
package decrypt

import (
	"bufio"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Sentinel errors of the key-file parsers and the decrypters.
var (
	ErrUnknownFormat = errors.New("unknown key file format (want a Wireshark ikev1/ikev2/esp_sa decryption table or a strongSwan charon log with ike level 4)")
	ErrBadLine       = errors.New("malformed line")
	ErrBadHex        = errors.New("bad hex key")
	ErrUnknownAlg    = errors.New("unknown algorithm")
	ErrBadKeyLen     = errors.New("key length does not fit the algorithm")
	ErrICV           = errors.New("integrity check failed")
	ErrPadding       = errors.New("bad padding")
	ErrShort         = errors.New("ciphertext too short")
	ErrNoKeys        = errors.New("no keys for this SA")
	ErrLineTooLong   = errors.New("line too long")
	ErrBadFragment   = errors.New("bad encrypted fragment")
	ErrNoChain       = errors.New("decrypted body is not a payload chain (wrong key or IV)")
)

// PosError is an error at a position in a key file: "file:line: what".
type PosError struct {
	File string
	Line int
	Err  error
	Note string // extra detail, never key material
}

func (e *PosError) Error() string {
	s := e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Err.Error()
	if e.Note != "" {
		s += ": " + e.Note
	}
	return s
}

func (e *PosError) Unwrap() error { return e.Err }

// V1Keys are the phase-1 keys of one IKEv1 SA.
type V1Keys struct {
	// CookieI is the initiator cookie; zero when the source did not name
	// it (charon logs): the keys are then tried on SAs without keys.
	CookieI uint64
	// Key is the encryption key as used by the cipher (strongSwan's "Ka";
	// Wireshark's "Encryption Key").
	Key []byte
	// IV is the phase-1 initial IV when the source gives it (charon logs);
	// otherwise it is computed from the KE payloads (RFC 2409 Appendix B).
	IV     []byte
	Source string // "file:line", for messages
}

// V2Keys are the SK_e and SK_a keys of one IKEv2 SA.
type V2Keys struct {
	// SPIi and SPIr name the SA; both zero when the source did not name it
	// (charon logs): the keys are then tried on SAs without keys and bound
	// where the integrity check passes.
	SPIi, SPIr uint64
	EI, ER     []byte
	AI, AR     []byte
	// Encr and Integ name the algorithms when the source does (Wireshark
	// tables); zero means "take them from the IKE_SA_INIT exchange".
	Encr  Cipher
	Integ Integ
	// Known is true when Encr and Integ were given.
	Known  bool
	Source string
}

// ESPKeys are the keys of one ESP SA (one direction). From an esp_sa table
// they name their SPI and algorithms; from a charon log each child SA gives
// two candidate sets per SPI (initiator's and responder's keys), and the
// one whose ICV verifies is used.
type ESPKeys struct {
	SPI      uint32
	Src, Dst netip.Addr // zero when not given ("*")
	Encr     Cipher     // ID EncrNULL for NULL encryption
	Integ    Integ
	NoCheck  bool // "ANY n bit authentication [no checking]"
	EncKey   []byte
	AuthKey  []byte
	// Unsupported names a known algorithm ikescope cannot decrypt (the
	// line is kept, its packets are counted as without keys).
	Unsupported string
	Source      string
}

// Keys is the key material read from one or more files.
type Keys struct {
	V1  []V1Keys
	V2  []V2Keys
	ESP []ESPKeys
}

// Len is the number of key sets.
func (k *Keys) Len() int { return len(k.V1) + len(k.V2) + len(k.ESP) }

// Merge appends the key sets of o.
func (k *Keys) Merge(o *Keys) {
	k.V1 = append(k.V1, o.V1...)
	k.V2 = append(k.V2, o.V2...)
	k.ESP = append(k.ESP, o.ESP...)
}

const maxLine = 1 << 16

// ParseKeys reads one key file. The format is recognised per file from its
// first meaningful line: a Wireshark UAT table (ikev1_decryption_table,
// ikev2_decryption_table, esp_sa; lines of comma-separated fields, the
// format strongSwan's save-keys plugin writes), or a strongSwan charon log
// at ike (and enc) level 4. name is used only in errors.
func ParseKeys(name string, r io.Reader) (*Keys, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &PosError{File: name, Line: len(lines) + 1, Err: ErrLineTooLong}
		}
		return nil, err
	}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		if t[0] == '"' || isUATLine(t) {
			return parseUAT(name, lines)
		}
		if isCharonLog(lines[i:]) {
			return parseCharon(name, lines)
		}
		return nil, &PosError{File: name, Line: i + 1, Err: ErrUnknownFormat}
	}
	return &Keys{}, nil
}

// isUATLine reports a line of comma-separated fields whose first field is
// a hex value (save-keys writes unquoted 0x... fields).
func isUATLine(t string) bool {
	f, err := splitCSV(t)
	if err != nil || len(f) < 2 {
		return false
	}
	_, err = parseHex(f[0])
	return err == nil
}

func isCharonLog(lines []string) bool {
	for i, l := range lines {
		if i > 2000 {
			break
		}
		if strings.Contains(l, " bytes @ 0x") || strings.Contains(l, "[IKE]") || strings.Contains(l, "[CHD]") || strings.Contains(l, "[ENC]") {
			return true
		}
	}
	return false
}

// splitCSV splits a UAT line: fields separated by commas, each optionally
// in double quotes (a quoted field may hold commas; \" and \\ escapes).
func splitCSV(s string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		var f strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					f.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				f.WriteByte(c)
				i++
			}
			if !closed {
				return nil, errors.New("unterminated quote")
			}
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
		} else {
			j := i
			for j < len(s) && s[j] != ',' {
				j++
			}
			f.WriteString(strings.TrimSpace(s[i:j]))
			i = j
		}
		out = append(out, f.String())
		if i >= len(s) {
			return out, nil
		}
		if s[i] != ',' {
			return nil, errors.New("expected a comma after field " + strconv.Itoa(len(out)))
		}
		i++
		if len(out) > 32 {
			return nil, errors.New("too many fields")
		}
	}
}

// parseHex reads a hex key: optional 0x, optional separators ':' or ' '.
func parseHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	s = hexSeparators.Replace(s)
	if s == "" {
		return nil, ErrBadHex
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, ErrBadHex
	}
	return b, nil
}

var hexSeparators = strings.NewReplacer(":", "", " ", "", "-", "")

func parseSPI(s string) (uint64, error) {
	b, err := parseHex(s)
	if err != nil || len(b) != 8 {
		return 0, ErrBadHex
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// parseUAT reads Wireshark UAT lines. Each line's kind follows from its
// field count: 2 fields ikev1_decryption_table (initiator cookie, key), 8
// ikev2_decryption_table (SPIi, SPIr, SK_ei, SK_er, encryption, SK_ai,
// SK_ar, integrity), 7 to 10 with an IP version first esp_sa.
func parseUAT(name string, lines []string) (*Keys, error) {
	k := &Keys{}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		pos := func(err error, note string) error { return &PosError{File: name, Line: i + 1, Err: err, Note: note} }
		src := name + ":" + strconv.Itoa(i+1)
		f, err := splitCSV(t)
		if err != nil {
			return nil, pos(ErrBadLine, err.Error())
		}
		switch {
		case len(f) == 2:
			c, err := parseSPI(f[0])
			if err != nil {
				return nil, pos(ErrBadLine, "initiator cookie must be 8 bytes of hex")
			}
			key, err := parseHex(f[1])
			if err != nil {
				return nil, pos(ErrBadHex, "encryption key")
			}
			if n := len(key); n != 8 && n != 16 && n != 24 && n != 32 {
				return nil, pos(ErrBadKeyLen, "encryption key of "+strconv.Itoa(n)+" bytes")
			}
			k.V1 = append(k.V1, V1Keys{CookieI: c, Key: key, Source: src})
		case len(f) == 8 && !isIPVersion(f[0]):
			var v V2Keys
			v.Source = src
			if v.SPIi, err = parseSPI(f[0]); err != nil {
				return nil, pos(ErrBadLine, "initiator SPI must be 8 bytes of hex")
			}
			if v.SPIr, err = parseSPI(f[1]); err != nil {
				return nil, pos(ErrBadLine, "responder SPI must be 8 bytes of hex")
			}
			enc, ok := cipherByWireshark(f[4])
			if !ok {
				return nil, pos(ErrUnknownAlg, "encryption algorithm "+strconv.Quote(clip(f[4])))
			}
			integ, ok := integByWireshark(f[7])
			if !ok {
				return nil, pos(ErrUnknownAlg, "integrity algorithm "+strconv.Quote(clip(f[7])))
			}
			v.Encr, v.Integ, v.Known = enc, integ, true
			for j, dst := range []*[]byte{&v.EI, &v.ER, &v.AI, &v.AR} {
				col := [...]int{2, 3, 5, 6}[j]
				what := [...]string{"SK_ei", "SK_er", "SK_ai", "SK_ar"}[j]
				if integ.ICVLen == 0 && col >= 5 && strings.TrimSpace(f[col]) == "" {
					continue
				}
				b, err := parseHex(f[col])
				if err != nil {
					return nil, pos(ErrBadHex, what)
				}
				*dst = b
			}
			if len(v.EI) != enc.keyLen() || len(v.ER) != enc.keyLen() {
				return nil, pos(ErrBadKeyLen, "SK_ei/SK_er of "+strconv.Itoa(len(v.EI))+"/"+strconv.Itoa(len(v.ER))+" bytes for "+enc.String())
			}
			if integ.KeyLen != 0 && (len(v.AI) != integ.KeyLen || len(v.AR) != integ.KeyLen) {
				return nil, pos(ErrBadKeyLen, "SK_ai/SK_ar of "+strconv.Itoa(len(v.AI))+"/"+strconv.Itoa(len(v.AR))+" bytes for "+integ.Name)
			}
			k.V2 = append(k.V2, v)
		case len(f) >= 8 && len(f) <= 12 && isIPVersion(f[0]):
			e, err := parseESPLine(f)
			if err != nil {
				return nil, pos(err, "esp_sa")
			}
			e.Source = src
			k.ESP = append(k.ESP, e)
		default:
			return nil, pos(ErrBadLine, strconv.Itoa(len(f))+" fields: want 2 (ikev1_decryption_table), 8 (ikev2_decryption_table) or an esp_sa line")
		}
	}
	return k, nil
}

func isIPVersion(s string) bool {
	s = strings.TrimSpace(s)
	return s == "IPv4" || s == "IPv6" || s == "Any IP" || s == "*"
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// parseESPLine reads an esp_sa line: protocol, source, destination, SPI,
// encryption algorithm, encryption key, authentication algorithm,
// authentication key (later Wireshark versions add fields after these).
func parseESPLine(f []string) (ESPKeys, error) {
	var e ESPKeys
	for i, dst := range []*netip.Addr{&e.Src, &e.Dst} {
		v := strings.TrimSpace(f[1+i])
		if v == "*" || v == "" {
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			if p, err2 := netip.ParsePrefix(v); err2 == nil {
				a = p.Addr()
			} else {
				return e, ErrBadLine
			}
		}
		*dst = a
	}
	spi, err := parseHex(f[3])
	if err != nil || len(spi) != 4 {
		return e, ErrBadLine
	}
	e.SPI = uint32(spi[0])<<24 | uint32(spi[1])<<16 | uint32(spi[2])<<8 | uint32(spi[3])
	empty := func(s string) bool {
		s = strings.TrimSpace(s)
		return s == "" || s == "0x" || s == "0X"
	}
	if !empty(f[5]) {
		if e.EncKey, err = parseHex(f[5]); err != nil {
			return e, ErrBadHex
		}
	}
	if !empty(f[7]) {
		if e.AuthKey, err = parseHex(f[7]); err != nil {
			return e, ErrBadHex
		}
	}
	enc := normAlg(f[4])
	switch {
	case enc == "NULL":
		e.Encr = Cipher{EncrNULL, 0}
	case enc == "TRIPLEDES-CBC":
		e.Encr = Cipher{Encr3DES, 192}
	case enc == "AES-CBC":
		e.Encr = Cipher{EncrAESCBC, len(e.EncKey) * 8}
	case strings.HasPrefix(enc, "AES-GCMWITH") && strings.HasSuffix(enc, "OCTETICV"):
		switch strings.TrimSuffix(strings.TrimPrefix(enc, "AES-GCMWITH"), "OCTETICV") {
		case "8":
			e.Encr = Cipher{EncrAESGCM8, (len(e.EncKey) - 4) * 8}
		case "12":
			e.Encr = Cipher{EncrAESGCM12, (len(e.EncKey) - 4) * 8}
		case "16":
			e.Encr = Cipher{EncrAESGCM16, (len(e.EncKey) - 4) * 8}
		default:
			return e, ErrUnknownAlg
		}
	case enc == "AES-CTR" || enc == "DES-CBC" || enc == "CAST5-CBC" || enc == "BLOWFISH-CBC" || enc == "TWOFISH-CBC" || strings.HasPrefix(enc, "AES-CCM") || strings.Contains(enc, "GMAC"):
		e.Unsupported = strings.TrimSpace(f[4])
	default:
		return e, ErrUnknownAlg
	}
	auth := normAlg(f[6])
	switch {
	case auth == "NULL":
		e.Integ = integs[0]
	case strings.HasPrefix(auth, "ANY") && strings.HasSuffix(auth, "BITAUTHENTICATION"):
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(auth, "ANY"), "BITAUTHENTICATION"))
		if err != nil || n <= 0 || n > 512 || n%8 != 0 {
			return e, ErrUnknownAlg
		}
		e.NoCheck, e.Integ = true, Integ{Name: "any", ICVLen: n / 8}
	default:
		found := false
		for _, in := range integs[1:] {
			// "HMAC-SHA-256-128" and "HMAC_SHA2_256_128" name the same.
			if normAlg(strings.ReplaceAll(in.Name, "SHA2_", "SHA-")) == auth || normAlg(strings.ReplaceAll(in.Name, "SHA1", "SHA-1")) == auth || normAlg(in.Name) == auth {
				e.Integ, found = in, true
			}
		}
		if !found {
			if strings.HasPrefix(auth, "HMAC-") {
				e.Unsupported = strings.TrimSpace(f[6])
			} else {
				return e, ErrUnknownAlg
			}
		}
	}
	if e.Unsupported == "" {
		if !e.Encr.supported() && e.Encr.ID != EncrNULL || len(e.EncKey) != e.Encr.keyLen() {
			return e, ErrBadKeyLen
		}
		if !e.NoCheck && len(e.AuthKey) != e.Integ.KeyLen {
			return e, ErrBadKeyLen
		}
	}
	return e, nil
}
