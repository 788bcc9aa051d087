package ward

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	// TeamID and VendorID are the coder's at submission, kept so that
	// accuracy by team and vendor does not change when people move.
	TeamID   string `json:"team_id,omitempty"`
	VendorID string `json:"vendor_id,omitempty"`
	// Findings are the checks' findings, in the order found, with each
	// reviewer decision.
	Findings []CodingFinding `json:"findings"`
	// Review is the reviewer's outcome: nil until reviewed.
	Review    *SubmissionReview `json:"review,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Finding sources.
const (
	FindingSourceRules = "rules" // ward's deterministic checks
	FindingSourceLLM   = "llm"   // the optional second reviewer
)

// Reviewer decisions on a finding.
const (
	FindingPending    = ""           // not reviewed yet
	FindingAccepted   = "accepted"   // the finding was right: the coder erred
	FindingOverturned = "overturned" // the finding was wrong: the coder was right
)

// CodingFinding is one finding of the coding checks on a submission, as
// stored: what the coding package found and what a reviewer decided.
type CodingFinding struct {
	ID       string   `json:"id"` // unique within the submission: "f1", "f2", ...
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"` // error or warning
	Source   string   `json:"source"`   // rules or llm
	Message  string   `json:"message"`
	Codes    []string `json:"codes,omitempty"`
	Fields   []string `json:"fields,omitempty"`
	Span     []int    `json:"span,omitempty"` // [start, end) bytes of the note
	Excerpt  string   `json:"excerpt,omitempty"`
	Status   string   `json:"status,omitempty"` // what the note says: affirmed, negated, ...
	Suggest  []string `json:"suggest,omitempty"`
	Decision string   `json:"decision,omitempty"` // "", accepted, overturned
}

// SubmissionReview is a reviewer's outcome for a submission in review: a
// decision on every finding and the final codes.
type SubmissionReview struct {
	ReviewerID      string            `json:"reviewer_id"`
	Decisions       []FindingDecision `json:"decisions"`
	FinalDiagnoses  []CodedDiagnosis  `json:"final_diagnoses"`
	FinalProcedures []CodedProcedure  `json:"final_procedures"`
	Note            string            `json:"note,omitempty"`
	ReviewedAt      time.Time         `json:"reviewed_at"`
}

// FindingDecision is a reviewer's decision on one finding.
type FindingDecision struct {
	FindingID string `json:"finding_id"`
	Decision  string `json:"decision"` // accepted or overturned
}

// Validate returns an EINVALID error naming the first invalid field. Every
// finding of sub must be decided exactly once.
func (r *SubmissionReview) Validate(sub *Submission) error {
	seen := make(map[string]bool)
	known := make(map[string]bool)
	for _, f := range sub.Findings {
		known[f.ID] = true
	}
	for i, d := range r.Decisions {
		f := fmt.Sprintf("decisions[%d]", i)
		if !known[d.FindingID] {
			return FieldErrorf(f+".finding_id", "Submission %s has no finding %q.", sub.ID, d.FindingID)
		}
		if seen[d.FindingID] {
			return FieldErrorf(f+".finding_id", "Finding %s is decided twice.", d.FindingID)
		}
		seen[d.FindingID] = true
		if d.Decision != FindingAccepted && d.Decision != FindingOverturned {
			return FieldErrorf(f+".decision", "decision must be accepted or overturned.")
		}
	}
	for _, f := range sub.Findings {
		if !seen[f.ID] {
			return FieldErrorf("decisions", "Finding %s has no decision.", f.ID)
		}
	}
	if len(r.FinalDiagnoses) == 0 {
		return FieldErrorf("final_diagnoses", "final_diagnoses is required: the codes the chart should carry.")
	}
	final := Submission{EncounterRef: sub.EncounterRef, DateOfService: sub.DateOfService, PatientAge: sub.PatientAge,
		PatientSex: sub.PatientSex, Diagnoses: r.FinalDiagnoses, Procedures: r.FinalProcedures}
	if err := final.Validate(); err != nil {
		var e *Error
		if errors.As(err, &e) && strings.HasPrefix(e.Field, "diagnoses") {
			return FieldErrorf("final_"+e.Field, "%s", e.Message)
		}
		if errors.As(err, &e) && strings.HasPrefix(e.Field, "procedures") {
			return FieldErrorf("final_"+e.Field, "%s", e.Message)
		}
		return err
	}
	if len(r.Note) > 2000 {
		return FieldErrorf("note", "note must be at most 2000 bytes.")
	}
	return nil
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
	TeamID   *string
	VendorID *string
	Status   *SubmissionStatus
	From, To *time.Time // CreatedAt: From inclusive, To exclusive
	Page
}

// SubmissionService stores coding submissions.
type SubmissionService interface {
	// FindSubmissionByID returns ENOTFOUND if the submission does not exist.
	FindSubmissionByID(ctx context.Context, id string) (*Submission, error)
	// FindSubmissions returns matching submissions ordered by ID and the
	// total count.
	FindSubmissions(ctx context.Context, filter SubmissionFilter) ([]*Submission, int, error)
	// CreateSubmission stores s with its Findings (Review must be nil).
	// Returns EINVALID, also naming task_id or worker_id when set to an
	// unknown record.
	CreateSubmission(ctx context.Context, s *Submission) error
	// SetSubmissionStatus records a review outcome. Returns ENOTFOUND or
	// EINVALID.
	SetSubmissionStatus(ctx context.Context, id string, status SubmissionStatus) (*Submission, error)
	// ReviewSubmission records a review of a submission in review: the
	// decision on each finding, the final codes, and status accepted when
	// the final codes equal the submitted ones (same codes, order aside),
	// else corrected. ReviewedAt is set from the store's clock. Returns
	// ENOTFOUND, EINVALID (rev.Validate), or EUNPROCESSABLE when the
	// submission is not in review.
	ReviewSubmission(ctx context.Context, id string, rev *SubmissionReview) (*Submission, error)
}
