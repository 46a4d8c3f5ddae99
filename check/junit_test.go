package check

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// junitDoc is what a JUnit consumer reads, parsed back with encoding/xml.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name      string `xml:"name,attr"`
		Tests     int    `xml:"tests,attr"`
		Failures  int    `xml:"failures,attr"`
		Errors    int    `xml:"errors,attr"`
		Skipped   int    `xml:"skipped,attr"`
		Time      string `xml:"time,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Cases     []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestWriteJUnit(t *testing.T) {
	d1 := Difference{SA: 1, Endpoints: "192.0.2.1:500 -> 198.51.100.1:500", Field: "class", Want: "auth_failed", Got: "mm_delay_drop"}
	d2 := Difference{Field: "count", Want: "2 IKE SAs", Got: "3"}
	s := Suite{Name: "ikescope check", Timestamp: time.Date(2024, 3, 12, 10, 0, 0, 0, time.FixedZone("CET", 3600)), Cases: []Case{
		{Name: "testdata/a.pcap", Time: 1500 * time.Millisecond},
		{Name: "testdata/b <&> \"q\".pcap", Time: 250 * time.Millisecond, Differences: []Difference{d1, d2}},
		{Name: "testdata/c\x01.pcap", Error: "c.pcap.expect.json: invalid expectation file: ike_sas entry 1: unknown field \"clas\""},
	}}
	var b bytes.Buffer
	if err := WriteJUnit(&b, s); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?>`) || !strings.HasSuffix(out, "</testsuites>\n") {
		t.Errorf("no XML header or trailing newline:\n%s", out)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out)
	}
	if doc.Tests != 3 || doc.Failures != 1 || doc.Errors != 1 || len(doc.Suites) != 1 {
		t.Fatalf("testsuites: %+v", doc)
	}
	st := doc.Suites[0]
	if st.Name != "ikescope check" || st.Tests != 3 || st.Failures != 1 || st.Errors != 1 || st.Skipped != 0 || len(st.Cases) != 3 {
		t.Fatalf("testsuite: %+v", st)
	}
	if st.Timestamp != "2024-03-12T09:00:00" || st.Time != "1.750" {
		t.Errorf("timestamp %q time %q, want 2024-03-12T09:00:00 (UTC, no zone) and 1.750", st.Timestamp, st.Time)
	}
	c := st.Cases
	if c[0].Name != "testdata/a.pcap" || c[0].ClassName != JUnitClassName || c[0].Time != "1.500" || c[0].Failure != nil || c[0].Error != nil {
		t.Errorf("passing case: %+v", c[0])
	}
	if c[1].Name != "testdata/b <&> \"q\".pcap" || c[1].Failure == nil || c[1].Error != nil {
		t.Fatalf("failing case: %+v", c[1])
	}
	f := c[1].Failure
	if f.Type != "regression" || f.Message != "2 differences, first: "+d1.String() {
		t.Errorf("failure attributes: %+v", f)
	}
	if f.Text != d1.String()+"\n"+d2.String()+"\n" {
		t.Errorf("failure text %q", f.Text)
	}
	if c[2].Error == nil || c[2].Failure != nil || !strings.Contains(c[2].Error.Message, `unknown field "clas"`) {
		t.Errorf("error case: %+v", c[2])
	}
	// A control character in a name cannot appear in XML 1.0: it is replaced.
	if c[2].Name != "testdata/c\uFFFD.pcap" {
		t.Errorf("name with a control character came back as %q", c[2].Name)
	}
}

func TestWriteJUnitEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, Suite{Name: "ikescope check"}); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil || len(doc.Suites) != 1 || doc.Suites[0].Tests != 0 || doc.Suites[0].Timestamp != "" {
		t.Errorf("empty suite: %v %+v\n%s", err, doc, b.String())
	}
}
