package classify_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/decode"
)

var (
	ini = netip.MustParseAddrPort("192.0.2.10:500")
	rsp = netip.MustParseAddrPort("198.51.100.20:500")
	t0  = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// step is one message on the wire in a state-machine table.
type step struct {
	at      time.Duration
	r2i     bool
	ver     uint8
	exch    decode.ExchangeType
	msgid   uint32
	enc     bool
	length  uint32 // also what makes a message distinct from a retransmission
	notify  uint16
	win     uint32
	ispi    uint64
	rspi    uint64
	inner   decode.PayloadType
	request bool // an IKEv2 request sent by the original responder
}

func frameOf(s step) *decode.Frame {
	if s.ispi == 0 {
		s.ispi = 0x1111
	}
	m := &decode.Message{Header: decode.Header{InitSPI: s.ispi, RespSPI: s.rspi, Major: s.ver, Exchange: s.exch, MsgID: s.msgid, Length: s.length}}
	m.Digest = uint64(s.length)<<32 | uint64(s.exch)<<8 | uint64(s.msgid)
	if s.r2i {
		m.Digest ^= 0xabcdef
	}
	if s.enc {
		m.Flags |= decode.FlagEncrypted
	}
	if s.ver == 2 {
		if s.r2i && !s.request {
			m.Flags |= decode.FlagResponse
		} else if !s.r2i {
			m.Flags |= decode.FlagInitiator
		}
		if s.inner != 0 {
			m.Payloads = append(m.Payloads, decode.Payload{Type: decode.PayloadSK, Encrypted: &decode.Encrypted{InnerNext: s.inner}})
		}
	}
	if s.notify != 0 || s.win != 0 {
		n := &decode.Notify{Major: s.ver, Type: s.notify}
		if s.win != 0 {
			n.Type, n.WinError, n.HasWinError = decode.NotifyMSStatus, s.win, true
		}
		pt := decode.PayloadNotify
		if s.ver == 2 {
			pt = decode.PayloadNotifyv2
		}
		m.Payloads = append(m.Payloads, decode.Payload{Type: pt, Notify: n})
	}
	f := &decode.Frame{Kind: decode.KindIKE, Src: ini, Dst: rsp, Proto: 17, IKE: m}
	if s.r2i {
		f.Src, f.Dst = rsp, ini
	}
	return f
}

func mm(n int, at time.Duration) step {
	return step{at: at, r2i: n%2 == 0, ver: 1, exch: decode.ExchangeMainMode, enc: n >= 5, length: uint32(100 + n), rspi: map[bool]uint64{true: 0x2222}[n > 1]}
}

func qm(n int, at time.Duration) step {
	return step{at: at, r2i: n == 2, ver: 1, exch: decode.ExchangeQuickMode, msgid: 7, enc: true, length: uint32(200 + n), rspi: 0x2222}
}

func TestStateMachine(t *testing.T) {
	retx := func(s step, at time.Duration) step { s.at = at; return s }
	cases := []struct {
		name  string
		steps []step
		end   time.Duration // clock advanced to this before Finish
		want  classify.Class
		code  uint32
		// open: the verdict must not be final (the capture ended before the
		// sender was seen to give up).
		open bool
	}{
		{"established v1", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5), qm(1, 6), qm(2, 7), qm(3, 8)}, 10, classify.Established, 0, false},
		{"no response", []step{mm(1, 0), retx(mm(1, 0), 4), retx(mm(1, 0), 11), retx(mm(1, 0), 24)}, 300, classify.NoResponse, 13813, false},
		// One send, not yet retransmitted: nothing shows a failure yet.
		{"in progress", []step{mm(1, 0)}, 2, classify.InProgress, 0, true},
		{"in progress after answers", []step{mm(1, 0), mm(2, 1), mm(3, 2)}, 3, classify.InProgress, 0, true},
		// Retransmitted with no answer when the capture ends: the failure of
		// its phase, not final (the give-up is not in the capture).
		{"still retransmitting at the end", []step{mm(1, 0), retx(mm(1, 0), 4)}, 4, classify.NoResponse, 13813, true},
		{"MM5 still retransmitted at the end", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), retx(mm(5, 4), 5)}, 5, classify.MMDelayDrop, 13814, true},
		{"QM1 still retransmitted at the end", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5), qm(1, 6), retx(qm(1, 6), 7)}, 7, classify.QMAcquireDrop, 13810, true},
		{"QM2 resent after QM3 at the end", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5), qm(1, 6), qm(2, 6), qm(3, 6), retx(qm(2, 6), 7)}, 7, classify.QMDelayDrop, 13815, true},
		{"DPD unanswered at the end", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5),
			{at: 20, ver: 1, exch: decode.ExchangeInformational, msgid: 41, enc: true, length: 92, rspi: 0x2222},
			{at: 22, ver: 1, exch: decode.ExchangeInformational, msgid: 42, enc: true, length: 92, rspi: 0x2222}}, 22, classify.DeadPeer, 13886, true},
		{"IKEv2 INFORMATIONAL retransmitted at the end", []step{
			{at: 0, ver: 2, exch: decode.ExchangeIKESAInit, length: 300},
			{at: 1, r2i: true, ver: 2, exch: decode.ExchangeIKESAInit, length: 280, rspi: 0x2222},
			{at: 2, ver: 2, exch: decode.ExchangeIKEAuth, msgid: 1, length: 400, rspi: 0x2222, inner: 35},
			{at: 3, r2i: true, ver: 2, exch: decode.ExchangeIKEAuth, msgid: 1, length: 380, rspi: 0x2222, inner: 36},
			{at: 30, ver: 2, exch: decode.ExchangeInformationalV2, msgid: 2, length: 80, rspi: 0x2222, inner: 0},
			{at: 31, ver: 2, exch: decode.ExchangeInformationalV2, msgid: 2, length: 80, rspi: 0x2222, inner: 0},
		}, 31, classify.DeadPeer, 13886, true},
		// A Delete as the very last packet decides at once.
		{"local delete as the last packet", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5), qm(1, 6), retx(qm(1, 6), 7),
			{at: 8, ver: 1, exch: decode.ExchangeInformational, msgid: 77, enc: true, length: 108, rspi: 0x2222}}, 8, classify.SAReaped, 13808, false},
		// The responder's informational came only after QM1 had been sent
		// again: not "answered at once", so not a refusal of phase 2 but
		// the peer's Delete.
		{"informational after a QM retransmission", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5), qm(1, 6), retx(qm(1, 6), 7),
			{at: 7, r2i: true, ver: 1, exch: decode.ExchangeInformational, msgid: 78, enc: true, length: 108, rspi: 0x2222}}, 7, classify.SADeleted, 13807, false},
		// Answered at once, but a fresh phase 1 from the initiator follows:
		// its IKE SA was gone, so the informational was a Delete.
		{"informational then a fresh phase 1", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5), qm(1, 6),
			{at: 6, r2i: true, ver: 1, exch: decode.ExchangeInformational, msgid: 78, enc: true, length: 108, rspi: 0x2222},
			{at: 6, ver: 1, exch: decode.ExchangeMainMode, length: 101, ispi: 0x3333}}, 8, classify.SADeleted, 13807, false},
		{"psk mismatch stalls at MM5", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), retx(mm(5, 4), 8), retx(mm(5, 4), 16)}, 300, classify.MMDelayDrop, 13814, false},
		{"qm acquire drop", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5), qm(1, 6), retx(qm(1, 6), 10), retx(qm(1, 6), 20)}, 300, classify.QMAcquireDrop, 13810, false},
		{"qm delay drop", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5), qm(1, 6), qm(2, 7), retx(qm(2, 7), 17)}, 300, classify.QMDelayDrop, 13815, false},
		{"proposal mismatch", []step{mm(1, 0), {at: 1, r2i: true, ver: 1, exch: decode.ExchangeInformational, length: 40, notify: 14}}, 300, classify.ProposalMismatch, 0, false},
		{"auth failed v2", []step{
			{at: 0, ver: 2, exch: decode.ExchangeIKESAInit, length: 300},
			{at: 1, r2i: true, ver: 2, exch: decode.ExchangeIKESAInit, length: 280, rspi: 0x2222, notify: 24},
		}, 300, classify.AuthFailed, 13801, false},
		{"windows status notify", []step{
			{at: 0, ver: 2, exch: decode.ExchangeIKESAInit, length: 300},
			{at: 1, r2i: true, ver: 2, exch: decode.ExchangeIKESAInit, length: 60, rspi: 0x2222, win: 13806},
		}, 2, classify.MMDelayDrop, 13806, false},
		{"superseded while retransmitting", []step{
			mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), retx(mm(5, 4), 8),
			{at: 10, ver: 1, exch: decode.ExchangeMainMode, length: 101, ispi: 0x3333},
			retx(mm(5, 4), 16),
		}, 20, classify.SAReaped, 13808, false},
		{"peer delete while qm pending v2", []step{
			{at: 0, ver: 2, exch: decode.ExchangeIKESAInit, length: 300},
			{at: 1, r2i: true, ver: 2, exch: decode.ExchangeIKESAInit, length: 280, rspi: 0x2222},
			{at: 2, ver: 2, exch: decode.ExchangeIKEAuth, msgid: 1, length: 400, rspi: 0x2222, inner: 35},
			{at: 3, r2i: true, ver: 2, exch: decode.ExchangeIKEAuth, msgid: 1, length: 380, rspi: 0x2222, inner: 36},
			{at: 10, ver: 2, exch: decode.ExchangeCreateChildSA, msgid: 2, length: 300, rspi: 0x2222, inner: 33},
			{at: 11, r2i: true, ver: 2, exch: decode.ExchangeInformationalV2, msgid: 0, length: 80, rspi: 0x2222, inner: 42, request: true},
		}, 20, classify.SADeleted, 13807, false},
		// A successful IKE_AUTH response begins with IDr; one whose SK
		// begins with a Notify is an error, in practice AUTHENTICATION_FAILED.
		{"IKE_AUTH answered by a lone notify", []step{
			{at: 0, ver: 2, exch: decode.ExchangeIKESAInit, length: 300},
			{at: 1, r2i: true, ver: 2, exch: decode.ExchangeIKESAInit, length: 280, rspi: 0x2222},
			{at: 2, ver: 2, exch: decode.ExchangeIKEAuth, msgid: 1, length: 400, rspi: 0x2222, inner: 35},
			{at: 3, r2i: true, ver: 2, exch: decode.ExchangeIKEAuth, msgid: 1, length: 80, rspi: 0x2222, inner: 41},
		}, 5, classify.AuthFailed, 13801, false},
		// ... unless the SA goes on: then it was up after all.
		{"lone notify in IKE_AUTH, then a child SA", []step{
			{at: 0, ver: 2, exch: decode.ExchangeIKESAInit, length: 300},
			{at: 1, r2i: true, ver: 2, exch: decode.ExchangeIKESAInit, length: 280, rspi: 0x2222},
			{at: 2, ver: 2, exch: decode.ExchangeIKEAuth, msgid: 1, length: 400, rspi: 0x2222, inner: 35},
			{at: 3, r2i: true, ver: 2, exch: decode.ExchangeIKEAuth, msgid: 1, length: 80, rspi: 0x2222, inner: 41},
			{at: 4, ver: 2, exch: decode.ExchangeCreateChildSA, msgid: 2, length: 300, rspi: 0x2222, inner: 33},
			{at: 5, r2i: true, ver: 2, exch: decode.ExchangeCreateChildSA, msgid: 2, length: 280, rspi: 0x2222, inner: 33},
		}, 8, classify.Established, 0, false},
		// The retransmission schedule ran out (twice the longest interval
		// of silence) long before the give-up gap: final, not in progress.
		{"gave up by its own schedule", []step{mm(1, 0), retx(mm(1, 0), 1), retx(mm(1, 0), 3), retx(mm(1, 0), 6)}, 13, classify.NoResponse, 13813, false},
		{"schedule not yet run out", []step{mm(1, 0), retx(mm(1, 0), 1), retx(mm(1, 0), 3), retx(mm(1, 0), 6)}, 11, classify.NoResponse, 13813, true},
		// QM3 sent, but the responder kept resending QM2 until it gave up.
		{"qm3 lost", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5), qm(1, 6), qm(2, 7), qm(3, 8),
			retx(qm(2, 7), 9), retx(qm(3, 8), 9), retx(qm(2, 7), 11), retx(qm(3, 8), 11)}, 20, classify.QMDelayDrop, 13815, false},
		// The responder answered MM1, the initiator kept resending MM1: the
		// answers never reached it.
		// Quick mode answered at once by an encrypted informational and
		// never sent again: the responder refused phase 2.
		{"quick mode refused by an encrypted notify", []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5), qm(1, 6),
			{at: 6, r2i: true, ver: 1, exch: decode.ExchangeInformational, msgid: 99, enc: true, length: 76, rspi: 0x2222}}, 10, classify.ProposalMismatch, 0, false},
		{"answers lost on the way back", []step{mm(1, 0), mm(2, 1), retx(mm(1, 0), 2), retx(mm(2, 1), 2), retx(mm(1, 0), 4), retx(mm(2, 1), 4)}, 300, classify.NoResponse, 13813, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := classify.NewTracker(classify.DefaultConfig())
			for i, s := range c.steps {
				ts := t0.Add(s.at * time.Second)
				tr.Observe(classify.Input{Frame: i + 1, Time: ts, F: frameOf(s)})
			}
			tr.Advance(t0.Add(c.end * time.Second))
			tr.Finish()
			sas := tr.Results()
			if len(sas) == 0 {
				t.Fatal("no SA")
			}
			v := sas[0].Verdict
			if v.Class != c.want {
				t.Fatalf("class %s (%s), want %s; evidence %#v", v.Class, v.Summary, c.want, v.Evidence)
			}
			if c.code != 0 && v.WindowsCode != c.code {
				t.Errorf("windows code %d, want %d", v.WindowsCode, c.code)
			}
			if len(v.Hints) > 3 {
				t.Errorf("%d hints, want at most 3", len(v.Hints))
			}
			if v.Final == c.open {
				t.Errorf("final %v, want %v (%s)", v.Final, !c.open, v.Summary)
			}
		})
	}
}

// TestChildLifetimeEvents: with the windows profile's phase-2 defaults
// (100 000 KB, 60 min), a child SA whose ESP carries more than 100 000 KB
// with no newer child taking over gets a lifetime_kilobytes event; under the
// strongswan profile (no defaults) it does not.
func TestChildLifetimeEvents(t *testing.T) {
	for _, c := range []struct {
		profile string
		want    bool
	}{{"windows", true}, {"strongswan", false}} {
		cfg := classify.Profiles[c.profile]
		tr := classify.NewTracker(cfg)
		n := 0
		feed := func(at time.Duration, f *decode.Frame) {
			n++
			tr.Observe(classify.Input{Frame: n, Time: t0.Add(at), F: f})
		}
		for i, s := range []step{mm(1, 0), mm(2, 1), mm(3, 2), mm(4, 3), mm(5, 4), mm(6, 5), qm(1, 6), qm(2, 7), qm(3, 8)} {
			feed(time.Duration(i)*time.Millisecond, frameOf(s))
		}
		// 110 packets of 1 MB each way: 110 000 KB per SPI.
		for i := range 110 {
			for _, d := range []struct {
				spi      uint32
				src, dst netip.AddrPort
			}{{0xaaaa, ini, rsp}, {0xbbbb, rsp, ini}} {
				feed(time.Second+time.Duration(i)*10*time.Millisecond, &decode.Frame{Kind: decode.KindESP, Src: d.src, Dst: d.dst, Proto: 50,
					ESP: decode.ESPHeader{SPI: d.spi, Seq: uint32(i + 1), Len: 1 << 20}})
			}
		}
		tr.Finish()
		sas := tr.Results()
		if len(sas) != 1 {
			t.Fatalf("%s: %d SAs", c.profile, len(sas))
		}
		got := false
		for _, e := range sas[0].Events {
			got = got || e.Type == "lifetime_kilobytes"
		}
		if got != c.want {
			t.Errorf("%s: lifetime_kilobytes event %v, want %v (events %+v)", c.profile, got, c.want, sas[0].Events)
		}
		if ch := sas[0].Children; len(ch) != 1 || ch[0].SPIi != "0000bbbb" || ch[0].SPIr != "0000aaaa" {
			t.Errorf("%s: child SPIs not tied from ESP: %+v", c.profile, ch)
		}
	}
}

// TestOrphanESPExpire: ESP tied to no IKE SA is forgotten after the
// give-up gap in a live run (KeepDone off), and kept for the report in
// analyze (KeepDone on).
func TestOrphanESPExpire(t *testing.T) {
	for _, keep := range []bool{false, true} {
		tr := classify.NewTracker(classify.DefaultConfig())
		tr.KeepDone = keep
		for i := range 100 {
			tr.Observe(classify.Input{Frame: i + 1, Time: t0.Add(time.Duration(i) * time.Millisecond),
				F: &decode.Frame{Kind: decode.KindESP, Src: ini, Dst: rsp, Proto: 50, ESP: decode.ESPHeader{SPI: uint32(0x100 + i), Seq: 1, Len: 100}}})
		}
		tr.Advance(t0.Add(10 * time.Second))
		if n := len(tr.OrphanESP()); n != 100 {
			t.Fatalf("keep=%v: %d orphan flows before the gap, want 100", keep, n)
		}
		tr.Advance(t0.Add(classify.DefaultConfig().GiveUp + 20*time.Second))
		want := 0
		if keep {
			want = 100
		}
		if n := len(tr.OrphanESP()); n != want {
			t.Errorf("keep=%v: %d orphan flows after the gap, want %d", keep, n, want)
		}
	}
}

// TestLongLivedSABounded: thousands of DPD exchanges on one IKE SA do not
// make it keep thousands of exchanges.
func TestLongLivedSABounded(t *testing.T) {
	tr := classify.NewTracker(classify.DefaultConfig())
	n := 0
	feed := func(s step) {
		n++
		tr.Observe(classify.Input{Frame: n, Time: t0.Add(s.at * time.Second), F: frameOf(s)})
	}
	feed(step{at: 0, ver: 2, exch: decode.ExchangeIKESAInit, length: 300})
	feed(step{at: 0, r2i: true, ver: 2, exch: decode.ExchangeIKESAInit, length: 280, rspi: 0x2222})
	feed(step{at: 0, ver: 2, exch: decode.ExchangeIKEAuth, msgid: 1, length: 400, rspi: 0x2222, inner: 35})
	feed(step{at: 0, r2i: true, ver: 2, exch: decode.ExchangeIKEAuth, msgid: 1, length: 380, rspi: 0x2222, inner: 36})
	for i := range 3000 {
		at := time.Duration(1 + i)
		feed(step{at: at, ver: 2, exch: decode.ExchangeInformationalV2, msgid: uint32(2 + i), length: 80, rspi: 0x2222})
		feed(step{at: at, r2i: true, ver: 2, exch: decode.ExchangeInformationalV2, msgid: uint32(2 + i), length: 80, rspi: 0x2222})
	}
	tr.Finish()
	sa := tr.Results()[0]
	if len(sa.Exchanges) > 200 {
		t.Errorf("%d exchanges kept after 3000 DPD exchanges", len(sa.Exchanges))
	}
	if sa.DroppedExchanges == 0 || sa.Verdict.Class != classify.Established {
		t.Errorf("dropped %d exchanges, verdict %s", sa.DroppedExchanges, sa.Verdict.Class)
	}
}
