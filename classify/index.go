package classify

import (
	"bytes"
	"container/heap"
	"net/netip"
	"slices"
	"time"

	"github.com/ikescope/ikescope/decode"
)

// The tracker's cost is linear in packets and in SAs (issue 12): nothing
// scans every live SA per packet, per new SA or per second of capture time.
//
//   - byPeers indexes the live SAs by their pair of addresses, for the
//     questions asked of "the SAs between these two hosts": which SA a new
//     ESP flow belongs to, which negotiation a new SA supersedes, which IKE
//     SA an IKEv2 rekey came from.
//   - The live SAs form a list ordered by last activity (IKE or ESP), so the
//     one idle longest, which the --max-sas cap evicts, is at its head.
//   - Each live SA has a check time: the earliest moment at which idleDone
//     could turn true without another packet. A heap orders them, and the
//     once-a-second expiry looks only at SAs whose time has come or that saw
//     packets since the last expiry.

// peerKey is an unordered pair of addresses, as 16-byte arrays (IPv4
// mapped): no pointer for the collector to follow, unlike netip.Addr.
type peerKey struct{ a, b [16]byte }

func peersOf(x, y netip.Addr) peerKey {
	a, b := x.As16(), y.As16()
	if bytes.Compare(b[:], a[:]) < 0 {
		a, b = b, a
	}
	return peerKey{a, b}
}

// saLinks are an SA's places in the tracker's indexes.
type saLinks struct {
	peers      peerKey // the key the SA is filed under in byPeers
	prev, next *SA     // the activity list
	lastESP    time.Time
	checkAt    time.Time // when the SA is next looked at by expire
	heapIdx    int       // place in the check heap, -1 when not in it
	dirty      bool      // saw packets since it was last scheduled
	inLive     bool      // on the activity list
}

// indexPeers files sa under its current addresses, moving it if they
// changed.
func (t *Tracker) indexPeers(sa *SA) {
	k := peersOf(sa.Initiator.Addr(), sa.Responder.Addr())
	if k == sa.links.peers {
		return
	}
	t.unindexPeers(sa)
	sa.links.peers = k
	t.byPeers[k] = append(t.byPeers[k], sa)
}

func (t *Tracker) unindexPeers(sa *SA) {
	k := sa.links.peers
	l := t.byPeers[k]
	if i := slices.Index(l, sa); i >= 0 {
		l = slices.Delete(l, i, i+1)
		if len(l) == 0 {
			delete(t.byPeers, k)
		} else {
			t.byPeers[k] = l
		}
	}
	sa.links.peers = peerKey{}
}

// peersLive returns the live SAs between a and b, oldest first.
func (t *Tracker) peersLive(a, b netip.Addr) []*SA {
	l := t.byPeers[peersOf(a, b)]
	t.work.peerVisits += len(l)
	return l
}

// activity is a doubly linked list of the live SAs, least recently active
// first.
type activity struct {
	head, tail *SA
	n          int
}

func (l *activity) pushBack(sa *SA) {
	sa.links.inLive = true
	sa.links.prev, sa.links.next = l.tail, nil
	if l.tail != nil {
		l.tail.links.next = sa
	} else {
		l.head = sa
	}
	l.tail = sa
	l.n++
}

func (l *activity) remove(sa *SA) {
	if !sa.links.inLive {
		return
	}
	sa.links.inLive = false
	if sa.links.prev != nil {
		sa.links.prev.links.next = sa.links.next
	} else {
		l.head = sa.links.next
	}
	if sa.links.next != nil {
		sa.links.next.links.prev = sa.links.prev
	} else {
		l.tail = sa.links.prev
	}
	sa.links.prev, sa.links.next = nil, nil
	l.n--
}

// touch moves sa to the back: it was just active.
func (l *activity) touch(sa *SA) {
	if l.tail == sa || !sa.links.inLive {
		return
	}
	l.remove(sa)
	l.pushBack(sa)
}

// checkHeap orders the live SAs by check time (then ID, so that equal times
// pop in a fixed order). Each SA is in it at most once; links.heapIdx is its
// place, -1 when it is not in it (the zero value 0 is made -1 by newSA).
type checkHeap []*SA

func (h checkHeap) Len() int { return len(h) }
func (h checkHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if c := a.links.checkAt.Compare(b.links.checkAt); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}
func (h checkHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].links.heapIdx = i
	h[j].links.heapIdx = j
}
func (h *checkHeap) Push(x any) {
	sa := x.(*SA)
	sa.links.heapIdx = len(*h)
	*h = append(*h, sa)
}
func (h *checkHeap) Pop() any {
	old := *h
	sa := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	sa.links.heapIdx = -1
	return sa
}

// unschedule takes sa out of the check heap.
func (t *Tracker) unschedule(sa *SA) {
	if i := sa.links.heapIdx; i >= 0 && i < len(t.checks) && t.checks[i] == sa {
		heap.Remove(&t.checks, i)
	}
	sa.links.heapIdx = -1
}

// markDirty notes that sa saw a packet: its check time is worked out again
// at the next expiry.
func (t *Tracker) markDirty(sa *SA) {
	if !sa.links.dirty {
		sa.links.dirty = true
		t.dirty = append(t.dirty, sa)
		if len(t.dirty) >= maxDirty {
			t.scheduleDirty()
		}
	}
}

// maxDirty bounds the SAs waiting to be scheduled: a flood of 100 000 new
// SAs a second would otherwise keep every SA evicted in that second
// reachable until the next expiry.
const maxDirty = 1024

// scheduleDirty works out the check time of every SA that saw packets since
// it was last scheduled. Doing it early changes nothing: the check time
// follows from the SA's state, and a later packet marks it again.
func (t *Tracker) scheduleDirty() {
	for _, sa := range t.dirty {
		sa.links.dirty = false
		if !sa.finalized {
			t.schedule(sa, time.Time{})
		}
	}
	clear(t.dirty)
	t.dirty = t.dirty[:0]
}

// schedule sets sa's next check to the earliest moment after `after` at
// which idleDone could become true if no other packet came.
func (t *Tracker) schedule(sa *SA, after time.Time) {
	sa.links.checkAt = t.nextCheck(sa, after)
	if i := sa.links.heapIdx; i >= 0 && i < len(t.checks) && t.checks[i] == sa {
		heap.Fix(&t.checks, i)
		return
	}
	heap.Push(&t.checks, sa)
}

// nextCheck is the earliest time after `after` at which a condition of
// idleDone (or of the judgement it asks for) can change without a packet.
// Every such condition compares the clock with one of: the last activity
// plus the give-up gap, the last activity or last IKE message plus a second,
// or the moment a message's retransmissions evidently ran out (Message.ranOut).
// Taking the earliest of them all makes the expiry see an SA at the same
// once-a-second tick at which a scan of every SA would have.
func (t *Tracker) nextCheck(sa *SA, after time.Time) time.Time {
	var best time.Time
	consider := func(c time.Time) {
		if c.After(after) && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	last := lastActivity(sa)
	consider(last.Add(t.cfg.GiveUp + time.Nanosecond))
	if len(sa.x().errNotify) > 0 || sa.x().statusCode != 0 || len(sa.x().deletes) > 0 || hasPhase2OrInformational(sa) {
		consider(last.Add(time.Second))
		consider(sa.lastSeen.Add(time.Second))
	}
	for _, x := range sa.Exchanges {
		for _, m := range x.Messages {
			if at, ok := m.ranOutAt(); ok {
				consider(at)
			}
		}
	}
	if m := sa.lostCopies(); m != nil {
		if at, ok := m.ranOutAt(); ok {
			consider(at.Add(decode.FragmentTimeout)) // Tracker.lostRanOut
		}
	}
	if best.IsZero() {
		// Nothing left that time alone can change: look again after the
		// give-up gap, in case.
		best = after.Add(t.cfg.GiveUp)
	}
	return best
}

func hasPhase2OrInformational(sa *SA) bool {
	for _, x := range sa.Exchanges {
		if x.Phase != 1 {
			return true
		}
	}
	return false
}

// ranOutAt is the first moment at which ranOut reports true, if it can.
func (m *Message) ranOutAt() (time.Time, bool) {
	n := len(m.SendTimes)
	if n < 3 {
		return time.Time{}, false
	}
	var iv time.Duration
	for i := 1; i < n; i++ {
		if d := m.SendTimes[i].Sub(m.SendTimes[i-1]); d > iv {
			iv = d
		}
	}
	if iv <= 0 {
		return time.Time{}, false
	}
	// ranOut: silent for more than twice the longest interval.
	return m.SendTimes[n-1].Add(2*iv + time.Nanosecond), true
}

// saRare is the part of an SA's state that most SAs never need: a Windows
// status notify, error notifies, Deletes, a superseding SA, lost IP
// fragments, a decrypted phase-2 offer. It is allocated on first write
// (SA.xw); SA.x reads it, or a shared zero value. 250 bytes less for each
// of the 100 000 SAs a flood of IKE_SA_INIT keeps open (issue 12).
type saRare struct {
	// Windows status notify (12345) seen, and the error notifies.
	statusCode   uint32
	statusFrame  int
	statusTime   time.Time
	statusPhase  int
	errNotify    []notifySeen
	childOffer   childOffer // the latest decrypted phase-2 offer (--keys)
	deletes      []deleteSeen
	supersededBy *SA
	fragsLost    []*decode.Datagram
}

// noRare is what SA.x returns for an SA without rare state. It is never
// written (TestNoRareUntouched).
var noRare saRare

// x returns the SA's rare state for reading.
func (s *SA) x() *saRare {
	if s.rare == nil {
		return &noRare
	}
	return s.rare
}

// xw returns the SA's rare state for writing, allocating it.
func (s *SA) xw() *saRare {
	if s.rare == nil {
		s.rare = &saRare{}
	}
	return s.rare
}
