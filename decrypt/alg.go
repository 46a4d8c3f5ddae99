package decrypt

import (
	"strconv"
	"strings"
)

// IKEv2 encryption transform IDs (RFC 7296 §3.3.2, RFC 4106/5282, RFC 7634).
const (
	Encr3DES     = 3
	EncrNULL     = 11
	EncrAESCBC   = 12
	EncrAESGCM8  = 18
	EncrAESGCM12 = 19
	EncrAESGCM16 = 20
	EncrChaCha   = 28
)

// Cipher is an IKEv2 encryption algorithm with its key size.
type Cipher struct {
	ID      uint16 // IKEv2 transform ID
	KeyBits int    // cipher key, without the AEAD salt
}

// AEAD reports a combined mode cipher (no separate integrity).
func (c Cipher) AEAD() bool {
	return c.ID == EncrAESGCM8 || c.ID == EncrAESGCM12 || c.ID == EncrAESGCM16 || c.ID == EncrChaCha
}

// icvLen is the AEAD tag length.
func (c Cipher) icvLen() int {
	switch c.ID {
	case EncrAESGCM8:
		return 8
	case EncrAESGCM12:
		return 12
	case EncrAESGCM16, EncrChaCha:
		return 16
	}
	return 0
}

// ivLen is the length of the IV in the SK payload.
func (c Cipher) ivLen() int {
	switch c.ID {
	case Encr3DES:
		return 8
	case EncrAESCBC:
		return 16
	}
	return 8 // RFC 5282 §3.1, RFC 7634 §2: 8-byte explicit IV
}

// keyLen is the SK_e length: the cipher key plus a 4-byte salt for AEAD.
func (c Cipher) keyLen() int {
	n := c.KeyBits / 8
	if c.AEAD() {
		n += 4
	}
	return n
}

func (c Cipher) supported() bool {
	switch c.ID {
	case Encr3DES:
		return c.KeyBits == 192
	case EncrAESCBC, EncrAESGCM8, EncrAESGCM12, EncrAESGCM16:
		return c.KeyBits == 128 || c.KeyBits == 192 || c.KeyBits == 256
	case EncrChaCha:
		return c.KeyBits == 256
	}
	return false
}

func (c Cipher) String() string {
	switch c.ID {
	case Encr3DES:
		return "3DES"
	case EncrAESCBC:
		return "AES-CBC-" + strconv.Itoa(c.KeyBits)
	case EncrAESGCM8, EncrAESGCM12, EncrAESGCM16:
		return "AES-GCM-" + strconv.Itoa(c.KeyBits) + " with " + strconv.Itoa(c.icvLen()) + " octet ICV"
	case EncrChaCha:
		return "CHACHA20-POLY1305"
	}
	return "encryption " + strconv.Itoa(int(c.ID))
}

// Integ is an IKEv2 integrity algorithm.
type Integ struct {
	ID     uint16
	Name   string
	KeyLen int
	ICVLen int
}

var integs = []Integ{
	{0, "NONE", 0, 0},
	{1, "HMAC_MD5_96", 16, 12},
	{2, "HMAC_SHA1_96", 20, 12},
	{12, "HMAC_SHA2_256_128", 32, 16},
	{13, "HMAC_SHA2_384_192", 48, 24},
	{14, "HMAC_SHA2_512_256", 64, 32},
}

func integByID(id uint16) (Integ, bool) {
	for _, i := range integs {
		if i.ID == id {
			return i, true
		}
	}
	return Integ{}, false
}

// normAlg drops a trailing " [RFC...]" and folds case, '_' and '-'.
func normAlg(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "["); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	s = strings.ToUpper(s)
	return algFolder.Replace(s)
}

var algFolder = strings.NewReplacer("_", "-", " ", "")

// cipherByWireshark reads the encryption column of Wireshark's
// ikev2_decryption_table ("AES-CBC-128 [RFC3602]", "AES-GCM-256 with 16
// octet ICV [RFC5282]", "3DES [RFC2451]"). CHACHA20-POLY1305 is accepted
// although Wireshark 4.0 cannot decrypt it.
func cipherByWireshark(s string) (Cipher, bool) {
	n := normAlg(s)
	switch n {
	case "3DES":
		return Cipher{Encr3DES, 192}, true
	case "CHACHA20-POLY1305", "CHACHA20POLY1305":
		return Cipher{EncrChaCha, 256}, true
	}
	for _, bits := range []int{128, 192, 256} {
		b := strconv.Itoa(bits)
		switch n {
		case "AES-CBC-" + b:
			return Cipher{EncrAESCBC, bits}, true
		case "AES-GCM-" + b + "WITH8OCTETICV":
			return Cipher{EncrAESGCM8, bits}, true
		case "AES-GCM-" + b + "WITH12OCTETICV":
			return Cipher{EncrAESGCM12, bits}, true
		case "AES-GCM-" + b + "WITH16OCTETICV":
			return Cipher{EncrAESGCM16, bits}, true
		}
	}
	return Cipher{}, false
}

// integByWireshark reads the integrity column ("HMAC_SHA2_256_128
// [RFC4868]", "NONE [RFC4306]").
func integByWireshark(s string) (Integ, bool) {
	n := normAlg(s)
	for _, i := range integs {
		if normAlg(i.Name) == n {
			return i, true
		}
	}
	return Integ{}, false
}

// wiresharkCipher and wiresharkInteg name the algorithms the way
// Wireshark's UAT table wants them.
func wiresharkCipher(c Cipher) string {
	switch c.ID {
	case Encr3DES:
		return "3DES [RFC2451]"
	case EncrAESCBC:
		return c.String() + " [RFC3602]"
	case EncrAESGCM8, EncrAESGCM12, EncrAESGCM16:
		return c.String() + " [RFC5282]"
	}
	return c.String() + " [RFC7634]"
}

func wiresharkInteg(i Integ) string {
	switch i.ID {
	case 0:
		return "NONE [RFC4306]"
	case 1:
		return i.Name + " [RFC2403]"
	case 2:
		return i.Name + " [RFC2404]"
	}
	return i.Name + " [RFC4868]"
}
