package daemonlog

import (
	"slices"
	"time"
)

// Outcome is what the daemons' logs say became of one IKE SA negotiation,
// as a verdict class of DESIGN.md.
type Outcome struct {
	Class   string
	Reason  string // what in the logs decided it
	Version int
	Mode    string
	// InitiatorLog is "initiator" or "responder": which of the two daemons
	// (by its role in the scenario) started this IKE SA.
	InitiatorLog string
	Started      time.Time
	Phase1       time.Duration // zero when phase 1 never completed
	Rekeyed      bool
	Retransmits  int

	ended time.Time
}

// Judge pairs the IKE SAs of the scenario's initiator and responder logs
// and gives each negotiation its class. Negotiations are returned in order
// of start, as ikescope lists IKE SAs.
func Judge(ini, resp []*SA) []Outcome {
	var out []Outcome
	used := map[*SA]bool{}
	add := func(own []*SA, other []*SA, name string) {
		for _, sa := range own {
			if !sa.Initiator {
				continue
			}
			peer := partner(sa, other, used)
			if peer != nil {
				used[peer] = true
			}
			out = append(out, judge(sa, peer, name))
		}
	}
	add(ini, resp, "initiator")
	add(resp, ini, "responder")
	// charon keeps a reauthenticated IKEv1 SA until its hard lifetime: a
	// delete at the lifetime is an expiry only if nothing replaced it.
	all := append(append([]*SA(nil), ini...), resp...)
	for i := range out {
		o := &out[i]
		if o.Class != "lifetime_expired" {
			continue
		}
		for _, sa := range all {
			// Skip the SA itself and the other daemon's record of it.
			if sa.Started.Sub(o.Started) > 2*time.Second && !sa.Established.IsZero() && sa.Established.Before(o.ended) {
				o.Class, o.Reason = "established", "deleted at its maximum lifetime after a newer IKE SA had replaced it"
				break
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Outcome) int { return a.Started.Compare(b.Started) })
	return out
}

// partner finds the other daemon's record of the same IKE SA: a responder
// SA of the same version that began within two seconds of the initiator's.
func partner(sa *SA, other []*SA, used map[*SA]bool) *SA {
	for _, o := range other {
		if used[o] || o.Initiator || (o.Version != 0 && o.Version != sa.Version) {
			continue
		}
		if d := o.Started.Sub(sa.Started); d >= -500*time.Millisecond && d <= 2*time.Second {
			return o
		}
	}
	return nil
}

func judge(ini, resp *SA, name string) Outcome {
	o := Outcome{Version: ini.Version, Mode: ini.Mode, InitiatorLog: name, Started: ini.Started,
		Rekeyed: ini.Rekeyed || resp != nil && resp.Rekeyed, Retransmits: ini.Retransmits}
	if !ini.Established.IsZero() {
		o.Phase1 = ini.Established.Sub(ini.Started)
	}
	if resp != nil {
		o.Retransmits += resp.Retransmits
	}
	o.ended = ini.LocalDelete
	if resp != nil && !resp.LocalDelete.IsZero() && (o.ended.IsZero() || resp.LocalDelete.Before(o.ended)) {
		o.ended = resp.LocalDelete
	}
	o.Class, o.Reason = classOf(ini, resp)
	return o
}

func classOf(ini, resp *SA) (class, reason string) {
	// An error notify from the peer, as the initiator received it (or, when
	// it never arrived, as the responder sent it).
	notify, from := ini.ErrorNotify, "initiator received "
	if notify == "" && resp != nil {
		notify, from = resp.SentError, "responder sent "
	}
	switch notify {
	case "NO_PROPOSAL_CHOSEN", "NO_PROP", "TS_UNACCEPTABLE", "TS_UNACCEPT":
		return "proposal_mismatch", from + notify
	case "AUTHENTICATION_FAILED", "AUTH_FAILED", "INVALID_HASH_INFORMATION", "INVAL_HASH":
		return "auth_failed", from + notify
	}
	// A Delete of the IKE SA while a negotiation was pending.
	if !ini.LocalDelete.IsZero() && ini.PendingAtDelete != "" {
		return "sa_reaped", "initiator deleted the IKE SA while " + ini.PendingAtDelete + " was pending"
	}
	if !ini.PeerDelete.IsZero() && ini.PendingAtDelete != "" {
		return "sa_deleted", "responder deleted the IKE SA while " + ini.PendingAtDelete + " was pending"
	}
	// The IKE SA was deleted at its hard lifetime: no rekey or
	// reauthentication replaced it in time.
	if del := ini.LocalDelete; !ini.Expiry.IsZero() && !del.IsZero() && del.Sub(ini.Expiry).Abs() < time.Second {
		return "lifetime_expired", "initiator deleted the IKE SA at its maximum lifetime, not replaced in time"
	}
	if resp != nil && !resp.Expiry.IsZero() && !resp.LocalDelete.IsZero() && resp.LocalDelete.Sub(resp.Expiry).Abs() < time.Second {
		return "lifetime_expired", "responder deleted the IKE SA at its maximum lifetime, not replaced in time"
	}
	// Retransmissions ran out.
	if !ini.GaveUp.IsZero() {
		switch {
		case ini.Established.IsZero() && !ini.Received:
			return "no_response", "initiator gave up on phase 1, nothing received"
		case ini.Established.IsZero():
			return "mm_delay_drop", "initiator gave up on phase 1 after answers from the responder"
		case ini.Gave == "DPD" || ini.Gave == "INFORMATIONAL":
			return "dead_peer", "initiator gave up on " + ini.Gave + " after establishment"
		case ini.GaveAnswered:
			return "qm_delay_drop", "initiator gave up on " + ini.Gave + " after it was answered"
		default:
			return "qm_acquire_drop", "initiator gave up on " + ini.Gave + ", never answered"
		}
	}
	if resp != nil && !resp.GaveUp.IsZero() && resp.GaveAsResponder && !phase1(resp.Gave) {
		return "qm_delay_drop", "responder gave up waiting for the initiator to complete " + resp.Gave
	}
	// Still retransmitting when the capture (and so the log) ended: the
	// request had gone unanswered, which decides the class by its phase
	// even though the daemon had not given up yet.
	if ini.Pending != "" && ini.PendingResent > 0 {
		switch {
		case phase1(ini.Pending) && !ini.Received:
			return "no_response", "initiator still retransmitting " + ini.Pending + " at the end of the capture, nothing received"
		case phase1(ini.Pending):
			return "mm_delay_drop", "initiator still retransmitting " + ini.Pending + " at the end of the capture, after answers from the responder"
		case ini.Pending == "DPD" || ini.Pending == "INFORMATIONAL":
			return "dead_peer", "initiator still probing (" + ini.Pending + ") unanswered at the end of the capture"
		case ini.PendingAnswered:
			return "qm_delay_drop", "initiator still retransmitting " + ini.Pending + " at the end of the capture, after it was answered"
		default:
			return "qm_acquire_drop", "initiator still retransmitting " + ini.Pending + " at the end of the capture, never answered"
		}
	}
	if resp != nil && resp.RespPending != "" && !phase1(resp.RespPending) && resp.RespResent > 0 {
		return "qm_delay_drop", "responder still resending its " + resp.RespPending + " response at the end of the capture: the initiator's last message never reached it"
	}
	if ini.Pending != "" && ini.Pending != "DPD" && ini.Pending != "INFORMATIONAL" && ini.Pending != "INFORMATIONAL_V1" {
		return "in_progress", "initiator's " + ini.Pending + " still pending at the end of the capture"
	}
	if ini.Established.IsZero() {
		if resp != nil && !resp.GaveUp.IsZero() && phase1(resp.Gave) {
			return "mm_delay_drop", "responder gave up waiting for the initiator to complete " + resp.Gave
		}
		return "in_progress", "phase 1 neither completed nor given up in the log"
	}
	if !ini.ChildExpired.IsZero() {
		return "lifetime_expired", "initiator closed an expired CHILD_SA, not rekeyed"
	}
	if resp != nil && !resp.ChildExpired.IsZero() {
		return "lifetime_expired", "responder closed an expired CHILD_SA, not rekeyed"
	}
	return "established", "phase 1 established"
}
