package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/ikescope/ikescope/internal/synth"
)

// The HTML report in a real browser: headless Chromium driven over the
// DevTools protocol. Skipped when no Chromium is installed, unless
// IKESCOPE_REQUIRE_BROWSER=1 (CI as root) makes that a failure.

// browser is a headless Chromium tab that records console errors,
// uncaught exceptions and browser log errors (CSP violations, failed
// loads).
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		if os.Getenv("IKESCOPE_REQUIRE_BROWSER") == "1" {
			t.Fatal("IKESCOPE_REQUIRE_BROWSER=1 but no chromium in PATH (apt-get install chromium)")
		}
		t.Skip("no chromium in PATH")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.WindowSize(1400, 1000),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := &browser{ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			switch ev.Type {
			case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeAssert:
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				msg = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
			}
		case *runtime.EventExceptionThrown:
			if d := ev.ExceptionDetails; d != nil {
				msg = "exception: " + d.Text
				if d.Exception != nil {
					msg += " " + d.Exception.Description
				}
			}
		case *cdplog.EventEntryAdded:
			if e := ev.Entry; e != nil && (e.Level == cdplog.EntryLevelError || e.Level == cdplog.EntryLevelWarning) {
				msg = "log " + string(e.Source) + ": " + e.Text + " " + e.URL
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.errors = append(b.errors, msg)
			b.mu.Unlock()
		}
	})
	if err == nil {
		// The log domain reports CSP violations and failed loads.
		err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, cdplog.Enable, cdp.Empty{})
			return err
		}))
	}
	if err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return b
}

// open loads a report file and returns how long navigation took (until
// the load event).
func (b *browser) open(t *testing.T, path string) time.Duration {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := chromedp.Do(b.ctx, chromedp.Navigate("file://"+abs)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	return time.Since(start)
}

// actionTimeout bounds one step in the page (a selector that matches
// nothing would otherwise wait for the whole test's deadline).
const actionTimeout = 30 * time.Second

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *browser, js string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// text is the visible text of the first element matching a CSS selector.
func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (b *browser) click(t *testing.T, sel string) {
	t.Helper()
	b.do(t, chromedp.Click(chromedp.CSS(sel)))
}

// reset forgets the errors seen so far.
func (b *browser) reset() {
	b.mu.Lock()
	b.errors = nil
	b.mu.Unlock()
}

// noErrors fails on anything the page logged as an error or warning.
func (b *browser) noErrors(t *testing.T) {
	t.Helper()
	// Let pending events arrive.
	b.do(t, chromedp.Sleep(100*time.Millisecond))
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Error(e)
	}
}

// writeReport runs analyze -T html on a capture into a temporary file.
func writeReport(t *testing.T, capture string) string {
	t.Helper()
	code, page, errs := runCmd(t, "analyze", "-T", "html", capture)
	if code != exitOK {
		t.Fatalf("analyze %s: exit %d: %s", capture, code, errs)
	}
	p := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(capture), filepath.Ext(capture))+".html")
	if err := os.WriteFile(p, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHTMLBrowserLadder: committed captures from real daemons open without
// an error, and each SA's ladder (drawn at load, as there are few SAs)
// has one arrow per send seen, retransmissions dashed, and the verdict
// beside the step that decided it.
func TestHTMLBrowserLadder(t *testing.T) {
	b := newBrowser(t)
	for _, tc := range []struct {
		capture string
		class   string
		arrows  int // every send: messages plus retransmissions
		rt      int
		esp     int // ESP bands
		ghosts  int // sends seen only as IP fragments
		// open: the label of the message an unfinished exchange stopped at.
		open string
		// frame of a message and what its detail must say.
		frame  int
		detail string
	}{
		{capture: "v1_mm_stall.pcapng", class: "mm_delay_drop", arrows: 6, rt: 3, open: "Main Mode #3", frame: 5, detail: "payloads: KE NONCE NAT-D NAT-D"},
		{capture: "v2_success.pcapng", class: "established", arrows: 6, esp: 2, frame: 3, detail: "payloads: SA KE Nonce"},
		{capture: "v1_cert_frags_lost.pcapng", class: "mm_delay_drop", arrows: 8, rt: 3, ghosts: 4, open: "Main Mode (IP fragments only)", frame: 9,
			detail: "seen only in part"},
		{capture: "v2_no_response.pcapng", class: "no_response", arrows: 4, rt: 3, open: "IKE_SA_INIT request", frame: 3, detail: "sent 4 times"},
	} {
		t.Run(tc.capture, func(t *testing.T) {
			capture := filepath.Join("..", "..", "testdata", "gen", "captures", tc.capture)
			b.open(t, writeReport(t, capture))
			type ladderCounts struct {
				SAs, Ladders, Arrows, RT, ESP, Ghosts int
				Verdict                               []string
				Open                                  []string
				Labels                                []string
			}
			got := eval[ladderCounts](t, b, `(() => {
				const q = s => Array.from(document.querySelectorAll(s));
				return {
					SAs: q('#sas .row.sa').length,
					Ladders: q('svg.ladder').length,
					Arrows: q('svg.ladder g.msg').length,
					RT: q('svg.ladder g.msg.rt').length,
					ESP: q('svg.ladder g.esp').length,
					Ghosts: q('svg.ladder g.msg.ghost').length,
					Verdict: q('svg.ladder .vbadge').map(e => e.textContent),
					Open: q('svg.ladder g.msg.open:not(.rt) text.lbl').map(e => e.textContent),
					Labels: q('svg.ladder g.msg text.sub').map(e => e.textContent),
				};
			})()`)
			if got.SAs != 1 || got.Ladders != 1 {
				t.Fatalf("%d SAs, %d ladders drawn; want 1 and 1", got.SAs, got.Ladders)
			}
			if got.Arrows != tc.arrows || got.RT != tc.rt || got.ESP != tc.esp || got.Ghosts != tc.ghosts {
				t.Errorf("%d arrows (%d retransmissions, %d seen in part), %d ESP bands; want %d (%d, %d), %d",
					got.Arrows, got.RT, got.Ghosts, got.ESP, tc.arrows, tc.rt, tc.ghosts, tc.esp)
			}
			if len(got.Verdict) != 1 || got.Verdict[0] != "verdict: "+tc.class {
				t.Errorf("verdict on the ladder: %q, want %q", got.Verdict, "verdict: "+tc.class)
			}
			if tc.open != "" && (len(got.Open) != 1 || got.Open[0] != tc.open) {
				t.Errorf("unanswered message %q, want %q", got.Open, tc.open)
			}
			frames := 0
			for _, l := range got.Labels {
				if strings.HasPrefix(l, "frame ") {
					frames++
				}
			}
			if frames != tc.arrows {
				t.Errorf("frame numbers on %d arrows of %d: %q", frames, tc.arrows, got.Labels)
			}
			// Expanding a message shows its payloads.
			b.click(t, `svg.ladder g.msg[data-frame="`+strconv.Itoa(tc.frame)+`"]`)
			detail := b.text(t, `.step`)
			if !strings.Contains(detail, tc.detail) || !strings.Contains(detail, "frame "+strconv.Itoa(tc.frame)) {
				t.Errorf("detail of frame %d: %q, want %q", tc.frame, detail, tc.detail)
			}
			// The row folds and unfolds.
			b.click(t, `#sas .row.sa`)
			n1 := eval[int](t, b, `document.querySelectorAll('svg.ladder').length`)
			b.click(t, `#sas .row.sa`)
			n2 := eval[int](t, b, `document.querySelectorAll('svg.ladder').length`)
			if n1 != 0 || n2 != 1 {
				t.Errorf("fold/unfold: %d then %d ladders, want 0 then 1", n1, n2)
			}
			b.noErrors(t)
		})
	}
}

// TestHTMLBrowserHostile: identities and a vendor ID carrying markup are
// shown literally and inject nothing: no image, no extra script or SVG,
// no handler ran.
func TestHTMLBrowserHostile(t *testing.T) {
	b := newBrowser(t)
	b.open(t, writeReport(t, writeHostile(t)))
	type pageFacts struct {
		Title                    string
		Img, Scripts, SVG, Attrs int
		Text                     string
	}
	wants := []string{
		"ID_FQDN " + hostileInitID,
		`ID_USER_FQDN <script>document.title='pwned2'</script>\x1b[2J\xe2\x80\xae`,
		`Libreswan <svg onload="document.title='pwned3'">`,
	}
	// innerText follows layout, which a loaded machine may not have done
	// for every part yet: look again for a while before judging.
	var got pageFacts
	for deadline := time.Now().Add(actionTimeout); ; {
		got = eval[pageFacts](t, b, `(() => ({
		Title: document.title,
		Img: document.querySelectorAll('img, iframe, object, embed').length,
		Scripts: document.scripts.length,
		SVG: document.querySelectorAll('svg').length,
		Attrs: document.querySelectorAll('[onerror], [onload], [onclick]').length,
		Text: document.body.innerText,
	}))()`)
		all := true
		for _, w := range wants {
			all = all && strings.Contains(got.Text, w)
		}
		if all || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Contains(got.Title, "pwned") {
		t.Errorf("a handler from the capture ran: title %q", got.Title)
	}
	if got.Img != 0 || got.Scripts != 2 || got.SVG != 1 || got.Attrs != 0 {
		t.Errorf("injected elements: %d img/iframe/object/embed, %d scripts (want 2), %d svg (want 1), %d handler attributes",
			got.Img, got.Scripts, got.SVG, got.Attrs)
	}
	for _, want := range wants {
		if !strings.Contains(got.Text, want) {
			t.Errorf("page does not show %q literally", want)
		}
	}
	// The identity is in the message detail too.
	b.click(t, `svg.ladder g.msg[data-frame="1"]`)
	detail := b.text(t, `.step`)
	if !strings.Contains(detail, "identity: ID_FQDN "+hostileInitID) {
		t.Errorf("detail of frame 1: %q", detail)
	}
	if n := eval[int](t, b, `document.querySelectorAll('img, [onerror], [onload]').length`); n != 0 {
		t.Errorf("%d injected elements after expanding", n)
	}
	b.noErrors(t)
}

// TestHTMLBrowserManySAs: a capture of 10 000 SAs opens with its summary,
// filters by class, and draws a ladder on demand. The load time is
// reported, not asserted.
func TestHTMLBrowserManySAs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	b := newBrowser(t)
	const n = 10000
	capture := filepath.Join(t.TempDir(), "many.pcap")
	var buf bytes.Buffer
	if err := synth.ManySAs(&buf, n); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(capture, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	report := writeReport(t, capture)
	st, _ := os.Stat(report)
	start := time.Now()
	took := b.open(t, report)
	eval[bool](t, b, nextFrame, chromedp.EvalAwaitPromise)
	ready := time.Since(start)
	type navTiming struct{ DOMContentLoaded, Load, Paint float64 }
	nav := eval[navTiming](t, b, `(() => { const e = performance.getEntriesByType('navigation')[0];
		const p = performance.getEntriesByName('first-contentful-paint');
		return {DOMContentLoaded: e.domContentLoadedEventEnd, Load: e.loadEventEnd, Paint: p.length ? p[0].startTime : -1}; })()`)
	t.Logf("%d SAs: report %.1f MB; navigation %v, drawn %v as seen by the test; in the page: first contentful paint %.0f ms, DOMContentLoaded %.0f ms, load %.0f ms",
		n, float64(st.Size())/1e6, took.Round(time.Millisecond), ready.Round(time.Millisecond), nav.Paint, nav.DOMContentLoaded, nav.Load)

	rows := eval[int](t, b, `document.querySelectorAll('#sas .row.sa').length`)
	ladders := eval[int](t, b, `document.querySelectorAll('svg.ladder').length`)
	if rows != n || ladders != 0 {
		t.Fatalf("%d rows, %d ladders drawn at load; want %d and 0", rows, ladders, n)
	}
	// Hide the established SAs: the no_response ones remain.
	want := eval[int](t, b, `Number(document.querySelector('input[value="no_response"]').dataset.n)`)
	start = time.Now()
	b.click(t, `input[value="established"]`)
	eval[bool](t, b, nextFrame, chromedp.EvalAwaitPromise)
	t.Logf("hide established, until the page has drawn again: %v", time.Since(start).Round(time.Millisecond))
	visible := eval[int](t, b, `Array.from(document.querySelectorAll('#sas .row.sa')).filter(r => r.offsetParent !== null).length`)
	if want == 0 || visible != want {
		t.Errorf("%d rows visible after hiding established, want %d", visible, want)
	}
	// Scroll to the end and open the last SA: its ladder is drawn then.
	start = time.Now()
	id := eval[string](t, b, `(() => { window.scrollTo(0, document.body.scrollHeight);
		const r = Array.from(document.querySelectorAll('#sas .row.sa')).filter(r => r.offsetParent !== null).pop();
		r.click(); return r.dataset.id; })()`)
	ladders = eval[int](t, b, `document.querySelectorAll('svg.ladder g.msg').length`)
	t.Logf("scroll to the end and open the last SA (#%s; the first opening parses the data): %v", id, time.Since(start).Round(time.Millisecond))
	if ladders == 0 {
		t.Error("no ladder drawn for the last SA")
	}
	b.noErrors(t)
}

// TestHTMLBrowserAllCaptures opens every SA of every committed capture:
// no error, and each ladder has an arrow for every send in the data.
func TestHTMLBrowserAllCaptures(t *testing.T) {
	b := newBrowser(t)
	dir := filepath.Join("..", "..", "testdata")
	for _, p := range contractCaptures(t, dir) {
		if strings.HasSuffix(p, ".pcap") && fileExists(p+"ng") {
			continue // the same scenario as its .pcapng
		}
		name, _ := filepath.Rel(dir, p)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			b.reset()
			b.open(t, writeReport(t, p))
			type counts struct{ SAs, Ladders, Arrows, Sends int }
			got := eval[counts](t, b, `(() => {
				const rows = Array.from(document.querySelectorAll('#sas .row.sa'));
				for (const r of rows) if (r.getAttribute('aria-expanded') !== 'true') r.click();
				const data = JSON.parse(document.getElementById('data').textContent);
				return {
					SAs: rows.length,
					Ladders: document.querySelectorAll('svg.ladder').length,
					Arrows: document.querySelectorAll('svg.ladder g.msg').length,
					Sends: data.reduce((n, d) => n + d.steps.reduce((m, s) => m + s.t.length, 0), 0),
				};
			})()`)
			if got.Ladders != got.SAs || got.Arrows != got.Sends {
				t.Errorf("%d SAs, %d ladders; %d arrows for %d sends", got.SAs, got.Ladders, got.Arrows, got.Sends)
			}
			b.noErrors(t)
		})
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// nextFrame resolves once the page has drawn a frame after the current one.
const nextFrame = `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`

// TestHTMLBrowserSeesErrors proves the error checks can fail: a page with
// a console error, an uncaught exception and a script its CSP blocks
// reports all three.
func TestHTMLBrowserSeesErrors(t *testing.T) {
	b := newBrowser(t)
	page := `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-ulQfgmdSaG+4mjkJ9q2ifoBZ7wrTTeRrWsbIwsl7beo='">
<link rel="icon" href="data:,"></head><body>
<script>console.error("boom"); throw new Error("thrown")</script>
<script>document.title = "blocked"</script>
</body></html>`
	p := filepath.Join(t.TempDir(), "bad.html")
	if err := os.WriteFile(p, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	b.open(t, p)
	b.do(t, chromedp.Sleep(200*time.Millisecond))
	b.mu.Lock()
	all := strings.Join(b.errors, "\n")
	b.mu.Unlock()
	for _, want := range []string{"console.error", "exception", "Content Security Policy"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q among the errors seen:\n%s", want, all)
		}
	}
}
