package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wardhq/ward"
)

var workerTests = []test{
	{"Worker/Create/OK", testWorkerCreate},
	{"Worker/Create/Staff", testWorkerCreateStaff},
	{"Worker/Create/WithStatus", testWorkerCreateWithStatus},
	{"Worker/Create/ActorSystem", testWorkerCreateActorSystem},
	{"Worker/Create/ErrInvalid", testWorkerCreateInvalid},
	{"Worker/Create/ErrUsernameTaken", testWorkerCreateUsernameTaken},
	{"Worker/Create/ErrExternalIDTaken", testWorkerCreateExternalIDTaken},
	{"Worker/Create/EmptyExternalIDNoConflict", testWorkerCreateEmptyExternalID},
	{"Worker/Create/ConcurrentSameUsername", testWorkerCreateConcurrentSame},
	{"Worker/Create/ConcurrentDistinct", testWorkerCreateConcurrentDistinct},
	{"Worker/Find/Filter", testWorkerFilter},
	{"Worker/Update/OK", testWorkerUpdate},
	{"Worker/Update/ErrInvalid", testWorkerUpdateInvalid},
	{"Worker/Update/ErrExternalIDTaken", testWorkerUpdateExternalIDTaken},
	{"Worker/Update/ErrNotFound", testWorkerUpdateNotFound},
	{"Worker/Transition/OK", testWorkerTransition},
	{"Worker/Transition/ErrInvalidMove", testWorkerTransitionInvalidMove},
	{"Worker/Transition/ErrInvalidStatus", testWorkerTransitionInvalidStatus},
	{"Worker/Transition/ErrNotFound", testWorkerTransitionNotFound},
	{"Worker/Transition/UsernameNeverReused", testWorkerUsernameNeverReused},
}

// ignoreTransitions compares workers and tasks from lists, which need not
// fill Transitions.
var ignoreTransitions = cmpopts.IgnoreFields(ward.Worker{}, "Transitions")

func testWorkerCreate(t *testing.T, e *env) {
	_, _, tm := e.org()
	sch := e.schedule()
	w := &ward.Worker{
		Username:   "m.santos@acme",
		Email:      "m.santos@acme.example",
		GivenName:  "María",
		FamilyName: "Santos-Reyes",
		Address:    "12 Rizal St, Makati",
		VendorID:   tm.VendorID,
		TeamID:     tm.ID,
		Role:       ward.RoleWorker,
		ScheduleID: sch.ID,
		ExternalID: "okta|00u1abc",
		MaxTasks:   5,
	}
	want := *w
	ok(t, e.Workers.CreateWorker(e.ctx, w))
	wantID(t, w.ID, ward.PrefixWorker)
	want.ID, want.CreatedAt, want.UpdatedAt = w.ID, us(t0), us(t0)
	want.Status = ward.WorkerInvited
	want.Transitions = []ward.Transition{{From: "", To: string(ward.WorkerInvited), At: us(t0), Actor: actor}}
	diff(t, "CreateWorker argument", w, &want)

	got, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
	ok(t, err)
	diff(t, "FindWorkerByID", got, &want)
	wantTime(t, "Transitions[0].At", got.Transitions[0].At, us(t0))

	ws, _, err := e.Workers.FindWorkers(e.ctx, ward.WorkerFilter{ID: &w.ID})
	ok(t, err)
	diff(t, "FindWorkers", ws[0], &want, ignoreTransitions)
}

func testWorkerCreateStaff(t *testing.T, e *env) {
	w := e.worker(nil, func(w *ward.Worker) { w.Role = ward.RoleCompliance; w.Email = "" })
	got, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
	ok(t, err)
	diff(t, "FindWorkerByID", got, w)
	if got.VendorID != "" || got.TeamID != "" || got.ScheduleID != "" || got.ExternalID != "" {
		t.Fatalf("VendorID=%q TeamID=%q ScheduleID=%q ExternalID=%q, want empty", got.VendorID, got.TeamID, got.ScheduleID, got.ExternalID)
	}

	t.Run("SupervisorWithoutTeam", func(t *testing.T) {
		v := e.vendor()
		w := e.worker(nil, func(w *ward.Worker) { w.Role, w.VendorID = ward.RoleSupervisor, v.ID })
		got, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
		ok(t, err)
		diff(t, "FindWorkerByID", got, w)
	})
}

func testWorkerCreateWithStatus(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm, func(w *ward.Worker) { w.Status = ward.WorkerActive })
	got, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
	ok(t, err)
	if got, want := got.Status, ward.WorkerActive; got != want {
		t.Fatalf("Status=%q, want %q", got, want)
	}
	diff(t, "Transitions", got.Transitions, []ward.Transition{{To: "active", At: us(t0), Actor: actor}})
	wantTime(t, "TransitionTime(active)", got.TransitionTime(ward.WorkerActive), us(t0))
}

func testWorkerCreateActorSystem(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := &ward.Worker{Username: "sys", GivenName: "A", FamilyName: "B", Role: ward.RoleWorker, VendorID: tm.VendorID, TeamID: tm.ID}
	ok(t, e.Workers.CreateWorker(context.Background(), w))
	got, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
	ok(t, err)
	if got, want := got.Transitions[0].Actor, "system"; got != want {
		t.Fatalf("Actor=%q, want %q", got, want)
	}
}

func testWorkerCreateInvalid(t *testing.T, e *env) {
	v, _, tm := e.org()
	_, _, otherTeam := e.org()
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Worker)
		field string
	}{
		{"ErrUsername", func(w *ward.Worker) { w.Username = "Maria" }, "username"},
		{"ErrEmail", func(w *ward.Worker) { w.Email = "maria" }, "email"},
		{"ErrGivenName", func(w *ward.Worker) { w.GivenName = "" }, "given_name"},
		{"ErrRole", func(w *ward.Worker) { w.Role = "root" }, "role"},
		{"ErrVendorRequired", func(w *ward.Worker) { w.VendorID = "" }, "vendor_id"},
		{"ErrTeamRequired", func(w *ward.Worker) { w.TeamID = "" }, "team_id"},
		{"ErrVendorUnknown", func(w *ward.Worker) { w.VendorID = ward.NewID(ward.PrefixVendor, t0) }, "vendor_id"},
		{"ErrTeamUnknown", func(w *ward.Worker) { w.TeamID = ward.NewID(ward.PrefixTeam, t0) }, "team_id"},
		{"ErrTeamOfOtherVendor", func(w *ward.Worker) { w.TeamID = otherTeam.ID }, "team_id"},
		{"ErrScheduleUnknown", func(w *ward.Worker) { w.ScheduleID = ward.NewID(ward.PrefixSchedule, t0) }, "schedule_id"},
		{"ErrMaxTasks", func(w *ward.Worker) { w.MaxTasks = -1 }, "max_tasks"},
		{"ErrStatus", func(w *ward.Worker) { w.Status = "retired" }, "status"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := &ward.Worker{
				Username: e.uniqLower("w"), GivenName: "A", FamilyName: "B",
				Role: ward.RoleWorker, VendorID: v.ID, TeamID: tm.ID,
			}
			tt.mod(w)
			wantField(t, e.Workers.CreateWorker(e.ctx, w), tt.field)
		})
	}
	_, n, err := e.Workers.FindWorkers(e.ctx, ward.WorkerFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d after failed creates, want 0", n)
	}
}

func testWorkerCreateUsernameTaken(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	err := e.Workers.CreateWorker(e.ctx, &ward.Worker{
		Username: w.Username, GivenName: "Other", FamilyName: "Person",
		Role: ward.RoleWorker, VendorID: tm.VendorID, TeamID: tm.ID,
	})
	wantConflict(t, err, "username")
}

func testWorkerCreateExternalIDTaken(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm, func(w *ward.Worker) { w.ExternalID = "hr-1001" })
	err := e.Workers.CreateWorker(e.ctx, &ward.Worker{
		Username: "other", GivenName: "Other", FamilyName: "Person", ExternalID: w.ExternalID,
		Role: ward.RoleWorker, VendorID: tm.VendorID, TeamID: tm.ID,
	})
	wantConflict(t, err, "external_id")
}

func testWorkerCreateEmptyExternalID(t *testing.T, e *env) {
	_, _, tm := e.org()
	e.worker(tm)
	e.worker(tm)
	e.worker(nil, func(w *ward.Worker) { w.Role = ward.RoleAdmin })
	_, n, err := e.Workers.FindWorkers(e.ctx, ward.WorkerFilter{})
	ok(t, err)
	if n != 3 {
		t.Fatalf("total=%d, want 3", n)
	}
}

// testWorkerCreateConcurrentSame races writers on one username: exactly one
// wins and the others see ECONFLICT, never an internal (e.g. busy) error.
func testWorkerCreateConcurrentSame(t *testing.T, e *env) {
	_, _, tm := e.org()
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.Workers.CreateWorker(e.ctx, &ward.Worker{
				Username: "same.name", GivenName: "A", FamilyName: "B",
				Role: ward.RoleWorker, VendorID: tm.VendorID, TeamID: tm.ID,
			})
		}()
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch ward.ErrorCode(err) {
		case "":
			wins++
		case ward.ECONFLICT:
		default:
			t.Errorf("goroutine %d: ErrorCode=%q, want %q or success (err=%v)", i, ward.ErrorCode(err), ward.ECONFLICT, err)
		}
	}
	if wins != 1 {
		t.Fatalf("successes=%d, want 1", wins)
	}
	_, total, err := e.Workers.FindWorkers(e.ctx, ward.WorkerFilter{Username: ptr("same.name")})
	ok(t, err)
	if total != 1 {
		t.Fatalf("total=%d, want 1", total)
	}
}

// testWorkerCreateConcurrentDistinct runs writers that do not collide: all
// must succeed, so the store serialises writers instead of failing them.
func testWorkerCreateConcurrentDistinct(t *testing.T, e *env) {
	_, _, tm := e.org()
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &ward.Worker{
				Username: e.uniqLower("w"), GivenName: "A", FamilyName: "B",
				Role: ward.RoleWorker, VendorID: tm.VendorID, TeamID: tm.ID,
			}
			if errs[i] = e.Workers.CreateWorker(e.ctx, w); errs[i] != nil {
				return
			}
			_, errs[i] = e.Workers.TransitionWorker(e.ctx, w.ID, ward.WorkerOnboarding, "")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	_, total, err := e.Workers.FindWorkers(e.ctx, ward.WorkerFilter{Status: ptr(ward.WorkerOnboarding)})
	ok(t, err)
	if total != n {
		t.Fatalf("total=%d, want %d", total, n)
	}
}

func testWorkerFilter(t *testing.T, e *env) {
	v1, s1, tm1 := e.org()
	tm2 := e.team(s1)
	_, _, tm3 := e.org()
	sch := e.schedule()
	a := e.worker(tm1, func(w *ward.Worker) { w.ExternalID = "ext-a"; w.ScheduleID = sch.ID })
	b := e.worker(tm2, func(w *ward.Worker) { w.Role = ward.RoleSupervisor; w.Status = ward.WorkerActive })
	c := e.worker(tm3, func(w *ward.Worker) { w.ScheduleID = sch.ID; w.Status = ward.WorkerActive })
	d := e.worker(nil, func(w *ward.Worker) { w.Role = ward.RoleAuditor; w.ExternalID = "ext-d" })
	for _, tt := range []struct {
		name   string
		filter ward.WorkerFilter
		want   []string
	}{
		{"All", ward.WorkerFilter{}, sorted(a.ID, b.ID, c.ID, d.ID)},
		{"ID", ward.WorkerFilter{ID: &b.ID}, []string{b.ID}},
		{"Username", ward.WorkerFilter{Username: &c.Username}, []string{c.ID}},
		{"ExternalID", ward.WorkerFilter{ExternalID: ptr("ext-d")}, []string{d.ID}},
		{"VendorID", ward.WorkerFilter{VendorID: &v1.ID}, sorted(a.ID, b.ID)},
		{"TeamID", ward.WorkerFilter{TeamID: &tm2.ID}, []string{b.ID}},
		{"ScheduleID", ward.WorkerFilter{ScheduleID: &sch.ID}, sorted(a.ID, c.ID)},
		{"Role", ward.WorkerFilter{Role: ptr(ward.RoleWorker)}, sorted(a.ID, c.ID)},
		{"Status", ward.WorkerFilter{Status: ptr(ward.WorkerActive)}, sorted(b.ID, c.ID)},
		{"Combined", ward.WorkerFilter{VendorID: &v1.ID, Status: ptr(ward.WorkerActive)}, []string{b.ID}},
		{"NoMatch", ward.WorkerFilter{Status: ptr(ward.WorkerSuspended)}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ws, n, err := e.Workers.FindWorkers(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(ws, func(w *ward.Worker) string { return w.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
}

func testWorkerUpdate(t *testing.T, e *env) {
	v, s, tm := e.org()
	tm2 := e.team(s)
	sch := e.schedule()
	w := e.worker(tm)
	t1 := e.tick(time.Hour)
	got, err := e.Workers.UpdateWorker(e.ctx, w.ID, ward.WorkerUpdate{
		Email:      ptr("new@acme.example"),
		GivenName:  ptr("Ana"),
		FamilyName: ptr("Cruz"),
		Address:    ptr("1 Ayala Ave"),
		TeamID:     &tm2.ID,
		Role:       ptr(ward.RoleSupervisor),
		ScheduleID: &sch.ID,
		ExternalID: ptr("hr-7"),
		MaxTasks:   ptr(9),
	})
	ok(t, err)
	want := &ward.Worker{
		ID: w.ID, Username: w.Username, Email: "new@acme.example", GivenName: "Ana", FamilyName: "Cruz",
		Address: "1 Ayala Ave", VendorID: v.ID, TeamID: tm2.ID, Role: ward.RoleSupervisor,
		ScheduleID: sch.ID, ExternalID: "hr-7", MaxTasks: 9, Status: ward.WorkerInvited,
		Transitions: w.Transitions, CreatedAt: us(t0), UpdatedAt: t1,
	}
	diff(t, "UpdateWorker", got, want)
	found, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
	ok(t, err)
	diff(t, "FindWorkerByID", found, want)

	t.Run("ClearOptional", func(t *testing.T) {
		t2 := e.tick(time.Minute)
		got, err := e.Workers.UpdateWorker(e.ctx, w.ID, ward.WorkerUpdate{ScheduleID: ptr(""), ExternalID: ptr(""), Address: ptr("")})
		ok(t, err)
		want := *want
		want.ScheduleID, want.ExternalID, want.Address, want.UpdatedAt = "", "", "", t2
		diff(t, "UpdateWorker", got, &want)
		found, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
		ok(t, err)
		diff(t, "FindWorkerByID", found, &want)
	})
}

func testWorkerUpdateInvalid(t *testing.T, e *env) {
	_, _, tm := e.org()
	_, _, otherTeam := e.org()
	w := e.worker(tm)
	e.tick(time.Minute)
	for _, tt := range []struct {
		name  string
		upd   ward.WorkerUpdate
		field string
	}{
		{"ErrGivenName", ward.WorkerUpdate{GivenName: ptr("")}, "given_name"},
		{"ErrTeamUnknown", ward.WorkerUpdate{TeamID: ptr(ward.NewID(ward.PrefixTeam, t0))}, "team_id"},
		{"ErrTeamOfOtherVendor", ward.WorkerUpdate{TeamID: &otherTeam.ID}, "team_id"},
		{"ErrTeamRequired", ward.WorkerUpdate{TeamID: ptr("")}, "team_id"},
		{"ErrScheduleUnknown", ward.WorkerUpdate{ScheduleID: ptr(ward.NewID(ward.PrefixSchedule, t0))}, "schedule_id"},
		{"ErrStaffWithVendor", ward.WorkerUpdate{Role: ptr(ward.RoleAdmin)}, "vendor_id"},
		{"ErrMaxTasks", ward.WorkerUpdate{Email: ptr("a@b.example"), MaxTasks: ptr(101)}, "max_tasks"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Workers.UpdateWorker(e.ctx, w.ID, tt.upd)
			wantField(t, err, tt.field)
			got, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
			ok(t, err)
			diff(t, "FindWorkerByID", got, w)
		})
	}
}

func testWorkerUpdateExternalIDTaken(t *testing.T, e *env) {
	_, _, tm := e.org()
	a := e.worker(tm, func(w *ward.Worker) { w.ExternalID = "hr-1" })
	b := e.worker(tm)
	e.tick(time.Minute)
	_, err := e.Workers.UpdateWorker(e.ctx, b.ID, ward.WorkerUpdate{ExternalID: &a.ExternalID, GivenName: ptr("Changed")})
	wantConflict(t, err, "external_id")
	got, err := e.Workers.FindWorkerByID(e.ctx, b.ID)
	ok(t, err)
	diff(t, "FindWorkerByID", got, b)
}

func testWorkerUpdateNotFound(t *testing.T, e *env) {
	_, err := e.Workers.UpdateWorker(e.ctx, ward.NewID(ward.PrefixWorker, t0), ward.WorkerUpdate{GivenName: ptr("X")})
	wantCode(t, err, ward.ENOTFOUND)
}

func testWorkerTransition(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	want := w.Transitions
	var last *ward.Worker
	for i, step := range []struct {
		to     ward.WorkerStatus
		reason string
	}{
		{ward.WorkerOnboarding, "started training"},
		{ward.WorkerActive, "MFA enrolled"},
		{ward.WorkerSuspended, "alert alr_1"},
		{ward.WorkerActive, ""},
		{ward.WorkerOffboarded, "left the vendor"},
	} {
		at := e.tick(time.Duration(i+1) * time.Hour)
		from := w.Status
		if last != nil {
			from = last.Status
		}
		got, err := e.Workers.TransitionWorker(e.ctx, w.ID, step.to, step.reason)
		ok(t, err)
		want = append(want, ward.Transition{From: string(from), To: string(step.to), At: at, Actor: actor, Reason: step.reason})
		if got.Status != step.to {
			t.Fatalf("Status=%q, want %q", got.Status, step.to)
		}
		wantTime(t, "UpdatedAt", got.UpdatedAt, at)
		diff(t, "Transitions", got.Transitions, want)
		last = got
	}
	found, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
	ok(t, err)
	diff(t, "FindWorkerByID", found, last)
	wantTime(t, "CreatedAt", found.CreatedAt, us(t0))
	// Active twice: TransitionTime reports the latest entry.
	wantTime(t, "TransitionTime(active)", found.TransitionTime(ward.WorkerActive), want[4].At)
	wantTime(t, "TransitionTime(invited)", found.TransitionTime(ward.WorkerInvited), us(t0))
}

func testWorkerTransitionInvalidMove(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	e.tick(time.Minute)
	_, err := e.Workers.TransitionWorker(e.ctx, w.ID, ward.WorkerActive, "skip onboarding")
	wantCode(t, err, ward.EUNPROCESSABLE)
	got, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
	ok(t, err)
	diff(t, "FindWorkerByID", got, w)

	t.Run("FromOffboarded", func(t *testing.T) {
		off, err := e.Workers.TransitionWorker(e.ctx, w.ID, ward.WorkerOffboarded, "")
		ok(t, err)
		e.tick(time.Minute)
		for _, to := range []ward.WorkerStatus{ward.WorkerInvited, ward.WorkerActive, ward.WorkerOffboarded} {
			_, err := e.Workers.TransitionWorker(e.ctx, w.ID, to, "")
			wantCode(t, err, ward.EUNPROCESSABLE)
		}
		got, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
		ok(t, err)
		diff(t, "FindWorkerByID", got, off)
	})
}

func testWorkerTransitionInvalidStatus(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	_, err := e.Workers.TransitionWorker(e.ctx, w.ID, "retired", "")
	wantField(t, err, "to")
	got, err := e.Workers.FindWorkerByID(e.ctx, w.ID)
	ok(t, err)
	diff(t, "FindWorkerByID", got, w)
}

func testWorkerTransitionNotFound(t *testing.T, e *env) {
	_, err := e.Workers.TransitionWorker(e.ctx, ward.NewID(ward.PrefixWorker, t0), ward.WorkerOnboarding, "")
	wantCode(t, err, ward.ENOTFOUND)
}

func testWorkerUsernameNeverReused(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	_, err := e.Workers.TransitionWorker(e.ctx, w.ID, ward.WorkerOffboarded, "left")
	ok(t, err)
	err = e.Workers.CreateWorker(e.ctx, &ward.Worker{
		Username: w.Username, GivenName: "New", FamilyName: "Hire",
		Role: ward.RoleWorker, VendorID: tm.VendorID, TeamID: tm.ID,
	})
	wantConflict(t, err, "username")
}
