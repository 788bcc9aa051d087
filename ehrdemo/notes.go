package ehrdemo

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"
	"time"
)

// ROS systems in the order a note lists them. Do not reorder: the generated
// notes, and so the determinism checksums, depend on it.
const (
	rosConstitutional = iota
	rosENT
	rosCardiovascular
	rosRespiratory
	rosGI
	rosGU
	rosMSK
	rosSkin
	rosNeuro
	rosPsych
	rosCount
)

var rosNames = [rosCount]string{"Constitutional", "ENT", "Cardiovascular", "Respiratory", "Gastrointestinal", "Genitourinary", "Musculoskeletal", "Skin", "Neurological", "Psychiatric"}

// rosNegative is the default, all-negative review of systems. Each line is a
// negated finding a coding checker can see ("denies", "no").
var rosNegative = [rosCount]string{
	"Denies fever, chills, or unintentional weight loss.",
	"Denies sore throat, ear pain, or nasal congestion.",
	"Denies chest pain, palpitations, or leg swelling.",
	"Denies cough, shortness of breath, or wheezing.",
	"Denies nausea, vomiting, abdominal pain, or blood in stool.",
	"Denies dysuria, hematuria, or urinary frequency.",
	"Denies joint pain or swelling.",
	"No rash or new skin lesions.",
	"Denies headache, dizziness, numbness, or weakness.",
	"Denies depressed mood, anxiety, or suicidal ideation.",
}

// dx is how a note documents one diagnosis. assess is worded to support the
// ICD-10-CM code in icd10 (laterality, acuity, type, episode).
type dx struct {
	cc      string         // chief complaint when this diagnosis brought the patient in
	hpi     string         // follows "{age} {sex} who ..."; {d} is replaced by a duration
	follow  string         // like hpi, when the diagnosis is an earlier one being followed up
	ros     map[int]string // ROS lines that replace the negative default
	general string         // replaces the default General exam line
	exam    string         // focused exam line
	assess  string         // assessment wording
	plan    string         // plan wording
	noROS   bool           // patient cannot give a review of systems
}

// dxNotes is keyed by SNOMED CT code, or "icd:<code>" for ICD-10-CM-only diagnoses.
var dxNotes = map[string]dx{
	"10509002": {cc: "Cough.", hpi: "reports a cough productive of clear sputum for {d} following an upper respiratory infection.",
		ros:    map[int]string{rosRespiratory: "Positive for productive cough. Denies shortness of breath, wheezing, or hemoptysis."},
		exam:   "Lungs: Scattered rhonchi that clear with cough; no wheezes or crackles.",
		assess: "Acute bronchitis", plan: "Supportive care with fluids, rest and honey; chest X-ray not indicated. Return if fever or shortness of breath develops."},
	"128613002": {cc: "Seizure.", hpi: "had a witnessed generalized seizure today lasting about two minutes, followed by drowsiness; a prior seizure is reported.",
		follow: "has a seizure disorder and is seen for follow-up of seizure control.",
		ros:    map[int]string{rosNeuro: "Positive for seizures as described in the HPI. Denies headache, focal weakness, or numbness."},
		exam:   "Neuro: Alert and oriented; cranial nerves intact; strength and gait normal.",
		assess: "Seizure disorder (epilepsy), not intractable, without status epilepticus", plan: "Antiepileptic therapy; seizure precautions reviewed; EEG as ordered."},
	"84757009": {cc: "Recurrent seizures.", hpi: "has had recurrent unprovoked seizures and is evaluated for epilepsy.",
		follow: "has epilepsy and is seen for follow-up of seizure control.",
		ros:    map[int]string{rosNeuro: "Positive for seizures as described in the HPI. Denies headache, focal weakness, or numbness."},
		exam:   "Neuro: Alert and oriented; cranial nerves intact; strength and gait normal.",
		assess: "Epilepsy, not intractable, without status epilepticus", plan: "Continue antiepileptic therapy; seizure precautions reviewed."},
	"703151001": {assess: "History of a single seizure", plan: "No recurrence; seizure precautions reviewed."},
	"15777000": {hpi: "has a recent hemoglobin A1c in the prediabetic range.",
		ros:    map[int]string{rosConstitutional: "Denies polyuria, polydipsia, or unintentional weight loss."},
		assess: "Prediabetes", plan: "Lifestyle modification with diet and exercise; repeat hemoglobin A1c in 6 months."},
	"162864005": {assess: "Obesity", plan: "Counseled on diet and physical activity; weight to be rechecked at the next visit."},
	"19169002": {cc: "Vaginal bleeding in early pregnancy.", hpi: "at about 9 weeks of gestation reports vaginal bleeding and cramping since yesterday with passage of tissue.",
		ros:    map[int]string{rosGU: "Positive for vaginal bleeding and pelvic cramping. Denies foul-smelling discharge.", rosConstitutional: "Denies fever or chills."},
		exam:   "Pelvic: Closed cervical os; scant blood in the vault. Ultrasound shows an empty uterus.",
		assess: "Complete spontaneous abortion (miscarriage) in the first trimester, without complication", plan: "Bleeding precautions; Rh status reviewed; follow-up in 2 weeks."},
	"195662009": {cc: "Sore throat.", hpi: "reports sore throat and painful swallowing for {d} with rhinorrhea.",
		ros:    map[int]string{rosENT: "Positive for sore throat and rhinorrhea. Denies ear pain.", rosConstitutional: "Denies fever or chills."},
		exam:   "Throat: Posterior pharyngeal erythema without exudate; tonsils not enlarged; no cervical lymphadenopathy.",
		assess: "Acute pharyngitis, likely viral", plan: "Rapid strep test negative. Supportive care with fluids, salt-water gargles and acetaminophen."},
	"201834006": {cc: "Hand pain.", hpi: "reports chronic pain and stiffness in the joints of the right hand, worse in the morning and with gripping.",
		ros:    map[int]string{rosMSK: "Positive for right hand joint pain and stiffness. Denies joint redness or swelling elsewhere."},
		exam:   "Right hand: Bony enlargement of the distal interphalangeal joints with crepitus; no synovitis.",
		assess: "Primary osteoarthritis of the right hand", plan: "Topical NSAID and hand-therapy exercises; acetaminophen as needed."},
	"230690007": {cc: "Sudden weakness and slurred speech.", hpi: "was brought in after the sudden onset of left-sided weakness and slurred speech.",
		ros:     map[int]string{rosNeuro: "Positive for left-sided weakness and slurred speech. Denies headache or loss of consciousness."},
		general: "General: Awake, dysarthric, in mild distress.",
		exam:    "Neuro: Left facial droop, left arm drift and dysarthria.",
		assess:  "Acute ischemic stroke (cerebral infarction)", plan: "Stroke protocol activated; CT head shows no hemorrhage; thrombolysis per protocol; admit for monitoring."},
	"237602007": {assess: "Metabolic syndrome", plan: "Lifestyle counseling; monitor blood pressure, lipids and glucose."},
	"239873007": {cc: "Knee pain.", hpi: "reports chronic right knee pain with stiffness after rest and pain on stairs.",
		ros:    map[int]string{rosMSK: "Positive for right knee pain and stiffness. Denies locking, giving way, or joint redness."},
		exam:   "Right knee: Crepitus and medial joint-line tenderness; no effusion; ligaments stable. Left knee normal.",
		assess: "Primary osteoarthritis of the right knee (unilateral)", plan: "Weight-bearing exercise and physical therapy; NSAID as needed."},
	"271737000": {cc: "Fatigue.", hpi: "reports fatigue; the blood count shows a low hemoglobin.",
		ros:    map[int]string{rosConstitutional: "Positive for fatigue. Denies fever or weight loss.", rosGI: "Denies melena or blood in stool."},
		assess: "Anemia, type not yet determined", plan: "Iron studies, vitamin B12 and folate ordered."},
	"284549007": {cc: "Hand laceration.", hpi: "cut the right hand on a kitchen knife about an hour ago. No foreign body sensation.",
		ros:    map[int]string{rosSkin: "Positive for a laceration of the right hand.", rosNeuro: "Denies numbness or tingling of the fingers."},
		exam:   "Right hand: 2 cm laceration of the dorsum without foreign body; tendons intact; sensation intact distally.",
		assess: "Laceration of the right hand without foreign body, initial encounter", plan: "Wound irrigated and repaired with sutures; tetanus status reviewed; suture removal in 10 days."},
	"284551006": {cc: "Foot laceration.", hpi: "stepped on a broken shell and cut the sole of the right foot. No foreign body sensation.",
		ros:    map[int]string{rosSkin: "Positive for a laceration of the right foot.", rosNeuro: "Denies numbness of the toes."},
		exam:   "Right foot: 3 cm plantar laceration without foreign body on exploration; sensation and capillary refill intact.",
		assess: "Laceration of the right foot without foreign body, initial encounter", plan: "Wound irrigated and repaired with sutures; tetanus status reviewed; keep dry, suture removal in 12 days."},
	"302870006": {assess: "Pure hypertriglyceridemia", plan: "Dietary counseling; repeat fasting lipid panel."},
	"307731004": {cc: "Shoulder pain.", hpi: "injured the right shoulder lifting a heavy box and reports pain with overhead reaching.",
		ros:    map[int]string{rosMSK: "Positive for right shoulder pain and weakness with overhead activity."},
		exam:   "Right shoulder: Painful arc; weakness with resisted abduction; positive empty-can test.",
		assess: "Strain of the rotator cuff tendon of the right shoulder, initial encounter", plan: "Sling for comfort, NSAID, physical therapy referral."},
	"36971009": {cc: "Sinus congestion.", hpi: "reports nasal congestion and facial pressure.",
		ros:    map[int]string{rosENT: "Positive for nasal congestion and facial pressure. Denies ear pain."},
		exam:   "HEENT: Edematous nasal mucosa; mild maxillary sinus tenderness.",
		assess: "Sinusitis, not specified as acute or chronic", plan: "Saline irrigation and intranasal corticosteroid."},
	"38341003": {hpi: "has hypertension.",
		ros:    map[int]string{rosCardiovascular: "Denies chest pain, palpitations, or leg swelling.", rosNeuro: "Denies headache or vision changes."},
		assess: "Essential (primary) hypertension", plan: "Continue antihypertensive therapy; low-sodium diet; home blood pressure monitoring."},
	"38822007": {cc: "Painful urination.", hpi: "reports dysuria and urinary frequency for {d}.",
		ros:    map[int]string{rosGU: "Positive for dysuria and urinary frequency. Denies hematuria or flank pain.", rosConstitutional: "Denies fever or chills."},
		exam:   "Abdomen: Mild suprapubic tenderness; no costovertebral angle tenderness.",
		assess: "Cystitis without hematuria", plan: "Urinalysis positive for leukocyte esterase; nitrofurantoin for 5 days; increase fluids."},
	"39848009": {cc: "Neck pain after a car accident.", hpi: "was the restrained driver in a rear-end motor vehicle collision earlier today and reports neck pain and stiffness.",
		ros:    map[int]string{rosMSK: "Positive for neck pain and stiffness.", rosNeuro: "Denies numbness, weakness, or loss of consciousness."},
		exam:   "Neck: Paraspinal tenderness without midline bony tenderness; strength and sensation intact in the arms.",
		assess: "Whiplash injury: sprain of the ligaments of the cervical spine, initial encounter", plan: "NSAID, heat and gentle range-of-motion exercises."},
	"40055000": {cc: "Ongoing sinus congestion.", hpi: "reports nasal congestion, postnasal drip and facial pressure for more than 12 weeks.",
		ros:    map[int]string{rosENT: "Positive for chronic nasal congestion and postnasal drip. Denies ear pain."},
		exam:   "HEENT: Boggy nasal mucosa with postnasal drainage.",
		assess: "Chronic sinusitis", plan: "Saline irrigation and intranasal corticosteroid; ENT referral if symptoms persist."},
	"410429000": {cc: "Cardiac arrest.", hpi: "was found unresponsive and pulseless; bystanders started CPR and EMS continued resuscitation.",
		noROS:   true,
		general: "General: Unresponsive, intubated.",
		assess:  "Cardiac arrest, cause undetermined", plan: "Advanced cardiac life support per protocol; post-resuscitation care in the ICU."},
	"428251008": {assess: "History of appendectomy (acquired absence of the appendix)", plan: "No related issues."},
	"429007001": {assess: "History of sudden cardiac arrest", plan: "Cardiology follow-up as scheduled."},
	"43878008": {cc: "Sore throat and fever.", hpi: "reports severe sore throat and fever for {d} without cough.",
		ros:    map[int]string{rosConstitutional: "Positive for fever.", rosENT: "Positive for sore throat and painful swallowing. Denies ear pain.", rosRespiratory: "Denies cough or shortness of breath."},
		exam:   "Throat: Tonsillar swelling with exudate; tender anterior cervical lymphadenopathy.",
		assess: "Streptococcal pharyngitis, confirmed by rapid strep test", plan: "Penicillin V for 10 days; may return to school or work after 24 hours of antibiotics."},
	"44054006": {hpi: "has type 2 diabetes managed with diet and metformin.",
		ros:    map[int]string{rosConstitutional: "Denies polyuria, polydipsia, or weight loss.", rosNeuro: "Denies numbness or tingling in the feet."},
		exam:   "Feet: Monofilament sensation intact; no ulcers.",
		assess: "Type 2 diabetes mellitus without complications", plan: "Continue metformin; hemoglobin A1c every 3 months; annual eye and foot examination."},
	"44465007": {cc: "Ankle injury.", hpi: "rolled the right ankle stepping off a curb and reports pain and swelling; able to bear weight.",
		ros:    map[int]string{rosMSK: "Positive for right ankle pain and swelling. Denies other joint pain."},
		exam:   "Right ankle: Swelling and tenderness over the anterior talofibular ligament; no bony tenderness (Ottawa rules negative).",
		assess: "Sprain of the right ankle, initial encounter", plan: "Rest, ice, compression and elevation; ankle brace; NSAID as needed."},
	"444814009": {cc: "Sinus congestion.", hpi: "reports nasal congestion, rhinorrhea and facial pressure for {d}.",
		ros:    map[int]string{rosENT: "Positive for nasal congestion, rhinorrhea and facial pressure. Denies ear pain or sore throat.", rosConstitutional: "Denies fever or chills."},
		exam:   "HEENT: Edematous nasal mucosa with clear discharge; mild maxillary sinus tenderness; tympanic membranes clear.",
		assess: "Acute viral sinusitis", plan: "Supportive care with saline irrigation and decongestants; antibiotics not indicated."},
	"446096008": {cc: "Year-round nasal symptoms.", hpi: "reports year-round nasal congestion, sneezing and itchy, watery eyes.",
		ros:    map[int]string{rosENT: "Positive for nasal congestion and sneezing. Denies sore throat."},
		exam:   "HEENT: Pale, boggy nasal turbinates.",
		assess: "Perennial allergic rhinitis", plan: "Intranasal corticosteroid and oral antihistamine; allergen avoidance."},
	"62106007": {cc: "Head injury.", hpi: "struck the head in a fall and reports headache and mild dizziness. No loss of consciousness.",
		ros:    map[int]string{rosNeuro: "Positive for headache and mild dizziness. Denies loss of consciousness, vomiting, or vision changes."},
		exam:   "Neuro: Alert and oriented; cranial nerves intact; normal gait.",
		assess: "Concussion without loss of consciousness, initial encounter", plan: "Cognitive and physical rest; head injury precautions reviewed; return if symptoms worsen."},
	"64859006": {hpi: "has osteoporosis on bone density testing.",
		ros:    map[int]string{rosMSK: "Denies recent fractures or falls."},
		assess: "Age-related osteoporosis without current pathological fracture", plan: "Calcium and vitamin D; bisphosphonate therapy; fall prevention."},
	"65363002": {cc: "Ear pain.", hpi: "has right ear pain and fussiness for {d} following a cold.",
		ros:    map[int]string{rosENT: "Positive for right ear pain. Denies ear drainage.", rosConstitutional: "Positive for low-grade fever."},
		exam:   "Ears: Right tympanic membrane erythematous and bulging; left tympanic membrane normal.",
		assess: "Otitis media of the right ear", plan: "Amoxicillin for 10 days; acetaminophen for pain; recheck if not improved in 3 days."},
	"68496003": {hpi: "underwent colonoscopy with removal of a colon polyp.",
		assess: "Polyp of colon", plan: "Await pathology; surveillance colonoscopy per pathology."},
	"72892002": {cc: "Prenatal care.", hpi: "has a positive home pregnancy test and presents to establish prenatal care.",
		follow: "is pregnant and presents for a routine prenatal visit.",
		ros:    map[int]string{rosGU: "Positive for amenorrhea. Denies vaginal bleeding, leakage of fluid, or pelvic pain."},
		exam:   "Abdomen: Soft, nontender; uterus size consistent with dates.",
		assess: "Supervision of normal pregnancy", plan: "Prenatal vitamins; routine prenatal labs; follow-up in 4 weeks."},
	"74400008": {cc: "Abdominal pain.", hpi: "reports periumbilical pain that moved to the right lower quadrant over 24 hours, with nausea and loss of appetite.",
		ros:    map[int]string{rosGI: "Positive for right lower quadrant abdominal pain, nausea and anorexia. Denies diarrhea or blood in stool.", rosConstitutional: "Positive for low-grade fever."},
		exam:   "Abdomen: Right lower quadrant tenderness at McBurney's point with guarding; no rebound.",
		assess: "Acute appendicitis", plan: "Surgical consultation; NPO, IV fluids and antibiotics; appendectomy."},
	"75498004": {cc: "Sinus pain.", hpi: "reports facial pain, purulent nasal discharge and congestion for more than 10 days without improvement.",
		ros:    map[int]string{rosENT: "Positive for purulent nasal discharge and facial pain. Denies ear pain.", rosConstitutional: "Positive for fever."},
		exam:   "HEENT: Purulent nasal discharge; maxillary sinus tenderness.",
		assess: "Acute bacterial sinusitis", plan: "Amoxicillin-clavulanate for 10 days; saline irrigation."},
	"79586000": {cc: "Pelvic pain in early pregnancy.", hpi: "with a positive pregnancy test reports right lower quadrant pain and vaginal spotting.",
		ros:    map[int]string{rosGU: "Positive for vaginal spotting and right pelvic pain.", rosGI: "Positive for right lower quadrant pain. Denies vomiting or diarrhea.", rosConstitutional: "Denies fever."},
		exam:   "Pelvic: Right adnexal tenderness; ultrasound shows a right tubal mass and no intrauterine pregnancy.",
		assess: "Right tubal ectopic pregnancy without intrauterine pregnancy", plan: "Gynecology consultation; methotrexate versus laparoscopic salpingectomy discussed."},
	"80394007": {assess: "Hyperglycemia", plan: "Repeat fasting glucose and hemoglobin A1c."},
	"93761005": {cc: "Colon cancer.", hpi: "has a primary malignant neoplasm of the colon diagnosed on colonoscopy biopsy.",
		ros:    map[int]string{rosGI: "Positive for a change in bowel habits. Denies abdominal pain.", rosConstitutional: "Positive for fatigue. Denies fever."},
		assess: "Primary malignant neoplasm of the colon", plan: "Oncology and surgical referral; staging CT."},

	// Generated sensitive diagnoses.
	"370143000": {cc: "Depressed mood.", hpi: "reports six weeks of depressed mood, loss of interest in usual activities, poor sleep, low energy and poor concentration. PHQ-9 score is 14. This is a first episode; no history of mania.",
		ros:    map[int]string{rosPsych: "Positive for depressed mood, anhedonia and insomnia. Denies suicidal ideation, plan, or intent. Denies hallucinations."},
		exam:   "Mental status: Constricted affect; linear thought process; no psychotic features.",
		assess: "Major depressive disorder, single episode, moderate", plan: "Start sertraline 50 mg daily; referral to behavioral health for psychotherapy; safety plan reviewed; follow-up in 4 weeks."},
	"66590003": {cc: "Alcohol use.", hpi: "reports drinking 6 to 8 beers daily for several years, with tolerance, cravings and unsuccessful attempts to cut down. Last drink was last night. No history of withdrawal seizures or delirium tremens.",
		ros:    map[int]string{rosGI: "Denies hematemesis, melena, or abdominal pain.", rosNeuro: "Denies tremor, seizures, or hallucinations.", rosPsych: "Positive for cravings. Denies suicidal ideation."},
		exam:   "No tremor, jaundice, or asterixis.",
		assess: "Alcohol dependence, uncomplicated", plan: "Start naltrexone; referral to the substance use treatment program; liver function tests ordered."},
	"75544000": {cc: "Opioid use.", hpi: "reports daily use of non-prescribed oxycodone for two years, with tolerance and unsuccessful attempts to stop. Last use 16 hours ago. Denies injection drug use.",
		ros:    map[int]string{rosConstitutional: "Denies fever or night sweats.", rosGI: "Denies nausea, vomiting, or diarrhea.", rosPsych: "Positive for cravings. Denies suicidal ideation."},
		exam:   "Pupils equal and normal in size; no injection marks; no signs of withdrawal (COWS 3).",
		assess: "Opioid dependence, uncomplicated", plan: "Start buprenorphine-naloxone; naloxone kit prescribed; counseling through the substance use treatment program."},
	"86406008": {cc: "HIV follow-up.", hpi: "has HIV disease, diagnosed after an episode of oral candidiasis, and takes antiretroviral therapy with good adherence. Most recent viral load undetectable; CD4 count 420.",
		ros:    map[int]string{rosConstitutional: "Denies fever, night sweats, or weight loss.", rosSkin: "Denies rash or oral lesions."},
		exam:   "Oropharynx: No thrush. No lymphadenopathy.",
		assess: "HIV disease, on antiretroviral therapy", plan: "Continue bictegravir/emtricitabine/tenofovir alafenamide; viral load and CD4 count in 3 months."},
	"icd:Z33.2": {cc: "Elective termination of pregnancy.", hpi: "at 7 weeks of gestation by last menstrual period, confirmed by ultrasound, requests elective termination of pregnancy after options counseling.",
		ros:    map[int]string{rosGU: "Positive for amenorrhea. Denies vaginal bleeding or pelvic pain.", rosConstitutional: "Denies fever."},
		exam:   "Abdomen: Soft, nontender. Pelvic: Uterus consistent with 7 weeks; no adnexal tenderness.",
		assess: "Encounter for elective termination of pregnancy", plan: "Medication abortion with mifepristone and misoprostol after informed consent; Rh status reviewed; follow-up in 2 weeks."},
	"icd:Z30.011": {cc: "Contraception.", hpi: "is seen after an uncomplicated termination of pregnancy and requests oral contraception. No history of migraine with aura, thromboembolism, or smoking.",
		ros:    map[int]string{rosGU: "Denies vaginal bleeding or pelvic pain."},
		exam:   "Abdomen: Soft, nontender.",
		assess: "Encounter for initial prescription of contraceptive pills", plan: "Start combined oral contraceptive pills; counseled on use and side effects."},
}

// dxKey returns the dxNotes key of a diagnosis concept.
func dxKey(c *codeableConcept) string {
	if sn := c.first(snomedSystem); sn.Code != "" {
		return sn.Code
	}
	if icd := c.first(icd10cmSystem); icd.Code != "" {
		return "icd:" + icd.Code
	}
	return ""
}

const (
	loincProgress = "11506-3"
	loincHP       = "34117-2"
)

type documentReferenceOut struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Meta         meta              `json:"meta"`
	Status       string            `json:"status"`
	DocStatus    string            `json:"docStatus"`
	Type         codeableConcept   `json:"type"`
	Category     []codeableConcept `json:"category"`
	Subject      reference         `json:"subject"`
	Date         string            `json:"date"`
	Author       []reference       `json:"author,omitempty"`
	Custodian    *reference        `json:"custodian,omitempty"`
	Description  string            `json:"description"`
	Content      []struct {
		Attachment attachment `json:"attachment"`
	} `json:"content"`
	Context docContext `json:"context"`
}

type attachment struct {
	ContentType string `json:"contentType"`
	Language    string `json:"language"`
	Data        string `json:"data"`
	Title       string `json:"title"`
	Creation    string `json:"creation"`
}

type docContext struct {
	Encounter []reference `json:"encounter"`
	Period    period      `json:"period"`
}

// addNotes writes a clinical note for every encounter and adds it as a
// DocumentReference carrying the encounter's security labels.
func (l *loader) addNotes() (map[string]string, error) {
	l.indexEncounters()
	conds := map[string][]*pending{} // patient key -> conditions
	for _, c := range l.ofType("Condition") {
		k := l.resolve(c.f.Subject)
		conds[k] = append(conds[k], c)
	}
	notes := map[string]string{}
	for _, enc := range l.ofType("Encounter") {
		n := l.note(enc, conds[l.resolve(enc.f.Subject)])
		notes[enc.id] = n.text
		var author []reference
		if n.author != "" {
			author = []reference{{Reference: n.author}}
		}
		var custodian *reference
		if n.org != "" {
			custodian = &reference{Reference: n.org}
		}
		doc := documentReferenceOut{
			ResourceType: "DocumentReference", ID: genID("note", enc.id),
			Meta:   meta{Tag: []coding{wardTag}, Security: enc.meta.Security},
			Status: "current", DocStatus: "final",
			Type:        codeableConcept{Coding: []coding{{System: loincSystem, Code: n.loinc, Display: n.title}}, Text: n.title},
			Category:    []codeableConcept{{Coding: []coding{{System: "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", Code: "clinical-note", Display: "Clinical Note"}}}},
			Subject:     reference{Reference: l.resolve(enc.f.Subject)},
			Date:        n.date,
			Author:      author,
			Custodian:   custodian,
			Description: n.title + " for " + n.encType,
			Context:     docContext{Encounter: []reference{{Reference: "Encounter/" + enc.id}}, Period: n.period},
		}
		doc.Content = make([]struct {
			Attachment attachment `json:"attachment"`
		}, 1)
		doc.Content[0].Attachment = attachment{
			ContentType: "text/plain; charset=utf-8", Language: "en-US",
			Data:  base64.StdEncoding.EncodeToString([]byte(n.text)),
			Title: n.title, Creation: n.date,
		}
		if _, err := l.addGenerated(doc); err != nil {
			return nil, err
		}
	}
	return notes, nil
}

type noteOut struct {
	text, title, loinc, date, author, org, encType string
	period                                         period
}

// note composes the note of one encounter from the resources recorded at it.
func (l *loader) note(enc *pending, patientConds []*pending) noteOut {
	f := &enc.f
	pat := l.get(f.Subject)
	var out noteOut
	start, _ := parseTime(periodStart(f.Period))
	end, ok := parseTime(periodEnd(f.Period))
	if !ok {
		end = start
	}
	out.period = period{Start: formatInstant(start), End: formatInstant(end)}
	out.date = formatInstant(end)
	encType := concepts(f.Type)
	typeText := ""
	typeCode := ""
	if len(encType) > 0 {
		typeText = strings.TrimSuffix(encType[0].label(), " (procedure)")
		typeCode = encType[0].first(snomedSystem).Code
	}
	out.encType = typeText
	class := ""
	if f.Class != nil {
		class = f.Class.Code
	}
	out.loinc, out.title = loincProgress, "Progress note"
	if class == "EMER" || class == "IMP" || typeCode == "424441002" {
		out.loinc, out.title = loincHP, "History and physical note"
	}
	for _, p := range f.Participant {
		if r := l.resolve(p.Individual); strings.HasPrefix(r, "Practitioner/") {
			out.author = r
			break
		}
	}
	out.org = l.resolve(f.ServiceProvider)

	// Gather what happened at this encounter.
	var diagnoses []codeableConcept
	var followUp []bool // diagnosis is a reason for the visit, not diagnosed at it
	seen := map[string]bool{}
	addDx := func(c *codeableConcept, follow bool) {
		if c == nil {
			return
		}
		k := dxKey(c)
		if k == "" || seen[k] {
			return
		}
		seen[k] = true
		diagnoses = append(diagnoses, *c)
		followUp = append(followUp, follow)
	}
	var obs, procs, meds, imms []*pending
	atEnc := l.byEncounter["Encounter/"+enc.id]
	for _, p := range atEnc {
		switch p.typ {
		case "Condition":
			c := p.f.Code
			if p.code != nil {
				c = p.code
			}
			addDx(c, false)
		case "Observation":
			obs = append(obs, p)
		case "Procedure":
			procs = append(procs, p)
		case "MedicationRequest":
			meds = append(meds, p)
		case "Immunization":
			imms = append(imms, p)
		}
	}
	for i := range f.ReasonCode {
		addDx(&f.ReasonCode[i], true)
	}
	var active []string
	for _, c := range patientConds {
		if l.resolve(c.f.Encounter) == "Encounter/"+enc.id || c.f.Code == nil {
			continue
		}
		on, ok := parseTime(c.f.OnsetDateTime)
		if !ok || !on.Before(start) {
			continue
		}
		if ab, ok := parseTime(c.f.AbatementDateTime); ok && !ab.After(start) {
			continue
		}
		if seen[dxKey(c.f.Code)] {
			continue
		}
		seen[dxKey(c.f.Code)] = true
		active = append(active, displayText(c.f.Code))
	}

	var pf fields
	if pat != nil {
		pf = pat.f
	}
	given, family := patientName(&pf)
	birth, _ := parseTime(pf.BirthDate)
	who := ageSex(birth, start, pf.Gender)
	h := fnv.New32a()
	h.Write([]byte(enc.id))
	seed := h.Sum32()
	dur := []string{"2 days", "3 days", "4 days", "5 days", "1 week"}[seed%5]

	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s", strings.ToUpper(out.title))
	line("Patient: %s %s    DOB: %s    Sex: %s", given, family, pf.BirthDate, title(pf.Gender))
	line("Date of service: %s    Setting: %s    Visit: %s", start.Format("2006-01-02"), setting(class), typeText)
	if org := l.byKey[out.org]; org != nil {
		line("Facility: %s", org.f.nameString())
	}
	author := "Attending physician"
	if pr := l.byKey[out.author]; pr != nil {
		author = practitionerName(&pr.f)
	}
	line("Author: %s", author)
	line("")

	if typeCode == "308646001" { // Death Certification
		cause := ""
		for _, o := range obs {
			if o.f.Code != nil && o.f.Code.first(loincSystem).Code == "69453-9" {
				cause = strings.TrimSuffix(o.f.ValueCodeableConcept.label(), " (disorder)")
			}
		}
		line("CHIEF COMPLAINT:\nDeath certification.\n")
		line("HISTORY OF PRESENT ILLNESS:\nThe patient, a %s, was pronounced dead. This encounter documents the certification of death.\n", who)
		line("ASSESSMENT AND PLAN:")
		if cause != "" {
			line("1. Death certified. Cause of death: %s.", cause)
		} else {
			line("1. Death certified.")
		}
		line("\nElectronically signed by %s on %s.", author, end.Format("2006-01-02 15:04 MST"))
		out.text = b.String()
		return out
	}

	// Chief complaint and HPI.
	var profiles []dx
	for i := range diagnoses {
		p, ok := dxNotes[dxKey(&diagnoses[i])]
		if !ok {
			p = dx{assess: dxAssess(&diagnoses[i])}
		}
		if followUp[i] {
			p.cc, p.hpi = "", p.follow
			if p.hpi == "" {
				p.hpi = "is seen for follow-up of " + strings.ToLower(displayText(&diagnoses[i])) + "."
			}
			if p.cc == "" {
				p.cc = "Follow-up of " + strings.ToLower(displayText(&diagnoses[i])) + "."
			}
		}
		profiles = append(profiles, p)
	}
	cc, hpi := "", []string{}
	for _, p := range profiles {
		if cc == "" && p.cc != "" {
			cc = p.cc
		}
		if p.hpi != "" {
			hpi = append(hpi, strings.ReplaceAll(p.hpi, "{d}", dur))
		}
	}
	checkup := typeCode == "185349003" || typeCode == "210098006"
	switch {
	case checkup && age(birth, start) < 18:
		cc = "Well-child visit."
	case checkup:
		cc = "Annual wellness visit."
	case cc == "" && typeText != "":
		cc = typeText + "."
	case cc == "":
		cc = "Follow-up visit."
	}
	line("CHIEF COMPLAINT:\n%s\n", cc)
	line("HISTORY OF PRESENT ILLNESS:")
	intro := fmt.Sprintf("The patient is a %s", who)
	switch {
	case checkup:
		line("%s who presents for a routine health maintenance examination. No new concerns today.", intro)
		if len(hpi) > 0 {
			line("The patient also %s", strings.Join(hpi, " The patient also "))
		}
	case len(hpi) > 0:
		line("%s who %s", intro, strings.Join(hpi, " The patient also "))
	default:
		line("%s seen for %s.", intro, strings.ToLower(cc[:len(cc)-1]))
	}
	line("")
	line("PAST MEDICAL HISTORY:")
	if len(active) == 0 {
		line("No chronic medical problems on record.\n")
	} else {
		line("%s.\n", strings.Join(active, "; "))
	}
	social := ""
	for _, o := range obs {
		if o.f.Code != nil && o.f.Code.first(loincSystem).Code == "72166-2" && o.f.ValueCodeableConcept != nil {
			social = "Tobacco: " + strings.TrimSuffix(o.f.ValueCodeableConcept.label(), " (finding)") + "."
		}
	}
	if social != "" {
		line("SOCIAL HISTORY:\n%s\n", social)
	}

	// Review of systems.
	line("REVIEW OF SYSTEMS:")
	ros := rosNegative
	noROS := false
	for _, p := range profiles {
		for k, v := range p.ros {
			ros[k] = v
		}
		noROS = noROS || p.noROS
	}
	if temp, ok := observed(obs, "8331-1"); ok && math.Round(temp*10) >= 380 {
		ros[rosConstitutional] = fmt.Sprintf("Positive for fever (%.1f C in clinic).", temp)
	}
	if noROS {
		line("Unable to obtain; the patient is unresponsive.")
	} else {
		for i := 0; i < rosCount; i++ {
			line("%s: %s", rosNames[i], ros[i])
		}
	}
	line("")

	// Examination.
	line("PHYSICAL EXAMINATION:")
	if v := vitals(obs); v != "" {
		line("Vital signs: %s.", v)
	}
	general := "General: Alert and oriented, in no acute distress."
	if age(birth, start) < 3 {
		general = "General: Active, well-appearing child in no acute distress."
	}
	var exams []string
	for _, p := range profiles {
		if p.general != "" {
			general = p.general
		}
		if p.exam != "" {
			exams = append(exams, p.exam)
		}
	}
	line("%s", general)
	if len(exams) == 0 {
		exams = []string{"Heart: Regular rate and rhythm; no murmurs.", "Lungs: Clear to auscultation bilaterally."}
	}
	for _, e := range exams {
		line("%s", e)
	}
	line("")

	if labs := labResults(obs); labs != "" {
		line("RESULTS:\n%s.\n", labs)
	}
	if len(procs) > 0 {
		line("PROCEDURES:")
		for _, p := range procs {
			line("- %s", strings.TrimSuffix(p.f.Code.label(), " (procedure)"))
		}
		line("")
	}

	// Assessment and plan.
	line("ASSESSMENT AND PLAN:")
	n := 0
	if checkup {
		n++
		if age(birth, start) < 18 {
			line("%d. Well-child examination. Growth and development appropriate for age; anticipatory guidance given.", n)
		} else {
			line("%d. Routine adult health examination. Age-appropriate screening reviewed.", n)
		}
	}
	for _, p := range profiles {
		n++
		if p.plan != "" {
			line("%d. %s. %s", n, p.assess, p.plan)
		} else {
			line("%d. %s.", n, p.assess)
		}
	}
	if n == 0 {
		line("1. %s. Evaluated; no acute findings.", strings.TrimSuffix(cc, "."))
	}
	if len(meds) > 0 {
		var names []string
		for _, m := range meds {
			names = append(names, m.f.MedicationCodeableConcept.label())
		}
		line("Medications prescribed: %s.", strings.Join(names, "; "))
	}
	if len(imms) > 0 {
		var names []string
		for _, m := range imms {
			names = append(names, m.f.VaccineCode.label())
		}
		line("Immunizations given: %s.", strings.Join(names, "; "))
	}
	line("Return precautions reviewed; the patient verbalized understanding.")
	line("\nElectronically signed by %s on %s.", author, end.Format("2006-01-02 15:04 MST"))
	out.text = b.String()
	return out
}

// observed returns the value of the first Observation with a LOINC code.
func observed(obs []*pending, loinc string) (float64, bool) {
	for _, o := range obs {
		if o.f.Code != nil && o.f.Code.first(loincSystem).Code == loinc && o.f.ValueQuantity != nil && o.f.ValueQuantity.Value != nil {
			return *o.f.ValueQuantity.Value, true
		}
	}
	return 0, false
}

// displayText returns a concept's text without SNOMED CT semantic tags.
func displayText(c *codeableConcept) string {
	s := c.label()
	for _, suf := range []string{" (disorder)", " (finding)", " (situation)", " (procedure)"} {
		s = strings.TrimSuffix(s, suf)
	}
	return s
}

// dxAssess returns the note wording of a diagnosis.
func dxAssess(c *codeableConcept) string {
	if p, ok := dxNotes[dxKey(c)]; ok && p.assess != "" {
		return p.assess
	}
	return displayText(c)
}

func periodStart(p *period) string {
	if p == nil {
		return ""
	}
	return p.Start
}

func periodEnd(p *period) string {
	if p == nil {
		return ""
	}
	return p.End
}

func setting(class string) string {
	switch class {
	case "AMB":
		return "Ambulatory"
	case "EMER":
		return "Emergency department"
	case "IMP":
		return "Inpatient"
	}
	return class
}

func title(s string) string {
	if s == "" {
		return "Unknown"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// patientName returns the first given and the family name of the official (or first) name.
func patientName(f *fields) (given, family string) {
	names := f.names()
	if len(names) == 0 {
		return "", ""
	}
	n := names[0]
	for _, x := range names {
		if x.Use == "official" {
			n = x
			break
		}
	}
	if len(n.Given) > 0 {
		given = n.Given[0]
	}
	return given, n.Family
}

func practitionerName(f *fields) string {
	names := f.names()
	if len(names) == 0 {
		return "Attending physician"
	}
	n := names[0]
	parts := append(append([]string(nil), n.Prefix...), n.Given...)
	return strings.Join(append(parts, n.Family), " ")
}

// ageSex describes the patient's age and sex at t, e.g. "67-year-old woman".
func ageSex(birth, t time.Time, gender string) string {
	if birth.IsZero() {
		return "patient of unknown age"
	}
	years := age(birth, t)
	var s string
	if years < 2 {
		months := (t.Year()-birth.Year())*12 + int(t.Month()-birth.Month())
		if t.Day() < birth.Day() {
			months--
		}
		if months < 1 {
			return "newborn " + map[string]string{"female": "girl", "male": "boy"}[gender]
		}
		s = fmt.Sprintf("%d-month-old", months)
	} else {
		s = fmt.Sprintf("%d-year-old", years)
	}
	switch {
	case years < 18 && gender == "female":
		return s + " girl"
	case years < 18 && gender == "male":
		return s + " boy"
	case gender == "female":
		return s + " woman"
	case gender == "male":
		return s + " man"
	}
	return s + " patient"
}

// vitals formats the vital-sign Observations of an encounter.
func vitals(obs []*pending) string {
	val := map[string]string{}
	for _, o := range obs {
		if o.f.Code == nil {
			continue
		}
		code := o.f.Code.first(loincSystem).Code
		q := o.f.ValueQuantity
		switch code {
		case "55284-4":
			var sys, dia float64
			for _, c := range o.f.Component {
				if c.ValueQuantity == nil || c.ValueQuantity.Value == nil {
					continue
				}
				switch c.Code.first(loincSystem).Code {
				case "8480-6":
					sys = *c.ValueQuantity.Value
				case "8462-4":
					dia = *c.ValueQuantity.Value
				}
			}
			if sys > 0 {
				val["bp"] = fmt.Sprintf("BP %.0f/%.0f mmHg", sys, dia)
			}
		case "8867-4", "9279-1", "8331-1", "8302-2", "29463-7", "39156-5", "72514-3":
			if q == nil || q.Value == nil {
				continue
			}
			v := *q.Value
			val[code] = map[string]string{
				"8867-4":  fmt.Sprintf("HR %.0f/min", v),
				"9279-1":  fmt.Sprintf("RR %.0f/min", v),
				"8331-1":  fmt.Sprintf("Temp %.1f C", v),
				"8302-2":  fmt.Sprintf("Height %.1f cm", v),
				"29463-7": fmt.Sprintf("Weight %.1f kg", v),
				"39156-5": fmt.Sprintf("BMI %.1f kg/m2", v),
				"72514-3": fmt.Sprintf("Pain %.0f/10", v),
			}[code]
		}
	}
	var parts []string
	for _, k := range []string{"bp", "8867-4", "9279-1", "8331-1", "8302-2", "29463-7", "39156-5", "72514-3"} {
		if v, ok := val[k]; ok {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ", ")
}

// labResults formats laboratory Observations, sorted by name.
func labResults(obs []*pending) string {
	var parts []string
	for _, o := range obs {
		if o.f.Code == nil || o.f.ValueQuantity == nil || o.f.ValueQuantity.Value == nil {
			continue
		}
		isLab := false
		for _, c := range concepts(o.f.Category) {
			isLab = isLab || c.first("http://terminology.hl7.org/CodeSystem/observation-category").Code == "laboratory"
		}
		if !isLab {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.1f %s", o.f.Code.label(), *o.f.ValueQuantity.Value, o.f.ValueQuantity.Unit))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}
