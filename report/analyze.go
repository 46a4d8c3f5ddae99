package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/decode"
)

// Schema is the version of the analyze JSON contract (DESIGN.md "Output
// contract"; documented in docs/analyze-schema.json).
const Schema = 1

// Analysis is the `analyze -T json` document.
type Analysis struct {
	Schema   int           `json:"schema"`
	Tool     Tool          `json:"tool"`
	Captures []CaptureJSON `json:"captures"`
	IKESAs   []SAJSON      `json:"ike_sas"`
	Findings []FindingJSON `json:"findings"`
	Summary  SummaryJSON   `json:"summary"`
}

// NewAnalysis is the document for the finished SAs and findings of a run;
// Tool and Captures are the caller's to fill.
func NewAnalysis(sas []*classify.SA, findings []classify.Finding) Analysis {
	a := Analysis{Schema: Schema, Captures: []CaptureJSON{}, IKESAs: []SAJSON{}, Findings: []FindingJSON{}, Summary: Summarize(sas)}
	for _, sa := range sas {
		a.IKESAs = append(a.IKESAs, SAToJSON(sa))
	}
	for _, f := range findings {
		a.Findings = append(a.Findings, FindingToJSON(f))
	}
	return a
}

// Tool names the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// CaptureJSON describes one input file.
type CaptureJSON struct {
	File      string   `json:"file"`
	Packets   int      `json:"packets"`
	First     *string  `json:"first"`
	Last      *string  `json:"last"`
	LinkTypes []uint32 `json:"link_types"`
	Warnings  []string `json:"warnings"`
}

// SAJSON is one IKE SA.
type SAJSON struct {
	ID           int            `json:"id"`
	Version      int            `json:"version"`
	Mode         string         `json:"mode"`
	Initiator    string         `json:"initiator"`
	Responder    string         `json:"responder"`
	NATT         bool           `json:"nat_t"`
	InitiatorSPI string         `json:"initiator_spi"`
	ResponderSPI string         `json:"responder_spi"`
	Started      *string        `json:"started"`
	Established  *string        `json:"established"`
	Ended        *string        `json:"ended"`
	Proposal     *ProposalOut   `json:"proposal"`
	VendorIDs    []VIDJSON      `json:"vendor_ids"`
	Exchanges    []ExchangeJSON `json:"exchanges"`
	ChildSAs     []ChildJSON    `json:"child_sas"`
	Events       []EventJSON    `json:"events"`
	Verdict      VerdictJSON    `json:"verdict"`
}

// ProposalOut is the negotiated proposal.
type ProposalOut struct {
	Encryption        string  `json:"encryption"`
	Integrity         string  `json:"integrity"`
	PRF               string  `json:"prf"`
	DHGroup           string  `json:"dh_group"`
	Auth              string  `json:"auth"`
	LifetimeSeconds   *uint64 `json:"lifetime_seconds"`
	LifetimeKilobytes *uint64 `json:"lifetime_kilobytes"`
}

// VIDJSON is a vendor ID.
type VIDJSON struct {
	Hex    string `json:"hex"`
	Name   string `json:"name"`
	Sender string `json:"sender"` // "initiator" or "responder"
}

// ExchangeJSON is one exchange.
type ExchangeJSON struct {
	Type       string        `json:"type"`
	MessageID  uint32        `json:"message_id"`
	Completed  bool          `json:"completed"`
	DurationMS *float64      `json:"duration_ms"`
	Messages   []MessageJSON `json:"messages"`
}

// MessageJSON is one message with its retransmissions.
type MessageJSON struct {
	Frame           int      `json:"frame"`
	Time            string   `json:"time"`
	Direction       string   `json:"direction"`
	Length          int      `json:"length"`
	Retransmissions int      `json:"retransmissions"`
	SendTimes       []string `json:"send_times"`
}

// ChildJSON is a phase-2 SA.
type ChildJSON struct {
	Protocol          string  `json:"protocol"`
	SPIi              *string `json:"spi_i"`
	SPIr              *string `json:"spi_r"`
	Established       *string `json:"established"`
	LifetimeSeconds   *uint64 `json:"lifetime_seconds"`
	LifetimeKilobytes *uint64 `json:"lifetime_kilobytes"`
	ESPPackets        uint64  `json:"esp_packets"`
	ESPBytes          uint64  `json:"esp_bytes"`
	FirstESP          *string `json:"first_esp"`
	LastESP           *string `json:"last_esp"`
	Rekeyed           bool    `json:"rekeyed"`
	Deleted           bool    `json:"deleted"`
}

// EventJSON is an event on an SA.
type EventJSON struct {
	Type  string `json:"type"`
	Frame int    `json:"frame"`
	Time  string `json:"time"`
	Text  string `json:"text"`
}

// VerdictJSON is the verdict.
type VerdictJSON struct {
	Class        string         `json:"class"`
	Final        bool           `json:"final"`
	WindowsError *WindowsJSON   `json:"windows_error"`
	Summary      string         `json:"summary"`
	Evidence     []EvidenceJSON `json:"evidence"`
	Hints        []string       `json:"hints"`
	// Unanswered is the request a failure rests on; omitted otherwise.
	Unanswered *UnansweredJSON `json:"unanswered,omitempty"`
}

// UnansweredJSON is the request behind a failure verdict, with its sends.
type UnansweredJSON struct {
	Exchange    string     `json:"exchange"`
	Sender      string     `json:"sender"`
	SendCount   int        `json:"send_count"`
	Sends       []SendJSON `json:"sends"`
	IPFragments bool       `json:"ip_fragments_only"`
	GaveUp      bool       `json:"gave_up"`
}

// SendJSON is one copy of a request.
type SendJSON struct {
	Frame int     `json:"frame"`
	Time  *string `json:"time"`
}

// WindowsJSON is the Windows error of a verdict.
type WindowsJSON struct {
	Code    uint32 `json:"code"`
	Hex     string `json:"hex"`
	Name    string `json:"name"`
	Certain bool   `json:"certain"`
}

// EvidenceJSON is one fact behind a verdict.
type EvidenceJSON struct {
	Frame int     `json:"frame"`
	Time  *string `json:"time"`
	Text  string  `json:"text"`
}

// FindingJSON is a finding beyond IKE.
type FindingJSON struct {
	Type     string         `json:"type"`
	Frame    int            `json:"frame"`
	Time     string         `json:"time"`
	Text     string         `json:"text"`
	Evidence []EvidenceJSON `json:"evidence"`
}

// SummaryJSON counts verdicts.
type SummaryJSON struct {
	ByClass map[string]int `json:"by_class"`
	// Evicted counts the SAs judged early by the live-SA cap (--max-sas).
	Evicted int `json:"evicted,omitempty"`
}

// The `analyze -T jsonl` lines (docs/output.md): each is one JSON object
// with a "type", written as soon as what it says is final.

// SAVerdictLine carries an IKE SA with its verdict.
type SAVerdictLine struct {
	Type  string `json:"type"` // "sa_verdict"
	IKESA SAJSON `json:"ike_sa"`
}

// EventLine is one event attached to an IKE SA, written when it happens.
type EventLine struct {
	Type         string    `json:"type"` // "event"
	IKESAID      int       `json:"ike_sa_id"`
	InitiatorSPI string    `json:"initiator_spi"`
	Event        EventJSON `json:"event"`
}

// FindingLine is one finding beyond IKE.
type FindingLine struct {
	Type    string      `json:"type"` // "event"
	Finding FindingJSON `json:"finding"`
}

// StatsLine ends the stream.
type StatsLine struct {
	Type    string      `json:"type"` // "stats"
	Packets int         `json:"packets"`
	Summary SummaryJSON `json:"summary"`
}

// NewSAVerdictLine returns the sa_verdict line of sa.
func NewSAVerdictLine(sa *classify.SA) SAVerdictLine {
	return SAVerdictLine{Type: "sa_verdict", IKESA: SAToJSON(sa)}
}

// NewEventLine returns the event line of ev, just attached to sa.
func NewEventLine(sa *classify.SA, ev classify.Event) EventLine {
	return EventLine{Type: "event", IKESAID: sa.ID, InitiatorSPI: spi(sa.InitSPI), Event: eventToJSON(ev)}
}

// NewFindingLine returns the event line of a finding.
func NewFindingLine(f classify.Finding) FindingLine {
	return FindingLine{Type: "event", Finding: FindingToJSON(f)}
}

func eventToJSON(e classify.Event) EventJSON {
	return EventJSON{Type: e.Type, Frame: e.Frame, Time: FormatTime(e.Time), Text: e.Text}
}

func tptr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := FormatTime(t)
	return &s
}

func u64ptr(v uint64) *uint64 {
	if v == 0 {
		return nil
	}
	return &v
}

// SAToJSON converts an SA to the contract's form.
func SAToJSON(sa *classify.SA) SAJSON {
	j := SAJSON{
		ID: sa.ID, Version: sa.Version, Mode: sa.Mode, Initiator: sa.Initiator.String(), Responder: sa.Responder.String(),
		NATT: sa.NATT, InitiatorSPI: spi(sa.InitSPI), ResponderSPI: spi(sa.RespSPI),
		Started: tptr(sa.Started), Established: tptr(sa.Established), Ended: tptr(sa.Ended),
		VendorIDs: []VIDJSON{}, Exchanges: []ExchangeJSON{}, ChildSAs: []ChildJSON{}, Events: []EventJSON{},
	}
	if p := sa.Proposal; p != nil {
		j.Proposal = &ProposalOut{Encryption: p.Encryption, Integrity: p.Integrity, PRF: p.PRF, DHGroup: p.DHGroup, Auth: p.Auth,
			LifetimeSeconds: u64ptr(p.LifetimeSeconds), LifetimeKilobytes: u64ptr(p.LifetimeKilobytes)}
	}
	for _, v := range sa.VendorIDs {
		j.VendorIDs = append(j.VendorIDs, VIDJSON{Hex: v.Hex, Name: v.Name, Sender: sender(v.Dir)})
	}
	for _, x := range sa.Exchanges {
		xj := ExchangeJSON{Type: x.Name, MessageID: x.MsgID, Completed: x.Completed, Messages: []MessageJSON{}}
		if x.Completed {
			ms := float64(x.End.Sub(x.Start).Microseconds()) / 1000
			xj.DurationMS = &ms
		}
		for _, m := range x.Messages {
			mj := MessageJSON{Frame: m.Frame, Time: FormatTime(m.Time), Direction: m.Dir.String(), Length: m.Length, Retransmissions: m.Retransmissions()}
			for _, t := range m.SendTimes {
				mj.SendTimes = append(mj.SendTimes, FormatTime(t))
			}
			xj.Messages = append(xj.Messages, mj)
		}
		j.Exchanges = append(j.Exchanges, xj)
	}
	for _, c := range sa.Children {
		cj := ChildJSON{Protocol: c.Protocol, Established: tptr(c.Established), LifetimeSeconds: u64ptr(c.LifetimeSeconds),
			LifetimeKilobytes: u64ptr(c.LifetimeKilobytes), Rekeyed: c.Rekeyed, Deleted: c.Deleted}
		if c.SPIi != "" {
			cj.SPIi = &c.SPIi
		}
		if c.SPIr != "" {
			cj.SPIr = &c.SPIr
		}
		// Each ESP SPI is tied to one child (classify.assignESP).
		var first, last time.Time
		for _, e := range c.ESP {
			cj.ESPPackets += e.Packets
			cj.ESPBytes += e.Bytes
			if first.IsZero() || e.First.Before(first) {
				first = e.First
			}
			if e.Last.After(last) {
				last = e.Last
			}
		}
		cj.FirstESP, cj.LastESP = tptr(first), tptr(last)
		j.ChildSAs = append(j.ChildSAs, cj)
	}
	for _, e := range sa.Events {
		j.Events = append(j.Events, eventToJSON(e))
	}
	v := sa.Verdict
	j.Verdict = VerdictJSON{Class: string(v.Class), Final: v.Final, Summary: v.Summary, Evidence: []EvidenceJSON{}, Hints: []string{}}
	if v.WindowsCode != 0 {
		w := &WindowsJSON{Code: v.WindowsCode, Hex: decode.WinError{Code: v.WindowsCode}.Hex(), Certain: v.Certain}
		if we, ok := decode.LookupWinError(v.WindowsCode); ok {
			w.Hex, w.Name = we.Hex(), we.Name
		}
		j.Verdict.WindowsError = w
	}
	for _, e := range v.Evidence {
		j.Verdict.Evidence = append(j.Verdict.Evidence, EvidenceJSON{Frame: e.Frame, Time: tptr(e.Time), Text: e.Text})
	}
	j.Verdict.Hints = append(j.Verdict.Hints, v.Hints...)
	if u := v.Unanswered; u != nil {
		uj := &UnansweredJSON{Exchange: u.Exchange, Sender: sender(u.Sender), SendCount: max(u.Sends, len(u.Times)),
			Sends: []SendJSON{}, IPFragments: u.Fragments, GaveUp: u.GaveUp}
		for i, tm := range u.Times {
			f := 0
			if i < len(u.Frames) {
				f = u.Frames[i]
			}
			uj.Sends = append(uj.Sends, SendJSON{Frame: f, Time: tptr(tm)})
		}
		j.Verdict.Unanswered = uj
	}
	return j
}

// FindingToJSON converts a finding.
func FindingToJSON(f classify.Finding) FindingJSON {
	j := FindingJSON{Type: f.Type, Frame: f.Frame, Time: FormatTime(f.Time), Text: f.Text, Evidence: []EvidenceJSON{}}
	for _, e := range f.Evidence {
		j.Evidence = append(j.Evidence, EvidenceJSON{Frame: e.Frame, Time: tptr(e.Time), Text: e.Text})
	}
	return j
}

// Summarize counts verdict classes.
func Summarize(sas []*classify.SA) SummaryJSON {
	s := SummaryJSON{ByClass: map[string]int{}}
	for _, sa := range sas {
		s.ByClass[string(sa.Verdict.Class)]++
	}
	return s
}

// AnalysisText writes the analysis for people: summary counts, then per IKE
// SA the verdict first and then the timeline.
func AnalysisText(w io.Writer, sas []*classify.SA, findings []classify.Finding) {
	io.WriteString(w, TextHeader(len(sas), Summarize(sas)))
	var b []byte
	for _, sa := range sas {
		b = AppendSAText(b[:0], sa)
		w.Write(b)
	}
	io.WriteString(w, TextFindings(findings))
}

// TextHeader is the first line of the text analysis: the number of IKE SAs
// and the count of each verdict class.
func TextHeader(n int, sum SummaryJSON) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(n) + " IKE SA(s)")
	var keys []string
	for k := range sum.ByClass {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(sum.ByClass[k]) + " " + k)
	}
	if sum.Evicted > 0 {
		b.WriteString("; " + strconv.Itoa(sum.Evicted) + " judged early and evicted: more were open at once than --max-sas allows")
	}
	b.WriteString("\n")
	return b.String()
}

// AppendSAText appends one IKE SA's block of the text analysis (after a
// blank line) to b.
func AppendSAText(b []byte, sa *classify.SA) []byte {
	return appendSAText(append(b, '\n'), sa)
}

// TextFindings is the end of the text analysis: one line per finding.
func TextFindings(findings []classify.Finding) string {
	var b strings.Builder
	for _, f := range findings {
		b.WriteString("\nfinding " + f.Type + " at frame " + strconv.Itoa(f.Frame) + ": " + EscapeString(f.Text) + "\n")
	}
	return b.String()
}

// WriteAnalysisJSON writes the `analyze -T json` document for sas and
// findings, indented by two spaces: the bytes json.Encoder with
// SetIndent("", "  ") writes for NewAnalysis's document, but an IKE SA at a
// time.
func WriteAnalysisJSON(w io.Writer, tool Tool, captures []CaptureJSON, sas []*classify.SA, findings []classify.Finding) error {
	i := 0
	return WriteAnalysisJSONParts(w, tool, captures, Summarize(sas), len(sas), func() ([]byte, error) {
		i++
		return MarshalSAJSON(sas[i-1])
	}, findings)
}

// MarshalSAJSON is one IKE SA as an element of the document's ike_sas
// array, for WriteAnalysisJSONParts.
func MarshalSAJSON(sa *classify.SA) ([]byte, error) {
	b, err := json.Marshal(SAToJSON(sa))
	if err != nil {
		return nil, err
	}
	return appendIndented(make([]byte, 0, len(b)*2), b, "    ", "  "), nil
}

// WriteAnalysisJSONParts writes the `analyze -T json` document whose n IKE
// SAs come from next (MarshalSAJSON's bytes, in order), so that a caller can
// keep them rendered rather than as SAs: neither the whole document nor
// every SA need be held in memory at once.
func WriteAnalysisJSONParts(w io.Writer, tool Tool, captures []CaptureJSON, sum SummaryJSON, n int,
	next func() ([]byte, error), findings []classify.Finding) error {
	doc := NewAnalysis(nil, findings)
	doc.Tool, doc.Captures, doc.Summary = tool, captures, sum
	head, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	// The empty array stands where the SAs go.
	const mark = "\n  \"ike_sas\": [],\n"
	i := bytes.Index(head, []byte(mark))
	if i < 0 {
		return errors.New("report: ike_sas not found in the document")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head[:i])
	if n == 0 {
		bw.WriteString(mark)
	} else {
		bw.WriteString("\n  \"ike_sas\": [")
		for k := range n {
			if k > 0 {
				bw.WriteString(",")
			}
			b, err := next()
			if err != nil {
				return err
			}
			bw.WriteString("\n    ")
			bw.Write(b)
		}
		bw.WriteString("\n  ],\n")
	}
	bw.Write(head[i+len(mark):])
	bw.WriteString("\n")
	return bw.Flush()
}

// appendSAText appends one IKE SA's block of the text analysis to b. It
// appends rather than concatenates: with a few hundred SAs a second, the
// temporary strings were most of what analyze allocated.
func appendSAText(b []byte, sa *classify.SA) []byte {
	v := sa.Verdict
	b = append(b, "IKE SA #"...)
	b = strconv.AppendInt(b, int64(sa.ID), 10)
	b = append(b, " IKEv"...)
	b = strconv.AppendInt(b, int64(sa.Version), 10)
	b = append(append(append(b, ' '), sa.Mode...), ' ')
	b = sa.Initiator.AppendTo(b)
	b = append(b, " -> "...)
	b = sa.Responder.AppendTo(b)
	if sa.NATT {
		b = append(b, " (NAT-T)"...)
	}
	b = append(b, "  ispi "...)
	b = appendSPI(b, sa.InitSPI)
	b = append(b, " rspi "...)
	b = appendSPI(b, sa.RespSPI)
	b = append(b, "\n  verdict: "...)
	b = append(b, strings.ToUpper(string(v.Class))...)
	if !v.Final {
		b = append(b, " (not final)"...)
	}
	b = append(append(append(b, " - "...), v.Summary...), '\n')
	if v.WindowsCode != 0 {
		b = append(b, "  windows error: "...)
		b = strconv.AppendUint(b, uint64(v.WindowsCode), 10)
		if we, ok := decode.LookupWinError(v.WindowsCode); ok {
			b = append(append(append(append(b, ' '), we.Hex()...), ' '), we.Name...)
		}
		if v.Certain {
			b = append(b, " (certain: reported by the peer)\n"...)
		} else {
			b = append(b, " (likely)\n"...)
		}
	}
	for _, e := range v.Evidence {
		b = append(b, "  evidence: "...)
		if e.Frame > 0 {
			b = append(b, "frame "...)
			b = strconv.AppendInt(b, int64(e.Frame), 10)
			b = append(b, ": "...)
		}
		b = append(appendEscaped(b, e.Text), '\n')
	}
	for _, h := range v.Hints {
		b = append(appendEscaped(append(b, "  check: "...), h), '\n')
	}
	if sa.Proposal != nil {
		b = append(append(append(b, "  proposal: "...), sa.Proposal.String()...), '\n')
	}
	for _, d := range []classify.Dir{classify.I2R, classify.R2I} {
		n := 0
		for _, vid := range sa.VendorIDs {
			if vid.Dir != d {
				continue
			}
			if n == 0 {
				b = append(append(append(b, "  vendor IDs ("...), sender(d)...), "): "...)
			} else {
				b = append(b, ", "...)
			}
			n++
			if vid.Name != "" {
				b = appendEscaped(b, vid.Name)
			} else {
				b = append(b, vid.Hex...)
			}
		}
		if n > 0 {
			b = append(b, '\n')
		}
	}
	b = append(b, "  timeline:\n"...)
	// The rows are built in one scratch buffer, then sorted by time.
	type row struct {
		t          time.Time
		start, end int
	}
	var (
		rows    []row
		scratch []byte
	)
	for _, x := range sa.Exchanges {
		for _, m := range x.Messages {
			start := len(scratch)
			scratch = append(append(scratch, x.Name...), ' ')
			if m.Dir == classify.R2I {
				scratch = append(scratch, "<- "...)
			} else {
				scratch = append(scratch, "-> "...)
			}
			scratch = strconv.AppendInt(scratch, int64(m.Length), 10)
			scratch = append(scratch, " bytes (frame "...)
			scratch = strconv.AppendInt(scratch, int64(m.Frame), 10)
			scratch = append(scratch, ')')
			if m.Encrypted {
				scratch = append(scratch, " encrypted"...)
			}
			if m.Decrypted {
				scratch = append(append(scratch, ", decrypted: "...), decryptedList(uint8(sa.Version), m)...)
			}
			if r := m.Retransmissions(); r > 0 {
				scratch = append(scratch, ", retransmitted "...)
				scratch = strconv.AppendInt(scratch, int64(r), 10)
				scratch = append(scratch, "x at"...)
				for _, t := range m.SendTimes[1:] {
					scratch = classify.AppendDur(append(scratch, " +"...), t.Sub(sa.Started))
				}
			}
			rows = append(rows, row{m.Time, start, len(scratch)})
		}
	}
	for _, e := range sa.ESP {
		start := len(scratch)
		scratch = append(scratch, "ESP spi "...)
		scratch = appendHex32(scratch, e.SPI)
		scratch = append(append(append(scratch, ' '), e.Dir.String()...), ": "...)
		scratch = strconv.AppendUint(scratch, e.Packets, 10)
		scratch = append(scratch, " packets, "...)
		scratch = strconv.AppendUint(scratch, e.Bytes, 10)
		scratch = append(scratch, " bytes until +"...)
		scratch = classify.AppendDur(scratch, e.Last.Sub(sa.Started))
		if e.SeqGaps != 0 {
			scratch = append(scratch, ", "...)
			scratch = strconv.AppendUint(scratch, e.SeqGaps, 10)
			scratch = append(scratch, " sequence numbers missing"...)
		}
		rows = append(rows, row{e.First, start, len(scratch)})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].t.Before(rows[j].t) })
	var prev time.Time
	for _, r := range rows {
		b = append(b, "    +"...)
		n := len(b)
		b = classify.AppendDur(b, r.t.Sub(sa.Started))
		for len(b)-n < 8 {
			b = append(b, ' ')
		}
		b = append(append(b, ' '), scratch[r.start:r.end]...)
		if !prev.IsZero() && r.t.Sub(prev) >= 5*time.Second {
			b = classify.AppendDur(append(b, "  (gap "...), r.t.Sub(prev))
			b = append(b, ')')
		}
		b = append(b, '\n')
		prev = r.t
	}
	for _, e := range sa.Events {
		b = append(append(append(b, "  event "...), e.Type...), ": "...)
		b = append(appendEscaped(b, e.Text), '\n')
	}
	return b
}

// sender names the side that sent a message in direction d.
func sender(d classify.Dir) string {
	if d == classify.R2I {
		return "responder"
	}
	return "initiator"
}

// decryptedList names what a decrypted message carried: "IDr AUTH
// N(NO_PROPOSAL_CHOSEN)" (the SK/SKF payload itself left out).
func decryptedList(major uint8, m *classify.Message) string {
	var parts []string
	n := 0
	for _, t := range m.Payloads {
		if t == decode.PayloadSK || t == decode.PayloadSKF {
			continue
		}
		name := decode.PayloadName(major, t)
		if (t == decode.PayloadNotify || t == decode.PayloadNotifyv2) && n < len(m.Notifies) {
			name += "(" + decode.NotifyName(major, m.Notifies[n]) + ")"
			n++
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, " ")
}
