package coding

// Curated clinical vocabulary. ICD-10-CM titles are formal ("Essential
// (primary) hypertension"); notes say "HTN". These tables add the words
// clinicians write to the codes' own titles, inclusion terms and ancestors'
// titles (see terms.go). They were written from common clinical usage and
// the ICD-10-CM Official Guidelines, not taken from a licensed vocabulary.

// concept is a condition as notes phrase it.
type concept struct {
	name string
	// suggest is the code proposed when the note affirms the condition and
	// no code covers it; "" keeps the concept out of the missed-diagnosis
	// rule (symptoms, encounter reasons).
	suggest string
	// covers lists the codes (ranges "A-B" or prefixes) that code the
	// condition: any of them on the submission means it is not missed.
	covers string
	// supports lists the codes whose documentation the phrases support;
	// "" means the same as covers.
	supports string
	phrases  []string
}

// conceptUnless lists, per concept, phrases that around a mention mean it
// is not the condition: a "termination of pregnancy" is not a pregnancy.
var conceptUnless = map[string][]string{
	"covid-19":  {"post covid", "post-covid", "long covid", "post covid-19"},
	"diabetes":  {"pre-diabetes", "pre diabetes", "borderline diabetes", "gestational diabetes"},
	"pregnancy": {"termination of pregnancy", "pregnancy test", "pregnancy testing", "ectopic pregnancy", "tubal pregnancy"},
}

// concepts is ordered specific before general: when two concepts match the
// same words, the first one reported wins ("type 1 diabetes" before
// "diabetes").
var concepts = []concept{
	{"type 1 diabetes", "E10.9", "E10", "", []string{"type 1 diabetes", "type i diabetes", "t1dm", "dm1", "dm type 1", "diabetes type 1", "iddm", "juvenile diabetes", "insulin-dependent diabetes"}},
	{"type 2 diabetes", "E11.9", "E11", "", []string{"type 2 diabetes", "type ii diabetes", "t2dm", "dm2", "dm type 2", "diabetes type 2", "niddm", "adult-onset diabetes", "non-insulin-dependent diabetes"}},
	{"gestational diabetes", "O24.419", "O24.4", "", []string{"gestational diabetes", "gdm"}},
	// Guideline I.C.4.a.2: when the type is not documented, the default is
	// type 2 (E11).
	{"diabetes", "E11.9", "E08-E13 O24", "E11", []string{"diabetes mellitus", "diabetes", "dm"}},
	{"prediabetes", "R73.03", "R73.0 R73.9 E08-E13", "", []string{"prediabetes", "pre-diabetes", "prediabetic", "pre-diabetic", "impaired fasting glucose", "borderline diabetes"}},
	{"hypertension", "I10", "I10-I16 O10-O11 O13-O16", "I10-I16", []string{"hypertension", "htn", "high blood pressure"}},
	{"hyperlipidemia", "E78.5", "E78", "", []string{"hyperlipidemia", "hld", "dyslipidemia", "high cholesterol", "hypercholesterolemia", "hypertriglyceridemia", "mixed hyperlipidemia"}},
	{"morbid obesity", "E66.01", "E66", "E66.01", []string{"morbid obesity", "severe obesity", "class 3 obesity"}},
	{"obesity", "E66.9", "E66", "", []string{"obesity", "obese"}},
	{"atrial fibrillation", "I48.91", "I48", "", []string{"atrial fibrillation", "afib", "a-fib", "a fib", "paroxysmal atrial fibrillation"}},
	{"heart failure", "I50.9", "I50 I11.0 I13.0 I13.2 I09.81", "", []string{"heart failure", "chf", "congestive heart failure", "hfref", "hfpef", "cardiac failure", "systolic heart failure", "diastolic heart failure"}},
	{"coronary artery disease", "I25.10", "I25 I20-I22", "", []string{"coronary artery disease", "cad", "coronary atherosclerosis", "ischemic heart disease", "atherosclerotic heart disease"}},
	{"myocardial infarction", "I21.9", "I21 I22 I25.2", "", []string{"myocardial infarction", "heart attack", "stemi", "nstemi"}},
	{"cardiac arrest", "I46.9", "I46 Z86.74", "I46", []string{"cardiac arrest", "pulseless", "asystole"}},
	{"stroke", "I63.9", "I63 I60-I62 I69 Z86.73", "I63", []string{"stroke", "cerebral infarction", "cva", "cerebrovascular accident", "ischemic stroke"}},
	{"deep vein thrombosis", "I82.409", "I82", "", []string{"deep vein thrombosis", "deep venous thrombosis", "dvt"}},
	{"pulmonary embolism", "I26.99", "I26", "", []string{"pulmonary embolism"}},
	{"peripheral artery disease", "I73.9", "I70.2 I73.9", "", []string{"peripheral artery disease", "peripheral arterial disease", "peripheral vascular disease", "pvd"}},
	{"copd", "J44.9", "J43-J44", "", []string{"chronic obstructive pulmonary disease", "copd", "emphysema"}},
	{"asthma", "J45.909", "J45", "", []string{"asthma", "reactive airway disease"}},
	{"pneumonia", "J18.9", "J12-J18 J69.0", "", []string{"pneumonia", "pna", "bronchopneumonia"}},
	{"bronchitis", "J20.9", "J20-J21 J40-J42 J44", "J20-J21 J40-J42", []string{"acute bronchitis", "bronchitis"}},
	{"sinusitis", "J32.9", "J01 J32", "", []string{"sinusitis", "rhinosinusitis"}},
	{"strep pharyngitis", "J02.0", "J02.0", "", []string{"strep throat", "streptococcal pharyngitis", "strep pharyngitis"}},
	{"pharyngitis", "J02.9", "J02-J03 J06", "J02", []string{"pharyngitis"}},
	{"upper respiratory infection", "J06.9", "J00-J06", "J06", []string{"upper respiratory infection", "uri", "common cold"}},
	{"influenza", "J11.1", "J09-J11", "", []string{"influenza", "flu"}},
	{"covid-19", "U07.1", "U07.1", "", []string{"covid-19", "covid", "sars-cov-2 infection"}},
	{"otitis media", "H66.90", "H65-H66", "", []string{"otitis media", "ear infection"}},
	{"allergic rhinitis", "J30.9", "J30", "", []string{"allergic rhinitis", "hay fever", "seasonal allergies"}},
	{"gerd", "K21.9", "K21", "", []string{"gastroesophageal reflux", "gastro-esophageal reflux", "gerd", "acid reflux"}},
	{"urinary tract infection", "N39.0", "N39.0 N30 N10 N34 O23", "N39.0 N30", []string{"urinary tract infection", "uti", "cystitis"}},
	{"chronic kidney disease", "N18.9", "N18 I12-I13 E08.22 E09.22 E10.22 E11.22 E13.22", "N18", []string{"chronic kidney disease", "ckd", "chronic renal insufficiency", "chronic renal disease"}},
	{"acute kidney injury", "N17.9", "N17", "", []string{"acute kidney injury", "aki", "acute kidney failure", "acute renal failure"}},
	{"benign prostatic hyperplasia", "N40.0", "N40", "", []string{"benign prostatic hyperplasia", "bph", "enlarged prostate", "benign prostatic hypertrophy"}},
	{"hypothyroidism", "E03.9", "E03 E89.0", "", []string{"hypothyroidism", "hypothyroid"}},
	{"hyperthyroidism", "E05.90", "E05", "", []string{"hyperthyroidism", "graves disease"}},
	{"iron deficiency anemia", "D50.9", "D50", "", []string{"iron deficiency anemia"}},
	{"anemia", "D64.9", "D50-D64 O99.0", "", []string{"anemia", "anaemia"}},
	{"vitamin d deficiency", "E55.9", "E55", "", []string{"vitamin d deficiency"}},
	{"osteoarthritis", "M19.90", "M15-M19", "", []string{"osteoarthritis", "degenerative joint disease", "djd"}},
	{"rheumatoid arthritis", "M06.9", "M05-M06", "", []string{"rheumatoid arthritis"}},
	{"gout", "M10.9", "M10 M1A", "", []string{"gout"}},
	{"osteoporosis", "M81.0", "M80-M81", "", []string{"osteoporosis"}},
	{"migraine", "G43.909", "G43", "", []string{"migraine"}},
	{"epilepsy", "G40.909", "G40 R56", "G40", []string{"epilepsy", "seizure disorder"}},
	{"parkinson disease", "G20", "G20", "", []string{"parkinson's disease", "parkinson disease"}},
	{"dementia", "F03.90", "F01-F03 G30-G31", "", []string{"dementia", "alzheimer's disease", "alzheimer disease"}},
	{"depression", "F32.9", "F31-F33 F34.1", "F32-F33", []string{"major depressive disorder", "major depression", "depression", "mdd", "depressive disorder"}},
	{"anxiety disorder", "F41.9", "F40-F41 F43", "F41", []string{"anxiety disorder", "generalized anxiety disorder", "gad", "panic disorder"}},
	{"bipolar disorder", "F31.9", "F31", "", []string{"bipolar disorder"}},
	{"schizophrenia", "F20.9", "F20 F25", "", []string{"schizophrenia"}},
	{"ptsd", "F43.10", "F43.1", "", []string{"post-traumatic stress disorder", "posttraumatic stress disorder", "ptsd"}},
	{"adhd", "F90.9", "F90", "", []string{"attention-deficit hyperactivity disorder", "attention deficit hyperactivity disorder", "adhd"}},
	{"alcohol dependence", "F10.20", "F10", "", []string{"alcohol dependence", "alcohol use disorder", "alcoholism"}},
	{"opioid dependence", "F11.20", "F11", "", []string{"opioid dependence", "opioid use disorder"}},
	{"nicotine dependence", "F17.210", "F17 Z72.0", "F17", []string{"nicotine dependence", "current smoker", "current every day smoker", "tobacco use disorder", "smokes cigarettes"}},
	{"insomnia", "G47.00", "G47.0 F51.0", "", []string{"insomnia"}},
	{"sleep apnea", "G47.33", "G47.3", "", []string{"obstructive sleep apnea", "sleep apnea", "osa"}},
	{"hiv disease", "B20", "B20 Z21", "B20", []string{"hiv disease", "hiv infection", "human immunodeficiency virus disease", "hiv"}},
	{"hepatitis c", "B18.2", "B17.1 B18.2 B19.2", "", []string{"hepatitis c", "hcv"}},
	{"cirrhosis", "K74.60", "K70.3 K74", "", []string{"cirrhosis"}},
	{"cellulitis", "L03.90", "L03", "", []string{"cellulitis"}},
	{"psoriasis", "L40.9", "L40", "", []string{"psoriasis"}},
	{"atopic dermatitis", "L20.9", "L20", "", []string{"atopic dermatitis", "eczema"}},
	{"appendicitis", "K35.80", "K35-K37", "", []string{"appendicitis"}},
	{"cholecystitis", "K81.9", "K80-K81", "", []string{"cholecystitis"}},
	{"diverticulitis", "K57.92", "K57", "", []string{"diverticulitis"}},
	{"pancreatitis", "K85.90", "K85 K86.0 K86.1", "", []string{"pancreatitis"}},
	{"sepsis", "A41.9", "A40-A41 R65.2", "", []string{"sepsis"}},
	{"dehydration", "E86.0", "E86", "", []string{"dehydration"}},
	{"hypokalemia", "E87.6", "E87.6", "", []string{"hypokalemia"}},
	{"hyponatremia", "E87.1", "E87.1", "", []string{"hyponatremia"}},
	{"breast cancer", "C50.919", "C50 Z85.3", "C50", []string{"breast cancer", "breast carcinoma", "carcinoma of the breast"}},
	{"prostate cancer", "C61", "C61 Z85.46", "C61", []string{"prostate cancer", "prostate carcinoma", "adenocarcinoma of the prostate"}},
	{"colon cancer", "C18.9", "C18-C20 Z85.03-Z85.04", "C18-C20", []string{"colon cancer", "colorectal cancer", "carcinoma of the colon", "rectal cancer"}},
	{"lung cancer", "C34.90", "C34 Z85.1", "C34", []string{"lung cancer", "carcinoma of the lung", "non-small cell lung cancer", "nsclc"}},
	{"peripheral neuropathy", "G62.9", "G60-G64 E08.4 E09.4 E10.4 E11.4 E13.4", "G60-G64", []string{"peripheral neuropathy", "polyneuropathy", "diabetic neuropathy"}},
	{"pregnancy", "Z33.1", "O00-O9A Z33-Z34 Z3A Z36", "Z33.1", []string{"pregnant", "pregnancy", "intrauterine pregnancy"}},
	{"preeclampsia", "O14.90", "O11 O14", "", []string{"preeclampsia", "pre-eclampsia"}},
	{"endometriosis", "N80.9", "N80", "", []string{"endometriosis"}},
	{"polycystic ovary syndrome", "E28.2", "E28.2", "", []string{"polycystic ovary syndrome", "polycystic ovarian syndrome", "pcos"}},
	{"concussion", "S06.0X0A", "S06", "S06.0", []string{"concussion"}},
	{"pressure ulcer", "L89.90", "L89", "", []string{"pressure ulcer", "pressure injury", "decubitus ulcer"}},
	{"osteopenia", "M85.80", "M85.8", "", []string{"osteopenia"}},
	{"glaucoma", "H40.9", "H40-H42", "", []string{"glaucoma"}},
	{"cataract", "H26.9", "H25-H26 H28", "", []string{"cataract"}},
	{"hearing loss", "H91.90", "H90-H91", "", []string{"hearing loss"}},

	// Documentation-only vocabulary: encounter reasons, status and history
	// codes, symptoms. Never "missed".
	{"adult examination", "", "Z00.0", "", []string{"annual wellness visit", "routine adult health examination", "annual physical", "general medical examination", "routine health maintenance examination", "health maintenance examination", "preventive visit"}},
	{"child examination", "", "Z00.1", "", []string{"well-child visit", "well child visit", "well-child examination", "well child examination", "routine child health examination"}},
	{"immunization", "", "Z23", "", []string{"immunization", "immunizations given", "vaccine", "vaccination"}},
	{"prenatal care", "", "Z34 O09", "", []string{"prenatal visit", "routine prenatal care", "supervision of normal pregnancy", "supervision of pregnancy", "prenatal care"}},
	{"contraception", "", "Z30", "", []string{"contraceptive", "contraception", "birth control", "contraceptive pills"}},
	{"colon cancer screening", "", "Z12.11-Z12.12", "", []string{"screening colonoscopy", "colon cancer screening", "colorectal cancer screening"}},
	{"mammogram", "", "Z12.31", "", []string{"screening mammogram", "screening mammography"}},
	{"former smoker", "", "Z87.891", "", []string{"former smoker", "quit smoking", "ex-smoker", "tobacco use", "smoker"}},
	{"appendectomy", "", "Z90.49", "", []string{"appendectomy", "absence of the appendix", "cholecystectomy"}},
	{"long-term insulin", "", "Z79.4", "", []string{"insulin"}},
	{"long-term anticoagulant", "", "Z79.01", "", []string{"anticoagulant", "anticoagulation", "warfarin", "apixaban", "rivaroxaban"}},
	{"long-term oral hypoglycemic", "", "Z79.84", "", []string{"metformin", "oral hypoglycemic"}},
	{"menopausal symptoms", "", "N95.1", "", []string{"menopausal symptoms", "menopause", "hot flashes", "perimenopausal symptoms"}},
	{"chest pain", "", "R07", "", []string{"chest pain"}},
	{"cough", "", "R05", "", []string{"cough"}},
	{"shortness of breath", "", "R06.0", "", []string{"shortness of breath", "dyspnea", "sob"}},
	{"fatigue", "", "R53", "", []string{"fatigue", "tired", "malaise"}},
	{"fever", "", "R50", "", []string{"fever", "febrile"}},
	{"headache", "", "R51", "", []string{"headache"}},
	{"abdominal pain", "", "R10", "", []string{"abdominal pain"}},
	{"dysuria", "", "R30.0", "", []string{"dysuria", "painful urination"}},
	{"hematuria", "", "R31", "", []string{"hematuria", "blood in urine"}},
	{"dizziness", "", "R42", "", []string{"dizziness", "dizzy", "lightheaded"}},
	{"hyperglycemia", "", "R73.9", "", []string{"hyperglycemia", "elevated glucose", "high blood sugar"}},
	{"joint pain", "", "M25.5", "", []string{"joint pain", "arthralgia"}},
	{"knee pain", "", "M25.56", "", []string{"knee pain"}},
	{"low back pain", "", "M54.5", "", []string{"low back pain", "lumbago", "lower back pain"}},
	{"laceration", "", "S01.0-S01.9 S11 S21 S31 S41 S51 S61 S71 S81 S91", "", []string{"laceration", "cut"}},
	{"sprain", "", "S03 S13 S23 S33 S43 S53 S63 S73 S83 S93", "", []string{"sprain", "sprained"}},
	{"fracture", "", "S02 S12 S22 S32 S42 S52 S62 S72 S82 S92", "", []string{"fracture", "fx"}},
}

// historyOf maps family and personal history codes to the concepts whose
// words document them ("Family history: father with colon cancer" supports
// Z80.0). Their titles alone ("malignant neoplasm of digestive organs")
// rarely match a note's words.
var historyOf = []struct {
	prefix   string
	concepts []string
}{
	{"Z80.0", []string{"colon cancer"}},
	{"Z80.1", []string{"lung cancer"}},
	{"Z80.3", []string{"breast cancer"}},
	{"Z80.42", []string{"prostate cancer"}},
	{"Z82.3", []string{"stroke"}},
	{"Z82.49", []string{"coronary artery disease", "myocardial infarction"}},
	{"Z82.5", []string{"asthma", "copd"}},
	{"Z83.3", []string{"diabetes", "type 1 diabetes", "type 2 diabetes"}},
	{"Z83.42", []string{"hyperlipidemia"}},
	{"Z82.0", []string{"epilepsy"}},
	{"Z81.8", []string{"depression", "bipolar disorder", "schizophrenia"}},
	{"Z85.3", []string{"breast cancer"}},
	{"Z85.038", []string{"colon cancer"}},
	{"Z85.048", []string{"colon cancer"}},
	{"Z85.46", []string{"prostate cancer"}},
	{"Z85.118", []string{"lung cancer"}},
	{"Z86.73", []string{"stroke"}},
	{"Z86.718", []string{"deep vein thrombosis"}},
	{"Z86.711", []string{"pulmonary embolism"}},
	{"Z86.74", []string{"cardiac arrest"}},
	{"Z87.440", []string{"urinary tract infection"}},
	{"Z87.891", []string{"former smoker"}},
}

// notConditionNext are words that, right after a condition's name, make the
// mention about something else: "influenza vaccine", "lung cancer
// screening", "strep test", "seizure precautions".
var notConditionNext = map[string]bool{"vaccine": true, "vaccines": true, "vaccination": true, "vaccinated": true,
	"immunization": true, "shot": true, "screening": true, "screen": true, "test": true, "tests": true, "testing": true,
	"swab": true, "panel": true, "precautions": true, "prophylaxis": true, "education": true, "risk": true,
	"awareness": true, "clinic": true, "program": true, "specialist": true, "society": true}

// rewrites add what clinicians write for the formal words of ICD-10-CM
// titles. Each title phrase containing a key also yields the phrase with
// the key replaced by each value.
var rewrites = []struct {
	from string
	to   []string
}{
	{"malignant neoplasm", []string{"cancer", "carcinoma", "malignancy"}},
	{"benign neoplasm", []string{"benign tumor"}},
	{"diabetes mellitus", []string{"diabetes", "dm"}},
	{"type 2 diabetes", []string{"type ii diabetes"}},
	{"type 1 diabetes", []string{"type i diabetes"}},
	{"cerebral infarction", []string{"stroke", "cva"}},
	{"lower end of", []string{"distal"}},
	{"upper end of", []string{"proximal"}},
	{"spontaneous abortion", []string{"miscarriage"}},
	{"atherosclerotic heart disease of native coronary artery", []string{"coronary artery disease", "cad"}},
	{"gastro-esophageal reflux disease", []string{"gerd", "acid reflux"}},
	{"major depressive disorder", []string{"major depression", "mdd"}},
	{"human immunodeficiency virus", []string{"hiv"}},
	{"urinary tract infection", []string{"uti"}},
	{"chronic kidney disease", []string{"ckd"}},
	{"chronic obstructive pulmonary disease", []string{"copd"}},
	{"otitis media", []string{"ear infection"}},
	{"hypertension", []string{"htn"}},
	{"hyperlipidemia", []string{"hld"}},
	{"osteoarthritis", []string{"oa", "degenerative joint disease"}},
}
