package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.TaskService = (*TaskService)(nil)

// TaskService stores tasks in PostgreSQL. A task's sensitivity tags live in
// task_tags, one row per tag, so that the Tag filter is an index lookup; its
// lifecycle history lives in task_transitions.
type TaskService struct {
	db *DB
}

// NewTaskService returns a TaskService backed by db.
func NewTaskService(db *DB) *TaskService {
	return &TaskService{db: db}
}

// FindTaskByID returns ENOTFOUND if the task does not exist. The task's
// Transitions are filled.
func (s *TaskService) FindTaskByID(ctx context.Context, id string) (*ward.Task, error) {
	var t *ward.Task
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		if t, err = findTaskByID(ctx, tx, id, false); err != nil {
			return err
		}
		t.Transitions, err = findTransitions(ctx, tx, "task_transitions", "task_id", id)
		return err
	})
	return t, err
}

// FindTasks returns matching tasks ordered by ID and the total count
// ignoring paging. Transitions are not filled. Returns EINVALID for a bad
// page.
func (s *TaskService) FindTasks(ctx context.Context, filter ward.TaskFilter) ([]*ward.Task, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eq(&q, "queue_id", filter.QueueID)
	eq(&q, "type", filter.Type)
	eq(&q, "status", filter.Status)
	eqOptional(&q, "assignee_id", filter.AssigneeID)
	eq(&q, "patient_ref", filter.PatientRef)
	eqOptional(&q, "external_id", filter.ExternalID)
	if filter.Tag != nil {
		q.cond("EXISTS (SELECT 1 FROM task_tags WHERE task_tags.task_id = tasks.id AND task_tags.tag = %s)", *filter.Tag)
	}
	var list []*ward.Task
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "tasks", taskColumns, &q, "id", filter.Page, scanTask)
		return err
	})
	return list, total, err
}

// CreateTask stores a new open task, recording its creation as the first
// transition; Status and AssigneeID are ignored. Returns EINVALID (also
// when the queue does not exist, naming queue_id) or ECONFLICT when the
// external ID is taken.
func (s *TaskService) CreateTask(ctx context.Context, t *ward.Task) error {
	if err := t.Validate(); err != nil {
		return err
	}
	c := *t
	c.Status, c.AssigneeID = ward.TaskOpen, ""
	c.SensitivityTags = canon.Slice(c.SensitivityTags)
	c.DueAt = canon.TimePtr(c.DueAt)
	err := s.db.update(ctx, func(tx *Tx) error {
		if err := checkTaskQueue(ctx, tx, c.QueueID); err != nil {
			return err
		}
		c.ID = ward.NewID(ward.PrefixTask, tx.now)
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO tasks (id, queue_id, type, patient_ref, encounter_ref, status, complexity, priority,
				due_at, assignee_id, external_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11, $12)`,
			c.ID, c.QueueID, c.Type, c.PatientRef, c.EncounterRef, c.Status, c.Complexity, c.Priority,
			c.DueAt, nullString(c.ExternalID), c.CreatedAt, c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert task: %w", err)
		}
		if err := setTaskTags(ctx, tx, c.ID, c.SensitivityTags); err != nil {
			return err
		}
		tr := ward.Transition{To: string(c.Status), At: tx.now, Actor: ward.Actor(ctx)}
		c.Transitions = []ward.Transition{tr}
		return insertTransition(ctx, tx, "task_transitions", "task_id", c.ID, tr)
	})
	if err != nil {
		return err
	}
	*t = c
	return nil
}

// UpdateTask returns ENOTFOUND, EINVALID (also when a new queue does not
// exist), or EUNPROCESSABLE when the task is completed or cancelled.
func (s *TaskService) UpdateTask(ctx context.Context, id string, upd ward.TaskUpdate) (*ward.Task, error) {
	var t *ward.Task
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		if t, err = findTaskByID(ctx, tx, id, true); err != nil {
			return err
		}
		if t.Status.Terminal() {
			return ward.Errorf(ward.EUNPROCESSABLE, "The task is %s and can no longer change.", t.Status)
		}
		queueID := t.QueueID
		upd.Apply(t)
		if err := t.Validate(); err != nil {
			return err
		}
		if t.QueueID != queueID {
			if err := checkTaskQueue(ctx, tx, t.QueueID); err != nil {
				return err
			}
		}
		t.SensitivityTags = canon.Slice(t.SensitivityTags)
		t.DueAt = canon.TimePtr(t.DueAt)
		t.UpdatedAt = tx.now
		_, err = tx.Exec(ctx, `
			UPDATE tasks SET queue_id = $2, complexity = $3, priority = $4, due_at = $5, updated_at = $6
			WHERE id = $1`,
			t.ID, t.QueueID, t.Complexity, t.Priority, t.DueAt, t.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update task: %w", err)
		}
		if upd.SensitivityTags != nil {
			if err := setTaskTags(ctx, tx, t.ID, t.SensitivityTags); err != nil {
				return err
			}
		}
		t.Transitions, err = findTransitions(ctx, tx, "task_transitions", "task_id", id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// TransitionTask moves the task, recording actor and reason. Moving to
// assigned sets the assignee (EINVALID naming assignee_id when missing or
// unknown); moving back to open clears it. Returns ENOTFOUND, EINVALID or
// EUNPROCESSABLE.
func (s *TaskService) TransitionTask(ctx context.Context, id string, tr ward.TaskTransition) (*ward.Task, error) {
	var t *ward.Task
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		// The row lock orders concurrent moves of one task, so that two
		// replicas cannot both take it from open to assigned.
		if t, err = findTaskByID(ctx, tx, id, true); err != nil {
			return err
		}
		if err := ward.CheckTaskTransition(t.Status, tr.To); err != nil {
			return err
		}
		switch tr.To {
		case ward.TaskAssigned:
			if tr.AssigneeID == "" {
				return ward.FieldErrorf("assignee_id", "assignee_id is required to assign a task.")
			}
			if ok, err := tx.exists(ctx, "workers", tr.AssigneeID); err != nil {
				return err
			} else if !ok {
				return ward.FieldErrorf("assignee_id", "Worker %s does not exist.", tr.AssigneeID)
			}
			t.AssigneeID = tr.AssigneeID
		case ward.TaskOpen:
			t.AssigneeID = ""
		}
		rec := ward.Transition{From: string(t.Status), To: string(tr.To), At: tx.now, Actor: ward.Actor(ctx), Reason: tr.Reason}
		t.Status, t.UpdatedAt = tr.To, tx.now
		_, err = tx.Exec(ctx, `UPDATE tasks SET status = $2, assignee_id = $3, updated_at = $4 WHERE id = $1`,
			t.ID, t.Status, nullString(t.AssigneeID), t.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update task status: %w", err)
		}
		if err := insertTransition(ctx, tx, "task_transitions", "task_id", id, rec); err != nil {
			return err
		}
		t.Transitions, err = findTransitions(ctx, tx, "task_transitions", "task_id", id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// checkTaskQueue returns EINVALID naming queue_id unless the queue exists.
func checkTaskQueue(ctx context.Context, tx *Tx, queueID string) error {
	if ok, err := tx.exists(ctx, "queues", queueID); err != nil {
		return err
	} else if !ok {
		return ward.FieldErrorf("queue_id", "Queue %s does not exist.", queueID)
	}
	return nil
}

// setTaskTags replaces the task's tags with tags, keeping their order.
func setTaskTags(ctx context.Context, tx *Tx, taskID string, tags []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM task_tags WHERE task_id = $1`, taskID); err != nil {
		return fmt.Errorf("delete task tags: %w", err)
	}
	if len(tags) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO task_tags (task_id, position, tag)
		SELECT $1, t.position, t.tag FROM unnest($2::text[]) WITH ORDINALITY AS t(tag, position)`,
		taskID, tags)
	if err != nil {
		return fmt.Errorf("insert task tags: %w", err)
	}
	return nil
}

const taskColumns = `id, queue_id, type, patient_ref, encounter_ref, status,
	ARRAY(SELECT tag FROM task_tags WHERE task_tags.task_id = tasks.id ORDER BY position),
	complexity, priority, due_at, COALESCE(assignee_id, ''), COALESCE(external_id, ''), created_at, updated_at`

func scanTask(row pgx.Row) (*ward.Task, error) {
	var t ward.Task
	if err := row.Scan(&t.ID, &t.QueueID, &t.Type, &t.PatientRef, &t.EncounterRef, &t.Status,
		&t.SensitivityTags, &t.Complexity, &t.Priority, &t.DueAt, &t.AssigneeID, &t.ExternalID, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	t.SensitivityTags = canon.Slice(t.SensitivityTags)
	t.DueAt = canon.TimePtr(t.DueAt)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return &t, nil
}

// findTaskByID returns the task without its transitions, locked for update
// when lock is set, or ENOTFOUND.
func findTaskByID(ctx context.Context, tx *Tx, id string, lock bool) (*ward.Task, error) {
	t, err := scanTask(tx.QueryRow(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`+forUpdate(lock), id))
	if notFound(err) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Task not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find task: %w", err)
	}
	return t, nil
}
