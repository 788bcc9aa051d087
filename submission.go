package ward

import (
	"context"
	"fmt"
	"time"
)

// CodedDiagnosis is one ICD-10-CM code on a submission.
type CodedDiagnosis struct {
	Code     string `json:"code"`          // e.g. "E11.9"
	Sequence int    `json:"sequence"`      // 1 = principal / first-listed
	POA      string `json:"poa,omitempty"` // present on admission: Y, N, U, W, 1 or empty
}

// CodedProcedure is one CPT or HCPCS code on a submission.
type CodedProcedure struct {
	Code      string   `json:"code"`
	Units     int      `json:"units"`
	Modifiers []string `json:"modifiers,omitempty"`
}

// SubmissionStatus is where a coding submission is in review.
type SubmissionStatus string

// Submission statuses.
const (
	SubmissionChecked   SubmissionStatus = "checked"   // passed every check
	SubmissionInReview  SubmissionStatus = "in_review" // a finding sent it to a person
	SubmissionAccepted  SubmissionStatus = "accepted"  // a reviewer accepted it as coded
	SubmissionCorrected SubmissionStatus = "corrected" // a reviewer changed the codes
)

// Valid reports whether s is a known status.
func (s SubmissionStatus) Valid() bool {
	switch s {
	case SubmissionChecked, SubmissionInReview, SubmissionAccepted, SubmissionCorrected:
		return true
	}
	return false
}

// Submission is a coder's output for one encounter.
type Submission struct {
	ID            string           `json:"id"`
	TaskID        string           `json:"task_id,omitempty"`
	WorkerID      string           `json:"worker_id,omitempty"`
	PatientRef    string           `json:"patient_ref,omitempty"`
	EncounterRef  string           `json:"encounter_ref"`
	DateOfService Date             `json:"date_of_service"`
	PatientAge    int              `json:"patient_age"` // years at the date of service
	PatientSex    string           `json:"patient_sex"` // F, M or U
	Diagnoses     []CodedDiagnosis `json:"diagnoses"`
	Procedures    []CodedProcedure `json:"procedures"`
	Status        SubmissionStatus `json:"status"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
}

// Validate returns an EINVALID error naming the first invalid field. It
// checks shape only; the coding package checks the codes themselves.
func (s *Submission) Validate() error {
	if !encounterRefPattern.MatchString(s.EncounterRef) {
		return FieldErrorf("encounter_ref", "encounter_ref must be a FHIR reference such as Encounter/456.")
	}
	if s.PatientRef != "" && !patientRefPattern.MatchString(s.PatientRef) {
		return FieldErrorf("patient_ref", "patient_ref must be a FHIR reference such as Patient/123.")
	}
	if s.DateOfService.IsZero() {
		return FieldErrorf("date_of_service", "date_of_service is required.")
	}
	if s.PatientAge < 0 || s.PatientAge > 130 {
		return FieldErrorf("patient_age", "patient_age must be between 0 and 130.")
	}
	switch s.PatientSex {
	case "F", "M", "U":
	default:
		return FieldErrorf("patient_sex", "patient_sex must be F, M or U.")
	}
	if s.Status != "" && !s.Status.Valid() {
		return FieldErrorf("status", "status must be one of checked, in_review, accepted, corrected.")
	}
	if len(s.Diagnoses) == 0 {
		return FieldErrorf("diagnoses", "A submission needs at least one diagnosis.")
	}
	for i, d := range s.Diagnoses {
		f := fmt.Sprintf("diagnoses[%d]", i)
		if d.Code == "" || len(d.Code) > 8 {
			return FieldErrorf(f+".code", "code is required and at most 8 characters.")
		}
		switch d.POA {
		case "", "Y", "N", "U", "W", "1":
		default:
			return FieldErrorf(f+".poa", "poa must be Y, N, U, W, 1 or empty.")
		}
	}
	for i, p := range s.Procedures {
		f := fmt.Sprintf("procedures[%d]", i)
		if p.Code == "" || len(p.Code) > 5 {
			return FieldErrorf(f+".code", "code is required and at most 5 characters.")
		}
		if p.Units < 1 || p.Units > 9999 {
			return FieldErrorf(f+".units", "units must be between 1 and 9999.")
		}
		for j, m := range p.Modifiers {
			if len(m) != 2 {
				return FieldErrorf(fmt.Sprintf("%s.modifiers[%d]", f, j), "A modifier has two characters.")
			}
		}
	}
	return nil
}

// SubmissionFilter selects submissions. Zero fields match all.
type SubmissionFilter struct {
	ID       *string
	TaskID   *string
	WorkerID *string
	Status   *SubmissionStatus
	Page
}

// SubmissionService stores coding submissions.
type SubmissionService interface {
	// FindSubmissionByID returns ENOTFOUND if the submission does not exist.
	FindSubmissionByID(ctx context.Context, id string) (*Submission, error)
	// FindSubmissions returns matching submissions ordered by ID and the
	// total count.
	FindSubmissions(ctx context.Context, filter SubmissionFilter) ([]*Submission, int, error)
	// CreateSubmission returns EINVALID, also naming task_id or worker_id
	// when set to an unknown record.
	CreateSubmission(ctx context.Context, s *Submission) error
	// SetSubmissionStatus records a review outcome. Returns ENOTFOUND or
	// EINVALID.
	SetSubmissionStatus(ctx context.Context, id string, status SubmissionStatus) (*Submission, error)
}
