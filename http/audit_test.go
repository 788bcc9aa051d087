package http_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/mock"
)

func TestAuditChanges(t *testing.T) {
	newServer := func(t *testing.T, fail bool) (*Server, *[]*ward.Event) {
		s := MustNewServer(t)
		var events []*ward.Event
		s.Auditor = &mock.Auditor{AuditFn: func(ctx context.Context, e *ward.Event) (uint64, error) {
			if fail {
				return 0, errors.New("disk full")
			}
			events = append(events, e)
			return uint64(len(events) - 1), nil
		}}
		s.Vendors.CreateVendorFn = func(ctx context.Context, v *ward.Vendor) error {
			if v.Name == "Taken" {
				return ward.Errorf(ward.ECONFLICT, "Vendor name taken.")
			}
			v.ID = "ven_1"
			return nil
		}
		s.Vendors.FindVendorsFn = func(ctx context.Context, f ward.VendorFilter) ([]*ward.Vendor, int, error) { return nil, 0, nil }
		s.Workers.TransitionWorkerFn = func(ctx context.Context, id string, to ward.WorkerStatus, reason string) (*ward.Worker, error) {
			return &ward.Worker{ID: id, Status: to}, nil
		}
		return s, &events
	}
	const vendor = `{"name":"Acme","baa_status":"pending"}`

	t.Run("CreateAudited", func(t *testing.T) {
		s, events := newServer(t, false)
		MustStatus(t, s.Do(t, "POST", "/api/v1/vendors", vendor), 201)
		if len(*events) != 1 {
			t.Fatalf("%d events, want 1", len(*events))
		}
		e := (*events)[0]
		if got, want := e.Action, "vendor.create"; got != want {
			t.Fatalf("Action=%q, want %q", got, want)
		}
		want := ward.EventTarget{ResourceType: "Vendor", ResourceID: "ven_1"}
		if diff := cmp.Diff(want, e.Target); diff != "" {
			t.Fatalf("Target (-want +got):\n%s", diff)
		}
		if e.Actor.Subject != "admin-token" || e.Outcome.Decision != ward.DecisionSuccess || e.Outcome.Status != 201 || e.RequestID == "" {
			t.Fatalf("event %+v lacks actor, outcome or request ID", e)
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("event does not validate: %v", err)
		}
	})
	t.Run("TransitionAudited", func(t *testing.T) {
		s, events := newServer(t, false)
		MustStatus(t, s.Do(t, "POST", "/api/v1/workers/wkr_1/transitions", `{"to":"suspended","reason":"left the company"}`), 200)
		e := (*events)[0]
		if e.Action != "worker.transition" || e.Target.ResourceID != "wkr_1" || e.Details["to"] != "suspended" {
			t.Fatalf("event %+v, want worker.transition of wkr_1 to suspended", e)
		}
		if _, ok := e.Details["reason"]; ok {
			t.Fatalf("the free-text reason must not be copied into the event")
		}
	})
	t.Run("FailureAudited", func(t *testing.T) {
		s, events := newServer(t, false)
		MustProblem(t, s.Do(t, "POST", "/api/v1/vendors", `{"name":"Taken","baa_status":"pending"}`), 409)
		if e := (*events)[0]; e.Outcome.Decision != ward.DecisionFailure || e.Outcome.Status != 409 {
			t.Fatalf("event outcome %+v, want failure 409", e.Outcome)
		}
	})
	t.Run("ReadNotAudited", func(t *testing.T) {
		s, events := newServer(t, false)
		MustStatus(t, s.Do(t, "GET", "/api/v1/vendors", ""), 200)
		if len(*events) != 0 {
			t.Fatalf("%d events for a read, want 0", len(*events))
		}
	})
	t.Run("ErrLedgerDown", func(t *testing.T) {
		s, _ := newServer(t, true)
		p := MustProblem(t, s.Do(t, "POST", "/api/v1/vendors", vendor), 503)
		if p.Detail == "" {
			t.Fatalf("503 without a detail")
		}
	})
}
