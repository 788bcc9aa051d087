package main

import (
	"fmt"
	"strings"
	"time"
)

// Scenario families. Each appends cases; the expected findings are what the
// scenario injects.

func (g *gen) build() {
	g.clean(64)
	g.tricky()
	g.validity()
	g.ptp()
	g.mue()
	g.age()
	g.sex()
	g.excludes1()
	g.specificity()
	g.documentation()
	g.missed()
	g.hard()
}

func (g *gen) add(e *enc, slug, desc string, tags ...string) {
	e.slug, e.desc, e.tags = slug, desc, tags
	g.cases = append(g.cases, e)
}

// fits reports whether condition c suits a patient.
func fits(c *cond, age int, sex string) bool {
	return age >= c.minAge && age <= c.maxAge && (c.sex == "" || c.sex == sex)
}

// patient draws an age and sex that fit the first condition and, when
// they can, the others.
func (g *gen) patient(cs ...*cond) (int, string) {
	first := cs[0]
	lo, hi := first.minAge, first.maxAge
	sex := first.sex
	for _, c := range cs[1:] {
		if l, h := max(lo, c.minAge), min(hi, c.maxAge); l <= h && (c.sex == "" || sex == "" || c.sex == sex) {
			lo, hi = l, h
			if sex == "" {
				sex = c.sex
			}
		}
	}
	if sex == "" {
		sex = g.pick([]string{"F", "M"})
	}
	return lo + g.r.IntN(hi-lo+1), sex
}

var acuteIDs = []string{"pharyngitis", "strep", "bronchitis", "sinusitis", "cystitis", "om-right", "oa-right-knee", "lac-right-hand", "sprain-right-ankle", "gerd", "depression", "allergic-rhinitis", "insomnia", "cellulitis", "menopause"}
var chronicIDs = []string{"htn", "t2dm", "hld", "asthma", "copd", "hypothyroid", "migraine", "gout", "afib", "ckd3", "anemia", "obesity", "bph"}

// base draws an encounter with one presenting problem and up to two
// followed-up chronic conditions, all coded correctly.
func (g *gen) base(nChronic int) *enc {
	acute := condByID(g.pick(acuteIDs))
	var cs []*cond
	cs = append(cs, acute)
	for len(cs) < 1+nChronic {
		c := condByID(g.pick(chronicIDs))
		dup := false
		for _, x := range cs {
			dup = dup || x.id == c.id
		}
		if !dup && (c.sex == "" || acute.sex == "" || c.sex == acute.sex) {
			cs = append(cs, c)
		}
	}
	age, sex := g.patient(cs...)
	var kept []*cond
	for _, c := range cs {
		if fits(c, age, sex) {
			kept = append(kept, c)
		}
	}
	e := g.newEnc(age, sex)
	for i, c := range kept {
		e.addCond(c, i == 0)
	}
	if g.chance(0.5) {
		e.pastExtra()
	}
	e.emVisit()
	return e
}

func (g *gen) clean(n int) {
	for i := 0; i < n; i++ {
		e := g.base(g.r.IntN(3))
		g.add(e, "clean", "Correctly coded visit: every diagnosis documented and affirmed, nothing missed.", "clean")
	}
}

// tricky: correct submissions whose notes carry negations, hypotheticals,
// family and past history that must not produce findings.
func (g *gen) tricky() {
	{ // Family history code supported by the family history.
		e := g.newEnc(46, "F")
		e.visit, e.cc = "Annual wellness visit", "Annual wellness visit."
		e.hpi = append(e.hpi, "presents for a routine health maintenance examination; she asks about breast cancer screening because her mother was diagnosed at 52")
		e.fh = []string{"Mother with breast cancer at age 52; father with hypertension."}
		e.assess("Routine adult health examination without abnormal findings", "Age-appropriate screening reviewed; screening mammogram ordered.")
		e.assess("Family history of breast cancer in her mother", "Genetic counseling offered.")
		e.code("Z00.00", "Z80.3")
		e.proc("99396", 1)
		g.add(e, "family-history-code-supported", "Z80.3 is supported by the mother's breast cancer in the family history; no finding.", "clean", "tricky", "family")
	}
	{ // Personal history code supported by history wording.
		e := g.newEnc(71, "M")
		e.addCond(condByID("htn"), false)
		e.hpi = append(e.hpi, "has a history of ischemic stroke in 2017 without residual deficits")
		e.pmh = []string{"Ischemic stroke (2017)", "Hypertension"}
		e.assess("History of stroke without residual deficits", "Continue aspirin and statin.")
		e.code("Z86.73")
		e.emVisit()
		g.add(e, "personal-history-code-supported", "Z86.73 (personal history of stroke) is supported by a historical mention; the old stroke is not a missed diagnosis.", "clean", "tricky", "historical")
	}
	{ // Former smoker.
		e := g.newEnc(67, "F")
		e.addCond(condByID("copd"), false)
		e.sh = []string{"Former smoker, 40 pack-years, quit in 2015. No alcohol."}
		e.assess("Former smoker, quit in 2015", "Lung cancer screening discussed.")
		e.code("Z87.891")
		e.emVisit()
		g.add(e, "former-smoker-history-code", "Z87.891 (history of nicotine dependence) is supported by 'former smoker'.", "clean", "tricky", "historical")
	}
	{ // ROS negation outweighed by the assessment.
		e := g.newEnc(52, "M")
		e.cc = "Chest pain."
		e.hpi = append(e.hpi, "reports two days of sharp left-sided chest pain that worsens when pressing on the chest wall")
		e.ros["Cardiovascular"] = "Positive for chest pain as above. Denies palpitations or leg swelling."
		e.ros["Respiratory"] = "Denies cough, shortness of breath, or wheezing."
		e.exam = []string{"Chest wall: Reproducible tenderness over the left costochondral junctions.", "Heart: Regular rate and rhythm; no murmurs."}
		e.results = []string{"ECG: normal sinus rhythm without ischemic changes"}
		e.assess("Chest pain, likely musculoskeletal", "NSAID for 7 days; return if the pain changes in character.")
		e.code("R07.9")
		e.emVisit()
		g.add(e, "chest-pain-ros-negation-elsewhere", "Chest pain is denied in one ROS phrasing elsewhere but affirmed in the HPI and assessment; no finding.", "clean", "tricky", "negation")
	}
	{ // Pseudo-trigger "no increase".
		c := condByID("oa-right-knee")
		e := g.newEnc(63, "F")
		e.addCond(c, true)
		e.hpi = append(e.hpi, "notes no increase in knee pain since starting the exercise program, and the osteoarthritis pain still limits walking")
		e.emVisit()
		g.add(e, "pseudo-trigger-no-increase", "'No increase in knee pain' is a NegEx pseudo-trigger and does not negate.", "clean", "tricky", "negation")
	}
	{ // A parent reports the child's symptoms.
		c := condByID("om-right")
		e := g.newEnc(4, "M")
		e.addCond(c, true)
		e.hpi = append(e.hpi, "per mother has had fever to 38.6 C at home")
		e.ros["Constitutional"] = "Positive for fever per mother."
		e.assess("Fever", "Acetaminophen as needed.")
		e.code("R50.9")
		e.emVisit()
		g.add(e, "mother-reports-fever", "'Per mother' reports the child's fever: the fever is the patient's, not family history.", "clean", "tricky", "family")
	}
	{ // Uncertain diagnosis coded as its symptom.
		e := g.newEnc(29, "F")
		e.cc = "Burning with urination."
		e.hpi = append(e.hpi, "reports dysuria for 2 days without fever or flank pain")
		e.ros["Genitourinary"] = "Positive for dysuria. Denies hematuria."
		e.results = []string{"Urinalysis: trace leukocyte esterase, nitrite negative"}
		e.assess("Dysuria; possible urinary tract infection, culture pending", "Urine culture sent; phenazopyridine for 2 days; will call with results.")
		e.code("R30.0")
		e.emVisit()
		g.add(e, "possible-uti-coded-as-symptom", "Outpatient guidelines code the symptom when the diagnosis is only possible; the possible UTI is not missed.", "clean", "tricky", "hypothetical")
	}
	{ // Negation ended by "but".
		e := g.newEnc(38, "M")
		e.cc = "Cough."
		e.hpi = append(e.hpi, "denies fever but reports a dry cough for 10 days after a cold")
		e.ros["Respiratory"] = "Positive for dry cough. Denies wheezing."
		e.assess("Cough", "Honey and dextromethorphan; return if fever or shortness of breath develops.")
		e.code("R05")
		e.emVisit()
		g.add(e, "negation-terminated-by-but", "'Denies fever but reports a dry cough': the cough is affirmed.", "clean", "tricky", "negation")
	}
	{ // Negated, family and hypothetical conditions that are not coded.
		e := g.base(0)
		e.hpi = append(e.hpi, "has no history of diabetes or heart disease")
		e.fh = []string{"Father with atrial fibrillation and type 2 diabetes; mother with osteoporosis."}
		e.after = append(e.after, "Screening for diabetes with a fasting glucose at the next visit.")
		g.add(e, "uncoded-negated-family-hypothetical", "Conditions that are negated, a relative's, or only screened for are not missed diagnoses.", "clean", "tricky", "negation", "family", "hypothetical")
	}
	{ // Past history listed but not addressed.
		e := g.base(1)
		e.pmh = append(e.pmh, "Hypothyroidism", "Gout")
		g.add(e, "past-history-not-addressed", "Conditions only listed in the past medical history are historical: not missed.", "clean", "tricky", "historical")
	}
	{ // Rule-out in the plan with the confirmed diagnosis coded.
		e := g.newEnc(44, "F")
		e.addCond(condByID("bronchitis"), true)
		e.after = append(e.after, "Chest X-ray ordered to rule out pneumonia if symptoms persist beyond two weeks.")
		g.add(e, "rule-out-pneumonia-not-coded", "Pneumonia to be ruled out is hypothetical: neither supported nor missed.", "clean", "tricky", "hypothetical")
		e.emVisit()
	}
	{ // Return precautions name conditions.
		e := g.base(1)
		e.after = append(e.after, "Return if chest pain, shortness of breath, or fever develops.")
		g.add(e, "return-precautions", "Conditions named in return precautions are hypothetical.", "clean", "tricky", "hypothetical")
	}
	{ // s/p appendectomy with the history code.
		e := g.newEnc(33, "M")
		e.addCond(condByID("gerd"), true)
		e.psh = []string{"S/p appendectomy in 2010."}
		e.assess("Status post appendectomy", "No related issues.")
		e.code("Z90.49")
		e.emVisit()
		g.add(e, "status-post-appendectomy", "Z90.49 is supported by 's/p appendectomy' (historical status).", "clean", "tricky", "historical")
	}
	{ // Strep ruled out, pharyngitis coded.
		e := g.newEnc(17, "F")
		e.addCond(condByID("pharyngitis"), true)
		e.after = append(e.after, "Streptococcal pharyngitis was ruled out by the rapid antigen test.")
		g.add(e, "strep-ruled-out", "Strep pharyngitis is negated; the viral pharyngitis is coded.", "clean", "tricky", "negation")
	}
	{ // Chronic conditions in the HPI, all coded.
		e := g.newEnc(61, "M")
		e.addCond(condByID("t2dm"), false)
		e.addCond(condByID("htn"), false)
		e.addCond(condByID("hld"), false)
		e.cc = "Diabetes follow-up."
		e.emVisit()
		g.add(e, "three-chronic-conditions", "Three chronic conditions, each documented in HPI and assessment and coded.", "clean", "tricky")
	}
	{ // Long lists of negatives.
		e := g.base(0)
		e.ros["Constitutional"] = "Denies fever, chills, night sweats, fatigue, weight gain, or unintentional weight loss."
		e.ros["Cardiovascular"] = "Denies chest pain, chest pressure, palpitations, orthopnea, or leg swelling."
		g.add(e, "long-negative-lists", "Long lists of denied symptoms stay negated.", "clean", "tricky", "negation")
	}
	{ // Abbreviations in the assessment.
		e := g.newEnc(58, "F")
		e.hpi = append(e.hpi, "is seen for follow-up of HTN and T2DM")
		e.assess("HTN, at goal", "Continue lisinopril.")
		e.assess("T2DM without complications, A1c 6.7%", "Continue metformin.")
		e.assess("HLD on statin", "Continue atorvastatin.")
		e.code("I10", "E11.9", "E78.5")
		e.emVisit()
		g.add(e, "abbreviations", "HTN, T2DM and HLD written as abbreviations are documented.", "clean", "tricky", "abbreviation")
	}
	{ // Laterality documented and coded.
		e := g.newEnc(70, "M")
		e.cc = "Left knee pain."
		e.hpi = append(e.hpi, "reports left knee pain and stiffness for two years, worse on stairs")
		e.exam = []string{"Left knee: Crepitus and medial joint-line tenderness; no effusion. Right knee normal."}
		e.assess("Primary osteoarthritis of the left knee", "Physical therapy; acetaminophen as needed.")
		e.code("M17.12")
		e.emVisit()
		g.add(e, "laterality-left-coded-left", "Left knee osteoarthritis coded M17.12: no specificity finding.", "clean", "tricky", "laterality")
	}
	{ // Subsequent encounter coded as such.
		e := g.newEnc(40, "F")
		e.cc = "Suture removal."
		e.hpi = append(e.hpi, "returns 10 days after repair of a laceration of the right hand for suture removal; the wound is healing well")
		e.exam = []string{"Right hand: Well-healed 2 cm laceration; no erythema or drainage."}
		e.assess("Laceration of the right hand without foreign body, subsequent encounter", "Sutures removed; wound care reviewed.")
		e.code("S61.411D")
		e.emVisit()
		g.add(e, "subsequent-encounter-coded", "Episode of care documented and coded as subsequent: no finding.", "clean", "tricky", "episode")
	}
	{ // Conditions in the medication list only.
		e := g.base(0)
		e.meds = append(e.meds, "omeprazole 20 mg daily")
		g.add(e, "medication-list-only", "A medication list implies no diagnosis to code.", "clean", "tricky")
	}
	{ // Hypothetical "if" without return.
		e := g.newEnc(35, "F")
		e.addCond(condByID("sinusitis"), true)
		e.after = append(e.after, "If she develops a severe headache or vision changes, she should go to the emergency department.")
		e.emVisit()
		g.add(e, "if-clause", "An 'if' clause about headache is hypothetical.", "clean", "tricky", "hypothetical")
	}
	{ // Denied chronic condition in HPI, coded acute problem.
		e := g.newEnc(24, "M")
		e.addCond(condByID("sprain-right-ankle"), true)
		e.hpi = append(e.hpi, "denies any prior ankle injuries and has no history of gout")
		e.emVisit()
		g.add(e, "denied-gout", "Gout is denied: not missed.", "clean", "tricky", "negation")
	}
	{ // History of a resolved condition in HPI.
		e := g.newEnc(55, "F")
		e.addCond(condByID("htn"), false)
		e.hpi = append(e.hpi, "had pneumonia two years ago that resolved with antibiotics")
		e.emVisit()
		g.add(e, "resolved-pneumonia", "A pneumonia years ago is historical: not missed.", "clean", "tricky", "historical")
	}
	{ // Family member named in the HPI.
		e := g.newEnc(41, "F")
		e.addCond(condByID("insomnia"), true)
		e.hpi = append(e.hpi, "is worried because her sister was recently diagnosed with breast cancer")
		e.emVisit()
		g.add(e, "sister-breast-cancer-hpi", "A sister's breast cancer mentioned in the HPI is the family's.", "clean", "tricky", "family")
	}
}

// validity: malformed, unknown, header, out-of-release and duplicate codes.
func (g *gen) validity() {
	type inj struct {
		cond, replace, why string
		dos                string
	}
	for _, in := range []inj{
		{"t2dm", "E11", "header code E11 instead of E11.9", ""},
		{"oa-right-knee", "M17.1", "header code M17.1 without laterality", ""},
		{"lac-right-hand", "S61.411", "S61.411 without the seventh character", ""},
		{"om-right", "H66.9", "header code H66.9", ""},
		{"asthma", "J45.90", "header code J45.90", ""},
		{"ckd3", "N18.3", "N18.3, billable until FY2020, is a header in FY2021", ""},
		{"t2dm", "E11-9", "malformed code E11-9", ""},
		{"htn", "I1O", "malformed code I1O (letter O)", ""},
		{"hld", "E78.5.", "malformed code with a trailing dot", ""},
		{"gerd", "K219X", "malformed code K219X", ""},
		{"t2dm", "E11.99", "E11.99 does not exist", ""},
		{"asthma", "J45.999", "J45.999 does not exist", ""},
		{"htn", "I10.0", "I10.0 does not exist", ""},
		{"gout", "M10.99", "M10.99 does not exist", ""},
	} {
		c := condByID(in.cond)
		age, sex := g.patient(c)
		e := g.newEnc(age, sex)
		e.addCond(c, true)
		e.dx[len(e.dx)-1].Code = in.replace
		if extra := g.pick([]string{"htn", "hld", "obesity"}); g.chance(0.5) && extra != in.cond {
			e.addCond(condByID(extra), false)
		}
		e.emVisit()
		e.expect("validity", in.replace)
		g.add(e, "validity", "Validity: "+in.why+".", "validity")
	}
	{ // Codes created after the release, for a date of service it does not cover.
		for _, x := range []struct{ code, assess string }{
			{"M54.50", "Low back pain, unspecified, after lifting boxes"},
			{"U09.9", "Post COVID-19 condition with persistent fatigue"},
		} {
			e := g.newEnc(47, "M")
			e.dos = time.Date(2022, 2, 14, 0, 0, 0, 0, time.UTC)
			e.cc = "Follow-up."
			e.hpi = append(e.hpi, "is seen for the problem below")
			e.assess(x.assess, "Supportive care; follow-up in 4 weeks.")
			e.code(x.code)
			e.emVisit()
			e.expect("validity", x.code)
			g.add(e, "validity-newer-code", "Validity: "+x.code+" (FY2022) is not in the loaded FY2021 release, which ends before the date of service.", "validity")
		}
	}
	{ // Duplicate.
		e := g.newEnc(66, "F")
		e.addCond(condByID("htn"), false)
		e.addCond(condByID("hld"), false)
		e.code("I10")
		e.emVisit()
		e.expect("validity", "I10")
		g.add(e, "validity-duplicate", "Validity: I10 listed twice.", "validity")
	}
	{ // Malformed procedure and unknown HCPCS code.
		e := g.base(0)
		e.px[0].Code = "9921"
		e.expect("validity", "9921")
		g.add(e, "validity-procedure-malformed", "Validity: procedure code 9921 has four digits.", "validity")
		e = g.base(1)
		e.proc("K9998", 1)
		e.expect("validity", "K9998")
		g.add(e, "validity-hcpcs-unknown", "Validity: K9998 is not a HCPCS Level II 2020 code.", "validity")
		e = g.base(0)
		e.proc("J3420", 1)
		e.procs = append(e.procs, "Vitamin B12 injection, 1,000 mcg IM")
		g.add(e, "hcpcs-known", "A HCPCS Level II code of the 2020 release: no finding.", "clean", "hcpcs")
	}
}

// ncciDate is a date of service in the NCCI sample's quarter.
func (g *gen) ncciDate() time.Time {
	return time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(75))
}

func (g *gen) ptp() {
	type pair struct {
		cond          string
		procText      string
		codes         [][3]string // code, units, modifier
		expect        []string
		desc, slug    string
		extraDx, dxTx string
	}
	for _, p := range []pair{
		{"htn", "", [][3]string{{"99213", "1", ""}, {"99214", "1", ""}}, []string{"99213", "99214"}, "Two established-patient visits on one day (modifier indicator 0).", "ptp-two-em", "", ""},
		{"oa-right-knee", "Arthrocentesis and corticosteroid injection of the right knee", [][3]string{{"20610", "1", ""}, {"99213", "1", ""}}, []string{"20610", "99213"}, "Knee injection with an office visit and no modifier 25 (indicator 1).", "ptp-injection-em-no-25", "", ""},
		{"oa-right-knee", "Arthrocentesis and corticosteroid injection of the right knee", [][3]string{{"20610", "1", ""}, {"99213", "1", "25"}}, nil, "Knee injection with a separately identifiable visit, modifier 25 (indicator 1): allowed.", "ptp-injection-em-25", "", ""},
		{"t2dm", "Venipuncture; comprehensive metabolic panel", [][3]string{{"80053", "1", ""}, {"36415", "1", ""}}, []string{"36415", "80053"}, "Venipuncture with a metabolic panel (indicator 0).", "ptp-venipuncture-panel", "", ""},
		{"t2dm", "Venipuncture; comprehensive metabolic panel", [][3]string{{"80053", "1", ""}, {"36415", "1", "59"}}, []string{"36415", "80053"}, "Modifier 59 does not bypass an indicator-0 edit.", "ptp-indicator0-with-59", "", ""},
		{"htn", "12-lead ECG with interpretation and report", [][3]string{{"93000", "1", ""}, {"93010", "1", ""}}, []string{"93000", "93010"}, "Global ECG and its interpretation (indicator 0).", "ptp-ecg-components", "", ""},
		{"htn", "Ceftriaxone 1 g IM", [][3]string{{"96372", "1", ""}, {"99214", "1", ""}}, []string{"96372", "99214"}, "Injection with an office visit and no modifier (indicator 1).", "ptp-injection-no-modifier", "", ""},
		{"htn", "Ceftriaxone 1 g IM", [][3]string{{"96372", "1", "XU"}, {"99214", "1", ""}}, nil, "Injection with modifier XU (indicator 1): allowed.", "ptp-injection-xu", "", ""},
		{"htn", "Cerumen removal, right ear, with curette", [][3]string{{"69210", "1", ""}, {"99213", "1", ""}}, []string{"69210", "99213"}, "Cerumen removal with a visit and no modifier (indicator 1).", "ptp-cerumen-em", "H61.21", "Impacted cerumen of the right ear"},
		{"htn", "Cerumen removal, right ear, with curette", [][3]string{{"69210", "1", "RT"}, {"99213", "1", "25"}}, nil, "Cerumen removal with modifier 25 on the visit: allowed.", "ptp-cerumen-em-25", "H61.21", "Impacted cerumen of the right ear"},
		{"hld", "", [][3]string{{"99396", "1", ""}, {"99213", "1", ""}}, []string{"99213", "99396"}, "Preventive visit and problem visit without modifier 25.", "ptp-preventive-problem", "Z00.00", "Routine adult health examination without abnormal findings"},
		{"hld", "", [][3]string{{"99396", "1", ""}, {"99213", "1", "25"}}, nil, "Preventive visit and a separately identifiable problem visit, modifier 25: allowed.", "ptp-preventive-problem-25", "Z00.00", "Routine adult health examination without abnormal findings"},
		{"htn", "Destruction of one actinic keratosis with liquid nitrogen", [][3]string{{"17000", "1", ""}, {"99214", "1", ""}}, []string{"17000", "99214"}, "Lesion destruction with a visit and no modifier.", "ptp-destruction-em", "L57.0", "Actinic keratosis of the left forearm"},
	} {
		c := condByID(p.cond)
		age, sex := g.patient(c)
		if age < 40 && p.extraDx == "Z00.00" {
			age = 40 + g.r.IntN(20)
		}
		e := g.newEnc(age, sex)
		e.dos = g.ncciDate()
		e.addCond(c, true)
		if p.extraDx != "" {
			e.assess(p.dxTx, "")
			e.code(p.extraDx)
		}
		if p.procText != "" {
			e.procs = append(e.procs, p.procText)
		}
		for _, x := range p.codes {
			units := 1
			fmt.Sscan(x[1], &units)
			if x[2] != "" {
				e.proc(x[0], units, x[2])
			} else {
				e.proc(x[0], units)
			}
		}
		if p.expect != nil {
			e.expect("ncci_ptp", p.expect...)
		}
		e.setting = "practitioner"
		tags := []string{"ncci_ptp"}
		if p.expect == nil {
			tags = append(tags, "clean")
		}
		g.add(e, p.slug, "NCCI PTP: "+p.desc, tags...)
	}
	{ // Before the edit's effective date.
		e := g.newEnc(59, "M")
		e.dos = time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC)
		e.addCond(condByID("htn"), false)
		e.proc("99213", 1)
		e.proc("99214", 1)
		e.setting = "practitioner"
		g.add(e, "ptp-before-effective-date", "NCCI PTP: the edit takes effect 2024-01-01; the date of service is 2023-11-14, so no edit applies.", "ncci_ptp", "clean")
	}
}

func (g *gen) mue() {
	for _, m := range []struct {
		cond, text string
		lines      [][3]string
		expect     string
		desc, slug string
	}{
		{"htn", "", [][3]string{{"99213", "2", ""}}, "99213", "Two units of an office visit (MUE 1, date-of-service edit).", "mue-em-two-units"},
		{"t2dm", "Venipuncture x4 for serial glucose", [][3]string{{"36415", "4", ""}}, "36415", "Four venipunctures (MUE 3).", "mue-venipuncture"},
		{"oa-right-knee", "Arthrocentesis of both knees, both shoulders and the right hip", [][3]string{{"20610", "5", ""}}, "20610", "Five major-joint injections on one line (MUE 4).", "mue-arthrocentesis"},
		{"oa-right-knee", "Arthrocentesis of both knees, both shoulders and the right hip", [][3]string{{"20610", "3", "RT"}, {"20610", "2", "LT"}}, "20610", "Five major-joint injections across two lines: the date-of-service edit sums them (MUE 4).", "mue-arthrocentesis-two-lines"},
		{"pharyngitis", "Rapid strep test x3", [][3]string{{"87880", "3", ""}}, "87880", "Three rapid strep tests (MUE 2).", "mue-rapid-strep"},
		{"htn", "Intramuscular injections x5", [][3]string{{"96372", "5", ""}}, "96372", "Five therapeutic injections (MUE 4).", "mue-injections"},
		{"htn", "", [][3]string{{"99214", "1", ""}, {"99214", "1", ""}}, "99214", "The same visit code on two lines (MUE 1, date-of-service edit).", "mue-em-two-lines"},
		{"t2dm", "Venipuncture x2", [][3]string{{"36415", "2", ""}}, "", "Two venipunctures are within the MUE of 3.", "mue-within"},
		{"oa-right-knee", "Arthrocentesis of both knees", [][3]string{{"20610", "1", "RT"}, {"20610", "1", "LT"}}, "", "Two knee injections (MUE 4): allowed.", "mue-within-two-lines"},
		{"asthma", "Nebulizer treatments x3", [][3]string{{"94640", "3", ""}}, "", "Three nebulizer treatments (MUE 4): allowed.", "mue-nebulizer-within"},
	} {
		c := condByID(m.cond)
		age, sex := g.patient(c)
		e := g.newEnc(age, sex)
		e.dos = g.ncciDate()
		e.addCond(c, true)
		if m.text != "" {
			e.procs = append(e.procs, m.text)
		}
		for _, l := range m.lines {
			units := 1
			fmt.Sscan(l[1], &units)
			if l[2] != "" {
				e.proc(l[0], units, l[2])
			} else {
				e.proc(l[0], units)
			}
		}
		tags := []string{"mue"}
		if m.expect != "" {
			e.expect("mue", m.expect)
		} else {
			tags = append(tags, "clean")
		}
		e.setting = "practitioner"
		g.add(e, m.slug, "MUE: "+m.desc, tags...)
	}
}

func (g *gen) age() {
	// The note documents the code; the submission's age contradicts it.
	for _, x := range []struct {
		code, assess, cc, hpi string
		noteAge, subAge       int
		sex, slug, desc       string
	}{
		{"Z00.129", "Well-child examination without abnormal findings", "Well-child visit.", "presents for a well-child visit; growth and development are on track", 6, 36, "M", "age-pediatric-code-adult-age", "a pediatric code (well-child examination) with patient_age 36: the age field is wrong"},
		{"Z00.129", "Routine child health examination without abnormal findings", "Well-child visit.", "presents for a routine child health examination before starting school", 5, 52, "F", "age-pediatric-code-adult-age-2", "a pediatric code with patient_age 52"},
		{"Z34.01", "Supervision of normal first pregnancy, first trimester", "Prenatal visit.", "is at 10 weeks of gestation in her first pregnancy and feels well", 27, 72, "F", "age-maternity-code-age-72", "a maternity code with patient_age 72"},
		{"Z34.02", "Supervision of normal first pregnancy, second trimester", "Prenatal visit.", "is at 20 weeks of gestation in her first pregnancy; fetal movement felt", 24, 9, "F", "age-maternity-code-age-9", "a maternity code with patient_age 9"},
		{"M81.0", "Age-related osteoporosis without current pathological fracture", "Osteoporosis follow-up.", "is seen to review a bone density scan showing osteoporosis", 68, 8, "F", "age-adult-code-child-age", "an adult code (age-related osteoporosis) with patient_age 8"},
		{"R54", "Age-related physical debility with frailty", "Frailty.", "has had progressive weakness and weight loss with frailty over the past year", 88, 11, "M", "age-adult-code-age-11", "an adult code (age-related debility) with patient_age 11"},
		{"Z00.00", "Routine adult health examination without abnormal findings", "Annual wellness visit.", "presents for a routine health maintenance examination", 44, 12, "M", "age-adult-exam-age-12", "an adult examination code with patient_age 12"},
		{"P59.9", "Neonatal jaundice", "Jaundice.", "is a 4-day-old newborn with yellow skin since day 2; feeding well", 0, 30, "F", "age-newborn-code-age-30", "a newborn code with patient_age 30"},
		{"Z38.00", "Single liveborn infant, delivered vaginally", "Newborn visit.", "is a healthy term newborn delivered vaginally, seen for the first newborn visit", 0, 25, "M", "age-newborn-code-age-25", "a newborn code with patient_age 25"},
	} {
		e := g.newEnc(x.subAge, x.sex)
		e.noteAge = x.noteAge
		if x.noteAge == 0 {
			e.noteAge = -1
		}
		e.cc = x.cc
		e.hpi = append(e.hpi, x.hpi)
		e.assess(x.assess, "Routine care and anticipatory guidance.")
		e.code(x.code)
		e.emVisit()
		e.expect("age", x.code)
		if x.noteAge == 0 {
			e.noteAge = 0
			e.age = x.subAge
		}
		g.add(e, x.slug, "Age: "+x.desc+".", "age")
	}
	// The coder picked a code for another age group; the note does not
	// support it either.
	{
		e := g.newEnc(9, "F")
		e.cc, e.visit = "Well-child visit.", "Well-child visit"
		e.hpi = append(e.hpi, "presents for a well-child visit; no concerns")
		e.assess("Well-child examination without abnormal findings", "Anticipatory guidance; vaccines up to date.")
		e.code("Z00.00")
		e.proc("99393", 1)
		e.expect("age", "Z00.00")
		e.expect("documentation", "Z00.00")
		g.add(e, "age-adult-exam-for-child", "Age and documentation: the adult examination code Z00.00 for a 9-year-old's well-child visit.", "age", "documentation")
	}
	{
		e := g.newEnc(45, "M")
		e.cc = "Yellow eyes."
		e.hpi = append(e.hpi, "noticed yellowing of the eyes for 1 week; drinks 6 beers a day")
		e.exam = []string{"Eyes: Scleral icterus.", "Abdomen: Liver edge palpable 2 cm below the costal margin."}
		e.assess("Jaundice", "Hepatic function panel, hepatitis serologies and right upper quadrant ultrasound.")
		e.code("P59.9")
		e.emVisit()
		e.expect("age", "P59.9")
		e.expect("documentation", "P59.9")
		g.add(e, "age-neonatal-jaundice-adult", "Age and documentation: neonatal jaundice (P59.9) coded for an adult's jaundice (R17).", "age", "documentation")
	}
	{
		e := g.newEnc(15, "F")
		e.cc = "Prenatal visit."
		e.hpi = append(e.hpi, "is at 12 weeks of gestation in her first pregnancy")
		e.assess("Supervision of normal first pregnancy, first trimester", "Prenatal vitamins; social work referral.")
		e.code("Z34.01")
		e.emVisit()
		g.add(e, "age-maternity-15-ok", "A maternity code at 15 is within the maternity ages (12-55): no finding.", "age", "clean")
	}
}

func (g *gen) sex() {
	for _, x := range []struct {
		code, cc, hpi, assess, plan string
		age                         int
		noteSex, subSex             string
		slug                        string
	}{
		{"N40.0", "Urinary follow-up.", "is seen for follow-up of benign prostatic hyperplasia found on a prior exam", "Benign prostatic hyperplasia without lower urinary tract symptoms", "PSA reviewed; recheck in 12 months.", 68, "M", "F", "sex-bph-female"},
		{"C61", "Oncology follow-up.", "has prostate cancer diagnosed this year and is on active surveillance", "Malignant neoplasm of prostate, on active surveillance", "Repeat PSA in 3 months.", 72, "M", "F", "sex-prostate-cancer-female"},
		{"N95.1", "Hot flashes.", "reports hot flashes and night sweats since her last menstrual period a year ago", "Menopausal symptoms with hot flashes", "Discussed treatment options.", 52, "F", "M", "sex-menopause-male"},
		{"C50.911", "Oncology follow-up.", "is seen after completing radiation for carcinoma of the right breast diagnosed this year", "Malignant neoplasm of the right breast, on treatment", "Continue tamoxifen.", 61, "M", "M", "sex-female-breast-code-male"},
		{"Z34.00", "Prenatal visit.", "is pregnant at 8 weeks by dates", "Supervision of normal first pregnancy", "Prenatal labs ordered.", 29, "F", "M", "sex-pregnancy-male"},
		{"N97.9", "Infertility.", "has been unable to conceive after 14 months of trying", "Female infertility", "Referral to reproductive endocrinology.", 34, "F", "M", "sex-female-infertility-male"},
		{"D25.9", "Heavy periods.", "reports heavy menses; ultrasound showed a uterine leiomyoma", "Leiomyoma of uterus", "Iron supplementation; gynecology referral.", 43, "F", "M", "sex-leiomyoma-male"},
		{"N41.0", "Pelvic pain.", "has perineal pain, fever and dysuria", "Acute prostatitis", "Ciprofloxacin for 4 weeks.", 46, "M", "F", "sex-prostatitis-female"},
		{"E28.2", "Irregular periods.", "has irregular menses, acne and weight gain", "Polycystic ovary syndrome", "Metformin and lifestyle changes.", 26, "F", "M", "sex-pcos-male"},
		{"N47.1", "Foreskin tightness.", "cannot retract the foreskin", "Phimosis", "Topical steroid; urology referral if no improvement.", 19, "M", "F", "sex-phimosis-female"},
	} {
		e := g.newEnc(x.age, x.noteSex)
		e.cc = x.cc
		e.hpi = append(e.hpi, x.hpi)
		e.assess(x.assess, x.plan)
		e.code(x.code)
		e.emVisit()
		e.sex = x.subSex
		// A male code on a male note with a male submission is fine; the
		// female-breast code on a man is the coder's error.
		e.expect("sex", x.code)
		g.add(e, x.slug, fmt.Sprintf("Sex: %s is for the other sex; the submission's patient_sex is %s.", x.code, x.subSex), "sex")
	}
	{
		e := g.newEnc(64, "M")
		e.cc = "Urinary frequency."
		e.hpi = append(e.hpi, "reports nocturia and a weak stream; prostate enlarged on exam")
		e.assess("Benign prostatic hyperplasia with lower urinary tract symptoms", "Tamsulosin 0.4 mg nightly.")
		e.code("N40.1")
		e.emVisit()
		g.add(e, "sex-bph-male-ok", "A male code on a male patient: no finding.", "sex", "clean")
	}
	{
		e := g.newEnc(58, "F")
		e.cc = "Hot flashes."
		e.hpi = append(e.hpi, "reports menopausal hot flashes and night sweats")
		e.assess("Menopausal and female climacteric states", "Discussed options; follow-up in 3 months.")
		e.code("N95.1")
		e.emVisit()
		g.add(e, "sex-menopause-female-ok", "A female code on a female patient: no finding.", "sex", "clean")
	}
}

func (g *gen) excludes1() {
	for _, x := range []struct {
		a, b         string
		aText, bText string
		age          int
		sex, slug    string
	}{
		{"E11.9", "E10.9", "Type 2 diabetes mellitus without complications", "Type 1 diabetes mellitus without complications per the old problem list", 58, "M", "excludes1-type1-type2"},
		{"J45.909", "R06.2", "Asthma, uncomplicated", "Wheezing", 24, "F", "excludes1-asthma-wheezing"},
		{"J44.9", "J42", "Chronic obstructive pulmonary disease", "Chronic bronchitis", 71, "M", "excludes1-copd-chronic-bronchitis"},
		{"F32.9", "F33.9", "Major depressive disorder, single episode", "Major depressive disorder, recurrent", 39, "F", "excludes1-mdd-single-recurrent"},
		{"N39.0", "N30.00", "Urinary tract infection", "Acute cystitis without hematuria", 33, "F", "excludes1-uti-cystitis"},
		{"J20.9", "J40", "Acute bronchitis", "Bronchitis", 45, "M", "excludes1-acute-bronchitis-nos"},
		{"J01.90", "J32.9", "Acute sinusitis", "Chronic sinusitis", 36, "F", "excludes1-acute-chronic-sinusitis"},
		{"J30.9", "J45.909", "Allergic rhinitis", "Asthma, uncomplicated", 19, "M", "excludes1-allergic-rhinitis-asthma"},
		{"M54.5", "M54.42", "Low back pain", "Lumbago with sciatica, left side", 50, "M", "excludes1-lbp-sciatica"},
		{"G43.909", "R51.9", "Migraine, not intractable, without status migrainosus", "Headache", 28, "F", "excludes1-migraine-headache"},
		{"I10", "O10.919", "Essential hypertension", "Pre-existing hypertension complicating pregnancy", 31, "F", "excludes1-htn-pregnancy"},
	} {
		e := g.newEnc(x.age, x.sex)
		e.cc = "Follow-up."
		e.hpi = append(e.hpi, "is seen for the problems listed below")
		e.assess(x.aText, "Continue current treatment.")
		e.assess(x.bText, "")
		e.code(x.a, x.b)
		e.emVisit()
		e.expect("excludes1", x.a, x.b)
		g.add(e, x.slug, fmt.Sprintf("Excludes1: %s and %s may not be coded together.", x.a, x.b), "excludes1")
	}
	{
		e := g.newEnc(62, "M")
		e.addCond(condByID("htn"), false)
		e.addCond(condByID("t2dm"), false)
		e.assess("Wheezing with the recent viral illness, resolving", "")
		e.code("R06.2")
		e.emVisit()
		g.add(e, "excludes1-none", "Wheezing without asthma: no Excludes1 conflict (the note in J45 does not apply).", "excludes1", "clean")
	}
}

func (g *gen) specificity() {
	for _, x := range []struct {
		coded, assess, hpi, cc string
		age                    int
		sex, slug, desc        string
	}{
		{"M17.10", "Primary osteoarthritis of the right knee", "reports right knee pain and stiffness for two years", "Knee pain.", 66, "F", "spec-oa-knee-unspecified-side", "unspecified knee coded; the note says right"},
		{"M17.10", "Osteoarthritis of the left knee, unilateral", "reports left knee pain on stairs", "Knee pain.", 71, "M", "spec-oa-knee-unspecified-left", "unspecified knee coded; the note says left"},
		{"M17.9", "Bilateral primary osteoarthritis of both knees", "reports pain in both knees for years", "Knee pain.", 74, "F", "spec-oa-knee-bilateral", "unspecified osteoarthritis of knee coded; the note says bilateral"},
		{"H66.90", "Otitis media of the left ear", "has been pulling at the left ear for 2 days", "Ear pain.", 3, "F", "spec-om-unspecified-ear", "unspecified ear coded; the note says left"},
		{"H66.90", "Otitis media, right ear", "has right ear pain and fever since yesterday", "Ear pain.", 6, "M", "spec-om-unspecified-ear-right", "unspecified ear coded; the note says right"},
		{"S61.419A", "Laceration of the left hand without foreign body, initial encounter", "cut the left hand on glass an hour ago", "Hand laceration.", 31, "M", "spec-laceration-unspecified-hand", "unspecified hand coded; the note says left"},
		{"S93.409A", "Sprain of the right ankle, initial encounter", "twisted the right ankle on a stair yesterday", "Ankle injury.", 27, "F", "spec-ankle-unspecified-side", "unspecified ankle coded; the note says right"},
		{"I50.9", "Chronic systolic heart failure, compensated", "has chronic systolic heart failure with an ejection fraction of 30%", "Heart failure follow-up.", 76, "M", "spec-hf-type", "heart failure, unspecified coded; the note says chronic systolic"},
		{"I50.9", "Chronic diastolic heart failure, stable", "has heart failure with preserved ejection fraction", "Heart failure follow-up.", 81, "F", "spec-hf-diastolic", "heart failure, unspecified coded; the note says chronic diastolic"},
		{"N18.9", "Chronic kidney disease, stage 4", "has chronic kidney disease followed by nephrology", "CKD follow-up.", 69, "M", "spec-ckd-stage", "CKD unspecified coded; the note says stage 4"},
		{"N18.9", "CKD stage 5, preparing for dialysis access", "has advanced chronic kidney disease", "CKD follow-up.", 64, "F", "spec-ckd-stage5", "CKD unspecified coded; the note says stage 5"},
		{"F32.9", "Major depressive disorder, single episode, moderate", "reports two months of low mood and anhedonia", "Low mood.", 42, "F", "spec-mdd-severity", "MDD single episode unspecified coded; the note says moderate"},
		{"F32.9", "Major depressive disorder, single episode, mild", "reports low mood for six weeks", "Low mood.", 30, "M", "spec-mdd-mild", "MDD single episode unspecified coded; the note says mild"},
		{"J45.909", "Mild intermittent asthma, uncomplicated", "uses albuterol twice a month", "Asthma follow-up.", 16, "M", "spec-asthma-severity", "unspecified asthma coded; the note says mild intermittent"},
		{"J45.909", "Moderate persistent asthma, uncomplicated", "uses albuterol most days", "Asthma follow-up.", 35, "F", "spec-asthma-moderate-persistent", "unspecified asthma coded; the note says moderate persistent"},
		{"E78.5", "Mixed hyperlipidemia on atorvastatin", "is seen to review a lipid panel with high LDL and triglycerides", "Lipid follow-up.", 57, "M", "spec-mixed-hyperlipidemia", "hyperlipidemia, unspecified coded; the note says mixed"},
		{"I48.91", "Paroxysmal atrial fibrillation, rate controlled", "has paroxysmal atrial fibrillation on apixaban", "AF follow-up.", 73, "F", "spec-paroxysmal-af", "unspecified atrial fibrillation coded; the note says paroxysmal"},
		{"I48.91", "Permanent atrial fibrillation", "has permanent atrial fibrillation on warfarin", "AF follow-up.", 84, "M", "spec-permanent-af", "unspecified atrial fibrillation coded; the note says permanent"},
		{"M17.11", "Primary osteoarthritis of the left knee", "reports left knee pain for a year", "Knee pain.", 68, "F", "spec-laterality-mismatch-knee", "right knee coded; the note says left"},
		{"S61.411A", "Laceration without foreign body of the left hand, initial encounter", "cut the left hand on a can lid today", "Hand laceration.", 22, "F", "spec-laterality-mismatch-hand", "right hand coded; the note says left"},
		{"H66.91", "Otitis media of the left ear", "is tugging at the left ear", "Ear pain.", 2, "M", "spec-laterality-mismatch-ear", "right ear coded; the note says left"},
		{"S93.401A", "Sprain of the right ankle, subsequent encounter", "returns 2 weeks after spraining the right ankle; swelling improving", "Ankle sprain follow-up.", 33, "M", "spec-episode-mismatch-ankle", "initial encounter coded; the note says subsequent encounter"},
		{"S61.411A", "Laceration of the right hand, subsequent encounter for suture removal", "returns for suture removal after a right hand laceration", "Suture removal.", 45, "F", "spec-episode-mismatch-hand", "initial encounter coded; the note says subsequent encounter"},
		{"L03.115", "Cellulitis of the left lower limb", "has redness of the left shin for 3 days", "Leg redness.", 59, "M", "spec-laterality-mismatch-cellulitis", "right lower limb coded; the note says left"},
	} {
		e := g.newEnc(x.age, x.sex)
		e.cc = x.cc
		e.hpi = append(e.hpi, x.hpi)
		e.assess(x.assess, planFor(x.coded))
		e.code(x.coded)
		if g.chance(0.4) {
			e.addCond(condByID(g.pick([]string{"htn", "hld"})), false)
			if x.coded == "E78.5" && e.used["hld"] {
				e.dx = e.dx[:len(e.dx)-1]
				e.ap = e.ap[:len(e.ap)-1]
				if len(e.plan) > 1 {
					e.plan = e.plan[:len(e.plan)-1]
				}
			}
		}
		e.emVisit()
		e.expect("specificity", x.coded)
		g.add(e, x.slug, "Specificity: "+x.desc+".", "specificity")
	}
	{
		e := g.newEnc(8, "F")
		e.cc = "Ear pain."
		e.hpi = append(e.hpi, "has ear pain; the parent cannot say which side, and the child is uncooperative with the exam")
		e.assess("Otitis media, side not determined", "Amoxicillin for 10 days.")
		e.code("H66.90")
		e.emVisit()
		g.add(e, "spec-unspecified-justified", "Unspecified ear coded when the note documents no side: no finding.", "specificity", "clean")
	}
}

func (g *gen) documentation() {
	// A code the note never mentions.
	for _, x := range []struct{ code, name string }{
		{"J45.909", "asthma"}, {"E03.9", "hypothyroidism"}, {"I48.91", "atrial fibrillation"}, {"K21.9", "GERD"},
		{"M10.9", "gout"}, {"G47.00", "insomnia"}, {"N39.0", "urinary tract infection"}, {"E66.9", "obesity"},
	} {
		e := g.base(g.r.IntN(2))
		// J30 has an Excludes1 note for J45.909: keep the two apart.
		for e.used[condIDByCode(x.code)] || x.code == "J45.909" && e.used["allergic-rhinitis"] {
			e = g.base(g.r.IntN(2))
		}
		e.code(x.code)
		e.expect("documentation", x.code)
		g.add(e, "doc-absent", fmt.Sprintf("Documentation: %s (%s) is coded but the note never mentions it.", x.code, x.name), "documentation", "absent")
	}
	// Negated.
	for _, x := range []struct {
		code, ros, rosText string
	}{
		{"R07.9", "Cardiovascular", "Denies chest pain, palpitations, or leg swelling."},
		{"R50.9", "Constitutional", "Denies fever or chills."},
		{"R11.2", "Gastrointestinal", "Denies nausea, vomiting, or diarrhea."},
		{"R06.02", "Respiratory", "Denies shortness of breath or cough."},
		{"R51.9", "Neurological", "No headache, dizziness, or weakness."},
	} {
		e := g.base(0)
		for _, id := range []string{"pharyngitis", "strep", "bronchitis", "sinusitis"} {
			_ = id
		}
		e.ros[x.ros] = x.rosText
		e.code(x.code)
		e.expect("documentation", x.code)
		g.add(e, "doc-negated", fmt.Sprintf("Documentation: %s is coded but the note only denies it.", x.code), "documentation", "negated")
	}
	{
		e := g.newEnc(57, "M")
		e.addCond(condByID("htn"), false)
		e.hpi = append(e.hpi, "was evaluated for chest discomfort last week; a myocardial infarction was ruled out by serial troponins")
		e.code("I21.9")
		e.expect("documentation", "I21.9")
		e.emVisit()
		g.add(e, "doc-negated-ruled-out-mi", "Documentation: I21.9 coded although the MI was ruled out.", "documentation", "negated")
	}
	// Hypothetical.
	for _, x := range []struct{ code, text string }{
		{"J18.9", "Chest X-ray to rule out pneumonia."},
		{"N39.0", "Possible urinary tract infection; urine culture pending."},
		{"I26.99", "Concern for pulmonary embolism; CT angiogram ordered."},
		{"J11.1", "Return if fever or body aches suggest influenza."},
		{"S06.0X0A", "Head injury precautions; return if signs of concussion such as vomiting or confusion develop."},
	} {
		e := g.base(0)
		e.after = append(e.after, x.text)
		e.code(x.code)
		e.expect("documentation", x.code)
		g.add(e, "doc-hypothetical", fmt.Sprintf("Documentation: %s is coded but the note mentions it only as uncertain or conditional.", x.code), "documentation", "hypothetical")
	}
	// Historical only.
	for _, x := range []struct{ code, hpi, pmh string }{
		{"I63.9", "has a history of stroke in 2016 with no residual deficits", "Stroke (2016)"},
		{"C50.911", "has a history of right breast cancer treated in 2012, in remission", "Breast cancer (2012)"},
		{"I21.9", "had a prior myocardial infarction in 2010", "Myocardial infarction (2010)"},
		{"I82.409", "has a history of deep vein thrombosis after surgery in 2018", "DVT (2018)"},
		{"J45.909", "", "Asthma"},
	} {
		e := g.newEnc(60+g.r.IntN(15), "F")
		e.addCond(condByID(g.pick([]string{"htn", "hld", "hypothyroid"})), false)
		if x.hpi != "" {
			e.hpi = append(e.hpi, x.hpi)
		}
		e.pmh = append(e.pmh, x.pmh)
		e.code(x.code)
		e.emVisit()
		e.expect("documentation", x.code)
		g.add(e, "doc-historical", fmt.Sprintf("Documentation: %s (a current condition) is coded for a condition the note gives only as past history.", x.code), "documentation", "historical")
	}
	// A relative's condition coded as the patient's.
	for _, x := range []struct{ code, fh string }{
		{"C18.9", "Father with colon cancer diagnosed at 62."},
		{"E11.9", "Mother and maternal aunt with type 2 diabetes."},
		{"I25.10", "Father with coronary artery disease and a bypass at 58."},
		{"C50.919", "Sister with breast cancer at 44."},
	} {
		e := g.newEnc(40+g.r.IntN(20), "F")
		e.addCond(condByID(g.pick([]string{"sinusitis", "bronchitis", "insomnia"})), true)
		e.fh = []string{x.fh}
		e.code(x.code)
		e.emVisit()
		e.expect("documentation", x.code)
		g.add(e, "doc-family", fmt.Sprintf("Documentation: %s is coded for the patient but the note gives it as a relative's condition.", x.code), "documentation", "family")
	}
	{
		e := g.newEnc(50, "M")
		e.addCond(condByID("htn"), false)
		e.fh = []string{"Noncontributory."}
		e.code("Z80.0")
		e.emVisit()
		e.expect("documentation", "Z80.0")
		g.add(e, "doc-family-history-code-unsupported", "Documentation: Z80.0 (family history of digestive cancer) with no such family history.", "documentation", "family")
	}
	{
		e := g.newEnc(47, "F")
		e.addCond(condByID("htn"), false)
		e.fh = []string{"No family history of colon cancer."}
		e.code("Z80.0")
		e.emVisit()
		e.expect("documentation", "Z80.0")
		g.add(e, "doc-family-history-negated", "Documentation: Z80.0 coded although the note says there is no family history of colon cancer.", "documentation", "family", "negated")
	}
}

func condIDByCode(code string) string {
	for _, c := range conditions {
		if c.code == code {
			return c.id
		}
	}
	return ""
}

func (g *gen) missed() {
	for _, x := range []struct {
		cat, text, plan string
		inHPI           bool
	}{
		{"E03", "Hypothyroidism, stable on levothyroxine", "TSH in 6 months.", false},
		{"K21", "Gastroesophageal reflux disease", "Continue omeprazole.", false},
		{"I48", "Atrial fibrillation, rate controlled on metoprolol", "Continue apixaban.", false},
		{"E66", "Obesity, BMI 34", "Diet and exercise counseling.", false},
		{"F32", "Depression, improving on sertraline", "Continue sertraline 100 mg daily.", false},
		{"J45", "Asthma, well controlled", "Continue albuterol as needed.", false},
		{"M81", "Osteoporosis", "Continue alendronate; calcium and vitamin D.", false},
		{"N18", "Chronic kidney disease, stable creatinine", "Avoid NSAIDs.", false},
		{"E78", "Hyperlipidemia", "Continue atorvastatin.", false},
		{"M10", "Gout, no flares this year", "Continue allopurinol.", false},
		{"I10", "Hypertension, well controlled", "Continue lisinopril.", false},
		{"E11", "Type 2 diabetes mellitus, A1c 7.2%", "Continue metformin.", false},
		{"G43", "Migraine, two attacks a month", "Sumatriptan as needed.", false},
		{"J30", "Allergic rhinitis", "Continue loratadine.", false},
		{"D64", "Anemia, workup in progress", "Iron studies ordered.", false},
		{"I48", "has atrial fibrillation and takes apixaban", "", true},
		{"E03", "has hypothyroidism treated with levothyroxine", "", true},
		{"J44", "has COPD and uses tiotropium daily", "", true},
		{"K21", "has GERD that flares with late meals", "", true},
	} {
		e := g.base(g.r.IntN(2))
		for e.used[condIDByCat(x.cat)] || x.cat == "D64" && e.used["anemia"] || x.cat == "E66" && e.used["obesity"] {
			e = g.base(g.r.IntN(2))
		}
		if x.inHPI {
			e.hpi = append(e.hpi, x.text)
		} else {
			e.assess(x.text, x.plan)
		}
		e.expect("missed_diagnosis", x.cat)
		where := "assessment"
		if x.inHPI {
			where = "history of present illness"
		}
		g.add(e, "missed", fmt.Sprintf("Missed diagnosis: the %s affirms a condition (%s) that no code covers.", where, x.cat), "missed_diagnosis")
	}
	{
		e := g.base(0)
		e.assess("Hypertension", "Continue amlodipine.")
		e.assess("Type 2 diabetes", "Continue metformin.")
		for e.used["htn"] || e.used["t2dm"] {
			e = g.base(0)
			e.assess("Hypertension", "Continue amlodipine.")
			e.assess("Type 2 diabetes", "Continue metformin.")
		}
		e.expect("missed_diagnosis", "I10")
		e.expect("missed_diagnosis", "E11")
		g.add(e, "missed-two", "Missed diagnoses: hypertension and type 2 diabetes in the assessment, neither coded.", "missed_diagnosis")
	}
	{
		e := g.newEnc(66, "M")
		e.addCond(condByID("t2dm"), false)
		e.dx[0].Code = "E11-9"
		e.emVisit()
		e.expect("validity", "E11-9")
		g.add(e, "missed-not-for-malformed", "A malformed code (E11-9) is a validity finding; the diabetes it meant to code is not reported again as missed.", "validity", "missed_diagnosis")
	}
}

func condIDByCat(cat string) string {
	for _, c := range conditions {
		if len(c.code) >= 3 && c.code[:3] == cat {
			return c.id
		}
	}
	return ""
}

// planFor returns a plausible plan for a code's condition.
func planFor(code string) string {
	for _, p := range []struct{ prefix, plan string }{
		{"M17", "Physical therapy and home exercises; NSAID as needed."},
		{"H66", "Amoxicillin for 10 days; recheck if not improved in 3 days."},
		{"S61", "Wound cleaned; dressing changes reviewed; tetanus status up to date."},
		{"S93", "Ankle brace; ice and elevation; NSAID as needed."},
		{"I50", "Continue carvedilol and furosemide; daily weights; low-sodium diet."},
		{"N18", "Nephrology follow-up; avoid NSAIDs; renal function panel in 3 months."},
		{"F32", "Continue sertraline; referral to behavioral health for psychotherapy."},
		{"J45", "Albuterol as needed; inhaled corticosteroid; asthma action plan reviewed."},
		{"E78", "Continue atorvastatin; repeat lipid panel in 6 months."},
		{"I48", "Continue anticoagulation and rate control."},
		{"L03", "Cephalexin for 7 days; elevate the leg; recheck in 48 hours."},
	} {
		if strings.HasPrefix(code, p.prefix) {
			return p.plan
		}
	}
	return "Follow-up as scheduled."
}

// hard: realistic notes that strain a lexical engine. Their labels are what
// a coder would expect; some are known limits of the rules (see the tags
// "limit") and are kept so that the measured recall stays honest.
func (g *gen) hard() {
	{
		e := g.base(0)
		e.ros["Constitutional"] = "Denies fever, chills, night sweats, fatigue, malaise, weight loss, headache, dizziness, palpitations, or chest pain."
		e.code("R07.9")
		e.expect("documentation", "R07.9")
		g.add(e, "hard-long-negation-list", "Documentation: chest pain is the tenth item of a denied list, beyond the negation window.", "documentation", "hard", "limit")
	}
	{
		e := g.newEnc(31, "F")
		e.cc = "Burning with urination."
		e.hpi = append(e.hpi, "reports dysuria and frequency for 3 days")
		e.assess("Likely urinary tract infection; urine culture sent", "Nitrofurantoin started pending culture.")
		e.code("N39.0")
		e.emVisit()
		e.expect("documentation", "N39.0")
		g.add(e, "hard-likely-uti", "Documentation: a 'likely' diagnosis is uncertain and is not coded in the outpatient setting (code the symptom).", "documentation", "hard", "hypothetical")
	}
	{
		e := g.newEnc(52, "F")
		e.addCond(condByID("obesity"), false)
		e.hpi = append(e.hpi, "says her husband has type 2 diabetes and she wants to change the family's diet")
		e.emVisit()
		g.add(e, "hard-spouse-condition", "The husband's diabetes is not the patient's: not missed.", "clean", "hard", "family")
	}
	{
		e := g.newEnc(66, "M")
		e.addCond(condByID("htn"), false)
		e.hpi = append(e.hpi, "had a myocardial infarction in 2015 treated with a stent and has had no angina since")
		e.code("I21.9")
		e.expect("documentation", "I21.9")
		g.add(e, "hard-dated-old-mi", "Documentation: an MI in 2015 is old (I25.2), but only its date says so.", "documentation", "hard", "limit", "historical")
	}
	{
		e := g.newEnc(69, "F")
		e.cc = "Knee pain."
		e.hpi = append(e.hpi, "reports knee pain and stiffness for two years, worse on stairs")
		e.exam = []string{"Right knee: Crepitus and medial joint-line tenderness; no effusion. Left knee normal."}
		e.assess("Osteoarthritis of knee", "Physical therapy; NSAID as needed.")
		e.code("M17.10")
		e.emVisit()
		e.expect("specificity", "M17.10")
		g.add(e, "hard-laterality-other-sentence", "Specificity: the exam documents the right knee, but not in the sentence of the diagnosis.", "specificity", "hard", "limit")
	}
	{
		e := g.newEnc(49, "F")
		e.addCond(condByID("insomnia"), true)
		e.hpi = append(e.hpi, "adds that breast cancer in a maternal aunt was diagnosed last year")
		e.code("C50.919")
		e.expect("documentation", "C50.919")
		g.add(e, "hard-maternal-aunt", "Documentation: 'breast cancer in a maternal aunt' is a relative's condition.", "documentation", "hard", "limit", "family")
	}
	{
		e := g.newEnc(57, "F")
		e.addCond(condByID("htn"), false)
		e.assess("No evidence of recurrent breast cancer on this year's mammogram", "Continue annual surveillance.")
		e.code("C50.911")
		e.expect("documentation", "C50.911")
		g.add(e, "hard-no-evidence-of-recurrence", "Documentation: 'no evidence of recurrent breast cancer' negates it (Z85.3 would fit).", "documentation", "hard", "negated")
	}
	{
		e := g.newEnc(19, "M")
		e.cc = "Abdominal pain."
		e.hpi = append(e.hpi, "has periumbilical pain moving to the right lower quadrant since this morning")
		e.assess("Right lower quadrant abdominal pain; rule out appendicitis", "CT abdomen and pelvis; surgical consultation.")
		e.code("K35.80", "R10.31")
		e.emVisit()
		e.expect("documentation", "K35.80")
		g.add(e, "hard-rule-out-appendicitis", "Documentation: appendicitis is to be ruled out; the symptom code is right.", "documentation", "hard", "hypothetical")
	}
	{
		e := g.newEnc(73, "M")
		e.addCond(condByID("copd"), false)
		e.assess("Pneumonia, resolved on follow-up chest X-ray", "")
		e.code("J18.9")
		e.expect("documentation", "J18.9")
		g.add(e, "hard-pneumonia-resolved", "Documentation: a resolved pneumonia is not current.", "documentation", "hard", "negated")
	}
	{
		e := g.newEnc(48, "M")
		e.cc = "Chest pain with exertion."
		e.hpi = append(e.hpi, "denies chest pain at rest but has chest pain with exertion for 2 weeks")
		e.ros["Cardiovascular"] = "See HPI."
		e.assess("Chest pain on exertion; stress test ordered", "Aspirin daily; return if pain at rest.")
		e.code("R07.9")
		e.emVisit()
		g.add(e, "hard-chest-pain-but", "'Denies chest pain at rest but has chest pain with exertion': affirmed.", "clean", "hard", "negation")
	}
	{
		e := g.newEnc(70, "F")
		e.cc = "Knee pain."
		e.hpi = append(e.hpi, "reports years of pain in both knees")
		e.assess("Osteoarthritis of both knees", "Physical therapy; acetaminophen.")
		e.code("M17.9")
		e.emVisit()
		e.expect("specificity", "M17.9")
		g.add(e, "hard-both-knees", "Specificity: 'both knees' documents bilateral osteoarthritis (M17.0).", "specificity", "hard", "laterality")
	}
	{
		e := g.newEnc(62, "M")
		e.addCond(condByID("htn"), false)
		e.hpi = append(e.hpi, "also has A-fib on Eliquis, no palpitations")
		e.expect("missed_diagnosis", "I48")
		g.add(e, "hard-afib-abbreviation", "Missed diagnosis: 'A-fib on Eliquis' is atrial fibrillation, not coded.", "missed_diagnosis", "hard", "abbreviation")
		e.emVisit()
	}
	{
		e := g.newEnc(68, "M")
		e.addCond(condByID("hld"), false)
		e.assess("CAD s/p stent in 2019, no angina", "Continue aspirin and statin.")
		e.emVisit()
		e.expect("missed_diagnosis", "I25")
		g.add(e, "hard-cad-sp-stent", "Missed diagnosis: coronary artery disease is current although the stent is past.", "missed_diagnosis", "hard", "historical")
	}
	{
		e := g.newEnc(45, "F")
		e.addCond(condByID("obesity"), false)
		e.after = append(e.after, "Diabetic diet education provided by the dietitian.")
		e.emVisit()
		g.add(e, "hard-diabetic-diet", "'Diabetic diet' is not diabetes: not missed.", "clean", "hard")
	}
	{
		e := g.newEnc(51, "M")
		e.cc = "Lab follow-up."
		e.hpi = append(e.hpi, "is seen to review labs: fasting glucose 112 and A1c 6.1%")
		e.assess("Pre-diabetes, A1c 6.1%", "Diet and exercise; repeat A1c in 6 months.")
		e.code("R73.03")
		e.emVisit()
		g.add(e, "hard-pre-diabetes-hyphen", "'Pre-diabetes' documents R73.03 and is not diabetes.", "clean", "hard")
	}
	{
		e := g.newEnc(34, "F")
		e.addCond(condByID("sinusitis"), true)
		e.fh = []string{"FHx: DM2 (mother), HTN (father)."}
		e.emVisit()
		g.add(e, "hard-family-abbreviations", "Abbreviated family history: DM2 and HTN are the parents'.", "clean", "hard", "family")
	}
	{
		e := g.newEnc(44, "M")
		e.cc = "Cough."
		e.hpi = append(e.hpi, "has a cough for 2 weeks; chest X-ray cannot rule out an early pneumonia")
		e.assess("Cough; cannot rule out early pneumonia", "Azithromycin; repeat chest X-ray in 6 weeks.")
		e.code("R05", "J18.9")
		e.emVisit()
		e.expect("documentation", "J18.9")
		g.add(e, "hard-cannot-rule-out", "Documentation: pneumonia that 'cannot be ruled out' is not established.", "documentation", "hard", "hypothetical")
	}
	{
		e := g.newEnc(80, "F")
		e.addCond(condByID("afib"), false)
		e.assess("Heart failure with reduced ejection fraction, chronic", "Continue sacubitril-valsartan and carvedilol.")
		e.code("I50.9")
		e.emVisit()
		e.expect("specificity", "I50.9")
		g.add(e, "hard-hfref-words", "Specificity: 'heart failure with reduced ejection fraction, chronic' is chronic systolic heart failure (I50.22), in other words than the title's.", "specificity", "hard", "limit")
	}
	{
		e := g.newEnc(39, "F")
		e.addCond(condByID("migraine"), false)
		e.hpi = append(e.hpi, "had an influenza vaccine last month and a normal Pap smear")
		e.emVisit()
		g.add(e, "hard-vaccine-not-disease", "An influenza vaccine is not influenza: not missed.", "clean", "hard")
	}
}
