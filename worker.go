package ward

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// WorkerStatus is a stage in a worker's lifecycle.
type WorkerStatus string

// Worker statuses. Stable values: do not rename.
const (
	WorkerInvited    WorkerStatus = "invited"    // provisioned; has not started onboarding
	WorkerOnboarding WorkerStatus = "onboarding" // completing training, MFA enrolment, attestations
	WorkerActive     WorkerStatus = "active"     // may log in and take tasks
	WorkerSuspended  WorkerStatus = "suspended"  // access paused: no login, no session or grant is honoured
	WorkerOffboarded WorkerStatus = "offboarded" // gone for good; the identity is never reused
)

// workerTransitions lists the allowed moves of the lifecycle.
var workerTransitions = map[WorkerStatus][]WorkerStatus{
	WorkerInvited:    {WorkerOnboarding, WorkerSuspended, WorkerOffboarded},
	WorkerOnboarding: {WorkerActive, WorkerSuspended, WorkerOffboarded},
	WorkerActive:     {WorkerSuspended, WorkerOffboarded},
	WorkerSuspended:  {WorkerActive, WorkerOffboarded},
	WorkerOffboarded: nil,
}

// Valid reports whether s is a known status.
func (s WorkerStatus) Valid() bool {
	_, ok := workerTransitions[s]
	return ok
}

// CanTransition reports whether a worker may move from s to to.
func (s WorkerStatus) CanTransition(to WorkerStatus) bool {
	for _, v := range workerTransitions[s] {
		if v == to {
			return true
		}
	}
	return false
}

// CheckWorkerTransition returns EUNPROCESSABLE when from → to is not a move
// of the lifecycle, and EINVALID when to is not a status.
func CheckWorkerTransition(from, to WorkerStatus) error {
	if !to.Valid() {
		return FieldErrorf("to", "%q is not one of invited, onboarding, active, suspended, offboarded.", to)
	}
	if !from.CanTransition(to) {
		return Errorf(EUNPROCESSABLE, "A worker cannot move from %s to %s.", from, to)
	}
	return nil
}

// Transition records one move of a lifecycle.
type Transition struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // principal subject that made the move
	Reason string    `json:"reason,omitempty"`
}

// Worker is one person: a unique identity that is never shared or reused.
// Vendor staff (workers and supervisors) belong to a vendor and a team; the
// covered entity's own staff (admin, compliance, auditor) belong to none.
type Worker struct {
	ID         string       `json:"id"`
	Username   string       `json:"username"` // unique for ever, also after offboarding
	Email      string       `json:"email"`
	GivenName  string       `json:"given_name"`
	FamilyName string       `json:"family_name"`
	Address    string       `json:"address,omitempty"` // home address, for conflict-of-interest checks
	VendorID   string       `json:"vendor_id,omitempty"`
	TeamID     string       `json:"team_id,omitempty"`
	Role       Role         `json:"role"`
	ScheduleID string       `json:"schedule_id,omitempty"`
	ExternalID string       `json:"external_id,omitempty"` // the identity provider's or HR system's ID
	MaxTasks   int          `json:"max_tasks"`             // concurrent task limit; 0 means the default
	Status     WorkerStatus `json:"status"`
	// Transitions is the lifecycle history, oldest first; the first entry
	// is the creation (From empty).
	Transitions []Transition `json:"transitions"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// DefaultMaxTasks is a worker's concurrent task limit when MaxTasks is 0.
const DefaultMaxTasks = 3

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{1,63}$`)

// Validate returns an EINVALID error naming the first invalid field.
func (w *Worker) Validate() error {
	if !usernamePattern.MatchString(w.Username) {
		return FieldErrorf("username", "username must be 2-64 lower case letters, digits or . _ @ -, starting with a letter or digit.")
	}
	if w.Email != "" && (!strings.Contains(w.Email, "@") || len(w.Email) > 254 || strings.ContainsAny(w.Email, " \r\n")) {
		return FieldErrorf("email", "%q is not an email address.", w.Email)
	}
	if err := validateName("given_name", w.GivenName, 100); err != nil {
		return err
	}
	if err := validateName("family_name", w.FamilyName, 100); err != nil {
		return err
	}
	if len(w.Address) > 300 {
		return FieldErrorf("address", "address must be at most 300 bytes.")
	}
	if !w.Role.Valid() {
		return FieldErrorf("role", "role must be one of admin, compliance, supervisor, worker, auditor.")
	}
	vendorStaff := w.Role == RoleWorker || w.Role == RoleSupervisor
	if vendorStaff && w.VendorID == "" {
		return FieldErrorf("vendor_id", "A %s must belong to a vendor.", w.Role)
	}
	if !vendorStaff && w.VendorID != "" {
		return FieldErrorf("vendor_id", "A %s is the organization's own staff and belongs to no vendor.", w.Role)
	}
	if !vendorStaff && w.TeamID != "" {
		return FieldErrorf("team_id", "A %s is the organization's own staff and belongs to no team.", w.Role)
	}
	if w.Role == RoleWorker && w.TeamID == "" {
		return FieldErrorf("team_id", "A worker must belong to a team.")
	}
	if w.MaxTasks < 0 || w.MaxTasks > 100 {
		return FieldErrorf("max_tasks", "max_tasks must be between 0 and 100.")
	}
	if w.Status != "" && !w.Status.Valid() {
		return FieldErrorf("status", "status must be one of invited, onboarding, active, suspended, offboarded.")
	}
	return nil
}

// TaskLimit returns the worker's concurrent task limit.
func (w *Worker) TaskLimit() int {
	if w.MaxTasks == 0 {
		return DefaultMaxTasks
	}
	return w.MaxTasks
}

// FullName returns "Given Family".
func (w *Worker) FullName() string { return w.GivenName + " " + w.FamilyName }

// TransitionTime returns when the worker last entered status s, or the zero
// time if it never did.
func (w *Worker) TransitionTime(s WorkerStatus) time.Time {
	for i := len(w.Transitions) - 1; i >= 0; i-- {
		if w.Transitions[i].To == string(s) {
			return w.Transitions[i].At
		}
	}
	return time.Time{}
}

// WorkerFilter selects workers. Zero fields match all.
type WorkerFilter struct {
	ID         *string
	Username   *string
	ExternalID *string
	VendorID   *string
	TeamID     *string
	ScheduleID *string
	Role       *Role
	Status     *WorkerStatus
	Page
}

// WorkerUpdate changes a worker's profile; the lifecycle moves only through
// TransitionWorker. Nil fields are left as they are.
type WorkerUpdate struct {
	Email      *string `json:"email"`
	GivenName  *string `json:"given_name"`
	FamilyName *string `json:"family_name"`
	Address    *string `json:"address"`
	TeamID     *string `json:"team_id"`
	Role       *Role   `json:"role"`
	ScheduleID *string `json:"schedule_id"`
	ExternalID *string `json:"external_id"`
	MaxTasks   *int    `json:"max_tasks"`
}

// Apply applies upd to w; the caller validates w afterwards.
func (upd WorkerUpdate) Apply(w *Worker) {
	set(&w.Email, upd.Email)
	set(&w.GivenName, upd.GivenName)
	set(&w.FamilyName, upd.FamilyName)
	set(&w.Address, upd.Address)
	set(&w.TeamID, upd.TeamID)
	set(&w.Role, upd.Role)
	set(&w.ScheduleID, upd.ScheduleID)
	set(&w.ExternalID, upd.ExternalID)
	set(&w.MaxTasks, upd.MaxTasks)
}

// WorkerService stores workers and their lifecycle.
type WorkerService interface {
	// FindWorkerByID returns ENOTFOUND if the worker does not exist. The
	// worker's Transitions are filled.
	FindWorkerByID(ctx context.Context, id string) (*Worker, error)
	// FindWorkers returns matching workers ordered by ID and the total
	// count. Transitions are not filled.
	FindWorkers(ctx context.Context, filter WorkerFilter) ([]*Worker, int, error)
	// CreateWorker stores a new worker in status invited (or w.Status if
	// set, for imports by an administrator; the http package lets only
	// admins set it), recording the first transition. Returns EINVALID
	// (also when the vendor, team or schedule does not exist, or the team
	// belongs to another vendor) or ECONFLICT when the username or
	// external ID is taken.
	CreateWorker(ctx context.Context, w *Worker) error
	// UpdateWorker returns ENOTFOUND, EINVALID or ECONFLICT.
	UpdateWorker(ctx context.Context, id string, upd WorkerUpdate) (*Worker, error)
	// TransitionWorker moves the worker to status to, recording the actor
	// (from the context's principal) and reason. Returns ENOTFOUND,
	// EINVALID, or EUNPROCESSABLE when the move is not allowed.
	//
	// It does not revoke the worker's sessions and grants; the caller does,
	// and every request re-checks the worker's status anyway, so a
	// suspended worker's session is refused even before its revocation is
	// written.
	TransitionWorker(ctx context.Context, id string, to WorkerStatus, reason string) (*Worker, error)
}

// Actor returns the subject of ctx's principal, or "system" if none; stores
// record it with every transition.
func Actor(ctx context.Context) string {
	if p := PrincipalFromContext(ctx); p != nil && p.Subject != "" {
		return p.Subject
	}
	return "system"
}

// String implements fmt.Stringer for logs; it contains no PHI.
func (w *Worker) String() string { return fmt.Sprintf("worker %s (%s)", w.ID, w.Username) }
