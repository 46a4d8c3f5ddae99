package classify

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ikescope/ikescope/decode"
)

// floodFrame is an IKEv2 IKE_SA_INIT request from the i-th initiator to
// one gateway.
func floodFrame(i int, ispi uint64) *decode.Frame {
	src := netip.AddrPortFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 1, 14: byte(i >> 8), 15: byte(i)}), 500)
	m := &decode.Message{Header: decode.Header{InitSPI: ispi, Major: 2, Exchange: decode.ExchangeIKESAInit, Length: 300, Flags: decode.FlagInitiator}}
	m.Digest = ispi
	return &decode.Frame{Kind: decode.KindIKE, Src: src, Dst: netip.MustParseAddrPort("[2001:db8:ffff::1]:500"), Proto: 17, IKE: m}
}

// TestFloodLinear: unanswered IKE_SA_INIT requests from 20 000 distinct
// initiators over 200 s of capture time. The tracker must look at each SA a
// bounded number of times (not once per second of capture per live SA, as a
// scan of every SA would: about 2 million looks here), must not look at
// other hosts' SAs when a new one starts, and must still judge every one.
func TestFloodLinear(t *testing.T) {
	const n = 20000
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tr := NewTracker(DefaultConfig())
	for i := range n {
		tr.Observe(Input{Frame: i + 1, Time: t0.Add(time.Duration(i) * 10 * time.Millisecond), F: floodFrame(i, uint64(i+1))})
	}
	tr.Finish()
	res := tr.Results()
	if len(res) != n {
		t.Fatalf("%d SAs judged, want %d", len(res), n)
	}
	byClass := map[Class]int{}
	for _, sa := range res {
		byClass[sa.Verdict.Class]++
	}
	// Each request was sent once: those silent for longer than the give-up
	// gap before the end got no response; the last 100 s are in progress.
	if byClass[NoResponse]+byClass[InProgress] != n || byClass[NoResponse] < n/3 {
		t.Errorf("classes %v", byClass)
	}
	if tr.work.idleChecks > 3*n {
		t.Errorf("%d idle checks for %d SAs: the expiry scans every SA", tr.work.idleChecks, n)
	}
	if tr.work.peerVisits > n {
		t.Errorf("%d SAs visited finding peers for %d new SAs", tr.work.peerVisits, n)
	}
	t.Logf("%d idle checks, %d peer visits for %d SAs", tr.work.idleChecks, tr.work.peerVisits, n)
}

// TestRetransmitFloodLinear: one request sent 100 000 times keeps a bounded
// record and is looked at a bounded number of times per second of capture.
func TestRetransmitFloodLinear(t *testing.T) {
	const n = 100000
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tr := NewTracker(DefaultConfig())
	for i := range n {
		tr.Observe(Input{Frame: i + 1, Time: t0.Add(time.Duration(i) * time.Millisecond), F: floodFrame(0, 42)})
	}
	tr.Finish()
	res := tr.Results()
	if len(res) != 1 {
		t.Fatalf("%d SAs, want 1", len(res))
	}
	x := res[0].Exchanges[0]
	m := x.Messages[0]
	if len(x.Messages) != 1 || m.Retransmissions() != n-1 || len(m.SendTimes) > 64 || len(m.Frames) != len(m.SendTimes) {
		t.Errorf("%d messages, %d retransmissions, %d send times and %d frames kept", len(x.Messages), m.Retransmissions(), len(m.SendTimes), len(m.Frames))
	}
	// The last copy kept is the latest, with its frame.
	if last := len(m.Frames) - 1; m.Frames[last] != n || !m.SendTimes[last].Equal(t0.Add((n-1)*time.Millisecond)) {
		t.Errorf("last copy kept: frame %d at %v", m.Frames[last], m.SendTimes[last])
	}
	// The texts count every copy, not the ones kept.
	var texts []string
	for _, e := range res[0].Verdict.Evidence {
		texts = append(texts, e.Text)
	}
	texts = append(texts, res[0].Verdict.Hints...)
	all := strings.Join(texts, "\n")
	for _, want := range []string{"sent 100000 time(s)", "100000 sends over", "sent 100000 times over", "schedule of the first 63 and the last: "} {
		if !strings.Contains(all, want) {
			t.Errorf("verdict texts lack %q:\n%s", want, all)
		}
	}
	u := res[0].Verdict.Unanswered
	if u == nil || u.Sends != n || len(u.Frames) != len(u.Times) || u.Frames[len(u.Frames)-1] != n {
		t.Errorf("verdict's unanswered request: %+v", u)
	}
	// 100 s of capture: at most a look per second, and one at the end.
	if tr.work.idleChecks > 110 {
		t.Errorf("%d idle checks", tr.work.idleChecks)
	}
}

// TestCheckHeapOrder: SAs due at once are finalised in the order of their
// IDs, and a finalised SA leaves the heap.
func TestCheckHeapOrder(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var order []int
	tr := NewTracker(DefaultConfig())
	tr.KeepDone = false
	tr.Emit = func(sa *SA) { order = append(order, sa.ID) }
	for i := range 50 {
		// Reverse start order within the same second.
		tr.Observe(Input{Frame: i + 1, Time: t0.Add(time.Duration(50-i) * time.Millisecond), F: floodFrame(i, uint64(i+1))})
	}
	tr.Advance(t0.Add(5 * time.Minute))
	if len(order) != 50 || tr.Live() != 0 || len(tr.checks) != 0 {
		t.Fatalf("%d emitted, %d live, %d in the heap", len(order), tr.Live(), len(tr.checks))
	}
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Fatalf("emitted out of ID order: %v", order)
		}
	}
}

// TestNoRareUntouched: the shared zero value that SA.x returns for SAs
// without rare state is never written, whatever the captures hold.
func TestNoRareUntouched(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tr := NewTracker(DefaultConfig())
	for i := range 100 {
		tr.Observe(Input{Frame: i + 1, Time: t0.Add(time.Duration(i) * time.Second), F: floodFrame(i, uint64(i+1))})
	}
	tr.Finish()
	if !NoRareIsZero() {
		t.Fatalf("noRare was written: %+v", noRare)
	}
}
