package classify

import (
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ikescope/ikescope/decode"
)

// Error notify types that decide a verdict (RFC 2408 §3.14.1, RFC 7296 §3.10.1).
const (
	nNoProposalChosen = 14
	nInvalidIDInfo    = 18 // IKEv1
	nInvalidHashInfo  = 23 // IKEv1
	nAuthFailed       = 24 // IKEv1 AUTHENTICATION-FAILED, IKEv2 AUTHENTICATION_FAILED
	nInvalidSignature = 25 // IKEv1
	nTSUnacceptable   = 38 // IKEv2
	nPayloadMalformed = 16 // IKEv1 PAYLOAD-MALFORMED
)

// pending describes the negotiation that was still open when an SA stopped.
type pending struct {
	phase    int // 1 or 2; 0 when nothing is pending
	x        *Exchange
	answered bool // the peer answered at least once
	// qm3Lost: the initiator finished quick mode but the responder kept
	// resending QM2 until it gave up, so QM3 never reached it.
	qm3Lost bool
	// answersLost: the responder answered phase 1 but the initiator went on
	// resending its first message as if it had heard nothing.
	answersLost bool
}

// answersLost reports a phase 1 whose answers evidently never reached the
// initiator: after the responder's first message the initiator sent nothing
// new, only retransmitted (at least twice) what it had sent before.
//
// At the end of the capture (atEnd) one such resend suffices when it came
// well after the answer (a resend that crossed the answer comes at once).
func answersLost(sa *SA, atEnd bool) bool {
	var firstAnswer time.Time
	for _, x := range sa.Phase1() {
		for _, m := range x.Messages {
			if m.Dir == R2I && (firstAnswer.IsZero() || m.Time.Before(firstAnswer)) {
				firstAnswer = m.Time
			}
		}
	}
	if firstAnswer.IsZero() {
		return false
	}
	resent, late := 0, 0
	for _, x := range sa.Phase1() {
		for _, m := range x.Messages {
			if m.Dir != I2R {
				continue
			}
			if m.Time.After(firstAnswer) {
				return false // the initiator went on
			}
			for _, st := range m.SendTimes {
				if st.After(firstAnswer) {
					resent++
				}
				if st.Sub(firstAnswer) >= 200*time.Millisecond {
					late++
				}
			}
		}
	}
	return resent >= 2 || atEnd && late >= 1
}

// qm3Lost reports an IKEv1 quick mode that is complete on the initiator's
// side only: the responder resent QM2 after QM3 had been sent, and went on
// until its retransmissions ran out. QM3 never reached it, so the responder
// never installed its SAs.
func qm3Lost(x *Exchange, now time.Time, atEnd bool) bool {
	if x.Type != decode.ExchangeQuickMode {
		return false
	}
	var qm2, qm3 *Message
	for _, m := range x.Messages {
		switch {
		case m.Dir == R2I && qm2 == nil:
			qm2 = m
		case m.Dir == I2R && qm2 != nil && m.Time.After(qm2.Time) || m.Dir == I2R && qm2 != nil && m.Time.Equal(qm2.Time):
			qm3 = m
		}
	}
	if qm2 == nil || qm3 == nil || !qm2.lastSend().After(qm3.Time) {
		return false
	}
	// At the end of the capture, the responder still resending QM2 after QM3
	// was sent is the evidence: it never got QM3.
	if atEnd {
		return true
	}
	return qm2.Retransmissions() >= 2 && qm2.ranOut(now)
}

func (t *Tracker) localDir(sa *SA) Dir {
	if t.cfg.Local.IsValid() && t.cfg.Local == sa.Responder.Addr() {
		return R2I
	}
	return I2R
}

// pendingOf finds what was pending on sa at now; atEnd is set when the
// capture ended then, so that evidence need not wait for a give-up.
func pendingOf(sa *SA, now time.Time, atEnd bool) pending {
	if sa.Established.IsZero() {
		p := pending{phase: 1}
		for _, x := range sa.Phase1() {
			if x.Rejected {
				continue
			}
			p.x = x
			if x.distinct(R2I) > 0 {
				p.answered = true
			}
		}
		// The responder answered, but the initiator never went on and kept
		// resending what it had sent before: the answers never reached it.
		if p.answered && answersLost(sa, atEnd) {
			p.answered, p.answersLost = false, true
		}
		if p.x == nil && len(sa.Exchanges) > 0 {
			p.x = sa.Exchanges[0]
			for _, x := range sa.Exchanges {
				if x.distinct(R2I) > 0 {
					p.answered = true
				}
			}
		}
		return p
	}
	for _, x := range sa.Exchanges {
		if x.Phase == 2 && x.Completed && qm3Lost(x, now, atEnd) {
			return pending{phase: 2, x: x, answered: true, qm3Lost: true}
		}
		if x.Phase == 2 && !x.Completed {
			// IKEv1 quick mode: QM2 seen and ESP flowing counts as done
			// even when QM3 was not captured.
			return pending{phase: 2, x: x, answered: x.distinct(R2I) > 0 || (sa.Version == 2 && x.distinct(I2R) > 0 && x.distinct(R2I) > 0)}
		}
	}
	return pending{}
}

// judge applies the rules of DESIGN.md "Verdicts" in order.
func (t *Tracker) judge(sa *SA, final bool) Verdict {
	local := t.localDir(sa)
	p := pendingOf(sa, t.now, t.ending)
	// A deleted IKE SA is over once a second has passed with nothing after
	// the Delete, and so is one a local restart replaced.
	if !final && t.deletedAndQuiet(sa) {
		final = true
	}
	if !final && p.phase != 0 && sa.x().supersededBy != nil && t.byLocal(sa, sa.x().supersededBy) && supersededEarly(sa, p) {
		final = true
	}
	v := Verdict{Final: final}
	ev := func(frame int, tm time.Time, text string) {
		v.Evidence = append(v.Evidence, Evidence{Frame: frame, Time: tm, Text: text})
	}

	// Rule 1: a Microsoft status notify gives the exact Windows code.
	if sa.x().statusCode != 0 {
		v.WindowsCode, v.Certain = sa.x().statusCode, true
		v.Class = classForCode(sa.x().statusCode, sa.x().statusPhase)
		v.Final = true
		ev(sa.x().statusFrame, sa.x().statusTime, "Microsoft status notify (12345) carries Windows error "+winName(sa.x().statusCode))
		v.Summary = "the Windows peer reported " + winName(sa.x().statusCode)
		v.Hints = append(v.Hints, winHint(sa.x().statusCode))
		return t.finish(sa, v, p)
	}
	// Rule 2: an error notify from the peer.
	for _, n := range sa.x().errNotify {
		// An error notify only decides when its phase never completed
		// afterwards: in zeek-spicy-ipsec/ipsec.cap the initiator sends
		// NO-PROPOSAL-CHOSEN after MM2, yet main mode goes on and completes.
		if n.Phase == 1 && !sa.Established.IsZero() && sa.Established.After(n.Time) {
			continue
		}
		if n.Phase == 2 && p.phase != 2 && !n.Child {
			continue
		}
		// A refused CREATE_CHILD_SA is overruled by a child set up later.
		if n.Child && n.Phase == 2 && wentOn(sa, n.Time) {
			continue
		}
		// An inferred notify is overruled by the SA going on afterwards.
		if n.Likely && wentOn(sa, n.Time) {
			continue
		}
		name := decode.NotifyName(uint8(sa.Version), n.Type)
		where := " in " + phaseName(sa, n.Phase)
		if n.Child {
			where = " for the child SA of IKE_AUTH (the IKE SA itself came up)"
			if n.Phase == 2 {
				where = " for the child SA of CREATE_CHILD_SA (the IKE SA stays up)"
			}
		}
		switch {
		case n.Child:
			v.Class = ProposalMismatch
			v.Final = true
			ev(n.Frame, n.Time, name+" from the "+side(n.Dir)+where+decryptedNote(n.Decrypted))
			v.Summary = side(n.Dir) + " refused the child SA (" + name + ")"
			v.Hints = childHints(sa, n)
			return t.finish(sa, v, p)
		case n.Type == nNoProposalChosen || (sa.Version == 2 && n.Type == nTSUnacceptable) || (sa.Version == 1 && n.Type == nInvalidIDInfo && n.Phase == 2):
			// INVALID_ID_INFORMATION in quick mode is about the proxy IDs
			// (traffic selectors), the IKEv1 TS_UNACCEPTABLE.
			v.Class = ProposalMismatch
			v.Final = true
			ev(n.Frame, n.Time, name+" from the "+side(n.Dir)+where+decryptedNote(n.Decrypted))
			v.Summary = side(n.Dir) + " rejected every proposal (" + name + ")"
			v.Hints = proposalHints(sa, n)
			return t.finish(sa, v, p)
		case n.Type == nAuthFailed || (sa.Version == 1 && (n.Type == nInvalidHashInfo || n.Type == nInvalidSignature || n.Type == nInvalidIDInfo)):
			v.Class = AuthFailed
			v.Final = true
			if n.Likely {
				ev(n.Frame, n.Time, "the "+side(n.Dir)+"'s IKE_AUTH response carries an encrypted Notify where a successful one carries IDr and AUTH: most likely "+name)
				v.Summary = "authentication most likely failed (the " + side(n.Dir) + " answered IKE_AUTH with an error notify)"
			} else {
				ev(n.Frame, n.Time, name+" from the "+side(n.Dir)+decryptedNote(n.Decrypted))
				v.Summary = "authentication failed (" + name + " from the " + side(n.Dir) + ")"
			}
			v.Hints = []string{"check that both sides use the same pre-shared key or trust each other's certificate chain, and that the IDs match what each side expects"}
			return t.finish(sa, v, p)
		}
	}
	// Rule 2, read from the layout: an IKEv1 quick mode answered at once by
	// an encrypted informational from the responder, and never sent again.
	if p.phase == 2 && !p.answered {
		if inf := qmRefused(p.x, sa); inf != nil {
			v.Class = ProposalMismatch
			v.Final = true
			qm1 := p.x.Messages[0]
			ev(qm1.Frame, qm1.Time, "Quick Mode i2r ("+itoa(qm1.Length)+" bytes) sent once, never retransmitted")
			ev(inf.Frame, inf.Time, "answered at once ("+dur(inf.Time.Sub(qm1.Time))+") by an encrypted informational from the responder ("+itoa(inf.Length)+
				" bytes): an error notify that cannot be read without keys, in quick mode NO_PROPOSAL_CHOSEN or INVALID_ID_INFORMATION")
			v.Summary = "the responder refused phase 2 (most likely NO_PROPOSAL_CHOSEN or INVALID_ID_INFORMATION, encrypted)"
			v.Hints = []string{"compare the phase-2 settings of both sides: ESP transforms, PFS group and lifetimes, and the traffic selectors (proxy IDs, e.g. subnets and protocols); the responder's log names the notify it sent"}
			return t.finish(sa, v, p)
		}
	}
	// Rule 3: a Delete while a negotiation is pending.
	if p.phase != 0 {
		deletes := sa.x().deletes
		// Judged only once the SA is over (end of capture or give-up gap),
		// never while streaming: a child SA's Delete looks the same.
		// A Delete that is the last packet of the capture decides too.
		if d, ok := likelyV1Delete(sa); ok && len(deletes) == 0 && (t.now.Sub(d.Time) >= time.Second || t.ending) {
			deletes = append(deletes, d)
		}
		for _, d := range deletes {
			if d.Time.Before(p.x.Start) || (d.Read && !d.IKE) {
				// A Delete read as a child SA's does not end the IKE SA.
				continue
			}
			certainty := ""
			if !d.Certain {
				certainty = " (likely)"
			}
			if d.Dir == local {
				v.Class = SAReaped
				v.Summary = "the local side deleted the IKE SA while " + p.x.Name + " was pending" + certainty
			} else {
				v.Class = SADeleted
				v.Summary = "the peer deleted the IKE SA while " + p.x.Name + " was pending" + certainty
			}
			v.Final = true
			if d.Read {
				ev(d.Frame, d.Time, "Delete of the IKE SA sent by the "+side(d.Dir)+decryptedNote(d.Decrypted))
			} else {
				ev(d.Frame, d.Time, "Delete sent by the "+side(d.Dir)+certainty)
			}
			t.pendingEvidence(sa, p, ev)
			if nw := sa.x().supersededBy; nw != nil && !d.Read && !nw.Started.Before(d.Time) && nw.Initiator.Addr() != addrOf(sa, d.Dir) {
				ev(firstFrame(nw), nw.Started, "the "+side(otherDir(d.Dir))+" started a fresh phase 1 (IKE SA #"+itoa(nw.ID)+") "+dur(nw.Started.Sub(d.Time))+
					" later: its IKE SA was gone, so the "+side(d.Dir)+"'s informational was the Delete of the IKE SA")
			}
			v.Hints = []string{"look at the " + side(d.Dir) + "'s log at " + d.Time.UTC().Format("15:04:05") + " for why it tore the SA down (policy change, service restart, reaped idle SA)"}
			return t.finish(sa, v, p)
		}
	}
	// Rule 4: superseded by a new IKE SA while still being retransmitted.
	if p.phase != 0 && sa.x().supersededBy != nil && t.byLocal(sa, sa.x().supersededBy) && supersededEarly(sa, p) {
		nw := sa.x().supersededBy
		v.Class = SAReaped
		v.Final = true
		v.Summary = "the local side abandoned this IKE SA for a new one (#" + itoa(nw.ID) + ") while " + p.x.Name + " was still being retransmitted"
		t.pendingEvidence(sa, p, ev)
		ev(firstFrame(nw), nw.Started, "new IKE SA #"+itoa(nw.ID)+" to the same peer started")
		v.Hints = []string{"the old negotiation was cut short, not timed out: look for a policy or configuration change, or an SA limit, on the local side at that moment"}
		return t.finish(sa, v, p)
	}
	// Rule 5: by what was pending when the negotiation stopped.
	if p.phase != 0 {
		abandoned := final && (t.now.Sub(sa.lastSeen) > t.cfg.GiveUp || t.now.Sub(p.x.Start) > t.limit(p.phase) ||
			sa.x().supersededBy != nil || p.x.ranOut(t.now) || t.lostRanOut(sa))
		// The capture ended while a request was still being retransmitted
		// with no answer: that is the failure, whether or not the sender's
		// give-up was recorded (a plain pcap stopped by hand has no end
		// marker). The verdict is not final: the give-up was not seen.
		u := unansweredOf(sa, p)
		if !abandoned && !(t.ending && u.resending()) {
			v.Class = InProgress
			v.Final = false
			v.Summary = p.x.Name + " still pending when the capture ended: its latest message was sent once, " + dur(t.now.Sub(sa.lastSeen)) +
				" before the end, and not retransmitted yet"
			t.pendingEvidence(sa, p, ev)
			return t.finish(sa, v, p)
		}
		v.Final = abandoned
		t.pendingEvidence(sa, p, ev)

		switch {
		case p.phase == 1 && p.answersLost:
			v.Class = NoResponse
			v.Summary = "the initiator never got the peer's answers to phase 1 (" + p.x.Name + "): it kept resending its first message"
			v.Hints = []string{"the responder's answers are seen here but never reached the initiator (it kept retransmitting as if it had heard nothing): check the path back to the initiator (firewall, NAT mapping, asymmetric routing) and where this capture was taken"}
		case p.phase == 1 && !p.answered:
			v.Class = NoResponse
			v.Summary = "the peer never answered phase 1 (" + p.x.Name + ")"
			v.Hints = noResponseHints(sa, p)
		case p.phase == 1:
			v.Class = MMDelayDrop
			v.Summary = "the peer answered but phase 1 (" + p.x.Name + ") never completed"
			v.Hints = stallHints(sa, p)
		case !p.answered:
			v.Class = QMAcquireDrop
			v.Summary = "phase 1 is up but the phase-2 request (" + p.x.Name + ") got no answer"
			v.Hints = []string{"the peer accepted phase 1 but ignored phase 2: check that its phase-2 policy (traffic selectors, proposals, PFS group) matches, and look at its log for the quick-mode/CREATE_CHILD_SA request"}
		case p.qm3Lost:
			v.Class = QMDelayDrop
			v.Summary = "quick mode completed on the initiator only: the responder resent QM2 until it gave up, so QM3 never reached it"
			v.Hints = []string{"QM3 (the initiator's last quick-mode message) was lost on the way to the responder: the initiator believes the tunnel is up but the responder has no SAs; check the path towards the responder (firewall state, NAT, MTU) at that moment, and the responder's log"}
		default:
			v.Class = QMDelayDrop
			v.Summary = "phase 2 (" + p.x.Name + ") was answered but never completed"
			v.Hints = []string{"the peer answered phase 2 but the initiator did not finish it: check the phase-2 proposals and PFS group on both sides and the initiator's log"}
		}
		if u != nil {
			u.GaveUp = abandoned
			v.Unanswered = u
		}
		if !abandoned {
			v.Summary += "; " + u.text()
			ev(u.lastFrame(), u.lastTime(), u.text())
		}
		return t.finish(sa, v, p)
	}
	// Rule 6: after establishment.
	if probes, ranOut := v1Unanswered(sa, t.now, t.ending); len(probes) > 0 {
		v.Class = DeadPeer
		v.Final = ranOut
		first, last := probes[0], probes[len(probes)-1]
		ev(first.Frame, first.Time, itoa(len(probes))+" encrypted informational messages (most likely DPD R-U-THERE) sent by the "+side(first.Dir)+
			" from +"+dur(first.Time.Sub(sa.Started))+" to +"+dur(last.Time.Sub(sa.Started))+", nothing heard from the peer since")
		v.Summary = "the established SA stopped getting answers from the peer (dead peer detection, likely)"
		u := &Unanswered{Exchange: "Informational (likely DPD R-U-THERE)", Sender: first.Dir, GaveUp: ranOut}
		for _, m := range probes {
			u.Frames, u.Times = append(u.Frames, m.Frame), append(u.Times, m.Time)
		}
		v.Unanswered = u
		if !ranOut {
			v.Summary += "; the capture ended while the " + side(first.Dir) + " was still probing (" + itoa(len(probes)) + " sends over " + dur(last.Time.Sub(first.Time)) + ")"
		}
		v.Hints = []string{"the peer or the path to it went away after the tunnel was up: check the peer's state, and NAT or firewall timeouts on the path (NAT-T keepalives every 20 s keep mappings open)"}
		return t.finish(sa, v, p)
	}
	if unanswered := unansweredAfter(sa); len(unanswered) > 0 && (final && (t.now.Sub(sa.lastSeen) > t.cfg.GiveUp || lastRanOut(sa, unanswered, t.now)) ||
		t.ending && lastUnheard(sa, unanswered)) {
		v.Class = DeadPeer
		v.Final = final && (t.now.Sub(sa.lastSeen) > t.cfg.GiveUp || lastRanOut(sa, unanswered, t.now))
		for _, m := range unanswered {
			ev(m.Frame, m.Time, "request sent "+itoa(m.Retransmissions()+1)+" time(s), never answered")
		}
		v.Summary = "the established SA stopped getting answers from the peer"
		m := latestSent(unanswered)
		u := unansweredMsg(exchangeOf(sa, m), m)
		u.GaveUp = v.Final
		v.Unanswered = u
		if !v.Final {
			v.Summary += "; " + u.text()
		}
		v.Hints = []string{"the peer or the path to it went away after the tunnel was up: check the peer's state, and NAT or firewall timeouts on the path (NAT-T keepalives every 20 s keep mappings open)"}
		return t.finish(sa, v, p)
	}
	// A child SA whose ESP stopped with an informational (most likely its
	// Delete) at the end of its lifetime, and nothing took over.
	if ce := childEnded(sa); ce != nil {
		life, kb, src := t.childLifetime(sa, ce.child)
		age := ce.inf.Time.Sub(ce.child.Established)
		slack := max(2*time.Second, life/10)
		byTime := life > 0 && (age-life).Abs() <= slack
		byKB := kb > 0 && ce.bytes/1024 >= kb*9/10
		if byTime || byKB {
			v.Class = LifetimeExpired
			v.WindowsCode = 13895
			v.Final = final
			what := src + " phase-2 lifetime " + dur(life)
			if byKB && !byTime {
				what = src + " phase-2 lifetime " + strconv.FormatUint(kb, 10) + " KB (" + strconv.FormatUint(ce.bytes/1024, 10) + " KB carried)"
			}
			ev(ce.child.Exchange.Messages[0].Frame, ce.child.Established, "phase-2 SA set up at +"+dur(ce.child.Established.Sub(sa.Started))+", "+what)
			ev(ce.lastFrame, ce.last, "its ESP stopped at +"+dur(ce.last.Sub(sa.Started))+", "+dur(ce.last.Sub(ce.child.Established))+" after it was set up")
			if ce.inf.Decrypted {
				ev(ce.inf.Frame, ce.inf.Time, "Delete of the phase-2 SA from the "+side(ce.inf.Dir)+" at +"+dur(ce.inf.Time.Sub(sa.Started))+
					" (decrypted), at the end of its lifetime; no new phase 2 took over")
			} else {
				ev(ce.inf.Frame, ce.inf.Time, "encrypted informational from the "+side(ce.inf.Dir)+" at +"+dur(ce.inf.Time.Sub(sa.Started))+
					": most likely the Delete of the phase-2 SA at the end of its lifetime; no new phase 2 took over")
			}
			v.Summary = "a phase-2 SA reached its lifetime without being rekeyed: its traffic stopped"
			v.Hints = []string{"check that phase-2 rekeying is enabled on the side that should rekey (rekey margin shorter than the lifetime), and that both sides' phase-2 lifetimes (seconds and kilobytes) are compatible"}
			return t.finish(sa, v, p)
		}
		why := "IKEv1 negotiates it inside the encrypted quick mode"
		if sa.Version == 2 {
			why = "IKEv2 does not negotiate it at all: each side keeps its own"
		}
		v.Hints = append(v.Hints, "a phase-2 SA's ESP stopped at +"+dur(ce.last.Sub(sa.Started))+", "+dur(ce.last.Sub(ce.child.Established))+
			" after it was set up, with an encrypted informational from the "+side(ce.inf.Dir)+" (most likely its Delete) and nothing taking over: "+
			"if that was its lifetime it cannot be checked here, because the phase-2 lifetime is unknown ("+why+"); "+
			"give it with --child-lifetime (or --profile windows), or decrypt with keys")
	}
	if lt := lifetimeOf(sa); lt > 0 && final && !sa.Established.IsZero() {
		expiry := sa.Established.Add(time.Duration(lt) * time.Second)
		if !t.now.Before(expiry) && sa.lastSeen.Before(expiry.Add(t.cfg.GiveUp)) && !rekeyed(sa) {
			v.Class = LifetimeExpired
			v.Final = true
			ev(lastFrameOf(sa.Phase1()), sa.Established, "phase 1 completed, negotiated lifetime "+strconv.FormatUint(lt, 10)+" s: expiry at +"+dur(expiry.Sub(sa.Started)))
			if d, ok := likelyV1Delete(sa); ok {
				ev(d.Frame, d.Time, "last message, at +"+dur(d.Time.Sub(sa.Started))+": an encrypted informational from the "+side(d.Dir)+", most likely the Delete at the end of the lifetime")
			}
			v.Hints = []string{"check that rekeying is enabled on the side that should rekey, and that the lifetimes of the two sides are compatible"}
			if nw := sa.x().supersededBy; nw != nil {
				text := "IKE SA #" + itoa(nw.ID) + " started at +" + dur(nw.Started.Sub(sa.Started)) + " to replace it never came up"
				if nw.Verdict.Class != "" {
					text += " (" + string(nw.Verdict.Class) + ")"
				}
				ev(firstFrame(nw), nw.Started, text)
				v.Hints = append([]string{"the replacement (IKE SA #" + itoa(nw.ID) + ") failed: its verdict says why the rekey did not happen"}, v.Hints...)
			} else {
				ev(0, expiry, "no new IKE SA was started before the lifetime ran out")
			}
			v.Summary = "the IKE SA reached its lifetime without being rekeyed"
			return t.finish(sa, v, p)
		}
	}
	v.Class = Established
	v.Final = true
	ev(lastFrameOf(sa.Phase1()), sa.Established, "phase 1 completed in "+dur(sa.Established.Sub(sa.Started)))
	nChild := 0
	for _, c := range sa.Children {
		if !c.Established.IsZero() {
			nChild++
		}
	}
	v.Summary = "phase 1 completed in " + dur(sa.Established.Sub(sa.Started))
	if nChild > 0 {
		v.Summary += ", " + itoa(nChild) + " phase-2 SA(s)"
	}
	var pk uint64
	for _, e := range sa.ESP {
		pk += e.Packets
	}
	if pk > 0 {
		v.Summary += ", " + strconv.FormatUint(pk, 10) + " ESP packets"
	}
	return t.finish(sa, v, p)
}

func (t *Tracker) limit(phase int) time.Duration {
	if phase == 1 {
		return t.cfg.MMLimit
	}
	return t.cfg.QMLimit
}

// finish adds the Windows code for the class and caps hints at three.
func (t *Tracker) finish(sa *SA, v Verdict, p pending) Verdict {
	if v.WindowsCode == 0 {
		v.WindowsCode = ClassWindowsCode[v.Class]
		if v.Class == LifetimeExpired && sa.Version == 1 && p.phase == 2 {
			v.WindowsCode = 13895
		}
	}
	for _, dg := range sa.x().fragsLost {
		h := "an IKE message of " + itoa(dg.IKELen) + " bytes was IP-fragmented and only " + itoa(len(dg.Fragments)) +
			" fragment(s) arrived: check that the path passes UDP fragments, or enable IKE fragmentation (RFC 7383 / IKEv1 fragmentation)"
		v.Hints = append([]string{h}, v.Hints...)
		break
	}
	if len(v.Hints) > 3 {
		v.Hints = v.Hints[:3]
	}
	return v
}

func (t *Tracker) pendingEvidence(sa *SA, p pending, ev func(int, time.Time, string)) {
	if p.x == nil {
		return
	}
	for _, m := range p.x.Messages {
		text := p.x.Name + " " + m.Dir.String() + " (" + itoa(m.Length) + " bytes"
		if m.Encrypted {
			text += ", encrypted"
		}
		text += ") sent " + itoa(m.Retransmissions()+1) + " time(s)"
		if r := m.Retransmissions(); r > 0 {
			text += ", last at +" + dur(m.lastSend().Sub(sa.Started))
		}
		ev(m.Frame, m.Time, text)
	}
	// Messages that never arrived whole: only some of their IP fragments
	// were captured.
	if n := len(sa.x().fragsLost); n > 0 {
		dg := sa.x().fragsLost[0]
		text := "IKE message of " + itoa(dg.IKELen) + " bytes sent in IP fragments " + itoa(n) + " time(s)"
		if n > 1 {
			text += ", last at +" + dur(sa.x().fragsLost[n-1].First.Sub(sa.Started))
		}
		text += "; only " + itoa(len(dg.Fragments)) + " fragment(s) of it arrived"
		ev(firstRef(dg), dg.First, text)
	}
}

// unansweredOf is the request behind a stalled negotiation: the latest
// message of the pending exchange, or the message that never arrived whole
// when it was sent again later in IP fragments of which only some came.
func unansweredOf(sa *SA, p pending) *Unanswered {
	if p.x == nil {
		return nil
	}
	ms := p.x.Messages
	if p.answersLost {
		// The request is the initiator's: its answers never reached it.
		ms = nil
		for _, m := range p.x.Messages {
			if m.Dir == I2R {
				ms = append(ms, m)
			}
		}
	}
	m := latestSent(ms)
	var u *Unanswered
	if m != nil {
		u = unansweredMsg(p.x.Name, m)
	}
	if n := len(sa.x().fragsLost); n > 0 && (m == nil || sa.x().fragsLost[n-1].First.After(m.lastSend())) {
		u = &Unanswered{Exchange: p.x.Name, Sender: I2R, Fragments: true}
		if sa.x().fragsLost[n-1].Src == sa.Responder.Addr() {
			u.Sender = R2I
		}
		for _, dg := range sa.x().fragsLost {
			u.Frames, u.Times = append(u.Frames, firstRef(dg)), append(u.Times, dg.First)
		}
	}
	return u
}

func unansweredMsg(exchange string, m *Message) *Unanswered {
	u := &Unanswered{Exchange: exchange, Sender: m.Dir, Times: slices.Clone(m.SendTimes), Sends: len(m.SendTimes) + m.ExtraSends}
	if len(m.Frames) == len(m.SendTimes) {
		u.Frames = slices.Clone(m.Frames)
	} else {
		u.Frames = []int{m.Frame}
	}
	return u
}

// resending reports a request that was sent more than once with no answer.
func (u *Unanswered) resending() bool { return u != nil && u.count() >= 2 }

func (u *Unanswered) count() int {
	if u.Sends > 0 {
		return u.Sends
	}
	return len(u.Times)
}

// text says that the capture ended while the sender was still at it.
func (u *Unanswered) text() string {
	what := "retransmitting"
	if u.Fragments {
		what = "resending a message of which only some IP fragments arrived"
	}
	return "the capture ended while the " + side(u.Sender) + " was still " + what + " (" + itoa(u.count()) + " sends over " +
		dur(u.Times[len(u.Times)-1].Sub(u.Times[0])) + ")"
}

func (u *Unanswered) lastFrame() int      { return u.Frames[len(u.Frames)-1] }
func (u *Unanswered) lastTime() time.Time { return u.Times[len(u.Times)-1] }

func exchangeOf(sa *SA, m *Message) string {
	for _, x := range sa.Exchanges {
		for _, o := range x.Messages {
			if o == m {
				return x.Name
			}
		}
	}
	return ""
}

// childEnd is a phase-2 SA whose traffic stopped with an informational.
type childEnd struct {
	child     *ChildSA
	last      time.Time // last ESP
	lastFrame int
	bytes     uint64
	inf       *Message
}

// childEnded finds a phase-2 SA of an established IKE SA whose ESP stopped
// and, within three seconds of the last packet, an encrypted informational
// came (the Delete that ends a child, which cannot be read without keys),
// with no newer child taking over the traffic and no phase 2 after it.
func childEnded(sa *SA) *childEnd {
	if sa.Established.IsZero() {
		return nil
	}
	for i, c := range sa.Children {
		if c.Rekeyed || c.Established.IsZero() || len(c.ESP) == 0 || c.Exchange == nil || len(c.Exchange.Messages) == 0 {
			continue
		}
		_, last := espSpan(c.ESP)
		ce := &childEnd{child: c, last: last}
		for _, e := range c.ESP {
			ce.bytes += e.Bytes
			if e.Last.Equal(last) {
				ce.lastFrame = e.LastFrame
			}
		}
		// Nothing took over: no later child carried traffic, and no phase 2
		// began after the traffic stopped.
		later := false
		for _, n := range sa.Children[i+1:] {
			if len(n.ESP) > 0 {
				later = true
			}
		}
		for _, e := range sa.ESP {
			if e.Last.After(last.Add(3 * time.Second)) {
				later = true
			}
		}
		for _, x := range sa.Exchanges {
			if x.Phase == 2 && x.Start.After(last) {
				later = true
			}
		}
		if later {
			continue
		}
		for _, x := range sa.Exchanges {
			if !isInformational(x) || x.Start.Before(c.Established) {
				continue
			}
			for _, m := range x.Messages {
				if m.Decrypted && !readDelete(m) {
					continue // decrypted, and not a Delete
				}
				if (m.Encrypted || sa.Version == 2) && (m.Time.Sub(last)).Abs() <= 3*time.Second && !teardown(sa, m) {
					ce.inf = m
					return ce
				}
			}
		}
	}
	return nil
}

// teardown reports an informational that is part of taking the whole IKE
// SA down rather than one phase-2 SA: in IKEv1 the sender deletes the IKE SA
// in a second informational right after the phase-2 one; in IKEv2 a Delete
// of the IKE SA is one exchange, so an informational counts as a child's
// only when the IKE SA was heard from again after it.
func teardown(sa *SA, m *Message) bool {
	if sa.x().supersededBy != nil {
		return true // rekeyed or replaced: its children moved on
	}
	after := false
	for _, x := range sa.Exchanges {
		for _, o := range x.Messages {
			if o.lastSend().After(m.lastSend().Add(time.Second)) {
				after = true
			}
			if isInformational(x) && o != m && o.Dir == m.Dir && o.Time.Sub(m.Time).Abs() <= 2*time.Second {
				return true
			}
		}
	}
	return sa.Version == 2 && !after
}

// childLifetime is the phase-2 lifetime to check c against: negotiated where
// visible, else the configured one (--child-lifetime or the profile's).
func (t *Tracker) childLifetime(sa *SA, c *ChildSA) (time.Duration, uint64, string) {
	if c.LifetimeSeconds > 0 || c.LifetimeKilobytes > 0 {
		return time.Duration(c.LifetimeSeconds) * time.Second, c.LifetimeKilobytes, "negotiated"
	}
	return t.cfg.ChildLifetime, t.cfg.ChildLifetimeKB, "configured"
}

// lastUnheard reports whether the latest unanswered request was sent more
// than once and nothing came back from the peer after its first copy.
func lastUnheard(sa *SA, unanswered []*Message) bool {
	m := latestSent(unanswered)
	return m != nil && len(m.SendTimes) >= 2 && !heardAfter(sa, otherDir(m.Dir), m.SendTimes[0])
}

// heardAfter reports anything from direction d after t: an IKE message or ESP.
func heardAfter(sa *SA, d Dir, t time.Time) bool {
	for _, x := range sa.Exchanges {
		for _, m := range x.Messages {
			if m.Dir == d && m.lastSend().After(t) {
				return true
			}
		}
	}
	for _, e := range sa.ESP {
		if e.Dir == d && e.Last.After(t) {
			return true
		}
	}
	return false
}

// addrOf is the address of the side that sends in direction d.
func addrOf(sa *SA, d Dir) netip.Addr {
	if d == I2R {
		return sa.Initiator.Addr()
	}
	return sa.Responder.Addr()
}

// likelyV1Delete finds an IKEv1 Delete that cannot be read: without keys a
// Delete after main mode is just an encrypted informational message. One
// that is the last thing heard on the IKE SA is most likely the Delete of
// the SA, from whichever side sent it (DESIGN.md); it is reported as likely.
func likelyV1Delete(sa *SA) (deleteSeen, bool) {
	if sa.Version != 1 || sa.Established.IsZero() {
		return deleteSeen{}, false
	}
	var last *Message
	var lastX *Exchange
	for _, x := range sa.Exchanges {
		for _, m := range x.Messages {
			if last == nil || !m.lastSend().Before(last.lastSend()) {
				last, lastX = m, x
			}
		}
	}
	if last == nil || lastX.Type != decode.ExchangeInformational || !last.Encrypted || last.Decrypted || last.Retransmissions() > 0 {
		return deleteSeen{}, false
	}
	// ESP may go on: deleting an IKEv1 phase-1 SA leaves its IPsec SAs.
	return deleteSeen{Dir: last.Dir, Frame: last.Frame, Time: last.Time}, true
}

func supersededEarly(sa *SA, p pending) bool {
	nw := sa.x().supersededBy
	last := p.x.last()
	if !last.Before(nw.Started) {
		return true // the old exchange was still sending after the new SA began
	}
	// The gap before the new SA is shorter than the old retransmission
	// interval: the old one was cut short rather than timed out.
	var interval time.Duration
	for _, m := range p.x.Messages {
		if n := len(m.SendTimes); n >= 2 {
			if d := m.SendTimes[n-1].Sub(m.SendTimes[n-2]); d > interval {
				interval = d
			}
		}
	}
	// A new SA within the old interval came before the next retransmission
	// was due. One that follows a single retransmission is early too: no
	// common schedule gives up after one (strongSwan retries 5 times,
	// libreswan and Windows several), so a restart then is a local decision.
	if interval > 0 && nw.Started.Sub(last) < interval*9/10 {
		return true
	}
	most := 0
	for _, m := range p.x.Messages {
		most = max(most, m.Retransmissions())
	}
	return most == 1 && nw.Started.Sub(last) < interval*2
}

// wentOn reports an SA that was in use after t: a completed exchange begun
// after it, or ESP first seen after it.
func wentOn(sa *SA, t time.Time) bool {
	for _, x := range sa.Exchanges {
		if x.Completed && x.Start.After(t) {
			return true
		}
	}
	for _, e := range sa.ESP {
		if e.First.After(t) {
			return true
		}
	}
	return false
}

// qmRefused finds the responder's encrypted informational that answered an
// IKEv1 quick mode's first message within two seconds, after which the
// initiator never sent it again: a refusal by error notify.
func qmRefused(x *Exchange, sa *SA) *Message {
	if sa.Version != 1 || x.Type != decode.ExchangeQuickMode || len(x.Messages) == 0 {
		return nil
	}
	qm1 := x.Messages[0]
	// Answered at once: QM1 was sent once and never again, so the answer
	// came before any retransmission was due.
	if qm1.Dir != I2R || x.distinct(R2I) > 0 || qm1.Retransmissions() > 0 {
		return nil
	}
	for _, ix := range sa.Exchanges {
		if ix.Type != decode.ExchangeInformational {
			continue
		}
		for _, m := range ix.Messages {
			if m.Dir == R2I && m.Encrypted && !m.Decrypted && !m.Time.Before(qm1.Time) && m.Time.Sub(qm1.Time) <= 2*time.Second {
				// Read what follows: a fresh phase 1 from the initiator
				// means its IKE SA was gone, so the informational was the
				// peer's Delete, not a refusal of phase 2.
				if nw := sa.x().supersededBy; nw != nil && nw.Initiator.Addr() == sa.Initiator.Addr() && !nw.Started.Before(m.Time) {
					return nil
				}
				return m
			}
		}
	}
	return nil
}

// deletedAndQuiet reports an IKE SA whose Delete (certain, or the likely
// IKEv1 one) was followed by at least a second of silence.
func (t *Tracker) deletedAndQuiet(sa *SA) bool {
	if t.deleteEnded(sa) {
		return true
	}
	_, ok := likelyV1Delete(sa)
	return ok && t.now.Sub(sa.lastSeen) >= time.Second
}

// deleteEnded reports a Delete that ended the SA: one of the IKE SA itself,
// or (an IKEv2 Delete cannot be read) one after which the SA fell silent,
// ESP included, followed by a quiet second. The likely IKEv1 Delete is left
// to the final judgement: while streaming, a child SA's Delete looks the same.
func (t *Tracker) deleteEnded(sa *SA) bool {
	last := lastActivity(sa)
	if t.now.Sub(last) < time.Second {
		return false
	}
	for _, d := range sa.x().deletes {
		if d.Read && !d.IKE {
			continue // a child SA's Delete, read as such
		}
		if d.IKE || !last.After(d.Time.Add(time.Second)) {
			return true
		}
	}
	return false
}

// ranOut reports whether the sender of m evidently stopped retransmitting
// it: m was retransmitted at least twice and the silence since its last
// send is more than twice the longest interval between its sends.
// Retransmission schedules back off by at most a factor of two (strongSwan
// 1.8, libreswan 2, Windows less), so another copy would have been seen by
// then. This does not depend on knowing the implementation's timers.
func (m *Message) ranOut(now time.Time) bool {
	at, ok := m.ranOutAt()
	return ok && !now.Before(at)
}

// lostRanOut is ranOut for a message that never arrived whole: its copies
// are the IP datagrams of which only some fragments were captured.
//
// Lost datagrams are reported FragmentTimeout after their first fragment
// (when reassembly gives up), so while the capture goes on a later copy may
// still be waiting for its fragments: the silence is measured up to the
// newest moment of which every lost copy is known. At the end of the
// capture every incomplete datagram has been reported.
// (testdata/gen/early/v2_cert_frags_lost: five copies of IKE_AUTH, the
// first three reported lost while the fourth and fifth were pending.)
func (t *Tracker) lostRanOut(sa *SA) bool {
	now := t.now
	if !t.ending {
		now = now.Add(-decode.FragmentTimeout)
	}
	return sa.lostRanOut(now)
}

// lostRanOut is ranOut over the first-fragment times of the lost copies.
func (sa *SA) lostRanOut(now time.Time) bool {
	m := sa.lostCopies()
	return m != nil && m.ranOut(now)
}

// lostCopies is the message that never arrived whole, as a Message whose
// sends are the first-fragment times of its lost copies; nil with fewer
// than three (ranOut needs three sends).
func (sa *SA) lostCopies() *Message {
	if len(sa.x().fragsLost) < 3 {
		return nil
	}
	m := &Message{}
	for _, dg := range sa.x().fragsLost {
		m.SendTimes = append(m.SendTimes, dg.First)
	}
	slices.SortFunc(m.SendTimes, time.Time.Compare)
	return m
}

// ranOut reports whether the exchange's last request ran out of
// retransmissions.
func (x *Exchange) ranOut(now time.Time) bool {
	last := latestSent(x.Messages)
	return last != nil && last.ranOut(now)
}

// latestSent is the message whose last copy was sent last, or nil.
func latestSent(ms []*Message) *Message {
	var last *Message
	for _, m := range ms {
		if last == nil || m.lastSend().After(last.lastSend()) {
			last = m
		}
	}
	return last
}

// lastRanOut reports whether the latest of the unanswered requests ran out
// of retransmissions and nothing else was heard on the SA after it.
func lastRanOut(sa *SA, unanswered []*Message, now time.Time) bool {
	last := latestSent(unanswered)
	return last != nil && last.ranOut(now) && !sa.lastSeen.After(last.lastSend())
}

func unansweredAfter(sa *SA) []*Message {
	var out []*Message
	for _, x := range sa.Exchanges {
		if x.Start.Before(sa.Established) || x.Completed && sa.Version == 2 {
			continue
		}
		if sa.Version == 2 && x.Type == decode.ExchangeInformationalV2 && x.distinct(R2I) == 0 || x.distinct(I2R) == 0 {
			for _, m := range x.Messages {
				if len(m.SendTimes) > 1 {
					out = append(out, m)
				}
			}
		}
	}
	return out
}

// rekeyed reports whether the SA was replaced by an IKE SA that came up.
func rekeyed(sa *SA) bool {
	return sa.x().supersededBy != nil && !sa.x().supersededBy.Established.IsZero()
}

// byLocal reports whether nw was started by the local side of sa.
func (t *Tracker) byLocal(sa, nw *SA) bool {
	local := sa.Initiator.Addr()
	if t.localDir(sa) == R2I {
		local = sa.Responder.Addr()
	}
	return nw.Initiator.Addr() == local
}

// v1Unanswered finds IKEv1 dead-peer detection that went unanswered: after
// phase 1, one side sent three or more encrypted informational messages
// spread over time (R-U-THERE, RFC 3706; they cannot be read without keys)
// and heard nothing at all from the peer since the first of them. It
// returns those messages, or nil.
//
// At the end of the capture (atEnd) two such messages of the same size
// spread over a second or more are evidence enough: a live peer answers
// R-U-THERE at once. ranOut
// tells whether the prober was seen to give up.
func v1Unanswered(sa *SA, now time.Time, atEnd bool) (probes []*Message, ranOut bool) {
	if sa.Version != 1 || sa.Established.IsZero() {
		return nil, false
	}
	for _, d := range []Dir{I2R, R2I} {
		var heard time.Time // last thing from the other side
		for _, x := range sa.Exchanges {
			for _, m := range x.Messages {
				if m.Dir != d {
					if l := m.lastSend(); l.After(heard) {
						heard = l
					}
				}
			}
		}
		for _, e := range sa.ESP {
			if e.Dir != d && e.Last.After(heard) {
				heard = e.Last
			}
		}
		var out []*Message
		for _, x := range sa.Exchanges {
			if x.Type != decode.ExchangeInformational {
				continue
			}
			for _, m := range x.Messages {
				if m.Dir == d && m.Encrypted && m.Time.After(heard) && m.Time.After(sa.Established) {
					out = append(out, m)
				}
			}
		}
		if len(out) < 2 {
			continue
		}
		slices.SortFunc(out, func(a, b *Message) int { return a.Time.Compare(b.Time) })
		probe := &Message{}
		for _, m := range out {
			probe.SendTimes = append(probe.SendTimes, m.Time)
		}
		span := out[len(out)-1].Time.Sub(out[0].Time)
		if len(out) >= 3 && span >= 2*time.Second && probe.ranOut(now) {
			return out, true
		}
		// R-U-THEREs of one prober are all the same size (a hash and a
		// notify with a sequence number); a Delete among them is not a probe.
		same := true
		for _, m := range out {
			same = same && m.Length == out[0].Length
		}
		if atEnd && span >= time.Second && same {
			return out, false
		}
	}
	return nil, false
}

func lifetimeOf(sa *SA) uint64 {
	if sa.Proposal == nil {
		return 0
	}
	return sa.Proposal.LifetimeSeconds
}

func firstFrame(sa *SA) int {
	if len(sa.Exchanges) == 0 || len(sa.Exchanges[0].Messages) == 0 {
		return 0
	}
	return sa.Exchanges[0].Messages[0].Frame
}

func lastFrameOf(xs []*Exchange) int {
	f := 0
	for _, x := range xs {
		for _, m := range x.Messages {
			if m.Frame > f {
				f = m.Frame
			}
		}
	}
	return f
}

func side(d Dir) string {
	if d == I2R {
		return "initiator"
	}
	return "responder"
}

func phaseName(sa *SA, phase int) string {
	if phase == 2 {
		return "phase 2"
	}
	return "phase 1"
}

// classForCode maps a Windows code from a status notify to a class.
func classForCode(code uint32, phase int) Class {
	for c, k := range ClassWindowsCode {
		if k == code {
			return c
		}
	}
	switch code {
	case 13833, 13834: // NO_POLICY / NEGOTIATION_DISABLED and friends
		return ProposalMismatch
	}
	if phase == 2 {
		return QMDelayDrop
	}
	return MMDelayDrop
}

func noResponseHints(sa *SA, p pending) []string {
	h := []string{"nothing came back from " + sa.Responder.String() + ": check that the peer is up and listening on UDP 500/4500 and that no firewall on the path drops IKE"}
	if m := firstMsg(p.x); m != nil && m.Retransmissions() > 0 {
		sched := "; schedule: "
		if m.ExtraSends > 0 {
			sched = "; schedule of the first " + itoa(len(m.SendTimes)-1) + " and the last: "
		}
		h = append(h, "the first message was sent "+itoa(m.Retransmissions()+1)+" times over "+dur(m.lastSend().Sub(m.SendTimes[0]))+
			sched+schedule(m.SendTimes))
	}
	return h
}

func stallHints(sa *SA, p pending) []string {
	var h []string
	last := lastMsg(p.x)
	if last == nil {
		return nil
	}
	if sa.Version == 1 && p.x.Type == decode.ExchangeMainMode && last.Encrypted && last.Dir == I2R {
		if last.IPFragments > 0 {
			h = append(h, "MM5 was "+itoa(last.Length)+" bytes and IP-fragmented: check that the path passes UDP fragments, or enable IKE fragmentation")
		} else {
			answer := "unanswered"
			if n := informationalsAfter(sa, last); n > 0 {
				answer = "answered only by " + itoa(n) + " encrypted informational message(s) the initiator could not use"
			}
			if n, ok := malformedAnswer(sa); ok {
				// Decrypted: the responder could not read MM5, which
				// decrypts cleanly with the initiator's keys, so the two
				// derived different keys from the same DH exchange: another
				// pre-shared key (v1_psk_mismatch with its key logs).
				h = append(h, "the responder answered MM5 with PAYLOAD-MALFORMED (decrypted, frame "+itoa(n.Frame)+"): it could not read MM5, which decrypts cleanly with the initiator's keys, so the two sides derived different keys: the pre-shared keys differ")
			} else {
				h = append(h, "phase 1 stalled at the first encrypted message (MM5, "+itoa(last.Length)+" bytes, "+answer+"): the usual sign of a pre-shared key mismatch; check the keys on both sides")
			}
		}
	}
	if sa.Version == 2 && p.x.Type == decode.ExchangeIKEAuth && last.Dir == I2R {
		h = append(h, "IKE_AUTH ("+itoa(last.Length)+" bytes) was never answered: if it is large, check that the path passes UDP fragments or enable IKEv2 fragmentation; otherwise check authentication settings on the responder")
	}
	if sa.Version == 2 && p.x.Type == decode.ExchangeIKESAInit && last.Dir == R2I && p.x.Completed && len(sa.x().fragsLost) == 0 {
		h = append(h, "the responder answered IKE_SA_INIT in full ("+itoa(last.Length)+" bytes) and the initiator never sent IKE_AUTH: the initiator abandoned the SA itself (it rejected the responder's choices, or it is a client probing several gateways); check the initiator's log")
	}
	if len(h) == 0 && len(sa.x().fragsLost) == 0 {
		h = append(h, "the negotiation stopped after "+p.x.Name+" "+last.Dir.String()+" at frame "+itoa(last.Frame)+": check the "+side(otherDir(last.Dir))+"'s log for why it did not go on")
	}
	return h
}

// informationalsAfter counts the responder's informational messages after m.
func informationalsAfter(sa *SA, m *Message) int {
	n := 0
	for _, x := range sa.Exchanges {
		if x.Type != decode.ExchangeInformational {
			continue
		}
		for _, o := range x.Messages {
			if o.Dir == R2I && !o.Time.Before(m.Time) {
				n += len(o.SendTimes)
			}
		}
	}
	return n
}

func otherDir(d Dir) Dir {
	if d == I2R {
		return R2I
	}
	return I2R
}

func proposalHints(sa *SA, n notifySeen) []string {
	if n.Phase == 2 && n.Decrypted {
		// Read from the decrypted quick mode: what was refused is phase 2.
		h := []string{}
		if o := sa.x().childOffer.text(); o != "" {
			h = append(h, o)
		}
		what := "the phase-2 proposals (ESP transforms, PFS group, lifetimes)"
		if sa.Version == 1 && n.Type == nInvalidIDInfo {
			what = "the proxy IDs (local and remote subnets, protocols, ports)"
		}
		return append(h, "compare "+what+" of both sides; phase 1 itself matched")
	}
	var offered []string
	for _, p := range sa.Offered {
		offered = append(offered, p.String())
	}
	h := []string{"make the two sides' proposals intersect (encryption, integrity/hash, DH group, authentication method, lifetime type)"}
	if len(offered) > 0 {
		h = append([]string{"the initiator offered: " + strings.Join(offered, "; ")}, h...)
	}
	return h
}

func firstMsg(x *Exchange) *Message {
	if x == nil || len(x.Messages) == 0 {
		return nil
	}
	return x.Messages[0]
}

func lastMsg(x *Exchange) *Message {
	if x == nil || len(x.Messages) == 0 {
		return nil
	}
	return x.Messages[len(x.Messages)-1]
}

// schedule renders the gaps between sends: "0, +4.0s, +7.2s".
func schedule(ts []time.Time) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", +")
			b.WriteString(dur(t.Sub(ts[0])))
		} else {
			b.WriteString("0")
		}
	}
	return b.String()
}

func winName(code uint32) string {
	if we, ok := decode.LookupWinError(code); ok {
		return we.Name + " (" + strconv.FormatUint(uint64(code), 10) + ")"
	}
	return strconv.FormatUint(uint64(code), 10)
}

func winHint(code uint32) string {
	if we, ok := decode.LookupWinError(code); ok {
		return "Windows says: " + we.Message + " — run 'ikescope explain " + strconv.FormatUint(uint64(code), 10) + "' for what to check"
	}
	return "run 'ikescope explain " + strconv.FormatUint(uint64(code), 10) + "'"
}

func itoa(i int) string { return strconv.Itoa(i) }

// dur renders a duration compactly: 850ms, 4.0s, 2m05s.
func dur(d time.Duration) string { return string(AppendDur(nil, d)) }

// AppendDur appends Dur(d) to b.
func AppendDur(b []byte, d time.Duration) []byte {
	switch {
	case d < 0:
		if d == math.MinInt64 {
			d++ // -d would overflow back to itself
		}
		return AppendDur(append(b, '-'), -d)
	case d < time.Second:
		return append(strconv.AppendInt(b, d.Milliseconds(), 10), "ms"...)
	case d < time.Minute:
		return append(strconv.AppendFloat(b, d.Seconds(), 'f', 1, 64), 's')
	}
	s := int(d.Seconds())
	b = append(strconv.AppendInt(b, int64(s/60), 10), 'm')
	if s%60 < 10 {
		b = append(b, '0')
	}
	return append(strconv.AppendInt(b, int64(s%60), 10), 's')
}

// Dur is the duration format of reports.
func Dur(d time.Duration) string { return dur(d) }

// childHints are the hints for a refused child SA.
func childHints(sa *SA, n notifySeen) []string {
	var h []string
	if o := sa.x().childOffer.text(); o != "" {
		h = append(h, o)
	}
	if n.Type == nTSUnacceptable || n.Type == 39 || n.Type == 34 {
		return append(h, "compare the traffic selectors (local and remote subnets, protocols and ports) of both sides' child SA configuration; the responder's log names what it could not accept or install")
	}
	return append(h, "compare the child SA (ESP) proposals of both sides: encryption, integrity, and ESN; the IKE SA proposal itself matched")
}

// malformedAnswer finds a decrypted PAYLOAD-MALFORMED from the responder
// in phase 1 of an IKEv1 SA.
func malformedAnswer(sa *SA) (notifySeen, bool) {
	for _, n := range sa.x().errNotify {
		if sa.Version == 1 && n.Type == nPayloadMalformed && n.Phase == 1 && n.Decrypted && n.Dir == R2I {
			return n, true
		}
	}
	return notifySeen{}, false
}
