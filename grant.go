package ward

import (
	"context"
	"fmt"
	"regexp"
	"time"
)

// FHIR interactions a grant can allow.
const (
	InteractionRead    = "read"
	InteractionVRead   = "vread"
	InteractionSearch  = "search"
	InteractionHistory = "history"
)

var resourceTypePattern = regexp.MustCompile(`^[A-Z][A-Za-z]{1,63}$`)

// Grant is just-in-time access: one worker, for one task, to one patient's
// resources of some types through some interactions, inside a window. No
// access exists without a live grant.
type Grant struct {
	ID            string     `json:"id"`
	WorkerID      string     `json:"worker_id"`
	TaskID        string     `json:"task_id"`
	PatientRef    string     `json:"patient_ref"`
	ResourceTypes []string   `json:"resource_types"`
	Interactions  []string   `json:"interactions"`
	NotBefore     time.Time  `json:"not_before"`
	ExpiresAt     time.Time  `json:"expires_at"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	RevokeReason  string     `json:"revoke_reason,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// Validate returns an EINVALID error naming the first invalid field.
func (g *Grant) Validate() error {
	if g.WorkerID == "" {
		return FieldErrorf("worker_id", "worker_id is required.")
	}
	if g.TaskID == "" {
		return FieldErrorf("task_id", "task_id is required.")
	}
	if !patientRefPattern.MatchString(g.PatientRef) {
		return FieldErrorf("patient_ref", "patient_ref must be a FHIR reference such as Patient/123.")
	}
	if len(g.ResourceTypes) == 0 {
		return FieldErrorf("resource_types", "A grant needs at least one resource type.")
	}
	for i, rt := range g.ResourceTypes {
		if !resourceTypePattern.MatchString(rt) {
			return FieldErrorf(fmt.Sprintf("resource_types[%d]", i), "%q is not a FHIR resource type.", rt)
		}
	}
	if len(g.Interactions) == 0 {
		return FieldErrorf("interactions", "A grant needs at least one interaction.")
	}
	for i, in := range g.Interactions {
		switch in {
		case InteractionRead, InteractionVRead, InteractionSearch, InteractionHistory:
		default:
			return FieldErrorf(fmt.Sprintf("interactions[%d]", i), "%q is not one of read, vread, search, history.", in)
		}
	}
	if g.NotBefore.IsZero() || g.ExpiresAt.IsZero() {
		return FieldErrorf("expires_at", "A grant needs not_before and expires_at.")
	}
	// Stores keep microseconds; a shorter window would vanish when stored.
	if g.ExpiresAt.Sub(g.NotBefore) < time.Microsecond {
		return FieldErrorf("expires_at", "expires_at must be after not_before.")
	}
	return nil
}

// Live reports whether the grant is in force at t: inside its window and
// not revoked.
func (g *Grant) Live(t time.Time) bool {
	return g.RevokedAt == nil && !t.Before(g.NotBefore) && t.Before(g.ExpiresAt)
}

// GrantFilter selects grants. Zero fields match all.
type GrantFilter struct {
	ID         *string
	WorkerID   *string
	TaskID     *string
	PatientRef *string
	LiveAt     *time.Time // only grants live at this instant
	Page
}

// GrantService stores grants.
type GrantService interface {
	// FindGrantByID returns ENOTFOUND if the grant does not exist.
	FindGrantByID(ctx context.Context, id string) (*Grant, error)
	// FindGrants returns matching grants ordered by ID and the total count.
	FindGrants(ctx context.Context, filter GrantFilter) ([]*Grant, int, error)
	// CreateGrant stores a new, unrevoked grant. Returns EINVALID (also
	// naming worker_id or task_id when unknown). Whether the grant fits its
	// task (same patient, assigned worker) is the routing package's
	// decision, made before it calls CreateGrant.
	CreateGrant(ctx context.Context, g *Grant) error
	// RevokeGrant ends the grant now. Revoking a revoked grant keeps the
	// first revocation and is not an error. Returns ENOTFOUND.
	RevokeGrant(ctx context.Context, id, reason string) (*Grant, error)
}
