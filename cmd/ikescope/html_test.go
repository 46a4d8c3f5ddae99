package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/internal/synth"
	"golang.org/x/net/html"
)

// Markup and terminal escapes that a hostile peer puts in its identities
// and vendor ID (synth.HostileSample).
const (
	hostileInitID = `<img src=x onerror="document.title='pwned'">`
	hostileRespID = "<script>document.title='pwned2'</script>\x1b[2J\u202e"
	hostileVID    = "OE-Libreswan-<svg onload=\"document.title='pwned3'\">"
)

// writeHostile writes synth.HostileSample to a temporary file.
func writeHostile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hostile.pcap")
	var b bytes.Buffer
	if err := synth.HostileSample(&b, hostileInitID, hostileRespID, hostileVID); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// htmlSAData is the part of the report's data block the tests read.
type htmlSAData struct {
	SA struct {
		ID      int `json:"id"`
		Verdict struct {
			Class string `json:"class"`
		} `json:"verdict"`
		VendorIDs []struct {
			Name string `json:"name"`
		} `json:"vendor_ids"`
	} `json:"sa"`
	Steps []struct {
		Times []float64 `json:"t"`
		IDs   []string  `json:"ids"`
		Ghost bool      `json:"ghost"`
	} `json:"steps"`
}

// reportElements are the only elements the page itself holds; anything
// else came from a capture.
var reportElements = map[string]bool{
	"html": true, "head": true, "meta": true, "link": true, "title": true, "style": true, "body": true, "header": true,
	"h1": true, "h2": true, "p": true, "span": true, "noscript": true, "section": true, "form": true, "label": true,
	"input": true, "b": true, "button": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true,
	"td": true, "ul": true, "li": true, "script": true, "div": true,
}

// checkHTML parses a report and checks that it holds only the report's own
// elements, no event handler or fetchable URL, a data block that is JSON
// with one entry per summary row, and a CSP that allows exactly its
// script. It returns the data.
func checkHTML(t *testing.T, page []byte) []htmlSAData {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var csp, code, data string
	var scripts int
	var rows []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if !reportElements[n.Data] {
				t.Errorf("unexpected element <%s>", n.Data)
			}
			attrs := map[string]string{}
			for _, a := range n.Attr {
				attrs[a.Key] = a.Val
				k := strings.ToLower(a.Key)
				if strings.HasPrefix(k, "on") || k == "src" || k == "style" || k == "srcdoc" || k == "action" ||
					(k == "href" && a.Val != "data:,") {
					t.Errorf("<%s> has attribute %s=%q", n.Data, a.Key, a.Val)
				}
			}
			switch n.Data {
			case "meta":
				if attrs["http-equiv"] == "Content-Security-Policy" {
					csp = attrs["content"]
				}
			case "script":
				scripts++
				text := ""
				if n.FirstChild != nil {
					text = n.FirstChild.Data
				}
				if attrs["type"] == "application/json" {
					data = text
				} else {
					code = text
				}
			case "div":
				if attrs["class"] == "row sa" {
					rows = append(rows, attrs["data-c"])
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if scripts != 2 {
		t.Errorf("%d <script> elements, want 2 (data and code)", scripts)
	}
	sum := sha256.Sum256([]byte(code))
	if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, "script-src "+h) {
		t.Errorf("CSP %q does not allow the page's script (%s)", csp, h)
	}
	if !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q allows fetches", csp)
	}
	var sas []htmlSAData
	if err := json.Unmarshal([]byte(data), &sas); err != nil {
		t.Fatalf("data block: %v", err)
	}
	if len(sas) != len(rows) {
		t.Fatalf("%d summary rows, %d SAs in the data", len(rows), len(sas))
	}
	for i, sa := range sas {
		if rows[i] != sa.SA.Verdict.Class {
			t.Errorf("row %d: class %q, data %q", i, rows[i], sa.SA.Verdict.Class)
		}
	}
	return sas
}

// TestAnalyzeHTMLCaptures renders every committed capture (and the public
// ones when ../shared is there): the page parses, holds nothing but its
// own markup, and agrees with -T json on the SAs and their verdicts.
func TestAnalyzeHTMLCaptures(t *testing.T) {
	dirs := []string{filepath.Join("..", "..", "testdata")}
	if _, err := os.Stat(schemaSharedPcaps); err == nil {
		dirs = append(dirs, schemaSharedPcaps)
	}
	for _, dir := range dirs {
		for _, p := range contractCaptures(t, dir) {
			name, _ := filepath.Rel(filepath.Join(dir, ".."), p)
			t.Run(filepath.ToSlash(name), func(t *testing.T) {
				_, page, _ := runCmd(t, "analyze", "-T", "html", p)
				_, js, _ := runCmd(t, "analyze", "-T", "json", p)
				var doc struct {
					IKESAs []struct {
						ID       int                    `json:"id"`
						Verdict  struct{ Class string } `json:"verdict"`
						Exchange []struct {
							Messages []struct {
								SendTimes []string `json:"send_times"`
							} `json:"messages"`
						} `json:"exchanges"`
					} `json:"ike_sas"`
				}
				if err := json.Unmarshal([]byte(js), &doc); err != nil {
					t.Fatal(err)
				}
				sas := checkHTML(t, []byte(page))
				if len(sas) != len(doc.IKESAs) {
					t.Fatalf("%d SAs in the HTML, %d in the JSON", len(sas), len(doc.IKESAs))
				}
				for i, j := range doc.IKESAs {
					h := sas[i]
					if h.SA.ID != j.ID || h.SA.Verdict.Class != j.Verdict.Class {
						t.Errorf("SA %d: HTML #%d %s, JSON #%d %s", i, h.SA.ID, h.SA.Verdict.Class, j.ID, j.Verdict.Class)
					}
					var sends, steps int
					for _, x := range j.Exchange {
						for _, m := range x.Messages {
							steps++
							sends += len(m.SendTimes)
						}
					}
					got, real := 0, 0
					for _, s := range h.Steps {
						if !s.Ghost {
							real++
							got += len(s.Times)
						}
					}
					if real != steps || got != sends {
						t.Errorf("SA #%d: %d steps with %d sends, JSON has %d messages sent %d times", j.ID, real, got, steps, sends)
					}
				}
			})
		}
	}
}

// TestAnalyzeHTMLHostile: identities and a vendor ID full of markup and
// terminal escapes reach the page as data, never as markup.
func TestAnalyzeHTMLHostile(t *testing.T) {
	p := writeHostile(t)
	code, page, errs := runCmd(t, "analyze", "-T", "html", p)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, bad := range []string{"<img", "<svg", "<script>document", "\x1b", "\u202e"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	sas := checkHTML(t, []byte(page))
	if len(sas) != 1 || sas[0].SA.Verdict.Class != string(classify.AuthFailed) {
		t.Fatalf("want one auth_failed SA, got %+v", sas)
	}
	var ids []string
	for _, s := range sas[0].Steps {
		ids = append(ids, s.IDs...)
	}
	want := []string{"ID_FQDN " + hostileInitID, `ID_USER_FQDN <script>document.title='pwned2'</script>\x1b[2J\xe2\x80\xae`}
	if strings.Join(ids, "|") != strings.Join(want, "|") {
		t.Errorf("identities %q, want %q", ids, want)
	}
	if v := sas[0].SA.VendorIDs; len(v) != 1 || v[0].Name != `Libreswan <svg onload="document.title='pwned3'">` {
		t.Errorf("vendor IDs %+v", v)
	}
}

// TestAnalyzeHTMLFile: --html FILE writes the same page as -T html while
// the normal output goes on; a path that cannot be created is a usage
// error before anything is read.
func TestAnalyzeHTMLFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.html")
	code, text, errs := runCmd(t, "analyze", "--html", out, sample)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(text, "verdict: ESTABLISHED") {
		t.Errorf("text output missing:\n%s", text)
	}
	file, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	_, page, _ := runCmd(t, "analyze", "-T", "html", sample)
	if string(file) != page {
		t.Error("--html and -T html differ")
	}
	checkHTML(t, file)
	// jsonl streams and still fills the page.
	code, lines, _ := runCmd(t, "analyze", "-T", "jsonl", "--html", out, sample)
	if code != exitOK || !strings.Contains(lines, `"sa_verdict"`) {
		t.Fatalf("jsonl with --html: exit %d\n%s", code, lines)
	}
	if file, _ = os.ReadFile(out); len(checkHTML(t, file)) == 0 {
		t.Error("jsonl with --html: no SA in the page")
	}
	if code, _, _ := runCmd(t, "analyze", "--html", filepath.Join(t.TempDir(), "no", "such", "dir", "r.html"), sample); code != exitUsage {
		t.Errorf("bad --html path: exit %d, want %d", code, exitUsage)
	}
}

// TestHTMLFilterRules: the stylesheet can hide every verdict class.
func TestHTMLFilterRules(t *testing.T) {
	css, err := os.ReadFile(filepath.Join("..", "..", "report", "html", "report.css"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range classify.Classes {
		if rule := `#sas.hide-` + string(c) + ` [data-c="` + string(c) + `"]`; !bytes.Contains(css, []byte(rule)) {
			t.Errorf("report.css has no rule %s", rule)
		}
	}
}
