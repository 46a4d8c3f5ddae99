package decrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"encoding/binary"
	"hash"

	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"

	"github.com/ikescope/ikescope/decode"
)

// IKEv1 attribute values (RFC 2409 Appendix A).
const (
	v1AttrEnc     = 1
	v1AttrHash    = 2
	v1AttrKeyLen  = 14
	v1Enc3DES     = 5
	v1EncAES      = 7
	maxV1Seen     = 64
	maxV1MsgIDs   = 64
	v1PaddingMax  = 255
	v1PhaseIVSize = 16
)

// v1SA is the state of one IKEv1 SA, keyed by the initiator cookie.
type v1SA struct {
	encID   int // 0 unknown
	keyBits int
	hashID  int // 0 unknown
	kei     []byte
	ker     []byte
	keys    []*V1Keys
	// p1IV is the IV for the next phase-1 message: the initial IV, then
	// the last ciphertext block of the latest phase-1 message.
	p1IV   []byte
	p1Prev []byte
	// mids holds the running IV of each phase-2/informational exchange.
	mids map[uint32][]byte
	// seen maps the digest of each encrypted message already decrypted to
	// the IV it was decrypted with, so a retransmission neither advances
	// the chain nor fails.
	seen map[uint64][]byte
}

func (d *Decrypter) v1State(m *decode.Message) *v1SA {
	s := d.v1[m.InitSPI]
	if s == nil {
		s = &v1SA{mids: map[uint32][]byte{}, seen: map[uint64][]byte{}}
		d.v1[m.InitSPI] = s
		d.remember(saRef{v1: true, spi: m.InitSPI})
	}
	return s
}

func isPhase1(x decode.ExchangeType) bool {
	return x == decode.ExchangeMainMode || x == decode.ExchangeAggressive || x == decode.ExchangeBase || x == decode.ExchangeAuthOnly
}

func (d *Decrypter) v1Message(m *decode.Message, raw []byte) (Outcome, error) {
	if !m.Encrypted() {
		if isPhase1(m.Exchange) {
			d.v1Learn(m, raw)
		}
		return Clear, nil
	}
	s := d.v1State(m)
	if len(raw) < decode.HeaderLen {
		return Failed, ErrShort
	}
	body := raw[decode.HeaderLen:]
	if len(s.keys) == 0 && !d.hasV1Keys() {
		return NoKeys, nil
	}
	plain, next, out, err := d.v1Open(s, m, body)
	if next != nil && out != NoKeys {
		// Without keys the chain stays where it was, so that keys read
		// later (live capture) can still open this message when retried.
		if isPhase1(m.Exchange) {
			s.p1Prev, s.p1IV = s.p1IV, next
		} else {
			if len(s.mids) >= maxV1MsgIDs {
				clear(s.mids)
			}
			s.mids[m.MsgID] = next
		}
	}
	if out != Decrypted {
		return out, err
	}
	return decrypted(m.AddDecrypted(m.NextPayload, plain))
}

// v1Learn takes the chosen transform from the responder's SA payload and
// the KE payloads (for the initial IV) from clear phase-1 messages.
func (d *Decrypter) v1Learn(m *decode.Message, raw []byte) {
	for i := range m.Payloads {
		p := &m.Payloads[i]
		switch {
		case p.SA != nil && m.RespSPI != 0:
			// The SA payload of MM2/AM2 carries the one chosen transform.
			if len(p.SA.Proposals) == 0 || len(p.SA.Proposals[0].Transforms) == 0 {
				continue
			}
			s := d.v1State(m)
			for _, a := range p.SA.Proposals[0].Transforms[0].Attrs {
				switch a.Type {
				case v1AttrEnc:
					s.encID = int(a.Value)
				case v1AttrHash:
					s.hashID = int(a.Value)
				case v1AttrKeyLen:
					s.keyBits = int(a.Value)
				}
			}
		case p.KE != nil:
			if p.Offset+p.Length > len(raw) || p.Length < 4 {
				continue
			}
			ke := raw[p.Offset+4 : p.Offset+p.Length]
			s := d.v1State(m)
			switch {
			case s.kei == nil:
				s.kei = append([]byte(nil), ke...)
			case bytes.Equal(s.kei, ke) || bytes.Equal(s.ker, ke):
			case s.ker == nil:
				s.ker = append([]byte(nil), ke...)
			}
		}
	}
}

// blocks returns the block ciphers to try with key, given what the SA
// payload said (3DES and AES-192 share a 24-byte key).
func (s *v1SA) blocks(key []byte) []cipher.Block {
	var out []cipher.Block
	if (s.encID == v1Enc3DES || s.encID == 0) && len(key) == 24 {
		if b, err := des.NewTripleDESCipher(key); err == nil {
			out = append(out, b)
		}
	}
	if s.encID == v1EncAES || s.encID == 0 {
		if s.keyBits == 0 || s.keyBits == len(key)*8 {
			if b, err := aes.NewCipher(key); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}

var v1Hashes = map[int]func() hash.Hash{1: md5.New, 2: sha1.New, 4: sha256.New, 5: sha512.New384, 6: sha512.New}

// hashes returns the hash functions to try for IV derivation.
func (s *v1SA) hashes() []func() hash.Hash {
	if h, ok := v1Hashes[s.hashID]; ok {
		return []func() hash.Hash{h}
	}
	return []func() hash.Hash{sha1.New, sha256.New, md5.New, sha512.New384, sha512.New}
}

// initialIV is RFC 2409 Appendix B: hash(g^xi | g^xr) truncated to the
// block size; a logged initial IV is used when the KE payloads were not
// captured.
func (s *v1SA) initialIVs(bs int, k *V1Keys) [][]byte {
	var out [][]byte
	if s.kei != nil && s.ker != nil {
		for _, h := range s.hashes() {
			x := h()
			x.Write(s.kei)
			x.Write(s.ker)
			out = append(out, x.Sum(nil)[:bs])
		}
	}
	if len(k.IV) >= bs {
		out = append(out, k.IV[:bs])
	}
	return out
}

// ivs lists the IVs to try for message m (normally exactly one).
func (s *v1SA) ivs(m *decode.Message, bs int, k *V1Keys) [][]byte {
	if iv, ok := s.seen[m.Digest]; ok && len(iv) == bs {
		return [][]byte{iv}
	}
	if isPhase1(m.Exchange) {
		if len(s.p1IV) == bs {
			return [][]byte{s.p1IV}
		}
		return s.initialIVs(bs, k)
	}
	if iv := s.mids[m.MsgID]; len(iv) == bs {
		return [][]byte{iv}
	}
	// RFC 2409 §5.5 and Appendix B: a new exchange's IV is the hash of the
	// last phase-1 CBC output block and the message ID.
	// A peer that could not decrypt the latest phase-1 message (a
	// pre-shared key mismatch) does not advance its chain: its
	// informational derives from the IV before that message, so the older
	// IVs are tried too (v1_psk_mismatch).
	var bases [][]byte
	if len(s.p1IV) == bs {
		bases = append(bases, s.p1IV)
	}
	if len(s.p1Prev) == bs {
		bases = append(bases, s.p1Prev)
	}
	bases = append(bases, s.initialIVs(bs, k)...)
	var mid [4]byte
	binary.BigEndian.PutUint32(mid[:], m.MsgID)
	var out [][]byte
	for _, base := range bases {
		for _, h := range s.hashes() {
			x := h()
			x.Write(base)
			x.Write(mid[:])
			out = append(out, x.Sum(nil)[:bs])
		}
	}
	return out
}

// open decrypts body with key set k. next is the IV that follows this
// message in its chain (nil for a retransmission, which does not advance
// it); it is set even when the plaintext is not a payload chain.
func (s *v1SA) open(m *decode.Message, body []byte, k *V1Keys) (plain, next []byte, err error) {
	blocks := s.blocks(k.Key)
	if len(blocks) == 0 {
		return nil, nil, ErrBadKeyLen
	}
	_, retrans := s.seen[m.Digest]
	for _, b := range blocks {
		bs := b.BlockSize()
		if len(body) == 0 || len(body)%bs != 0 {
			err = ErrPadding
			continue
		}
		if !retrans {
			next = append([]byte(nil), body[len(body)-bs:]...)
		}
		for _, iv := range s.ivs(m, bs, k) {
			p := make([]byte, len(body))
			cipher.NewCBCDecrypter(b, iv).CryptBlocks(p, body)
			if chainFits(m.NextPayload, p, v1PaddingMax) {
				if !retrans {
					if len(s.seen) >= maxV1Seen {
						clear(s.seen)
					}
					s.seen[m.Digest] = iv
				}
				return p, next, nil
			}
		}
		err = ErrNoChain
	}
	return nil, next, err
}

// keysFor finds keys for message m of s: the sets already bound to s,
// then a set naming its cookie, then unused sets without a cookie, then
// sets bound elsewhere. In a pre-shared key mismatch each peer encrypts
// with its own keys, so an SA can hold two sets. The first set under which
// the message decrypts to a payload chain is bound.
func (d *Decrypter) v1Open(s *v1SA, m *decode.Message, body []byte) (plain, next []byte, out Outcome, err error) {
	tried := map[*V1Keys]bool{}
	attempt := func(k *V1Keys) bool {
		if tried[k] {
			return false
		}
		tried[k] = true
		p, n, e := s.open(m, body, k)
		if n != nil {
			next = n
		}
		if e != nil {
			if err == nil || e != ErrNoChain {
				err = e
			}
			return false
		}
		plain, err = p, nil
		for _, b := range s.keys {
			if b == k {
				return true
			}
		}
		s.keys = append(s.keys, k)
		return true
	}
	for _, k := range s.keys {
		if attempt(k) {
			return plain, next, Decrypted, nil
		}
	}
	for i := range d.keys.V1 {
		k := &d.keys.V1[i]
		if k.CookieI != 0 && k.CookieI == m.InitSPI && attempt(k) {
			d.v1used[i] = true
			return plain, next, Decrypted, nil
		}
	}
	for pass := 0; pass < 2; pass++ {
		for i := range d.keys.V1 {
			k := &d.keys.V1[i]
			if k.CookieI != 0 || d.v1used[i] != (pass == 1) {
				continue
			}
			if attempt(k) {
				d.v1used[i] = true
				return plain, next, Decrypted, nil
			}
		}
	}
	if len(s.keys) == 0 {
		return nil, next, NoKeys, nil
	}
	return nil, next, Failed, err
}

func (d *Decrypter) hasV1Keys() bool { return len(d.keys.V1) > 0 }
