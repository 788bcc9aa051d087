package evidence_test

import (
	"strings"
	"testing"

	"github.com/wardhq/ward/coding/evidence"
)

func TestFind(t *testing.T) {
	for _, test := range []struct {
		name   string
		note   string
		term   []string
		status evidence.Status
		span   string // the text at the mention's span; "" for absent
	}{
		{"Affirmed", "Assessment: Type 2 diabetes mellitus without complications.", []string{"type 2 diabetes"}, evidence.Affirmed, "Type 2 diabetes"},
		{"AffirmedAnyOrder", "Primary osteoarthritis of the right knee (unilateral).", []string{"knee osteoarthritis"}, evidence.Affirmed, "osteoarthritis of the right knee"},
		{"Plural", "Scattered rhonchi. Lacerations of both hands.", []string{"laceration of hand"}, evidence.Affirmed, "Lacerations of both hands"},
		{"Absent", "Lungs clear.", []string{"pneumonia"}, evidence.Absent, ""},
		{"NegatedDenies", "Respiratory: Denies cough, shortness of breath, or wheezing.", []string{"wheezing"}, evidence.Negated, "wheezing"},
		{"NegatedNo", "No rash or new skin lesions.", []string{"skin lesion"}, evidence.Negated, "skin lesions"},
		{"NegatedPost", "Pneumonia was ruled out by chest X-ray.", []string{"pneumonia"}, evidence.Negated, "Pneumonia"},
		{"NegatedNegativePost", "Rapid strep test negative.", []string{"strep"}, evidence.Negated, "strep"},
		{"NegationEndsAtBut", "Denies chest pain but reports a productive cough.", []string{"cough"}, evidence.Affirmed, "cough"},
		{"NegationEndsAtSemicolon", "No fever; productive cough for 3 days.", []string{"cough"}, evidence.Affirmed, "cough"},
		{"NegationEndsAtSentence", "No fever. Cough for 3 days.", []string{"cough"}, evidence.Affirmed, "Cough"},
		{"PseudoNoIncrease", "No increase in knee pain since the injection.", []string{"knee pain"}, evidence.Affirmed, "knee pain"},
		{"PseudoNotCause", "The medication did not cause nausea.", []string{"nausea"}, evidence.Affirmed, "nausea"},
		{"NeverSmoker", "SOCIAL HISTORY:\nTobacco: Never smoker.", []string{"smoker"}, evidence.Negated, "smoker"},
		{"HypotheticalReturnIf", "Return if fever or shortness of breath develops.", []string{"shortness of breath"}, evidence.Hypothetical, "shortness of breath"},
		{"HypotheticalRuleOut", "Chest X-ray to rule out pneumonia.", []string{"pneumonia"}, evidence.Hypothetical, "pneumonia"},
		{"HypotheticalPossible", "Possible urinary tract infection; culture sent.", []string{"urinary tract infection"}, evidence.Hypothetical, "urinary tract infection"},
		{"HistoricalHistoryOf", "She has a history of deep vein thrombosis in 2015.", []string{"deep vein thrombosis"}, evidence.Historical, "deep vein thrombosis"},
		{"HistoricalSP", "He is s/p appendectomy.", []string{"appendectomy"}, evidence.Historical, "appendectomy"},
		{"HistoricalSection", "PAST MEDICAL HISTORY:\nHypertension; asthma.\n", []string{"asthma"}, evidence.Historical, "asthma"},
		{"HPIPseudo", "HISTORY OF PRESENT ILLNESS:\nThe patient reports knee pain.", []string{"knee pain"}, evidence.Affirmed, "knee pain"},
		{"FamilyRelative", "His mother had breast cancer at 52.", []string{"breast cancer"}, evidence.Family, "breast cancer"},
		{"FamilyPost", "Breast cancer in her sister.", []string{"breast cancer"}, evidence.Family, "Breast cancer"},
		{"FamilySection", "FAMILY HISTORY:\nColon cancer (father).\n\nASSESSMENT:\nHypertension.", []string{"colon cancer"}, evidence.Family, "Colon cancer"},
		{"FamilyNegated", "No family history of diabetes.", []string{"diabetes"}, evidence.Negated, "diabetes"},
		{"FamilyReporter", "Mother reports fever for two days.", []string{"fever"}, evidence.Affirmed, "fever"},
		{"FamilyThenPatient", "Father had a myocardial infarction. The patient has hypertension.", []string{"hypertension"}, evidence.Affirmed, "hypertension"},
		{"AffirmedBeatsNegated", "ROS: Denies chest pain.\nAssessment: Chest pain, atypical.", []string{"chest pain"}, evidence.Affirmed, "Chest pain"},
		{"Abbreviation", "A/P: HTN, well controlled.", []string{"hypertension", "htn"}, evidence.Affirmed, "HTN"},
		{"RunOrder", "Type 1 error. Type 2 diabetes, A1c 7.1.", []string{"type 1 diabetes"}, evidence.Absent, ""},
		{"RunGap", "Chronic systolic congestive heart failure.", []string{"chronic systolic heart failure"}, evidence.Affirmed, "Chronic systolic congestive heart failure"},
		{"OtherSentence", "Right knee: crepitus. Osteoarthritis.", []string{"knee osteoarthritis"}, evidence.Absent, ""},
		{"SoftWrap", "The patient is a 67-year-old woman with\nchronic kidney disease, stage 4.", []string{"woman with chronic kidney disease"}, evidence.Affirmed, "woman with\nchronic kidney disease"},
		{"DrAbbrev", "Seen by Dr. Smith for asthma.", []string{"smith asthma"}, evidence.Affirmed, "Smith for asthma"},
	} {
		t.Run(test.name, func(t *testing.T) {
			d := evidence.Default().Parse(test.note)
			defer d.Release()
			m := d.Find(evidence.NewTerm(test.term...))
			if got, want := m.Status, test.status; got != want {
				t.Fatalf("Status=%v, want %v (mention %+v)", got, want, m)
			}
			got := ""
			if m.Found() {
				got = test.note[m.Start:m.End]
			}
			if got != test.span {
				t.Fatalf("span text=%q, want %q", got, test.span)
			}
		})
	}
}

func TestSections(t *testing.T) {
	note := "PROGRESS NOTE\nCHIEF COMPLAINT:\nCough.\n\nFamily history: mother with asthma.\nA/P: Acute bronchitis.\nHeart: regular.\n"
	d := evidence.Default().Parse(note)
	defer d.Release()
	var kinds []string
	for _, s := range d.Sections() {
		kinds = append(kinds, s.Kind.String()+"="+s.Title)
	}
	if got, want := strings.Join(kinds, ","), "none=,none=PROGRESS NOTE,chief_complaint=CHIEF COMPLAINT,family_history=Family history,assessment=A/P"; got != want {
		t.Fatalf("sections=%s, want %s", got, want)
	}
	m := d.Find(evidence.NewTerm("acute bronchitis"))
	if m.Section != evidence.SectionAssessment {
		t.Fatalf("Section=%v, want assessment", m.Section)
	}
}

func TestInSentence(t *testing.T) {
	note := "Primary osteoarthritis of the right knee. Left knee normal."
	d := evidence.Default().Parse(note)
	defer d.Release()
	m := d.Find(evidence.NewTerm("osteoarthritis knee"))
	if !d.InSentence(m, evidence.NewTerm("right")) {
		t.Fatal("right: not in sentence")
	}
	if d.InSentence(m, evidence.NewTerm("left")) {
		t.Fatal("left: in sentence")
	}
	if s, e := d.SentenceOf(m); note[s:e] != "Primary osteoarthritis of the right knee" {
		t.Fatalf("SentenceOf=%q", note[s:e])
	}
}
