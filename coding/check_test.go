package coding_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/coding"
	"github.com/wardhq/ward/coding/codeset"
)

func date(s string) ward.Date {
	d, err := ward.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func submission(dos string, age int, sex string, dx []string, px ...ward.CodedProcedure) *ward.Submission {
	s := &ward.Submission{EncounterRef: "Encounter/1", DateOfService: date(dos), PatientAge: age, PatientSex: sex, Procedures: px}
	for i, c := range dx {
		s.Diagnoses = append(s.Diagnoses, ward.CodedDiagnosis{Code: c, Sequence: i + 1})
	}
	return s
}

func proc(code string, units int, mods ...string) ward.CodedProcedure {
	return ward.CodedProcedure{Code: code, Units: units, Modifiers: mods}
}

// keys returns "rule codes" for each finding.
func keys(fs []coding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Rule)+" "+strings.Join(f.Evidence.Codes, ","))
	}
	return out
}

const note = `PROGRESS NOTE
CHIEF COMPLAINT:
Right knee pain.

HISTORY OF PRESENT ILLNESS:
The patient is a 66-year-old woman who reports chronic right knee pain. She denies chest pain.

PAST MEDICAL HISTORY:
Asthma as a child.

FAMILY HISTORY:
Mother with breast cancer.

ASSESSMENT AND PLAN:
1. Primary osteoarthritis of the right knee. Physical therapy.
2. Essential hypertension, well controlled. Continue lisinopril.
3. Chest X-ray to rule out pneumonia.
`

func TestCheck(t *testing.T) {
	v := MustCorpusValidator(t)
	for _, test := range []struct {
		name string
		sub  *ward.Submission
		note string
		opts coding.Options
		want []string
	}{
		{"OK", submission("2020-11-02", 66, "F", []string{"M17.11", "I10"}, proc("99213", 1)), note, coding.Options{}, nil},
		{"OKLowerCaseNoDot", submission("2020-11-02", 66, "F", []string{"m1711", "i10"}), note, coding.Options{}, nil},
		{"Header", submission("2020-11-02", 66, "F", []string{"M17.1", "I10"}), note, coding.Options{}, []string{"validity M17.1"}},
		{"Malformed", submission("2020-11-02", 66, "F", []string{"M17-11", "I10"}), note, coding.Options{}, []string{"validity M17-11"}},
		{"Unknown", submission("2020-11-02", 66, "F", []string{"M17.19", "I10"}), note, coding.Options{}, []string{"validity M17.19"}},
		{"Duplicate", submission("2020-11-02", 66, "F", []string{"M17.11", "I10", "I10"}), note, coding.Options{}, []string{"validity I10"}},
		{"MalformedProcedure", submission("2020-11-02", 66, "F", []string{"M17.11", "I10"}, proc("9921", 1)), note, coding.Options{}, []string{"validity 9921"}},
		{"UnknownHCPCS", submission("2020-11-02", 66, "F", []string{"M17.11", "I10"}, proc("K9998", 1)), note, coding.Options{}, []string{"validity K9998"}},
		{"NewerCodeAfterRelease", submission("2022-03-01", 66, "F", []string{"M17.11", "I10", "U09.9"}), note, coding.Options{Rules: []coding.Rule{coding.RuleValidity}}, []string{"validity U09.9"}},
		{"Sex", submission("2020-11-02", 66, "M", []string{"M17.11", "I10", "N95.1"}), note, coding.Options{Rules: []coding.Rule{coding.RuleSex}}, []string{"sex N95.1"}},
		{"SexUnknownSkipped", submission("2020-11-02", 66, "U", []string{"N95.1"}), "", coding.Options{}, nil},
		{"Age", submission("2020-11-02", 66, "F", []string{"M17.11", "I10", "Z00.129"}), note, coding.Options{Rules: []coding.Rule{coding.RuleAge}}, []string{"age Z00.129"}},
		{"Excludes1", submission("2020-11-02", 66, "F", []string{"E11.9", "E10.9"}), "", coding.Options{}, []string{"excludes1 E11.9,E10.9"}},
		{"Specificity", submission("2020-11-02", 66, "F", []string{"M17.10", "I10"}), note, coding.Options{}, []string{"specificity M17.10"}},
		{"LateralityMismatch", submission("2020-11-02", 66, "F", []string{"M17.12", "I10"}), note, coding.Options{}, []string{"specificity M17.12"}},
		{"Undocumented", submission("2020-11-02", 66, "F", []string{"M17.11", "I10", "E11.9"}), note, coding.Options{}, []string{"documentation E11.9"}},
		{"Negated", submission("2020-11-02", 66, "F", []string{"M17.11", "I10", "R07.9"}), note, coding.Options{}, []string{"documentation R07.9"}},
		{"Hypothetical", submission("2020-11-02", 66, "F", []string{"M17.11", "I10", "J18.9"}), note, coding.Options{}, []string{"documentation J18.9"}},
		{"Historical", submission("2020-11-02", 66, "F", []string{"M17.11", "I10", "J45.909"}), note, coding.Options{}, []string{"documentation J45.909"}},
		{"Family", submission("2020-11-02", 66, "F", []string{"M17.11", "I10", "C50.919"}), note, coding.Options{}, []string{"documentation C50.919"}},
		{"FamilyHistoryCode", submission("2020-11-02", 66, "F", []string{"M17.11", "I10", "Z80.3"}), note, coding.Options{}, nil},
		{"Missed", submission("2020-11-02", 66, "F", []string{"M17.11"}), note, coding.Options{}, []string{"missed_diagnosis I10"}},
		{"RulesFilter", submission("2020-11-02", 66, "F", []string{"M17.1"}), note, coding.Options{Rules: []coding.Rule{coding.RuleMissed}}, []string{"missed_diagnosis I10"}},
		{"EmptyNoteSkipsNoteRules", submission("2020-11-02", 66, "F", []string{"E11.9"}), "  ", coding.Options{}, nil},
		{"PTPIndicator0", submission("2024-02-01", 66, "F", []string{"I10"}, proc("99213", 1), proc("99214", 1)), "", coding.Options{}, []string{"ncci_ptp 99213,99214"}},
		{"PTPIndicator0With59", submission("2024-02-01", 66, "F", []string{"I10"}, proc("36415", 1, "59"), proc("80053", 1)), "", coding.Options{}, []string{"ncci_ptp 80053,36415"}},
		{"PTPIndicator1", submission("2024-02-01", 66, "F", []string{"M17.11"}, proc("20610", 1), proc("99213", 1)), "", coding.Options{}, []string{"ncci_ptp 20610,99213"}},
		{"PTPIndicator1With25", submission("2024-02-01", 66, "F", []string{"M17.11"}, proc("20610", 1), proc("99213", 1, "25")), "", coding.Options{}, nil},
		{"PTPIndicator1WithXS", submission("2024-02-01", 66, "F", []string{"M17.11"}, proc("20610", 1, "XS"), proc("99213", 1)), "", coding.Options{}, nil},
		{"PTPBeforeEffective", submission("2023-12-31", 66, "F", []string{"I10"}, proc("99213", 1), proc("99214", 1)), "", coding.Options{}, nil},
		{"PTPHospitalTableNotLoaded", submission("2024-02-01", 66, "F", []string{"I10"}, proc("99213", 1), proc("99214", 1)), "", coding.Options{Setting: codeset.Hospital}, nil},
		{"MUE", submission("2024-02-01", 66, "F", []string{"I10"}, proc("99213", 2)), "", coding.Options{}, []string{"mue 99213"}},
		{"MUESummed", submission("2024-02-01", 66, "F", []string{"I10"}, proc("20610", 3, "RT"), proc("20610", 2, "LT")), "", coding.Options{}, []string{"mue 20610"}},
		{"MUEWithin", submission("2024-02-01", 66, "F", []string{"I10"}, proc("36415", 3)), "", coding.Options{}, nil},
	} {
		t.Run(test.name, func(t *testing.T) {
			got := keys(v.Check(test.sub, test.note, test.opts))
			if strings.Join(got, "; ") != strings.Join(test.want, "; ") {
				t.Fatalf("findings=%q, want %q", got, test.want)
			}
		})
	}
}

func TestCheckEvidence(t *testing.T) {
	v := MustCorpusValidator(t)
	fs := v.Check(submission("2020-11-02", 66, "F", []string{"M17.11", "I10", "J18.9"}), note, coding.Options{})
	if len(fs) != 1 {
		t.Fatalf("findings=%v", fs)
	}
	f := fs[0]
	if f.Source != coding.SourceRules || f.Severity != coding.SeverityError || f.Evidence.Status != "hypothetical" {
		t.Fatalf("finding=%+v", f)
	}
	if f.Evidence.Span == nil || note[f.Evidence.Span[0]:f.Evidence.Span[1]] != "pneumonia" {
		t.Fatalf("span=%v", f.Evidence.Span)
	}
	if f.Evidence.Excerpt != "Chest X-ray to rule out pneumonia" || f.Evidence.Fields[0] != "diagnoses[2].code" {
		t.Fatalf("evidence=%+v", f.Evidence)
	}
	fs = v.Check(submission("2020-11-02", 66, "F", []string{"M17.10", "I10"}), note, coding.Options{})
	if len(fs) != 1 || fs[0].Evidence.Suggest[0] != "M17.11" {
		t.Fatalf("specificity suggestion: %+v", fs)
	}
}

// TestCheckDeleted builds a release with two fiscal years from the order
// file excerpt, one without a code, to check "deleted" and "not yet
// valid".
func TestCheckDeleted(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("codeset", "testdata", "icd10cm_order_2021_excerpt.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var without []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, " I10 ") {
			without = append(without, l)
		}
	}
	// U09.9 (post COVID-19 condition) first appeared in FY2022.
	without = append(without, "99999 U099    1 Post COVID-19 condition, unspecified                         Post COVID-19 condition, unspecified")
	in := filepath.Join(dir, "icd10cm_order_2023.txt")
	os.WriteFile(in, []byte(strings.Join(without, "\n")), 0o644)
	if _, err := codeset.Import(filepath.Join(dir, "rel"), []string{in}, codeset.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	rel, err := codeset.Open(filepath.Join(dir, "rel"))
	if err != nil {
		t.Fatal(err)
	}
	v := coding.New(rel)
	opts := coding.Options{Rules: []coding.Rule{coding.RuleValidity}}
	fs := v.Check(submission("2023-03-01", 50, "F", []string{"I10", "E11.9"}), "", opts)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "deleted") || fs[0].Severity != coding.SeverityError {
		t.Fatalf("FY2023 without I10: %v", fs)
	}
	// A code FY2023 (the excerpt) lacks but FY2021 has was deleted; one
	// neither has is unknown.
	fs = v.Check(submission("2023-03-01", 50, "F", []string{"J45.909", "J45.999"}), "", opts)
	if len(fs) != 2 || !strings.Contains(fs[0].Message, "deleted") || !strings.Contains(fs[1].Message, "not an ICD-10-CM code in ICD-10-CM FY2023") {
		t.Fatalf("FY2023: %v", fs)
	}
	if fs := v.Check(submission("2021-03-01", 50, "F", []string{"I10"}), "", opts); len(fs) != 0 {
		t.Fatalf("FY2021: %v", fs)
	}
	fs = v.Check(submission("2021-03-01", 50, "F", []string{"U09.9"}), "", opts)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "not valid yet") {
		t.Fatalf("U09.9 in FY2021: %v", fs)
	}
}

func TestCheckNil(t *testing.T) {
	if fs := coding.Check(nil, "", coding.Options{}); fs != nil {
		t.Fatal(fs)
	}
	// Odd input never panics.
	s := &ward.Submission{Diagnoses: []ward.CodedDiagnosis{{Code: ""}, {Code: "ZZZZZZZZZZZ"}}, Procedures: []ward.CodedProcedure{{Code: "", Units: -3}}}
	coding.Check(s, "\x00\xff\n:\n;;", coding.Options{})
}

// TestConcurrent checks one Validator from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	v := MustCorpusValidator(t)
	cases := loadCorpus(t)
	want := make([]string, len(cases))
	for i, c := range cases {
		want[i] = fmt.Sprint(keys(v.Check(&c.Submission, c.note, coding.Options{})))
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range cases {
				c := cases[(i+w*37)%len(cases)]
				j := (i + w*37) % len(cases)
				if got := fmt.Sprint(keys(v.Check(&c.Submission, c.note, coding.Options{}))); got != want[j] {
					t.Errorf("%s: %s, want %s", c.name, got, want[j])
				}
			}
		}(w)
	}
	wg.Wait()
}

func TestDefaultCodeTerms(t *testing.T) {
	v, err := coding.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, test := range []struct{ term, note, status string }{
		{"E11.9", "Assessment: T2DM, controlled.", "affirmed"},
		{"I10", "A/P: HTN.", "affirmed"},
		{"I10", "No history of hypertension.", "negated"},
		{"C50.919", "Mother with breast cancer.", "family"},
		{"S61.411A", "Laceration of the right hand without foreign body.", "affirmed"},
		{"O10.919", "Pre-existing hypertension complicating pregnancy.", "affirmed"},
		{"N95.1", "Menopausal hot flashes.", "affirmed"},
		{"chest pain", "Denies chest pain.", "negated"},
		{"E11.9", "Lungs clear.", "absent"},
	} {
		if got := v.Evidence(test.note, test.term).Status.String(); got != test.status {
			t.Errorf("Evidence(%q, %q)=%s, want %s", test.note, test.term, got, test.status)
		}
	}
}

func TestStreamEvidence(t *testing.T) {
	v, err := coding.Default()
	if err != nil {
		t.Fatal(err)
	}
	in := `{"note": "Denies chest pain.", "term": "chest pain"}
{"note": "A/P: HTN, stable.", "term": "I10"}

{"note": "Lungs clear.", "term": "pneumonia"}
not json
{"note": "x"}
{"term": "x", "note": "Mother with diabetes."}
{"note":"x\r\n","term":"x"}` + "\r\n"
	var out strings.Builder
	lines, failed, err := v.StreamEvidence(strings.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"status":"negated","span":[7,17]}
{"status":"affirmed","span":[5,8]}
{"status":"absent"}
{"error":"line 5: not a JSON object: invalid character 'o' in literal null (expecting 'u')"}
{"error":"line 6: missing \"term\""}
{"status":"absent"}
{"status":"affirmed","span":[0,1]}
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if lines != 7 || failed != 2 {
		t.Fatalf("lines=%d failed=%d", lines, failed)
	}
}
