// Package daemonlog reads strongSwan charon logs (filelog with ike_name and
// time_add_ms, ike level 2) and says what each IKE SA went through, in the
// daemon's own words. testdata/gen uses it to write the expected verdicts of
// its captures from what the daemons logged, not from what a scenario meant
// to provoke.
package daemonlog

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
)

// SA is one IKE SA as one daemon logged it.
type SA struct {
	ID        int  // charon's unique IKE SA number (<name|ID>)
	Initiator bool // this daemon initiated it
	Version   int  // 1 or 2; 0 when the log does not say
	Mode      string
	Started   time.Time
	// Established is when phase 1 completed; zero if it never did.
	Established time.Time
	// Children established on this SA, and the time of the first.
	Children   int
	FirstChild time.Time
	// Received is true once any message from the peer was processed.
	Received bool
	// Retransmits counts "sending retransmit" / "retransmit N of request".
	Retransmits int
	// GaveUp is set when the daemon gave up after its retransmissions; Gave
	// names the exchange of the request that went unanswered and GaveAnswered
	// says whether that exchange had been answered at least once.
	GaveUp       time.Time
	Gave         string
	GaveAnswered bool
	// ErrorNotify is the first error notify received from the peer, and
	// SentError the first one this daemon sent.
	ErrorNotify string
	SentError   string
	// LocalDelete and PeerDelete are when this daemon sent or received a
	// Delete of the IKE SA; PendingAtDelete names the exchange still pending
	// then ("" when none).
	LocalDelete, PeerDelete time.Time
	PendingAtDelete         string
	// Expiry is the hard end of the IKE SA's lifetime, where logged.
	Expiry time.Time
	// Rekeyed is set when the IKE SA or one of its children was rekeyed.
	Rekeyed bool
	// ChildExpired is when this daemon closed a child SA at its lifetime
	// ("closing expired CHILD_SA"), unless a child was set up after it.
	ChildExpired time.Time

	// GaveAsResponder is set when what was given up was this daemon's
	// response (the peer never sent the message that completes it).
	GaveAsResponder bool

	// Pending names the request still outstanding at the end of the log;
	// PendingResent counts its retransmissions (for IKEv1 DPD, the
	// R-U-THEREs after the first that went unanswered) and PendingAnswered
	// says whether its exchange got a response.
	Pending         string
	PendingResent   int
	PendingAnswered bool
	// RespPending names the exchange this daemon answered and still waited
	// to see completed at the end of the log; RespResent counts the
	// retransmissions of its response.
	RespPending string
	RespResent  int

	pending     string // exchange of the outstanding request this daemon sent
	answered    bool   // that exchange got at least one response
	resent      int    // retransmissions of that request
	respPending string // exchange this daemon answered and waits to see completed
	respResent  int    // retransmissions of that response
}

var (
	initRE    = regexp.MustCompile(`^initiating .*IKE_SA [^\[ ]+\[(\d+)\]`)
	rekeyedRE = regexp.MustCompile(`^IKE_SA [^\[ ]+\[(\d+)\] rekeyed between `)
	stateRE   = regexp.MustCompile(`^IKE_SA [^\[ ]+\[(\d+)\] state change: `)
	lineRE    = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}) \d+\[\w+\] <(?:[^|>]*\|)?(\d+)> (.*)$`)
	genRE     = regexp.MustCompile(`^generating (\S+) (request|response) (\d+)`)
	parsRE    = regexp.MustCompile(`^parsed (\S+) (request|response) (\d+)`)
	notifRE   = regexp.MustCompile(`^received (\S+) (?:notify error|error notify|notify, no CHILD_SA built)`)
	sentRE    = regexp.MustCompile(`^generating \S+ (?:request|response) \d+ \[.*N\(([A-Z_]+)\)`)
)

// timeLayout is charon's time_format with time_add_ms.
const timeLayout = "2006-01-02T15:04:05.000"

// Parse reads one charon log and returns its IKE SAs in order of start.
// Lines after until (when it is not zero) are ignored: a capture that
// stopped then cannot show what the daemon did later.
func Parse(r io.Reader, until time.Time) ([]*SA, error) {
	byID := map[int]*SA{}
	var order []*SA
	var terminated time.Time // last "vici terminate IKE_SA" (swanctl --terminate)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), "] vici terminate IKE_SA") {
			if ts, err := time.ParseInLocation(timeLayout, strings.Fields(sc.Text())[0], time.UTC); err == nil {
				terminated = ts
			}
		}
		m := lineRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ts, err := time.ParseInLocation(timeLayout, m[1], time.UTC)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if !until.IsZero() && ts.After(until) {
			break
		}
		var id int
		fmt.Sscan(m[2], &id)
		// charon logs the start of a new IKE SA in the context of the one
		// that caused it ("<gw|1> initiating Main Mode IKE_SA gw[2]").
		if n := initRE.FindStringSubmatch(m[3]); n != nil {
			fmt.Sscan(n[1], &id)
		}
		if n := stateRE.FindStringSubmatch(m[3]); n != nil {
			fmt.Sscan(n[1], &id)
		}
		// An IKEv2 IKE SA rekey is logged in the old SA's context too.
		if n := rekeyedRE.FindStringSubmatch(m[3]); n != nil {
			if old := byID[id]; old != nil {
				old.Rekeyed = true
			}
			fmt.Sscan(n[1], &id)
		}
		sa := byID[id]
		if sa == nil {
			sa = &SA{ID: id, Started: ts}
			byID[id] = sa
			order = append(order, sa)
		}
		// A local terminate that destroys an SA still negotiating, without
		// a Delete (swanctl --terminate --force, or before keys exist):
		// the local side abandoned it.
		if strings.HasSuffix(m[3], "=> DESTROYING") && !terminated.IsZero() && ts.Sub(terminated) < time.Second &&
			sa.pending != "" && sa.LocalDelete.IsZero() && sa.PeerDelete.IsZero() && sa.GaveUp.IsZero() {
			sa.LocalDelete, sa.PendingAtDelete = ts, sa.pending
		}
		sa.line(ts, m[3])
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, sa := range order {
		sa.Pending, sa.PendingResent, sa.PendingAnswered = sa.pending, sa.resent, sa.answered
		sa.RespPending, sa.RespResent = sa.respPending, sa.respResent
	}
	slices.SortStableFunc(order, func(a, b *SA) int { return a.Started.Compare(b.Started) })
	return order, nil
}

func (sa *SA) line(ts time.Time, msg string) {
	switch {
	case strings.HasPrefix(msg, "initiating IKE_SA"):
		sa.Initiator, sa.Version, sa.Mode, sa.Started = true, 2, "ikev2", ts
	case strings.HasPrefix(msg, "initiating Main Mode"):
		sa.Initiator, sa.Version, sa.Mode, sa.Started = true, 1, "main", ts
	case strings.HasPrefix(msg, "initiating Aggressive Mode"):
		sa.Initiator, sa.Version, sa.Mode, sa.Started = true, 1, "aggressive", ts
	case strings.Contains(msg, " is initiating an IKE_SA"):
		sa.Version, sa.Mode = 2, "ikev2"
	case strings.Contains(msg, " is initiating a Main Mode"):
		sa.Version, sa.Mode = 1, "main"
	case strings.Contains(msg, " is initiating a Aggressive Mode"), strings.Contains(msg, " is initiating an Aggressive Mode"):
		sa.Version, sa.Mode = 1, "aggressive"
	case strings.HasPrefix(msg, "IKE_SA ") && (strings.Contains(msg, " established between ") || strings.Contains(msg, " rekeyed between ")):
		if sa.Established.IsZero() {
			sa.Established = ts
		}
	case strings.HasPrefix(msg, "closing expired CHILD_SA"):
		if sa.ChildExpired.IsZero() {
			sa.ChildExpired = ts
		}
	case strings.HasPrefix(msg, "CHILD_SA ") && strings.Contains(msg, " established with SPIs "):
		sa.ChildExpired = time.Time{}
		sa.Children++
		if sa.FirstChild.IsZero() {
			sa.FirstChild = ts
		}
	case strings.HasPrefix(msg, "received packet"):
		sa.Received = true
	case strings.HasPrefix(msg, "sending retransmit"), strings.HasPrefix(msg, "retransmit "):
		sa.Retransmits++
		if strings.Contains(msg, " of response ") {
			sa.respResent++
		} else if sa.pending != "" {
			sa.resent++
		}
	case strings.HasPrefix(msg, "giving up after"):
		sa.gaveUp(ts)
	case strings.HasPrefix(msg, "DPD check timed out"):
		// IKEv1: R-U-THERE is not retransmitted; charon gives up on the
		// peer when dpd_timeout passes without an answer.
		sa.GaveUp, sa.Gave, sa.GaveAnswered = ts, "DPD", false
	case strings.HasPrefix(msg, "maximum IKE_SA lifetime "):
		var n int
		fmt.Sscanf(strings.TrimPrefix(msg, "maximum IKE_SA lifetime "), "%ds", &n)
		sa.Expiry = ts.Add(time.Duration(n) * time.Second)
	case strings.HasPrefix(msg, "sending DELETE for IKE_SA"):
		if sa.LocalDelete.IsZero() && sa.PeerDelete.IsZero() {
			sa.LocalDelete, sa.PendingAtDelete = ts, sa.pending
		}
	case strings.HasPrefix(msg, "received DELETE for IKE_SA"):
		if sa.LocalDelete.IsZero() && sa.PeerDelete.IsZero() {
			sa.PeerDelete, sa.PendingAtDelete = ts, sa.pending
		}
	case strings.HasPrefix(msg, "rekeying "), strings.Contains(msg, "rekeyed"):
		sa.Rekeyed = true
	}
	if m := notifRE.FindStringSubmatch(msg); m != nil && sa.ErrorNotify == "" {
		sa.ErrorNotify = m[1]
	}
	if m := sentRE.FindStringSubmatch(msg); m != nil && sa.SentError == "" && errorNotify(m[1]) {
		sa.SentError = m[1]
	}
	sa.track(msg)
}

// track follows which of this daemon's negotiations is outstanding.
func (sa *SA) track(msg string) {
	if strings.Contains(msg, "state change: ") && strings.HasSuffix(msg, "=> ESTABLISHED") {
		if phase1(sa.pending) {
			sa.setPending("")
		}
		if phase1(sa.respPending) {
			sa.respPending = ""
		}
		return
	}
	if strings.HasPrefix(msg, "CHILD_SA ") && strings.Contains(msg, " established with SPIs ") {
		if !phase1(sa.pending) {
			sa.setPending("")
		}
		sa.respPending = ""
		return
	}
	if m := genRE.FindStringSubmatch(msg); m != nil {
		x := m[1]
		switch {
		case m[2] == "response":
			if x != "INFORMATIONAL" && x != "INFORMATIONAL_V1" && x != sa.respPending {
				sa.respPending, sa.respResent = x, 0
			}
		case x == "INFORMATIONAL_V1":
			// IKEv1 informational exchanges are one message; only DPD
			// R-U-THERE waits for something (an R-U-THERE-ACK).
			if strings.Contains(msg, "N(DPD)") {
				// Each R-U-THERE is a new message; those after the first
				// unanswered one count as its retransmissions.
				if sa.pending == "DPD" {
					sa.resent++
				} else {
					sa.setPending("DPD")
				}
			}
		case phase1(x) && !sa.Established.IsZero():
			// The last message of aggressive mode comes after the SA is up.
		case x == "QUICK_MODE" && strings.HasSuffix(msg, "[ HASH ]"):
			// QM3 completes quick mode; it is not a new request.
		case x != sa.pending || !sa.answered:
			sa.setPending(x)
		}
		return
	}
	if m := parsRE.FindStringSubmatch(msg); m != nil {
		x := m[1]
		switch {
		case m[2] == "response" && x == sa.pending:
			sa.answered = true
			// IKEv2 exchanges are a request and its response; only
			// IKE_SA_INIT goes on (with IKE_AUTH).
			if sa.Version == 2 && x != "IKE_SA_INIT" {
				sa.setPending("")
			}
		case x == "INFORMATIONAL_V1" && strings.Contains(msg, "N(DPD_ACK)") && sa.pending == "DPD":
			sa.setPending("")
		case x == "QUICK_MODE" && m[2] == "request" && sa.respPending == "QUICK_MODE" && strings.HasSuffix(msg, "[ HASH ]"):
			sa.respPending = ""
		}
	}
}

func (sa *SA) setPending(x string) {
	sa.pending, sa.answered, sa.resent = x, false, 0
}

// Gave-up bookkeeping for the responder role: a daemon that retransmits
// its response gives up on an exchange the peer never completed.
func (sa *SA) gaveUp(ts time.Time) {
	sa.GaveUp = ts
	switch {
	case sa.pending != "":
		sa.Gave, sa.GaveAnswered = sa.pending, sa.answered
	case sa.respPending != "":
		sa.Gave, sa.GaveAnswered, sa.GaveAsResponder = sa.respPending, true, true
	}
}

func phase1(x string) bool {
	switch x {
	case "IKE_SA_INIT", "IKE_AUTH", "ID_PROT", "AGGRESSIVE":
		return true
	}
	return false
}

func errorNotify(name string) bool {
	switch name {
	case "NO_PROP", "NO_PROPOSAL_CHOSEN", "AUTH_FAILED", "AUTHENTICATION_FAILED", "TS_UNACCEPT", "TS_UNACCEPTABLE",
		"INVAL_KE", "INVALID_KE_PAYLOAD", "INVAL_SYN", "INVALID_SYNTAX", "INVALID_HASH_INFORMATION", "INVAL_HASH":
		return true
	}
	return false
}
