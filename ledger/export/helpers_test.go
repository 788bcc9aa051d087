package export_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

// MemStore is an in-memory ward.LedgerStore holding leaves only.
type MemStore struct {
	mu     sync.Mutex
	leaves []ward.LedgerLeaf
	// ReadErr, when set, is called before each ReadLedger; a non-nil
	// result fails the call.
	ReadErr func() error
	// Size, when set, overrides LedgerSize.
	Size func(n uint64) uint64
}

var _ ward.LedgerStore = (*MemStore)(nil)

// Append stores events as the next leaves, encoded as the ledger would.
func (s *MemStore) Append(tb testing.TB, events ...ward.Event) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			tb.Fatal(err)
		}
		h := sha256.Sum256(append([]byte{0}, data...))
		s.leaves = append(s.leaves, ward.LedgerLeaf{
			Index: uint64(len(s.leaves)), Data: data, Hash: h[:],
			Time: e.Time, Action: e.Action, Subject: e.Actor.Subject, WorkerID: e.Actor.WorkerID,
			VendorID: e.Actor.VendorID, PatientRef: e.Target.PatientRef, Decision: e.Outcome.Decision,
		})
	}
}

func (s *MemStore) LedgerSize(ctx context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := uint64(len(s.leaves))
	if s.Size != nil {
		n = s.Size(n)
	}
	return n, nil
}

func (s *MemStore) ReadLedger(ctx context.Context, start uint64, count int) ([]ward.LedgerLeaf, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.ReadErr != nil {
		if err := s.ReadErr(); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ward.LedgerLeaf
	for i := start; i < uint64(len(s.leaves)) && len(out) < count; i++ {
		out = append(out, s.leaves[i])
	}
	return out, nil
}

func (s *MemStore) FindLedger(ctx context.Context, f ward.LedgerFilter) ([]ward.LedgerLeaf, int, error) {
	if err := f.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var match []ward.LedgerLeaf
	for _, l := range s.leaves {
		switch {
		case f.PatientRef != nil && l.PatientRef != *f.PatientRef,
			f.WorkerID != nil && l.WorkerID != *f.WorkerID,
			f.VendorID != nil && l.VendorID != *f.VendorID,
			f.Action != nil && l.Action != *f.Action,
			f.From != nil && l.Time.Before(*f.From),
			f.To != nil && !l.Time.Before(*f.To):
			continue
		}
		match = append(match, l)
	}
	total := len(match)
	match = match[min(f.Offset, len(match)):]
	return match[:min(f.Limit, len(match))], total, nil
}

func (s *MemStore) AppendLedger(ctx context.Context, leaves []ward.LedgerLeaf, nodes []ward.LedgerNode) error {
	return ward.Errorf(ward.ENOTIMPLEMENTED, "not in MemStore")
}
func (s *MemStore) LedgerNodes(ctx context.Context, ids []ward.LedgerNode) ([]ward.LedgerNode, error) {
	return nil, ward.Errorf(ward.ENOTIMPLEMENTED, "not in MemStore")
}
func (s *MemStore) SaveCheckpoint(ctx context.Context, c *ward.LedgerCheckpoint) error {
	return ward.Errorf(ward.ENOTIMPLEMENTED, "not in MemStore")
}
func (s *MemStore) LatestCheckpoint(ctx context.Context) (*ward.LedgerCheckpoint, error) {
	return nil, ward.Errorf(ward.ENOTFOUND, "No checkpoint.")
}
func (s *MemStore) Checkpoints(ctx context.Context) ([]*ward.LedgerCheckpoint, error) {
	return nil, nil
}

// t0 is the time of the first sample event.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

// worker is the actor of the sample PHI accesses.
var worker = ward.EventActor{
	Subject: "wrk_01JQ8", Role: ward.RoleWorker, WorkerID: "wrk_01JQ8", Username: "apatel",
	VendorID: "vnd_acme", TeamID: "team_coding_pune", SessionID: "ses_77", DeviceID: "vdi-pune-014",
}

var origin = ward.EventOrigin{ClientAddr: "203.0.113.7:51234", Country: "IN", SiteID: "site_pune"}

// SampleEvents is one event of each kind ward produces, plus hostile
// input, for the format tests.
func SampleEvents() []struct {
	Name  string
	Event ward.Event
} {
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	return []struct {
		Name  string
		Event ward.Event
	}{
		{"ReadPermit", ward.Event{
			Time: at(0), Action: "fhir.read", Actor: worker, Origin: origin, Purpose: "HPAYMT",
			Target:    ward.EventTarget{ResourceType: "Observation", ResourceID: "obs-9", PatientRef: "Patient/p-1", TaskID: "tsk_1", GrantID: "gr_1"},
			Outcome:   ward.EventOutcome{Decision: ward.DecisionPermit, Policies: []string{"grant", "shift"}, Status: 200, Count: 1, Removed: []string{"Observation.note"}},
			RequestID: "req-aa11",
		}},
		{"VReadPermit", ward.Event{
			Time: at(1), Action: "fhir.vread", Actor: worker, Origin: origin, Purpose: "HOPERAT",
			Target:  ward.EventTarget{ResourceType: "Patient", ResourceID: "p-1", PatientRef: "Patient/p-1", TaskID: "tsk_1", GrantID: "gr_1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionPermit, Status: 200, Count: 1, Removed: []string{"Patient.telecom", "Patient.address"}},
		}},
		{"SearchPermit", ward.Event{
			Time: at(2), Action: "fhir.search", Actor: worker, Origin: origin, Purpose: "HPAYMT",
			Target:  ward.EventTarget{ResourceType: "Condition", PatientRef: "Patient/p-1", TaskID: "tsk_1", GrantID: "gr_1", Query: "Condition?patient=p-1&clinical-status=active"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionPermit, Status: 200, Count: 7},
		}},
		{"ReadDeny", ward.Event{
			Time: at(3), Action: "fhir.read", Actor: worker, Origin: origin,
			Target:  ward.EventTarget{ResourceType: "Patient", ResourceID: "p-2", PatientRef: "Patient/p-2"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionDeny, Reasons: []string{"no_live_grant", "outside_shift"}, Status: 403},
		}},
		{"SearchError", ward.Event{
			Time: at(4), Action: "fhir.search", Actor: worker, Origin: origin,
			Target:  ward.EventTarget{ResourceType: "Encounter", PatientRef: "Patient/p-1", Query: "Encounter?patient=p-1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionError, Reasons: []string{"upstream_timeout"}, Status: 504},
		}},
		{"SearchSystem", ward.Event{
			Time: at(5), Action: "fhir.search", Actor: worker, Origin: origin,
			Target:  ward.EventTarget{Query: "?_type=Patient&name=smith"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionDeny, Reasons: []string{"unsupported_search"}, Status: 400},
		}},
		{"History", ward.Event{
			Time: at(6), Action: "fhir.history", Actor: worker, Origin: origin,
			Target:  ward.EventTarget{ResourceType: "Observation", ResourceID: "obs-9", PatientRef: "Patient/p-1", GrantID: "gr_1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionPermit, Count: 3},
		}},
		{"Login", ward.Event{
			Time: at(7), Action: "auth.login", Actor: worker, Origin: origin,
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess}, Details: map[string]string{"amr": "pwd,otp"},
		}},
		{"LoginFailed", ward.Event{
			Time: at(8), Action: "auth.login_failed", Actor: ward.EventActor{Subject: "unknown", Username: "apatel"},
			Origin:  ward.EventOrigin{ClientAddr: "[2001:db8::1]:443", Country: "PH"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionFailure, Reasons: []string{"bad_totp"}},
		}},
		{"Logout", ward.Event{
			Time: at(9), Action: "auth.logout", Actor: worker, Origin: origin,
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess},
		}},
		{"SessionRevoked", ward.Event{
			Time: at(10), Action: "session.revoked", Actor: ward.EventActor{Subject: "system"},
			Target:  ward.EventTarget{ResourceType: "Session", ResourceID: "ses_77"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess, Reasons: []string{"alert_action"}},
		}},
		{"SCIMUserCreated", ward.Event{
			Time: at(11), Action: "scim.user_created", Actor: ward.EventActor{Subject: "scim:acme-hr", VendorID: "vnd_acme"},
			Origin:  ward.EventOrigin{ClientAddr: "hr.acme.example"},
			Target:  ward.EventTarget{ResourceType: "Worker", ResourceID: "wrk_01JQ9"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess, Status: 201},
		}},
		{"WorkerSuspended", ward.Event{
			Time: at(12), Action: "worker.transition", Actor: ward.EventActor{Subject: "wrk_admin", Role: ward.RoleAdmin, WorkerID: "wrk_admin", Username: "secops"},
			Target:  ward.EventTarget{ResourceType: "Worker", ResourceID: "wrk_01JQ8"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess}, Details: map[string]string{"from": "active", "to": "suspended"},
		}},
		{"GrantIssued", ward.Event{
			Time: at(13), Action: "grant.issued", Actor: ward.EventActor{Subject: "system"},
			Target:  ward.EventTarget{ResourceType: "Grant", ResourceID: "gr_1", PatientRef: "Patient/p-1", TaskID: "tsk_1", GrantID: "gr_1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess}, Details: map[string]string{"worker_id": "wrk_01JQ8", "expires": "2025-03-14T17:00:00Z"},
		}},
		{"GrantRevoked", ward.Event{
			Time: at(14), Action: "grant.revoked", Actor: ward.EventActor{Subject: "system"},
			Target:  ward.EventTarget{ResourceType: "Grant", ResourceID: "gr_1", PatientRef: "Patient/p-1", GrantID: "gr_1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess, Reasons: []string{"task_completed"}}, Details: map[string]string{"worker_id": "wrk_01JQ8"},
		}},
		{"TaskTransition", ward.Event{
			Time: at(15), Action: "task.transition", Actor: worker,
			Target:  ward.EventTarget{ResourceType: "Task", ResourceID: "tsk_1", TaskID: "tsk_1", PatientRef: "Patient/p-1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess}, Details: map[string]string{"from": "assigned", "to": "submitted"},
		}},
		{"VendorCreated", ward.Event{
			Time: at(16), Action: "admin.vendor_created", Actor: ward.EventActor{Subject: "admin-token", Role: ward.RoleAdmin},
			Origin:  ward.EventOrigin{ClientAddr: "10.0.0.5"},
			Target:  ward.EventTarget{ResourceType: "Vendor", ResourceID: "vnd_new"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess, Status: 201},
		}},
		{"PolicyChanged", ward.Event{
			Time: at(17), Action: "policy.changed", Actor: ward.EventActor{Subject: "wrk_cmp", Role: ward.RoleCompliance, WorkerID: "wrk_cmp", Username: "privacy"},
			Target:  ward.EventTarget{ResourceType: "Policy", ResourceID: "no-sensitive-offshore"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess},
		}},
		{"AlertRaised", ward.Event{
			Time: at(18), Action: "alert.raised", Actor: ward.EventActor{Subject: "system"},
			Target:  ward.EventTarget{ResourceType: "Alert", ResourceID: "alr_5", PatientRef: "Patient/p-2"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess}, Details: map[string]string{"rule": "denied_burst", "worker_id": "wrk_01JQ8"},
		}},
		{"AlertResolved", ward.Event{
			Time: at(19), Action: "alert.resolved", Actor: ward.EventActor{Subject: "wrk_cmp", Role: ward.RoleCompliance, WorkerID: "wrk_cmp", Username: "privacy"},
			Target:  ward.EventTarget{ResourceType: "Alert", ResourceID: "alr_5"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess}, Details: map[string]string{"resolution": "false positive"},
		}},
		{"Hostile", ward.Event{
			Time: at(20), Action: "fhir.search",
			Actor:   ward.EventActor{Subject: "wrk_x|y", WorkerID: "wrk_x|y", Username: "a=b\\c|d\ne\rf", VendorID: "v=1"},
			Origin:  ward.EventOrigin{ClientAddr: "not an address", Country: "=cmd|' /C calc'!A0"},
			Target:  ward.EventTarget{ResourceType: "Patient", PatientRef: "Patient/p-3", Query: "Patient?name=O'Brien&x=a|b\\c\n=d"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionDeny, Reasons: []string{"bad|reason", "x=y"}},
			Details: map[string]string{"note": "line1\nline2 k=v \\", "ünïcode": "ok ✓"},
		}},
		{"Minimal", ward.Event{
			Time: at(21), Action: "ledger.started", Actor: ward.EventActor{Subject: "system"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess},
		}},
	}
}
