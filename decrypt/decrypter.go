package decrypt

import (
	"bytes"
	"slices"

	"github.com/ikescope/ikescope/decode"
)

// Outcome says what Decrypt did with a message.
type Outcome uint8

// Outcomes of Decrypt.
const (
	Clear     Outcome = iota // nothing encrypted in the message
	Decrypted                // payloads were decrypted and appended
	NoKeys                   // encrypted, but no keys fit this SA
	Pending                  // an IKEv2 fragment held until the others arrive
	Failed                   // keys were there, decryption failed (error says why)
)

// Stats counts the encrypted messages seen and what became of them.
type Stats struct {
	Encrypted int // messages with an encrypted body or SK/SKF payload
	Decrypted int
	NoKeys    int
	Fragments int // SKF fragments held for reassembly
	Failed    int
	ICVFailed int // of Failed: the integrity check failed
}

// maxSAs bounds the state kept; the oldest SA is forgotten first.
const maxSAs = 4096

// Decrypter decrypts the messages of a capture in capture order. It keeps
// per-SA state (negotiated algorithms, the IKEv1 IV chain, IKEv2 fragments)
// and binds key sets that do not name their SA (charon logs) to the first
// SA whose traffic they authenticate. It is not safe for concurrent use.
type Decrypter struct {
	keys   Keys
	v1used []bool
	v2used []bool
	v1     map[uint64]*v1SA
	v2     map[uint64]*v2SA
	order  []saRef
	Stats  Stats

	esp      map[uint32]*espSA
	espOrder []uint32
}

type saRef struct {
	v1  bool
	spi uint64
}

// New returns a Decrypter with the given keys.
func New(k *Keys) *Decrypter {
	d := &Decrypter{v1: map[uint64]*v1SA{}, v2: map[uint64]*v2SA{}}
	if k != nil {
		// Copied: AddKeys appends, and the caller may share k.
		d.keys = Keys{V1: slices.Clone(k.V1), V2: slices.Clone(k.V2), ESP: slices.Clone(k.ESP)}
	}
	d.v1used = make([]bool, len(d.keys.V1))
	d.v2used = make([]bool, len(d.keys.V2))
	return d
}

func (d *Decrypter) remember(r saRef) {
	d.order = append(d.order, r)
	if len(d.order) > maxSAs {
		old := d.order[0]
		d.order = d.order[1:]
		if old.v1 {
			delete(d.v1, old.spi)
		} else {
			delete(d.v2, old.spi)
		}
	}
}

// Decrypt decrypts what is encrypted in m, whose bytes as received are
// raw (the IKE message, without a non-ESP marker), and appends the
// decrypted payloads to m (decode.Payload.Decrypted set). It also learns
// from clear messages (the negotiated algorithms, IKEv1 KE payloads). An
// error says why a message could not be decrypted although keys were
// there; it names no key material.
func (d *Decrypter) Decrypt(m *decode.Message, raw []byte) (Outcome, error) {
	return d.DecryptReload(m, raw, nil)
}

// DecryptReload is Decrypt that, when no keys fit, calls reload (which
// adds keys with AddKeys, in live capture) and if it reports new keys
// tries once more.
func (d *Decrypter) DecryptReload(m *decode.Message, raw []byte, reload func() bool) (Outcome, error) {
	if m == nil {
		return Clear, nil
	}
	if int64(len(raw)) > int64(m.Length) && m.Length >= decode.HeaderLen {
		raw = raw[:m.Length]
	}
	if m.Major != 1 && m.Major != 2 {
		return Clear, nil
	}
	out, err := d.message(m, raw)
	if out == NoKeys && reload != nil && reload() {
		out, err = d.message(m, raw)
	}
	switch out {
	case Decrypted:
		d.Stats.Encrypted++
		d.Stats.Decrypted++
	case NoKeys:
		d.Stats.Encrypted++
		d.Stats.NoKeys++
	case Pending:
		d.Stats.Fragments++
	case Failed:
		d.Stats.Encrypted++
		d.Stats.Failed++
		if err == ErrICV {
			d.Stats.ICVFailed++
		}
	}
	return out, err
}

func (d *Decrypter) message(m *decode.Message, raw []byte) (Outcome, error) {
	if m.Major == 1 {
		return d.v1Message(m, raw)
	}
	return d.v2Message(m, raw)
}

// chainFits walks a payload chain's generic headers only and reports
// whether it ends (next payload 0) within b, with at most slack bytes
// after it. It is the plausibility test for trial decryption of IKEv1,
// whose padding is not self-describing.
func chainFits(first decode.PayloadType, b []byte, slack int) bool {
	next := first
	off := 0
	for n := 0; next != decode.PayloadNone; n++ {
		if n > 64 || len(b)-off < 4 {
			return false
		}
		if b[off+1] != 0 {
			return false // RESERVED must be zero in IKEv1
		}
		l := int(b[off+2])<<8 | int(b[off+3])
		if l < 4 || l > len(b)-off {
			return false
		}
		next = decode.PayloadType(b[off])
		off += l
	}
	return len(b)-off <= slack
}

// AddKeys adds the key sets of k that the Decrypter does not hold yet (a
// key file read again as a daemon appends to it, in live capture). It
// returns how many were added.
func (d *Decrypter) AddKeys(k *Keys) int {
	n := 0
	for _, v := range k.V1 {
		if !hasV1(d.keys.V1, v) {
			d.keys.V1 = append(d.keys.V1, v)
			d.v1used = append(d.v1used, false)
			n++
		}
	}
	for _, v := range k.V2 {
		if !hasV2(d.keys.V2, v) {
			d.keys.V2 = append(d.keys.V2, v)
			d.v2used = append(d.v2used, false)
			n++
		}
	}
	for _, v := range k.ESP {
		if !hasESP(d.keys.ESP, v) {
			d.keys.ESP = append(d.keys.ESP, v)
			n++
		}
	}
	if n > 0 {
		// The SPIs tried without keys may have them now.
		for _, s := range d.esp {
			if s.keys == nil {
				s.tries = 0
			}
		}
	}
	return n
}

func hasV1(l []V1Keys, k V1Keys) bool {
	for i := range l {
		if l[i].CookieI == k.CookieI && bytes.Equal(l[i].Key, k.Key) && bytes.Equal(l[i].IV, k.IV) {
			return true
		}
	}
	return false
}

func hasV2(l []V2Keys, k V2Keys) bool {
	for i := range l {
		if l[i].SPIi == k.SPIi && l[i].SPIr == k.SPIr && bytes.Equal(l[i].EI, k.EI) && bytes.Equal(l[i].ER, k.ER) && bytes.Equal(l[i].AI, k.AI) {
			return true
		}
	}
	return false
}

func hasESP(l []ESPKeys, k ESPKeys) bool {
	for i := range l {
		if l[i].SPI == k.SPI && bytes.Equal(l[i].EncKey, k.EncKey) && bytes.Equal(l[i].AuthKey, k.AuthKey) {
			return true
		}
	}
	return false
}
