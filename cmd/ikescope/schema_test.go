package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The output contract: docs/analyze-schema.json must accept what
// `analyze -T json` and `-T jsonl` write for every capture we have, and
// reject a document that breaks the contract.

const schemaFile = "../../docs/analyze-schema.json"

var schemaSharedPcaps = filepath.Join("..", "..", "..", "shared", "pcaps")

// contractSchemas compiles the whole document schema and the jsonl line
// schemas ($defs) of docs/analyze-schema.json.
type contractSchemas struct {
	doc   *jsonschema.Schema
	line  *jsonschema.Schema            // any jsonl line
	lines map[string]*jsonschema.Schema // jsonl line by its "type"
	raw   map[string]any
}

func loadContract(t *testing.T) *contractSchemas {
	t.Helper()
	abs, err := filepath.Abs(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not JSON: %v", schemaFile, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // "date-time" is checked as well as the pattern
	if err := c.AddResource(abs, raw); err != nil {
		t.Fatal(err)
	}
	compile := func(ptr string) *jsonschema.Schema {
		s, err := c.Compile(abs + ptr)
		if err != nil {
			t.Fatalf("compiling %s%s: %v", schemaFile, ptr, err)
		}
		return s
	}
	return &contractSchemas{
		doc:  compile(""),
		line: compile("#/$defs/jsonl_line"),
		lines: map[string]*jsonschema.Schema{
			"sa_verdict": compile("#/$defs/sa_verdict_line"),
			"event":      compile("#/$defs/event_line"),
			"stats":      compile("#/$defs/stats_line"),
		},
		raw: raw.(map[string]any),
	}
}

// documented returns the values a $defs entry lists as "const" in its
// anyOf/oneOf (the documented event types, finding types or classes).
func (cs *contractSchemas) documented(def string) map[string]bool {
	d := cs.raw["$defs"].(map[string]any)[def].(map[string]any)
	out := map[string]bool{}
	for _, k := range []string{"anyOf", "oneOf"} {
		alts, _ := d[k].([]any)
		for _, a := range alts {
			if c, ok := a.(map[string]any)["const"].(string); ok {
				out[c] = true
			}
		}
	}
	return out
}

// contractCaptures lists the captures under dir.
func contractCaptures(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() {
			return nil
		}
		for _, ext := range []string{".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz"} {
			if strings.HasSuffix(p, ext) {
				out = append(out, p)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func decodeInstance(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b)
	}
	return v
}

// analyzeContract runs analyze -T json and -T jsonl on a capture and checks
// both against the schema and against each other.
func analyzeContract(t *testing.T, cs *contractSchemas, path string) {
	code, out, errs := runCmd(t, "analyze", "-T", "json", path)
	if code != exitOK && code != exitDamaged {
		t.Fatalf("analyze -T json: exit %d: %s", code, errs)
	}
	doc := decodeInstance(t, []byte(out))
	if err := cs.doc.Validate(doc); err != nil {
		t.Fatalf("the JSON document does not match %s:\n%v", schemaFile, err)
	}
	var d struct {
		IKESAs []struct {
			ID     int `json:"id"`
			Events []struct {
				Type string `json:"type"`
			} `json:"events"`
		} `json:"ike_sas"`
		Findings []json.RawMessage `json:"findings"`
		Summary  json.RawMessage   `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	eventTypes, findingTypes := cs.documented("event_type"), cs.documented("finding_type")
	for _, sa := range d.IKESAs {
		for _, e := range sa.Events {
			if !eventTypes[e.Type] {
				t.Errorf("SA #%d: event type %q is not documented in $defs/event_type", sa.ID, e.Type)
			}
		}
	}
	docSAs := map[int]any{}
	for _, sa := range doc.(map[string]any)["ike_sas"].([]any) {
		id, _ := sa.(map[string]any)["id"].(json.Number).Int64()
		docSAs[int(id)] = sa
	}

	code, out, errs = runCmd(t, "analyze", "-T", "jsonl", path)
	if code != exitOK && code != exitDamaged {
		t.Fatalf("analyze -T jsonl: exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	streamed := map[int][]any{} // SA id -> its event objects, in line order
	verdicts := map[int]bool{}
	var findings []any
	for i, l := range lines {
		v := decodeInstance(t, []byte(l))
		if err := cs.line.Validate(v); err != nil {
			t.Fatalf("line %d does not match $defs/jsonl_line: %v\n%s", i+1, err, l)
		}
		m := v.(map[string]any)
		typ, _ := m["type"].(string)
		s := cs.lines[typ]
		if s == nil {
			t.Fatalf("line %d: unknown type %q", i+1, typ)
		}
		if err := s.Validate(v); err != nil {
			t.Fatalf("line %d does not match $defs/%s_line: %v\n%s", i+1, typ, err, l)
		}
		if (typ == "stats") != (i == len(lines)-1) {
			t.Fatalf("line %d: the stats line must be the last line, and only it", i+1)
		}
		switch {
		case typ == "sa_verdict":
			sa := m["ike_sa"].(map[string]any)
			id64, _ := sa["id"].(json.Number).Int64()
			id := int(id64)
			if verdicts[id] {
				t.Errorf("line %d: a second sa_verdict line for SA #%d", i+1, id)
			}
			verdicts[id] = true
			if len(findings) > 0 {
				t.Errorf("line %d: sa_verdict after a finding line; findings come at the end", i+1)
			}
			if !reflect.DeepEqual(sa, docSAs[id]) {
				t.Errorf("line %d: SA #%d differs from the JSON document's", i+1, id)
			}
			want, _ := sa["events"].([]any)
			if got := streamed[id]; !reflect.DeepEqual(got, want) && (len(got) != 0 || len(want) != 0) {
				t.Errorf("SA #%d: event lines before its sa_verdict %v, want its events %v", id, got, want)
			}
		case typ == "event" && m["finding"] != nil:
			findings = append(findings, m["finding"])
		case typ == "event":
			id64, _ := m["ike_sa_id"].(json.Number).Int64()
			id := int(id64)
			if verdicts[id] {
				t.Errorf("line %d: event for SA #%d after its sa_verdict line", i+1, id)
			}
			streamed[id] = append(streamed[id], m["event"])
		case typ == "stats":
			if !reflect.DeepEqual(m["summary"], doc.(map[string]any)["summary"]) {
				t.Errorf("stats summary %v, want the JSON document's %v", m["summary"], doc.(map[string]any)["summary"])
			}
		}
	}
	if len(verdicts) != len(docSAs) {
		t.Errorf("%d sa_verdict lines, want one per IKE SA (%d)", len(verdicts), len(docSAs))
	}
	for id := range streamed {
		if !verdicts[id] {
			t.Errorf("event lines for SA #%d, which has no sa_verdict line", id)
		}
	}
	if len(findings) != len(d.Findings) {
		t.Errorf("%d finding lines, want %d", len(findings), len(d.Findings))
	}
	for _, f := range findings {
		if typ := f.(map[string]any)["type"].(string); !findingTypes[typ] {
			t.Errorf("finding type %q is not documented in $defs/finding_type", typ)
		}
	}
}

func TestAnalyzeSchemaTestdata(t *testing.T) {
	cs := loadContract(t)
	dir := filepath.Join("..", "..", "testdata")
	caps := contractCaptures(t, dir)
	if len(caps) == 0 {
		t.Fatal("no captures under testdata/")
	}
	for _, p := range caps {
		name, _ := filepath.Rel(dir, p)
		t.Run(filepath.ToSlash(name), func(t *testing.T) { analyzeContract(t, cs, p) })
	}
}

func TestAnalyzeSchemaSharedPcaps(t *testing.T) {
	if _, err := os.Stat(schemaSharedPcaps); err != nil {
		t.Skip("../shared/pcaps not present")
	}
	cs := loadContract(t)
	caps := contractCaptures(t, schemaSharedPcaps)
	if len(caps) == 0 {
		t.Fatal("no captures under ../shared/pcaps")
	}
	for _, p := range caps {
		name, _ := filepath.Rel(schemaSharedPcaps, p)
		t.Run(filepath.ToSlash(name), func(t *testing.T) { analyzeContract(t, cs, p) })
	}
}

// TestAnalyzeSchemaRejects proves that validation can fail: each mutation
// of a real document or line breaks the contract and must be rejected.
func TestAnalyzeSchemaRejects(t *testing.T) {
	cs := loadContract(t)
	code, out, errs := runCmd(t, "analyze", "-T", "json", "../../testdata/windows/windows-vids-status.pcap")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	fresh := func() map[string]any { return decodeInstance(t, []byte(out)).(map[string]any) }
	// The capture has an IKEv1 SA with a main mode exchange, and an SA
	// with a Windows status notify (an event and a windows_error).
	v1, win := -1, -1
	for i, s := range fresh()["ike_sas"].([]any) {
		m := s.(map[string]any)
		if v1 < 0 && m["version"] == json.Number("1") && len(m["exchanges"].([]any)) > 0 {
			v1 = i
		}
		if win < 0 && m["verdict"].(map[string]any)["windows_error"] != nil && len(m["events"].([]any)) > 0 {
			win = i
		}
	}
	if v1 < 0 || win < 0 {
		t.Fatalf("windows-vids-status.pcap no longer has an IKEv1 SA and an SA with a Windows error and an event:\n%s", out)
	}
	sa := func(d map[string]any, i int) map[string]any { return d["ike_sas"].([]any)[i].(map[string]any) }
	if err := cs.doc.Validate(fresh()); err != nil {
		t.Fatalf("the unchanged document must be valid: %v", err)
	}
	for _, c := range []struct {
		name   string
		mutate func(d map[string]any)
	}{
		{"renamed field", func(d map[string]any) {
			s := sa(d, v1)
			s["initiator_cookie"] = s["initiator_spi"]
			delete(s, "initiator_spi")
		}},
		{"unknown class", func(d map[string]any) { sa(d, v1)["verdict"].(map[string]any)["class"] = "failed" }},
		{"class in upper case", func(d map[string]any) { sa(d, win)["verdict"].(map[string]any)["class"] = "AUTH_FAILED" }},
		{"missing verdict", func(d map[string]any) { delete(sa(d, v1), "verdict") }},
		{"extra top-level field", func(d map[string]any) { d["sas"] = []any{} }},
		{"schema 2", func(d map[string]any) { d["schema"] = json.Number("2") }},
		{"short SPI", func(d map[string]any) { sa(d, v1)["responder_spi"] = "3f61c2a895d047e" }},
		{"SPI with 0x", func(d map[string]any) { sa(d, v1)["initiator_spi"] = "0x8a3c51f20e94d7" }},
		{"time without fraction", func(d map[string]any) { sa(d, v1)["started"] = "2024-03-12T10:00:00Z" }},
		{"time not UTC", func(d map[string]any) { sa(d, v1)["started"] = "2024-03-12T11:00:00.000000+01:00" }},
		{"time as number", func(d map[string]any) { sa(d, v1)["started"] = json.Number("1710237600") }},
		{"address without port", func(d map[string]any) { sa(d, v1)["initiator"] = "192.0.2.10" }},
		{"version 3", func(d map[string]any) { sa(d, v1)["version"] = json.Number("3") }},
		{"ikev2 mode on IKEv1", func(d map[string]any) { sa(d, v1)["mode"] = "ikev2" }},
		{"direction word", func(d map[string]any) {
			x := sa(d, v1)["exchanges"].([]any)[0].(map[string]any)
			x["messages"].([]any)[0].(map[string]any)["direction"] = "initiator"
		}},
		{"windows code as string", func(d map[string]any) {
			sa(d, win)["verdict"].(map[string]any)["windows_error"].(map[string]any)["code"] = "13801"
		}},
		{"summary of an unknown class", func(d map[string]any) {
			d["summary"].(map[string]any)["by_class"].(map[string]any)["bogus"] = json.Number("1")
		}},
		{"event type not snake_case", func(d map[string]any) {
			sa(d, win)["events"].([]any)[0].(map[string]any)["type"] = "Windows Status"
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := fresh()
			c.mutate(d)
			err := cs.doc.Validate(d)
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("accepted a document with %s (err %v)", c.name, err)
			}
		})
	}

	for _, c := range []struct{ name, line, def string }{
		{"event line without SA id", `{"type":"event","initiator_spi":"8a3c51f20e94d7b6","event":{"type":"natt","frame":1,"time":"2024-03-12T10:00:00.000000Z","text":"x"}}`, "event"},
		{"event line with a renamed field", `{"type":"event","ike_sa":2,"initiator_spi":"8a3c51f20e94d7b6","event":{"type":"natt","frame":1,"time":"2024-03-12T10:00:00.000000Z","text":"x"}}`, "event"},
		{"stats line with an extra field", `{"type":"stats","packets":4,"summary":{"by_class":{}},"sas":2}`, "stats"},
		{"stats line with a negative count", `{"type":"stats","packets":-1,"summary":{"by_class":{}}}`, "stats"},
		{"sa_verdict line without its SA", `{"type":"sa_verdict"}`, "sa_verdict"},
		{"unknown line type", `{"type":"verdict"}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := decodeInstance(t, []byte(c.line))
			if cs.line.Validate(v) == nil {
				t.Errorf("$defs/jsonl_line accepted %s", c.line)
			}
			if c.def != "" && cs.lines[c.def].Validate(v) == nil {
				t.Errorf("$defs/%s_line accepted %s", c.def, c.line)
			}
		})
	}
	// A valid SA event line, for contrast.
	ok := `{"type":"event","ike_sa_id":2,"initiator_spi":"5be209c47d13a86f","event":{"type":"windows_status","frame":4,"time":"2024-03-12T10:00:02.003102Z","text":"x"}}`
	if err := cs.lines["event"].Validate(decodeInstance(t, []byte(ok))); err != nil {
		t.Errorf("a valid event line was rejected: %v", err)
	}
}
