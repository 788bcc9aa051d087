package fhir_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/wardhq/ward/fhir"
)

type requestCase struct {
	Name        string `json:"name"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Query       string `json:"query"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
	Want        string `json:"want"`    // summary of the parsed request
	Refusal     string `json:"refusal"` // reason ParseRequest refuses with
	Scope       string `json:"scope"`   // ok, needs_check, or PatientScope's reason
}

var testParser = &fhir.Parser{
	Includes:   map[string]bool{"Observation:patient": true},
	Operations: map[string]bool{"$everything": true},
}

func loadRequestCases(tb testing.TB) []requestCase {
	tb.Helper()
	b, err := os.ReadFile("testdata/requests.json")
	if err != nil {
		tb.Fatal(err)
	}
	var cases []requestCase
	if err := json.Unmarshal(b, &cases); err != nil {
		tb.Fatal(err)
	}
	for k := range cases {
		c := &cases[k]
		switch {
		case c.Path == "LONGPATH":
			c.Path = "/Patient/" + strings.Repeat("a", fhir.MaxPathBytes)
		case c.Query == "LONGQUERY":
			c.Query = "patient=123&code=" + strings.Repeat("x", fhir.MaxQueryBytes)
		case c.Query == "MANYPARAMS":
			c.Query = "patient=123" + strings.Repeat("&code=1", fhir.MaxParams)
		}
	}
	return cases
}

func summary(r *fhir.Request) string {
	parts := []string{string(r.Interaction)}
	for _, s := range []string{r.ResourceType, r.ID} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if r.VersionID != "" {
		parts = append(parts, "v"+r.VersionID)
	}
	if r.Compartment != "" {
		parts = append(parts, "in", r.Compartment)
	}
	if r.Operation != "" {
		parts = append(parts, r.Operation)
	}
	return strings.Join(parts, " ")
}

func TestParseRequest(t *testing.T) {
	cases := loadRequestCases(t)
	if len(cases) < 60 {
		t.Fatalf("%d request cases, want at least 60", len(cases))
	}
	bases := []string{"https://ehr.example/fhir", "https://ward.example/fhir"}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			r, err := testParser.Parse(c.Method, c.Path, c.Query, c.ContentType, []byte(c.Body))
			if c.Refusal != "" {
				if got := fhir.RefusalReason(err); got != c.Refusal {
					t.Fatalf("refusal=%q (err %v), want %q", got, err, c.Refusal)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := summary(r); got != c.Want {
				t.Fatalf("request=%q, want %q", got, c.Want)
			}
			check, err := r.PatientScope("123", bases...)
			got := "ok"
			switch {
			case err != nil:
				got = fhir.RefusalReason(err)
			case check:
				got = "needs_check"
			}
			if got != c.Scope {
				t.Fatalf("scope=%q (err %v), want %q", got, err, c.Scope)
			}
			// The canonical form parses to the same request.
			r2, err := testParser.Parse("GET", r.Path(), r.Query(), "", nil)
			if r.Interaction == fhir.Search || r.Interaction == fhir.Read || r.Interaction == fhir.VRead {
				if err != nil {
					t.Fatalf("canonical %s?%s: %v", r.Path(), r.Query(), err)
				}
				if summary(r2) != summary(r) || len(r2.Params) != len(r.Params) {
					t.Fatalf("canonical %s?%s parses to %q, want %q", r.Path(), r.Query(), summary(r2), summary(r))
				}
			}
		})
	}
}

func TestParseRequest_Params(t *testing.T) {
	r, err := fhir.ParseRequest("GET", "/Observation", "patient=Patient%2F123&code:text=blood+pressure&_format=json", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []fhir.Param{{Name: "patient", Value: "Patient/123"}, {Name: "code", Modifier: "text", Value: "blood pressure"}, {Name: "_format", Value: "json"}}
	if len(r.Params) != len(want) {
		t.Fatalf("Params=%v, want %v", r.Params, want)
	}
	for i := range want {
		if r.Params[i] != want[i] {
			t.Fatalf("Params[%d]=%v, want %v", i, r.Params[i], want[i])
		}
	}
	if got, want := r.Format, "json"; got != want {
		t.Fatalf("Format=%q, want %q", got, want)
	}
	if got, want := r.Query(), "patient=Patient%2F123&code:text=blood+pressure&_format=json"; got != want {
		t.Fatalf("Query()=%q, want %q", got, want)
	}
}

func BenchmarkParseRequest(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r, err := fhir.ParseRequest("GET", "/Observation", "patient=Patient%2F123&category=vital-signs&_count=50&_sort=-date", "", nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.PatientScope("123"); err != nil {
			b.Fatal(err)
		}
	}
}
