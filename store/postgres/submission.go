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
	eqOptional(&q, "team_id", filter.TeamID)
	eqOptional(&q, "vendor_id", filter.VendorID)
	eq(&q, "status", filter.Status)
	if filter.From != nil {
		q.cond("created_at >= %s", canon.Time(*filter.From))
	}
	if filter.To != nil {
		q.cond("created_at < %s", canon.Time(*filter.To))
	}
	var list []*ward.Submission
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "submissions", submissionColumns, &q, "id", filter.Page, scanSubmission)
		return err
	})
	return list, total, err
}

// CreateSubmission returns EINVALID (also for an unknown status, a set
// review, findings without distinct IDs, or a set task_id, worker_id,
// team_id or vendor_id that names nothing).
func (s *SubmissionService) CreateSubmission(ctx context.Context, sub *ward.Submission) error {
	if err := sub.Validate(); err != nil {
		return err
	}
	if err := checkSubmissionStatus(sub.Status); err != nil {
		return err
	}
	if sub.Review != nil {
		return ward.FieldErrorf("review", "A new submission has no review: use ReviewSubmission.")
	}
	if err := checkFindings(sub.Findings); err != nil {
		return err
	}
	c := *sub
	c.Diagnoses, c.Procedures = canon.Slice(c.Diagnoses), canon.Slice(c.Procedures)
	c.Findings = normalizeFindings(c.Findings)
	findings, err := jsonArg(c.Findings)
	if err != nil {
		return fmt.Errorf("encode findings: %w", err)
	}
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
		if c.TeamID != "" {
			if ok, err := tx.exists(ctx, "teams", c.TeamID); err != nil {
				return err
			} else if !ok {
				return ward.FieldErrorf("team_id", "Team %s does not exist.", c.TeamID)
			}
		}
		if c.VendorID != "" {
			if ok, err := tx.exists(ctx, "vendors", c.VendorID); err != nil {
				return err
			} else if !ok {
				return ward.FieldErrorf("vendor_id", "Vendor %s does not exist.", c.VendorID)
			}
		}
		c.ID = ward.NewID(ward.PrefixSubmission, tx.now)
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO submissions (id, task_id, worker_id, patient_ref, encounter_ref, date_of_service, patient_age,
				patient_sex, diagnoses, procedures, status, created_at, updated_at, team_id, vendor_id, findings)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			c.ID, nullString(c.TaskID), nullString(c.WorkerID), c.PatientRef, c.EncounterRef, dateArg(c.DateOfService),
			c.PatientAge, c.PatientSex, diagnoses, procedures, c.Status, c.CreatedAt, c.UpdatedAt,
			nullString(c.TeamID), nullString(c.VendorID), findings)
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

// submissionColumns are what scanSubmission reads. The review columns are
// all NULL until the submission is reviewed.
const submissionColumns = `id, COALESCE(task_id, ''), COALESCE(worker_id, ''), patient_ref, encounter_ref, date_of_service,
	patient_age, patient_sex, diagnoses, procedures, status, created_at, updated_at,
	COALESCE(team_id, ''), COALESCE(vendor_id, ''), findings,
	COALESCE(reviewer_id, ''), decisions, final_diagnoses, final_procedures, COALESCE(review_note, ''), reviewed_at`

func scanSubmission(row pgx.Row) (*ward.Submission, error) {
	var s ward.Submission
	var dos time.Time
	var diagnoses, procedures, findings, decisions, finalDiagnoses, finalProcedures []byte
	var reviewerID, note string
	var reviewedAt *time.Time
	if err := row.Scan(&s.ID, &s.TaskID, &s.WorkerID, &s.PatientRef, &s.EncounterRef, &dos,
		&s.PatientAge, &s.PatientSex, &diagnoses, &procedures, &s.Status, &s.CreatedAt, &s.UpdatedAt,
		&s.TeamID, &s.VendorID, &findings,
		&reviewerID, &decisions, &finalDiagnoses, &finalProcedures, &note, &reviewedAt); err != nil {
		return nil, err
	}
	s.DateOfService = dateOf(&dos)
	if err := json.Unmarshal(diagnoses, &s.Diagnoses); err != nil {
		return nil, fmt.Errorf("decode diagnoses: %w", err)
	}
	if err := json.Unmarshal(procedures, &s.Procedures); err != nil {
		return nil, fmt.Errorf("decode procedures: %w", err)
	}
	if err := json.Unmarshal(findings, &s.Findings); err != nil {
		return nil, fmt.Errorf("decode findings: %w", err)
	}
	s.Diagnoses, s.Procedures = canon.Slice(s.Diagnoses), canon.Slice(s.Procedures)
	s.Findings = normalizeFindings(s.Findings)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	if reviewedAt != nil {
		r := &ward.SubmissionReview{ReviewerID: reviewerID, Note: note, ReviewedAt: *reviewedAt}
		for _, c := range []struct {
			name string
			col  []byte
			p    any
		}{{"decisions", decisions, &r.Decisions}, {"final_diagnoses", finalDiagnoses, &r.FinalDiagnoses}, {"final_procedures", finalProcedures, &r.FinalProcedures}} {
			if c.col == nil {
				continue
			}
			if err := json.Unmarshal(c.col, c.p); err != nil {
				return nil, fmt.Errorf("decode %s: %w", c.name, err)
			}
		}
		normalizeReview(r)
		s.Review = r
	}
	return &s, nil
}

// normalizeFindings returns fs in its stored form: non-nil, with the
// optional (omitempty) lists of each finding nil when empty.
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

// ReviewSubmission records a review of a submission in review. Returns
// ENOTFOUND, EUNPROCESSABLE when the submission is not in review, or
// EINVALID (rev.Validate). The submission row is locked (FOR UPDATE), so of
// two concurrent reviews the second waits, then sees the first's status and
// fails.
func (s *SubmissionService) ReviewSubmission(ctx context.Context, id string, rev *ward.SubmissionReview) (*ward.Submission, error) {
	if rev == nil {
		return nil, ward.FieldErrorf("review", "A review is required.")
	}
	var sub *ward.Submission
	err := s.db.update(ctx, func(tx *Tx) error {
		cur, err := findSubmissionByID(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if cur.Status != ward.SubmissionInReview {
			return ward.Errorf(ward.EUNPROCESSABLE, "Submission %s is %s, not in review.", cur.ID, cur.Status)
		}
		r := *rev
		normalizeReview(&r)
		if err := r.Validate(cur); err != nil {
			return err
		}
		decision := make(map[string]string, len(r.Decisions))
		for _, d := range r.Decisions {
			decision[d.FindingID] = d.Decision
		}
		for i := range cur.Findings {
			cur.Findings[i].Decision = decision[cur.Findings[i].ID]
		}
		r.ReviewedAt = tx.now
		status := reviewStatus(cur, &r)
		args := []any{cur.Findings, r.Decisions, r.FinalDiagnoses, r.FinalProcedures}
		for i, v := range args {
			if args[i], err = jsonArg(v); err != nil {
				return fmt.Errorf("encode review: %w", err)
			}
		}
		sub, err = scanSubmission(tx.QueryRow(ctx, `
			UPDATE submissions SET status = $2, findings = $3, reviewer_id = $4, decisions = $5,
				final_diagnoses = $6, final_procedures = $7, review_note = $8, reviewed_at = $9, updated_at = $9
			WHERE id = $1 AND status = $10
			RETURNING `+submissionColumns,
			cur.ID, status, args[0], r.ReviewerID, args[1], args[2], args[3], r.Note, tx.now, ward.SubmissionInReview))
		if notFound(err) {
			// Unreachable while the row is locked; kept so that the status
			// check never rests on the lock alone.
			return ward.Errorf(ward.EUNPROCESSABLE, "Submission %s is no longer in review.", cur.ID)
		} else if err != nil {
			return fmt.Errorf("review submission: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
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
