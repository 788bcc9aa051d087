// Command gencorpus writes ward's labelled coding corpus,
// coding/testdata/corpus: synthetic encounters, each a clinical note in the
// section style of ward's demo EHR (and two other common styles), a coding
// submission and the findings a careful reviewer expects.
//
//	go run ./coding/internal/gencorpus -out coding/testdata/corpus
//
// The encounters come from templates (conditions.go) and scenarios
// (scenarios.go) with seeded random variation, so the corpus is
// reproducible: the same program writes the same files. The labels come
// from the scenarios (what was injected), never from running the checks.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/coding/codeset"
)

func main() {
	out := flag.String("out", "coding/testdata/corpus", "output directory")
	flag.Parse()
	g := &gen{r: rand.New(rand.NewPCG(20210301, 8))}
	g.build()
	if err := g.check(); err != nil {
		log.Fatal(err)
	}
	if err := g.write(*out); err != nil {
		log.Fatal(err)
	}
	counts := map[string]int{}
	for _, c := range g.cases {
		if len(c.exp) == 0 {
			counts["(none)"]++
		}
		for _, e := range c.exp {
			counts[e.Rule]++
		}
	}
	log.Printf("%d cases; expected findings by rule: %v", len(g.cases), counts)
}

// expect is one expected finding: its rule and the codes it names.
type expect struct {
	Rule  string   `json:"rule"`
	Codes []string `json:"codes"`
}

// sub mirrors ward.Submission's JSON without the store's fields.
type sub struct {
	ID            string                `json:"id"`
	EncounterRef  string                `json:"encounter_ref"`
	DateOfService string                `json:"date_of_service"`
	PatientAge    int                   `json:"patient_age"`
	PatientSex    string                `json:"patient_sex"`
	Diagnoses     []ward.CodedDiagnosis `json:"diagnoses"`
	Procedures    []ward.CodedProcedure `json:"procedures"`
}

type caseFile struct {
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	Setting     string   `json:"setting,omitempty"`
	Submission  sub      `json:"submission"`
	Expected    []expect `json:"expected"`
}

type gen struct {
	r     *rand.Rand
	cases []*enc
}

func (g *gen) pick(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[g.r.IntN(len(xs))]
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// enc is an encounter being written.
type enc struct {
	g       *gen
	slug    string
	desc    string
	tags    []string
	age     int
	noteAge int // the age the note states, when it differs from the submission's
	sex     string
	first   string
	last    string
	dos     time.Time
	style   int
	title   string
	visit   string
	cc      string
	hpi     []string
	pmh     []string
	psh     []string
	fh      []string
	sh      []string
	meds    []string
	ros     map[string]string
	noROS   bool
	vitals  string
	general string
	exam    []string
	results []string
	procs   []string
	ap      []string
	plan    []string // SOAP style: plan lines apart from the assessment
	after   []string
	dx      []ward.CodedDiagnosis
	px      []ward.CodedProcedure
	exp     []expect
	setting string
	used    map[string]bool // condition ids in the note
}

var (
	femaleNames = []string{"Maria", "Linda", "Aisha", "Grace", "Rosa", "Emily", "Hannah", "Mei", "Fatima", "Olivia", "Beatriz", "Nora", "Sofia", "Yolanda", "Priya", "Janet", "Chloe", "Ava"}
	maleNames   = []string{"James", "Robert", "Ahmed", "Luis", "Daniel", "Kenji", "Samuel", "Omar", "Victor", "Ethan", "Noah", "Raj", "Thomas", "Marcus", "Diego", "Arthur", "Leo", "Ben"}
	lastNames   = []string{"Garcia", "Nguyen", "Okafor", "Smith", "Johnson", "Patel", "Kowalski", "Hernandez", "Kim", "Brown", "Rossi", "Haddad", "Ito", "Murphy", "Schmidt", "Silva", "Cohen", "Dubois", "Mensah", "Larsen"}
	doctors     = []string{"Dr. Keeley Yundt", "Dr. Barry Nicolas", "Dr. Blake Deckow", "Dr. Ana Ruiz", "Dr. Henry Osei", "Dr. Lena Fischer", "Dr. Paul Amari", "Dr. Sara Lindqvist"}
	facilities  = []string{"Riverside Family Medicine", "Northgate Internal Medicine", "Lakeview Pediatrics", "Harbor Urgent Care", "Cedar Street Clinic"}
	durations   = []string{"2 days", "3 days", "4 days", "5 days", "1 week", "10 days"}
)

// rosOrder and rosNegative are the review-of-systems defaults.
var rosOrder = []string{"Constitutional", "ENT", "Cardiovascular", "Respiratory", "Gastrointestinal", "Genitourinary", "Musculoskeletal", "Skin", "Neurological", "Psychiatric"}

var rosNegative = map[string][]string{
	"Constitutional":   {"Denies fever, chills, or unintentional weight loss.", "No fever or night sweats."},
	"ENT":              {"Denies sore throat, ear pain, or nasal congestion.", "No ear pain or sinus pressure."},
	"Cardiovascular":   {"Denies chest pain, palpitations, or leg swelling.", "No chest pain or palpitations."},
	"Respiratory":      {"Denies cough, shortness of breath, or wheezing.", "No cough or dyspnea."},
	"Gastrointestinal": {"Denies nausea, vomiting, abdominal pain, or blood in stool.", "No abdominal pain, diarrhea, or melena."},
	"Genitourinary":    {"Denies dysuria, hematuria, or urinary frequency.", "No dysuria or hematuria."},
	"Musculoskeletal":  {"Denies joint pain or swelling.", "No joint swelling."},
	"Skin":             {"No rash or new skin lesions.", "Denies rash or itching."},
	"Neurological":     {"Denies headache, dizziness, numbness, or weakness.", "No focal weakness or numbness."},
	"Psychiatric":      {"Denies depressed mood, anxiety, or suicidal ideation.", "Mood stable; denies suicidal ideation."},
}

// familyPool are family histories that name no coded condition of the
// patient: they are about relatives.
var familyPool = []string{
	"Mother with type 2 diabetes; father with hypertension.",
	"Father died of a myocardial infarction at 66.",
	"Sister with breast cancer diagnosed at 50.",
	"Mother with hypothyroidism; brother with asthma.",
	"Noncontributory.",
	"Father with colon cancer at 70; mother alive and well.",
	"Paternal grandmother with dementia.",
	"No family history of diabetes or heart disease.",
	"Both parents with hypertension.",
}

var socialPool = []string{
	"Never smoker. Drinks alcohol socially. Works as a teacher.",
	"Former smoker, quit 10 years ago. No alcohol.",
	"Never smoker; no alcohol or drug use. Lives with spouse.",
	"Tobacco: Never smoker. Alcohol: 1 to 2 drinks per week.",
	"Former smoker (quit 2012); occasional alcohol; retired mechanic.",
	"Lives with family; no tobacco, alcohol, or drug use.",
}

var historyPool = []string{
	"Appendectomy at age 14.", "Cholecystectomy in 2016.", "Tonsillectomy as a child.", "Right knee arthroscopy in 2011.",
	"Cesarean section in 2009.", "Left inguinal hernia repair in 2015.", "No prior surgeries.",
}

// pastPool are past conditions that are listed but not addressed at the
// visit: historical, so neither coded nor missed.
var pastPool = map[string]string{
	"kidney-stones": "Kidney stones (2014)", "childhood-asthma": "Childhood asthma, resolved", "hld": "Hyperlipidemia",
	"gerd": "GERD", "hypothyroid": "Hypothyroidism", "migraine": "Migraine", "pneumonia": "Pneumonia in 2019, treated",
}

func (g *gen) newEnc(age int, sex string) *enc {
	e := &enc{g: g, age: age, sex: sex, ros: map[string]string{}, used: map[string]bool{}}
	if sex == "F" {
		e.first = g.pick(femaleNames)
	} else {
		e.first = g.pick(maleNames)
	}
	e.last = g.pick(lastNames)
	e.dos = time.Date(2020, 10, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(80))
	e.style = g.r.IntN(4)
	e.title = g.pick([]string{"PROGRESS NOTE", "OFFICE VISIT", "CLINIC NOTE"})
	e.visit = "Office visit"
	e.vitals = fmt.Sprintf("BP %d/%d mmHg, HR %d/min, RR %d/min, Temp %.1f C, SpO2 %d%%", 108+g.r.IntN(40), 64+g.r.IntN(22), 60+g.r.IntN(35), 12+g.r.IntN(6), 36.4+float64(g.r.IntN(7))/10, 95+g.r.IntN(5))
	e.general = "General: Alert and oriented, in no acute distress."
	if age < 3 {
		e.general = "General: Active, well-appearing child in no acute distress."
	}
	if g.chance(0.8) {
		e.fh = append(e.fh, g.pick(familyPool))
	}
	if age >= 16 {
		e.sh = append(e.sh, g.pick(socialPool))
	} else {
		e.sh = append(e.sh, "Lives with parents; attends school.")
	}
	if g.chance(0.6) {
		h := g.pick(historyPool)
		if sex == "M" && strings.Contains(h, "Cesarean") {
			h = "No prior surgeries."
		}
		e.psh = append(e.psh, h)
	}
	return e
}

// pastExtra lists a random past condition in the past medical history,
// avoiding the ids given.
func (e *enc) pastExtra(avoid ...string) {
	keys := make([]string, 0, len(pastPool))
	for k := range pastPool {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	k := e.g.pick(keys)
	for _, a := range append(avoid, mapKeys(e.used)...) {
		if a == k {
			return
		}
	}
	e.pmh = append(e.pmh, pastPool[k])
}

func mapKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (e *enc) who() string {
	age := e.age
	if e.noteAge != 0 {
		age = e.noteAge
	}
	s := fmt.Sprintf("%d-year-old", age)
	switch {
	case age < 18 && e.sex == "F":
		return s + " girl"
	case age < 18:
		return s + " boy"
	case e.sex == "F":
		return s + " woman"
	}
	return s + " man"
}

func (e *enc) pronoun() string {
	if e.sex == "F" {
		return "She"
	}
	return "He"
}

// addCond documents condition c in the note and codes it. acute makes it
// the presenting problem; otherwise it is followed up.
func (e *enc) addCond(c *cond, acute bool) {
	g := e.g
	e.used[c.id] = true
	d := g.pick(durations)
	if acute && len(c.hpi) > 0 {
		if e.cc == "" {
			e.cc = g.pick(c.cc)
		}
		e.hpi = append(e.hpi, strings.ReplaceAll(g.pick(c.hpi), "{d}", d))
	} else if len(c.follow) > 0 {
		e.hpi = append(e.hpi, strings.ReplaceAll(g.pick(c.follow), "{bp}", fmt.Sprintf("%d/%d", 120+g.r.IntN(15), 74+g.r.IntN(10))))
	}
	for k, v := range c.ros {
		e.ros[k] = v
	}
	if len(c.exam) > 0 {
		e.exam = append(e.exam, c.exam...)
	}
	if c.results != "" {
		e.results = append(e.results, c.results)
	}
	if len(c.meds) > 0 {
		e.meds = append(e.meds, g.pick(c.meds))
	}
	e.assess(g.pick(c.assess), g.pick(c.plan))
	e.code(c.code)
}

func (e *enc) assess(a, plan string) {
	if e.style == 2 {
		e.ap = append(e.ap, a+".")
		if plan != "" {
			e.plan = append(e.plan, plan)
		}
		return
	}
	if plan == "" {
		e.ap = append(e.ap, a+".")
	} else {
		e.ap = append(e.ap, a+". "+plan)
	}
}

func (e *enc) code(codes ...string) {
	for _, c := range codes {
		e.dx = append(e.dx, ward.CodedDiagnosis{Code: c, Sequence: len(e.dx) + 1})
	}
}

func (e *enc) proc(code string, units int, mods ...string) {
	e.px = append(e.px, ward.CodedProcedure{Code: code, Units: units, Modifiers: mods})
}

func (e *enc) expect(rule string, codes ...string) {
	cs := append([]string(nil), codes...)
	sort.Strings(cs)
	e.exp = append(e.exp, expect{Rule: rule, Codes: cs})
}

// emVisit adds an established-patient office visit.
func (e *enc) emVisit() {
	e.proc(e.g.pick([]string{"99213", "99213", "99214"}), 1)
}

// note renders the encounter in its style.
func (e *enc) note() string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	sexWord := map[string]string{"F": "Female", "M": "Male"}[e.sex]
	dob := e.dos.AddDate(-e.age, -e.g.r.IntN(11), -e.g.r.IntN(27))
	if e.noteAge != 0 {
		dob = e.dos.AddDate(-e.noteAge, -1, 0)
	}
	line("%s", e.title)
	line("Patient: %s %s    DOB: %s    Sex: %s", e.first, e.last, dob.Format("2006-01-02"), sexWord)
	line("Date of service: %s    Setting: Ambulatory    Visit: %s", e.dos.Format("2006-01-02"), e.visit)
	line("Facility: %s", e.g.pick(facilities))
	author := e.g.pick(doctors)
	line("Author: %s", author)
	line("")
	cc := e.cc
	if cc == "" {
		cc = "Follow-up visit."
	}
	hpi := fmt.Sprintf("The patient is a %s who ", e.who())
	if len(e.hpi) == 0 {
		hpi += "is seen for a scheduled follow-up. No new concerns today."
	} else {
		hpi += e.hpi[0] + "."
		for _, h := range e.hpi[1:] {
			if rest, ok := strings.CutPrefix(h, "is "); ok {
				hpi += " " + e.pronoun() + " is also " + rest + "."
			} else {
				hpi += " " + e.pronoun() + " also " + h + "."
			}
		}
	}
	pmh := "No chronic medical problems on record."
	if len(e.pmh) > 0 {
		pmh = strings.Join(e.pmh, "; ") + "."
	}
	ros := func() {
		if e.noROS {
			line("Unable to obtain.")
			return
		}
		for _, k := range rosOrder {
			v, ok := e.ros[k]
			if !ok {
				v = e.g.pick(rosNegative[k])
			}
			line("%s: %s", k, v)
		}
	}
	exam := func() {
		line("Vital signs: %s.", e.vitals)
		line("%s", e.general)
		ex := e.exam
		if len(ex) == 0 {
			ex = []string{"Heart: Regular rate and rhythm; no murmurs.", "Lungs: Clear to auscultation bilaterally."}
		}
		for _, x := range ex {
			line("%s", x)
		}
	}
	numbered := func(items []string) {
		for i, a := range items {
			line("%d. %s", i+1, a)
		}
	}
	switch e.style {
	case 0: // the demo EHR's style
		line("CHIEF COMPLAINT:\n%s\n", cc)
		line("HISTORY OF PRESENT ILLNESS:\n%s\n", hpi)
		line("PAST MEDICAL HISTORY:\n%s\n", pmh)
		if len(e.psh) > 0 {
			line("PAST SURGICAL HISTORY:\n%s\n", strings.Join(e.psh, " "))
		}
		if len(e.meds) > 0 {
			line("MEDICATIONS:\n%s.\n", strings.Join(e.meds, "; "))
		}
		line("ALLERGIES:\nNo known drug allergies.\n")
		if len(e.fh) > 0 {
			line("FAMILY HISTORY:\n%s\n", strings.Join(e.fh, " "))
		}
		line("SOCIAL HISTORY:\n%s\n", strings.Join(e.sh, " "))
		line("REVIEW OF SYSTEMS:")
		ros()
		line("")
		line("PHYSICAL EXAMINATION:")
		exam()
		line("")
		if len(e.results) > 0 {
			line("RESULTS:\n%s.\n", strings.Join(e.results, "; "))
		}
		if len(e.procs) > 0 {
			line("PROCEDURES:")
			for _, p := range e.procs {
				line("- %s", p)
			}
			line("")
		}
		line("ASSESSMENT AND PLAN:")
		numbered(e.ap)
	case 1: // compact clinic style
		line("CC: %s", cc)
		line("HPI: %s", hpi)
		line("PMH: %s", pmh)
		if len(e.psh) > 0 {
			line("PSH: %s", strings.Join(e.psh, " "))
		}
		if len(e.meds) > 0 {
			line("Meds: %s.", strings.Join(e.meds, "; "))
		}
		line("Allergies: NKDA.")
		if len(e.fh) > 0 {
			line("FH: %s", strings.Join(e.fh, " "))
		}
		line("SH: %s", strings.Join(e.sh, " "))
		line("")
		line("ROS:")
		ros()
		line("")
		line("PE:")
		exam()
		if len(e.results) > 0 {
			line("Labs: %s.", strings.Join(e.results, "; "))
		}
		if len(e.procs) > 0 {
			line("Procedure: %s.", strings.Join(e.procs, "; "))
		}
		line("")
		line("A/P:")
		numbered(e.ap)
	case 3: // free text, wrapped at 78 columns, "Impression" and "Plan"
		line("Reason for visit: %s", cc)
		line("")
		line("History of present illness:")
		line("%s", wrap(hpi, 78))
		line("")
		line("Past medical history: %s", pmh)
		if len(e.psh) > 0 {
			line("Surgical history: %s", strings.Join(e.psh, " "))
		}
		if len(e.meds) > 0 {
			line("Current medications: %s.", strings.Join(e.meds, "; "))
		}
		if len(e.fh) > 0 {
			line("Family history: %s", strings.Join(e.fh, " "))
		}
		line("Social history: %s", strings.Join(e.sh, " "))
		line("")
		line("Review of systems:")
		ros()
		line("")
		line("Exam:")
		exam()
		if len(e.results) > 0 {
			line("Data: %s.", strings.Join(e.results, "; "))
		}
		if len(e.procs) > 0 {
			line("Procedure note: %s.", strings.Join(e.procs, "; "))
		}
		line("")
		line("Impression and plan:")
		for _, a := range e.ap {
			line("%s", wrap("- "+a, 78))
		}
		for _, p := range e.plan {
			line("%s", wrap("- "+p, 78))
		}
	case 2: // SOAP
		line("SUBJECTIVE:")
		line("Chief complaint: %s", cc)
		line("%s", hpi)
		line("Past medical history: %s", pmh)
		if len(e.psh) > 0 {
			line("Past surgical history: %s", strings.Join(e.psh, " "))
		}
		if len(e.fh) > 0 {
			line("Family history: %s", strings.Join(e.fh, " "))
		}
		line("Social history: %s", strings.Join(e.sh, " "))
		if len(e.meds) > 0 {
			line("Medications: %s.", strings.Join(e.meds, "; "))
		}
		line("")
		line("Review of systems:")
		ros()
		line("")
		line("OBJECTIVE:")
		exam()
		if len(e.results) > 0 {
			line("Results: %s.", strings.Join(e.results, "; "))
		}
		if len(e.procs) > 0 {
			line("Procedures: %s.", strings.Join(e.procs, "; "))
		}
		line("")
		line("ASSESSMENT:")
		numbered(e.ap)
		if len(e.plan) > 0 {
			line("")
			line("PLAN:")
			for _, p := range e.plan {
				line("- %s", p)
			}
		}
	}
	for _, a := range e.after {
		line("%s", a)
	}
	line("Return precautions reviewed; the patient verbalized understanding.")
	line("")
	line("Electronically signed by %s on %s.", author, e.dos.Add(time.Duration(13+e.g.r.IntN(5))*time.Hour).Format("2006-01-02 15:04"))
	return b.String()
}

// wrap breaks s into lines of at most width columns at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	col := 0
	for i, w := range strings.Fields(s) {
		if i > 0 {
			if col+1+len(w) > width {
				b.WriteByte('\n')
				col = 0
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

func (g *gen) readme() string {
	rules := map[string]int{}
	tags := map[string]int{}
	clean := 0
	for _, c := range g.cases {
		if len(c.exp) == 0 {
			clean++
		}
		for _, e := range c.exp {
			rules[e.Rule]++
		}
		for _, t := range c.tags {
			tags[t]++
		}
	}
	var b strings.Builder
	b.WriteString("# Labelled coding corpus\n\n")
	b.WriteString("Generated by `go run ./coding/internal/gencorpus -out coding/testdata/corpus`; do not edit by hand.\n")
	b.WriteString("The generator is deterministic (a seeded PCG source); `TestCorpusReproducible` checks that it\n")
	b.WriteString("rewrites these files byte for byte. `TestCorpus` runs every case and compares the findings with the\n")
	b.WriteString("expected ones (rule plus codes; a missed diagnosis by the category of the suggested code), computes\n")
	b.WriteString("precision and recall per rule, and fails below `../corpus_floors.json`.\n\n")
	b.WriteString("Each case is a directory: `note.txt` (a synthetic clinical note: sections, review of systems,\n")
	b.WriteString("examination, assessment and plan, in four styles: the demo EHR's upper-case headings, a compact\n")
	b.WriteString("clinic note, SOAP, and free text wrapped at 78 columns) and `case.json` (description, tags, the\n")
	b.WriteString("submission in ward.Submission's JSON, the NCCI setting, the expected findings). Patients and\n")
	b.WriteString("providers are invented. NCCI cases use the unofficial NCCI sample (codeset/testdata) with dates\n")
	b.WriteString("of service in 2024, the sample's quarter.\n\n")
	fmt.Fprintf(&b, "%d cases; %d with no expected finding.\n\n| rule | expected findings |\n|---|---|\n", len(g.cases), clean)
	for _, r := range sortedKeys(rules) {
		fmt.Fprintf(&b, "| %s | %d |\n", r, rules[r])
	}
	b.WriteString("\n| tag | cases |\n|---|---|\n")
	for _, t := range sortedKeys(tags) {
		fmt.Fprintf(&b, "| %s | %d |\n", t, tags[t])
	}
	b.WriteString("\nCases tagged `limit` are realistic notes that ward's lexical rules are known to get wrong (a\n")
	b.WriteString("denied item beyond the negation window, a past event dated but not called history, laterality\n")
	b.WriteString("written in another sentence, a relative named as \"maternal aunt\", heart failure described as\n")
	b.WriteString("\"reduced ejection fraction\"); they stay in the corpus so that the measured recall is honest.\n")
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// check verifies every code of the corpus against the FY2021 release, so
// that a scenario means what it says (a "valid" code is valid).
func (g *gen) check() error {
	rel, err := codeset.Default()
	if err != nil {
		return err
	}
	v := rel.ICD10CM[0]
	for _, e := range g.cases {
		for _, d := range e.dx {
			bad := false
			for _, x := range e.exp {
				if x.Rule == "validity" && contains(x.Codes, d.Code) {
					bad = true
				}
			}
			c, ok := v.Lookup(d.Code)
			if !bad && (!ok || !c.Billable) {
				return fmt.Errorf("%s: %s is not a billable FY2021 code but no validity finding is expected", e.slug, d.Code)
			}
		}
	}
	return nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func (g *gen) write(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte(g.readme()), 0o644); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, e := range g.cases {
		name := fmt.Sprintf("%03d-%s", i+1, e.slug)
		if seen[name] {
			return fmt.Errorf("duplicate case %s", name)
		}
		seen[name] = true
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "note.txt"), []byte(e.note()), 0o644); err != nil {
			return err
		}
		exp := e.exp
		if exp == nil {
			exp = []expect{}
		}
		cf := caseFile{Description: e.desc, Tags: e.tags, Setting: e.setting, Expected: exp, Submission: sub{
			ID: fmt.Sprintf("corpus-%03d", i+1), EncounterRef: fmt.Sprintf("Encounter/corpus-%03d", i+1),
			DateOfService: e.dos.Format(time.DateOnly), PatientAge: e.age, PatientSex: e.sex, Diagnoses: e.dx, Procedures: e.px}}
		b, err := json.MarshalIndent(cf, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "case.json"), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}
