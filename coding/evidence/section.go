package evidence

import "strings"

// headings maps a normalized heading (lower-case words joined by single
// spaces, punctuation dropped: "A/P" → "a p") to its kind. It covers the
// headings of ward's demo EHR notes (ehrdemo/notes.go) and the usual
// variants of H&P, progress, consult and discharge notes.
var headings = map[string]SectionKind{}

func init() {
	for kind, names := range map[SectionKind][]string{
		SectionNone: {"progress note", "history and physical note", "history and physical", "h&p", "consultation note",
			"consult note", "discharge summary", "emergency department note", "ed note", "clinic note", "office visit",
			"office note", "soap note", "operative note"},
		SectionChiefComplaint: {"chief complaint", "cc", "reason for visit", "reason for encounter", "presenting complaint",
			"chief complaints", "reason for consultation"},
		SectionHPI: {"history of present illness", "hpi", "present illness", "history", "interval history", "subjective",
			"history of the present illness"},
		SectionPastHistory: {"past medical history", "pmh", "pmhx", "past history", "medical history", "past surgical history",
			"psh", "surgical history", "past medical and surgical history", "past medical surgical history",
			"prior medical history"},
		SectionFamilyHistory: {"family history", "fh", "fhx", "family hx", "family medical history"},
		SectionSocialHistory: {"social history", "sh", "social hx", "social"},
		SectionROS:           {"review of systems", "ros", "systems review"},
		SectionExam: {"physical examination", "physical exam", "exam", "examination", "pe", "objective", "vital signs",
			"vitals"},
		SectionResults: {"results", "labs", "laboratory", "lab results", "laboratory results", "data", "imaging",
			"diagnostics", "studies", "radiology", "diagnostic studies"},
		SectionProcedures: {"procedures", "procedure", "procedures performed", "procedure note"},
		SectionAssessment: {"assessment and plan", "assessment plan", "a p", "a&p", "assessment", "impression",
			"impression and plan", "impression plan", "diagnoses", "diagnosis", "dx", "final diagnosis", "final diagnoses",
			"discharge diagnosis", "discharge diagnoses", "problem list", "active problems", "clinical impression",
			"assessment and recommendations"},
		SectionPlan:         {"plan", "plan of care", "recommendations", "disposition", "follow up", "followup"},
		SectionMedications:  {"medications", "current medications", "meds", "medication list", "home medications"},
		SectionAllergies:    {"allergies", "allergy", "drug allergies"},
		SectionInstructions: {"patient instructions", "instructions", "discharge instructions", "return precautions", "patient education"},
		SectionOther:        {"immunizations", "immunization history", "preventive care", "health maintenance", "attestation"},
	} {
		for _, n := range names {
			headings[normalizeHeading(n)] = kind
		}
	}
}

// normalizeHeading lower-cases s and keeps its words, single-spaced.
func normalizeHeading(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isLetter(c) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteByte(lower(c))
		} else {
			space = true
		}
	}
	return b.String()
}

// normalizeInto is normalizeHeading appending to b, without allocating
// when b has room.
func normalizeInto(b []byte, s string) []byte {
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isLetter(c) {
			if space && len(b) > 0 {
				b = append(b, ' ')
			}
			space = false
			b = append(b, lower(c))
		} else {
			space = true
		}
	}
	return b
}

// maxHeading is the longest heading text considered, in bytes.
const maxHeading = 48

// heading reports whether line (a whole line) starts with a known section
// heading: "ASSESSMENT AND PLAN:", "Family history: ..." or a line that is
// only a known heading. It returns the kind and the end of the heading text
// and of the heading including its colon, relative to line.
func heading(line string) (kind SectionKind, textEnd, end int, ok bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i == len(line) || !isLetter(line[i]) {
		return 0, 0, 0, false
	}
	j := i
	for j < len(line) && j-i <= maxHeading {
		c := line[j]
		if c == ':' {
			break
		}
		if !(isLetter(c) || c == ' ' || c == '/' || c == '&' || c == '-' || c == '(' || c == ')' || c == '\'') {
			return 0, 0, 0, false
		}
		j++
	}
	if j-i > maxHeading {
		return 0, 0, 0, false
	}
	var buf [maxHeading + 1]byte
	if j < len(line) && line[j] == ':' {
		k, found := headings[string(normalizeInto(buf[:0], line[i:j]))]
		if !found {
			return 0, 0, 0, false
		}
		return k, j, j + 1, true
	}
	// A line that is nothing but a known heading, such as "Assessment".
	text := strings.TrimRight(line[i:j], " \t")
	if len(text) != len(strings.TrimRight(line[i:], " \t\r")) {
		return 0, 0, 0, false
	}
	k, found := headings[string(normalizeInto(buf[:0], text))]
	if !found {
		return 0, 0, 0, false
	}
	return k, i + len(text), i + len(text), true
}
