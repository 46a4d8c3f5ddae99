package report

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestHTMLEmpty: a run without IKE SAs still gives a whole page, and a
// capture's file name is text, not markup.
func TestHTMLEmpty(t *testing.T) {
	doc := NewAnalysis(nil, nil)
	first := "2024-03-12T10:00:00.000000Z"
	doc.Tool = Tool{Name: "ikescope", Version: "test"}
	doc.Captures = []CaptureJSON{{File: "<img src=x onerror=alert(1)>\x1b[31m.pcap", Packets: 3, First: &first, Last: &first,
		Warnings: []string{"<script>alert(2)</script>"}}}
	var b bytes.Buffer
	if err := HTML(&b, doc, nil); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<img", "<script>alert", "\x1b"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if !strings.Contains(page, "No IKE SA in the capture.") {
		t.Error("no word that the capture has no IKE SA")
	}
	root, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "img" {
			t.Error("an <img> element")
		}
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	if s := text.String(); !strings.Contains(s, `<img src=x onerror=alert(1)>\x1b[31m.pcap`) || !strings.Contains(s, "<script>alert(2)</script>") {
		t.Errorf("file name or warning not shown literally:\n%s", s)
	}
}
