package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.SubmissionService = (*SubmissionService)(nil)

// SubmissionService implements ward.SubmissionService on SQLite.
type SubmissionService struct {
	db *DB
}

// NewSubmissionService returns a SubmissionService backed by db.
func NewSubmissionService(db *DB) *SubmissionService {
	return &SubmissionService{db: db}
}

// submissionCols are the columns CreateSubmission inserts and, followed by
// reviewCols, the columns scanSubmission reads.
const submissionCols = `id, task_id, worker_id, patient_ref, encounter_ref, date_of_service, patient_age,
	patient_sex, diagnoses, procedures, status, created_at, updated_at, team_id, vendor_id, findings`

// reviewCols hold the review: all NULL until the submission is reviewed.
const reviewCols = `reviewer_id, decisions, final_diagnoses, final_procedures, review_note, reviewed_at`

const submissionReadCols = submissionCols + `, ` + reviewCols

func scanSubmission(s scanner) (*ward.Submission, error) {
	var v ward.Submission
	var reviewerID, decisions, finalDiagnoses, finalProcedures, note sql.NullString
	var reviewedAt *time.Time
	if err := s.Scan(&v.ID, refDest{&v.TaskID}, refDest{&v.WorkerID}, &v.PatientRef, &v.EncounterRef,
		dateDest{&v.DateOfService}, &v.PatientAge, &v.PatientSex, jsonDest{&v.Diagnoses}, jsonDest{&v.Procedures},
		&v.Status, timeDest{&v.CreatedAt}, timeDest{&v.UpdatedAt}, refDest{&v.TeamID}, refDest{&v.VendorID},
		jsonDest{&v.Findings}, &reviewerID, &decisions, &finalDiagnoses, &finalProcedures, &note,
		timePtrDest{&reviewedAt}); err != nil {
		return nil, err
	}
	if reviewedAt != nil {
		r := &ward.SubmissionReview{ReviewerID: reviewerID.String, Note: note.String, ReviewedAt: *reviewedAt}
		for _, c := range []struct {
			col sql.NullString
			p   any
		}{{decisions, &r.Decisions}, {finalDiagnoses, &r.FinalDiagnoses}, {finalProcedures, &r.FinalProcedures}} {
			if c.col.Valid {
				if err := (jsonDest{c.p}).Scan(c.col.String); err != nil {
					return nil, err
				}
			}
		}
		v.Review = r
	}
	normalizeSubmission(&v)
	return &v, nil
}

// normalizeSubmission gives s its stored form: list fields non-nil, and
// the optional (omitempty) lists of findings nil when empty.
func normalizeSubmission(s *ward.Submission) {
	s.Diagnoses = canon.Slice(s.Diagnoses)
	s.Procedures = canon.Slice(s.Procedures)
	s.Findings = normalizeFindings(s.Findings)
	if s.Review != nil {
		normalizeReview(s.Review)
	}
}

func normalizeFindings(fs []ward.CodingFinding) []ward.CodingFinding {
	out := make([]ward.CodingFinding, len(fs))
	for i, f := range fs {
		f.Codes, f.Fields, f.Span, f.Suggest = nilIfEmpty(f.Codes), nilIfEmpty(f.Fields), nilIfEmpty(f.Span), nilIfEmpty(f.Suggest)
		out[i] = f
	}
	return out
}

func normalizeReview(r *ward.SubmissionReview) {
	r.Decisions = canon.Slice(r.Decisions)
	r.FinalDiagnoses = canon.Slice(r.FinalDiagnoses)
	r.FinalProcedures = canon.Slice(r.FinalProcedures)
	r.ReviewedAt = canon.Time(r.ReviewedAt)
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// checkFindings returns EINVALID naming findings[i].id unless every
// finding has an ID of its own.
func checkFindings(fs []ward.CodingFinding) error {
	seen := make(map[string]bool, len(fs))
	for i, f := range fs {
		field := fmt.Sprintf("findings[%d].id", i)
		if f.ID == "" {
			return ward.FieldErrorf(field, "id is required.")
		}
		if seen[f.ID] {
			return ward.FieldErrorf(field, "Finding ID %s is used twice.", f.ID)
		}
		seen[f.ID] = true
	}
	return nil
}

// reviewStatus returns accepted when the final codes of r are the codes of
// sub, as sets (diagnoses and procedures apart; order, sequence, units and
// modifiers aside), else corrected.
func reviewStatus(sub *ward.Submission, r *ward.SubmissionReview) ward.SubmissionStatus {
	if sameCodes(dxCodes(sub.Diagnoses), dxCodes(r.FinalDiagnoses)) &&
		sameCodes(pxCodes(sub.Procedures), pxCodes(r.FinalProcedures)) {
		return ward.SubmissionAccepted
	}
	return ward.SubmissionCorrected
}

func dxCodes(ds []ward.CodedDiagnosis) map[string]bool {
	m := make(map[string]bool, len(ds))
	for _, d := range ds {
		m[d.Code] = true
	}
	return m
}

func pxCodes(ps []ward.CodedProcedure) map[string]bool {
	m := make(map[string]bool, len(ps))
	for _, p := range ps {
		m[p.Code] = true
	}
	return m
}

func sameCodes(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for c := range a {
		if !b[c] {
			return false
		}
	}
	return true
}

// checkSubmissionStatus returns EINVALID naming status unless s is a
// known submission status. ward.Submission.Validate does not check it.
func checkSubmissionStatus(s ward.SubmissionStatus) error {
	switch s {
	case ward.SubmissionChecked, ward.SubmissionInReview, ward.SubmissionAccepted, ward.SubmissionCorrected:
		return nil
	}
	return ward.FieldErrorf("status", "status must be one of checked, in_review, accepted, corrected.")
}

// FindSubmissionByID returns ENOTFOUND if the submission does not exist.
func (s *SubmissionService) FindSubmissionByID(ctx context.Context, id string) (*ward.Submission, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findSubmissionByID(ctx, tx, id)
}

func findSubmissionByID(ctx context.Context, tx *Tx, id string) (*ward.Submission, error) {
	return findOne(ctx, tx, submissionReadCols, "submissions", id, scanSubmission, "Submission not found.")
}

// FindSubmissions returns matching submissions ordered by ID and the total
// count.
func (s *SubmissionService) FindSubmissions(ctx context.Context, filter ward.SubmissionFilter) ([]*ward.Submission, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eqRef(&w, "task_id", filter.TaskID)
	eqRef(&w, "worker_id", filter.WorkerID)
	eqRef(&w, "team_id", filter.TeamID)
	eqRef(&w, "vendor_id", filter.VendorID)
	eq(&w, "status", filter.Status)
	if filter.From != nil {
		w.add("created_at >= ?", formatTime(*filter.From))
	}
	if filter.To != nil {
		w.add("created_at < ?", formatTime(*filter.To))
	}
	return find(ctx, tx, submissionReadCols, "submissions", &w, "id", filter.Page, scanSubmission)
}

// CreateSubmission returns EINVALID, also naming task_id or worker_id when
// the task or worker does not exist.
func (s *SubmissionService) CreateSubmission(ctx context.Context, sub *ward.Submission) error {
	c := *sub
	normalizeSubmission(&c)
	if err := c.Validate(); err != nil {
		return err
	}
	if err := checkSubmissionStatus(c.Status); err != nil {
		return err
	}
	if c.Review != nil {
		return ward.FieldErrorf("review", "A new submission has no review: use ReviewSubmission.")
	}
	if err := checkFindings(c.Findings); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	if err := tx.checkRef(ctx, "task_id", "tasks", "Task", c.TaskID); err != nil {
		return err
	}
	if err := tx.checkRef(ctx, "worker_id", "workers", "Worker", c.WorkerID); err != nil {
		return err
	}
	if err := tx.checkRef(ctx, "team_id", "teams", "Team", c.TeamID); err != nil {
		return err
	}
	if err := tx.checkRef(ctx, "vendor_id", "vendors", "Vendor", c.VendorID); err != nil {
		return err
	}
	c.ID = ward.NewID(ward.PrefixSubmission, tx.now)
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	diagnoses, err := jsonText(c.Diagnoses)
	if err != nil {
		return err
	}
	procedures, err := jsonText(c.Procedures)
	if err != nil {
		return err
	}
	findings, err := jsonText(c.Findings)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO submissions (`+submissionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, nullString(c.TaskID), nullString(c.WorkerID), c.PatientRef, c.EncounterRef,
		formatDate(c.DateOfService), c.PatientAge, c.PatientSex, diagnoses, procedures, string(c.Status),
		formatTime(c.CreatedAt), formatTime(c.UpdatedAt), nullString(c.TeamID), nullString(c.VendorID), findings); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*sub = c
	return nil
}

// SetSubmissionStatus records a review outcome. Returns ENOTFOUND or
// EINVALID.
func (s *SubmissionService) SetSubmissionStatus(ctx context.Context, id string, status ward.SubmissionStatus) (*ward.Submission, error) {
	if err := checkSubmissionStatus(status); err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	sub, err := findSubmissionByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	sub.Status, sub.UpdatedAt = status, tx.now
	if _, err := tx.exec(ctx, `UPDATE submissions SET status = ?, updated_at = ? WHERE id = ?`,
		string(sub.Status), formatTime(sub.UpdatedAt), sub.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return sub, nil
}

// ReviewSubmission records a review of a submission in review. Returns
// ENOTFOUND, EUNPROCESSABLE when the submission is not in review, or
// EINVALID (rev.Validate). Write transactions hold SQLite's write lock from
// their start, so of two concurrent reviews the second sees the first's
// status and fails.
func (s *SubmissionService) ReviewSubmission(ctx context.Context, id string, rev *ward.SubmissionReview) (*ward.Submission, error) {
	if rev == nil {
		return nil, ward.FieldErrorf("review", "A review is required.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	sub, err := findSubmissionByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if sub.Status != ward.SubmissionInReview {
		return nil, ward.Errorf(ward.EUNPROCESSABLE, "Submission %s is %s, not in review.", sub.ID, sub.Status)
	}
	r := *rev
	normalizeReview(&r)
	if err := r.Validate(sub); err != nil {
		return nil, err
	}
	decision := make(map[string]string, len(r.Decisions))
	for _, d := range r.Decisions {
		decision[d.FindingID] = d.Decision
	}
	for i := range sub.Findings {
		sub.Findings[i].Decision = decision[sub.Findings[i].ID]
	}
	r.ReviewedAt = tx.now
	status := reviewStatus(sub, &r)

	findings, err := jsonText(sub.Findings)
	if err != nil {
		return nil, err
	}
	decisions, err := jsonText(r.Decisions)
	if err != nil {
		return nil, err
	}
	finalDiagnoses, err := jsonText(r.FinalDiagnoses)
	if err != nil {
		return nil, err
	}
	finalProcedures, err := jsonText(r.FinalProcedures)
	if err != nil {
		return nil, err
	}
	res, err := tx.exec(ctx, `UPDATE submissions SET status = ?, findings = ?, reviewer_id = ?, decisions = ?,
		final_diagnoses = ?, final_procedures = ?, review_note = ?, reviewed_at = ?, updated_at = ?
		WHERE id = ? AND status = ?`,
		string(status), findings, r.ReviewerID, decisions, finalDiagnoses, finalProcedures, r.Note,
		formatTime(r.ReviewedAt), formatTime(tx.now), sub.ID, string(ward.SubmissionInReview))
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n != 1 {
		// Unreachable while the transaction holds the write lock; kept so
		// that the status check never rests on the lock alone.
		return nil, ward.Errorf(ward.EUNPROCESSABLE, "Submission %s is no longer in review.", sub.ID)
	}
	// Read back, so that the result is what FindSubmissionByID returns.
	sub, err = findSubmissionByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return sub, nil
}
