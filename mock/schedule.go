package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.ScheduleService = (*ScheduleService)(nil)

// ScheduleService is a fake ward.ScheduleService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type ScheduleService struct {
	FindScheduleByIDFn func(ctx context.Context, id string) (*ward.Schedule, error)
	FindSchedulesFn    func(ctx context.Context, filter ward.ScheduleFilter) ([]*ward.Schedule, int, error)
	CreateScheduleFn   func(ctx context.Context, s *ward.Schedule) error
	UpdateScheduleFn   func(ctx context.Context, id string, upd ward.ScheduleUpdate) (*ward.Schedule, error)
}

// FindScheduleByID calls FindScheduleByIDFn.
func (m *ScheduleService) FindScheduleByID(ctx context.Context, id string) (*ward.Schedule, error) {
	return m.FindScheduleByIDFn(ctx, id)
}

// FindSchedules calls FindSchedulesFn.
func (m *ScheduleService) FindSchedules(ctx context.Context, filter ward.ScheduleFilter) ([]*ward.Schedule, int, error) {
	return m.FindSchedulesFn(ctx, filter)
}

// CreateSchedule calls CreateScheduleFn.
func (m *ScheduleService) CreateSchedule(ctx context.Context, s *ward.Schedule) error {
	return m.CreateScheduleFn(ctx, s)
}

// UpdateSchedule calls UpdateScheduleFn.
func (m *ScheduleService) UpdateSchedule(ctx context.Context, id string, upd ward.ScheduleUpdate) (*ward.Schedule, error) {
	return m.UpdateScheduleFn(ctx, id, upd)
}
