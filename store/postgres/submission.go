package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.SubmissionService = (*SubmissionService)(nil)

// SubmissionService stores coding submissions in PostgreSQL. Diagnoses and
// procedures are read and written whole with their submission: they are
// stored as jsonb.
type SubmissionService struct {
	db *DB
}

// NewSubmissionService returns a SubmissionService backed by db.
func NewSubmissionService(db *DB) *SubmissionService {
	return &SubmissionService{db: db}
}

// FindSubmissionByID returns ENOTFOUND if the submission does not exist.
func (s *SubmissionService) FindSubmissionByID(ctx context.Context, id string) (*ward.Submission, error) {
	var sub *ward.Submission
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		sub, err = findSubmissionByID(ctx, tx, id, false)
		return err
	})
	return sub, err
}

// FindSubmissions returns matching submissions ordered by ID and the total
// count ignoring paging. Returns EINVALID for a bad page.
func (s *SubmissionService) FindSubmissions(ctx context.Context, filter ward.SubmissionFilter) ([]*ward.Submission, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eqOptional(&q, "task_id", filter.TaskID)
	eqOptional(&q, "worker_id", filter.WorkerID)
	eq(&q, "status", filter.Status)
	var list []*ward.Submission
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "submissions", submissionColumns, &q, "id", filter.Page, scanSubmission)
		return err
	})
	return list, total, err
}

// CreateSubmission returns EINVALID (also for an unknown status, or a set
// task_id or worker_id that names nothing).
func (s *SubmissionService) CreateSubmission(ctx context.Context, sub *ward.Submission) error {
	if err := sub.Validate(); err != nil {
		return err
	}
	if err := checkSubmissionStatus(sub.Status); err != nil {
		return err
	}
	c := *sub
	c.Diagnoses, c.Procedures = canon.Slice(c.Diagnoses), canon.Slice(c.Procedures)
	diagnoses, err := jsonArg(c.Diagnoses)
	if err != nil {
		return fmt.Errorf("encode diagnoses: %w", err)
	}
	procedures, err := jsonArg(c.Procedures)
	if err != nil {
		return fmt.Errorf("encode procedures: %w", err)
	}
	err = s.db.update(ctx, func(tx *Tx) error {
		if c.TaskID != "" {
			if ok, err := tx.exists(ctx, "tasks", c.TaskID); err != nil {
				return err
			} else if !ok {
				return ward.FieldErrorf("task_id", "Task %s does not exist.", c.TaskID)
			}
		}
		if c.WorkerID != "" {
			if ok, err := tx.exists(ctx, "workers", c.WorkerID); err != nil {
				return err
			} else if !ok {
				return ward.FieldErrorf("worker_id", "Worker %s does not exist.", c.WorkerID)
			}
		}
		c.ID = ward.NewID(ward.PrefixSubmission, tx.now)
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO submissions (id, task_id, worker_id, patient_ref, encounter_ref, date_of_service, patient_age,
				patient_sex, diagnoses, procedures, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			c.ID, nullString(c.TaskID), nullString(c.WorkerID), c.PatientRef, c.EncounterRef, dateArg(c.DateOfService),
			c.PatientAge, c.PatientSex, diagnoses, procedures, c.Status, c.CreatedAt, c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert submission: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*sub = c
	return nil
}

// SetSubmissionStatus records a review outcome. Returns ENOTFOUND or
// EINVALID naming status.
func (s *SubmissionService) SetSubmissionStatus(ctx context.Context, id string, status ward.SubmissionStatus) (*ward.Submission, error) {
	if err := checkSubmissionStatus(status); err != nil {
		return nil, err
	}
	var sub *ward.Submission
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		sub, err = scanSubmission(tx.QueryRow(ctx, `
			UPDATE submissions SET status = $2, updated_at = $3 WHERE id = $1
			RETURNING `+submissionColumns, id, status, tx.now))
		if notFound(err) {
			return ward.Errorf(ward.ENOTFOUND, "Submission not found.")
		} else if err != nil {
			return fmt.Errorf("set submission status: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}

// checkSubmissionStatus returns EINVALID naming status unless s is a
// submission status.
func checkSubmissionStatus(s ward.SubmissionStatus) error {
	switch s {
	case ward.SubmissionChecked, ward.SubmissionInReview, ward.SubmissionAccepted, ward.SubmissionCorrected:
		return nil
	}
	return ward.FieldErrorf("status", "status must be one of checked, in_review, accepted, corrected.")
}

const submissionColumns = `id, COALESCE(task_id, ''), COALESCE(worker_id, ''), patient_ref, encounter_ref, date_of_service,
	patient_age, patient_sex, diagnoses, procedures, status, created_at, updated_at`

func scanSubmission(row pgx.Row) (*ward.Submission, error) {
	var s ward.Submission
	var dos time.Time
	var diagnoses, procedures []byte
	if err := row.Scan(&s.ID, &s.TaskID, &s.WorkerID, &s.PatientRef, &s.EncounterRef, &dos,
		&s.PatientAge, &s.PatientSex, &diagnoses, &procedures, &s.Status, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return nil, err
	}
	s.DateOfService = dateOf(&dos)
	if err := json.Unmarshal(diagnoses, &s.Diagnoses); err != nil {
		return nil, fmt.Errorf("decode diagnoses: %w", err)
	}
	if err := json.Unmarshal(procedures, &s.Procedures); err != nil {
		return nil, fmt.Errorf("decode procedures: %w", err)
	}
	s.Diagnoses, s.Procedures = canon.Slice(s.Diagnoses), canon.Slice(s.Procedures)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return &s, nil
}

// findSubmissionByID returns the submission, locked for update when lock is
// set, or ENOTFOUND.
func findSubmissionByID(ctx context.Context, tx *Tx, id string, lock bool) (*ward.Submission, error) {
	s, err := scanSubmission(tx.QueryRow(ctx, `SELECT `+submissionColumns+` FROM submissions WHERE id = $1`+forUpdate(lock), id))
	if notFound(err) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Submission not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find submission: %w", err)
	}
	return s, nil
}
