package ehrdemo

import (
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"time"
)

// genID returns a deterministic name-based UUID (version 5 layout) for a
// generated resource, so ids are stable across loads and releases.
func genID(parts ...string) string {
	h := sha1.Sum([]byte("ward-ehrdemo/" + strings.Join(parts, "/")))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// Output shapes of generated resources, in FHIR's conventional element order.

type participantOut struct {
	Individual reference `json:"individual"`
}

type encounterOut struct {
	ResourceType    string            `json:"resourceType"`
	ID              string            `json:"id"`
	Meta            meta              `json:"meta"`
	Status          string            `json:"status"`
	Class           coding            `json:"class"`
	Type            []codeableConcept `json:"type"`
	Subject         reference         `json:"subject"`
	Participant     []participantOut  `json:"participant,omitempty"`
	Period          period            `json:"period"`
	ReasonCode      []codeableConcept `json:"reasonCode,omitempty"`
	ServiceProvider *reference        `json:"serviceProvider,omitempty"`
}

type conditionOut struct {
	ResourceType       string            `json:"resourceType"`
	ID                 string            `json:"id"`
	Meta               meta              `json:"meta"`
	ClinicalStatus     codeableConcept   `json:"clinicalStatus"`
	VerificationStatus codeableConcept   `json:"verificationStatus"`
	Category           []codeableConcept `json:"category"`
	Code               codeableConcept   `json:"code"`
	Subject            reference         `json:"subject"`
	Encounter          reference         `json:"encounter"`
	OnsetDateTime      string            `json:"onsetDateTime"`
	RecordedDate       string            `json:"recordedDate"`
}

type observationOut struct {
	ResourceType      string            `json:"resourceType"`
	ID                string            `json:"id"`
	Meta              meta              `json:"meta"`
	Status            string            `json:"status"`
	Category          []codeableConcept `json:"category"`
	Code              codeableConcept   `json:"code"`
	Subject           reference         `json:"subject"`
	Encounter         reference         `json:"encounter"`
	EffectiveDateTime string            `json:"effectiveDateTime"`
	Issued            string            `json:"issued"`
	ValueQuantity     *quantity         `json:"valueQuantity,omitempty"`
	Component         []component       `json:"component,omitempty"`
}

type contactPoint struct {
	System string `json:"system"`
	Value  string `json:"value"`
	Use    string `json:"use,omitempty"`
}

type patientOut struct {
	ResourceType  string            `json:"resourceType"`
	ID            string            `json:"id"`
	Meta          meta              `json:"meta"`
	Identifier    []identifier      `json:"identifier"`
	Name          []humanName       `json:"name"`
	Telecom       []contactPoint    `json:"telecom"`
	Gender        string            `json:"gender"`
	BirthDate     string            `json:"birthDate"`
	Address       []address         `json:"address"`
	MaritalStatus *codeableConcept  `json:"maritalStatus,omitempty"`
	Communication []communicationTo `json:"communication"`
}

type communicationTo struct {
	Language codeableConcept `json:"language"`
}

var (
	statusActive    = codeableConcept{Coding: []coding{{System: "http://terminology.hl7.org/CodeSystem/condition-clinical", Code: "active"}}}
	statusConfirmed = codeableConcept{Coding: []coding{{System: "http://terminology.hl7.org/CodeSystem/condition-ver-status", Code: "confirmed"}}}
	categoryEncDx   = codeableConcept{Coding: []coding{{System: "http://terminology.hl7.org/CodeSystem/condition-category", Code: "encounter-diagnosis", Display: "Encounter Diagnosis"}}}
	classAMB        = coding{System: actCodeSystem, Code: "AMB"}
	encProblem      = coding{System: snomedSystem, Code: "185347001", Display: "Encounter for problem (procedure)"}
	encCheckup      = coding{System: snomedSystem, Code: "185349003", Display: "Encounter for check up (procedure)"}
)

// Security labels. Confidentiality R ("restricted") comes from
// v3-Confidentiality; the sensitivity codes come from v3-ActCode's
// ActInformationSensitivityPolicy (ETH, PSY, HIV, SEX are in every published
// version). 42CFRPart2 is the v3-ActCode ActUSPrivacyLaw code for federally
// assisted substance use disorder programs. Newer HL7 Terminology releases
// also define finer codes (e.g. BH for behavioral health and substance-specific
// use-disorder codes); ward uses the long-standing ones because every
// consumer knows them.
var (
	labelR     = coding{System: confSystem, Code: "R", Display: "restricted"}
	labelPSY   = coding{System: actCodeSystem, Code: "PSY", Display: "psychiatry information sensitivity"}
	labelETH   = coding{System: actCodeSystem, Code: "ETH", Display: "substance abuse information sensitivity"}
	labelPart2 = coding{System: actCodeSystem, Code: "42CFRPart2", Display: "42 CFR Part2"}
	labelHIV   = coding{System: actCodeSystem, Code: "HIV", Display: "HIV/AIDS information sensitivity"}
	labelSEX   = coding{System: actCodeSystem, Code: "SEX", Display: "sexuality and reproductive health information sensitivity"}
)

// sensitiveCase is one generated sensitive encounter with its diagnosis.
type sensitiveCase struct {
	key      string
	samePat  string // key of an earlier case whose patient this one reuses
	female   bool
	born     [2]int // birth-year range, inclusive
	snomed   coding // optional
	icd      coding
	labels   []coding
	start    string
	minutes  int
	patientR bool // also label the Patient itself R
}

// sensitiveCases are deliberately few and span the categories that US law
// and policy treat specially: mental health, substance use (42 CFR Part 2),
// HIV and reproductive health.
var sensitiveCases = []sensitiveCase{
	{key: "depression", born: [2]int{1940, 2000},
		snomed: coding{System: snomedSystem, Code: "370143000", Display: "Major depressive disorder (disorder)"},
		labels: []coding{labelR, labelPSY}, start: "2021-05-04T14:00:00Z", minutes: 45},
	{key: "alcohol", born: [2]int{1940, 2000},
		snomed: coding{System: snomedSystem, Code: "66590003", Display: "Alcohol dependence (disorder)"},
		labels: []coding{labelR, labelETH, labelPart2}, start: "2021-05-11T15:30:00Z", minutes: 40},
	{key: "opioid", born: [2]int{1950, 2000},
		snomed: coding{System: snomedSystem, Code: "75544000", Display: "Opioid dependence (disorder)"},
		labels: []coding{labelR, labelETH, labelPart2}, start: "2021-05-18T09:00:00Z", minutes: 40, patientR: true},
	{key: "hiv", born: [2]int{1940, 2000},
		snomed: coding{System: snomedSystem, Code: "86406008", Display: "Human immunodeficiency virus infection (disorder)"},
		labels: []coding{labelR, labelHIV}, start: "2021-05-25T10:30:00Z", minutes: 30, patientR: true},
	// Reproductive health: ICD-10-CM only (no SNOMED CT finding code that ward
	// could state with confidence).
	{key: "termination", female: true, born: [2]int{1980, 2000},
		icd:    coding{System: icd10cmSystem, Code: "Z33.2", Display: "Encounter for elective termination of pregnancy"},
		labels: []coding{labelR, labelSEX}, start: "2021-06-01T13:00:00Z", minutes: 60},
	{key: "contraception", samePat: "termination",
		icd:    coding{System: icd10cmSystem, Code: "Z30.011", Display: "Encounter for initial prescription of contraceptive pills"},
		labels: []coding{labelR, labelSEX}, start: "2021-06-15T13:00:00Z", minutes: 20},
}

// addSensitive adds the sensitive encounters and conditions, choosing each
// case's patient by a hash of the case key among living patients who fit.
func (l *loader) addSensitive() error {
	patients := l.ofType("Patient")
	used := map[string]bool{}
	chosen := map[string]*pending{}
	for _, c := range sensitiveCases {
		var pat *pending
		if c.samePat != "" {
			pat = chosen[c.samePat]
		} else {
			var cands []*pending
			for _, p := range patients {
				y := 0
				if len(p.f.BirthDate) >= 4 {
					fmt.Sscanf(p.f.BirthDate[:4], "%d", &y)
				}
				if used[p.id] || p.f.DeceasedDateTime != "" || y < c.born[0] || y > c.born[1] || (c.female && p.f.Gender != "female") {
					continue
				}
				cands = append(cands, p)
			}
			sort.Slice(cands, func(i, j int) bool {
				return hashKey(c.key, cands[i].id) < hashKey(c.key, cands[j].id)
			})
			if len(cands) > 0 {
				pat = cands[0]
			}
		}
		if pat == nil {
			return fmt.Errorf("sensitive case %s: no eligible patient", c.key)
		}
		used[pat.id] = true
		chosen[c.key] = pat
		if c.patientR && !hasCoding(pat.meta.Security, labelR) {
			pat.meta.Security = append(pat.meta.Security, labelR)
			pat.changed = true
		}
		code := codeableConcept{}
		if c.snomed.Code != "" {
			code.Coding = append(code.Coding, c.snomed)
			if icd, ok := icdCoding(c.snomed.Code); ok {
				code.Coding = append(code.Coding, icd)
			}
			code.Text = strings.TrimSuffix(c.snomed.Display, " (disorder)")
		} else {
			code.Coding = append(code.Coding, c.icd)
			code.Text = c.icd.Display
		}
		practitioner, org := l.usualCare(pat)
		if _, err := l.newEncounter(pat, "sensitive/"+c.key, encProblem, code, c.start, c.minutes, practitioner, org, c.labels); err != nil {
			return err
		}
	}
	return nil
}

func hashKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "/")))
	return string(h[:])
}

// usualCare returns the practitioner and organization of the patient's most
// recent encounter (ties broken by id).
func (l *loader) usualCare(pat *pending) (practitioner, org string) {
	key := "Patient/" + pat.id
	var best *pending
	var bestStart string
	for _, e := range l.ofType("Encounter") {
		if l.resolve(e.f.Subject) != key || e.f.Period == nil {
			continue
		}
		if best == nil || e.f.Period.Start > bestStart || (e.f.Period.Start == bestStart && e.id > best.id) {
			best, bestStart = e, e.f.Period.Start
		}
	}
	if best == nil {
		return "", ""
	}
	for _, p := range best.f.Participant {
		if r := l.resolve(p.Individual); strings.HasPrefix(r, "Practitioner/") {
			practitioner = r
			break
		}
	}
	return practitioner, l.resolve(best.f.ServiceProvider)
}

// newEncounter adds a finished ambulatory encounter and, if diagnosis has
// codings, a Condition diagnosed at it. labels go on both.
func (l *loader) newEncounter(pat *pending, seed string, typ coding, diagnosis codeableConcept, start string, minutes int, practitioner, org string, labels []coding) (*pending, error) {
	t, ok := parseTime(start)
	if !ok {
		return nil, fmt.Errorf("bad start %q", start)
	}
	end := formatInstant(t.Add(time.Duration(minutes) * time.Minute))
	m := meta{Tag: []coding{wardTag}, Security: labels}
	enc := encounterOut{
		ResourceType: "Encounter", ID: genID("encounter", seed), Meta: m, Status: "finished", Class: classAMB,
		Type:    []codeableConcept{{Coding: []coding{typ}, Text: typ.Display}},
		Subject: reference{Reference: "Patient/" + pat.id},
		Period:  period{Start: formatInstant(t), End: end},
	}
	if practitioner != "" {
		enc.Participant = []participantOut{{Individual: reference{Reference: practitioner}}}
	}
	if org != "" {
		enc.ServiceProvider = &reference{Reference: org}
	}
	if len(diagnosis.Coding) > 0 {
		enc.ReasonCode = []codeableConcept{diagnosis}
	}
	ep, err := l.addGenerated(enc)
	if err != nil {
		return nil, err
	}
	if len(diagnosis.Coding) > 0 {
		cond := conditionOut{
			ResourceType: "Condition", ID: genID("condition", seed), Meta: m,
			ClinicalStatus: statusActive, VerificationStatus: statusConfirmed,
			Category: []codeableConcept{categoryEncDx}, Code: diagnosis,
			Subject: enc.Subject, Encounter: reference{Reference: "Encounter/" + enc.ID},
			OnsetDateTime: enc.Period.Start, RecordedDate: enc.Period.Start,
		}
		if _, err := l.addGenerated(cond); err != nil {
			return nil, err
		}
	}
	return ep, nil
}

// Lookalike is a demo patient whose name deliberately resembles a seeded demo
// worker, so that the snooping detector has something to find.
type Lookalike struct {
	Surname   string // shared with the worker
	PatientID string // Patient resource id
	Why       string // one line: what the patient shares with which worker
}

// Lookalikes lists the generated look-alike patients. The demo seeds workers
// Joy Santos (Philippines), Priya Sharma (India) and Dana Carter (14 Elm
// Street, Springfield, MA, US).
var Lookalikes = []Lookalike{
	{Surname: "Santos", PatientID: genID("patient", "lookalike", "santos"), Why: "Patient Maria Santos shares the surname of worker Joy Santos."},
	{Surname: "Sharma", PatientID: genID("patient", "lookalike", "sharma"), Why: "Patient Rohan Sharma shares the surname of worker Priya Sharma."},
	{Surname: "Carter", PatientID: genID("patient", "lookalike", "carter"), Why: "Patient Evelyn Carter shares the surname and home address (14 Elm Street, Springfield, MA) of worker Dana Carter."},
}

type lookalikeSpec struct {
	key, given, family, gender, birth, phone, marital string
	addr                                              address
	city                                              string // organization city to treat the patient
	checkup, visit                                    string // encounter starts
	dx                                                coding
	vitals                                            [5]float64 // height cm, weight kg, BMI, systolic, diastolic
}

var lookalikeSpecs = []lookalikeSpec{
	{key: "santos", given: "Maria", family: "Santos", gender: "female", birth: "1968-03-02", phone: "555-214-7734", marital: "M",
		addr: address{Line: []string{"87 Harbor View Road"}, City: "Fall River", State: "MA", PostalCode: "02721", Country: "US"}, city: "FALL RIVER",
		checkup: "2020-09-14T09:15:00Z", visit: "2021-02-22T10:40:00Z",
		dx:     coding{System: snomedSystem, Code: "38341003", Display: "Hypertension"},
		vitals: [5]float64{161.3, 74.8, 28.7, 148, 94}},
	{key: "sharma", given: "Rohan", family: "Sharma", gender: "male", birth: "1979-11-19", phone: "555-381-0926", marital: "S",
		addr: address{Line: []string{"230 Pleasant Street"}, City: "Worcester", State: "MA", PostalCode: "01609", Country: "US"}, city: "WORCESTER",
		checkup: "2020-10-05T08:30:00Z", visit: "2021-01-18T16:20:00Z",
		dx:     coding{System: snomedSystem, Code: "10509002", Display: "Acute bronchitis (disorder)"},
		vitals: [5]float64{176.5, 81.2, 26.1, 122, 78}},
	{key: "carter", given: "Evelyn", family: "Carter", gender: "female", birth: "1951-06-14", phone: "555-730-4418", marital: "W",
		addr: address{Line: []string{"14 Elm Street"}, City: "Springfield", State: "MA", PostalCode: "01103", Country: "US"}, city: "SPRINGFIELD",
		checkup: "2020-08-11T13:00:00Z", visit: "2021-03-09T11:10:00Z",
		dx:     coding{System: snomedSystem, Code: "239873007", Display: "Osteoarthritis of knee"},
		vitals: [5]float64{158.2, 69.4, 27.7, 134, 82}},
}

// addLookalikes adds the look-alike patients, each with a check-up (with
// vital signs) and a problem visit with one diagnosis.
func (l *loader) addLookalikes() error {
	for i, s := range lookalikeSpecs {
		id := Lookalikes[i].PatientID
		mrn := genID("mrn", s.key)
		pat := patientOut{
			ResourceType: "Patient", ID: id, Meta: meta{Tag: []coding{wardTag}},
			Identifier: []identifier{
				{System: "https://github.com/synthetichealth/synthea", Value: mrn},
				{Type: &codeableConcept{Coding: []coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0203", Code: "MR", Display: "Medical Record Number"}}, Text: "Medical Record Number"},
					System: "http://hospital.smarthealthit.org", Value: mrn},
				{Type: &codeableConcept{Coding: []coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0203", Code: "SS", Display: "Social Security Number"}}, Text: "Social Security Number"},
					System: "http://hl7.org/fhir/sid/us-ssn", Value: fmt.Sprintf("999-%02d-%04d", 10+i*17, 1000+i*2371)},
			},
			Name:      []humanName{{Use: "official", Family: s.family, Given: []string{s.given}, Prefix: []string{map[string]string{"female": "Ms.", "male": "Mr."}[s.gender]}}},
			Telecom:   []contactPoint{{System: "phone", Value: s.phone, Use: "home"}},
			Gender:    s.gender,
			BirthDate: s.birth,
			Address:   []address{s.addr},
			MaritalStatus: &codeableConcept{Coding: []coding{{System: "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", Code: s.marital}},
				Text: s.marital},
			Communication: []communicationTo{{Language: codeableConcept{Coding: []coding{{System: "urn:ietf:bcp:47", Code: "en-US", Display: "English"}}, Text: "English"}}},
		}
		pp, err := l.addGenerated(pat)
		if err != nil {
			return err
		}
		practitioner, org := l.careIn(s.city)
		ck, err := l.newEncounter(pp, "lookalike/"+s.key+"/checkup", encCheckup, codeableConcept{}, s.checkup, 30, practitioner, org, nil)
		if err != nil {
			return err
		}
		if err := l.addVitals(pp, ck, s.key+"/checkup", s.vitals); err != nil {
			return err
		}
		dx := codeableConcept{Coding: []coding{s.dx}, Text: s.dx.Display}
		if icd, ok := icdCoding(s.dx.Code); ok {
			dx.Coding = append(dx.Coding, icd)
		}
		v, err := l.newEncounter(pp, "lookalike/"+s.key+"/visit", encProblem, dx, s.visit, 25, practitioner, org, nil)
		if err != nil {
			return err
		}
		if err := l.addVitals(pp, v, s.key+"/visit", s.vitals); err != nil {
			return err
		}
	}
	return nil
}

// careIn returns an organization in city and a practitioner at the same
// address, falling back to the first of each.
func (l *loader) careIn(city string) (practitioner, org string) {
	orgs := l.ofType("Organization")
	var o *pending
	for _, p := range orgs {
		if len(p.f.Address) > 0 && strings.EqualFold(p.f.Address[0].City, city) {
			o = p
			break
		}
	}
	if o == nil && len(orgs) > 0 {
		o = orgs[0]
	}
	if o == nil {
		return "", ""
	}
	org = "Organization/" + o.id
	for _, p := range l.ofType("Practitioner") {
		if len(p.f.Address) > 0 && len(o.f.Address) > 0 && strings.Join(p.f.Address[0].Line, " ") == strings.Join(o.f.Address[0].Line, " ") &&
			strings.EqualFold(p.f.Address[0].City, o.f.Address[0].City) {
			return "Practitioner/" + p.id, org
		}
	}
	if ps := l.ofType("Practitioner"); len(ps) > 0 {
		practitioner = "Practitioner/" + ps[0].id
	}
	return practitioner, org
}

// addVitals adds height, weight, BMI and blood pressure Observations to enc.
func (l *loader) addVitals(pat, enc *pending, seed string, v [5]float64) error {
	vital := codeableConcept{Coding: []coding{{System: "http://terminology.hl7.org/CodeSystem/observation-category", Code: "vital-signs", Display: "vital-signs"}}}
	ucum := "http://unitsofmeasure.org"
	q := func(val float64, unit string) *quantity {
		return &quantity{Value: &val, Unit: unit, System: ucum, Code: unit}
	}
	loinc := func(code, display string) codeableConcept {
		return codeableConcept{Coding: []coding{{System: loincSystem, Code: code, Display: display}}, Text: display}
	}
	base := observationOut{
		ResourceType: "Observation", Meta: meta{Tag: []coding{wardTag}}, Status: "final",
		Category: []codeableConcept{vital}, Subject: reference{Reference: "Patient/" + pat.id},
		Encounter:         reference{Reference: "Encounter/" + enc.id},
		EffectiveDateTime: enc.f.Period.Start, Issued: enc.f.Period.Start,
	}
	obs := []observationOut{base, base, base, base}
	obs[0].Code, obs[0].ValueQuantity = loinc("8302-2", "Body Height"), q(v[0], "cm")
	obs[1].Code, obs[1].ValueQuantity = loinc("29463-7", "Body Weight"), q(v[1], "kg")
	obs[2].Code, obs[2].ValueQuantity = loinc("39156-5", "Body Mass Index"), q(v[2], "kg/m2")
	obs[3].Code = loinc("55284-4", "Blood Pressure")
	obs[3].Component = []component{
		{Code: loinc("8480-6", "Systolic Blood Pressure"), ValueQuantity: q(v[3], "mm[Hg]")},
		{Code: loinc("8462-4", "Diastolic Blood Pressure"), ValueQuantity: q(v[4], "mm[Hg]")},
	}
	for i := range obs {
		obs[i].ID = genID("observation", seed, obs[i].Code.Coding[0].Code)
		if _, err := l.addGenerated(obs[i]); err != nil {
			return err
		}
	}
	return nil
}
