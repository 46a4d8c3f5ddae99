package report

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/decode"
)

// The HTML report (docs/html.md) is one self-contained file: the page, its
// style and its script are inline, and a Content-Security-Policy forbids
// every fetch and every script or style but those two (by hash), so that
// even a string that escaped escaping could not run or load anything.
//
// The summary table is rendered here, as plain HTML; each SA's details and
// ladder are data in a <script type="application/json"> block that the
// script draws (as SVG) only when the SA is opened, so a capture of 10 000
// SAs opens quickly.
//
// Strings that come from packets are escaped twice over: EscapeString turns
// control characters and bidi overrides into \xNN (as for the terminal),
// html/template escapes them for their HTML or JSON-in-script context, and
// the script inserts them with textContent only.

//go:embed html/report.tmpl
var htmlTemplateText string

//go:embed html/report.css
var htmlCSS string

//go:embed html/report.js
var htmlJS string

var htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))

// htmlCSP is the report's Content-Security-Policy: nothing may be fetched,
// and only the report's own style and script apply.
var htmlCSP = "default-src 'none'; script-src '" + cspHash(htmlJS) + "'; style-src '" + cspHash(htmlCSS) +
	"'; img-src data:; base-uri 'none'; form-action 'none'"

func cspHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(h[:])
}

// htmlPage is what the template renders.
type htmlPage struct {
	Title    string
	Tool     string
	CSP      string
	Style    template.CSS
	Script   template.JS
	Captures []htmlCapture
	Counts   []htmlCount
	Rows     []htmlRow
	Chunks   [][]htmlRow // Rows in groups of chunkRows
	Findings []FindingJSON
	Data     []htmlSA
}

type htmlCapture struct {
	File     string
	Packets  int
	First    string
	Last     string
	Warnings []string
}

type htmlCount struct {
	Class string
	N     int
}

// chunkRows is the number of summary rows in a group that the browser
// lays out only when it comes near the screen (content-visibility), so a
// page of 10 000 SAs is ready as soon as its first rows are.
const chunkRows = 100

// htmlRow is one line of the summary table.
type htmlRow struct {
	ID        int
	Class     string
	Final     bool
	Windows   string // "13813 likely", "13801 certain" or ""
	WinName   string
	Version   string
	Initiator string
	Responder string
	NATT      bool
	Start     string
	Duration  string
	Summary   string
}

// htmlSA is the data behind one SA's details and ladder: the SA as in the
// JSON document (without its exchanges, which the steps carry), plus the
// times of everything relative to the SA's start, in seconds.
type htmlSA struct {
	SA    SAJSON     `json:"sa"`
	Steps []htmlStep `json:"steps"`
	ESP   []htmlESP  `json:"esp"`
	Notes []htmlNote `json:"notes"`
	End   float64    `json:"end"`
	// Dropped counts the completed informational exchanges (DPD and the
	// like) the tracker let go of to bound a long-lived SA's memory.
	Dropped int `json:"dropped,omitempty"`
}

// htmlStep is one distinct message and all its sends.
type htmlStep struct {
	Exchange  string    `json:"x"`
	XI        int       `json:"xi"` // index of the exchange in the SA
	N         int       `json:"n"`  // number of the message in its exchange, from 1
	MsgID     string    `json:"mid"`
	Completed bool      `json:"done"`
	Dir       string    `json:"d"`
	Length    int       `json:"len"`
	Times     []float64 `json:"t"` // each send kept
	Frames    []int     `json:"f"` // the frame of each send kept
	Extra     int       `json:"extra,omitempty"`
	Encrypted bool      `json:"enc,omitempty"`
	Inner     string    `json:"inner,omitempty"`
	Payloads  []string  `json:"p"`
	Notifies  []string  `json:"notify,omitempty"`
	IDs       []string  `json:"ids,omitempty"`
	Fragments int       `json:"frags,omitempty"`
	// Ghost: sends of the request a failure rests on that never became a
	// whole IKE message (only some of their IP fragments arrived), from
	// the verdict's unanswered request; FragOnly says that was the cause.
	Ghost    bool `json:"ghost,omitempty"`
	FragOnly bool `json:"frag_only,omitempty"`
}

// htmlESP is the ESP of one SPI in one direction.
type htmlESP struct {
	SPI        string  `json:"spi"`
	Dir        string  `json:"d"`
	Packets    uint64  `json:"packets"`
	Bytes      uint64  `json:"bytes"`
	First      float64 `json:"first"`
	Last       float64 `json:"last"`
	FirstFrame int     `json:"ff"`
	LastFrame  int     `json:"lf"`
	SeqGaps    uint64  `json:"gaps,omitempty"`
}

// htmlNote is one piece of verdict evidence placed on the ladder.
type htmlNote struct {
	Frame int      `json:"f"`
	Time  *float64 `json:"t"`
	Text  string   `json:"text"`
}

// HTML writes the analysis as one self-contained HTML page: doc is the
// document `-T json` writes (report.NewAnalysis, with Tool and Captures
// filled) and sas the SAs it was made from, which give the ladders their
// payload detail.
func HTML(w io.Writer, doc Analysis, sas []*classify.SA) error {
	byID := make(map[int]*classify.SA, len(sas))
	for _, sa := range sas {
		byID[sa.ID] = sa
	}
	p := htmlPage{Title: "ikescope report", Tool: doc.Tool.Name + " " + doc.Tool.Version, CSP: htmlCSP,
		Style: template.CSS(htmlCSS), Script: template.JS(htmlJS),
		Rows: make([]htmlRow, 0, len(doc.IKESAs)), Data: make([]htmlSA, 0, len(doc.IKESAs))}
	var files []string
	for _, c := range doc.Captures {
		hc := htmlCapture{File: EscapeString(c.File), Packets: c.Packets}
		if c.First != nil {
			hc.First = *c.First
		}
		if c.Last != nil {
			hc.Last = *c.Last
		}
		for _, w := range c.Warnings {
			hc.Warnings = append(hc.Warnings, EscapeString(w))
		}
		p.Captures = append(p.Captures, hc)
		files = append(files, hc.File)
	}
	if len(files) > 0 {
		p.Title = "ikescope: " + strings.Join(files, ", ")
	}
	for _, c := range classify.Classes {
		if n := doc.Summary.ByClass[string(c)]; n > 0 {
			p.Counts = append(p.Counts, htmlCount{Class: string(c), N: n})
		}
	}
	for _, f := range doc.Findings {
		p.Findings = append(p.Findings, escapeFinding(f))
	}
	for _, j := range doc.IKESAs {
		sa := byID[j.ID]
		p.Rows = append(p.Rows, htmlRowOf(j, sa))
		p.Data = append(p.Data, htmlSAOf(j, sa))
	}
	for i := 0; i < len(p.Rows); i += chunkRows {
		p.Chunks = append(p.Chunks, p.Rows[i:min(i+chunkRows, len(p.Rows))])
	}
	return htmlTemplate.Execute(w, p)
}

func htmlRowOf(j SAJSON, sa *classify.SA) htmlRow {
	r := htmlRow{ID: j.ID, Class: j.Verdict.Class, Final: j.Verdict.Final, Version: "IKEv" + strconv.Itoa(j.Version),
		Initiator: j.Initiator, Responder: j.Responder, NATT: j.NATT, Summary: EscapeString(j.Verdict.Summary)}
	if j.Mode != "ikev2" {
		r.Version += " " + j.Mode
	}
	if w := j.Verdict.WindowsError; w != nil {
		r.Windows = strconv.FormatUint(uint64(w.Code), 10)
		if w.Certain {
			r.Windows += " certain"
		} else {
			r.Windows += " likely"
		}
		r.WinName = w.Name
	}
	if sa != nil && !sa.Started.IsZero() {
		r.Start = sa.Started.UTC().Format("2006-01-02 15:04:05.000")
	}
	if sa != nil && !sa.Started.IsZero() {
		r.Duration = classify.Dur(saEnd(sa).Sub(sa.Started))
	}
	return r
}

// saEnd is when the SA ended, or its last activity.
func saEnd(sa *classify.SA) time.Time {
	end := sa.Ended
	for _, x := range sa.Exchanges {
		for _, m := range x.Messages {
			if t := m.SendTimes[len(m.SendTimes)-1]; t.After(end) {
				end = t
			}
		}
	}
	for _, e := range sa.ESP {
		if e.Last.After(end) {
			end = e.Last
		}
	}
	if end.Before(sa.Started) {
		end = sa.Started
	}
	return end
}

// offset is t in seconds after start, rounded to the microsecond.
func offset(start, t time.Time) float64 {
	return math.Round(t.Sub(start).Seconds()*1e6) / 1e6
}

func htmlSAOf(j SAJSON, sa *classify.SA) htmlSA {
	h := htmlSA{SA: escapeSA(j), Steps: []htmlStep{}, ESP: []htmlESP{}, Notes: []htmlNote{}}
	h.SA.Exchanges = []ExchangeJSON{}
	if sa == nil {
		return h
	}
	major := uint8(sa.Version)
	start := sa.Started
	h.End = offset(start, saEnd(sa))
	h.Dropped = sa.DroppedExchanges
	for xi, x := range sa.Exchanges {
		for n, m := range x.Messages {
			s := htmlStep{Exchange: EscapeString(x.Name), XI: xi, N: n + 1, MsgID: hex32(x.MsgID), Completed: x.Completed,
				Dir: m.Dir.String(), Length: m.Length, Extra: m.ExtraSends, Encrypted: m.Encrypted,
				Fragments: m.IPFragments, Payloads: []string{}}
			for k, t := range m.SendTimes {
				s.Times = append(s.Times, offset(start, t))
				f := 0
				if k < len(m.Frames) {
					f = m.Frames[k]
				}
				if k == len(m.SendTimes)-1 && m.ExtraSends > 0 && len(m.Frames) > 0 {
					f = m.Frames[len(m.Frames)-1] // SendTimes keeps the latest copy last
				}
				s.Frames = append(s.Frames, f)
			}
			for _, pt := range m.Payloads {
				s.Payloads = append(s.Payloads, decode.PayloadName(major, pt))
			}
			if m.InnerNext != 0 {
				s.Inner = decode.PayloadName(major, m.InnerNext)
			}
			for _, nt := range m.Notifies {
				s.Notifies = append(s.Notifies, decode.NotifyName(major, nt))
			}
			for i := range m.IDs {
				id := &m.IDs[i]
				s.IDs = append(s.IDs, decode.IDTypeName(major, id.Type)+" "+IDString(major, id))
			}
			h.Steps = append(h.Steps, s)
		}
	}
	if u := sa.Verdict.Unanswered; u != nil {
		seen := map[int]bool{}
		for _, s := range h.Steps {
			for _, f := range s.Frames {
				seen[f] = true
			}
		}
		g := htmlStep{Exchange: EscapeString(u.Exchange), XI: -1, N: 1, Dir: u.Sender.String(), Ghost: true, FragOnly: u.Fragments,
			Payloads: []string{}}
		for i, t := range u.Times {
			f := 0
			if i < len(u.Frames) {
				f = u.Frames[i]
			}
			if f == 0 || seen[f] {
				continue
			}
			g.Times = append(g.Times, offset(start, t))
			g.Frames = append(g.Frames, f)
		}
		if len(g.Times) > 0 {
			h.Steps = append(h.Steps, g)
		}
	}
	for _, e := range sa.ESP {
		h.ESP = append(h.ESP, htmlESP{SPI: hex32(e.SPI), Dir: e.Dir.String(), Packets: e.Packets, Bytes: e.Bytes,
			First: offset(start, e.First), Last: offset(start, e.Last), FirstFrame: e.FirstFrame, LastFrame: e.LastFrame, SeqGaps: e.SeqGaps})
	}
	for _, e := range sa.Verdict.Evidence {
		n := htmlNote{Frame: e.Frame, Text: EscapeString(e.Text)}
		if !e.Time.IsZero() {
			t := offset(start, e.Time)
			n.Time = &t
		}
		h.Notes = append(h.Notes, n)
	}
	return h
}

// escapeSA returns j with every free-text string escaped as for the
// terminal (the vendor ID names, the verdict's sentences, the events).
func escapeSA(j SAJSON) SAJSON {
	vids := make([]VIDJSON, len(j.VendorIDs))
	for i, v := range j.VendorIDs {
		v.Name = EscapeString(v.Name)
		vids[i] = v
	}
	j.VendorIDs = vids
	evs := make([]EventJSON, len(j.Events))
	for i, e := range j.Events {
		e.Text = EscapeString(e.Text)
		evs[i] = e
	}
	j.Events = evs
	if j.Proposal != nil {
		p := *j.Proposal
		p.Encryption, p.Integrity, p.PRF = EscapeString(p.Encryption), EscapeString(p.Integrity), EscapeString(p.PRF)
		p.DHGroup, p.Auth = EscapeString(p.DHGroup), EscapeString(p.Auth)
		j.Proposal = &p
	}
	v := j.Verdict
	v.Summary = EscapeString(v.Summary)
	v.Evidence = escapeEvidence(v.Evidence)
	hints := make([]string, len(v.Hints))
	for i, s := range v.Hints {
		hints[i] = EscapeString(s)
	}
	v.Hints = hints
	j.Verdict = v
	return j
}

func escapeEvidence(ev []EvidenceJSON) []EvidenceJSON {
	out := make([]EvidenceJSON, len(ev))
	for i, e := range ev {
		e.Text = EscapeString(e.Text)
		out[i] = e
	}
	return out
}

func escapeFinding(f FindingJSON) FindingJSON {
	f.Text = EscapeString(f.Text)
	f.Evidence = escapeEvidence(f.Evidence)
	return f
}
