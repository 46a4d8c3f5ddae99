package decrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/ikescope/ikescope/decode"
)

// v2SA is the state of one IKEv2 SA, keyed by the initiator SPI.
type v2SA struct {
	spiR      uint64
	encr      Cipher // from the IKE_SA_INIT response, when seen
	integ     Integ
	algsKnown bool
	keys      *V2Keys
	cand      []v2Cand // candidate algorithms for the bound keys
	frags     map[fragKey]*fragBuf
}

type v2Cand struct {
	encr  Cipher
	integ Integ
}

type fragKey struct {
	msgID uint32
	resp  bool
	init  bool
}

type fragBuf struct {
	total uint16
	first decode.PayloadType
	parts map[uint16][]byte
	size  int
}

const maxFragBytes = 1 << 20

func (d *Decrypter) v2State(m *decode.Message) *v2SA {
	s := d.v2[m.InitSPI]
	if s == nil {
		s = &v2SA{}
		d.v2[m.InitSPI] = s
		d.remember(saRef{spi: m.InitSPI})
	}
	if s.spiR == 0 {
		s.spiR = m.RespSPI
	}
	return s
}

func (d *Decrypter) v2Message(m *decode.Message, raw []byte) (Outcome, error) {
	var sk *decode.Payload
	for i := range m.Payloads {
		p := &m.Payloads[i]
		if p.Encrypted != nil && (p.Type == decode.PayloadSK || p.Type == decode.PayloadSKF) && !p.Decrypted {
			sk = p
		}
		if p.SA != nil && !p.Decrypted && m.Exchange == decode.ExchangeIKESAInit && m.Response() {
			s := d.v2State(m)
			if e, i, ok := chosenV2(p.SA); ok {
				s.encr, s.integ, s.algsKnown = e, i, true
			}
		}
	}
	if sk == nil {
		return Clear, nil
	}
	s := d.v2State(m)
	if sk.Offset < 0 || sk.Length < 4 || sk.Offset+sk.Length > len(raw) {
		return Failed, ErrShort
	}
	hdr := 4
	if sk.Type == decode.PayloadSKF {
		hdr = 8
	}
	if sk.Length < hdr {
		return Failed, ErrShort
	}
	fromInit := m.Initiator()
	if s.keys == nil {
		if !d.bindV2(s, m, raw, sk, hdr, fromInit) {
			return NoKeys, nil
		}
	}
	var plain []byte
	var err error
	for _, c := range s.cand {
		plain, err = openSK(c, s.keys, fromInit, raw, sk.Offset, sk.Offset+hdr, sk.Offset+sk.Length)
		if err == nil {
			// The first candidate that verifies is the one in use.
			s.cand = []v2Cand{c}
			break
		}
	}
	if err != nil {
		return Failed, err
	}
	if sk.Type == decode.PayloadSKF {
		return d.v2Fragment(s, m, sk, plain)
	}
	return decrypted(m.AddDecrypted(sk.Encrypted.InnerNext, plain))
}

func decrypted(err error) (Outcome, error) {
	return Decrypted, err
}

// v2Fragment holds one decrypted SKF fragment (RFC 7383 §2.5) and, once
// all have arrived, decodes the reassembled plaintext into m.
func (d *Decrypter) v2Fragment(s *v2SA, m *decode.Message, sk *decode.Payload, plain []byte) (Outcome, error) {
	e := sk.Encrypted
	if e.FragNum == 0 || e.FragTotal == 0 || e.FragNum > e.FragTotal {
		return Failed, ErrBadFragment
	}
	if s.frags == nil {
		s.frags = map[fragKey]*fragBuf{}
	}
	k := fragKey{msgID: m.MsgID, resp: m.Response(), init: m.Initiator()}
	b := s.frags[k]
	if b == nil || b.total != e.FragTotal {
		if len(s.frags) > 16 {
			clear(s.frags)
		}
		b = &fragBuf{total: e.FragTotal, parts: map[uint16][]byte{}}
		s.frags[k] = b
	}
	if e.FragNum == 1 {
		b.first = e.InnerNext
	}
	if _, dup := b.parts[e.FragNum]; !dup {
		if b.size+len(plain) > maxFragBytes {
			delete(s.frags, k)
			return Failed, ErrBadFragment
		}
		b.parts[e.FragNum] = append([]byte(nil), plain...)
		b.size += len(plain)
	}
	if len(b.parts) < int(b.total) {
		return Pending, nil
	}
	all := make([]byte, 0, b.size)
	for i := uint16(1); i <= b.total; i++ {
		all = append(all, b.parts[i]...)
	}
	delete(s.frags, k)
	return decrypted(m.AddDecrypted(b.first, all))
}

// chosenV2 reads the algorithms of the responder's chosen proposal.
func chosenV2(sa *decode.SA) (Cipher, Integ, bool) {
	if len(sa.Proposals) == 0 {
		return Cipher{}, Integ{}, false
	}
	var c Cipher
	in, _ := integByID(0)
	haveC := false
	for _, t := range sa.Proposals[0].Transforms {
		switch t.Type {
		case 1:
			c = Cipher{ID: t.ID}
			for _, a := range t.Attrs {
				if a.Type == 14 {
					c.KeyBits = int(a.Value)
				}
			}
			if c.ID == Encr3DES {
				c.KeyBits = 192
			}
			if c.ID == EncrChaCha {
				c.KeyBits = 256
			}
			haveC = true
		case 3:
			if i, ok := integByID(t.ID); ok {
				in = i
			} else {
				return Cipher{}, Integ{}, false
			}
		}
	}
	return c, in, haveC && c.supported()
}

// candidates lists the algorithms to try with a key set.
func candidates(s *v2SA, k *V2Keys) []v2Cand {
	if k.Known {
		return []v2Cand{{k.Encr, k.Integ}}
	}
	if s.algsKnown {
		if len(k.EI) == s.encr.keyLen() && len(k.AI) == s.integ.KeyLen {
			return []v2Cand{{s.encr, s.integ}}
		}
		return nil
	}
	// The capture missed IKE_SA_INIT: guess from the key lengths; the
	// integrity check decides.
	var out []v2Cand
	if len(k.AI) == 0 {
		for _, id := range []uint16{EncrAESGCM16, EncrAESGCM12, EncrAESGCM8, EncrChaCha} {
			for _, bits := range []int{128, 192, 256} {
				c := Cipher{id, bits}
				if c.supported() && c.keyLen() == len(k.EI) {
					out = append(out, v2Cand{c, integs[0]})
				}
			}
		}
		return out
	}
	for _, in := range integs[1:] {
		if in.KeyLen != len(k.AI) {
			continue
		}
		for _, c := range []Cipher{{EncrAESCBC, 128}, {EncrAESCBC, 192}, {EncrAESCBC, 256}, {Encr3DES, 192}} {
			if c.keyLen() == len(k.EI) {
				out = append(out, v2Cand{c, in})
			}
		}
	}
	return out
}

// bindV2 finds keys for s: a set naming its SPIs, else the first unused
// set whose integrity check passes on this message.
func (d *Decrypter) bindV2(s *v2SA, m *decode.Message, raw []byte, sk *decode.Payload, hdr int, fromInit bool) bool {
	try := func(i int) bool {
		k := &d.keys.V2[i]
		for _, c := range candidates(s, k) {
			if _, err := openSK(c, k, fromInit, raw, sk.Offset, sk.Offset+hdr, sk.Offset+sk.Length); err == nil {
				s.keys, s.cand = k, []v2Cand{c}
				d.v2used[i] = true
				return true
			}
		}
		return false
	}
	for i := range d.keys.V2 {
		k := &d.keys.V2[i]
		if k.SPIi == m.InitSPI && (k.SPIr == m.RespSPI || k.SPIr == 0) && (k.SPIi != 0) {
			// Named keys are bound even if they fail: the failure is
			// then reported.
			s.keys = k
			s.cand = candidates(s, k)
			if len(s.cand) == 0 {
				s.keys = nil
				return false
			}
			d.v2used[i] = true
			return true
		}
	}
	for i := range d.keys.V2 {
		k := &d.keys.V2[i]
		if d.v2used[i] || k.SPIi != 0 {
			continue
		}
		if try(i) {
			return true
		}
	}
	// A set already bound can also serve a second SA with the same keys
	// (both peers' logs name the same SA): try them last.
	for i := range d.keys.V2 {
		if d.v2used[i] && d.keys.V2[i].SPIi == 0 && try(i) {
			return true
		}
	}
	return false
}

// openSK checks the integrity of and decrypts an SK or SKF payload.
// raw is the whole message; the payload's generic (and fragment) header is
// raw[start:body], its IV, ciphertext and ICV raw[body:end]. It returns
// the plaintext without padding and pad length.
func openSK(c v2Cand, k *V2Keys, fromInit bool, raw []byte, start, body, end int) ([]byte, error) {
	ek, ak := k.ER, k.AR
	if fromInit {
		ek, ak = k.EI, k.AI
	}
	if start < 0 || body < start || end < body || end > len(raw) {
		return nil, ErrShort
	}
	if len(ek) != c.encr.keyLen() {
		return nil, ErrBadKeyLen
	}
	data := raw[body:end]
	iv := c.encr.ivLen()
	if c.encr.AEAD() {
		icv := c.encr.icvLen()
		if len(data) < iv+icv+1 {
			return nil, ErrShort
		}
		key, salt := ek[:len(ek)-4], ek[len(ek)-4:]
		nonce := make([]byte, 0, 12)
		nonce = append(nonce, salt...)
		nonce = append(nonce, data[:iv]...)
		var a cipher.AEAD
		var err error
		if c.encr.ID == EncrChaCha {
			a, err = chacha20poly1305.New(key)
		} else {
			var bc cipher.Block
			bc, err = aes.NewCipher(key)
			if err == nil && icv < 12 {
				p, err := openGCMShortTag(bc, nonce, data[iv:], raw[:body], icv)
				if err != nil {
					return nil, err
				}
				return unpad(p)
			}
			if err == nil {
				a, err = cipher.NewGCMWithTagSize(bc, icv)
			}
		}
		if err != nil {
			return nil, ErrBadKeyLen
		}
		// RFC 5282 §5.1: the AAD runs from the IKE header to the end of
		// the Encrypted payload's header (for SKF, its fragment fields).
		plain, err := a.Open(nil, nonce, data[iv:], raw[:body])
		if err != nil {
			return nil, ErrICV
		}
		return unpad(plain)
	}
	icv := c.integ.ICVLen
	if icv == 0 {
		return nil, ErrUnknownAlg // RFC 7296 forbids NONE with a non-AEAD cipher
	}
	if len(ak) != c.integ.KeyLen {
		return nil, ErrBadKeyLen
	}
	if len(data) < iv+icv {
		return nil, ErrShort
	}
	// RFC 7296 §3.14: the ICV covers the message from the IKE header up to
	// the ICV itself.
	mac := hmac.New(integHash(c.integ.ID), ak)
	mac.Write(raw[:end-icv])
	sum := mac.Sum(nil)
	if subtle.ConstantTimeCompare(sum[:icv], raw[end-icv:end]) != 1 {
		return nil, ErrICV
	}
	ct := data[iv : len(data)-icv]
	var bc cipher.Block
	var err error
	if c.encr.ID == Encr3DES {
		bc, err = des.NewTripleDESCipher(ek)
	} else {
		bc, err = aes.NewCipher(ek)
	}
	if err != nil {
		return nil, ErrBadKeyLen
	}
	if len(ct) == 0 || len(ct)%bc.BlockSize() != 0 || iv != bc.BlockSize() {
		return nil, ErrPadding
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(bc, data[:iv]).CryptBlocks(plain, ct)
	return unpad(plain)
}

// unpad removes the RFC 7296 §3.14 padding: the last byte is the pad
// length, not counting itself.
func unpad(p []byte) ([]byte, error) {
	if len(p) == 0 {
		return nil, ErrPadding
	}
	n := int(p[len(p)-1])
	if n+1 > len(p) {
		return nil, ErrPadding
	}
	return p[:len(p)-1-n], nil
}

func integHash(id uint16) func() hash.Hash {
	switch id {
	case 1:
		return md5.New
	case 2:
		return sha1.New
	case 13:
		return sha512.New384
	case 14:
		return sha512.New
	}
	return sha256.New
}

// openGCMShortTag opens AES-GCM with an ICV shorter than crypto/cipher
// accepts (RFC 4106 AES-GCM with an 8-octet ICV). The tag of GCM truncated
// to n bytes is the first n bytes of the full tag: decrypt in CTR mode
// (counter block nonce || 2, NIST SP 800-38D §7.2), seal the plaintext again
// with the full tag, and compare its first n bytes.
func openGCMShortTag(bc cipher.Block, nonce, sealed, aad []byte, n int) ([]byte, error) {
	if len(sealed) < n || len(nonce) != 12 {
		return nil, ErrShort
	}
	ct, tag := sealed[:len(sealed)-n], sealed[len(sealed)-n:]
	ctr := make([]byte, 16)
	copy(ctr, nonce)
	ctr[15] = 2
	plain := make([]byte, len(ct))
	cipher.NewCTR(bc, ctr).XORKeyStream(plain, ct)
	g, err := cipher.NewGCM(bc)
	if err != nil {
		return nil, ErrBadKeyLen
	}
	full := g.Seal(nil, nonce, plain, aad)
	if subtle.ConstantTimeCompare(full[len(full)-16:len(full)-16+n], tag) != 1 {
		return nil, ErrICV
	}
	return plain, nil
}
