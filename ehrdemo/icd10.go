package ehrdemo

// icd10 is a curated SNOMED CT → ICD-10-CM map for every condition code that
// appears in the bundled Synthea data (and in ward's generated conditions).
// It is NOT an official map (not the NLM SNOMED CT to ICD-10-CM map): it was
// written from clinical-coding knowledge and is checked by a test against the
// FY2021 billable code list. Where the SNOMED concept carries no laterality or
// episode, ward's generated notes document one (right side, initial encounter),
// and the code here is the one that documentation supports. Concepts without a
// confident single code are left out (see unmappedSNOMED).
//
// Each entry holds the code (with its dot) and the ICD-10-CM long description.
var icd10 = map[string]icdEntry{
	"10509002":  {"J20.9", "Acute bronchitis, unspecified"},
	"128613002": {"G40.909", "Epilepsy, unspecified, not intractable, without status epilepticus"},
	"15777000":  {"R73.03", "Prediabetes"},
	"162864005": {"E66.9", "Obesity, unspecified"},
	"19169002":  {"O03.9", "Complete or unspecified spontaneous abortion without complication"},
	"195662009": {"J02.9", "Acute pharyngitis, unspecified"},
	"201834006": {"M19.041", "Primary osteoarthritis, right hand"},
	"230690007": {"I63.9", "Cerebral infarction, unspecified"},
	"237602007": {"E88.81", "Metabolic syndrome"},
	"239873007": {"M17.11", "Unilateral primary osteoarthritis, right knee"},
	"271737000": {"D64.9", "Anemia, unspecified"},
	"284549007": {"S61.411A", "Laceration without foreign body of right hand, initial encounter"},
	"284551006": {"S91.311A", "Laceration without foreign body, right foot, initial encounter"},
	"302870006": {"E78.1", "Pure hyperglyceridemia"},
	"307731004": {"S46.011A", "Strain of muscle(s) and tendon(s) of the rotator cuff of right shoulder, initial encounter"},
	"36971009":  {"J32.9", "Chronic sinusitis, unspecified"},
	"38341003":  {"I10", "Essential (primary) hypertension"},
	"38822007":  {"N30.90", "Cystitis, unspecified without hematuria"},
	"39848009":  {"S13.4XXA", "Sprain of ligaments of cervical spine, initial encounter"},
	"40055000":  {"J32.9", "Chronic sinusitis, unspecified"},
	"410429000": {"I46.9", "Cardiac arrest, cause unspecified"},
	"428251008": {"Z90.49", "Acquired absence of other specified parts of digestive tract"},
	"429007001": {"Z86.74", "Personal history of sudden cardiac arrest"},
	"43878008":  {"J02.0", "Streptococcal pharyngitis"},
	"44054006":  {"E11.9", "Type 2 diabetes mellitus without complications"},
	"44465007":  {"S93.401A", "Sprain of unspecified ligament of right ankle, initial encounter"},
	"444814009": {"J01.90", "Acute sinusitis, unspecified"},
	"446096008": {"J30.89", "Other allergic rhinitis"},
	"62106007":  {"S06.0X0A", "Concussion without loss of consciousness, initial encounter"},
	"64859006":  {"M81.0", "Age-related osteoporosis without current pathological fracture"},
	"65363002":  {"H66.91", "Otitis media, unspecified, right ear"},
	"68496003":  {"K63.5", "Polyp of colon"},
	"72892002":  {"Z34.90", "Encounter for supervision of normal pregnancy, unspecified, unspecified trimester"},
	"74400008":  {"K35.80", "Unspecified acute appendicitis"},
	"75498004":  {"J01.90", "Acute sinusitis, unspecified"},
	"79586000":  {"O00.101", "Right tubal pregnancy without intrauterine pregnancy"},
	"80394007":  {"R73.9", "Hyperglycemia, unspecified"},
	"84757009":  {"G40.909", "Epilepsy, unspecified, not intractable, without status epilepticus"},
	"93761005":  {"C18.9", "Malignant neoplasm of colon, unspecified"},

	// Generated sensitive conditions (see sensitive.go).
	"370143000": {"F32.1", "Major depressive disorder, single episode, moderate"},
	"66590003":  {"F10.20", "Alcohol dependence, uncomplicated"},
	"75544000":  {"F11.20", "Opioid dependence, uncomplicated"},
	"86406008":  {"B20", "Human immunodeficiency virus [HIV] disease"},
}

// unmappedSNOMED lists data condition codes deliberately left without ICD-10-CM:
// "History of single seizure" has no single confident code (R56.9 describes a
// current event, Z87.898 is a catch-all).
var unmappedSNOMED = []string{"703151001"}

type icdEntry struct {
	Code    string
	Display string
}

// icdCoding returns the ICD-10-CM coding for a SNOMED CT code, if mapped.
func icdCoding(snomed string) (coding, bool) {
	e, ok := icd10[snomed]
	if !ok {
		return coding{}, false
	}
	return coding{System: icd10cmSystem, Code: e.Code, Display: e.Display}, true
}

// addICD10 adds the ICD-10-CM coding next to the SNOMED CT one on every
// Condition whose code is mapped.
func (l *loader) addICD10() {
	for _, p := range l.list {
		if p.typ != "Condition" || p.f.Code == nil {
			continue
		}
		sn := p.f.Code.first(snomedSystem)
		icd, ok := icdCoding(sn.Code)
		if !ok || p.f.Code.first(icd10cmSystem).Code != "" {
			continue
		}
		c := *p.f.Code
		c.Coding = append(append([]coding(nil), c.Coding...), icd)
		p.code = &c
		p.f.Code = &c
		p.changed = true
	}
}
