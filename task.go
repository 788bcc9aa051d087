package ward

import (
	"context"
	"regexp"
	"time"
)

// Queue is a named stream of work of one function, such as "Outpatient
// coding" or "Denials — payer A".
type Queue struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"` // unique
	Function    Function  `json:"function"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Validate returns an EINVALID error naming the first invalid field.
func (q *Queue) Validate() error {
	if err := validateName("name", q.Name, 200); err != nil {
		return err
	}
	if !q.Function.Valid() {
		return FieldErrorf("function", "function must be one of coding, prior_auth, denials, cdi.")
	}
	if len(q.Description) > 2000 {
		return FieldErrorf("description", "description must be at most 2000 bytes.")
	}
	return nil
}

// QueueFilter selects queues. Zero fields match all.
type QueueFilter struct {
	ID       *string
	Name     *string
	Function *Function
	Page
}

// QueueUpdate changes a queue; nil fields are left as they are.
type QueueUpdate struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// Apply applies upd to q; the caller validates q afterwards.
func (upd QueueUpdate) Apply(q *Queue) {
	set(&q.Name, upd.Name)
	set(&q.Description, upd.Description)
}

// QueueService stores work queues.
type QueueService interface {
	// FindQueueByID returns ENOTFOUND if the queue does not exist.
	FindQueueByID(ctx context.Context, id string) (*Queue, error)
	// FindQueues returns matching queues ordered by ID and the total count.
	FindQueues(ctx context.Context, filter QueueFilter) ([]*Queue, int, error)
	// CreateQueue returns EINVALID or ECONFLICT on a duplicate name.
	CreateQueue(ctx context.Context, q *Queue) error
	// UpdateQueue returns ENOTFOUND, EINVALID or ECONFLICT.
	UpdateQueue(ctx context.Context, id string, upd QueueUpdate) (*Queue, error)
}

// TaskStatus is a stage in a task's life.
type TaskStatus string

// Task statuses. Stable values: do not rename.
const (
	TaskOpen       TaskStatus = "open"        // waiting in its queue
	TaskAssigned   TaskStatus = "assigned"    // routed to a worker, not yet started
	TaskInProgress TaskStatus = "in_progress" // the worker took it; a grant is live
	TaskCompleted  TaskStatus = "completed"   // done; its grants have ended
	TaskCancelled  TaskStatus = "cancelled"   // withdrawn; its grants have ended
)

var taskTransitions = map[TaskStatus][]TaskStatus{
	TaskOpen:       {TaskAssigned, TaskCancelled},
	TaskAssigned:   {TaskInProgress, TaskOpen, TaskCancelled},
	TaskInProgress: {TaskCompleted, TaskOpen, TaskCancelled},
	TaskCompleted:  nil,
	TaskCancelled:  nil,
}

// Valid reports whether s is a known status.
func (s TaskStatus) Valid() bool {
	_, ok := taskTransitions[s]
	return ok
}

// Terminal reports whether no move leaves s.
func (s TaskStatus) Terminal() bool { return s == TaskCompleted || s == TaskCancelled }

// CheckTaskTransition returns EUNPROCESSABLE when from → to is not a move of
// a task's life, and EINVALID when to is not a status.
func CheckTaskTransition(from, to TaskStatus) error {
	if !to.Valid() {
		return FieldErrorf("to", "%q is not one of open, assigned, in_progress, completed, cancelled.", to)
	}
	for _, v := range taskTransitions[from] {
		if v == to {
			return nil
		}
	}
	return Errorf(EUNPROCESSABLE, "A task cannot move from %s to %s.", from, to)
}

var (
	patientRefPattern   = regexp.MustCompile(`^Patient/[A-Za-z0-9\-.]{1,64}$`)
	encounterRefPattern = regexp.MustCompile(`^Encounter/[A-Za-z0-9\-.]{1,64}$`)
)

// Task is one unit of work on one patient's chart.
type Task struct {
	ID              string       `json:"id"`
	QueueID         string       `json:"queue_id"`
	Type            Function     `json:"type"`
	PatientRef      string       `json:"patient_ref"`             // "Patient/{id}" on the EHR
	EncounterRef    string       `json:"encounter_ref,omitempty"` // "Encounter/{id}"
	Status          TaskStatus   `json:"status"`
	SensitivityTags []string     `json:"sensitivity_tags"`
	Complexity      int          `json:"complexity"` // 1 (simple) to 5 (complex)
	Priority        int          `json:"priority"`   // 0 (normal) to 9 (urgent)
	DueAt           *time.Time   `json:"due_at,omitempty"`
	AssigneeID      string       `json:"assignee_id,omitempty"`
	ExternalID      string       `json:"external_id,omitempty"` // the source system's key; unique
	Transitions     []Transition `json:"transitions"`
	CreatedAt       time.Time    `json:"created_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
}

// Validate returns an EINVALID error naming the first invalid field.
func (t *Task) Validate() error {
	if t.QueueID == "" {
		return FieldErrorf("queue_id", "queue_id is required.")
	}
	if !t.Type.Valid() {
		return FieldErrorf("type", "type must be one of coding, prior_auth, denials, cdi.")
	}
	if !patientRefPattern.MatchString(t.PatientRef) {
		return FieldErrorf("patient_ref", "patient_ref must be a FHIR reference such as Patient/123.")
	}
	if t.EncounterRef != "" && !encounterRefPattern.MatchString(t.EncounterRef) {
		return FieldErrorf("encounter_ref", "encounter_ref must be a FHIR reference such as Encounter/456.")
	}
	if t.Status != "" && !t.Status.Valid() {
		return FieldErrorf("status", "status must be one of open, assigned, in_progress, completed, cancelled.")
	}
	if err := validateTags("sensitivity_tags", t.SensitivityTags); err != nil {
		return err
	}
	if t.Complexity < 1 || t.Complexity > 5 {
		return FieldErrorf("complexity", "complexity must be between 1 and 5.")
	}
	if t.Priority < 0 || t.Priority > 9 {
		return FieldErrorf("priority", "priority must be between 0 and 9.")
	}
	if len(t.ExternalID) > 200 {
		return FieldErrorf("external_id", "external_id must be at most 200 bytes.")
	}
	return nil
}

// TaskFilter selects tasks. Zero fields match all.
type TaskFilter struct {
	ID         *string
	QueueID    *string
	Type       *Function
	Status     *TaskStatus
	AssigneeID *string
	PatientRef *string
	ExternalID *string
	Tag        *string // tasks carrying this sensitivity tag
	Page
}

// TaskUpdate changes a task's details; its status moves only through
// TransitionTask. Nil fields are left as they are.
type TaskUpdate struct {
	QueueID         *string     `json:"queue_id"`
	SensitivityTags *[]string   `json:"sensitivity_tags"`
	Complexity      *int        `json:"complexity"`
	Priority        *int        `json:"priority"`
	DueAt           **time.Time `json:"due_at"` // a nil *time.Time clears it; JSON null reads as unchanged unless the decoder handles it (the http package does)
}

// Apply applies upd to t; the caller validates t afterwards.
func (upd TaskUpdate) Apply(t *Task) {
	set(&t.QueueID, upd.QueueID)
	set(&t.SensitivityTags, upd.SensitivityTags)
	set(&t.Complexity, upd.Complexity)
	set(&t.Priority, upd.Priority)
	set(&t.DueAt, upd.DueAt)
}

// TaskTransition asks to move a task. AssigneeID is required when moving to
// assigned and ignored otherwise.
type TaskTransition struct {
	To         TaskStatus `json:"to"`
	AssigneeID string     `json:"assignee_id,omitempty"`
	Reason     string     `json:"reason,omitempty"`
}

// TaskService stores tasks.
type TaskService interface {
	// FindTaskByID returns ENOTFOUND if the task does not exist. The task's
	// Transitions are filled.
	FindTaskByID(ctx context.Context, id string) (*Task, error)
	// FindTasks returns matching tasks ordered by ID and the total count.
	FindTasks(ctx context.Context, filter TaskFilter) ([]*Task, int, error)
	// CreateTask stores a new open task. Returns EINVALID (also when the
	// queue does not exist, naming queue_id) or ECONFLICT when the
	// external ID is taken.
	CreateTask(ctx context.Context, t *Task) error
	// UpdateTask returns ENOTFOUND, EINVALID, or EUNPROCESSABLE when the
	// task is completed or cancelled.
	UpdateTask(ctx context.Context, id string, upd TaskUpdate) (*Task, error)
	// TransitionTask moves the task, recording actor and reason. Moving to
	// assigned sets the assignee (EINVALID naming assignee_id when missing
	// or unknown); moving back to open clears it. Returns ENOTFOUND,
	// EINVALID or EUNPROCESSABLE.
	TransitionTask(ctx context.Context, id string, tr TaskTransition) (*Task, error)
}
