package ward

import (
	"context"
	"time"
)

// Event is one audited action: who did what to which record, when, from
// where, why, and what came of it. Every part of ward produces events of
// this one schema; the ledger makes each a leaf of its Merkle tree.
//
// Fields may be added (an absent field encodes as nothing, so old leaves
// hash the same); never rename or retype one.
type Event struct {
	// Time is when the action happened, UTC, to the nanosecond.
	Time time.Time `json:"time"`
	// Action names what happened, "area.verb": fhir.read, fhir.search,
	// auth.login, auth.login_failed, auth.logout, session.revoked,
	// scim.user_created, worker.transition, task.transition, grant.issued,
	// grant.revoked, admin.vendor_created, policy.changed, alert.raised,
	// alert.resolved, and so on.
	Action  string       `json:"action"`
	Actor   EventActor   `json:"actor"`
	Target  EventTarget  `json:"target"`
	Origin  EventOrigin  `json:"origin"`
	Purpose string       `json:"purpose,omitempty"` // purpose of use, e.g. HL7 v3 PurposeOfUse code such as HOPERAT
	Outcome EventOutcome `json:"outcome"`
	// RequestID ties the event to the HTTP request that caused it.
	RequestID string `json:"request_id,omitempty"`
	// Details holds action-specific facts that have no field above, such
	// as a transition's from and to. Keys are lower_snake_case.
	Details map[string]string `json:"details,omitempty"`
}

// EventActor is who acted.
type EventActor struct {
	Subject   string `json:"subject"` // worker ID, "admin-token", "system", a SCIM client
	Role      Role   `json:"role,omitempty"`
	WorkerID  string `json:"worker_id,omitempty"`
	Username  string `json:"username,omitempty"`
	VendorID  string `json:"vendor_id,omitempty"`
	TeamID    string `json:"team_id,omitempty"`
	SessionID string `json:"session_id,omitempty"`
	DeviceID  string `json:"device_id,omitempty"`
}

// EventTarget is what the action touched.
type EventTarget struct {
	ResourceType string `json:"resource_type,omitempty"` // a FHIR type, or a ward type such as "Worker"
	ResourceID   string `json:"resource_id,omitempty"`
	PatientRef   string `json:"patient_ref,omitempty"` // "Patient/{id}" whose record was touched
	TaskID       string `json:"task_id,omitempty"`
	GrantID      string `json:"grant_id,omitempty"`
	Query        string `json:"query,omitempty"` // a FHIR search as received, for fhir.search
}

// EventOrigin is where the action came from.
type EventOrigin struct {
	ClientAddr string `json:"client_addr,omitempty"`
	Country    string `json:"country,omitempty"`
	SiteID     string `json:"site_id,omitempty"`
}

// Outcome decisions.
const (
	DecisionPermit  = "permit"
	DecisionDeny    = "deny"
	DecisionSuccess = "success"
	DecisionFailure = "failure"
	DecisionError   = "error"
)

// EventOutcome is what came of the action.
type EventOutcome struct {
	Decision string   `json:"decision"`           // permit, deny, success, failure, error
	Reasons  []string `json:"reasons,omitempty"`  // reason codes, e.g. "no_live_grant"
	Policies []string `json:"policies,omitempty"` // the policies that decided
	Status   int      `json:"status,omitempty"`   // HTTP status returned
	Count    int      `json:"count,omitempty"`    // resources returned
	Removed  []string `json:"removed,omitempty"`  // what response-side enforcement removed, e.g. "Patient.name"
}

// Validate returns an EINVALID error naming the first invalid field.
func (e *Event) Validate() error {
	if e.Time.IsZero() {
		return FieldErrorf("time", "time is required.")
	}
	if err := validateName("action", e.Action, 100); err != nil {
		return err
	}
	if e.Actor.Subject == "" {
		return FieldErrorf("actor.subject", "actor.subject is required.")
	}
	switch e.Outcome.Decision {
	case DecisionPermit, DecisionDeny, DecisionSuccess, DecisionFailure, DecisionError:
	default:
		return FieldErrorf("outcome.decision", "outcome.decision must be one of permit, deny, success, failure, error.")
	}
	return nil
}

// Auditor records events. The gateway and every other producer depend on
// this interface; the ledger package implements it.
type Auditor interface {
	// Audit records e and returns its ledger index. It MUST NOT return
	// until the event is durable (committed and fsynced); callers release
	// PHI only after it returns nil.
	Audit(ctx context.Context, e *Event) (uint64, error)
}

// AccessRequest is one PHI request as the organization's policies see it,
// after ward's own checks (session, shift, origin, grant) have passed.
type AccessRequest struct {
	Principal    *Principal // WorkerID, Role, VendorID, TeamID, Country, SiteID, DeviceID
	Interaction  string     // read, vread, search, history
	ResourceType string
	PatientRef   string // "Patient/{id}"
	TaskID       string
	TaskType     string
	TaskTags     []string // the task's sensitivity tags
	Clearances   []string // the worker's team's clearances
	Functions    []string // the worker's team's functions
	// VendorCountries are the countries the worker's vendor may work from.
	VendorCountries []string
	Time            time.Time
}

// AccessDecision is a policy's answer: permit or deny, the reason codes
// and the IDs of the policies that decided.
type AccessDecision struct {
	Permit   bool
	Reasons  []string
	Policies []string
}
