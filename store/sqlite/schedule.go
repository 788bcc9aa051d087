package sqlite

import (
	"context"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.ScheduleService = (*ScheduleService)(nil)

// ScheduleService implements ward.ScheduleService on SQLite.
type ScheduleService struct {
	db *DB
}

// NewScheduleService returns a ScheduleService backed by db.
func NewScheduleService(db *DB) *ScheduleService {
	return &ScheduleService{db: db}
}

const scheduleCols = `id, name, time_zone, windows, exceptions, created_at, updated_at`

func scanSchedule(s scanner) (*ward.Schedule, error) {
	var v ward.Schedule
	if err := s.Scan(&v.ID, &v.Name, &v.TimeZone, jsonDest{&v.Windows}, jsonDest{&v.Exceptions},
		timeDest{&v.CreatedAt}, timeDest{&v.UpdatedAt}); err != nil {
		return nil, err
	}
	normalizeSchedule(&v)
	return &v, nil
}

func normalizeSchedule(s *ward.Schedule) {
	s.Windows = canon.Slice(s.Windows)
	s.Exceptions = canon.Slice(s.Exceptions)
}

// FindScheduleByID returns ENOTFOUND if the schedule does not exist.
func (s *ScheduleService) FindScheduleByID(ctx context.Context, id string) (*ward.Schedule, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findScheduleByID(ctx, tx, id)
}

func findScheduleByID(ctx context.Context, tx *Tx, id string) (*ward.Schedule, error) {
	return findOne(ctx, tx, scheduleCols, "schedules", id, scanSchedule, "Schedule not found.")
}

// FindSchedules returns matching schedules ordered by ID and the total count.
func (s *ScheduleService) FindSchedules(ctx context.Context, filter ward.ScheduleFilter) ([]*ward.Schedule, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eq(&w, "name", filter.Name)
	return find(ctx, tx, scheduleCols, "schedules", &w, "id", filter.Page, scanSchedule)
}

// CreateSchedule returns EINVALID or ECONFLICT on a duplicate name.
func (s *ScheduleService) CreateSchedule(ctx context.Context, sch *ward.Schedule) error {
	c := *sch
	normalizeSchedule(&c)
	if err := c.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	c.ID = ward.NewID(ward.PrefixSchedule, tx.now)
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	windows, err := jsonText(c.Windows)
	if err != nil {
		return err
	}
	exceptions, err := jsonText(c.Exceptions)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO schedules (`+scheduleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.TimeZone, windows, exceptions, formatTime(c.CreatedAt), formatTime(c.UpdatedAt)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*sch = c
	return nil
}

// UpdateSchedule returns ENOTFOUND, EINVALID or ECONFLICT.
func (s *ScheduleService) UpdateSchedule(ctx context.Context, id string, upd ward.ScheduleUpdate) (*ward.Schedule, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	sch, err := findScheduleByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	upd.Apply(sch)
	normalizeSchedule(sch)
	if err := sch.Validate(); err != nil {
		return nil, err
	}
	sch.UpdatedAt = tx.now
	windows, err := jsonText(sch.Windows)
	if err != nil {
		return nil, err
	}
	exceptions, err := jsonText(sch.Exceptions)
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `UPDATE schedules SET name = ?, time_zone = ?, windows = ?, exceptions = ?, updated_at = ? WHERE id = ?`,
		sch.Name, sch.TimeZone, windows, exceptions, formatTime(sch.UpdatedAt), sch.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return sch, nil
}
