package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.ScheduleService = (*ScheduleService)(nil)

// ScheduleService stores shift schedules in PostgreSQL. Windows and
// exceptions are small lists always read with their schedule: they are
// stored as jsonb.
type ScheduleService struct {
	db *DB
}

// NewScheduleService returns a ScheduleService backed by db.
func NewScheduleService(db *DB) *ScheduleService {
	return &ScheduleService{db: db}
}

// FindScheduleByID returns ENOTFOUND if the schedule does not exist.
func (s *ScheduleService) FindScheduleByID(ctx context.Context, id string) (*ward.Schedule, error) {
	var sch *ward.Schedule
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		sch, err = findScheduleByID(ctx, tx, id, false)
		return err
	})
	return sch, err
}

// FindSchedules returns matching schedules ordered by ID and the total
// count ignoring paging. Returns EINVALID for a bad page.
func (s *ScheduleService) FindSchedules(ctx context.Context, filter ward.ScheduleFilter) ([]*ward.Schedule, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eq(&q, "name", filter.Name)
	var list []*ward.Schedule
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "schedules", scheduleColumns, &q, "id", filter.Page, scanSchedule)
		return err
	})
	return list, total, err
}

// CreateSchedule returns EINVALID or ECONFLICT on a duplicate name.
func (s *ScheduleService) CreateSchedule(ctx context.Context, sch *ward.Schedule) error {
	if err := sch.Validate(); err != nil {
		return err
	}
	c := *sch
	c.Windows, c.Exceptions = canon.Slice(c.Windows), canon.Slice(c.Exceptions)
	windows, exceptions, err := marshalShifts(&c)
	if err != nil {
		return err
	}
	err = s.db.update(ctx, func(tx *Tx) error {
		c.ID = ward.NewID(ward.PrefixSchedule, tx.now)
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO schedules (id, name, time_zone, windows, exceptions, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, c.Name, c.TimeZone, windows, exceptions, c.CreatedAt, c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert schedule: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*sch = c
	return nil
}

// UpdateSchedule returns ENOTFOUND, EINVALID or ECONFLICT.
func (s *ScheduleService) UpdateSchedule(ctx context.Context, id string, upd ward.ScheduleUpdate) (*ward.Schedule, error) {
	var sch *ward.Schedule
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		if sch, err = findScheduleByID(ctx, tx, id, true); err != nil {
			return err
		}
		upd.Apply(sch)
		if err := sch.Validate(); err != nil {
			return err
		}
		sch.Windows, sch.Exceptions = canon.Slice(sch.Windows), canon.Slice(sch.Exceptions)
		windows, exceptions, err := marshalShifts(sch)
		if err != nil {
			return err
		}
		sch.UpdatedAt = tx.now
		_, err = tx.Exec(ctx, `
			UPDATE schedules SET name = $2, time_zone = $3, windows = $4, exceptions = $5, updated_at = $6
			WHERE id = $1`,
			sch.ID, sch.Name, sch.TimeZone, windows, exceptions, sch.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update schedule: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sch, nil
}

// marshalShifts encodes a schedule's windows and exceptions for jsonb.
func marshalShifts(s *ward.Schedule) (windows, exceptions string, err error) {
	if windows, err = jsonArg(s.Windows); err != nil {
		return "", "", fmt.Errorf("encode windows: %w", err)
	}
	if exceptions, err = jsonArg(s.Exceptions); err != nil {
		return "", "", fmt.Errorf("encode exceptions: %w", err)
	}
	return windows, exceptions, nil
}

const scheduleColumns = `id, name, time_zone, windows, exceptions, created_at, updated_at`

func scanSchedule(row pgx.Row) (*ward.Schedule, error) {
	var s ward.Schedule
	var windows, exceptions []byte
	if err := row.Scan(&s.ID, &s.Name, &s.TimeZone, &windows, &exceptions, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(windows, &s.Windows); err != nil {
		return nil, fmt.Errorf("decode windows: %w", err)
	}
	if err := json.Unmarshal(exceptions, &s.Exceptions); err != nil {
		return nil, fmt.Errorf("decode exceptions: %w", err)
	}
	s.Windows, s.Exceptions = canon.Slice(s.Windows), canon.Slice(s.Exceptions)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return &s, nil
}

// findScheduleByID returns the schedule, locked for update when lock is
// set, or ENOTFOUND.
func findScheduleByID(ctx context.Context, tx *Tx, id string, lock bool) (*ward.Schedule, error) {
	s, err := scanSchedule(tx.QueryRow(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE id = $1`+forUpdate(lock), id))
	if notFound(err) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Schedule not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find schedule: %w", err)
	}
	return s, nil
}
