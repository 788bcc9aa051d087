package routing_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/routing"
)

func TestDefaultProfiles(t *testing.T) {
	ps := routing.DefaultProfiles()
	for _, f := range ward.Functions {
		if _, ok := ps.For(f); !ok {
			t.Errorf("no profile for %s", f)
		}
	}
	p, _ := ps.For(ward.FunctionCoding)
	pat, ok := p.Resource("Patient")
	if !ok {
		t.Fatal("coding profile has no Patient")
	}
	if got, want := pat.Fields, []string{"id", "meta", "birthDate", "gender"}; !slices.Equal(got, want) {
		t.Errorf("coding Patient fields=%v, want %v", got, want)
	}
	for _, f := range []string{"name", "address", "telecom", "identifier", "contact", "photo"} {
		if slices.Contains(pat.Fields, f) {
			t.Errorf("coding sees Patient.%s", f)
		}
	}
	for _, rt := range []string{"Encounter", "Condition", "Procedure", "DocumentReference"} {
		if !p.Allows(rt, ward.InteractionRead) {
			t.Errorf("coding may not read %s", rt)
		}
	}
	if p.Allows("Patient", ward.InteractionSearch) || p.Everything {
		t.Error("coding may search Patient or use $everything")
	}
	if got, want := p.Interactions(), []string{"read", "vread", "search"}; !slices.Equal(got, want) {
		t.Errorf("Interactions=%v, want %v", got, want)
	}
	b, err := json.Marshal(ps)
	if err != nil || !strings.Contains(string(b), `"task_type":"coding"`) {
		t.Errorf("json=%s, err=%v", b, err)
	}
}

func TestParseProfiles_Errors(t *testing.T) {
	const head = "version: \"1\"\nprofiles:\n  coding:\n    resources:\n"
	for _, test := range []struct {
		name, yaml, field, msg string
	}{
		{"ErrSyntax", "version: 1\nprofiles: {\n", "", "line"},
		{"ErrTaskType", "version: \"1\"\nprofiles:\n  billing:\n    resources: {}\n", "profiles.billing", "line 3"},
		{"ErrResourceType", head + "      Patient: {interactions: [read], fields: [id]}\n      Patientt: {interactions: [read], fields: [id]}\n", "profiles.coding.resources.Patientt", "line 6"},
		{"ErrDuplicateType", head + "      Patient: {interactions: [read], fields: [id]}\n      Patient: {interactions: [read], fields: [id]}\n", "profiles.coding.resources.Patient", "line 6"},
		{"ErrInteraction", head + "      Patient:\n        interactions: [read, write]\n        fields: [id]\n", "profiles.coding.resources.Patient.interactions[1]", "line 6"},
		{"ErrField", head + "      Patient:\n        interactions: [read]\n        fields: [id, \"*\"]\n", "profiles.coding.resources.Patient.fields[1]", "line 7"},
		{"ErrNoPatient", head + "      Encounter: {interactions: [read], fields: [id]}\n", "profiles.coding.resources", "Patient"},
		{"ErrIncludeWildcard", head + "      Patient: {interactions: [read], fields: [id]}\n    include: [\"*\"]\n", "profiles.coding.include[0]", "line 6"},
		{"ErrIncludeType", head + "      Patient: {interactions: [read], fields: [id]}\n    include: [\"Encounter:patient\"]\n", "profiles.coding.include[0]", "Encounter"},
		{"ErrEverything", head + "      Patient: {interactions: [read], fields: [id]}\n    everything: sometimes\n", "profiles.coding.everything", "line 6"},
		{"ErrNoInteractions", head + "      Patient: {fields: [id]}\n", "profiles.coding.resources.Patient.interactions", "line 5"},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, err := routing.ParseProfiles("profiles.yaml", []byte(test.yaml))
			if ward.ErrorCode(err) != ward.EINVALID {
				t.Fatalf("err=%v, want EINVALID", err)
			}
			if got := ward.ErrorField(err); got != test.field {
				t.Errorf("field=%q, want %q (%s)", got, test.field, ward.ErrorMessage(err))
			}
			if msg := ward.ErrorMessage(err); !strings.Contains(msg, test.msg) {
				t.Errorf("message=%q, want %q", msg, test.msg)
			}
		})
	}
}

func FuzzParseProfiles(f *testing.F) {
	f.Add([]byte("version: \"1\"\nprofiles:\n  coding:\n    resources:\n      Patient: {interactions: [read], fields: [id]}\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := routing.ParseProfiles("f.yaml", b)
		if err != nil && ward.ErrorCode(err) != ward.EINVALID {
			t.Fatalf("err=%v, want EINVALID", err)
		}
		if err == nil && len(ps.Profiles) == 0 {
			t.Fatal("no profiles and no error")
		}
	})
}

func FuzzParseValueSets(f *testing.F) {
	f.Add([]byte("version: \"1\"\ntags:\n  hiv:\n    icd10cm: [B20, F10-F19]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := routing.ParseValueSets("f.yaml", b)
		if err != nil && ward.ErrorCode(err) != ward.EINVALID {
			t.Fatalf("err=%v, want EINVALID", err)
		}
		if err == nil {
			routing.NewTagger(vs)
		}
	})
}
