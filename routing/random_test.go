package routing_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

// TestRouter_Randomized runs thousands of generated tasks through teams,
// vendors and shifts in three time zones across the 2026 US spring DST
// change, and checks after every step that no tagged task reaches a team
// not cleared for it, that no grant outlives its shift, and that no worker
// holds a grant for a task not assigned to them. A mirror of the open tasks
// checks that Next picks the first eligible task, or none only when none
// is eligible.
func TestRouter_Randomized(t *testing.T) {
	nTasks, nSteps := 2000, 3000
	if testing.Short() {
		nTasks, nSteps = 400, 600
	}
	rng := rand.New(rand.NewPCG(4, 2026))
	start := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, start)
	tags := []string{ward.TagMentalHealth, ward.TagSubstanceUse, ward.TagHIV, ward.TagReproductiveHealth, ward.TagRestricted}
	zones := []string{"Asia/Manila", "Asia/Kolkata", "America/Chicago"}
	subset := func(p float64) []string {
		var out []string
		for _, tg := range tags {
			if rng.Float64() < p {
				out = append(out, tg)
			}
		}
		return out
	}

	// Vendors: some with a BAA that lapses during the run or never took
	// effect, and one whose site country is not approved.
	type vendorSpec struct {
		countries []string
		site      string
		baa       ward.BAAStatus
		expires   ward.Date
	}
	specs := []vendorSpec{
		{[]string{"PH"}, "PH", ward.BAAActive, ward.Date{Year: 2027, Month: 1, Day: 1}},
		{[]string{"IN"}, "IN", ward.BAAActive, ward.Date{Year: 2026, Month: 3, Day: 7}},
		{[]string{"US"}, "US", ward.BAAActive, ward.Date{Year: 2027, Month: 1, Day: 1}},
		{[]string{"PH"}, "IN", ward.BAAActive, ward.Date{Year: 2027, Month: 1, Day: 1}},
		{[]string{"US"}, "US", ward.BAASuspended, ward.Date{Year: 2027, Month: 1, Day: 1}},
	}
	var teams []*ward.Team
	for i := range 14 {
		sp := specs[i%len(specs)]
		v := &ward.Vendor{Name: e.uniq("Vendor"), BAAStatus: sp.baa, BAAEffective: ward.Date{Year: 2025, Month: 1, Day: 1}, BAAExpires: sp.expires, ApprovedCountries: sp.countries}
		e.ok(e.svc.Vendors.CreateVendor(e.ctx, v))
		fns := slices.Clone(ward.Functions)
		rng.Shuffle(len(fns), func(a, b int) { fns[a], fns[b] = fns[b], fns[a] })
		clear := subset(0.3)
		if sp.site == "US" {
			clear = subset(0.9)
		}
		teams = append(teams, e.team(v, sp.site, zones[i%len(zones)], fns[:1+rng.IntN(3)], clear))
	}
	var schedules []*ward.Schedule
	for i := range 9 {
		var ws []ward.ShiftWindow
		for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
			if rng.Float64() < 0.9 {
				h := rng.IntN(24)
				l := 6 + rng.IntN(7)
				ws = append(ws, ward.ShiftWindow{Day: d, Start: fmt.Sprintf("%02d:%02d", h, 30*rng.IntN(2)), End: fmt.Sprintf("%02d:00", (h+l)%24)})
			}
		}
		schedules = append(schedules, e.schedule(zones[i%len(zones)], ws...))
	}
	var workers []*ward.Worker
	for range 150 {
		w := e.worker(teams[rng.IntN(len(teams))], schedules[rng.IntN(len(schedules))], 1+rng.IntN(4))
		if rng.Float64() < 0.1 {
			_, err := e.svc.Workers.TransitionWorker(e.ctx, w.ID, ward.WorkerSuspended, "test")
			e.ok(err)
		}
		workers = append(workers, w)
	}
	open := map[string]*ward.Task{}
	for range nTasks {
		var due *time.Time
		if rng.Float64() < 0.5 {
			d := start.Add(time.Duration(rng.IntN(96*60)) * time.Minute)
			due = &d
		}
		tk := e.task(ward.Functions[rng.IntN(len(ward.Functions))], rng.IntN(10), due, subset(0.08)...)
		open[tk.ID] = tk
	}
	e.ok(e.r.Load(e.ctx))

	// fresh reads what eligibility depends on, straight from the store.
	type facts struct {
		w      *ward.Worker
		team   *ward.Team
		vendor *ward.Vendor
		site   *ward.Site
		sched  *ward.Schedule
	}
	fresh := func(id string) facts {
		var f facts
		var err error
		f.w, err = e.svc.Workers.FindWorkerByID(e.ctx, id)
		e.ok(err)
		f.team, err = e.svc.Teams.FindTeamByID(e.ctx, f.w.TeamID)
		e.ok(err)
		f.vendor, err = e.svc.Vendors.FindVendorByID(e.ctx, f.team.VendorID)
		e.ok(err)
		f.site, err = e.svc.Sites.FindSiteByID(e.ctx, f.team.SiteID)
		e.ok(err)
		f.sched, err = e.svc.Schedules.FindScheduleByID(e.ctx, f.w.ScheduleID)
		e.ok(err)
		return f
	}
	held := map[string][]string{} // worker → task IDs
	assigned, resumed, nothing := 0, 0, 0
	now := start
	for step := range nSteps {
		now = now.Add(time.Duration(1+rng.IntN(6)) * time.Minute)
		e.set(now)
		w := workers[rng.IntN(len(workers))]
		switch p := rng.Float64(); {
		case p < 0.55 || len(held[w.ID]) == 0:
			f := fresh(w.ID)
			task, g, err := e.r.Next(e.ctx, w.ID)
			e.ok(err)
			_, shiftEnd, onShift := f.sched.Shift(now)
			teamOK := f.w.Status == ward.WorkerActive && f.vendor.BAAInForce(now) && f.vendor.ApprovesCountry(f.site.Country)
			if task == nil {
				if !teamOK || !onShift || len(held[w.ID]) >= f.w.TaskLimit() {
					nothing++
					continue
				}
				for _, o := range open {
					if f.team.Does(o.Type) && f.team.ClearedFor(o.SensitivityTags) {
						t.Fatalf("step %d: %s got nothing but open task %s (%s %v) is eligible", step, w.ID, o.ID, o.Type, o.SensitivityTags)
					}
				}
				nothing++
				continue
			}
			if !teamOK || !onShift {
				t.Fatalf("step %d: %s got task %s while not eligible (team ok %v, on shift %v)", step, w.ID, task.ID, teamOK, onShift)
			}
			if !f.team.Does(task.Type) || !f.team.ClearedFor(task.SensitivityTags) {
				t.Fatalf("step %d: task %s (%s %v) assigned to team %s (%v cleared %v)", step, task.ID, task.Type, task.SensitivityTags, f.team.ID, f.team.Functions, f.team.Clearances)
			}
			if g.ExpiresAt.After(shiftEnd) || g.ExpiresAt.After(now.Add(4*time.Hour)) || (task.DueAt != nil && task.DueAt.After(now) && g.ExpiresAt.After(*task.DueAt)) {
				t.Fatalf("step %d: grant until %v outlives shift end %v, TTL or due %v", step, g.ExpiresAt, shiftEnd, task.DueAt)
			}
			if g.WorkerID != w.ID || g.TaskID != task.ID || task.AssigneeID != w.ID || g.PatientRef != task.PatientRef {
				t.Fatalf("step %d: grant %+v does not fit task %+v", step, g, task)
			}
			if _, ok := open[task.ID]; ok {
				// A new task: it must be the first eligible one.
				for _, o := range open {
					if o.ID != task.ID && f.team.Does(o.Type) && f.team.ClearedFor(o.SensitivityTags) && firstOf(o, task) {
						t.Fatalf("step %d: got %s (prio %d) but %s (prio %d) comes first", step, task.ID, task.Priority, o.ID, o.Priority)
					}
				}
				delete(open, task.ID)
				held[w.ID] = append(held[w.ID], task.ID)
				assigned++
			} else if !slices.Contains(held[w.ID], task.ID) {
				t.Fatalf("step %d: %s resumed task %s it does not hold", step, w.ID, task.ID)
			} else {
				resumed++
			}
		case p < 0.85:
			id := held[w.ID][rng.IntN(len(held[w.ID]))]
			_, err := e.r.Complete(e.ctx, w.ID, id)
			e.ok(err)
			held[w.ID] = slices.DeleteFunc(held[w.ID], func(s string) bool { return s == id })
		case p < 0.95:
			id := held[w.ID][rng.IntN(len(held[w.ID]))]
			tk, err := e.r.Release(e.ctx, w.ID, id, "")
			e.ok(err)
			held[w.ID] = slices.DeleteFunc(held[w.ID], func(s string) bool { return s == id })
			open[id] = tk
		default:
			_, err := e.r.EndWorkerGrants(e.ctx, w.ID, "session ended")
			e.ok(err)
		}
		if step%100 == 0 || step == nSteps-1 {
			checkLiveGrants(t, e, now, func(id string) *ward.Schedule { return fresh(id).sched })
		}
	}
	if assigned < nSteps/20 || nothing == 0 || resumed == 0 {
		t.Fatalf("assigned %d, resumed %d, nothing %d: the run exercised too little", assigned, resumed, nothing)
	}
	t.Logf("assigned %d, resumed %d, nothing eligible %d", assigned, resumed, nothing)
}

// firstOf reports whether a comes before b in routing order.
func firstOf(a, b *ward.Task) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	switch {
	case a.DueAt != nil && b.DueAt == nil:
		return true
	case a.DueAt == nil && b.DueAt != nil:
		return false
	case a.DueAt != nil && !a.DueAt.Equal(*b.DueAt):
		return a.DueAt.Before(*b.DueAt)
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}

// checkLiveGrants checks every grant live in the store and in the index:
// its task is in progress and assigned to the grant's worker, who is on
// shift now.
func checkLiveGrants(t *testing.T, e *env, now time.Time, sched func(string) *ward.Schedule) {
	t.Helper()
	gs, _, err := e.svc.Grants.FindGrants(e.ctx, ward.GrantFilter{LiveAt: &now, Page: ward.Page{Limit: ward.MaxLimit}})
	e.ok(err)
	idx := e.r.Grants().Live("", "", now)
	if len(idx) != len(gs) {
		t.Fatalf("index holds %d live grants, store %d", len(idx), len(gs))
	}
	for _, g := range gs {
		task, err := e.svc.Tasks.FindTaskByID(e.ctx, g.TaskID)
		e.ok(err)
		if task.AssigneeID != g.WorkerID || task.Status != ward.TaskInProgress {
			t.Fatalf("grant %s of %s for task %s assigned to %q (%s)", g.ID, g.WorkerID, task.ID, task.AssigneeID, task.Status)
		}
		if _, end, ok := sched(g.WorkerID).Shift(now); !ok || g.ExpiresAt.After(end) {
			t.Fatalf("grant %s of %s live at %v outlives the shift (on shift %v, end %v)", g.ID, g.WorkerID, now, ok, end)
		}
	}
}
