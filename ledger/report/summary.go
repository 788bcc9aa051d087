package report

import (
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// Day summarises a worker's activity on one calendar day.
type Day struct {
	Date    string `json:"date"` // YYYY-MM-DD in the report's Location
	Events  int    `json:"events"`
	Permits int    `json:"permits"` // decisions permit and success
	Denies  int    `json:"denies"`  // decisions deny and failure
	Errors  int    `json:"errors"`
	// Patients counts the distinct patients whose records the worker
	// read (permitted fhir.* actions); DeniedPatients those whose records
	// the worker was refused.
	Patients       int `json:"patients"`
	DeniedPatients int `json:"denied_patients"`
}

// Summary accumulates rows into days.
type Summary struct {
	loc  *time.Location
	days map[string]*daySet
}

type daySet struct {
	Day
	patients, denied map[string]bool
}

// NewSummary returns an empty summary whose days begin at midnight in loc
// (UTC when nil).
func NewSummary(loc *time.Location) *Summary {
	if loc == nil {
		loc = time.UTC
	}
	return &Summary{loc: loc, days: map[string]*daySet{}}
}

// Add counts r.
func (s *Summary) Add(r *Row) {
	date := r.Time.In(s.loc).Format(time.DateOnly)
	d := s.days[date]
	if d == nil {
		d = &daySet{Day: Day{Date: date}, patients: map[string]bool{}, denied: map[string]bool{}}
		s.days[date] = d
	}
	d.Events++
	permitted := false
	switch r.Decision {
	case ward.DecisionPermit, ward.DecisionSuccess:
		d.Permits++
		permitted = true
	case ward.DecisionDeny, ward.DecisionFailure:
		d.Denies++
	default:
		d.Errors++
	}
	if r.PatientRef == "" || !strings.HasPrefix(r.Action, "fhir.") {
		return
	}
	if permitted {
		d.patients[r.PatientRef] = true
	} else if r.Decision != ward.DecisionError {
		d.denied[r.PatientRef] = true
	}
}

// Days returns the days with activity, oldest first.
func (s *Summary) Days() []Day {
	days := make([]Day, 0, len(s.days))
	for _, d := range s.days {
		d.Patients, d.DeniedPatients = len(d.patients), len(d.denied)
		days = append(days, d.Day)
	}
	slices.SortFunc(days, func(a, b Day) int { return strings.Compare(a.Date, b.Date) })
	return days
}
