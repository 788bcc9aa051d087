package routing_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/routing"
)

// feed is an in-process ward.ChangeFeed.
type feed struct {
	mu  sync.Mutex
	fns map[int]func(ward.Change)
	n   int
}

func (f *feed) Subscribe(fn func(ward.Change)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fns == nil {
		f.fns = map[int]func(ward.Change){}
	}
	f.n++
	id := f.n
	f.fns[id] = fn
	return func() { f.mu.Lock(); delete(f.fns, id); f.mu.Unlock() }
}

func (f *feed) send(c ward.Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fn := range f.fns {
		fn(c)
	}
}

func TestGrantIndex_Lookup(t *testing.T) {
	now := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	x := routing.NewGrantIndex(nil, func() time.Time { return now })
	g := &ward.Grant{ID: "grt_1", WorkerID: "w1", TaskID: "t1", PatientRef: "Patient/p1",
		ResourceTypes: []string{"Condition", "Encounter"}, Interactions: []string{"read", "search"},
		NotBefore: now, ExpiresAt: now.Add(time.Hour)}
	x.Put(g)
	for _, test := range []struct {
		name                          string
		worker, patient, typ, interac string
		at                            time.Time
		want                          bool
	}{
		{"OK", "w1", "Patient/p1", "Condition", "read", now, true},
		{"OKSearch", "w1", "Patient/p1", "Encounter", "search", now.Add(59 * time.Minute), true},
		{"DenyOtherWorker", "w2", "Patient/p1", "Condition", "read", now, false},
		{"DenyOtherPatient", "w1", "Patient/p2", "Condition", "read", now, false},
		{"DenyType", "w1", "Patient/p1", "Patient", "read", now, false},
		{"DenyInteraction", "w1", "Patient/p1", "Condition", "history", now, false},
		{"DenyUnknownInteraction", "w1", "Patient/p1", "Condition", "delete", now, false},
		{"DenyBefore", "w1", "Patient/p1", "Condition", "read", now.Add(-time.Nanosecond), false},
		{"DenyAtExpiry", "w1", "Patient/p1", "Condition", "read", now.Add(time.Hour), false},
	} {
		t.Run(test.name, func(t *testing.T) {
			got, ok := x.Lookup(test.worker, test.patient, test.typ, test.interac, test.at)
			if ok != test.want || (ok && got.ID != g.ID) {
				t.Fatalf("Lookup=%v, %v; want %v", got, ok, test.want)
			}
		})
	}
	t.Run("DenyAfterChangeUntilReread", func(t *testing.T) {
		e := newEnv(t, now)
		f := &feed{}
		idx := routing.NewGrantIndex(e.svc.Grants, e.clock)
		stop := idx.Follow(t.Context(), f)
		defer stop()
		team := e.team(e.vendor("PH"), "PH", "Asia/Manila", []ward.Function{ward.FunctionCoding}, nil)
		w := e.worker(team, e.schedule("Asia/Manila", everyDay("09:00", "18:00")...), 0)
		task := e.task(ward.FunctionCoding, 0, nil)
		sg := &ward.Grant{WorkerID: w.ID, TaskID: task.ID, PatientRef: task.PatientRef, ResourceTypes: []string{"Condition"},
			Interactions: []string{"read"}, NotBefore: now, ExpiresAt: now.Add(time.Hour)}
		e.ok(e.svc.Grants.CreateGrant(e.ctx, sg))
		f.send(ward.Change{Table: "grants", ID: sg.ID})
		idx.Put(sg)
		if _, ok := idx.Lookup(w.ID, task.PatientRef, "Condition", "read", now); !ok {
			t.Fatal("new grant not found")
		}
		_, err := e.svc.Grants.RevokeGrant(e.ctx, sg.ID, "monitor")
		e.ok(err)
		f.send(ward.Change{Table: "grants", ID: sg.ID})
		if _, ok := idx.Lookup(w.ID, task.PatientRef, "Condition", "read", now); ok {
			t.Fatal("revoked grant found right after its change")
		}
		idx.Put(sg) // a late Put does not revive it
		e.ok(idx.Sync(e.ctx))
		if _, ok := idx.Lookup(w.ID, task.PatientRef, "Condition", "read", now); ok {
			t.Fatal("revoked grant found after re-read")
		}
		f.send(ward.Change{Table: ward.ChangeAll})
		e.ok(idx.Sync(e.ctx))
		if idx.Len() != 0 {
			t.Fatalf("Len=%d after reload, want 0", idx.Len())
		}
	})
}

// BenchmarkGrantLookup measures the hot-path lookup with 10,000 live grants
// of 1,000 workers against a plain map lookup in the same run.
func BenchmarkGrantLookup(b *testing.B) {
	now := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	x := routing.NewGrantIndex(nil, func() time.Time { return now })
	plain := map[string]*ward.Grant{}
	types := routing.DefaultProfiles().Profiles[0].ResourceTypes()
	for i := range 10000 {
		g := &ward.Grant{ID: fmt.Sprintf("grt_%d", i), WorkerID: fmt.Sprintf("wkr_%d", i%1000), TaskID: "t",
			PatientRef: fmt.Sprintf("Patient/%d", i), ResourceTypes: types, Interactions: []string{"read", "search"},
			NotBefore: now, ExpiresAt: now.Add(time.Hour)}
		x.Put(g)
		plain[g.WorkerID+"|"+g.PatientRef] = g
	}
	worker, patient := "wkr_999", "Patient/9999" // the worker's last grant
	b.Run("Baseline", func(b *testing.B) {
		key := worker + "|" + patient
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := plain[key]; !ok {
				b.Fatal("missing")
			}
		}
	})
	b.Run("Lookup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := x.Lookup(worker, patient, "Observation", "search", now); !ok {
				b.Fatal("missing")
			}
		}
	})
}
