package routing_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ehrdemo"
	"github.com/wardhq/ward/routing"
)

var wellKnownTags = []string{ward.TagMentalHealth, ward.TagSubstanceUse, ward.TagHIV, ward.TagReproductiveHealth,
	ward.TagSexualHealth, ward.TagGenetic, ward.TagViolence, ward.TagRestricted}

func TestDefaultValueSets(t *testing.T) {
	vs := routing.DefaultValueSets()
	if got, want := vs.Version, "2026.1"; got != want {
		t.Fatalf("Version=%q, want %q", got, want)
	}
	if got := vs.TagNames(); !slices.Equal(got, sortedCopy(wellKnownTags)) {
		t.Fatalf("TagNames=%v, want the well-known tags %v", got, sortedCopy(wellKnownTags))
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func TestParseValueSets_Errors(t *testing.T) {
	for _, test := range []struct {
		name, yaml, field, msg string
	}{
		{"ErrSyntax", "version: 1\ntags: [\n", "", "line 2"},
		{"ErrEmpty", "", "", "empty"},
		{"ErrVersionRequired", "tags: {}\n", "version", "line 1"},
		{"ErrUnknownField", "version: \"1\"\ntags: {}\nextra: 1\n", "extra", "line 3"},
		{"ErrBadTag", "version: \"1\"\ntags:\n  Mental-Health:\n    icd10cm: [F32]\n", "tags.Mental-Health", "line 3"},
		{"ErrBadICD", "version: \"1\"\ntags:\n  hiv:\n    icd10cm:\n      - B20\n      - B2\n", "tags.hiv.icd10cm[1]", "line 6"},
		{"ErrICDRangeReversed", "version: \"1\"\ntags:\n  hiv:\n    icd10cm: [F19-F10]\n", "tags.hiv.icd10cm[0]", "start is after its end"},
		{"ErrLOINCCheckDigit", "version: \"1\"\ntags:\n  hiv:\n    loinc:\n      - 55277-9\n", "tags.hiv.loinc[0]", "line 5"},
		{"ErrSNOMED", "version: \"1\"\ntags:\n  hiv:\n    snomed: [\"12a\"]\n", "tags.hiv.snomed[0]", "line 4"},
		{"ErrLabel", "version: \"1\"\ntags:\n  hiv:\n    security_labels: [HIV]\n", "tags.hiv.security_labels[0]", "system|code"},
		{"ErrUnknownList", "version: \"1\"\ntags:\n  hiv:\n    rxnorm: [\"1\"]\n", "tags.hiv.rxnorm", "line 4"},
		{"ErrDuplicateCode", "version: \"1\"\ntags:\n  hiv:\n    icd10cm: [B20, B20]\n", "tags.hiv.icd10cm[1]", "twice"},
		{"ErrDuplicateTag", "version: \"1\"\ntags:\n  hiv: {}\n  hiv: {}\n", "tags.hiv", "line 4"},
		{"ErrNotAList", "version: \"1\"\ntags:\n  hiv:\n    icd10cm: B20\n", "tags.hiv.icd10cm", "want a list"},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, err := routing.ParseValueSets("org.yaml", []byte(test.yaml))
			if ward.ErrorCode(err) != ward.EINVALID {
				t.Fatalf("err=%v, want EINVALID", err)
			}
			if got := ward.ErrorField(err); got != test.field {
				t.Errorf("field=%q, want %q", got, test.field)
			}
			if msg := ward.ErrorMessage(err); !strings.Contains(msg, test.msg) || !strings.HasPrefix(msg, "org.yaml line ") {
				t.Errorf("message=%q, want the file, a line and %q", msg, test.msg)
			}
		})
	}
}

func TestValueSets_Extend(t *testing.T) {
	ext, err := routing.ParseValueSets("org.yaml", []byte(`version: acme-3
tags:
  hiv:
    icd10cm: [Z20.6]
  sickle_cell:
    icd10cm: [D57]
`))
	if err != nil {
		t.Fatal(err)
	}
	vs := routing.DefaultValueSets().Extend(ext)
	if got, want := vs.Version, "2026.1+acme-3"; got != want {
		t.Errorf("Version=%q, want %q", got, want)
	}
	tg := routing.NewTagger(vs)
	tags, _ := tg.Tag(routing.TagInput{Resources: []json.RawMessage{
		condition("c1", "http://hl7.org/fhir/sid/icd-10-cm", "Z20.6"),
		condition("c2", "http://hl7.org/fhir/sid/icd-10-cm", "D57.1"),
		condition("c3", "http://hl7.org/fhir/sid/icd-10-cm", "B20"),
	}})
	if want := []string{"hiv", "sickle_cell"}; !slices.Equal(tags, want) {
		t.Errorf("tags=%v, want %v", tags, want)
	}
}

func condition(id, system, code string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"resourceType": "Condition", "id": id,
		"code": map[string]any{"coding": []any{map[string]any{"system": system, "code": code}}}})
	return b
}

func TestTagger_Tag(t *testing.T) {
	tg := routing.NewTagger(routing.DefaultValueSets())
	for _, test := range []struct {
		name string
		in   routing.TagInput
		want []string
	}{
		{"OKNothing", routing.TagInput{Patient: json.RawMessage(`{"resourceType":"Patient","id":"p"}`)}, []string{}},
		{"OKSubstanceRange", routing.TagInput{Resources: []json.RawMessage{condition("9", "http://hl7.org/fhir/sid/icd-10-cm", "F11.20")}}, []string{"mental_health", "substance_use"}},
		{"OKDotless", routing.TagInput{Resources: []json.RawMessage{condition("9", "http://hl7.org/fhir/sid/icd-10-cm", "f1120")}}, []string{"mental_health", "substance_use"}},
		{"OKHIVPrefix", routing.TagInput{Resources: []json.RawMessage{condition("9", "http://hl7.org/fhir/sid/icd-10", "Z21")}}, []string{"hiv"}},
		{"OKOutsideRange", routing.TagInput{Resources: []json.RawMessage{condition("9", "http://hl7.org/fhir/sid/icd-10-cm", "F00")}}, []string{}},
		{"OKLegacyLabel", routing.TagInput{Encounter: json.RawMessage(`{"resourceType":"Encounter","id":"e","meta":{"security":[{"system":"http://hl7.org/fhir/v3/Confidentiality","code":"V"}]}}`)}, []string{"restricted"}},
		{"OKMetaTagIgnored", routing.TagInput{Encounter: json.RawMessage(`{"resourceType":"Encounter","meta":{"tag":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]}}`)}, []string{}},
		{"OKNested", routing.TagInput{Resources: []json.RawMessage{json.RawMessage(`{"resourceType":"Observation","id":"o","code":{"coding":[{"system":"http://loinc.org","code":"55277-8"}]}}`)}}, []string{"hiv"}},
		{"OKUnreadableFailsClosed", routing.TagInput{Resources: []json.RawMessage{json.RawMessage(`{"resourceType":`)}}, []string{"restricted"}},
		{"OKNotObjectFailsClosed", routing.TagInput{Patient: json.RawMessage(`[1,2]`)}, []string{"restricted"}},
	} {
		t.Run(test.name, func(t *testing.T) {
			got, ex := tg.Tag(test.in)
			if !slices.Equal(got, test.want) {
				t.Fatalf("tags=%v, want %v (explanations %v)", got, test.want, ex)
			}
			for _, e := range ex {
				if e.Source == "" || e.Rule == "" || !slices.Contains(got, e.Tag) {
					t.Errorf("explanation %+v is incomplete", e)
				}
			}
		})
	}
	t.Run("OKExplanation", func(t *testing.T) {
		_, ex := tg.Tag(routing.TagInput{Resources: []json.RawMessage{condition("9", "http://hl7.org/fhir/sid/icd-10-cm", "F11.20")}})
		want := routing.Explanation{Tag: "substance_use", Source: "Condition/9 code.coding[0] ICD-10-CM F11.20", Rule: "substance_use icd10cm F10-F19 (value sets 2026.1)"}
		if !slices.Contains(ex, want) {
			t.Fatalf("explanations=%+v, want one %+v", ex, want)
		}
	})
}

// TestTagger_DemoEHR checks that every demo encounter carrying a security
// label, and every demo encounter diagnosed with a sensitive code, is
// tagged from its FHIR data as the EHR serves it.
func TestTagger_DemoEHR(t *testing.T) {
	srv, err := ehrdemo.New(ehrdemo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	tg := routing.NewTagger(routing.DefaultValueSets())
	sensitive := 0
	for _, enc := range srv.Encounters() {
		if testing.Short() && len(enc.Security) == 0 && len(enc.ConditionCodes) == 0 {
			continue
		}
		in := demoInput(t, hs.URL, enc)
		tags, ex := tg.Tag(in)
		for _, l := range enc.Security {
			if l.Code == "R" && !slices.Contains(tags, ward.TagRestricted) {
				t.Errorf("encounter %s labelled R has tags %v", enc.ID, tags)
			}
		}
		var want []string
		for _, l := range enc.Security {
			switch l.Code {
			case "PSY":
				want = append(want, ward.TagMentalHealth)
			case "ETH", "42CFRPart2":
				want = append(want, ward.TagSubstanceUse)
			case "HIV":
				want = append(want, ward.TagHIV)
			case "SEX":
				want = append(want, ward.TagReproductiveHealth)
			}
		}
		for _, c := range enc.ConditionCodes {
			switch {
			case c >= "F10" && c < "F20":
				want = append(want, ward.TagSubstanceUse, ward.TagMentalHealth)
			case c >= "F" && c < "G":
				want = append(want, ward.TagMentalHealth)
			case c == "B20":
				want = append(want, ward.TagHIV)
			case c >= "O00" && c < "O09", c >= "Z30" && c < "Z34":
				want = append(want, ward.TagReproductiveHealth)
			}
		}
		if len(enc.Security) > 0 {
			sensitive++
		}
		for _, w := range want {
			if !slices.Contains(tags, w) {
				t.Errorf("encounter %s (labels %v, codes %v): tags %v lack %s; explanations %+v", enc.ID, enc.Security, enc.ConditionCodes, tags, w, ex)
			}
		}
	}
	if sensitive < 6 {
		t.Fatalf("found %d labelled demo encounters, want at least 6", sensitive)
	}
}

// demoInput fetches an encounter, its patient and the encounter's
// conditions, procedures and observations from the demo EHR.
func demoInput(t *testing.T, base string, enc ehrdemo.Encounter) routing.TagInput {
	t.Helper()
	get := func(path string) []byte {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	in := routing.TagInput{Patient: get("/Patient/" + enc.PatientID), Encounter: get("/Encounter/" + enc.ID)}
	for _, typ := range []string{"Condition", "Procedure", "Observation"} {
		var bundle struct {
			Entry []struct{ Resource json.RawMessage }
		}
		if err := json.Unmarshal(get("/"+typ+"?encounter="+url.QueryEscape("Encounter/"+enc.ID)+"&_count=200"), &bundle); err != nil {
			t.Fatal(err)
		}
		for _, e := range bundle.Entry {
			in.Resources = append(in.Resources, e.Resource)
		}
	}
	return in
}

func FuzzTagger(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Condition","id":"1","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"F11.20"}]}}`))
	f.Add([]byte(`{"resourceType":"Encounter","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]}}`))
	f.Add([]byte(`{"meta":{"security":"x"},"a":[[[{"system":"http://loinc.org","code":"55277-8"}]]]}`))
	f.Add([]byte(`[`))
	tg := routing.NewTagger(routing.DefaultValueSets())
	f.Fuzz(func(t *testing.T, b []byte) {
		tags, ex := tg.Tag(routing.TagInput{Encounter: b, Resources: []json.RawMessage{b}})
		if !slices.IsSorted(tags) || len(slices.Compact(slices.Clone(tags))) != len(tags) {
			t.Fatalf("tags %v not sorted and distinct", tags)
		}
		for _, tag := range tags {
			if !ward.ValidTag(tag) {
				t.Fatalf("invalid tag %q", tag)
			}
		}
		if len(tags) > 0 && len(ex) == 0 {
			t.Fatal("tags without explanations")
		}
	})
}
