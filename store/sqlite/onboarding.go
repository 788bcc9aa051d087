package sqlite

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.OnboardingService = (*OnboardingService)(nil)

// OnboardingService implements ward.OnboardingService on SQLite.
type OnboardingService struct {
	db *DB
}

// NewOnboardingService returns an OnboardingService backed by db.
func NewOnboardingService(db *DB) *OnboardingService {
	return &OnboardingService{db: db}
}

const onboardingCols = `id, worker_id, step, actor, at, evidence, completed_on, expires_on`

func scanOnboardingRecord(s scanner) (*ward.OnboardingRecord, error) {
	var r ward.OnboardingRecord
	var completed, expires ward.Date
	if err := s.Scan(&r.ID, &r.WorkerID, &r.Step, &r.Actor, timeDest{&r.At}, &r.Evidence,
		dateDest{&completed}, dateDest{&expires}); err != nil {
		return nil, err
	}
	r.CompletedOn, r.ExpiresOn = datePtr(completed), datePtr(expires)
	return &r, nil
}

// datePtr returns nil for the zero Date (stored as ”), else &d.
func datePtr(d ward.Date) *ward.Date {
	if d.IsZero() {
		return nil
	}
	return &d
}

// dateText returns the stored form of an optional date: ” when absent.
func dateText(d *ward.Date) string {
	if d == nil {
		return ""
	}
	return formatDate(*d)
}

// FindOnboardingRecords returns the worker's records, oldest first (in ID
// order, which is creation order). A worker with none, or no such worker,
// has an empty list.
func (s *OnboardingService) FindOnboardingRecords(ctx context.Context, workerID string) ([]*ward.OnboardingRecord, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+onboardingCols+` FROM onboarding_records WHERE worker_id = ? ORDER BY id`, workerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := make([]*ward.OnboardingRecord, 0)
	for rows.Next() {
		r, err := scanOnboardingRecord(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

// CreateOnboardingRecord sets ID, At and Actor (the context's principal).
// Returns EINVALID (naming worker_id when the worker does not exist).
func (s *OnboardingService) CreateOnboardingRecord(ctx context.Context, r *ward.OnboardingRecord) error {
	c := *r
	c.CompletedOn, c.ExpiresOn = normDate(c.CompletedOn), normDate(c.ExpiresOn)
	if err := c.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.checkRef(ctx, "worker_id", "workers", "Worker", c.WorkerID); err != nil {
		return err
	}
	c.ID = ward.NewID(ward.PrefixOnboarding, tx.now)
	c.At, c.Actor = tx.now, ward.Actor(ctx)
	if _, err := tx.exec(ctx, `INSERT INTO onboarding_records (`+onboardingCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.WorkerID, string(c.Step), c.Actor, formatTime(c.At), c.Evidence,
		dateText(c.CompletedOn), dateText(c.ExpiresOn)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*r = c
	return nil
}

// normDate returns a copy of an optional date, nil for a zero one (which
// reads back as absent).
func normDate(d *ward.Date) *ward.Date {
	if d == nil || d.IsZero() {
		return nil
	}
	v := *d
	return &v
}
