package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.QueueService = (*QueueService)(nil)

// QueueService is a fake ward.QueueService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type QueueService struct {
	FindQueueByIDFn func(ctx context.Context, id string) (*ward.Queue, error)
	FindQueuesFn    func(ctx context.Context, filter ward.QueueFilter) ([]*ward.Queue, int, error)
	CreateQueueFn   func(ctx context.Context, q *ward.Queue) error
	UpdateQueueFn   func(ctx context.Context, id string, upd ward.QueueUpdate) (*ward.Queue, error)
}

// FindQueueByID calls FindQueueByIDFn.
func (m *QueueService) FindQueueByID(ctx context.Context, id string) (*ward.Queue, error) {
	return m.FindQueueByIDFn(ctx, id)
}

// FindQueues calls FindQueuesFn.
func (m *QueueService) FindQueues(ctx context.Context, filter ward.QueueFilter) ([]*ward.Queue, int, error) {
	return m.FindQueuesFn(ctx, filter)
}

// CreateQueue calls CreateQueueFn.
func (m *QueueService) CreateQueue(ctx context.Context, q *ward.Queue) error {
	return m.CreateQueueFn(ctx, q)
}

// UpdateQueue calls UpdateQueueFn.
func (m *QueueService) UpdateQueue(ctx context.Context, id string, upd ward.QueueUpdate) (*ward.Queue, error) {
	return m.UpdateQueueFn(ctx, id, upd)
}
