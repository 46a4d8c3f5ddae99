// Package pipeline is the decode and track loop that analyze and live share:
// each captured packet is decoded, counted and handed to the classifier;
// IP datagrams whose fragments stopped coming are reported to it once a
// second of capture time.
//
// A Pipeline is used by one goroutine. It does no I/O and reads no clock:
// time comes from packet timestamps and from Advance (the live ticker).
package pipeline

import (
	"io"
	"time"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/decode"
	"github.com/ikescope/ikescope/decrypt"
)

// Counts counts the packets fed, by what they carried.
type Counts struct {
	Packets    uint64
	IKE        uint64 // IKE messages (fragments count once, when reassembled)
	IKEErrors  uint64 // IKE messages that decoded only partly
	ESP        uint64
	ESPBytes   uint64 // from the SPI to the end of the packet
	Keepalives uint64
	Fragments  uint64 // IP fragments held for reassembly
	Other      uint64
	Malformed  uint64
}

// Pipeline decodes packets and feeds them to a Tracker.
type Pipeline struct {
	Tracker *classify.Tracker
	Counts  Counts
	// IKEError, if set, is called for an IKE message that decoded only
	// partly (the run goes on).
	IKEError func(p *capture.Packet, err error)
	// Decrypter, if set, decrypts IKE messages before they are tracked
	// (--keys); a message it could not decrypt although keys were there
	// gets the reason as an anomaly and is reported to DecryptError.
	Decrypter    *decrypt.Decrypter
	DecryptError func(p *capture.Packet, err error)
	// ReloadKeys, if set, is called when an encrypted message found no
	// keys (live capture: the daemon may have just written them); when it
	// reports new keys, the message is tried once more.
	ReloadKeys func() bool

	dec        *decode.Decoder
	inner      *decode.Decoder // decrypted ESP payloads (--keys with ESP keys)
	nextExpire time.Time
}

// New returns a pipeline feeding tr.
func New(tr *classify.Tracker) *Pipeline {
	return &Pipeline{Tracker: tr, dec: decode.NewDecoder()}
}

// Feed decodes and tracks one packet. p may be reused after it returns.
func (pl *Pipeline) Feed(p *capture.Packet) {
	c := &pl.Counts
	c.Packets++
	f := pl.dec.Decode(p.Link, p.Data, p.Time, p.Frame)
	switch f.Kind {
	case decode.KindIKE:
		c.IKE++
		if f.IKEErr != nil {
			c.IKEErrors++
			if pl.IKEError != nil {
				pl.IKEError(p, f.IKEErr)
			}
		}
		if pl.Decrypter != nil && f.IKE != nil {
			pl.decrypt(p, f)
		}
	case decode.KindESP:
		c.ESP++
		c.ESPBytes += uint64(f.ESP.Len)
	case decode.KindKeepalive:
		c.Keepalives++
	case decode.KindFragment:
		c.Fragments++
	case decode.KindMalformed:
		c.Malformed++
	default:
		c.Other++
	}
	pl.Tracker.Observe(classify.Input{Frame: p.Frame, Source: p.Source, Time: p.Time, F: f})
	if f.Kind == decode.KindESP && pl.Decrypter != nil {
		pl.decryptESP(p, f)
	}
	if p.Time.After(pl.nextExpire) {
		pl.nextExpire = p.Time.Add(time.Second)
		pl.Tracker.LostDatagrams(pl.dec.Expire(p.Time))
	}
}

// FeedAll feeds every packet of src up to its end and returns nil, or the
// first read error (every packet before it was fed).
func (pl *Pipeline) FeedAll(src capture.Source) error {
	for {
		p, err := src.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		pl.Feed(p)
	}
}

func (pl *Pipeline) decrypt(p *capture.Packet, f *decode.Frame) {
	if _, err := pl.Decrypter.DecryptReload(f.IKE, f.IKEBytes, pl.ReloadKeys); err != nil {
		f.IKE.Anomalies = append(f.IKE.Anomalies, err)
		if pl.DecryptError != nil {
			pl.DecryptError(p, err)
		}
	}
}

// decryptESP decrypts an ESP packet and hands a tunnelled IP packet to the
// tracker as if captured inside the tunnel (same frame and time): the SMB
// reset finding sees TCP that only the keys reveal.
func (pl *Pipeline) decryptESP(p *capture.Packet, f *decode.Frame) {
	in, ok, err := pl.Decrypter.ESP(f.ESPBytes)
	if err != nil && pl.DecryptError != nil {
		pl.DecryptError(p, err)
	}
	if !ok || (in.NextHeader != 4 && in.NextHeader != 41) {
		return
	}
	if pl.inner == nil {
		pl.inner = decode.NewDecoder()
	}
	inf := pl.inner.Decode(decode.LinkRaw, in.Packet, p.Time, p.Frame)
	if inf.Kind == decode.KindOther {
		pl.Tracker.Observe(classify.Input{Frame: p.Frame, Source: p.Source, Time: p.Time, F: inf})
	}
}

// Advance moves the clock without a packet (live capture, from a ticker):
// fragments and limits expire.
func (pl *Pipeline) Advance(now time.Time) {
	pl.Tracker.LostDatagrams(pl.dec.Expire(now))
	pl.Tracker.Advance(now)
}

// Finish ends the run: incomplete datagrams are reported, limits are
// checked at end (when the capture ended; the clock stays where the packets
// left it if end is earlier or zero), and every SA still open gets its
// verdict.
func (pl *Pipeline) Finish(end time.Time) {
	pl.Tracker.LostDatagrams(pl.dec.Pending())
	pl.Tracker.Advance(end)
	pl.Tracker.Finish()
}
