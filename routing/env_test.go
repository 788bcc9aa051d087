package routing_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/routing"
	"github.com/wardhq/ward/store/sqlite"
)

// auditor records events in memory.
type auditor struct {
	mu     sync.Mutex
	events []*ward.Event
	fail   atomic.Bool
}

func (a *auditor) Audit(ctx context.Context, e *ward.Event) (uint64, error) {
	if a.fail.Load() {
		return 0, fmt.Errorf("ledger down")
	}
	if err := e.Validate(); err != nil {
		return 0, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
	return uint64(len(a.events)), nil
}

func (a *auditor) actions() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := map[string]int{}
	for _, e := range a.events {
		m[e.Action]++
	}
	return m
}

// env is a router over an in-memory SQLite store with a settable clock.
type env struct {
	tb     testing.TB
	ctx    context.Context
	svc    ward.Services
	aud    *auditor
	r      *routing.Router
	mu     sync.Mutex
	now    time.Time
	queues map[ward.Function]*ward.Queue
	n      int
}

func newEnv(tb testing.TB, now time.Time) *env {
	tb.Helper()
	db := sqlite.NewDB(sqlite.MemoryDSN)
	e := &env{tb: tb, ctx: context.Background(), aud: &auditor{}, now: now, queues: map[ward.Function]*ward.Queue{}}
	db.Now = e.clock
	if err := db.Open(e.ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	e.svc = db.Services()
	r, err := routing.New(routing.Config{Services: e.svc, Auditor: e.aud, Now: e.clock})
	if err != nil {
		tb.Fatal(err)
	}
	e.r = r
	for _, f := range ward.Functions {
		q := &ward.Queue{Name: "Queue " + string(f), Function: f}
		e.ok(e.svc.Queues.CreateQueue(e.ctx, q))
		e.queues[f] = q
	}
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) set(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = t
}

func (e *env) ok(err error) {
	e.tb.Helper()
	if err != nil {
		e.tb.Fatal(err)
	}
}

func (e *env) uniq(s string) string {
	e.n++
	return fmt.Sprintf("%s %d", s, e.n)
}

func (e *env) vendor(countries ...string) *ward.Vendor {
	e.tb.Helper()
	v := &ward.Vendor{Name: e.uniq("Vendor"), BAAStatus: ward.BAAActive,
		BAAEffective: ward.Date{Year: 2025, Month: 1, Day: 1}, BAAExpires: ward.Date{Year: 2027, Month: 12, Day: 31},
		ApprovedCountries: countries}
	e.ok(e.svc.Vendors.CreateVendor(e.ctx, v))
	return v
}

func (e *env) team(v *ward.Vendor, country, tz string, fns []ward.Function, clearances []string) *ward.Team {
	e.tb.Helper()
	s := &ward.Site{VendorID: v.ID, Name: e.uniq("Site"), Country: country, TimeZone: tz}
	e.ok(e.svc.Sites.CreateSite(e.ctx, s))
	t := &ward.Team{VendorID: v.ID, SiteID: s.ID, Name: e.uniq("Team"), Functions: fns, Clearances: clearances}
	e.ok(e.svc.Teams.CreateTeam(e.ctx, t))
	return t
}

func (e *env) schedule(tz string, windows ...ward.ShiftWindow) *ward.Schedule {
	e.tb.Helper()
	s := &ward.Schedule{Name: e.uniq("Shift"), TimeZone: tz, Windows: windows}
	e.ok(e.svc.Schedules.CreateSchedule(e.ctx, s))
	return s
}

// everyDay returns the window start–end on all seven days.
func everyDay(start, end string) []ward.ShiftWindow {
	var ws []ward.ShiftWindow
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		ws = append(ws, ward.ShiftWindow{Day: d, Start: start, End: end})
	}
	return ws
}

func (e *env) worker(t *ward.Team, s *ward.Schedule, maxTasks int) *ward.Worker {
	e.tb.Helper()
	w := &ward.Worker{Username: fmt.Sprintf("w%d", e.n+1), GivenName: "Given", FamilyName: "Family", Role: ward.RoleWorker,
		VendorID: t.VendorID, TeamID: t.ID, ScheduleID: s.ID, MaxTasks: maxTasks, Status: ward.WorkerActive}
	e.n++
	e.ok(e.svc.Workers.CreateWorker(e.ctx, w))
	return w
}

func (e *env) task(typ ward.Function, prio int, due *time.Time, tags ...string) *ward.Task {
	e.tb.Helper()
	e.n++
	t := &ward.Task{QueueID: e.queues[typ].ID, Type: typ, PatientRef: fmt.Sprintf("Patient/p%d", e.n),
		EncounterRef: fmt.Sprintf("Encounter/e%d", e.n), SensitivityTags: tags, Complexity: 1, Priority: prio, DueAt: due}
	e.ok(e.r.Intake(e.ctx, t, routing.TagInput{}))
	return t
}
