package sqlite

import (
	"context"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.TaskService = (*TaskService)(nil)

// TaskService implements ward.TaskService on SQLite.
type TaskService struct {
	db *DB
}

// NewTaskService returns a TaskService backed by db.
func NewTaskService(db *DB) *TaskService {
	return &TaskService{db: db}
}

// taskCols reads a task with its tags, in order, as a JSON array.
const taskCols = `id, queue_id, type, patient_ref, encounter_ref, status,
	(SELECT json_group_array(tag ORDER BY position) FROM task_tags WHERE task_tags.task_id = tasks.id),
	complexity, priority, due_at, assignee_id, external_id, created_at, updated_at`

func scanTask(s scanner) (*ward.Task, error) {
	var t ward.Task
	if err := s.Scan(&t.ID, &t.QueueID, &t.Type, &t.PatientRef, &t.EncounterRef, &t.Status,
		jsonDest{&t.SensitivityTags}, &t.Complexity, &t.Priority, timePtrDest{&t.DueAt},
		refDest{&t.AssigneeID}, &t.ExternalID, timeDest{&t.CreatedAt}, timeDest{&t.UpdatedAt}); err != nil {
		return nil, err
	}
	normalizeTask(&t)
	return &t, nil
}

func normalizeTask(t *ward.Task) {
	t.SensitivityTags = canon.Slice(t.SensitivityTags)
	t.DueAt = canon.TimePtr(t.DueAt)
}

// FindTaskByID returns ENOTFOUND if the task does not exist. The task's
// Transitions are filled.
func (s *TaskService) FindTaskByID(ctx context.Context, id string) (*ward.Task, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findTaskByID(ctx, tx, id)
}

// findTaskByID returns the task with its transitions.
func findTaskByID(ctx context.Context, tx *Tx, id string) (*ward.Task, error) {
	t, err := findOne(ctx, tx, taskCols, "tasks", id, scanTask, "Task not found.")
	if err != nil {
		return nil, err
	}
	if t.Transitions, err = transitionsOf(ctx, tx, "task_transitions", "task_id", t.ID); err != nil {
		return nil, err
	}
	return t, nil
}

// FindTasks returns matching tasks ordered by ID and the total count.
// Transitions are not filled.
func (s *TaskService) FindTasks(ctx context.Context, filter ward.TaskFilter) ([]*ward.Task, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eq(&w, "queue_id", filter.QueueID)
	eq(&w, "type", filter.Type)
	eq(&w, "status", filter.Status)
	eqRef(&w, "assignee_id", filter.AssigneeID)
	eq(&w, "patient_ref", filter.PatientRef)
	eq(&w, "external_id", filter.ExternalID)
	if filter.Tag != nil {
		w.add(`id IN (SELECT task_id FROM task_tags WHERE tag = ?)`, *filter.Tag)
	}
	return find(ctx, tx, taskCols, "tasks", &w, "id", filter.Page, scanTask)
}

// setTaskTags replaces the task's tags.
func setTaskTags(ctx context.Context, tx *Tx, id string, tags []string) error {
	if _, err := tx.exec(ctx, `DELETE FROM task_tags WHERE task_id = ?`, id); err != nil {
		return err
	}
	for i, tag := range tags {
		if _, err := tx.exec(ctx, `INSERT INTO task_tags (task_id, position, tag) VALUES (?, ?, ?)`, id, i, tag); err != nil {
			return err
		}
	}
	return nil
}

// CreateTask stores a new open task, recording its creation as the first
// transition. Returns EINVALID or ECONFLICT.
func (s *TaskService) CreateTask(ctx context.Context, t *ward.Task) error {
	c := *t
	normalizeTask(&c)
	if err := c.Validate(); err != nil {
		return err
	}
	// A task starts open and unassigned whatever the caller set; the
	// lifecycle moves only through TransitionTask.
	c.Status, c.AssigneeID = ward.TaskOpen, ""
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	if err := tx.checkRef(ctx, "queue_id", "queues", "Queue", c.QueueID); err != nil {
		return err
	}
	c.ID = ward.NewID(ward.PrefixTask, tx.now)
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	if _, err := tx.exec(ctx, `INSERT INTO tasks (id, queue_id, type, patient_ref, encounter_ref, status,
		complexity, priority, due_at, assignee_id, external_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
		c.ID, c.QueueID, string(c.Type), c.PatientRef, c.EncounterRef, string(c.Status),
		c.Complexity, c.Priority, formatTimePtr(c.DueAt), c.ExternalID,
		formatTime(c.CreatedAt), formatTime(c.UpdatedAt)); err != nil {
		return err
	}
	if err := setTaskTags(ctx, tx, c.ID, c.SensitivityTags); err != nil {
		return err
	}
	tr, err := addTransition(ctx, tx, "task_transitions", "task_id", c.ID, "", string(c.Status), "")
	if err != nil {
		return err
	}
	c.Transitions = []ward.Transition{tr}
	if err := tx.Commit(); err != nil {
		return err
	}
	*t = c
	return nil
}

// UpdateTask returns ENOTFOUND, EINVALID, or EUNPROCESSABLE when the task
// is completed or cancelled.
func (s *TaskService) UpdateTask(ctx context.Context, id string, upd ward.TaskUpdate) (*ward.Task, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	t, err := findTaskByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if t.Status.Terminal() {
		return nil, ward.Errorf(ward.EUNPROCESSABLE, "A %s task cannot change.", t.Status)
	}
	upd.Apply(t)
	normalizeTask(t)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := tx.checkRef(ctx, "queue_id", "queues", "Queue", t.QueueID); err != nil {
		return nil, err
	}
	t.UpdatedAt = tx.now
	if _, err := tx.exec(ctx, `UPDATE tasks SET queue_id = ?, complexity = ?, priority = ?, due_at = ?, updated_at = ? WHERE id = ?`,
		t.QueueID, t.Complexity, t.Priority, formatTimePtr(t.DueAt), formatTime(t.UpdatedAt), t.ID); err != nil {
		return nil, err
	}
	if upd.SensitivityTags != nil {
		if err := setTaskTags(ctx, tx, t.ID, t.SensitivityTags); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return t, nil
}

// TransitionTask moves the task, recording actor and reason. Moving to
// assigned sets the assignee; moving back to open clears it. Returns
// ENOTFOUND, EINVALID or EUNPROCESSABLE.
func (s *TaskService) TransitionTask(ctx context.Context, id string, tr ward.TaskTransition) (*ward.Task, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	t, err := findTaskByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := ward.CheckTaskTransition(t.Status, tr.To); err != nil {
		return nil, err
	}
	switch tr.To {
	case ward.TaskAssigned:
		if tr.AssigneeID == "" {
			return nil, ward.FieldErrorf("assignee_id", "assignee_id is required to assign a task.")
		}
		if err := tx.checkRef(ctx, "assignee_id", "workers", "Worker", tr.AssigneeID); err != nil {
			return nil, err
		}
		t.AssigneeID = tr.AssigneeID
	case ward.TaskOpen:
		t.AssigneeID = ""
	}
	move, err := addTransition(ctx, tx, "task_transitions", "task_id", t.ID, string(t.Status), string(tr.To), tr.Reason)
	if err != nil {
		return nil, err
	}
	t.Status, t.UpdatedAt = tr.To, tx.now
	t.Transitions = append(t.Transitions, move)
	if _, err := tx.exec(ctx, `UPDATE tasks SET status = ?, assignee_id = ?, updated_at = ? WHERE id = ?`,
		string(t.Status), nullString(t.AssigneeID), formatTime(t.UpdatedAt), t.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return t, nil
}
