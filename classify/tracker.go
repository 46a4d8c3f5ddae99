package classify

import (
	"container/heap"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/ikescope/ikescope/decode"
)

// Config holds the limits that decide when a pending negotiation has been
// abandoned. They are parameters because implementations differ.
type Config struct {
	// MMLimit is how long phase 1 may take before it counts as failed.
	MMLimit time.Duration
	// QMLimit is how long a phase-2 negotiation may take.
	QMLimit time.Duration
	// AcquireLimit is how long after phase 1 a phase 2 must start.
	AcquireLimit time.Duration
	// GiveUp is the silence after which a pending negotiation is taken as
	// abandoned (retransmissions ran out).
	GiveUp time.Duration
	// Local names the local address; the initiator when unset.
	Local netip.Addr
	// MaxSAs caps the live SAs; the oldest idle ones are evicted beyond it.
	MaxSAs int
	// ChildLifetime and ChildLifetimeKB are the phase-2 lifetimes to assume
	// where the negotiated ones are not visible (IKEv1 quick mode and IKEv2
	// are encrypted); zero means unknown. The windows profile sets them.
	ChildLifetime   time.Duration
	ChildLifetimeKB uint64
}

// Profiles are timer sets of common implementations.
var Profiles = map[string]Config{
	// Windows IKEEXT: IKEv2 retransmits for at least 120 s
	// (retransmitDurationSecs); the IKEv1 schedule is not published, and
	// main mode fails with MM_DELAY_DROP after about a minute.
	// Phase-2 defaults: 60 min and 100 000 KB.
	"windows": {MMLimit: 120 * time.Second, QMLimit: 120 * time.Second, AcquireLimit: 60 * time.Second, GiveUp: 65 * time.Second,
		ChildLifetime: time.Hour, ChildLifetimeKB: 100000},
	// strongSwan: 4 s x 1.8^n, 5 retries: gives up after about 165 s.
	"strongswan": {MMLimit: 170 * time.Second, QMLimit: 170 * time.Second, AcquireLimit: 60 * time.Second, GiveUp: 100 * time.Second},
	// libreswan: retransmit-timeout 60 s by default.
	"libreswan": {MMLimit: 65 * time.Second, QMLimit: 65 * time.Second, AcquireLimit: 60 * time.Second, GiveUp: 35 * time.Second},
}

// DefaultConfig is the default: the strongSwan timers, the most patient of
// the common implementations, so that no slow peer is called failed early.
func DefaultConfig() Config {
	c := Profiles["strongswan"]
	// About 1.6 KB each while open: 50 000 open SAs peak near 190 MB
	// (a flood of 200 000 unanswered IKE_SA_INIT, issue 12). Beyond, the SA
	// idle longest is judged early and evicted.
	c.MaxSAs = 50000
	return c
}

// Tracker follows IKE SAs. Feed it every decoded frame in time order with
// Observe; call Finish at the end of the capture.
type Tracker struct {
	cfg    Config
	byISPI map[uint64]*SA
	// The live SAs: by last activity, by address pair, by check time
	// (index.go).
	live    activity
	byPeers map[peerKey][]*SA
	checks  checkHeap
	dirty   []*SA
	// esp holds the ESP flows by SPI: each entry heads a chain (through
	// ESPStats.nextSPI) of the flows with that SPI, told apart by their
	// addresses. SPIs are chosen at random by their receivers, so a chain
	// is nearly always one flow long; a key of SPI alone hashes and
	// compares faster than SPI and both addresses (issue 12).
	esp map[uint32]*ESPStats
	// espCache holds recently seen flows by SPI, in front of the map: the
	// map lookup was most of the cost of an ESP packet.
	espCache [espCacheSize]*ESPStats
	nextID   int
	now      time.Time
	// Emit receives each SA when its verdict is final (streaming); may be nil.
	Emit func(*SA)
	// OnEvent receives each event as it is attached to an SA (streaming);
	// may be nil.
	OnEvent func(*SA, Event)
	// OnPhase receives each completed phase as it completes: phase 1 with
	// the time from the SA's start, phase 2 with the exchange's duration
	// (streaming, e.g. for duration histograms); may be nil.
	OnPhase func(sa *SA, phase int, d time.Duration)
	// Evicted counts SAs evicted by the MaxSAs cap.
	Evicted int
	done    []*SA
	// KeepDone keeps finished SAs for Results (the default for analyze);
	// live capture turns it off and relies on Emit.
	KeepDone   bool
	smb        smbWatch
	orphanESP  []*ESPStats
	nextExpire time.Time // when Observe next runs expire
	backLimit  time.Time // a packet older than this is a jump back in time
	// Discontinuities records where the capture clock went backwards.
	Discontinuities []Evidence
	// ending is set while Finish judges what the end of the capture left.
	ending bool
	// work counts what the tracker looked at, so that tests can check that
	// its cost is linear (scale_test.go).
	work struct{ idleChecks, peerVisits int }
}

// espKey identifies an ESP flow. The addresses are kept as 16-byte arrays
// (IPv4 mapped), not netip.Addr, whose zone pointer makes the map hash the
// slow generic way: this lookup is made for every ESP packet.
const espCacheSize = 4096

// lookupESP finds the flow of SPI spi from src to dst.
func (t *Tracker) lookupESP(spi uint32, src, dst netip.Addr) *ESPStats {
	slot := &t.espCache[spi%espCacheSize]
	if st := *slot; st != nil && st.SPI == spi && st.Src.Addr() == src && st.Dst.Addr() == dst {
		return st
	}
	for st := t.esp[spi]; st != nil; st = st.nextSPI {
		if st.Src.Addr() == src && st.Dst.Addr() == dst {
			*slot = st
			return st
		}
	}
	return nil
}

// addESP records a new flow.
func (t *Tracker) addESP(st *ESPStats) {
	st.nextSPI = t.esp[st.SPI]
	t.esp[st.SPI] = st
	t.espCache[st.SPI%espCacheSize] = st
}

// forgetESP drops a flow from the map and the cache, if it is there.
func (t *Tracker) forgetESP(st *ESPStats) {
	if slot := &t.espCache[st.SPI%espCacheSize]; *slot == st {
		*slot = nil
	}
	head := t.esp[st.SPI]
	switch {
	case head == st && st.nextSPI == nil:
		delete(t.esp, st.SPI)
	case head == st:
		t.esp[st.SPI] = st.nextSPI
	default:
		for p := head; p != nil; p = p.nextSPI {
			if p.nextSPI == st {
				p.nextSPI = st.nextSPI
				break
			}
		}
	}
	st.nextSPI = nil
}

// NewTracker returns a Tracker with the given limits.
func NewTracker(cfg Config) *Tracker {
	if cfg.MaxSAs <= 0 {
		cfg.MaxSAs = DefaultConfig().MaxSAs
	}
	return &Tracker{cfg: cfg, byISPI: map[uint64]*SA{}, byPeers: map[peerKey][]*SA{}, esp: map[uint32]*ESPStats{}, KeepDone: true}
}

// Input is one decoded frame with where it came from.
type Input struct {
	Frame  int
	Source int
	Time   time.Time
	F      *decode.Frame
}

// Observe takes one decoded frame. The frame may be reused after it returns.
func (t *Tracker) Observe(in Input) {
	// Compared with limits worked out once a second, not with times computed
	// per packet (Time.Add and Sub are not free at millions of packets).
	if !t.now.IsZero() && in.Time.Before(t.backLimit) {
		// The clock jumped back by more than the give-up gap: captures
		// concatenated out of order (nDPI/ipsec_isakmp_esp.pcap goes back
		// 19 hours at frame 287). Everything open is judged at the old
		// clock and the run starts over from the new time.
		t.Discontinuities = append(t.Discontinuities, Evidence{Frame: in.Frame, Time: in.Time,
			Text: "capture time goes back by " + dur(t.now.Sub(in.Time)) + ": open SAs were judged at the earlier end"})
		t.Finish()
		t.now = in.Time
		t.backLimit = in.Time.Add(-t.cfg.GiveUp)
		t.nextExpire = time.Time{}
	}
	if in.Time.After(t.now) {
		t.now = in.Time
	}
	f := in.F
	switch f.Kind {
	case decode.KindIKE:
		if f.IKE != nil && (f.IKE.Major == 1 || f.IKE.Major == 2) {
			t.observeIKE(in)
		}
	case decode.KindESP:
		t.observeESP(in)
	case decode.KindOther:
		if f.Proto == 6 {
			t.smb.observe(in)
		}
	}
	// Limits are checked once per second of capture time, not per packet.
	if !t.now.Before(t.nextExpire) {
		t.nextExpire = t.now.Add(time.Second)
		// A clock going back by more than the give-up gap (from the time of
		// this check) is a discontinuity.
		t.backLimit = t.now.Add(-t.cfg.GiveUp)
		t.expire()
	}
}

// Advance moves the clock without a packet (live capture when idle), so that
// limits can expire.
func (t *Tracker) Advance(now time.Time) {
	if now.After(t.now) {
		t.now = now
	}
	t.expire()
}

// LostDatagrams ties IP datagrams that never completed to the SA whose IKE
// header their first fragment carried.
func (t *Tracker) LostDatagrams(dgs []*decode.Datagram) {
	for _, dg := range dgs {
		if dg.IKE == nil {
			continue
		}
		if sa := t.byISPI[dg.IKE.InitSPI]; sa != nil {
			sa.xw().fragsLost = append(sa.x().fragsLost, dg)
			t.markDirty(sa)
			// One event per message (streamed events are final); the
			// verdict's evidence counts the copies.
			first := true
			for _, o := range sa.x().fragsLost[:len(sa.x().fragsLost)-1] {
				if o.IKELen == dg.IKELen {
					first = false
				}
			}
			if first {
				t.event(sa, Event{Type: "ip_fragments_lost", Frame: firstRef(dg), Time: dg.First,
					Text: "IKE message of " + itoa(dg.IKELen) + " bytes sent in IP fragments; " + itoa(len(dg.Fragments)) + " arrived, the datagram was never complete"})
			}
		}
	}
}

func firstRef(dg *decode.Datagram) int {
	if len(dg.Fragments) == 0 {
		return 0
	}
	return dg.Fragments[0].Ref
}

func (t *Tracker) observeIKE(in Input) {
	f, m := in.F, in.F.IKE
	sa := t.byISPI[m.InitSPI]
	if sa != nil && sa.RespSPI != 0 && m.RespSPI != 0 && m.RespSPI != sa.RespSPI {
		// Same initiator cookie, different responder: a new SA.
		sa = nil
	}
	if sa != nil && sa.finalized {
		sa = nil
	}
	if sa == nil {
		sa = t.newSA(in)
	}
	dir := I2R
	if f.Src.Addr() == sa.Responder.Addr() && f.Dst.Addr() == sa.Initiator.Addr() {
		dir = R2I
	} else if m.Major == 2 && sa.Initiator.Addr() == f.Src.Addr() && sa.Responder.Addr() == f.Dst.Addr() {
		dir = I2R
	} else if f.Src.Addr() != sa.Initiator.Addr() {
		dir = R2I
	}
	if m.Major == 2 {
		// The I flag names the original initiator regardless of who sends.
		if m.Initiator() {
			dir = I2R
		} else {
			dir = R2I
		}
	}
	// NAT-T port floating (RFC 3947 §4): follow the new ports.
	if f.Src.Port() == decode.PortNATT || f.Dst.Port() == decode.PortNATT {
		if !sa.NATT {
			sa.NATT = true
			t.event(sa, Event{Type: "natt", Frame: in.Frame, Time: in.Time, Text: "IKE moved to UDP 4500 (NAT traversal)"})
		}
	}
	if dir == I2R {
		sa.Initiator, sa.Responder = f.Src, f.Dst
	} else {
		sa.Initiator, sa.Responder = f.Dst, f.Src
	}
	if m.RespSPI != 0 && sa.RespSPI == 0 {
		sa.RespSPI = m.RespSPI
	}
	sa.lastSeen, sa.lastFrame = in.Time, in.Frame
	t.indexPeers(sa)
	t.live.touch(sa)
	t.markDirty(sa)
	t.addMessage(sa, in, dir)
}

func (t *Tracker) newSA(in Input) *SA {
	f, m := in.F, in.F.IKE
	t.nextID++
	sa := &SA{ID: t.nextID, Version: int(m.Major), InitSPI: m.InitSPI, RespSPI: m.RespSPI, Started: in.Time}
	sa.links.heapIdx = -1
	sa.Initiator, sa.Responder = f.Src, f.Dst
	if m.Major == 2 && !m.Initiator() {
		sa.Initiator, sa.Responder = f.Dst, f.Src
	}
	switch {
	case m.Major == 2:
		sa.Mode = "ikev2"
	case m.Exchange == decode.ExchangeAggressive:
		sa.Mode = "aggressive"
	default:
		sa.Mode = "main"
	}
	// A new SA between the same peers supersedes one still negotiating
	// (DESIGN rule 4); an established one is superseded when it is rekeyed.
	for _, old := range t.peersLive(sa.Initiator.Addr(), sa.Responder.Addr()) {
		if old.finalized || !samePeers(old, sa) {
			continue
		}
		if old.x().supersededBy == nil {
			old.xw().supersededBy = sa
		}
		// Both sides starting phase 1 towards each other at once: each may
		// tear down the other's attempt (a classic cause of flapping).
		if old.Established.IsZero() && old.Initiator.Addr() == sa.Responder.Addr() && in.Time.Sub(old.Started) < 10*time.Second {
			t.event(old, Event{Type: "simultaneous_negotiation", Frame: in.Frame, Time: in.Time,
				Text: "the peer started IKE SA #" + itoa(sa.ID) + " towards this side while this one was still in phase 1"})
			t.event(sa, Event{Type: "simultaneous_negotiation", Frame: in.Frame, Time: in.Time,
				Text: "started while IKE SA #" + itoa(old.ID) + " from the other side was still in phase 1"})
		}
	}
	t.byISPI[m.InitSPI] = sa
	// Make room before adding: the new SA has no message yet and must not
	// be the one evicted.
	for t.live.n >= t.cfg.MaxSAs && t.evictOldest() {
	}
	t.live.pushBack(sa)
	t.indexPeers(sa)
	t.markDirty(sa)
	return sa
}

func samePeers(a, b *SA) bool {
	return (a.Initiator.Addr() == b.Initiator.Addr() && a.Responder.Addr() == b.Responder.Addr()) ||
		(a.Initiator.Addr() == b.Responder.Addr() && a.Responder.Addr() == b.Initiator.Addr())
}

// evictOldest finalises the live SA idle longest (IKE or ESP) and drops it
// from the live list; it reports whether there was one.
func (t *Tracker) evictOldest() bool {
	old := t.live.head
	if old == nil {
		return false
	}
	t.Evicted++
	t.event(old, Event{Type: "evicted", Time: t.now,
		Text: "judged early and dropped: the live-SA cap (--max-sas " + itoa(t.cfg.MaxSAs) + ") was reached and this SA had been idle longest"})
	t.finalize(old, true)
	return true
}

func phaseOf(version int, x decode.ExchangeType) int {
	switch x {
	case decode.ExchangeMainMode, decode.ExchangeAggressive, decode.ExchangeIKESAInit, decode.ExchangeIKEAuth,
		decode.ExchangeBase, decode.ExchangeAuthOnly:
		return 1
	case decode.ExchangeQuickMode, decode.ExchangeCreateChildSA:
		return 2
	}
	return 0
}

func (t *Tracker) addMessage(sa *SA, in Input, dir Dir) {
	m := in.F.IKE
	// Find the exchange: IKEv1 phase 1 by type (message ID 0), others by
	// type and message ID.
	var x *Exchange
	for i := len(sa.Exchanges) - 1; i >= 0; i-- {
		e := sa.Exchanges[i]
		if e.Type == m.Exchange && e.MsgID == m.MsgID {
			x = e
			break
		}
	}
	// IKEv2: a new request after the exchange got its answer is a new
	// exchange (an IKE_SA_INIT retried after INVALID_KE_PAYLOAD or COOKIE,
	// or a message ID reused by a broken peer).
	if x != nil && m.Major == 2 && !m.Response() && x.Completed {
		if msgRetransmit(x, m, dir) == nil {
			x = nil
		}
	}
	if x == nil {
		x = &Exchange{Type: m.Exchange, Name: m.ExchangeName(), MsgID: m.MsgID, Phase: phaseOf(sa.Version, m.Exchange), Start: in.Time}
		sa.Exchanges = append(sa.Exchanges, x)
		trimExchanges(sa)
		if sa.Established.IsZero() && len(sa.Phase1()) == 0 && x.Phase != 1 {
			// The capture started after phase 1: an exchange that needs an
			// IKE SA shows that one was up.
			sa.Established = in.Time
			if old, cx := t.rekeyedFrom(sa, in.Time); old != nil {
				t.ikeRekey(old, cx, sa, in)
			} else {
				t.event(sa, Event{Type: "capture_started_late", Frame: in.Frame, Time: in.Time,
					Text: "the capture starts after phase 1: first seen is " + x.Name})
			}
		}
	}
	if prev := msgRetransmit(x, m, dir); prev != nil {
		if len(prev.SendTimes) < maxSendTimes {
			prev.SendTimes = append(prev.SendTimes, in.Time)
			prev.Frames = append(prev.Frames, in.Frame)
		} else {
			// Keep the latest in the last place: a retransmission storm
			// costs no memory.
			prev.SendTimes[len(prev.SendTimes)-1] = in.Time
			prev.Frames[len(prev.Frames)-1] = in.Frame
			prev.ExtraSends++
		}
		if prev.Retransmissions() == 1 {
			t.event(sa, Event{Type: "retransmitted", Frame: in.Frame, Time: in.Time,
				Text: x.Name + " " + dir.String() + " message retransmitted"})
		}
		return
	}
	msg := &Message{Frame: in.Frame, Source: in.Source, Time: in.Time, Dir: dir, Length: int(m.Length),
		Encrypted: m.Encrypted(), SendTimes: []time.Time{in.Time}, Frames: []int{in.Frame}, digest: m.Digest,
		Decrypted: m.DecryptedPayloads()}
	if dg := in.F.Datagram; dg != nil {
		msg.IPFragments = len(dg.Fragments)
		t.event(sa, Event{Type: "ip_fragmented", Frame: in.Frame, Time: in.Time,
			Text: x.Name + " message of " + itoa(int(m.Length)) + " bytes arrived in " + itoa(len(dg.Fragments)) + " IP fragments"})
	}
	for i := range m.Payloads {
		p := &m.Payloads[i]
		msg.Payloads = append(msg.Payloads, p.Type)
		t.notePayload(sa, x, msg, in, dir, p)
	}
	x.Messages = append(x.Messages, msg)
	t.step(sa, x, msg, in, dir)
}

// msgRetransmit returns the earlier message this one repeats, if any: the
// same sender, the same exchange and the same bytes.
func msgRetransmit(x *Exchange, m *decode.Message, dir Dir) *Message {
	for _, prev := range x.Messages {
		if prev.Dir == dir && prev.digest == m.Digest && prev.Length == int(m.Length) {
			return prev
		}
	}
	return nil
}

func (t *Tracker) notePayload(sa *SA, x *Exchange, msg *Message, in Input, dir Dir, p *decode.Payload) {
	major := uint8(sa.Version)
	switch {
	case p.SA != nil && x.Phase == 1 && !p.Decrypted:
		props := proposalsOf(major, p.SA)
		if dir == I2R {
			sa.Offered = props
		} else if len(props) > 0 {
			sa.Proposal = &props[0]
		}
	case p.Type == decode.PayloadVendorID || p.Type == decode.PayloadVendorIDv2:
		h := hex.EncodeToString(p.Data)
		for _, v := range sa.VendorIDs {
			if v.Hex == h && v.Dir == dir {
				return
			}
		}
		sa.VendorIDs = append(sa.VendorIDs, VendorID{Hex: h, Name: decode.VendorName(p.Data), Dir: dir})
	case p.ID != nil && !p.Decrypted:
		// Message.IDs keeps the unencrypted ones; decrypted quick-mode IDs
		// are the traffic selectors (below).
		if len(msg.IDs) < maxIDs {
			id := *p.ID
			id.Data = append([]byte(nil), id.Data[:min(len(id.Data), maxIDData)]...)
			msg.IDs = append(msg.IDs, id)
		}
	case p.Notify != nil:
		n := p.Notify
		msg.Notifies = append(msg.Notifies, n.Type)
		if n.HasWinError {
			r := sa.xw()
			r.statusCode, r.statusFrame, r.statusTime, r.statusPhase = n.WinError, in.Frame, in.Time, x.Phase
			t.event(sa, Event{Type: "windows_status", Frame: in.Frame, Time: in.Time,
				Text: "Microsoft status notify: Windows error " + winName(n.WinError)})
		}
		if n.Type == decode.NotifyResponderLifetime && dir == R2I && x.Phase == 1 && sa.Proposal != nil {
			// RFC 2407 §4.6.3.1: the responder's lifetime overrides.
			applyLifetime(sa.Proposal, n.Attrs, true)
		}
		if n.Type == decode.NotifyResponderLifetime && dir == R2I && x.Phase == 2 && p.Decrypted {
			x.childLife.apply(n.Attrs) // a decrypted quick mode's
		}
		if n.IsError() && n.Type != decode.NotifyMSStatus {
			phase := x.Phase
			if phase == 0 {
				// An informational notify speaks for the negotiation in
				// progress.
				phase = 2
				if sa.Established.IsZero() {
					phase = 1
				}
			}
			ns := notifySeen{Type: n.Type, Dir: dir, Frame: in.Frame, Time: in.Time, Phase: phase, Decrypted: p.Decrypted,
				Child: sa.Version == 2 && childNotify(n.Type) && in.F.IKE.Response() &&
					((x.Type == decode.ExchangeIKEAuth && hasPayload(in.F.IKE, decode.PayloadAuth)) || (x.Type == decode.ExchangeCreateChildSA && p.Decrypted))}
			sa.xw().errNotify = append(sa.x().errNotify, ns)
			text := side(dir) + " sent " + n.Name()
			if p.Decrypted {
				text += " (decrypted)"
			}
			t.event(sa, Event{Type: "error_notify", Frame: in.Frame, Time: in.Time, Text: text})
		}
		if sa.Version == 2 && (n.Type == decode.NotifyInvalidKEPayload || n.Type == 16390) && dir == R2I {
			x.Rejected = true
		}
	case p.Delete != nil:
		sa.xw().deletes = append(sa.x().deletes, deleteSeen{Dir: dir, Frame: in.Frame, Time: in.Time, Certain: true, IKE: p.Delete.Protocol == 1,
			Read: true, Decrypted: p.Decrypted, Protocol: p.Delete.Protocol, SPIs: p.Delete.SPIs})
	case p.SA != nil && p.Decrypted:
		// A decrypted child SA proposal (quick mode, IKE_AUTH,
		// CREATE_CHILD_SA; phase-1 SA payloads are never encrypted): the
		// responder's choice (or the offer, until it comes) gives the
		// child's lifetime; the offer is kept for the hints.
		if dir == R2I || !x.childLifeSet {
			cp := childProposal(major, p.SA)
			x.childLife, x.childLifeSet = childLifetimes{cp.LifetimeSeconds, cp.LifetimeKilobytes}, true
		}
		sa.xw().childOffer.note(major, x, dir, p)
	case (p.TS != nil || (p.ID != nil && x.Phase == 2)) && p.Decrypted:
		sa.xw().childOffer.note(major, x, dir, p)
	case p.Encrypted != nil:
		msg.InnerNext = p.Encrypted.InnerNext
		if p.Type == decode.PayloadSKF {
			if !hasEvent(sa, "ike_fragmented") {
				t.event(sa, Event{Type: "ike_fragmented", Frame: in.Frame, Time: in.Time,
					Text: "IKEv2 fragmentation (RFC 7383) in use: " + x.Name + " sent in " + itoa(int(p.Encrypted.FragTotal)) + " fragments"})
			}
		}
		if x.Type == decode.ExchangeInformationalV2 && p.Encrypted.InnerNext == decode.PayloadDeletev2 && !in.F.IKE.Response() && !msg.Decrypted {
			sa.xw().deletes = append(sa.x().deletes, deleteSeen{Dir: dir, Frame: in.Frame, Time: in.Time, Certain: true})
		}
	case p.Fragment != nil:
		if !hasEvent(sa, "ike_fragmented") {
			t.event(sa, Event{Type: "ike_fragmented", Frame: in.Frame, Time: in.Time,
				Text: "IKEv1 fragmentation in use (payload 132)"})
		}
	}
}

// Bounds on the identities kept per message (Message.IDs).
const (
	maxIDs    = 4
	maxIDData = 256
)

func hasEvent(sa *SA, typ string) bool {
	for _, e := range sa.Events {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// step advances the exchange state after a new distinct message.
func (t *Tracker) step(sa *SA, x *Exchange, msg *Message, in Input, dir Dir) {
	if x.Completed {
		return
	}
	m := in.F.IKE
	done := false
	switch {
	case sa.Version == 2:
		done = m.Response()
	case x.Type == decode.ExchangeMainMode:
		// RFC 2409 §5: six messages, three each way; the sixth completes.
		// MM6 is the only encrypted responder message of main mode, so it
		// also completes an exchange whose start the capture missed.
		done = x.distinct(R2I) >= 3 || (msg.Encrypted && dir == R2I)
	case x.Type == decode.ExchangeAggressive:
		done = x.distinct(I2R) >= 2 && x.distinct(R2I) >= 1
	case x.Type == decode.ExchangeQuickMode:
		// RFC 2409 §5.5: three messages; the third (i2r) completes.
		done = x.distinct(I2R) >= 2 && x.distinct(R2I) >= 1
	case x.Type == decode.ExchangeInformational:
		// One-way; an R-U-THERE is answered by an R-U-THERE-ACK in its own
		// informational exchange.
		done = true
	case x.Type == decode.ExchangeTransaction:
		done = x.distinct(R2I) >= 1 && x.distinct(I2R) >= 1
	}
	if !done {
		return
	}
	x.Completed = true
	x.End = in.Time
	if x.Phase == 2 && t.OnPhase != nil && !x.End.Before(x.Start) {
		t.OnPhase(sa, 2, x.End.Sub(x.Start))
	}
	switch {
	case sa.Version == 1 && x.Phase == 1:
		t.phase1Done(sa, in)
	case sa.Version == 2 && x.Type == decode.ExchangeIKEAuth && msg.InnerNext == decode.PayloadNotifyv2 && !sa.Established.IsZero():
		// A later IKE_AUTH round (EAP) that carries only a notify.
	case sa.Version == 2 && x.Type == decode.ExchangeIKEAuth && msg.InnerNext == decode.PayloadNotifyv2 && !msg.Decrypted:
		// A successful IKE_AUTH response begins with IDr (RFC 7296 §1.2);
		// one whose encrypted content begins with a Notify carries an
		// error instead, in practice AUTHENTICATION_FAILED (§2.21.2). The
		// notify itself cannot be read without keys.
		sa.xw().errNotify = append(sa.x().errNotify, notifySeen{Type: nAuthFailed, Dir: dir, Frame: in.Frame, Time: in.Time, Phase: 1, Likely: true})
		t.event(sa, Event{Type: "error_notify", Frame: in.Frame, Time: in.Time,
			Text: "IKE_AUTH response begins with an encrypted Notify instead of IDr: most likely AUTHENTICATION_FAILED"})
	case sa.Version == 2 && x.Type == decode.ExchangeIKEAuth && msg.Decrypted && dir == R2I && !hasPayload(m, decode.PayloadAuth):
		// Decrypted: a response without AUTH carries an error (RFC 7296
		// §2.21.2), recorded from its notify, or an EAP round; the IKE SA
		// is not up.
	case sa.Version == 2 && x.Type == decode.ExchangeIKEAuth:
		t.phase1Done(sa, in)
		if !msg.Decrypted || !childRefused(m) {
			sa.Children = append(sa.Children, &ChildSA{Protocol: "esp", Exchange: x, Established: in.Time})
		}
	case x.Phase == 2 && sa.Version == 2 && msg.Decrypted && dir == R2I && childRefused(m):
		// Decrypted: the CREATE_CHILD_SA was refused; no child came up.
	case x.Phase == 2:
		// An IKEv2 SA whose IKE_AUTH response looked like an error (a lone
		// Notify) but that goes on to a CREATE_CHILD_SA was up after all.
		if sa.Version == 2 && sa.Established.IsZero() {
			for _, ax := range sa.Exchanges {
				if ax.Type == decode.ExchangeIKEAuth && ax.Completed {
					t.phase1Done(sa, Input{Frame: in.Frame, Time: ax.End})
					break
				}
			}
		}
		c := &ChildSA{Protocol: "esp", Exchange: x, Established: in.Time,
			LifetimeSeconds: x.childLife.seconds, LifetimeKilobytes: x.childLife.kilobytes}
		for _, old := range sa.Children {
			if !old.Rekeyed {
				old.Rekeyed = len(sa.Children) > 0 && sa.Version == 2 && hasNotifyType(x, 16393)
			}
		}
		if len(sa.Children) > 0 {
			t.event(sa, Event{Type: "rekey", Frame: in.Frame, Time: in.Time, Text: x.Name + " completed another phase 2: a rekey (of a child SA, or in IKEv2 of the IKE SA itself) or new traffic selectors"})
		}
		sa.Children = append(sa.Children, c)
	}
}

func hasNotifyType(x *Exchange, typ uint16) bool {
	for _, m := range x.Messages {
		for _, n := range m.Notifies {
			if n == typ {
				return true
			}
		}
	}
	return false
}

func (t *Tracker) phase1Done(sa *SA, in Input) {
	if !sa.Established.IsZero() {
		return
	}
	sa.Established = in.Time
	if t.OnPhase != nil && !sa.Established.Before(sa.Started) {
		t.OnPhase(sa, 1, sa.Established.Sub(sa.Started))
	}
	// Streamed at once: a live run says a tunnel came up when it does, not
	// only when its verdict is final (at its end).
	t.event(sa, Event{Type: "phase1_done", Frame: in.Frame, Time: in.Time,
		Text: "phase 1 complete after " + dur(in.Time.Sub(sa.Started)) + ": the IKE SA is up"})
	if sa.Proposal != nil && sa.Proposal.DHGroupID != 0 && decode.DHGroupWeak(sa.Proposal.DHGroupID) {
		t.event(sa, Event{Type: "weak_crypto", Frame: in.Frame, Time: in.Time,
			Text: "negotiated DH group " + sa.Proposal.DHGroup + " is weak"})
	}
	if d := in.Time.Sub(sa.Started); d > 10*time.Second {
		t.event(sa, Event{Type: "slow_phase1", Frame: in.Frame, Time: in.Time, Text: "phase 1 took " + dur(d)})
	}
}

func (t *Tracker) observeESP(in Input) {
	f := in.F
	st := t.lookupESP(f.ESP.SPI, f.Src.Addr(), f.Dst.Addr())
	if st == nil {
		st = &ESPStats{SPI: f.ESP.SPI, Src: f.Src, Dst: f.Dst, NATT: f.NATT, First: in.Time, FirstFrame: in.Frame}
		t.addESP(st)
		if sa := t.saForESP(f); sa != nil {
			st.Dir = I2R
			if f.Src.Addr() == sa.Responder.Addr() {
				st.Dir = R2I
			}
			sa.ESP = append(sa.ESP, st)
			st.sa = sa
		} else {
			t.orphanESP = append(t.orphanESP, st)
		}
	} else if f.ESP.Seq > st.LastSeq+1 {
		st.SeqGaps += uint64(f.ESP.Seq - st.LastSeq - 1)
	}
	st.Packets++
	st.Bytes += uint64(f.ESP.Len)
	st.Last, st.LastFrame = in.Time, in.Frame
	st.LastSeq = f.ESP.Seq
	if sa := st.sa; sa != nil {
		if in.Time.After(sa.links.lastESP) {
			sa.links.lastESP = in.Time
		}
		t.live.touch(sa)
	}
}

// saForESP ties ESP to the most recent IKE SA between the same endpoints.
func (t *Tracker) saForESP(f *decode.Frame) *SA {
	var best *SA
	for _, sa := range t.peersLive(f.Src.Addr(), f.Dst.Addr()) {
		if (sa.Initiator.Addr() == f.Src.Addr() && sa.Responder.Addr() == f.Dst.Addr()) ||
			(sa.Initiator.Addr() == f.Dst.Addr() && sa.Responder.Addr() == f.Src.Addr()) {
			if best == nil || sa.Started.After(best.Started) {
				best = sa
			}
		}
	}
	return best
}

// expire finalises SAs whose limits passed.
// Only SAs whose check time has come, or that saw packets since the last
// expiry, are looked at (index.go); those that are done are finalised in
// the order of their IDs, as a scan of every SA would have.
func (t *Tracker) expire() {
	t.expireOrphans()
	t.scheduleDirty()
	var due []*SA
	for len(t.checks) > 0 && !t.checks[0].links.checkAt.After(t.now) {
		sa := t.checks[0]
		if t.idleDone(sa) {
			heap.Pop(&t.checks)
			due = append(due, sa)
		} else {
			t.schedule(sa, t.now)
		}
	}
	slices.SortFunc(due, func(a, b *SA) int { return a.ID - b.ID })
	for _, sa := range due {
		t.finalize(sa, true)
	}
}

// idleDone reports whether the SA's outcome can no longer change: nothing
// pending, or silent beyond the give-up gap. Established SAs with ESP stay
// open until the capture ends or they go quiet.
func (t *Tracker) idleDone(sa *SA) bool {
	t.work.idleChecks++
	last := lastActivity(sa)
	quiet := t.now.Sub(last)
	if quiet > t.cfg.GiveUp {
		return true
	}
	// An error notify or a Microsoft status notify that decides the verdict,
	// followed by a quiet second: the negotiation is over.
	if (len(sa.x().errNotify) > 0 || sa.x().statusCode != 0) && quiet >= time.Second {
		if c := t.judge(sa, false).Class; c == ProposalMismatch || c == AuthFailed || sa.x().statusCode != 0 {
			return true
		}
	}
	if t.deleteEnded(sa) {
		return true
	}
	p := pendingOf(sa, t.now, false)
	// A quick mode refused by an encrypted informational, and a quiet second.
	if p.phase == 2 && !p.answered && qmRefused(p.x, sa) != nil && quiet >= time.Second {
		return true
	}
	// The pending request ran out of retransmissions.
	if p.x != nil && (p.x.ranOut(t.now) || t.lostRanOut(sa)) {
		return true
	}
	// Requests after establishment ran out, and no ESP came after the last.
	if u := unansweredAfter(sa); len(u) > 0 && lastRanOut(sa, u, t.now) && !last.After(sa.lastSeen) {
		return true
	}
	return false
}

// Finish ends the capture: every SA still open is finalised. What was
// pending then is judged from the evidence (a request retransmitted with no
// answer is a failure of its phase), not only from a give-up that was seen.
func (t *Tracker) Finish() {
	t.ending = true
	defer func() { t.ending = false }()
	var open []*SA
	for sa := t.live.head; sa != nil; sa = sa.links.next {
		open = append(open, sa)
	}
	slices.SortFunc(open, func(a, b *SA) int { return a.ID - b.ID })
	for i, sa := range open {
		if !sa.finalized {
			t.finalize(sa, t.idleDone(sa))
		}
		open[i] = nil // judged and emitted: let it go
	}
	clear(t.dirty)
	t.dirty = t.dirty[:0]
	clear(t.checks)
	t.checks = t.checks[:0]
	t.smb.finish()
}

func (t *Tracker) finalize(sa *SA, final bool) {
	sa.finalized = true
	t.live.remove(sa)
	t.unindexPeers(sa)
	t.unschedule(sa)
	if sa.Ended.IsZero() && final {
		sa.Ended = sa.lastSeen
	}
	assignESP(sa)
	t.childLifetimes(sa)
	sa.Verdict = t.judge(sa, final)
	if sa.Ended.IsZero() && sa.Verdict.Final {
		sa.Ended = sa.lastSeen
	}
	if t.byISPI[sa.InitSPI] == sa {
		delete(t.byISPI, sa.InitSPI)
	}
	for _, st := range sa.ESP {
		t.forgetESP(st)
	}
	if t.Emit != nil {
		t.Emit(sa)
	}
	if t.KeepDone {
		t.done = append(t.done, sa)
	}
}

// Results returns every finalised SA in order of start.
func (t *Tracker) Results() []*SA {
	out := append([]*SA(nil), t.done...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.Before(out[j].Started)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Live returns the number of SAs being followed.
func (t *Tracker) Live() int { return t.live.n }

// OrphanESP returns ESP flows that could not be tied to an IKE SA seen in
// the capture.
func (t *Tracker) OrphanESP() []*ESPStats { return t.orphanESP }

// event attaches ev to sa and passes it to OnEvent.
func (t *Tracker) event(sa *SA, ev Event) {
	sa.Events = append(sa.Events, ev)
	if t.OnEvent != nil {
		t.OnEvent(sa, ev)
	}
}

// assignESP ties each ESP SPI of the SA to a child SA and fills in the
// children's SPIs: SPIi is the SPI the initiator chose (carried by ESP
// towards the initiator), SPIr the responder's. A child whose traffic moved
// to a newer child's SPIs counts as rekeyed.
func assignESP(sa *SA) {
	if len(sa.Children) == 0 {
		return
	}
	for _, c := range sa.Children {
		c.ESP, c.SPIi, c.SPIr = nil, "", ""
	}
	esp := slices.Clone(sa.ESP)
	slices.SortStableFunc(esp, func(a, b *ESPStats) int { return a.First.Compare(b.First) })
	for _, e := range esp {
		var pick *ChildSA
		for i := len(sa.Children) - 1; i >= 0; i-- {
			c := sa.Children[i]
			if c.Established.After(e.First) {
				continue
			}
			if pick == nil {
				pick = c // fallback: the newest child before this ESP
			}
			if (e.Dir == R2I && c.SPIi == "") || (e.Dir == I2R && c.SPIr == "") {
				pick = c
				break
			}
		}
		if pick == nil {
			pick = sa.Children[0]
		}
		pick.ESP = append(pick.ESP, e)
		if e.Dir == R2I && pick.SPIi == "" {
			pick.SPIi = spiHex(e.SPI)
		} else if e.Dir == I2R && pick.SPIr == "" {
			pick.SPIr = spiHex(e.SPI)
		}
	}
	// Rekeyed: a newer child took over the traffic, and this one's ESP
	// stopped within a few seconds of the newer one's start (two children
	// carrying traffic side by side are not a rekey).
	for i, c := range sa.Children {
		cf, cl := espSpan(c.ESP)
		for _, n := range sa.Children[i+1:] {
			nf, nl := espSpan(n.ESP)
			if !cf.IsZero() && !nf.IsZero() && !nf.Before(cf) && cl.Before(nl) && cl.Sub(nf) <= 5*time.Second {
				c.Rekeyed = true
			}
		}
	}
}

// spiHex is an ESP SPI as 8 hex digits.
func spiHex(v uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	for i := range b {
		b[i] = digits[v>>(28-4*i)&15]
	}
	return string(b[:])
}

func espSpan(es []*ESPStats) (first, last time.Time) {
	for _, e := range es {
		if first.IsZero() || e.First.Before(first) {
			first = e.First
		}
		if e.Last.After(last) {
			last = e.Last
		}
	}
	return first, last
}

// rekeyedFrom finds the IKEv2 IKE SA that sa was made by: a CREATE_CHILD_SA
// between the same peers that completed at most two seconds before sa's
// first message. An IKE SA rekey (RFC 7296 §2.18) is a CREATE_CHILD_SA whose
// new SPIs can only be read with keys; the new SA's traffic that follows
// at once shows it.
func (t *Tracker) rekeyedFrom(sa *SA, at time.Time) (*SA, *Exchange) {
	if sa.Version != 2 {
		return nil, nil
	}
	for _, old := range t.peersLive(sa.Initiator.Addr(), sa.Responder.Addr()) {
		if old == sa || old.finalized || old.Version != 2 || !samePeers(old, sa) {
			continue
		}
		for i := len(old.Exchanges) - 1; i >= 0; i-- {
			x := old.Exchanges[i]
			if x.Type != decode.ExchangeCreateChildSA || !x.Completed || x.End.After(at) || x.ikeRekey {
				continue
			}
			// The new SA speaks at once, or the old one was deleted right
			// after the CREATE_CHILD_SA (RFC 7296 §2.18: the old IKE SA is
			// deleted once the new one is up) and the new one speaks later.
			if at.Sub(x.End) <= 2*time.Second || deletedAfter(old, x.End) {
				return old, x
			}
		}
	}
	return nil, nil
}

// ikeRekey records that CREATE_CHILD_SA cx of old created the IKE SA nw.
func (t *Tracker) ikeRekey(old *SA, cx *Exchange, nw *SA, in Input) {
	cx.ikeRekey = true
	for i, c := range old.Children {
		if c.Exchange == cx {
			old.Children = slices.Delete(old.Children, i, i+1)
			break
		}
	}
	if old.x().supersededBy == nil {
		old.xw().supersededBy = nw
	}
	nw.Started, nw.Established = cx.Start, cx.End
	t.event(old, Event{Type: "rekey", Frame: in.Frame, Time: cx.End, Text: "IKE SA rekeyed by CREATE_CHILD_SA: continues as IKE SA #" + itoa(nw.ID)})
	t.event(nw, Event{Type: "rekey", Frame: in.Frame, Time: cx.End, Text: "IKE SA created by rekeying IKE SA #" + itoa(old.ID) + " (CREATE_CHILD_SA)"})
}

// deletedAfter reports a Delete on sa within two seconds after t.
func deletedAfter(sa *SA, t time.Time) bool {
	for _, d := range sa.x().deletes {
		if !d.Time.Before(t) && d.Time.Sub(t) <= 2*time.Second {
			return true
		}
	}
	return false
}

// childLifetimes compares each child SA's ESP with its lifetimes: the
// negotiated ones where visible, else the profile's defaults. A child that
// carried traffic past its lifetime (time or kilobytes) without a newer
// child taking over gets a lifetime event: the peer would have had to rekey
// or drop it.
func (t *Tracker) childLifetimes(sa *SA) {
	for _, c := range sa.Children {
		if c.Rekeyed || len(c.ESP) == 0 {
			continue
		}
		life, kb, src := time.Duration(c.LifetimeSeconds)*time.Second, c.LifetimeKilobytes, "negotiated"
		if life == 0 && kb == 0 {
			life, kb, src = t.cfg.ChildLifetime, t.cfg.ChildLifetimeKB, "profile default"
		}
		first, last := espSpan(c.ESP)
		for _, e := range c.ESP {
			if kb > 0 && e.Bytes/1024 >= kb {
				t.event(sa, Event{Type: "lifetime_kilobytes", Frame: e.FirstFrame, Time: e.Last,
					Text: fmt.Sprintf("ESP SPI 0x%08x carried %d KB, beyond the %s phase-2 lifetime of %d KB, with no newer child SA taking over", e.SPI, e.Bytes/1024, src, kb)})
				break
			}
		}
		if life > 0 && last.Sub(first) > life {
			t.event(sa, Event{Type: "lifetime_seconds", Frame: c.ESP[0].FirstFrame, Time: last,
				Text: fmt.Sprintf("ESP of a child SA ran for %s, beyond the %s phase-2 lifetime of %s, with no newer child SA taking over", dur(last.Sub(first)), src, dur(life))})
		}
	}
}

// expireOrphans forgets ESP flows tied to no IKE SA once they were idle for
// the give-up gap, so that a long live run does not grow with them. A later
// packet of the same flow starts a new record. With KeepDone (analyze) they
// stay listed for OrphanESP.
func (t *Tracker) expireOrphans() {
	keep := t.orphanESP[:0]
	for _, st := range t.orphanESP {
		if t.now.Sub(st.Last) > t.cfg.GiveUp {
			t.forgetESP(st)
			if !t.KeepDone {
				continue
			}
		}
		keep = append(keep, st)
	}
	clear(t.orphanESP[len(keep):])
	t.orphanESP = keep
}

// lastActivity is when anything was last heard on the SA, ESP included.
func lastActivity(sa *SA) time.Time {
	if sa.links.lastESP.After(sa.lastSeen) {
		return sa.links.lastESP
	}
	return sa.lastSeen
}

// Bounds on what one long-lived IKE SA keeps, so that memory grows with the
// number of SAs and not with how long a tunnel stays up: every DPD or other
// informational exchange is an exchange of its own.
const (
	maxSendTimes          = 64  // per message; later copies only move the last time
	maxInformational      = 128 // completed informational exchanges kept per SA
	informationalKeepHead = 16  // of which the first ones are never dropped
)

// trimExchanges drops the oldest completed informational exchanges beyond
// maxInformational, keeping the first informationalKeepHead; the SA counts
// what it dropped.
func trimExchanges(sa *SA) {
	n := 0
	for _, x := range sa.Exchanges {
		if isInformational(x) {
			n++
		}
	}
	if n <= maxInformational {
		return
	}
	seen := 0
	for i, x := range sa.Exchanges {
		if !isInformational(x) {
			continue
		}
		seen++
		if seen > informationalKeepHead && x.Completed {
			sa.Exchanges = slices.Delete(sa.Exchanges, i, i+1)
			sa.DroppedExchanges++
			return
		}
	}
}

func isInformational(x *Exchange) bool {
	return x.Type == decode.ExchangeInformational || x.Type == decode.ExchangeInformationalV2
}
