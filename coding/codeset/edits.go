package codeset

import "strings"

// Age and sex edits in the style of the Medicare Code Editor (MCE).
//
// CMS publishes the MCE's code lists in the "Definitions of Medicare Code
// Edits" with each IPPS release; ward does not ship them. Instead it
// derives the four classic MCE age categories and the two sex categories
// from the code set itself, by rules written from the ICD-10-CM chapter
// structure, the MCE definitions' documented scope and the code titles:
//
//   - Newborn (age 0): chapter 16, P00-P96 (certain conditions originating
//     in the perinatal period); Z38 (liveborn infants); Z05 (observation
//     and evaluation of newborns); Z00.11- (newborn health examination).
//   - Pediatric (ages 0-17): Z00.12- (routine child health examination),
//     Z00.2, Z00.3, Z76.1, Z76.2, R62.0, R62.5-, R68.11, R68.12, R10.83
//     (infantile colic) and L22 (diaper dermatitis).
//   - Maternity (ages 12-55): chapter 15, O00-O9A; Z33.1, Z34, Z36, Z37,
//     Z39 and Z3A (pregnancy, delivery and postpartum encounters).
//   - Adult (ages 15-124): Z00.0- (general adult medical examination), R54,
//     N95 (menopausal disorders) and titles with the words "adult" or
//     "age-related" (age-related osteoporosis, cataract, macular
//     degeneration, cognitive decline; adult abuse; adult failure to thrive).
//   - Female only: maternity codes; N70-N98; C51-C58; D06; D07.0-D07.3;
//     D25-D28; D39; E28; Q50-Q52; R87; Z01.41-; Z30.43-; Z32; Z87.5-;
//     Z90.71-; Z90.72-; Z97.5; and titles naming a female organ or state
//     (female, uterus, ovary, cervix, vulva, vagina, endometrium, fallopian,
//     menstruation, menopause, pregnancy, puerperium, childbirth).
//   - Male only: N40-N53; C60-C63; D07.4-D07.6; D29; D40; E29; Q53-Q55;
//     R86; Z12.5; and titles naming a male organ (male, prostate, testis,
//     scrotum, penis, epididymis, spermatic cord, seminal vesicle, vas
//     deferens).
//
// Title words are not read in chapter 16 (newborns "affected by maternal"
// conditions are not female), in Z80-Z84 (a family history of ovarian cancer
// is not sex-specific), or for Q56 and Q90-Q99 (disorders of sex
// development and chromosomal anomalies).
//
// Limits: this is an approximation of the MCE lists, not a copy. It can
// miss MCE codes whose titles name no organ and flag a few the MCE does not
// list; a newer MCE moved the maternity range to 9-64. Findings name the
// rule so that a reviewer can overrule them.

// Sex is a code's sex edit.
type Sex uint8

// Sex edits.
const (
	SexAny    Sex = iota
	SexFemale     // female patients only
	SexMale       // male patients only
)

// String returns "any", "female" or "male".
func (s Sex) String() string {
	switch s {
	case SexFemale:
		return "female"
	case SexMale:
		return "male"
	}
	return "any"
}

// AgeEdit is a code's MCE age category.
type AgeEdit uint8

// Age categories.
const (
	AgeAny       AgeEdit = iota
	AgeNewborn           // age 0
	AgePediatric         // ages 0-17
	AgeMaternity         // ages 12-55
	AgeAdult             // ages 15-124
)

// String returns the category's name.
func (a AgeEdit) String() string {
	switch a {
	case AgeNewborn:
		return "newborn"
	case AgePediatric:
		return "pediatric"
	case AgeMaternity:
		return "maternity"
	case AgeAdult:
		return "adult"
	}
	return "any"
}

// Range returns the ages in years, inclusive, that the category allows.
func (a AgeEdit) Range() (lo, hi int) {
	switch a {
	case AgeNewborn:
		return 0, 0
	case AgePediatric:
		return 0, 17
	case AgeMaternity:
		return 12, 55
	case AgeAdult:
		return 15, 124
	}
	return 0, 200
}

// Allows reports whether a patient of the given age may have the code.
func (a AgeEdit) Allows(age int) bool {
	lo, hi := a.Range()
	return age >= lo && age <= hi
}

// ranges compiles range specs: "lo-hi" or a prefix, keys without dots.
func ranges(spec ...string) []Range {
	out := make([]Range, len(spec))
	for i, s := range spec {
		lo, hi, ok := strings.Cut(s, "-")
		if !ok {
			hi = lo
		}
		out[i] = Range{lo, hi}
	}
	return out
}

func inRange(k string, rs []Range) bool {
	for _, r := range rs {
		if r.Contains(k) {
			return true
		}
	}
	return false
}

var (
	newbornRanges   = ranges("P00-P96", "Z38", "Z05", "Z0011")
	pediatricRanges = ranges("Z0012", "Z002", "Z003", "Z761", "Z762", "R620", "R625", "R6811", "R6812", "R1083", "L22")
	maternityRanges = ranges("O00-O9A", "Z331", "Z34", "Z36", "Z37", "Z39", "Z3A")
	adultRanges     = ranges("Z000", "R54", "N95")
	femaleRanges    = ranges("N70-N98", "C51-C58", "D06", "D070-D073", "D25-D28", "D39", "E28", "Q50-Q52", "R87",
		"Z0141", "Z3043", "Z32", "Z875", "Z9071", "Z9072", "Z975")
	maleRanges        = ranges("N40-N53", "C60-C63", "D074-D076", "D29", "D40", "E29", "Q53-Q55", "R86", "Z125")
	noTitleSex        = ranges("P00-P96", "Z80-Z84", "Q56", "Q90-Q99")
	familyHistoryKeys = ranges("Z80-Z84")
	femaleWords       = map[string]bool{"female": true, "uterus": true, "uterine": true, "ovary": true, "ovaries": true,
		"ovarian": true, "vulva": true, "vulvar": true, "vagina": true, "vaginal": true, "vulvovaginal": true,
		"cervix": true, "fallopian": true, "pregnancy": true, "pregnant": true, "childbirth": true, "obstetric": true,
		"parametrium": true, "uteri": true, "menopause": true, "menopausal": true, "postmenopausal": true,
		"perimenopausal": true, "premenstrual": true, "dysmenorrhea": true, "amenorrhea": true, "menorrhagia": true}
	femalePrefixes = []string{"endometri", "salping", "oophor", "puerper", "menstrua"}
	maleWords      = map[string]bool{"male": true, "prostate": true, "prostatic": true, "prostatitis": true, "testis": true,
		"testes": true, "testicle": true, "testicular": true, "scrotum": true, "scrotal": true, "penis": true,
		"penile": true, "epididymis": true, "epididymitis": true, "spermatic": true, "seminal": true, "deferens": true}
)

// editsFor derives the sex and age edits of one code.
func editsFor(k, title string) (Sex, AgeEdit) {
	var sex Sex
	var age AgeEdit
	switch {
	case inRange(k, newbornRanges):
		age = AgeNewborn
	case inRange(k, maternityRanges):
		age, sex = AgeMaternity, SexFemale
	case inRange(k, pediatricRanges):
		age = AgePediatric
	case inRange(k, adultRanges):
		age = AgeAdult
	}
	switch {
	case sex != SexAny:
	case inRange(k, femaleRanges):
		sex = SexFemale
	case inRange(k, maleRanges):
		sex = SexMale
	}
	ageWords := age == AgeAny && !inRange(k, familyHistoryKeys)
	sexWords := sex == SexAny && !inRange(k, noTitleSex)
	if !ageWords && !sexWords {
		return sex, age
	}
	f, m, adult := false, false, false
	eachWord(title, func(w []byte) {
		switch {
		case string(w) == "adult" || string(w) == "age-related":
			adult = true
		case femaleWords[string(w)]:
			f = true
		case maleWords[string(w)]:
			m = true
		default:
			for _, p := range femalePrefixes {
				if len(w) >= len(p) && string(w[:len(p)]) == p {
					f = true
				}
			}
		}
	})
	if ageWords && adult {
		age = AgeAdult
	}
	if sexWords {
		switch {
		case f && !m:
			sex = SexFemale
		case m && !f:
			sex = SexMale
		}
	}
	return sex, age
}

// eachWord calls fn with each lower-cased word of s (letters and hyphens),
// without allocating; words longer than 32 bytes are skipped.
func eachWord(s string, fn func([]byte)) {
	var buf [32]byte
	n := 0
	flush := func() {
		if n > 0 && n <= len(buf) {
			fn(buf[:n])
		}
		n = 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
			fallthrough
		case c >= 'a' && c <= 'z' || c == '-':
			if n < len(buf) {
				buf[n] = c
			}
			n++
		default:
			flush()
		}
	}
	flush()
}

func deriveEdits(v *ICD10CM) {
	for i := range v.codes {
		c := &v.codes[i]
		c.Sex, c.Age = editsFor(c.Key, c.Title)
	}
}
