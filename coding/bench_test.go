package coding_test

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/coding"
)

// onePage is a one-page note (about 3,400 bytes) in the demo EHR's style.
const onePage = `PROGRESS NOTE
Patient: Linda Kowalski    DOB: 1954-03-11    Sex: Female
Date of service: 2020-11-16    Setting: Ambulatory    Visit: Office visit
Facility: Northgate Internal Medicine
Author: Dr. Henry Osei

CHIEF COMPLAINT:
Right knee pain and diabetes follow-up.

HISTORY OF PRESENT ILLNESS:
The patient is a 66-year-old woman who reports chronic right knee pain with stiffness after rest and pain on stairs for two years, worse over the last month. She denies locking, giving way, or recent injury. She is also seen for diabetes follow-up; home fasting glucose runs 110 to 140. She also is seen for follow-up of hypertension; home readings average 128/78. She has a history of deep vein thrombosis in 2015 after hip surgery, treated for six months. She has no history of heart disease.

PAST MEDICAL HISTORY:
Type 2 diabetes mellitus; hypertension; hyperlipidemia; deep vein thrombosis (2015).

PAST SURGICAL HISTORY:
Right total hip arthroplasty in 2015. Cholecystectomy in 2009.

MEDICATIONS:
Metformin 1000 mg twice daily; lisinopril 10 mg daily; atorvastatin 20 mg nightly.

ALLERGIES:
No known drug allergies.

FAMILY HISTORY:
Mother with type 2 diabetes and breast cancer at 70; father died of a myocardial infarction at 66.

SOCIAL HISTORY:
Former smoker, quit 2005. Drinks wine occasionally. Retired librarian; walks daily.

REVIEW OF SYSTEMS:
Constitutional: Denies fever, chills, or unintentional weight loss.
ENT: Denies sore throat, ear pain, or nasal congestion.
Cardiovascular: Denies chest pain, palpitations, or leg swelling.
Respiratory: Denies cough, shortness of breath, or wheezing.
Gastrointestinal: Denies nausea, vomiting, abdominal pain, or blood in stool.
Genitourinary: Denies dysuria, hematuria, or urinary frequency.
Musculoskeletal: Positive for right knee pain and stiffness. Denies joint redness elsewhere.
Skin: No rash or new skin lesions.
Neurological: Denies headache, dizziness, numbness, or weakness.
Psychiatric: Denies depressed mood, anxiety, or suicidal ideation.

PHYSICAL EXAMINATION:
Vital signs: BP 128/76 mmHg, HR 72/min, RR 14/min, Temp 36.7 C, SpO2 97%, BMI 31.2 kg/m2.
General: Alert and oriented, in no acute distress.
Heart: Regular rate and rhythm; no murmurs, rubs, or gallops.
Lungs: Clear to auscultation bilaterally.
Right knee: Crepitus and medial joint-line tenderness; no effusion; ligaments stable. Left knee normal.
Feet: Intact sensation to monofilament bilaterally; no ulcers.

RESULTS:
Hemoglobin A1c 7.1%; LDL 88 mg/dL; creatinine 0.9 mg/dL.

PROCEDURES:
- Arthrocentesis and corticosteroid injection of the right knee under sterile technique.

ASSESSMENT AND PLAN:
1. Primary osteoarthritis of the right knee. Injection given today; physical therapy referral; topical diclofenac.
2. Type 2 diabetes mellitus without complications. Continue metformin; A1c every 3 months; annual eye examination.
3. Essential hypertension, well controlled. Continue lisinopril; low-sodium diet.
4. Hyperlipidemia on atorvastatin. Continue statin; lipid panel in 6 months.
5. History of deep vein thrombosis, no current anticoagulation. Return if leg swelling develops.
Return precautions reviewed; the patient verbalized understanding.

Electronically signed by Dr. Henry Osei on 2020-11-16 16:40.
`

func benchSubmission() *ward.Submission {
	return submission("2020-11-16", 66, "F", []string{"M17.11", "E11.9", "I10", "E78.5", "Z86.718"},
		proc("99214", 1, "25"), proc("20610", 1, "RT"))
}

// BenchmarkCheck checks one submission with a one-page note against every
// rule, on one goroutine: submissions/s is per core.
func BenchmarkCheck(b *testing.B) {
	v := MustCorpusValidator(b)
	sub := benchSubmission()
	if fs := v.Check(sub, onePage, coding.Options{}); len(fs) != 0 {
		b.Fatalf("the benchmark submission has findings: %v", fs)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		v.Check(sub, onePage, coding.Options{})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submissions/s")
}

// BenchmarkCheckParallel is BenchmarkCheck from GOMAXPROCS goroutines.
func BenchmarkCheckParallel(b *testing.B) {
	v := MustCorpusValidator(b)
	sub := benchSubmission()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			v.Check(sub, onePage, coding.Options{})
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submissions/s")
}

// BenchmarkEvidence streams JSON lines through StreamEvidence, as `ward
// codes evidence` does: lines/s.
func BenchmarkEvidence(b *testing.B) {
	v, err := coding.Default()
	if err != nil {
		b.Fatal(err)
	}
	cases := loadCorpus(b)
	terms := []string{"chest pain", "E11.9", "hypertension", "I10", "asthma", "pneumonia", "M17.11", "breast cancer", "fever", "J02.9"}
	var in bytes.Buffer
	const lines = 1000
	for i := 0; i < lines; i++ {
		line, _ := json.Marshal(map[string]string{"note": cases[i%len(cases)].note, "term": terms[i%len(terms)]})
		in.Write(line)
		in.WriteByte('\n')
	}
	input := in.Bytes()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n, failed, err := v.StreamEvidence(bytes.NewReader(input), io.Discard)
		if err != nil || failed != 0 || n != lines {
			b.Fatal(n, failed, err)
		}
	}
	b.ReportMetric(float64(b.N*lines)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkParse parses the one-page note alone.
func BenchmarkParse(b *testing.B) {
	v, err := coding.Default()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		v.Evidence(onePage, "osteoarthritis")
	}
}
