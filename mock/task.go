package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.TaskService = (*TaskService)(nil)

// TaskService is a fake ward.TaskService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type TaskService struct {
	FindTaskByIDFn   func(ctx context.Context, id string) (*ward.Task, error)
	FindTasksFn      func(ctx context.Context, filter ward.TaskFilter) ([]*ward.Task, int, error)
	CreateTaskFn     func(ctx context.Context, t *ward.Task) error
	UpdateTaskFn     func(ctx context.Context, id string, upd ward.TaskUpdate) (*ward.Task, error)
	TransitionTaskFn func(ctx context.Context, id string, tr ward.TaskTransition) (*ward.Task, error)
}

// FindTaskByID calls FindTaskByIDFn.
func (m *TaskService) FindTaskByID(ctx context.Context, id string) (*ward.Task, error) {
	return m.FindTaskByIDFn(ctx, id)
}

// FindTasks calls FindTasksFn.
func (m *TaskService) FindTasks(ctx context.Context, filter ward.TaskFilter) ([]*ward.Task, int, error) {
	return m.FindTasksFn(ctx, filter)
}

// CreateTask calls CreateTaskFn.
func (m *TaskService) CreateTask(ctx context.Context, t *ward.Task) error {
	return m.CreateTaskFn(ctx, t)
}

// UpdateTask calls UpdateTaskFn.
func (m *TaskService) UpdateTask(ctx context.Context, id string, upd ward.TaskUpdate) (*ward.Task, error) {
	return m.UpdateTaskFn(ctx, id, upd)
}

// TransitionTask calls TransitionTaskFn.
func (m *TaskService) TransitionTask(ctx context.Context, id string, tr ward.TaskTransition) (*ward.Task, error) {
	return m.TransitionTaskFn(ctx, id, tr)
}
