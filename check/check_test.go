package check

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ikescope/ikescope/report"
)

// Test data: IKE SAs in the analyze JSON contract's form.

const (
	tStart = "2024-03-12T10:00:00.000000Z"
	tEst   = "2024-03-12T10:00:00.035200Z" // phase 1 in 35.2 ms
)

func sp(s string) *string { return &s }

// mkSA returns an established IKEv1 main mode SA 192.0.2.1:500 ->
// 198.51.100.1:500 with phase 1 in 35.2 ms, no retransmission, no rekey, 12
// ESP packets and a natt event, changed by the options.
func mkSA(opts ...func(*report.SAJSON)) report.SAJSON {
	sa := report.SAJSON{
		ID: 1, Version: 1, Mode: "main", Initiator: "192.0.2.1:500", Responder: "198.51.100.1:500",
		InitiatorSPI: "0102030405060708", ResponderSPI: "1112131415161718",
		Started: sp(tStart), Established: sp(tEst),
		Exchanges: []report.ExchangeJSON{{Type: "Main Mode", Completed: true, Messages: []report.MessageJSON{
			{Frame: 1, Direction: "i2r", Length: 200}, {Frame: 2, Direction: "r2i", Length: 180},
		}}},
		ChildSAs: []report.ChildJSON{{Protocol: "ESP", ESPPackets: 5}, {Protocol: "ESP", ESPPackets: 7}},
		Events:   []report.EventJSON{{Type: "natt", Frame: 3}},
		Verdict:  report.VerdictJSON{Class: "established", Final: true},
	}
	for _, o := range opts {
		o(&sa)
	}
	return sa
}

func analysis(sas ...report.SAJSON) *report.Analysis {
	return &report.Analysis{Schema: 1, IKESAs: sas}
}

func mustParse(t *testing.T, s string) *Expect {
	t.Helper()
	x, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	return x
}

// one wraps a single ike_sas entry into a file.
func one(entry string) string { return `{"schema":1,"ike_sas":[` + entry + `]}` }

func diffStrings(ds []Difference) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

const ep = "ike_sa 1 (192.0.2.1:500 -> 198.51.100.1:500): "

func TestCompareAssertions(t *testing.T) {
	retransmitted := func(sa *report.SAJSON) { sa.Exchanges[0].Messages[1].Retransmissions = 2 }
	notEstablished := func(sa *report.SAJSON) { sa.Established = nil; sa.Verdict.Class = "mm_delay_drop" }
	slow := func(sa *report.SAJSON) { sa.Established = sp("2024-03-12T10:00:04.100000Z") } // 4100 ms
	rekeyEvent := func(sa *report.SAJSON) { sa.Events = append(sa.Events, report.EventJSON{Type: "rekey"}) }
	rekeyChild := func(sa *report.SAJSON) { sa.ChildSAs[0].Rekeyed = true }
	authFail := func(sa *report.SAJSON) {
		sa.Established = nil
		sa.Verdict.Class = "auth_failed"
		sa.Verdict.WindowsError = &report.WindowsJSON{Code: 13801, Name: "ERROR_IPSEC_IKE_AUTH_FAIL", Certain: true}
	}
	v2 := func(sa *report.SAJSON) { sa.Version = 2; sa.Mode = "ikev2" }
	tests := []struct {
		name  string
		entry string
		sa    report.SAJSON
		want  []string // exact Difference.String() lines; nil: passes
	}{
		{"class pass", `{"class":"established"}`, mkSA(), nil},
		{"class fail", `{"class":"auth_failed"}`, mkSA(), []string{ep + "class: want auth_failed, got established"}},
		{"windows_code pass", `{"class":"auth_failed","windows_code":13801}`, mkSA(authFail), nil},
		{"windows_code fail", `{"class":"auth_failed","windows_code":13814}`, mkSA(authFail),
			[]string{ep + "windows_code: want 13814 ERROR_IPSEC_IKE_MM_DELAY_DROP, got 13801 ERROR_IPSEC_IKE_AUTH_FAIL"}},
		{"windows_code 0 pass", `{"class":"established","windows_code":0}`, mkSA(), nil},
		{"windows_code 0 fail", `{"class":"auth_failed","windows_code":0}`, mkSA(authFail),
			[]string{ep + "windows_code: want none, got 13801 ERROR_IPSEC_IKE_AUTH_FAIL"}},
		{"version and mode pass", `{"class":"established","version":2,"mode":"ikev2"}`, mkSA(v2), nil},
		{"version and mode fail", `{"class":"established","version":2,"mode":"ikev2"}`, mkSA(),
			[]string{ep + "version: want 2, got 1", ep + "mode: want ikev2, got main"}},
		{"endpoints pass", `{"class":"established","initiator":"192.0.2.1:500","responder":"198.51.100.1:500"}`, mkSA(), nil},
		{"endpoints fail", `{"class":"established","initiator":"192.0.2.1:4500","responder":"198.51.100.2:500"}`, mkSA(),
			[]string{ep + "initiator: want 192.0.2.1:4500, got 192.0.2.1:500", ep + "responder: want 198.51.100.2:500, got 198.51.100.1:500"}},
		{"ipv6 endpoint compared canonically", `{"class":"established","initiator":"[2001:DB8::1]:500"}`,
			mkSA(func(sa *report.SAJSON) { sa.Initiator = "[2001:db8::1]:500" }), nil},
		{"established_within pass", `{"class":"established","established_within":"50ms"}`, mkSA(), nil},
		{"established_within fail", `{"class":"established","established_within":"2s"}`, mkSA(slow),
			[]string{ep + "established_within: want phase 1 completed within 2s, got completed after 4.1s"}},
		{"established_within not established", `{"class":"mm_delay_drop","established_within":"2s"}`, mkSA(notEstablished),
			[]string{ep + "established_within: want phase 1 completed within 2s, got phase 1 not completed"}},
		{"phase1_ms default tolerance pass", `{"class":"established","phase1_ms":400}`, mkSA(), nil},
		{"phase1_ms default tolerance fail", `{"class":"established","phase1_ms":35.2}`, mkSA(slow),
			[]string{ep + "phase1_ms: want 35.2 ± 500 ms, got 4100 ms"}},
		{"phase1_ms default pct pass", `{"class":"established","phase1_ms":3500}`, mkSA(slow), nil}, // 25% of 3500 = 875
		{"phase1_ms tolerance_ms pass", `{"class":"established","phase1_ms":30,"tolerance_ms":10}`, mkSA(), nil},
		{"phase1_ms tolerance_ms fail", `{"class":"established","phase1_ms":30,"tolerance_ms":5}`, mkSA(),
			[]string{ep + "phase1_ms: want 30 ± 5 ms, got 35.2 ms"}},
		{"phase1_ms tolerance_pct pass", `{"class":"established","phase1_ms":32,"tolerance_pct":10}`, mkSA(), nil},
		{"phase1_ms tolerance_pct fail", `{"class":"established","phase1_ms":40,"tolerance_pct":10}`, mkSA(),
			[]string{ep + "phase1_ms: want 40 ± 4 ms, got 35.2 ms"}},
		{"phase1_ms both: larger wins", `{"class":"established","phase1_ms":40,"tolerance_pct":1,"tolerance_ms":5}`, mkSA(), nil},
		{"phase1_ms not established", `{"class":"mm_delay_drop","phase1_ms":35.2}`, mkSA(notEstablished),
			[]string{ep + "phase1_ms: want 35.2 ± 500 ms, got phase 1 not completed"}},
		{"no_retransmissions pass", `{"class":"established","no_retransmissions":true}`, mkSA(), nil},
		{"no_retransmissions fail", `{"class":"established","no_retransmissions":true}`, mkSA(retransmitted),
			[]string{ep + "no_retransmissions: want no retransmissions, got 2 retransmissions (Main Mode r2i frame 2 2x)"}},
		{"no_retransmissions false pass", `{"class":"established","no_retransmissions":false}`, mkSA(retransmitted), nil},
		{"no_retransmissions false fail", `{"class":"established","no_retransmissions":false}`, mkSA(),
			[]string{ep + "no_retransmissions: want at least one retransmission (no_retransmissions is false), got none"}},
		{"rekeyed pass by event", `{"class":"established","rekeyed":true}`, mkSA(rekeyEvent), nil},
		{"rekeyed pass by child", `{"class":"established","rekeyed":true}`, mkSA(rekeyChild), nil},
		{"rekeyed fail", `{"class":"established","rekeyed":true}`, mkSA(), []string{ep + "rekeyed: want a rekey, got none"}},
		{"rekeyed false pass", `{"class":"established","rekeyed":false}`, mkSA(), nil},
		{"rekeyed false fail", `{"class":"established","rekeyed":false}`, mkSA(rekeyEvent), []string{ep + "rekeyed: want no rekey, got a rekey"}},
		{"esp_packets_at_least pass", `{"class":"established","esp_packets_at_least":12}`, mkSA(), nil},
		{"esp_packets_at_least fail", `{"class":"established","esp_packets_at_least":13}`, mkSA(),
			[]string{ep + "esp_packets_at_least: want at least 13 ESP packets, got 12"}},
		{"events pass", `{"class":"established","events":["natt"]}`, mkSA(), nil},
		{"events fail", `{"class":"established","events":["natt","ike_fragmented"]}`, mkSA(),
			[]string{ep + "events: want ike_fragmented present, got absent (present: natt)"}},
		{"events fail none at all", `{"class":"established","events":["natt"]}`, mkSA(func(sa *report.SAJSON) { sa.Events = nil }),
			[]string{ep + "events: want natt present, got absent (none at all)"}},
		{"comment ignored", `{"comment":"anything","class":"established"}`, mkSA(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := mustParse(t, one(tc.entry))
			got := diffStrings(Compare(x, analysis(tc.sa)))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Compare with %s:\n got %q\nwant %q", tc.entry, got, tc.want)
			}
		})
	}
}

func TestCompareCount(t *testing.T) {
	second := func(sa *report.SAJSON) {
		sa.ID = 2
		sa.Initiator = "192.0.2.1:4500"
		sa.Verdict.Class = "mm_delay_drop"
	}
	t.Run("more SAs than expected", func(t *testing.T) {
		x := mustParse(t, one(`{"class":"established"}`))
		got := diffStrings(Compare(x, analysis(mkSA(), mkSA(second))))
		want := []string{
			"count: want 1 IKE SA, got 2",
			"ike_sa 2 (192.0.2.1:4500 -> 198.51.100.1:500): want no more IKE SAs, got one more with class mm_delay_drop",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %q\nwant %q", got, want)
		}
	})
	t.Run("fewer SAs than expected", func(t *testing.T) {
		x := mustParse(t, `{"schema":1,"ike_sas":[{"class":"established"},{"class":"no_response","initiator":"192.0.2.1:500"}]}`)
		got := diffStrings(Compare(x, analysis(mkSA())))
		want := []string{
			"count: want 2 IKE SAs, got 1",
			"ike_sa 2 (192.0.2.1:500 -> ?): want an IKE SA with class no_response, got none",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %q\nwant %q", got, want)
		}
	})
	t.Run("no SAs expected", func(t *testing.T) {
		x := mustParse(t, `{"schema":1,"ike_sas":[]}`)
		if d := Compare(x, analysis()); d != nil {
			t.Errorf("empty against empty: %q", diffStrings(d))
		}
		if d := Compare(x, analysis(mkSA())); len(d) != 2 || d[0].Field != "count" {
			t.Errorf("empty against one: %q", diffStrings(d))
		}
	})
	t.Run("entry count", func(t *testing.T) {
		x := mustParse(t, `{"schema":1,"ike_sas":[{"class":"mm_delay_drop","count":2},{"class":"established"}]}`)
		if x.Total() != 3 {
			t.Fatalf("Total %d, want 3", x.Total())
		}
		if d := Compare(x, analysis(mkSA(second), mkSA(second), mkSA())); d != nil {
			t.Errorf("count 2 + 1 against 3 SAs: %q", diffStrings(d))
		}
		got := diffStrings(Compare(x, analysis(mkSA(second), mkSA(), mkSA())))
		want := []string{"ike_sa 2 (192.0.2.1:500 -> 198.51.100.1:500): class: want mm_delay_drop, got established"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %q\nwant %q", got, want)
		}
		if d := Compare(x, analysis(mkSA(second), mkSA())); len(d) == 0 || d[0].String() != "count: want 3 IKE SAs, got 2" {
			t.Errorf("count 2 + 1 against 2 SAs: %q", diffStrings(d))
		}
	})
	t.Run("matched by position, not SPI", func(t *testing.T) {
		x := mustParse(t, one(`{"class":"established"}`))
		if d := Compare(x, analysis(mkSA(func(sa *report.SAJSON) { sa.InitiatorSPI = "ffffffffffffffff" }))); d != nil {
			t.Errorf("another SPI: %q", diffStrings(d))
		}
	})
}

func TestCompareFindings(t *testing.T) {
	x := mustParse(t, `{"schema":1,"ike_sas":[],"findings":["smb_reset"]}`)
	a := analysis()
	got := diffStrings(Compare(x, a))
	if want := []string{"findings: want smb_reset present, got absent (none at all)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	a.Findings = []report.FindingJSON{{Type: "smb_reset", Frame: 9}}
	if d := Compare(x, a); d != nil {
		t.Errorf("with the finding: %q", diffStrings(d))
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown top-level field", `{"schema":1,"ike_sas":[],"finding":["smb_reset"]}`, `unknown field "finding"`},
		{"unknown entry field", `{"schema":1,"ike_sas":[{"class":"established"},{"clas":"established"}]}`, `ike_sas entry 2: unknown field "clas"`},
		{"misspelt assertion", one(`{"class":"established","event":["natt"]}`), `ike_sas entry 1: unknown field "event"`},
		{"schema missing", `{"ike_sas":[]}`, "schema is missing"},
		{"schema 2", `{"schema":2,"ike_sas":[]}`, "unsupported schema 2"},
		{"ike_sas missing", `{"schema":1}`, "ike_sas is missing"},
		{"class missing", one(`{"version":1}`), "ike_sas entry 1: class is missing"},
		{"unknown class", one(`{"class":"establised"}`), `unknown class "establised"`},
		{"unknown mode", one(`{"class":"established","mode":"quick"}`), `unknown mode "quick"`},
		{"version 3", one(`{"class":"established","version":3}`), "version must be 1 or 2"},
		{"count 0", one(`{"class":"established","count":0}`), "count must be at least 1"},
		{"bad initiator", one(`{"class":"established","initiator":"192.0.2.1"}`), "initiator: want ip:port"},
		{"bad duration", one(`{"class":"established","established_within":"2"}`), "established_within: want a positive duration"},
		{"zero duration", one(`{"class":"established","established_within":"0s"}`), "established_within: want a positive duration"},
		{"tolerance without phase1_ms", one(`{"class":"established","tolerance_ms":5}`), "tolerance_ms/tolerance_pct given without phase1_ms"},
		{"negative tolerance", one(`{"class":"established","phase1_ms":5,"tolerance_pct":-1}`), "tolerance_pct must be at least 0"},
		{"negative esp", one(`{"class":"established","esp_packets_at_least":-1}`), "esp_packets_at_least: cannot use a JSON number"},
		{"wrong type", one(`{"class":"established","no_retransmissions":"yes"}`), "no_retransmissions: cannot use a JSON string"},
		{"empty event", one(`{"class":"established","events":[""]}`), "events: empty event type"},
		{"unknown profile", `{"schema":1,"profile":"cisco","ike_sas":[]}`, `unknown profile "cisco"`},
		{"syntax error with position", "{\n  \"schema\": 1,\n  \"ike_sas\": [,]\n}", "line 3, column 15"},
		{"trailing data", `{"schema":1,"ike_sas":[]} {}`, "unexpected data after the JSON object"},
		{"empty file", ``, "unexpected end of file"},
		{"not an object", `[]`, "cannot use a JSON array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, err := Parse([]byte(tc.doc))
			if err == nil {
				t.Fatalf("Parse(%s) = %+v, want an error", tc.doc, x)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestLoadNamesFile(t *testing.T) {
	if _, err := Load("testdata-does-not-exist.expect.json"); err == nil {
		t.Error("Load of a missing file: no error")
	}
	_, err := Load("../testdata/check/unknown-field.expect.json")
	if err == nil || !strings.Contains(err.Error(), "unknown-field.expect.json: ") || !strings.Contains(err.Error(), `unknown field "esp_packets"`) {
		t.Errorf("Load: %v", err)
	}
}

func TestMarshalStable(t *testing.T) {
	x := mustParse(t, `{"ike_sas":[{"events":["natt"],"phase1_ms":35.2,"class":"established","initiator":"192.0.2.1:500","version":1,"comment":"c"}],"schema":1}`)
	b, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "schema": 1,
  "ike_sas": [
    {
      "comment": "c",
      "class": "established",
      "version": 1,
      "initiator": "192.0.2.1:500",
      "phase1_ms": 35.2,
      "events": [
        "natt"
      ]
    }
  ]
}
`
	if string(b) != want {
		t.Errorf("Marshal:\n%s\nwant:\n%s", b, want)
	}
	if b2, _ := mustParse(t, string(b)).Marshal(); string(b2) != string(b) {
		t.Errorf("Marshal(Parse(Marshal)) differs:\n%s", b2)
	}
}

func TestFromResults(t *testing.T) {
	failed := mkSA(func(sa *report.SAJSON) {
		sa.Version, sa.Mode, sa.Initiator, sa.Responder = 2, "ikev2", "[2001:db8::1]:500", "[2001:db8::2]:500"
		sa.Established = nil
		sa.Verdict.Class = "auth_failed"
		sa.Verdict.WindowsError = &report.WindowsJSON{Code: 13801}
	})
	a := analysis(mkSA(), failed)
	x := FromResults(a, "windows")
	b, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "schema": 1,
  "profile": "windows",
  "ike_sas": [
    {
      "class": "established",
      "version": 1,
      "mode": "main",
      "initiator": "192.0.2.1:500",
      "responder": "198.51.100.1:500"
    },
    {
      "class": "auth_failed",
      "windows_code": 13801,
      "version": 2,
      "mode": "ikev2",
      "initiator": "[2001:db8::1]:500",
      "responder": "[2001:db8::2]:500"
    }
  ]
}
`
	if string(b) != want {
		t.Errorf("FromResults:\n%s\nwant:\n%s", b, want)
	}
	// What it writes parses and holds.
	if d := Compare(mustParse(t, string(b)), a); d != nil {
		t.Errorf("FromResults does not hold for its own analysis: %q", diffStrings(d))
	}
}

func TestUpdate(t *testing.T) {
	old := mustParse(t, `{
  "schema": 1,
  "comment": "file comment",
  "profile": "libreswan",
  "ike_sas": [
    {"comment": "kept", "class": "established", "version": 1, "initiator": "192.0.2.1:500",
     "established_within": "1s", "phase1_ms": 30, "tolerance_ms": 10, "no_retransmissions": true,
     "rekeyed": false, "esp_packets_at_least": 10, "events": ["natt", "ike_fragmented"]},
    {"class": "mm_delay_drop", "count": 2, "mode": "main"},
    {"class": "no_response"}
  ],
  "findings": ["smb_reset"]
}`)
	retry := func(sa *report.SAJSON) { sa.Established = nil; sa.Verdict.Class = "mm_delay_drop" }
	// Now: SA 1 slower (phase1 outside its tolerance, still within 1s),
	// retransmitted; SAs 2 and 3 still mm_delay_drop; no fourth SA; no
	// findings.
	a := analysis(
		mkSA(func(sa *report.SAJSON) {
			sa.Established = sp("2024-03-12T10:00:00.080000Z")
			sa.Exchanges[0].Messages[0].Retransmissions = 1
		}),
		mkSA(retry), mkSA(retry))
	x, notes := Update(old, a)
	b, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "schema": 1,
  "comment": "file comment",
  "profile": "libreswan",
  "ike_sas": [
    {
      "comment": "kept",
      "class": "established",
      "version": 1,
      "initiator": "192.0.2.1:500",
      "established_within": "1s",
      "phase1_ms": 80,
      "tolerance_ms": 10,
      "rekeyed": false,
      "esp_packets_at_least": 10,
      "events": [
        "natt"
      ]
    },
    {
      "class": "mm_delay_drop",
      "count": 2,
      "mode": "main"
    }
  ]
}
`
	if string(b) != want {
		t.Errorf("Update:\n%s\nwant:\n%s", b, want)
	}
	wantNotes := []string{
		ep + "phase1_ms: 30 -> 80 (outside the tolerance; tolerance kept)",
		ep + "dropped no_retransmissions true (1 retransmission now)",
		ep + "dropped event ike_fragmented (no longer reported)",
		"ike_sa 4: removed (class no_response): the capture has 3 IKE SAs now",
		"findings: dropped smb_reset (no longer reported)",
	}
	if !reflect.DeepEqual(notes, wantNotes) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(wantNotes, "\n"))
	}
	if d := Compare(mustParse(t, string(b)), a); d != nil {
		t.Errorf("updated file does not hold: %q", diffStrings(d))
	}
	// Updating again changes nothing.
	x2, notes2 := Update(x, a)
	if b2, _ := x2.Marshal(); string(b2) != string(b) || len(notes2) != 0 {
		t.Errorf("second update changed the file or has notes %q:\n%s", notes2, b2)
	}
}

func TestUpdateClassChangeAndSplit(t *testing.T) {
	old := mustParse(t, one(`{"class":"mm_delay_drop","count":2,"windows_code":13814,"initiator":"192.0.2.1:500"}`))
	est := mkSA()
	a := analysis(mkSA(func(sa *report.SAJSON) {
		sa.Established = nil
		sa.Verdict.Class = "mm_delay_drop"
		sa.Verdict.WindowsError = &report.WindowsJSON{Code: 13814}
	}), est, mkSA(func(sa *report.SAJSON) { sa.Initiator = "192.0.2.7:500" }))
	x, notes := Update(old, a)
	b, _ := x.Marshal()
	want := `{
  "schema": 1,
  "ike_sas": [
    {
      "class": "mm_delay_drop",
      "windows_code": 13814,
      "initiator": "192.0.2.1:500"
    },
    {
      "class": "established",
      "windows_code": 0,
      "initiator": "192.0.2.1:500"
    },
    {
      "class": "established",
      "version": 1,
      "mode": "main",
      "initiator": "192.0.2.7:500",
      "responder": "198.51.100.1:500"
    }
  ]
}
`
	if string(b) != want {
		t.Errorf("Update:\n%s\nwant:\n%s", b, want)
	}
	wantNotes := []string{
		"ike_sa 2 (192.0.2.1:500 -> 198.51.100.1:500): class: mm_delay_drop -> established",
		"ike_sa 2 (192.0.2.1:500 -> 198.51.100.1:500): windows_code: 13814 ERROR_IPSEC_IKE_MM_DELAY_DROP -> none",
		"ike_sa 3 (192.0.2.7:500 -> 198.51.100.1:500): added, class established",
	}
	if !reflect.DeepEqual(notes, wantNotes) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(wantNotes, "\n"))
	}
	if d := Compare(mustParse(t, string(b)), a); d != nil {
		t.Errorf("updated file does not hold: %q", diffStrings(d))
	}
}
