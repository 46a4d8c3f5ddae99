package decrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/subtle"
	"encoding/binary"

	"golang.org/x/crypto/chacha20poly1305"
)

// Inner is what an ESP packet carried, once decrypted (RFC 4303 §2).
type Inner struct {
	NextHeader uint8  // 4 IPv4, 41 IPv6 (tunnel mode); 6, 17, 1... (transport)
	Packet     []byte // the inner packet, without the ESP trailer
}

// ESPStats counts, per SPI, what the decrypted ESP packets carried.
type ESPStats struct {
	SPI        uint32
	Packets    int           // decrypted
	Failed     int           // integrity check failed, or bad padding
	Protocols  map[uint8]int // inner IP protocol -> packets
	SMBSyn     int           // TCP SYN to port 445
	SMBReset   int           // TCP RST from port 445
	NextHeader map[uint8]int
}

type espSA struct {
	keys  *ESPKeys
	tries int // packets tried without finding keys
	stats *ESPStats
}

// maxESPTries bounds the trial of candidate keys on an SPI without keys.
const maxESPTries = 3

// ESP decrypts one ESP packet (b from the SPI on, as decode.Frame.ESPBytes
// gives it). It returns the inner packet; ok is false when there are no
// keys for the SPI or the packet did not verify (err says which).
func (d *Decrypter) ESP(b []byte) (Inner, bool, error) {
	if len(b) < 8 || len(d.keys.ESP) == 0 {
		return Inner{}, false, nil
	}
	spi := binary.BigEndian.Uint32(b)
	if d.esp == nil {
		d.esp = map[uint32]*espSA{}
	}
	s := d.esp[spi]
	if s == nil {
		if len(d.esp) >= maxSAs {
			clear(d.esp)
			d.espOrder = d.espOrder[:0]
		}
		s = &espSA{stats: &ESPStats{SPI: spi, Protocols: map[uint8]int{}, NextHeader: map[uint8]int{}}}
		d.esp[spi] = s
		d.espOrder = append(d.espOrder, spi)
	}
	if s.keys == nil {
		if s.tries >= maxESPTries {
			return Inner{}, false, nil
		}
		s.tries++
		for i := range d.keys.ESP {
			k := &d.keys.ESP[i]
			if k.SPI != spi || k.Unsupported != "" {
				continue
			}
			if in, err := openESP(k, b); err == nil {
				s.keys = k
				s.count(in)
				return in, true, nil
			}
		}
		return Inner{}, false, nil
	}
	in, err := openESP(s.keys, b)
	if err != nil {
		s.stats.Failed++
		return Inner{}, false, err
	}
	s.count(in)
	return in, true, nil
}

func (s *espSA) count(in Inner) {
	st := s.stats
	st.Packets++
	st.NextHeader[in.NextHeader]++
	proto, l4 := innerTransport(in)
	st.Protocols[proto]++
	if proto == 6 && len(l4) >= 14 {
		sport := binary.BigEndian.Uint16(l4[0:2])
		dport := binary.BigEndian.Uint16(l4[2:4])
		flags := l4[13]
		if dport == 445 && flags&0x02 != 0 && flags&0x10 == 0 {
			st.SMBSyn++
		}
		if sport == 445 && flags&0x04 != 0 {
			st.SMBReset++
		}
	}
}

// innerTransport finds the transport protocol and its header in an inner
// packet: after an IPv4 or IPv6 header in tunnel mode, directly in
// transport mode. IPv6 extension headers are not walked.
func innerTransport(in Inner) (uint8, []byte) {
	p := in.Packet
	switch in.NextHeader {
	case 4:
		if len(p) < 20 || p[0]>>4 != 4 {
			return 0, nil
		}
		ihl := int(p[0]&0x0f) * 4
		if ihl < 20 || ihl > len(p) {
			return p[9], nil
		}
		if binary.BigEndian.Uint16(p[6:8])&0x1fff != 0 {
			return p[9], nil // a later fragment: no transport header
		}
		return p[9], p[ihl:]
	case 41:
		if len(p) < 40 || p[0]>>4 != 6 {
			return 0, nil
		}
		return p[6], p[40:]
	}
	return in.NextHeader, p
}

// ESPStats returns the counters of every SPI decrypted, in order of first
// sight.
func (d *Decrypter) ESPStats() []ESPStats {
	var out []ESPStats
	for _, spi := range d.espOrder {
		if s := d.esp[spi]; s != nil && (s.stats.Packets > 0 || s.stats.Failed > 0) {
			out = append(out, *s.stats)
		}
	}
	return out
}

// openESP verifies and decrypts an ESP packet (RFC 4303 §2, RFC 4106 for
// GCM, RFC 7634 for ChaCha20-Poly1305), without ESN.
func openESP(k *ESPKeys, b []byte) (Inner, error) {
	c := k.Encr
	var plain []byte
	if c.AEAD() {
		icv := c.icvLen()
		iv := 8
		if len(b) < 8+iv+icv+2 || len(k.EncKey) != c.keyLen() {
			return Inner{}, ErrShort
		}
		key, salt := k.EncKey[:len(k.EncKey)-4], k.EncKey[len(k.EncKey)-4:]
		nonce := append(append(make([]byte, 0, 12), salt...), b[8:8+iv]...)
		aad := b[:8]
		var err error
		if c.ID == EncrChaCha {
			var a cipher.AEAD
			if a, err = chacha20poly1305.New(key); err != nil {
				return Inner{}, ErrBadKeyLen
			}
			if plain, err = a.Open(nil, nonce, b[8+iv:], aad); err != nil {
				return Inner{}, ErrICV
			}
		} else {
			bc, err := aes.NewCipher(key)
			if err != nil {
				return Inner{}, ErrBadKeyLen
			}
			if icv < 12 {
				p, err := openGCMShortTag(bc, nonce, b[8+iv:], aad, icv)
				if err != nil {
					return Inner{}, err
				}
				return espTrailer(p)
			}
			a, err := cipher.NewGCMWithTagSize(bc, icv)
			if err != nil {
				return Inner{}, ErrBadKeyLen
			}
			if plain, err = a.Open(nil, nonce, b[8+iv:], aad); err != nil {
				return Inner{}, ErrICV
			}
		}
		return espTrailer(plain)
	}
	icv := k.Integ.ICVLen
	if len(b) < 8+icv {
		return Inner{}, ErrShort
	}
	body := b[:len(b)-icv]
	if !k.NoCheck && icv > 0 {
		mac := hmac.New(integHash(k.Integ.ID), k.AuthKey)
		mac.Write(body)
		if subtle.ConstantTimeCompare(mac.Sum(nil)[:icv], b[len(b)-icv:]) != 1 {
			return Inner{}, ErrICV
		}
	}
	if c.ID == EncrNULL {
		return espTrailer(append([]byte(nil), body[8:]...))
	}
	var bc cipher.Block
	var err error
	if c.ID == Encr3DES {
		bc, err = des.NewTripleDESCipher(k.EncKey)
	} else {
		bc, err = aes.NewCipher(k.EncKey)
	}
	if err != nil {
		return Inner{}, ErrBadKeyLen
	}
	bs := bc.BlockSize()
	ct := body[8:]
	if len(ct) < 2*bs || len(ct)%bs != 0 {
		return Inner{}, ErrPadding
	}
	plain = make([]byte, len(ct)-bs)
	cipher.NewCBCDecrypter(bc, ct[:bs]).CryptBlocks(plain, ct[bs:])
	return espTrailer(plain)
}

// espTrailer strips padding, pad length and next header (RFC 4303 §2.4);
// the default padding is 1, 2, 3, ... and is checked when present.
func espTrailer(p []byte) (Inner, error) {
	if len(p) < 2 {
		return Inner{}, ErrPadding
	}
	nh := p[len(p)-1]
	n := int(p[len(p)-2])
	if n+2 > len(p) {
		return Inner{}, ErrPadding
	}
	return Inner{NextHeader: nh, Packet: p[:len(p)-2-n]}, nil
}
