package storetest

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

// Change feed contracts both drivers MUST keep, beyond ward.ChangeFeed's
// doc comment:
//
//   - Every create, update or delete of a watched record is delivered as
//     Change{Table, ID} before the writing call returns, where Table is
//     one of "sessions", "grants", "workers", "vendors", "sites", "teams",
//     "schedules", "tasks", "devices", "api_tokens", "credentials" or
//     "onboarding_records". Credentials and onboarding records report the
//     worker's ID. A child row (a worker's or task's transitions, a task's
//     tags, a security key) reports its parent.
//   - A change is delivered once per transaction, however many rows of the
//     record it touched.
//   - Touching a session (TouchSession) is not a change.
//   - Writes that change nothing watched (alerts, queues, submissions,
//     login failures, the ledger), failed writes and rolled-back
//     transactions deliver nothing.

var changeTests = []test{
	{"Change/Session/Delivered", testChangeSession},
	{"Change/Grant/Delivered", testChangeGrant},
	{"Change/Directory/Delivered", testChangeDirectory},
	{"Change/Task/Delivered", testChangeTask},
	{"Change/Identity/Delivered", testChangeIdentity},
	{"Change/Delete/Delivered", testChangeDelete},
	{"Change/Unwatched/NothingDelivered", testChangeUnwatched},
	{"Change/Failed/NothingDelivered", testChangeFailed},
	{"Change/Rollback/NothingDelivered", testChangeRollback},
	{"Change/Cancel/StopsDelivery", testChangeCancel},
}

// recorder collects the changes delivered to one subscriber.
type recorder struct {
	mu  sync.Mutex
	got []ward.Change
}

func (r *recorder) add(c ward.Change) {
	r.mu.Lock()
	r.got = append(r.got, c)
	r.mu.Unlock()
}

// take returns the changes delivered since the last take.
func (r *recorder) take() []ward.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = nil
	return got
}

// watch subscribes a recorder for the rest of the test.
func (e *env) watch() *recorder {
	e.t.Helper()
	if e.Changes == nil {
		e.t.Fatal("storetest: Services.Changes is nil")
	}
	r := &recorder{}
	e.t.Cleanup(e.Changes.Subscribe(r.add))
	return r
}

// ch is shorthand for a Change.
func ch(table, id string) ward.Change { return ward.Change{Table: table, ID: id} }

// wantChanges checks that exactly want (in any order, each once) was
// delivered since the last check. It does not wait: a change made through
// this store is delivered before the call that made it returns.
func wantChanges(t *testing.T, r *recorder, what string, want ...ward.Change) {
	t.Helper()
	got := r.take()
	key := func(c ward.Change) string { return c.Table + " " + c.ID }
	gs, ws := make([]string, len(got)), make([]string, len(want))
	for i, c := range got {
		gs[i] = key(c)
	}
	for i, c := range want {
		ws[i] = key(c)
	}
	slices.Sort(gs)
	slices.Sort(ws)
	if !slices.Equal(gs, ws) {
		t.Fatalf("%s: changes=%q, want %q", what, gs, ws)
	}
}

func testChangeSession(t *testing.T, e *env) {
	w := e.person()
	r := e.watch()
	s1 := e.session(w)
	wantChanges(t, r, "CreateSession", ch("sessions", s1.ID))
	s2, s3 := e.session(w), e.session(w)
	r.take()

	ok(t, e.Sessions.TouchSession(e.ctx, s1.ID, e.now.Add(time.Minute)))
	wantChanges(t, r, "TouchSession")

	_, err := e.Sessions.RevokeSession(e.ctx, s1.ID, "logout")
	ok(t, err)
	wantChanges(t, r, "RevokeSession", ch("sessions", s1.ID))
	_, err = e.Sessions.RevokeSession(e.ctx, s1.ID, "again")
	ok(t, err)
	r.take() // revoking again changes nothing; whether it reports is the driver's choice

	n, err := e.Sessions.RevokeWorkerSessions(e.ctx, w.ID, "suspended")
	ok(t, err)
	if n != 2 {
		t.Fatalf("RevokeWorkerSessions=%d, want 2", n)
	}
	wantChanges(t, r, "RevokeWorkerSessions", ch("sessions", s2.ID), ch("sessions", s3.ID))
}

func testChangeGrant(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	task := e.task(e.queue())
	r := e.watch()
	g := e.grant(w, task)
	wantChanges(t, r, "CreateGrant", ch("grants", g.ID))
	_, err := e.Grants.RevokeGrant(e.ctx, g.ID, "task done")
	ok(t, err)
	wantChanges(t, r, "RevokeGrant", ch("grants", g.ID))
}

func testChangeDirectory(t *testing.T, e *env) {
	r := e.watch()
	v := e.vendor()
	wantChanges(t, r, "CreateVendor", ch("vendors", v.ID))
	_, err := e.Vendors.UpdateVendor(e.ctx, v.ID, ward.VendorUpdate{ApprovedCountries: &[]string{"PH"}})
	ok(t, err)
	wantChanges(t, r, "UpdateVendor", ch("vendors", v.ID))

	s := e.site(v.ID)
	wantChanges(t, r, "CreateSite", ch("sites", s.ID))
	_, err = e.Sites.UpdateSite(e.ctx, s.ID, ward.SiteUpdate{EgressCIDRs: &[]string{"198.51.100.0/24"}})
	ok(t, err)
	wantChanges(t, r, "UpdateSite", ch("sites", s.ID))

	tm := e.team(s)
	wantChanges(t, r, "CreateTeam", ch("teams", tm.ID))
	_, err = e.Teams.UpdateTeam(e.ctx, tm.ID, ward.TeamUpdate{Clearances: &[]string{}})
	ok(t, err)
	wantChanges(t, r, "UpdateTeam", ch("teams", tm.ID))

	sch := e.schedule()
	wantChanges(t, r, "CreateSchedule", ch("schedules", sch.ID))
	_, err = e.Schedules.UpdateSchedule(e.ctx, sch.ID, ward.ScheduleUpdate{Windows: &[]ward.ShiftWindow{{Day: "wed", Start: "09:00", End: "17:00"}}})
	ok(t, err)
	wantChanges(t, r, "UpdateSchedule", ch("schedules", sch.ID))

	w := e.worker(tm)
	wantChanges(t, r, "CreateWorker", ch("workers", w.ID))
	_, err = e.Workers.UpdateWorker(e.ctx, w.ID, ward.WorkerUpdate{ScheduleID: &sch.ID})
	ok(t, err)
	wantChanges(t, r, "UpdateWorker", ch("workers", w.ID))
	_, err = e.Workers.TransitionWorker(e.ctx, w.ID, ward.WorkerOnboarding, "started")
	ok(t, err)
	wantChanges(t, r, "TransitionWorker", ch("workers", w.ID))
}

func testChangeTask(t *testing.T, e *env) {
	q := e.queue()
	w := e.worker(nil, func(w *ward.Worker) { w.Role = ward.RoleAdmin })
	r := e.watch()
	task := e.task(q)
	wantChanges(t, r, "CreateTask", ch("tasks", task.ID))
	// Replacing the tags deletes and inserts child rows.
	_, err := e.Tasks.UpdateTask(e.ctx, task.ID, ward.TaskUpdate{SensitivityTags: &[]string{ward.TagHIV}})
	ok(t, err)
	wantChanges(t, r, "UpdateTask", ch("tasks", task.ID))
	_, err = e.Tasks.TransitionTask(e.ctx, task.ID, ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: w.ID})
	ok(t, err)
	wantChanges(t, r, "TransitionTask", ch("tasks", task.ID))
}

func testChangeIdentity(t *testing.T, e *env) {
	v := e.vendor()
	w := e.person()
	r := e.watch()

	ok(t, e.Credentials.SetPassword(e.ctx, w.ID, "$argon2id$x"))
	wantChanges(t, r, "SetPassword", ch("credentials", w.ID))
	ok(t, e.Credentials.SetTOTP(e.ctx, w.ID, "JBSWY3DPEHPK3PXP"))
	wantChanges(t, r, "SetTOTP", ch("credentials", w.ID))
	ok(t, e.Credentials.UseTOTPStep(e.ctx, w.ID, 5))
	wantChanges(t, r, "UseTOTPStep", ch("credentials", w.ID))
	k := e.securityKey("key")
	ok(t, e.Credentials.AddWebAuthnCredential(e.ctx, w.ID, k))
	wantChanges(t, r, "AddWebAuthnCredential", ch("credentials", w.ID))
	ok(t, e.Credentials.UpdateWebAuthnSignCount(e.ctx, w.ID, k.ID, 8))
	wantChanges(t, r, "UpdateWebAuthnSignCount", ch("credentials", w.ID))

	d := e.device(w)
	wantChanges(t, r, "CreateDevice", ch("devices", d.ID))
	_, err := e.Devices.RevokeDevice(e.ctx, d.ID)
	ok(t, err)
	wantChanges(t, r, "RevokeDevice", ch("devices", d.ID))

	tok := e.apiToken(func(tok *ward.APIToken) { tok.Kind, tok.VendorID = ward.TokenSCIM, v.ID })
	wantChanges(t, r, "CreateAPIToken", ch("api_tokens", tok.ID))
	_, err = e.APITokens.RevokeAPIToken(e.ctx, tok.ID)
	ok(t, err)
	wantChanges(t, r, "RevokeAPIToken", ch("api_tokens", tok.ID))

	ok(t, e.Onboarding.CreateOnboardingRecord(e.ctx, &ward.OnboardingRecord{WorkerID: w.ID, Step: ward.StepMFAEnrolled}))
	wantChanges(t, r, "CreateOnboardingRecord", ch("onboarding_records", w.ID))
}

// mustExec runs statements through the driver's write path, skipping the
// test when the driver offers none.
func (e *env) mustExec(rollback bool, stmts ...string) {
	e.t.Helper()
	if e.exec == nil {
		e.t.Skip("storetest: Opened.Exec not provided")
	}
	ok(e.t, e.exec(e.ctx, rollback, stmts...))
}

// quote returns s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func testChangeDelete(t *testing.T, e *env) {
	w := e.person()
	d := e.device(w)
	task := e.task(e.queue())
	ok(t, e.Onboarding.CreateOnboardingRecord(e.ctx, &ward.OnboardingRecord{WorkerID: w.ID, Step: ward.StepMFAEnrolled}))
	r := e.watch()
	e.mustExec(false, `DELETE FROM devices WHERE id = `+quote(d.ID))
	wantChanges(t, r, "delete device", ch("devices", d.ID))
	e.mustExec(false, `DELETE FROM task_tags WHERE task_id = `+quote(task.ID))
	wantChanges(t, r, "delete task tags", ch("tasks", task.ID))
	e.mustExec(false, `DELETE FROM onboarding_records WHERE worker_id = `+quote(w.ID))
	wantChanges(t, r, "delete onboarding records", ch("onboarding_records", w.ID))
}

func testChangeUnwatched(t *testing.T, e *env) {
	r := e.watch()
	e.alert()
	e.queue()
	e.submission()
	_, err := e.LoginFailures.AddLoginFailure(e.ctx, "addr:192.0.2.1", time.Minute, 3, time.Hour)
	ok(t, err)
	ok(t, e.LoginFailures.ClearLoginFailures(e.ctx, "addr:192.0.2.1"))
	if e.ledger != nil {
		ok(t, e.ledger.AppendLedger(e.ctx, LedgerLeaves(0, 3, "feed"), LedgerNodesFor(0, 3)))
	}
	wantChanges(t, r, "unwatched writes")
}

func testChangeFailed(t *testing.T, e *env) {
	w := e.person()
	d := e.device(w)
	r := e.watch()
	err := e.Devices.CreateDevice(e.ctx, &ward.Device{WorkerID: w.ID, Identity: d.Identity})
	wantCode(t, err, ward.ECONFLICT)
	err = e.Workers.CreateWorker(e.ctx, &ward.Worker{Username: w.Username, GivenName: "A", FamilyName: "B", Role: ward.RoleAdmin})
	wantCode(t, err, ward.ECONFLICT)
	_, err = e.Sessions.RevokeSession(e.ctx, ward.NewID(ward.PrefixSession, t0), "x")
	wantCode(t, err, ward.ENOTFOUND)
	wantChanges(t, r, "failed writes")
}

func testChangeRollback(t *testing.T, e *env) {
	w := e.person()
	s := e.session(w)
	r := e.watch()
	e.mustExec(true,
		`UPDATE sessions SET revoke_reason = 'rolled back' WHERE id = `+quote(s.ID),
		`UPDATE workers SET email = 'x@example.com' WHERE id = `+quote(w.ID))
	wantChanges(t, r, "rolled back")
	got, err := e.Sessions.FindSessionByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "session after rollback", got, s)
	// A later commit does not deliver the rolled-back changes either.
	e.mustExec(false, `UPDATE workers SET email = 'y@example.com' WHERE id = `+quote(w.ID))
	wantChanges(t, r, "commit after rollback", ch("workers", w.ID))
}

func testChangeCancel(t *testing.T, e *env) {
	w := e.person()
	r1, r2 := &recorder{}, &recorder{}
	cancel1 := e.Changes.Subscribe(r1.add)
	cancel2 := e.Changes.Subscribe(r2.add)
	defer cancel2()
	s1 := e.session(w)
	wantChanges(t, r1, "before cancel", ch("sessions", s1.ID))
	wantChanges(t, r2, "before cancel", ch("sessions", s1.ID))
	cancel1()
	cancel1() // idempotent
	s2 := e.session(w)
	wantChanges(t, r1, "after cancel")
	wantChanges(t, r2, "other subscriber after cancel", ch("sessions", s2.ID))

	t.Run("Concurrent", func(t *testing.T) {
		// Subscribing and cancelling while writes commit is safe.
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				for j := range 5 {
					r := &recorder{}
					c := e.Changes.Subscribe(r.add)
					h := sha256.Sum256(fmt.Appendf(nil, "concurrent %d %d", i, j))
					s := &ward.Session{WorkerID: w.ID, TokenHash: h[:], ExpiresAt: us(e.now).Add(time.Hour)}
					if err := e.Sessions.CreateSession(e.ctx, s); err != nil {
						t.Error(err)
					} else if len(r.take()) == 0 {
						t.Error("a subscriber missed a change committed after Subscribe returned")
					}
					c()
				}
			})
		}
		wg.Wait()
	})
}
