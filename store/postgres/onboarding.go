package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
)

var _ ward.OnboardingService = (*OnboardingService)(nil)

// OnboardingService stores onboarding records in PostgreSQL.
type OnboardingService struct {
	db *DB
}

// NewOnboardingService returns an OnboardingService backed by db.
func NewOnboardingService(db *DB) *OnboardingService {
	return &OnboardingService{db: db}
}

const onboardingColumns = `id, worker_id, step, actor, at, evidence, completed_on, expires_on`

func scanOnboardingRecord(row pgx.Row) (*ward.OnboardingRecord, error) {
	var r ward.OnboardingRecord
	var completed, expires *time.Time
	if err := row.Scan(&r.ID, &r.WorkerID, &r.Step, &r.Actor, &r.At, &r.Evidence, &completed, &expires); err != nil {
		return nil, err
	}
	r.At = r.At.UTC()
	r.CompletedOn, r.ExpiresOn = datePtr(completed), datePtr(expires)
	return &r, nil
}

// datePtr maps a scanned nullable date to an optional ward.Date.
func datePtr(t *time.Time) *ward.Date {
	if t == nil {
		return nil
	}
	d := ward.DateOf(t.UTC())
	return &d
}

// datePtrArg maps an optional ward.Date to a date argument, NULL when
// absent.
func datePtrArg(d *ward.Date) any {
	if d == nil {
		return nil
	}
	return dateArg(*d)
}

// FindOnboardingRecords returns the worker's records, oldest first (in ID
// order, which is creation order). A worker with none, or no such worker,
// has an empty list.
func (s *OnboardingService) FindOnboardingRecords(ctx context.Context, workerID string) ([]*ward.OnboardingRecord, error) {
	var list []*ward.OnboardingRecord
	err := s.db.view(ctx, func(tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+onboardingColumns+` FROM onboarding_records WHERE worker_id = $1 ORDER BY id`, workerID)
		if err != nil {
			return fmt.Errorf("find onboarding records: %w", err)
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*ward.OnboardingRecord, error) { return scanOnboardingRecord(row) })
		if err != nil {
			return fmt.Errorf("find onboarding records: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []*ward.OnboardingRecord{}
	}
	return list, nil
}

// CreateOnboardingRecord sets ID, At and Actor (the context's principal).
// Returns EINVALID (naming worker_id when the worker does not exist).
func (s *OnboardingService) CreateOnboardingRecord(ctx context.Context, r *ward.OnboardingRecord) error {
	c := *r
	c.CompletedOn, c.ExpiresOn = normDate(c.CompletedOn), normDate(c.ExpiresOn)
	if err := c.Validate(); err != nil {
		return err
	}
	err := s.db.update(ctx, func(tx *Tx) error {
		if err := checkWorker(ctx, tx, c.WorkerID); err != nil {
			return err
		}
		c.ID = ward.NewID(ward.PrefixOnboarding, tx.now)
		c.At, c.Actor = tx.now, ward.Actor(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO onboarding_records (`+onboardingColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			c.ID, c.WorkerID, string(c.Step), c.Actor, c.At, c.Evidence, datePtrArg(c.CompletedOn), datePtrArg(c.ExpiresOn)); err != nil {
			return fmt.Errorf("insert onboarding record: %w", err)
		}
		return nil
	})
	if err != nil {
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
