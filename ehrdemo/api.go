package ehrdemo

import (
	"sort"
	"time"
)

// Coding is a code from a code system, as used in security labels.
type Coding struct {
	System  string
	Code    string
	Display string
}

// Patient summarizes one demo patient for the demo seeder.
type Patient struct {
	ID        string
	Family    string
	Given     string    // first given name of the official name
	BirthDate time.Time // midnight UTC
	Gender    string    // FHIR administrative gender: female, male, other, unknown
	Security  []Coding  // the Patient's meta.security labels
}

// Encounter summarizes one encounter for the demo seeder.
type Encounter struct {
	ID        string
	PatientID string
	Class     string // v3-ActCode: AMB, EMER, IMP
	Type      string // text of the encounter type
	Start     time.Time
	End       time.Time
	// ConditionCodes are the ICD-10-CM codes (with dots) of the conditions
	// diagnosed at the encounter, or, if none, of its reason codes. Diagnoses
	// without a known ICD-10-CM code are left out.
	ConditionCodes []string
	Security       []Coding // the Encounter's meta.security labels
}

// Patients returns a summary of every patient, sorted by family name, given
// name and id. The slice is new on each call.
func (s *Server) Patients() []Patient {
	out := make([]Patient, len(s.data.patients))
	for i, p := range s.data.patients {
		p.Security = append([]Coding(nil), p.Security...)
		out[i] = p
	}
	return out
}

// Encounters returns a summary of every encounter, sorted by start time and
// id. The slice is new on each call.
func (s *Server) Encounters() []Encounter {
	out := make([]Encounter, len(s.data.encounters))
	for i, e := range s.data.encounters {
		e.Security = append([]Coding(nil), e.Security...)
		e.ConditionCodes = append([]string(nil), e.ConditionCodes...)
		out[i] = e
	}
	return out
}

// Note returns the plain-text clinical note ward generated for an encounter,
// the same text as the attachment of its DocumentReference. It reports false
// for an unknown encounter id.
func (s *Server) Note(encounterID string) (string, bool) {
	n, ok := s.data.notes[encounterID]
	return n, ok
}

func toCodings(cs []coding) []Coding {
	var out []Coding
	for _, c := range cs {
		out = append(out, Coding(c))
	}
	return out
}

func (l *loader) patientSummaries() []Patient {
	var out []Patient
	for _, p := range l.ofType("Patient") {
		given, family := patientName(&p.f)
		birth, _ := parseTime(p.f.BirthDate)
		out = append(out, Patient{ID: p.id, Family: family, Given: given, BirthDate: birth, Gender: p.f.Gender, Security: toCodings(p.meta.Security)})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Family != b.Family {
			return a.Family < b.Family
		}
		if a.Given != b.Given {
			return a.Given < b.Given
		}
		return a.ID < b.ID
	})
	return out
}

func (l *loader) encounterSummaries() []Encounter {
	condsAt := map[string][]*codeableConcept{}
	for _, c := range l.ofType("Condition") {
		k := l.resolve(c.f.Encounter)
		condsAt[k] = append(condsAt[k], c.f.Code)
	}
	var out []Encounter
	for _, e := range l.ofType("Encounter") {
		s := Encounter{ID: e.id, Security: toCodings(e.meta.Security)}
		if _, id, ok := splitRef(l.resolve(e.f.Subject)); ok {
			s.PatientID = id
		}
		if e.f.Class != nil {
			s.Class = e.f.Class.Code
		}
		if ts := concepts(e.f.Type); len(ts) > 0 {
			s.Type = ts[0].label()
		}
		s.Start, _ = parseTime(periodStart(e.f.Period))
		s.End, _ = parseTime(periodEnd(e.f.Period))
		codes := condsAt["Encounter/"+e.id]
		if len(codes) == 0 {
			for i := range e.f.ReasonCode {
				codes = append(codes, &e.f.ReasonCode[i])
			}
		}
		seen := map[string]bool{}
		for _, c := range codes {
			icd := c.first(icd10cmSystem)
			if icd.Code == "" {
				if m, ok := icdCoding(c.first(snomedSystem).Code); ok {
					icd = m
				}
			}
			if icd.Code != "" && !seen[icd.Code] {
				seen[icd.Code] = true
				s.ConditionCodes = append(s.ConditionCodes, icd.Code)
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
