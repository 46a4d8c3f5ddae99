package decrypt

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
)

// Bound returns the key sets bound to the SAs seen so far, with the SPIs
// (IKEv2) or initiator cookie (IKEv1) and, for IKEv2, the algorithms
// filled in: what a Wireshark decryption table needs. It holds key
// material: print it only when the user asked for it.
func (d *Decrypter) Bound() (v1 []V1Keys, v2 []V2Keys) {
	for _, r := range d.order {
		if r.v1 {
			s := d.v1[r.spi]
			if s == nil {
				continue
			}
			for _, k := range s.keys {
				c := *k
				c.CookieI = r.spi
				v1 = append(v1, c)
			}
			continue
		}
		s := d.v2[r.spi]
		if s == nil || s.keys == nil || len(s.cand) != 1 {
			continue
		}
		c := *s.keys
		c.SPIi, c.SPIr = r.spi, s.spiR
		c.Encr, c.Integ, c.Known = s.cand[0].encr, s.cand[0].integ, true
		v2 = append(v2, c)
	}
	return v1, v2
}

// Wireshark's UAT writes hex fields bare and string fields quoted.
func quoteHex(b []byte) string { return hex.EncodeToString(b) }

func spiHex(v uint64) string {
	s := strconv.FormatUint(v, 16)
	return strings.Repeat("0", 16-len(s)) + s
}

// WiresharkV1 renders an ikev1_decryption_table line.
func WiresharkV1(k V1Keys) string {
	return spiHex(k.CookieI) + "," + quoteHex(k.Key)
}

// WiresharkV2 renders an ikev2_decryption_table line.
func WiresharkV2(k V2Keys) string {
	return strings.Join([]string{spiHex(k.SPIi), spiHex(k.SPIr), quoteHex(k.EI), quoteHex(k.ER),
		`"` + wiresharkCipher(k.Encr) + `"`, quoteHex(k.AI), quoteHex(k.AR), `"` + wiresharkInteg(k.Integ) + `"`}, ",")
}

// BoundESP returns the ESP key sets that verified, one per SPI. It holds
// key material: print it only when the user asked for it.
func (d *Decrypter) BoundESP() []ESPKeys {
	var out []ESPKeys
	for _, spi := range d.espOrder {
		if s := d.esp[spi]; s != nil && s.keys != nil {
			out = append(out, *s.keys)
		}
	}
	return out
}

// WiresharkESP renders an esp_sa line (Wireshark 4.0: protocol, source,
// destination, SPI, encryption, key, authentication, key).
func WiresharkESP(k ESPKeys) string {
	proto := "IPv4"
	if k.Src.Is6() || k.Dst.Is6() {
		proto = "IPv6"
	}
	addr := func(a netip.Addr) string {
		if !a.IsValid() {
			return "*"
		}
		return a.String()
	}
	enc := "NULL"
	switch k.Encr.ID {
	case Encr3DES:
		enc = "TripleDES-CBC [RFC2451]"
	case EncrAESCBC:
		enc = "AES-CBC [RFC3602]"
	case EncrAESGCM8, EncrAESGCM12, EncrAESGCM16:
		enc = "AES-GCM with " + strconv.Itoa(k.Encr.icvLen()) + " octet ICV [RFC4106]"
	case EncrChaCha:
		enc = "CHACHA20-POLY1305 [RFC7634]"
	}
	auth := "NULL"
	switch k.Integ.ID {
	case 1:
		auth = "HMAC-MD5-96 [RFC2403]"
	case 2:
		auth = "HMAC-SHA-1-96 [RFC2404]"
	case 12:
		auth = "HMAC-SHA-256-128 [RFC4868]"
	case 13:
		auth = "HMAC-SHA-384-192 [RFC4868]"
	case 14:
		auth = "HMAC-SHA-512-256 [RFC4868]"
	}
	// An AEAD cipher carries its own ICV: Wireshark wants NULL here.
	q := func(s string) string { return `"` + s + `"` }
	return strings.Join([]string{q(proto), q(addr(k.Src)), q(addr(k.Dst)), q("0x" + strconv.FormatUint(uint64(k.SPI)|1<<32, 16)[1:]),
		q(enc), q("0x" + hex.EncodeToString(k.EncKey)), q(auth), q("0x" + hex.EncodeToString(k.AuthKey))}, ",")
}
