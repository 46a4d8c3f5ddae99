package check

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"
)

// Case is the outcome of checking one capture, for JUnit.
type Case struct {
	// Name is the capture's path as given or found.
	Name string
	// Time is how long the check took (0 to leave it out).
	Time time.Duration
	// Differences are the differences found; the case failed if any.
	Differences []Difference
	// Error, when not "", says why the capture could not be checked (an
	// unreadable capture or an invalid expectation file).
	Error string
}

// Suite is one run of `ikescope check`.
type Suite struct {
	Name      string
	Timestamp time.Time // start of the run; zero to leave it out
	Cases     []Case
}

// JUnit XML as Jenkins (junit plugin), GitLab and most CI systems read it:
// a testsuites root holding one testsuite, one testcase per capture, with a
// failure element listing the differences or an error element.
type junitSuites struct {
	XMLName  xml.Name   `xml:"testsuites"`
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Errors   int        `xml:"errors,attr"`
	Time     string     `xml:"time,attr"`
	Suites   []junitSet `xml:"testsuite"`
}

type junitSet struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnitClassName is the classname of every testcase (Jenkins shows it as
// package "ikescope", class "check").
const JUnitClassName = "ikescope.check"

// WriteJUnit writes s as JUnit XML.
func WriteJUnit(w io.Writer, s Suite) error {
	set := junitSet{Name: s.Name, Tests: len(s.Cases), Cases: []junitCase{}}
	if !s.Timestamp.IsZero() {
		// The JUnit schema's timestamp has no zone: write UTC.
		set.Timestamp = s.Timestamp.UTC().Format("2006-01-02T15:04:05")
	}
	var total time.Duration
	for _, c := range s.Cases {
		total += c.Time
		jc := junitCase{ClassName: JUnitClassName, Name: c.Name, Time: seconds(c.Time)}
		switch {
		case c.Error != "":
			set.Errors++
			jc.Error = &junitProblem{Message: c.Error, Type: "error", Text: c.Error + "\n"}
		case len(c.Differences) > 0:
			set.Failures++
			var b strings.Builder
			for _, d := range c.Differences {
				b.WriteString(d.String() + "\n")
			}
			msg := c.Differences[0].String()
			if n := len(c.Differences); n > 1 {
				msg = strconv.Itoa(n) + " differences, first: " + msg
			}
			jc.Failure = &junitProblem{Message: msg, Type: "regression", Text: b.String()}
		}
		set.Cases = append(set.Cases, jc)
	}
	set.Time = seconds(total)
	doc := junitSuites{Name: s.Name, Tests: set.Tests, Failures: set.Failures, Errors: set.Errors, Time: set.Time,
		Suites: []junitSet{set}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}
