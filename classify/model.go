// Package classify follows IKE SAs through their exchanges and gives each a
// verdict: established, or which failure, with the evidence, the Windows
// error it corresponds to and what to check.
//
// It does no I/O and never reads the clock: time comes only from packet
// timestamps and from Tracker.Advance, so replaying a capture gives the
// same result every time.
package classify

import (
	"net/netip"
	"time"

	"github.com/ikescope/ikescope/decode"
)

// Class is a verdict class (DESIGN.md "Verdicts").
type Class string

// Verdict classes.
const (
	Established      Class = "established"
	NoResponse       Class = "no_response"
	MMDelayDrop      Class = "mm_delay_drop"
	QMAcquireDrop    Class = "qm_acquire_drop"
	QMDelayDrop      Class = "qm_delay_drop"
	SAReaped         Class = "sa_reaped"
	SADeleted        Class = "sa_deleted"
	ProposalMismatch Class = "proposal_mismatch"
	AuthFailed       Class = "auth_failed"
	DeadPeer         Class = "dead_peer"
	LifetimeExpired  Class = "lifetime_expired"
	InProgress       Class = "in_progress"
)

// Classes lists every class in the order of DESIGN.md.
var Classes = []Class{Established, NoResponse, MMDelayDrop, QMAcquireDrop, QMDelayDrop, SAReaped, SADeleted,
	ProposalMismatch, AuthFailed, DeadPeer, LifetimeExpired, InProgress}

// ClassWindowsCode is the Windows error a class most likely corresponds to
// (0 when none).
var ClassWindowsCode = map[Class]uint32{
	NoResponse:      13813,
	MMDelayDrop:     13814,
	QMAcquireDrop:   13810,
	QMDelayDrop:     13815,
	SAReaped:        13808,
	SADeleted:       13807,
	AuthFailed:      13801,
	DeadPeer:        13886,
	LifetimeExpired: 13885,
}

// Dir is the direction of a message relative to the IKE SA.
type Dir uint8

// Directions.
const (
	I2R Dir = iota // initiator to responder
	R2I            // responder to initiator
)

func (d Dir) String() string {
	if d == I2R {
		return "i2r"
	}
	return "r2i"
}

// Message is one distinct message of an exchange, with its retransmissions.
type Message struct {
	Frame     int
	Source    int // index of the capture file
	Time      time.Time
	Dir       Dir
	Length    int
	Encrypted bool
	SendTimes []time.Time // first send and every retransmission (at most 64; see ExtraSends)
	// ExtraSends counts copies beyond the 64 kept in SendTimes (whose last
	// entry then is the latest copy).
	ExtraSends int
	// Frames are the frame numbers of the copies in SendTimes, in step
	// with it.
	Frames   []int
	Payloads []decode.PayloadType
	Notifies []uint16
	// IDs are the unencrypted identification payloads (IKEv1 ID in
	// aggressive and quick mode, IKEv2 IDi/IDr outside SK), their data
	// cut to maxIDData bytes. The bytes are the peer's: escape them.
	IDs []decode.Identity
	// IPFragments is the number of IP fragments the datagram arrived in
	// (0 when it was not fragmented).
	IPFragments int
	// InnerNext is the first payload inside an IKEv2 SK payload.
	InnerNext decode.PayloadType
	// Decrypted: the encrypted payloads were decrypted with keys (--keys),
	// so Payloads and Notifies list what the message really carried.
	Decrypted bool
	digest    uint64
}

// Retransmissions is the number of times the message was sent again.
// lastSend is when the latest copy of m was sent.
func (m *Message) lastSend() time.Time { return m.SendTimes[len(m.SendTimes)-1] }

func (m *Message) Retransmissions() int { return len(m.SendTimes) - 1 + m.ExtraSends }

// Exchange is one exchange of an IKE SA.
type Exchange struct {
	Type      decode.ExchangeType
	Name      string
	MsgID     uint32
	Phase     int // 1, 2, or 0 for informational
	Messages  []*Message
	Completed bool
	Start     time.Time
	End       time.Time // time of the completing message
	// Rejected is set for an IKEv2 IKE_SA_INIT answered with
	// INVALID_KE_PAYLOAD or COOKIE: a retry follows.
	Rejected bool
	ikeRekey bool // an IKEv2 CREATE_CHILD_SA that rekeyed the IKE SA
	// childLife holds the lifetimes of a decrypted phase-2 proposal (only
	// the lifetimes: a whole Proposal in every exchange doubled its size).
	childLife    childLifetimes
	childLifeSet bool
}

// distinct counts the distinct messages sent in a direction.
func (x *Exchange) distinct(d Dir) int {
	n := 0
	for _, m := range x.Messages {
		if m.Dir == d {
			n++
		}
	}
	return n
}

// Retransmissions adds up the retransmissions of every message.
func (x *Exchange) Retransmissions() int {
	n := 0
	for _, m := range x.Messages {
		n += m.Retransmissions()
	}
	return n
}

// last is the time of the last send in the exchange.
func (x *Exchange) last() time.Time {
	var t time.Time
	for _, m := range x.Messages {
		if s := m.lastSend(); s.After(t) {
			t = s
		}
	}
	return t
}

// Proposal is the negotiated (or offered) IKE SA proposal in readable form.
type Proposal struct {
	Encryption        string
	Integrity         string
	PRF               string
	DHGroup           string
	DHGroupID         uint16
	Auth              string
	LifetimeSeconds   uint64
	LifetimeKilobytes uint64
}

// VendorID is a vendor ID seen on the SA.
type VendorID struct {
	Hex  string
	Name string
	Dir  Dir
}

// ESPStats counts the ESP packets of one SPI in one direction.
type ESPStats struct {
	SPI         uint32
	Src, Dst    netip.AddrPort
	NATT        bool
	Packets     uint64
	Bytes       uint64
	First, Last time.Time
	FirstFrame  int
	LastFrame   int
	LastSeq     uint32
	SeqGaps     uint64    // sequence numbers skipped
	Dir         Dir       // relative to the IKE SA it is tied to
	sa          *SA       // that IKE SA, while it is live
	nextSPI     *ESPStats // the next flow with the same SPI (Tracker.esp)
}

// ChildSA is a phase-2 SA: an IKEv1 quick mode or the child of an IKEv2
// IKE_AUTH or CREATE_CHILD_SA exchange.
type ChildSA struct {
	Protocol          string
	SPIi, SPIr        string // hex, where visible
	Exchange          *Exchange
	Established       time.Time
	LifetimeSeconds   uint64
	LifetimeKilobytes uint64
	Rekeyed           bool
	Deleted           bool
	// ESP is the traffic attributed to this child: without keys the SPIs
	// of a negotiation are not visible, so each ESP SPI goes to the newest
	// child established before it was first seen whose slot for that
	// direction is free (a rekey brings a new pair of SPIs).
	ESP []*ESPStats
}

// Event is something notable that happened on an SA besides its class.
type Event struct {
	Type  string // rekey, natt, ike_fragmented, ip_fragments_lost, retransmitted, ...
	Frame int
	Time  time.Time
	Text  string
}

// Evidence is one fact behind a verdict.
type Evidence struct {
	Frame int
	Time  time.Time
	Text  string
}

// Verdict is the outcome of an IKE SA.
type Verdict struct {
	Class Class
	// Final is false while the verdict can still change (in_progress,
	// or a live SA).
	Final bool
	// WindowsCode is the Windows error (0 when none); Certain is true only
	// when it came from a Microsoft status notify.
	WindowsCode uint32
	Certain     bool
	Summary     string
	Evidence    []Evidence
	Hints       []string
	// Unanswered is the request a failure rests on (rules 5 and 6), with
	// every copy of it seen; nil for other verdicts.
	Unanswered *Unanswered
}

// Unanswered is a request that got no answer: the sends seen of it.
type Unanswered struct {
	Exchange string
	Sender   Dir
	Frames   []int
	Times    []time.Time
	// Sends counts the copies when more were sent than Times keeps.
	Sends int
	// Fragments: each copy arrived only in part (some of its IP fragments).
	Fragments bool
	// GaveUp: the sender was seen to stop; otherwise the capture ended
	// while it was still sending.
	GaveUp bool
}

// SA is one IKE SA.
type SA struct {
	ID        int
	Version   int
	Mode      string // main, aggressive, ikev2
	InitSPI   uint64
	RespSPI   uint64
	Initiator netip.AddrPort
	Responder netip.AddrPort
	NATT      bool

	Started     time.Time
	Established time.Time // zero until phase 1 completes
	Ended       time.Time // zero while it lives

	Offered   []Proposal
	Proposal  *Proposal
	VendorIDs []VendorID
	Exchanges []*Exchange
	Children  []*ChildSA
	ESP       []*ESPStats
	Events    []Event
	Verdict   Verdict

	// rare holds what only some SAs have (index.go: saRare); nil until
	// then, so that a flood of SAs that each saw one message stays small.
	rare      *saRare
	lastSeen  time.Time
	lastFrame int
	finalized bool
	// DroppedExchanges counts completed informational exchanges (DPD and
	// the like) dropped from Exchanges to bound a long-lived SA's memory.
	DroppedExchanges int
	links            saLinks
}

type notifySeen struct {
	Type  uint16
	Dir   Dir
	Frame int
	Time  time.Time
	Phase int
	// Likely: inferred from an encrypted message's layout, not read.
	Likely bool
	// Decrypted: read from a decrypted payload (--keys).
	Decrypted bool
	// Child: an IKEv2 notify about the child SA of an IKE_AUTH response
	// that also carries AUTH (RFC 7296 §1.2: the IKE SA is up).
	Child bool
}

type deleteSeen struct {
	Dir     Dir
	Frame   int
	Time    time.Time
	Certain bool // an unencrypted Delete or an IKEv2 SK whose first inner payload is D
	IKE     bool // the IKE SA itself (protocol ISAKMP/IKE), where visible
	// Read: the Delete payload itself was decoded (clear or decrypted), so
	// IKE says for certain whether it deleted the IKE SA or a child.
	Read      bool
	Decrypted bool
	Protocol  uint8
	SPIs      [][]byte
}

// Phase1 returns the phase-1 exchanges (main/aggressive mode, or IKEv2
// IKE_SA_INIT and IKE_AUTH).
func (s *SA) Phase1() []*Exchange {
	var out []*Exchange
	for _, x := range s.Exchanges {
		if x.Phase == 1 {
			out = append(out, x)
		}
	}
	return out
}
