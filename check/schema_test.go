package check

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ikescope/ikescope/classify"
)

// docs/expect-schema.json must describe exactly what Parse accepts: the
// committed expectation files and the example in docs/check.md validate
// against both, invalid files are rejected by both, and the schema's fields
// and classes are those of the Go types.

const expectSchemaFile = "../docs/expect-schema.json"

func compileExpectSchema(t *testing.T) (*jsonschema.Schema, map[string]any) {
	t.Helper()
	abs, err := filepath.Abs(expectSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not JSON: %v", expectSchemaFile, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(abs, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(abs)
	if err != nil {
		t.Fatalf("compile %s: %v", expectSchemaFile, err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	return s, raw
}

func schemaValidate(s *jsonschema.Schema, b []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// docsExample returns the first ```json block of docs/check.md.
func docsExample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../docs/check.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```json\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("docs/check.md has no ```json example")
	}
	return m[1]
}

func TestSchemaAcceptsValidFiles(t *testing.T) {
	s, _ := compileExpectSchema(t)
	files := map[string][]byte{"docs/check.md example": docsExample(t)}
	// Every committed expectation file that sits next to a capture.
	err := filepath.WalkDir("../testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, Suffix) {
			return err
		}
		if _, err := os.Stat(strings.TrimSuffix(p, Suffix)); err != nil {
			return nil // a fixture without capture, such as testdata/check/unknown-field.expect.json
		}
		b, err := os.ReadFile(p)
		files[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found only %d files to validate", len(files))
	}
	for name, b := range files {
		if _, err := Parse(b); err != nil {
			t.Errorf("%s: Parse: %v", name, err)
		}
		if err := schemaValidate(s, b); err != nil {
			t.Errorf("%s: schema: %v", name, err)
		}
	}
	// What FromResults and Marshal write validates too.
	b, err := FromResults(analysis(mkSA()), "windows").Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := schemaValidate(s, b); err != nil {
		t.Errorf("FromResults output: %v\n%s", err, b)
	}
}

func TestSchemaRejectsInvalidFiles(t *testing.T) {
	s, _ := compileExpectSchema(t)
	unknown, err := os.ReadFile("../testdata/check/unknown-field.expect.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"unknown field fixture":       string(unknown),
		"unknown top-level field":     `{"schema":1,"ike_sas":[],"finding":["smb_reset"]}`,
		"unknown entry field":         one(`{"clas":"established"}`),
		"schema missing":              `{"ike_sas":[]}`,
		"schema 2":                    `{"schema":2,"ike_sas":[]}`,
		"ike_sas missing":             `{"schema":1}`,
		"class missing":               one(`{"version":1}`),
		"unknown class":               one(`{"class":"establised"}`),
		"unknown mode":                one(`{"class":"established","mode":"quick"}`),
		"version 3":                   one(`{"class":"established","version":3}`),
		"count 0":                     one(`{"class":"established","count":0}`),
		"bad initiator":               one(`{"class":"established","initiator":"192.0.2.1"}`),
		"bad duration":                one(`{"class":"established","established_within":"2"}`),
		"tolerance without phase1_ms": one(`{"class":"established","tolerance_ms":5}`),
		"negative tolerance":          one(`{"class":"established","phase1_ms":5,"tolerance_pct":-1}`),
		"negative esp":                one(`{"class":"established","esp_packets_at_least":-1}`),
		"wrong type":                  one(`{"class":"established","no_retransmissions":"yes"}`),
		"empty event":                 one(`{"class":"established","events":[""]}`),
		"unknown profile":             `{"schema":1,"profile":"cisco","ike_sas":[]}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse accepts %s", name, doc)
		}
		if err := schemaValidate(s, []byte(doc)); err == nil {
			t.Errorf("%s: the schema accepts %s", name, doc)
		}
	}
}

// jsonFields returns the JSON names of a struct type's fields.
func jsonFields(v any) []string {
	var out []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func keys(m any) []string {
	var out []string
	for k := range m.(map[string]any) {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestSchemaMatchesTypes(t *testing.T) {
	_, raw := compileExpectSchema(t)
	if got, want := keys(raw["properties"]), jsonFields(Expect{}); !reflect.DeepEqual(got, want) {
		t.Errorf("schema top-level properties %q, Expect fields %q", got, want)
	}
	entry := raw["$defs"].(map[string]any)["ike_sa"].(map[string]any)
	if got, want := keys(entry["properties"]), jsonFields(SAExpect{}); !reflect.DeepEqual(got, want) {
		t.Errorf("schema ike_sa properties %q, SAExpect fields %q", got, want)
	}
	var classes []string
	for _, c := range entry["properties"].(map[string]any)["class"].(map[string]any)["enum"].([]any) {
		classes = append(classes, c.(string))
	}
	var want []string
	for _, c := range classify.Classes {
		want = append(want, string(c))
	}
	if !reflect.DeepEqual(classes, want) {
		t.Errorf("schema classes %q, classify.Classes %q", classes, want)
	}
	var profiles []string
	for _, p := range raw["properties"].(map[string]any)["profile"].(map[string]any)["enum"].([]any) {
		profiles = append(profiles, p.(string))
	}
	var known []string
	for p := range classify.Profiles {
		known = append(known, p)
	}
	sort.Strings(profiles)
	sort.Strings(known)
	if !reflect.DeepEqual(profiles, known) || !reflect.DeepEqual(profiles, sortedCopy(Profiles)) {
		t.Errorf("schema profiles %q, classify.Profiles %q, check.Profiles %q", profiles, known, Profiles)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
