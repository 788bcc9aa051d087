package evidence

import "fmt"

// Status is what a note says about a concept. Do not reorder: the values
// are compared and stored by number.
type Status uint8

// Statuses of a mention.
const (
	Absent       Status = iota // the note does not mention the concept
	Affirmed                   // the note asserts the concept for the patient, now
	Negated                    // "denies chest pain", "no fever", "pneumonia was ruled out"
	Hypothetical               // "return if fever", "rule out pneumonia", "possible UTI"
	Historical                 // "history of DVT", "s/p appendectomy", the past medical history section
	Family                     // "mother with breast cancer", the family history section
)

var statusNames = [...]string{"absent", "affirmed", "negated", "hypothetical", "historical", "family"}

// String returns the lower-case name used in JSON: "affirmed", "negated", ...
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// MarshalText encodes s by name.
func (s Status) MarshalText() ([]byte, error) {
	if int(s) >= len(statusNames) {
		return nil, fmt.Errorf("invalid status %d", uint8(s))
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText decodes a status name.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if n == string(b) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("unknown status %q", b)
}

// rank orders statuses when one term has several mentions: the mention
// reported for the term is the one with the lowest rank. Statuses about the
// patient come before the family's.
var rank = [...]int{Absent: 9, Affirmed: 0, Historical: 1, Hypothetical: 2, Negated: 3, Family: 4}

// Better reports whether s should be reported in preference to t.
func (s Status) Better(t Status) bool { return rank[s] < rank[t] }

// SectionKind classifies a note section by its heading. Do not reorder.
type SectionKind uint8

// Section kinds.
const (
	SectionNone           SectionKind = iota // before any known heading, or the note's title
	SectionChiefComplaint                    // CHIEF COMPLAINT, CC, Reason for visit
	SectionHPI                               // HISTORY OF PRESENT ILLNESS, HPI, Subjective
	SectionPastHistory                       // PAST MEDICAL/SURGICAL HISTORY, PMH, PSH
	SectionFamilyHistory                     // FAMILY HISTORY, FH
	SectionSocialHistory                     // SOCIAL HISTORY, SH
	SectionROS                               // REVIEW OF SYSTEMS, ROS
	SectionExam                              // PHYSICAL EXAMINATION, Exam, Objective, Vital signs
	SectionResults                           // RESULTS, Labs, Imaging
	SectionProcedures                        // PROCEDURES
	SectionAssessment                        // ASSESSMENT AND PLAN, Assessment, Impression, Diagnoses, Problem list
	SectionPlan                              // Plan, Recommendations, Follow-up
	SectionMedications                       // Medications
	SectionAllergies                         // Allergies
	SectionInstructions                      // Patient instructions, Return precautions
	SectionOther                             // a known heading of no special meaning (Immunizations)
)

var sectionNames = [...]string{"none", "chief_complaint", "hpi", "past_history", "family_history", "social_history",
	"ros", "exam", "results", "procedures", "assessment", "plan", "medications", "allergies", "instructions", "other"}

// String returns a snake_case name such as "family_history".
func (k SectionKind) String() string {
	if int(k) < len(sectionNames) {
		return sectionNames[k]
	}
	return fmt.Sprintf("SectionKind(%d)", uint8(k))
}

// MarshalText encodes k by name.
func (k SectionKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }
