package report_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

// MemStore is an in-memory ward.LedgerStore holding leaves only.
type MemStore struct {
	mu     sync.Mutex
	leaves []ward.LedgerLeaf
	// FindErr, when set, fails FindLedger.
	FindErr error
	// Finds counts FindLedger calls.
	Finds int
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
	return uint64(len(s.leaves)), nil
}

func (s *MemStore) ReadLedger(ctx context.Context, start uint64, count int) ([]ward.LedgerLeaf, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ward.LedgerLeaf
	for i := start; i < uint64(len(s.leaves)) && len(out) < count; i++ {
		out = append(out, s.leaves[i])
	}
	return out, nil
}

// FindLedger behaves as the drivers do: the indexed fields filter, Page
// normalizes (a limit above ward.MaxLimit is EINVALID).
func (s *MemStore) FindLedger(ctx context.Context, f ward.LedgerFilter) ([]ward.LedgerLeaf, int, error) {
	if err := f.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Finds++
	if s.FindErr != nil {
		return nil, 0, s.FindErr
	}
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

// Names is a Lookup over maps; it counts calls and can fail.
type Names struct {
	Workers, Vendors map[string]string
	Err              error
	Calls            int
}

func (n *Names) WorkerName(ctx context.Context, id string) (string, error) {
	return n.find(n.Workers, id, "Worker")
}

func (n *Names) VendorName(ctx context.Context, id string) (string, error) {
	return n.find(n.Vendors, id, "Vendor")
}

func (n *Names) find(m map[string]string, id, kind string) (string, error) {
	n.Calls++
	if n.Err != nil {
		return "", n.Err
	}
	if name, ok := m[id]; ok {
		return name, nil
	}
	return "", ward.Errorf(ward.ENOTFOUND, "%s not found.", kind)
}

var errStore = errors.New("store is down")

// t0 is 2025-03-14 09:00 UTC, 14:30 in India.
var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

var (
	apatel = ward.EventActor{Subject: "wrk_1", Role: ward.RoleWorker, WorkerID: "wrk_1", Username: "apatel", VendorID: "vnd_acme", TeamID: "team_pune", SessionID: "ses_1", DeviceID: "vdi-14"}
	jcruz  = ward.EventActor{Subject: "wrk_2", Role: ward.RoleWorker, WorkerID: "wrk_2", Username: "jcruz", VendorID: "vnd_manila", SessionID: "ses_2"}
	pune   = ward.EventOrigin{ClientAddr: "203.0.113.7", Country: "IN", SiteID: "site_pune"}
	manila = ward.EventOrigin{ClientAddr: "198.51.100.20", Country: "PH", SiteID: "site_mnl"}
)

// Names of the sample workers and vendors; wrk_2's is unknown.
func sampleNames() *Names {
	return &Names{
		Workers: map[string]string{"wrk_1": "Asha Patel"},
		Vendors: map[string]string{"vnd_acme": "Acme Coding Pvt Ltd", "vnd_manila": "=HYPERLINK(\"http://evil\")"},
	}
}

// SampleLedger is a day and a half of activity by two workers on three
// patients, with hostile values in one entry.
func SampleLedger(t *testing.T) *MemStore {
	s := &MemStore{}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	s.Append(t,
		ward.Event{Time: at(0), Action: "auth.login", Actor: apatel, Origin: pune, Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess}},
		ward.Event{Time: at(time.Minute), Action: "grant.issued", Actor: ward.EventActor{Subject: "system"},
			Target:  ward.EventTarget{ResourceType: "Grant", ResourceID: "gr_1", PatientRef: "Patient/p-1", TaskID: "tsk_1", GrantID: "gr_1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess}, Details: map[string]string{"worker_id": "wrk_1"}},
		ward.Event{Time: at(2 * time.Minute), Action: "fhir.read", Actor: apatel, Origin: pune, Purpose: "HPAYMT",
			Target:  ward.EventTarget{ResourceType: "Patient", ResourceID: "p-1", PatientRef: "Patient/p-1", TaskID: "tsk_1", GrantID: "gr_1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionPermit, Status: 200, Count: 1, Removed: []string{"Patient.telecom", "Patient.address"}}},
		ward.Event{Time: at(3 * time.Minute), Action: "fhir.search", Actor: apatel, Origin: pune, Purpose: "HPAYMT",
			Target:  ward.EventTarget{ResourceType: "Condition", PatientRef: "Patient/p-1", TaskID: "tsk_1", GrantID: "gr_1", Query: "Condition?patient=p-1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionPermit, Status: 200, Count: 4}},
		ward.Event{Time: at(4 * time.Minute), Action: "fhir.read", Actor: apatel, Origin: pune,
			Target:  ward.EventTarget{ResourceType: "Patient", ResourceID: "p-2", PatientRef: "Patient/p-2"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionDeny, Status: 403, Reasons: []string{"no_live_grant"}}},
		ward.Event{Time: at(5 * time.Minute), Action: "fhir.read", Actor: jcruz, Origin: manila, Purpose: "HPAYMT",
			Target:  ward.EventTarget{ResourceType: "Observation", ResourceID: "obs-1", PatientRef: "Patient/p-1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionDeny, Status: 403, Reasons: []string{"no_live_grant", "country_not_approved"}}},
		ward.Event{Time: at(6 * time.Minute), Action: "fhir.read", Actor: apatel, Origin: pune,
			Target:  ward.EventTarget{ResourceType: "Observation", ResourceID: "obs-9", PatientRef: "Patient/p-1", TaskID: "tsk_1", GrantID: "gr_1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionError, Status: 502, Reasons: []string{"upstream_error"}}},
		// 15:00 UTC is 20:30 in India: same UTC day, same IST day.
		ward.Event{Time: at(6 * time.Hour), Action: "fhir.read", Actor: apatel, Origin: pune,
			Target:  ward.EventTarget{ResourceType: "Patient", ResourceID: "p-3", PatientRef: "Patient/p-3", TaskID: "tsk_2", GrantID: "gr_2"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionPermit, Status: 200, Count: 1}},
		// 20:00 UTC is 01:30 the next day in India.
		ward.Event{Time: at(11 * time.Hour), Action: "fhir.read", Actor: apatel, Origin: pune,
			Target:  ward.EventTarget{ResourceType: "Patient", ResourceID: "p-1", PatientRef: "Patient/p-1", TaskID: "tsk_1", GrantID: "gr_1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionPermit, Status: 200, Count: 1}},
		// The next UTC day, hostile values: formula prefixes, quotes, separators, a line break.
		ward.Event{Time: at(25 * time.Hour), Action: "fhir.search",
			Actor:   ward.EventActor{Subject: "wrk_1", WorkerID: "wrk_1", Username: "+apatel", VendorID: "vnd_acme"},
			Origin:  ward.EventOrigin{ClientAddr: "-1", Country: "@IN"},
			Target:  ward.EventTarget{ResourceType: "Patient", PatientRef: "Patient/p-1", Query: "=cmd|' /C calc'!A0,\"x\"\nname=O'Brien"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionDeny, Reasons: []string{"=1+1", "unsupported_search"}}},
		ward.Event{Time: at(26 * time.Hour), Action: "auth.logout", Actor: apatel, Origin: pune, Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess}},
	)
	return s
}
