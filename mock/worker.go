package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.WorkerService = (*WorkerService)(nil)

// WorkerService is a fake ward.WorkerService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type WorkerService struct {
	FindWorkerByIDFn   func(ctx context.Context, id string) (*ward.Worker, error)
	FindWorkersFn      func(ctx context.Context, filter ward.WorkerFilter) ([]*ward.Worker, int, error)
	CreateWorkerFn     func(ctx context.Context, w *ward.Worker) error
	UpdateWorkerFn     func(ctx context.Context, id string, upd ward.WorkerUpdate) (*ward.Worker, error)
	TransitionWorkerFn func(ctx context.Context, id string, to ward.WorkerStatus, reason string) (*ward.Worker, error)
}

// FindWorkerByID calls FindWorkerByIDFn.
func (m *WorkerService) FindWorkerByID(ctx context.Context, id string) (*ward.Worker, error) {
	return m.FindWorkerByIDFn(ctx, id)
}

// FindWorkers calls FindWorkersFn.
func (m *WorkerService) FindWorkers(ctx context.Context, filter ward.WorkerFilter) ([]*ward.Worker, int, error) {
	return m.FindWorkersFn(ctx, filter)
}

// CreateWorker calls CreateWorkerFn.
func (m *WorkerService) CreateWorker(ctx context.Context, w *ward.Worker) error {
	return m.CreateWorkerFn(ctx, w)
}

// UpdateWorker calls UpdateWorkerFn.
func (m *WorkerService) UpdateWorker(ctx context.Context, id string, upd ward.WorkerUpdate) (*ward.Worker, error) {
	return m.UpdateWorkerFn(ctx, id, upd)
}

// TransitionWorker calls TransitionWorkerFn.
func (m *WorkerService) TransitionWorker(ctx context.Context, id string, to ward.WorkerStatus, reason string) (*ward.Worker, error) {
	return m.TransitionWorkerFn(ctx, id, to, reason)
}
