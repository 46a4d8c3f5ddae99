package check

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/ikescope/ikescope/report"
)

// FromResults returns an expectation that the analysis a meets: for every
// IKE SA its class, its Windows error (when the verdict has one), version,
// mode, initiator and responder. Assertions (timings, events, ESP counts)
// are for the user to add; Update keeps them. profile, when not "", is
// recorded as the file's timer profile.
func FromResults(a *report.Analysis, profile string) *Expect {
	x := &Expect{Schema: Schema, Profile: profile, IKESAs: []SAExpect{}}
	for i := range a.IKESAs {
		x.IKESAs = append(x.IKESAs, entryFrom(&a.IKESAs[i]))
	}
	return x
}

func entryFrom(sa *report.SAJSON) SAExpect {
	v := sa.Version
	e := SAExpect{Class: sa.Verdict.Class, Version: &v, Mode: sa.Mode, Initiator: sa.Initiator, Responder: sa.Responder}
	if w := sa.Verdict.WindowsError; w != nil {
		c := w.Code
		e.WindowsCode = &c
	}
	return e
}

// Update rewrites the expectation old so that the analysis a meets it, and
// returns what it changed, one line per change, for the user to review.
//
// The shape of each existing entry is kept: the comment is kept; class is
// set to the current class; windows_code, version, mode, initiator and
// responder are updated to the current values where the entry had them and
// not added where it did not. Each assertion is kept where it still holds
// and dropped (with a note) where it does not; the exception is phase1_ms,
// which is set to the current phase-1 time with its tolerances kept. An
// entry with a count keeps it as long as the IKE SAs it stands for still
// give identical entries. IKE SAs beyond the existing entries get a new
// entry as FromResults writes it; entries beyond the current IKE SAs are
// removed. The file's comment and profile are kept, and so are the findings
// that are still reported.
func Update(old *Expect, a *report.Analysis) (*Expect, []string) {
	var notes []string
	note := func(n int, endpoints, msg string) {
		s := "ike_sa " + strconv.Itoa(n)
		if endpoints != "" {
			s += " (" + endpoints + ")"
		}
		notes = append(notes, s+": "+msg)
	}
	x := &Expect{Schema: Schema, Comment: old.Comment, Profile: old.Profile, IKESAs: []SAExpect{}}
	slots := expand(old)
	origin := make([]int, 0, len(slots))
	for i := range old.IKESAs {
		for range old.IKESAs[i].N() {
			origin = append(origin, i)
		}
	}
	type slot struct {
		e      SAExpect
		origin int // index of the old entry, -1 for a new one
	}
	var got []slot
	for i := range a.IKESAs {
		sa := &a.IKESAs[i]
		f := factsOf(sa)
		if i >= len(slots) {
			e := entryFrom(sa)
			note(i+1, f.endpoints, "added, class "+e.Class)
			got = append(got, slot{e, -1})
			continue
		}
		e, msgs := updateEntry(slots[i], sa, f)
		for _, m := range msgs {
			note(i+1, f.endpoints, m)
		}
		got = append(got, slot{e, origin[i]})
	}
	for i := len(a.IKESAs); i < len(slots); i++ {
		note(i+1, expectedEndpoints(slots[i]), "removed (class "+slots[i].Class+"): the capture has "+plural(len(a.IKESAs), "IKE SA")+" now")
	}
	// Merge consecutive IKE SAs of one old entry back into one entry with a
	// count where they are still identical.
	for i := 0; i < len(got); {
		j := i + 1
		if got[i].origin >= 0 && old.IKESAs[got[i].origin].Count != nil {
			for j < len(got) && got[j].origin == got[i].origin && sameEntry(&got[i].e, &got[j].e) {
				j++
			}
		}
		e := got[i].e
		if n := j - i; n > 1 {
			e.Count = &n
		}
		x.IKESAs = append(x.IKESAs, e)
		i = j
	}
	have := map[string]bool{}
	for _, f := range a.Findings {
		have[f.Type] = true
	}
	for _, t := range old.Findings {
		if have[t] {
			x.Findings = append(x.Findings, t)
		} else {
			notes = append(notes, "findings: dropped "+t+" (no longer reported)")
		}
	}
	return x, notes
}

// updateEntry updates one old entry (count removed) to the analysed SA.
func updateEntry(o *SAExpect, sa *report.SAJSON, f facts) (SAExpect, []string) {
	var msgs []string
	changed := func(field, was, now string) {
		if was != now {
			msgs = append(msgs, field+": "+was+" -> "+now)
		}
	}
	dropped := func(field, was, why string) {
		msgs = append(msgs, "dropped "+field+" "+was+" ("+why+")")
	}
	e := SAExpect{Comment: o.Comment, Class: sa.Verdict.Class}
	changed("class", o.Class, e.Class)
	if o.WindowsCode != nil {
		c := f.winCode
		e.WindowsCode = &c
		if *o.WindowsCode != c {
			changed("windows_code", winCode(*o.WindowsCode, ""), winCode(c, f.winName))
		}
	}
	if o.Version != nil {
		v := sa.Version
		e.Version = &v
		changed("version", strconv.Itoa(*o.Version), strconv.Itoa(v))
	}
	if o.Mode != "" {
		e.Mode = sa.Mode
		changed("mode", o.Mode, e.Mode)
	}
	if o.Initiator != "" {
		e.Initiator = o.Initiator
		if !sameAddrPort(o.Initiator, sa.Initiator) {
			e.Initiator = sa.Initiator
			changed("initiator", o.Initiator, e.Initiator)
		}
	}
	if o.Responder != "" {
		e.Responder = o.Responder
		if !sameAddrPort(o.Responder, sa.Responder) {
			e.Responder = sa.Responder
			changed("responder", o.Responder, e.Responder)
		}
	}
	if o.EstablishedWithin != "" {
		if ok, got := withinHolds(o, f); ok {
			e.EstablishedWithin = o.EstablishedWithin
		} else {
			dropped("established_within", o.EstablishedWithin, got)
		}
	}
	if o.Phase1MS != nil {
		switch ok, got := phase1Holds(o, f); {
		case ok:
			e.Phase1MS, e.ToleranceMS, e.TolerancePct = o.Phase1MS, o.ToleranceMS, o.TolerancePct
		case f.established:
			ms := phase1MS(f.phase1)
			e.Phase1MS, e.ToleranceMS, e.TolerancePct = &ms, o.ToleranceMS, o.TolerancePct
			msgs = append(msgs, "phase1_ms: "+fmtMS(*o.Phase1MS)+" -> "+fmtMS(ms)+" (outside the tolerance; tolerance kept)")
		default:
			dropped("phase1_ms", fmtMS(*o.Phase1MS), got)
		}
	}
	if o.NoRetransmissions != nil {
		if *o.NoRetransmissions == (f.retrans == 0) {
			e.NoRetransmissions = o.NoRetransmissions
		} else {
			dropped("no_retransmissions", strconv.FormatBool(*o.NoRetransmissions), plural(f.retrans, "retransmission")+" now")
		}
	}
	if o.Rekeyed != nil {
		if *o.Rekeyed == f.rekeyed {
			e.Rekeyed = o.Rekeyed
		} else {
			dropped("rekeyed", strconv.FormatBool(*o.Rekeyed), "rekeyed is "+strconv.FormatBool(f.rekeyed)+" now")
		}
	}
	if o.ESPPacketsAtLeast != nil {
		if f.esp >= *o.ESPPacketsAtLeast {
			e.ESPPacketsAtLeast = o.ESPPacketsAtLeast
		} else {
			dropped("esp_packets_at_least", strconv.FormatUint(*o.ESPPacketsAtLeast, 10), strconv.FormatUint(f.esp, 10)+" ESP packets now")
		}
	}
	for _, t := range o.Events {
		if contains(f.events, t) {
			e.Events = append(e.Events, t)
		} else {
			dropped("event", t, "no longer reported")
		}
	}
	return e, msgs
}

func sameEntry(a, b *SAExpect) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
