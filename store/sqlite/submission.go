package sqlite

import (
	"context"

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

const submissionCols = `id, task_id, worker_id, patient_ref, encounter_ref, date_of_service, patient_age,
	patient_sex, diagnoses, procedures, status, created_at, updated_at`

func scanSubmission(s scanner) (*ward.Submission, error) {
	var v ward.Submission
	if err := s.Scan(&v.ID, refDest{&v.TaskID}, refDest{&v.WorkerID}, &v.PatientRef, &v.EncounterRef,
		dateDest{&v.DateOfService}, &v.PatientAge, &v.PatientSex, jsonDest{&v.Diagnoses}, jsonDest{&v.Procedures},
		&v.Status, timeDest{&v.CreatedAt}, timeDest{&v.UpdatedAt}); err != nil {
		return nil, err
	}
	normalizeSubmission(&v)
	return &v, nil
}

func normalizeSubmission(s *ward.Submission) {
	s.Diagnoses = canon.Slice(s.Diagnoses)
	s.Procedures = canon.Slice(s.Procedures)
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
	return findOne(ctx, tx, submissionCols, "submissions", id, scanSubmission, "Submission not found.")
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
	eq(&w, "status", filter.Status)
	return find(ctx, tx, submissionCols, "submissions", &w, "id", filter.Page, scanSubmission)
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
	if _, err := tx.exec(ctx, `INSERT INTO submissions (`+submissionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, nullString(c.TaskID), nullString(c.WorkerID), c.PatientRef, c.EncounterRef,
		formatDate(c.DateOfService), c.PatientAge, c.PatientSex, diagnoses, procedures, string(c.Status),
		formatTime(c.CreatedAt), formatTime(c.UpdatedAt)); err != nil {
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
