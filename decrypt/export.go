package decrypt

import (
	"encoding/hex"
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
