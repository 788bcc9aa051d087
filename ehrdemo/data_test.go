package ehrdemo_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/wardhq/ward/ehrdemo"
)

const (
	confSystem    = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
	actCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	icdSystem     = "http://hl7.org/fhir/sid/icd-10-cm"
	snomedSystem  = "http://snomed.info/sct"
	wardTagSystem = "https://ward.dev/fhir/CodeSystem/demo"
)

var allTypes = []string{"AllergyIntolerance", "CarePlan", "Claim", "Condition", "DiagnosticReport", "DocumentReference", "Encounter",
	"ExplanationOfBenefit", "Goal", "Immunization", "MedicationRequest", "Observation", "Organization", "Patient", "Practitioner", "Procedure"}

// TestDeterminism loads the data twice and compares every resource, note and summary byte for byte.
func TestDeterminism(t *testing.T) {
	a, err := ehrdemo.New(ehrdemo.Options{BaseURL: "http://ehr.test"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ehrdemo.NewUncached(ehrdemo.Options{BaseURL: "http://ehr.test"})
	if err != nil {
		t.Fatal(err)
	}
	pages := func(s *ehrdemo.Server, typ string) [][]byte {
		var out [][]byte
		for off := 0; ; off += 200 {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest("GET", "/"+typ+"?_count=200&_offset="+strconv.Itoa(off), nil))
			out = append(out, rec.Body.Bytes())
			var bu bundle
			decode(t, rec.Body.Bytes(), &bu)
			if bu.link("next") == "" {
				return out
			}
		}
	}
	for _, typ := range allTypes {
		pa, pb := pages(a, typ), pages(b, typ)
		if len(pa) != len(pb) {
			t.Fatalf("%s: %d pages vs %d", typ, len(pa), len(pb))
		}
		for i := range pa {
			if !bytes.Equal(pa[i], pb[i]) {
				t.Fatalf("%s page %d differs between loads", typ, i)
			}
		}
	}
	if !reflect.DeepEqual(a.Patients(), b.Patients()) {
		t.Errorf("Patients() differ between loads")
	}
	if !reflect.DeepEqual(a.Encounters(), b.Encounters()) {
		t.Errorf("Encounters() differ between loads")
	}
	for _, e := range a.Encounters() {
		na, _ := a.Note(e.ID)
		nb, _ := b.Note(e.ID)
		if na != nb {
			t.Fatalf("note of Encounter/%s differs between loads", e.ID)
		}
	}
}

func TestSensitiveCare(t *testing.T) {
	c := mustServe(t)
	categories := map[string]int{}
	for _, e := range c.srv.Encounters() {
		if len(e.Security) == 0 {
			continue
		}
		var codes []string
		for _, l := range e.Security {
			codes = append(codes, l.Code)
		}
		if !slices.Contains(codes, "R") {
			t.Errorf("Encounter/%s security=%v, want R", e.ID, codes)
		}
		var sens string
		for _, code := range codes {
			if code != "R" && code != "42CFRPart2" {
				sens = code
				categories[code]++
			}
		}
		if len(e.ConditionCodes) != 1 {
			t.Fatalf("Encounter/%s ConditionCodes=%v, want one", e.ID, e.ConditionCodes)
		}
		// The Encounter, its Condition and its note all carry R and the sensitivity code.
		for _, typ := range []string{"Encounter?_id=" + e.ID, "Condition?encounter=" + e.ID, "DocumentReference?encounter=" + e.ID} {
			res := c.all("/" + typ)
			if len(res) != 1 {
				t.Fatalf("%s: %d results, want 1", typ, len(res))
			}
			var r resource
			decode(t, res[0], &r)
			if !hasLabel(r.Meta.Security, confSystem, "R") || !hasLabel(r.Meta.Security, actCodeSystem, sens) {
				t.Errorf("%s security=%v, want R and %s", typ, r.Meta.Security, sens)
			}
			if !hasLabel(r.Meta.Tag, wardTagSystem, "generated") {
				t.Errorf("%s lacks the ward generated tag", typ)
			}
		}
		if sens == "ETH" && !slices.Contains(codes, "42CFRPart2") {
			t.Errorf("substance use Encounter/%s lacks 42CFRPart2", e.ID)
		}
	}
	for code, want := range map[string]int{"PSY": 1, "ETH": 2, "HIV": 1, "SEX": 2} {
		if got := categories[code]; got != want {
			t.Errorf("%d encounters labelled %s, want %d", got, code, want)
		}
	}
	var restricted []string
	for _, p := range c.srv.Patients() {
		for _, l := range p.Security {
			if l.System == confSystem && l.Code == "R" {
				restricted = append(restricted, p.ID)
			}
		}
	}
	if len(restricted) != 2 {
		t.Errorf("%d patients labelled R, want 2", len(restricted))
	}
	if got := c.total("/Patient?_security=" + q(confSystem+"|R") + "&_summary=count"); got != 2 {
		t.Errorf("Patient?_security=R total=%d, want 2", got)
	}
	for _, code := range []string{"F32.1", "F10.20", "F11.20", "B20", "Z33.2", "Z30.011"} {
		if got := c.total("/Condition?code=" + q(icdSystem+"|"+code) + "&_summary=count"); got != 1 {
			t.Errorf("Condition?code=%s total=%d, want 1", code, got)
		}
	}
}

func TestNotes(t *testing.T) {
	c := mustServe(t)
	docs := map[string]resourceDoc{}
	for _, raw := range c.all("/DocumentReference?_count=200") {
		var d resourceDoc
		decode(t, raw, &d)
		if len(d.Context.Encounter) != 1 {
			t.Fatalf("DocumentReference/%s has %d encounters, want 1", d.ID, len(d.Context.Encounter))
		}
		docs[d.Context.Encounter[0].Reference] = d
	}
	encs := c.srv.Encounters()
	if got, want := len(docs), len(encs); got != want {
		t.Fatalf("%d notes, want one per encounter (%d)", got, want)
	}
	for _, e := range encs {
		note, ok := c.srv.Note(e.ID)
		if !ok || note == "" {
			t.Fatalf("Note(%s) missing", e.ID)
		}
		d, ok := docs["Encounter/"+e.ID]
		if !ok {
			t.Fatalf("no DocumentReference for Encounter/%s", e.ID)
		}
		att := d.Content[0].Attachment
		if got, want := att.ContentType, "text/plain; charset=utf-8"; got != want {
			t.Errorf("contentType=%q, want %q", got, want)
		}
		data, err := base64.StdEncoding.DecodeString(att.Data)
		if err != nil || string(data) != note {
			t.Fatalf("DocumentReference/%s attachment does not match Note(%s)", d.ID, e.ID)
		}
		if code := d.Type.Coding[0].Code; d.Type.Coding[0].System != "http://loinc.org" || (code != "11506-3" && code != "34117-2") {
			t.Errorf("type=%+v, want LOINC 11506-3 or 34117-2", d.Type.Coding[0])
		}
		if d.Status != "current" || d.Subject.Reference != "Patient/"+e.PatientID {
			t.Errorf("status=%q subject=%q, want current and Patient/%s", d.Status, d.Subject.Reference, e.PatientID)
		}
		if !reflect.DeepEqual(toCodings(e.Security), d.Meta.Security) {
			t.Errorf("note security=%v, want the encounter's %v", d.Meta.Security, e.Security)
		}
		for _, h := range []string{"CHIEF COMPLAINT:", "HISTORY OF PRESENT ILLNESS:", "ASSESSMENT AND PLAN:"} {
			if !strings.Contains(note, h) {
				t.Fatalf("note of Encounter/%s lacks %q:\n%s", e.ID, h, note)
			}
		}
		if e.Type != "Death Certification" && !strings.Contains(note, "REVIEW OF SYSTEMS:") {
			t.Fatalf("note of Encounter/%s lacks a review of systems", e.ID)
		}
	}
	if _, ok := c.srv.Note("no-such-encounter"); ok {
		t.Errorf("Note(unknown) reported true")
	}
	// A sensitive note documents its diagnosis and negated findings.
	for _, e := range encs {
		if slices.Equal(e.ConditionCodes, []string{"F32.1"}) {
			n, _ := c.srv.Note(e.ID)
			for _, want := range []string{"Major depressive disorder, single episode, moderate", "Denies suicidal ideation", "Denies chest pain"} {
				if !strings.Contains(n, want) {
					t.Errorf("depression note lacks %q:\n%s", want, n)
				}
			}
		}
	}
}

type resourceDoc struct {
	resource
	Status string `json:"status"`
	Type   struct {
		Coding []coding `json:"coding"`
	} `json:"type"`
	Content []struct {
		Attachment struct {
			ContentType string `json:"contentType"`
			Data        string `json:"data"`
		} `json:"attachment"`
	} `json:"content"`
	Context struct {
		Encounter []struct {
			Reference string `json:"reference"`
		} `json:"encounter"`
	} `json:"context"`
}

func toCodings(cs []ehrdemo.Coding) []coding {
	var out []coding
	for _, c := range cs {
		out = append(out, coding(c))
	}
	return out
}

// TestICD10Billable checks the curated map against the FY2021 billable code
// list in the shared data directory.
func TestICD10Billable(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "shared", "data", "icd10cm", "icd10cm_codes_2021_billable.tsv"))
	if os.IsNotExist(err) {
		t.Skip("../shared/data/icd10cm not present")
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	billable := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) >= 2 {
			billable[fields[0]] = fields[1]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	check := func(code, display string) {
		nodot := strings.Replace(code, ".", "", 1)
		if len(nodot) > 3 && (len(code) != len(nodot)+1 || code[3] != '.') {
			t.Errorf("%s: want a dot after the third character", code)
		}
		desc, ok := billable[nodot]
		if !ok {
			t.Errorf("%s is not a billable FY2021 ICD-10-CM code", code)
		} else if desc != display {
			t.Errorf("%s display=%q, want %q", code, display, desc)
		}
	}
	for sn, e := range ehrdemo.ICD10Map() {
		if sn == "" {
			t.Errorf("empty SNOMED key")
		}
		check(e[0], e[1])
	}
	for code, display := range ehrdemo.SensitiveICD10() {
		check(code, display)
	}
}

// TestICD10Coverage checks that every Condition's SNOMED code is mapped (or
// deliberately unmapped) and that the ICD-10-CM coding sits next to it.
func TestICD10Coverage(t *testing.T) {
	c := mustServe(t)
	m := ehrdemo.ICD10Map()
	for _, raw := range c.all("/Condition?_count=200") {
		var r resource
		decode(t, raw, &r)
		var sn, icd []coding
		for _, cd := range r.Code.Coding {
			switch cd.System {
			case snomedSystem:
				sn = append(sn, cd)
			case icdSystem:
				icd = append(icd, cd)
			}
		}
		if len(sn) == 0 {
			if len(icd) != 1 {
				t.Errorf("Condition/%s has neither SNOMED nor one ICD-10-CM coding", r.ID)
			}
			continue
		}
		want, mapped := m[sn[0].Code]
		switch {
		case !mapped && !slices.Contains(ehrdemo.UnmappedSNOMED, sn[0].Code):
			t.Errorf("SNOMED %s (%s) has no ICD-10-CM mapping", sn[0].Code, sn[0].Display)
		case mapped && (len(icd) != 1 || icd[0].Code != want[0] || icd[0].Display != want[1]):
			t.Errorf("Condition/%s ICD-10-CM=%v, want %s", r.ID, icd, want[0])
		case mapped && !hasLabel(r.Meta.Tag, wardTagSystem, "generated"):
			t.Errorf("Condition/%s was modified but lacks the ward tag", r.ID)
		}
	}
}

func TestLookalikes(t *testing.T) {
	c := mustServe(t)
	want := map[string]struct{ given, gender, city string }{
		"Santos": {"Maria", "female", "Fall River"},
		"Sharma": {"Rohan", "male", "Worcester"},
		"Carter": {"Evelyn", "female", "Springfield"},
	}
	if len(ehrdemo.Lookalikes) != len(want) {
		t.Fatalf("%d look-alikes, want %d", len(ehrdemo.Lookalikes), len(want))
	}
	for _, l := range ehrdemo.Lookalikes {
		w, ok := want[l.Surname]
		if !ok || l.Why == "" || strings.Contains(l.Why, "\n") {
			t.Fatalf("unexpected look-alike %+v", l)
		}
		var p struct {
			resource
			Gender string `json:"gender"`
			Name   []struct {
				Family string   `json:"family"`
				Given  []string `json:"given"`
			} `json:"name"`
			Address []struct {
				Line       []string `json:"line"`
				City       string   `json:"city"`
				State      string   `json:"state"`
				PostalCode string   `json:"postalCode"`
			} `json:"address"`
			BirthDate string `json:"birthDate"`
		}
		decode(t, c.get("/Patient/"+l.PatientID), &p)
		if p.Name[0].Family != l.Surname || p.Name[0].Given[0] != w.given || p.Gender != w.gender || p.BirthDate == "" {
			t.Errorf("Patient/%s = %+v %s, want %s %s (%s)", l.PatientID, p.Name, p.Gender, w.given, l.Surname, w.gender)
		}
		a := p.Address[0]
		if a.City != w.city || a.State != "MA" {
			t.Errorf("%s lives in %s, %s; want %s, MA", l.Surname, a.City, a.State, w.city)
		}
		if l.Surname == "Carter" && (strings.Join(a.Line, " ") != "14 Elm Street" || a.PostalCode != "01103") {
			t.Errorf("Carter address=%+v, want 14 Elm Street, Springfield, MA 01103", a)
		}
		if got := c.total("/Encounter?patient=" + l.PatientID + "&_summary=count"); got < 2 {
			t.Errorf("%s has %d encounters, want at least 2", l.Surname, got)
		}
		if got := c.total("/Condition?patient=" + l.PatientID + "&_summary=count"); got < 1 {
			t.Errorf("%s has %d conditions, want at least 1", l.Surname, got)
		}
		if got := c.total("/DocumentReference?patient=" + l.PatientID + "&_summary=count"); got < 2 {
			t.Errorf("%s has %d notes, want at least 2", l.Surname, got)
		}
		if !hasLabel(p.Meta.Tag, wardTagSystem, "generated") {
			t.Errorf("%s lacks the ward tag", l.Surname)
		}
	}
}

func TestSummaries(t *testing.T) {
	c := mustServe(t)
	ps := c.srv.Patients()
	if got, want := len(ps), c.total("/Patient?_summary=count"); got != want {
		t.Fatalf("len(Patients())=%d, want %d", got, want)
	}
	if !sort.SliceIsSorted(ps, func(i, j int) bool { return ps[i].Family < ps[j].Family }) {
		t.Errorf("Patients() not sorted by family name")
	}
	for _, p := range ps {
		if p.ID == "" || p.Family == "" || p.Given == "" || p.BirthDate.IsZero() || p.Gender == "" {
			t.Errorf("incomplete patient summary %+v", p)
		}
	}
	es := c.srv.Encounters()
	if got, want := len(es), c.total("/Encounter?_summary=count"); got != want {
		t.Fatalf("len(Encounters())=%d, want %d", got, want)
	}
	withCodes := 0
	for i, e := range es {
		if i > 0 && e.Start.Before(es[i-1].Start) {
			t.Fatalf("Encounters() not sorted by start at %d", i)
		}
		if e.PatientID == "" || e.Class == "" || e.Type == "" || e.Start.IsZero() || e.End.Before(e.Start) {
			t.Errorf("incomplete encounter summary %+v", e)
		}
		for _, code := range e.ConditionCodes {
			if !strings.Contains(code, ".") && len(code) > 3 {
				t.Errorf("ConditionCodes has %q without a dot", code)
			}
		}
		if len(e.ConditionCodes) > 0 {
			withCodes++
		}
	}
	if withCodes < 100 {
		t.Errorf("only %d encounters carry ICD-10-CM codes", withCodes)
	}
	// Callers may modify what they get.
	ps[0].Security = append(ps[0].Security, ehrdemo.Coding{Code: "X"})
	es[0].ConditionCodes = append(es[0].ConditionCodes, "X")
	if reflect.DeepEqual(ps[0], c.srv.Patients()[0]) || reflect.DeepEqual(es[0], c.srv.Encounters()[0]) {
		t.Errorf("summaries share memory with the server")
	}
}
