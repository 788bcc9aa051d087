package onboarding_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity/onboarding"
	"github.com/wardhq/ward/store/sqlite"
)

// auditLog records events; fail makes it refuse them.
type auditLog struct {
	events []*ward.Event
	fail   bool
}

func (a *auditLog) Audit(_ context.Context, e *ward.Event) (uint64, error) {
	if a.fail {
		return 0, errors.New("ledger disk full")
	}
	if err := e.Validate(); err != nil {
		return 0, err
	}
	a.events = append(a.events, e)
	return uint64(len(a.events)), nil
}

func (a *auditLog) actions() []string {
	var out []string
	for _, e := range a.events {
		out = append(out, e.Action)
	}
	return out
}

func (a *auditLog) reset() { a.events = nil }

// fixture is a vendor with one coder, a supervisor, and an admin, in an
// in-memory SQLite store, with the clock on 2 March 2026.
type fixture struct {
	ctx        context.Context // as the admin
	svc        *onboarding.Service
	audit      *auditLog
	ward       ward.Services
	now        time.Time
	vendor     *ward.Vendor
	team       *ward.Team
	coder, sup *ward.Worker
	admin      *ward.Principal
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	db := sqlite.NewDB(sqlite.MemoryDSN)
	db.Now = func() time.Time { return now }
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	f := &fixture{now: now, ward: db.Services(), audit: &auditLog{}}
	f.admin = &ward.Principal{Subject: "wrk_admin", Role: ward.RoleAdmin, WorkerID: "wrk_admin", Username: "ada"}
	f.ctx = ward.NewContextWithPrincipal(context.Background(), f.admin)
	f.svc = &onboarding.Service{Services: f.ward, Auditor: f.audit, Now: func() time.Time { return f.now }}

	f.vendor = &ward.Vendor{Name: "Acme Coding", BAAStatus: ward.BAAActive,
		BAAEffective: ward.Date{Year: 2025, Month: time.January, Day: 1}, BAAExpires: ward.Date{Year: 2026, Month: time.December, Day: 31},
		ApprovedCountries: []string{"PH"}}
	must(tb, f.ward.Vendors.CreateVendor(f.ctx, f.vendor))
	site := &ward.Site{VendorID: f.vendor.ID, Name: "Manila", Country: "PH", EgressCIDRs: []string{"203.0.113.0/24"}, TimeZone: "Asia/Manila"}
	must(tb, f.ward.Sites.CreateSite(f.ctx, site))
	f.team = &ward.Team{VendorID: f.vendor.ID, SiteID: site.ID, Name: "Outpatient", Functions: []ward.Function{ward.FunctionCoding}}
	must(tb, f.ward.Teams.CreateTeam(f.ctx, f.team))
	f.coder = &ward.Worker{Username: "maria.santos", Email: "maria@acme.example", GivenName: "Maria", FamilyName: "Santos",
		Role: ward.RoleWorker, VendorID: f.vendor.ID, TeamID: f.team.ID}
	must(tb, f.ward.Workers.CreateWorker(f.ctx, f.coder))
	f.sup = &ward.Worker{Username: "jose.reyes", Email: "jose@acme.example", GivenName: "Jose", FamilyName: "Reyes",
		Role: ward.RoleSupervisor, VendorID: f.vendor.ID}
	must(tb, f.ward.Workers.CreateWorker(f.ctx, f.sup))
	return f
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := ward.ErrorCode(err); got != code {
		tb.Fatalf("code=%q, want %q (err %v)", got, code, err)
	}
}

func (f *fixture) as(p *ward.Principal) context.Context {
	return ward.NewContextWithPrincipal(context.Background(), p)
}

func (f *fixture) supervisor() context.Context {
	return f.as(&ward.Principal{Subject: f.sup.ID, Role: ward.RoleSupervisor, WorkerID: f.sup.ID, VendorID: f.vendor.ID})
}

func (f *fixture) status(tb testing.TB, id string) ward.WorkerStatus {
	tb.Helper()
	w, err := f.ward.Workers.FindWorkerByID(f.ctx, id)
	must(tb, err)
	return w.Status
}

func (f *fixture) device(tb testing.TB, w *ward.Worker) *ward.Device {
	tb.Helper()
	d := &ward.Device{WorkerID: w.ID, Identity: "vdi:mnl-vdi-" + w.Username}
	must(tb, f.ward.Devices.CreateDevice(f.ctx, d))
	return d
}

// onboard records every step for w and returns its device.
func (f *fixture) onboard(tb testing.TB, w *ward.Worker) *ward.Device {
	tb.Helper()
	d := f.device(tb, w)
	must(tb, f.ward.Credentials.SetTOTP(f.ctx, w.ID, "JBSWY3DPEHPK3PXP"))
	for _, r := range []*ward.OnboardingRecord{
		{WorkerID: w.ID, Step: ward.StepIdentityVerified, Evidence: "passport checked by video call"},
		{WorkerID: w.ID, Step: ward.StepHIPAATraining, CompletedOn: &ward.Date{Year: 2026, Month: time.February, Day: 27}, Evidence: "cert 4411"},
		{WorkerID: w.ID, Step: ward.StepDeviceEnrolled, Evidence: d.ID},
		{WorkerID: w.ID, Step: ward.StepMFAEnrolled},
		{WorkerID: w.ID, Step: ward.StepSupervisorApproval},
	} {
		if _, err := f.svc.Record(f.supervisor(), r); err != nil {
			tb.Fatalf("Record %s: %v", r.Step, err)
		}
	}
	return d
}

func TestServiceActivate(t *testing.T) {
	f := newFixture(t)

	// Nothing done: refused, naming every missing step.
	_, err := f.svc.Activate(f.ctx, f.coder.ID, "ready")
	wantCode(t, err, ward.EUNPROCESSABLE)
	if msg := ward.ErrorMessage(err); !strings.Contains(msg, "identity_verified") || !strings.Contains(msg, "supervisor_approval") {
		t.Fatalf("message %q does not list the missing steps", msg)
	}

	// The first step moves the invited worker to onboarding.
	r, err := f.svc.Record(f.ctx, &ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepIdentityVerified, Evidence: "passport"})
	must(t, err)
	if r.ID == "" || r.Actor != "wrk_admin" {
		t.Fatalf("record=%+v", r)
	}
	if got := f.status(t, f.coder.ID); got != ward.WorkerOnboarding {
		t.Fatalf("status=%s, want onboarding", got)
	}
	if got, want := f.audit.actions(), []string{"onboarding.step_recorded", "worker.transition"}; !slices.Equal(got, want) {
		t.Fatalf("events=%v, want %v", got, want)
	}
	if d := f.audit.events[1].Details; d["from"] != "invited" || d["to"] != "onboarding" {
		t.Fatalf("transition details=%v", d)
	}

	f.onboard(t, f.coder)
	f.audit.reset()
	cl, err := f.svc.Checklist(f.ctx, f.coder.ID)
	must(t, err)
	if !cl.Complete {
		t.Fatalf("checklist incomplete: %v", cl.Missing)
	}
	w, err := f.svc.Activate(f.ctx, f.coder.ID, "ready")
	must(t, err)
	if w.Status != ward.WorkerActive {
		t.Fatalf("status=%s, want active", w.Status)
	}
	if len(f.audit.events) != 1 || f.audit.events[0].Action != "worker.transition" || f.audit.events[0].Details["to"] != "active" ||
		f.audit.events[0].Details["reason"] != "ready" || f.audit.events[0].Actor.Subject != "wrk_admin" {
		t.Fatalf("events=%+v", f.audit.events)
	}
}

func TestServiceActivateLiveChecks(t *testing.T) {
	t.Run("ErrDeviceRevoked", func(t *testing.T) {
		f := newFixture(t)
		d := f.onboard(t, f.coder)
		_, err := f.ward.Devices.RevokeDevice(f.ctx, d.ID)
		must(t, err)
		_, err = f.svc.Activate(f.ctx, f.coder.ID, "")
		wantCode(t, err, ward.EUNPROCESSABLE)
		if !strings.Contains(ward.ErrorMessage(err), "device_enrolled") {
			t.Fatalf("message %q", ward.ErrorMessage(err))
		}
	})
	t.Run("ErrMFARemoved", func(t *testing.T) {
		f := newFixture(t)
		f.onboard(t, f.coder)
		must(t, f.ward.Credentials.SetTOTP(f.ctx, f.coder.ID, ""))
		_, err := f.svc.Activate(f.ctx, f.coder.ID, "")
		wantCode(t, err, ward.EUNPROCESSABLE)
	})
	t.Run("ErrBAALapsed", func(t *testing.T) {
		f := newFixture(t)
		f.onboard(t, f.coder)
		f.now = time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)
		_, err := f.svc.Activate(f.ctx, f.coder.ID, "")
		wantCode(t, err, ward.EUNPROCESSABLE)
		if !strings.Contains(ward.ErrorMessage(err), "vendor_baa") {
			t.Fatalf("message %q", ward.ErrorMessage(err))
		}
	})
}

func TestServiceRecord(t *testing.T) {
	f := newFixture(t)
	d := f.device(t, f.coder)
	other := f.device(t, f.sup)
	day := func(y int, m time.Month, dd int) *ward.Date { return &ward.Date{Year: y, Month: m, Day: dd} }

	for _, test := range []struct {
		name string
		ctx  context.Context
		rec  ward.OnboardingRecord
		code string
	}{
		{"ErrUnknownWorker", f.ctx, ward.OnboardingRecord{WorkerID: "wrk_nobody", Step: ward.StepIdentityVerified, Evidence: "x"}, ward.EINVALID},
		{"ErrUnknownStep", f.ctx, ward.OnboardingRecord{WorkerID: f.coder.ID, Step: "background_check"}, ward.EINVALID},
		{"ErrIdentityWithoutEvidence", f.ctx, ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepIdentityVerified}, ward.EINVALID},
		{"ErrTrainingUndated", f.ctx, ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepHIPAATraining}, ward.EINVALID},
		{"ErrTrainingInFuture", f.ctx, ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepHIPAATraining, CompletedOn: day(2026, time.March, 3)}, ward.EINVALID},
		{"ErrTrainingOverAYearOld", f.ctx, ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepHIPAATraining, CompletedOn: day(2025, time.March, 2)}, ward.EINVALID},
		{"ErrDeviceNotGiven", f.ctx, ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepDeviceEnrolled}, ward.EINVALID},
		{"ErrDeviceUnknown", f.ctx, ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepDeviceEnrolled, Evidence: "dev_nope"}, ward.EINVALID},
		{"ErrDeviceOfAnotherWorker", f.ctx, ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepDeviceEnrolled, Evidence: other.ID}, ward.EINVALID},
		{"ErrMFANotEnrolled", f.ctx, ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepMFAEnrolled}, ward.EUNPROCESSABLE},
		{"ErrApprovalAnonymous", context.Background(), ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepSupervisorApproval}, ward.EFORBIDDEN},
		{"ErrApprovalByWorker", f.as(&ward.Principal{Subject: "wrk_x", Role: ward.RoleWorker, WorkerID: "wrk_x", VendorID: f.vendor.ID}),
			ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepSupervisorApproval}, ward.EFORBIDDEN},
		{"ErrApprovalByCompliance", f.as(&ward.Principal{Subject: "wrk_c", Role: ward.RoleCompliance, WorkerID: "wrk_c"}),
			ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepSupervisorApproval}, ward.EFORBIDDEN},
		{"ErrApprovalByOtherVendorsSupervisor", f.as(&ward.Principal{Subject: "wrk_s2", Role: ward.RoleSupervisor, WorkerID: "wrk_s2", VendorID: "vnd_other"}),
			ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepSupervisorApproval}, ward.EFORBIDDEN},
		{"ErrSelfApproval", f.as(&ward.Principal{Subject: f.sup.ID, Role: ward.RoleSupervisor, WorkerID: f.sup.ID, VendorID: f.vendor.ID}),
			ward.OnboardingRecord{WorkerID: f.sup.ID, Step: ward.StepSupervisorApproval}, ward.EFORBIDDEN},
	} {
		t.Run(test.name, func(t *testing.T) {
			rec := test.rec
			_, err := f.svc.Record(test.ctx, &rec)
			wantCode(t, err, test.code)
		})
	}
	recs, err := f.ward.Onboarding.FindOnboardingRecords(f.ctx, f.coder.ID)
	must(t, err)
	if len(recs) != 0 || f.status(t, f.coder.ID) != ward.WorkerInvited || len(f.audit.events) != 0 {
		t.Fatalf("refused records left %d records, status %s, %d events", len(recs), f.status(t, f.coder.ID), len(f.audit.events))
	}

	t.Run("OKTrainingExpiresInAYear", func(t *testing.T) {
		r, err := f.svc.Record(f.ctx, &ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepHIPAATraining,
			CompletedOn: day(2025, time.March, 3), ExpiresOn: day(2030, time.January, 1)})
		must(t, err)
		if r.ExpiresOn == nil || *r.ExpiresOn != *day(2026, time.March, 3) {
			t.Fatalf("ExpiresOn=%v, want 2026-03-03", r.ExpiresOn)
		}
	})
	t.Run("OKDevice", func(t *testing.T) {
		_, err := f.svc.Record(f.ctx, &ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepDeviceEnrolled, Evidence: d.ID})
		must(t, err)
	})
	t.Run("OKMFAEvidence", func(t *testing.T) {
		must(t, f.ward.Credentials.SetTOTP(f.ctx, f.coder.ID, "JBSWY3DPEHPK3PXP"))
		r, err := f.svc.Record(f.ctx, &ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepMFAEnrolled})
		must(t, err)
		if r.Evidence != "totp" {
			t.Fatalf("Evidence=%q, want totp", r.Evidence)
		}
	})
	t.Run("OKApprovalBySupervisor", func(t *testing.T) {
		r, err := f.svc.Record(f.supervisor(), &ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepSupervisorApproval})
		must(t, err)
		if r.Actor != f.sup.ID {
			t.Fatalf("Actor=%q, want %q", r.Actor, f.sup.ID)
		}
	})
	t.Run("ErrAuditFails", func(t *testing.T) {
		f.audit.fail = true
		defer func() { f.audit.fail = false }()
		_, err := f.svc.Record(f.ctx, &ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepIdentityVerified, Evidence: "passport"})
		wantCode(t, err, ward.EUNAVAILABLE)
		if !strings.Contains(ward.ErrorMessage(err), "saved but not") {
			t.Fatalf("message %q does not say the change was saved", ward.ErrorMessage(err))
		}
	})
	t.Run("ErrNoAuditor", func(t *testing.T) {
		svc := &onboarding.Service{Services: f.ward}
		_, err := svc.Record(f.ctx, &ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepIdentityVerified, Evidence: "passport"})
		wantCode(t, err, ward.EINTERNAL)
	})
}

// grants gives w a live grant, one that starts later and one that has
// expired.
func (f *fixture) grants(tb testing.TB, w *ward.Worker) (live, later, expired *ward.Grant) {
	tb.Helper()
	q := &ward.Queue{Name: "Outpatient coding " + w.ID, Function: ward.FunctionCoding}
	must(tb, f.ward.Queues.CreateQueue(f.ctx, q))
	task := &ward.Task{QueueID: q.ID, Type: ward.FunctionCoding, PatientRef: "Patient/p-1", Complexity: 2}
	must(tb, f.ward.Tasks.CreateTask(f.ctx, task))
	mk := func(from, to time.Duration) *ward.Grant {
		g := &ward.Grant{WorkerID: w.ID, TaskID: task.ID, PatientRef: task.PatientRef, ResourceTypes: []string{"Encounter"},
			Interactions: []string{ward.InteractionRead}, NotBefore: f.now.Add(from), ExpiresAt: f.now.Add(to)}
		must(tb, f.ward.Grants.CreateGrant(f.ctx, g))
		return g
	}
	return mk(-time.Minute, time.Hour), mk(time.Hour, 2*time.Hour), mk(-2*time.Hour, -time.Hour)
}

func (f *fixture) session(tb testing.TB, w *ward.Worker) *ward.Session {
	tb.Helper()
	h := sha256.Sum256([]byte("token-" + w.ID))
	s := &ward.Session{WorkerID: w.ID, TokenHash: h[:], DeviceID: "dev-1", ClientAddr: "203.0.113.7", Country: "PH", ExpiresAt: f.now.Add(8 * time.Hour)}
	must(tb, f.ward.Sessions.CreateSession(f.ctx, s))
	return s
}

func TestServiceOffboard(t *testing.T) {
	f := newFixture(t)
	d := f.onboard(t, f.coder)
	_, err := f.svc.Activate(f.ctx, f.coder.ID, "")
	must(t, err)
	live, later, expired := f.grants(t, f.coder)
	sess := f.session(t, f.coder)
	f.audit.reset()

	w, err := f.svc.Offboard(f.ctx, f.coder.ID, "resigned")
	must(t, err)
	if w.Status != ward.WorkerOffboarded {
		t.Fatalf("status=%s, want offboarded", w.Status)
	}
	for _, g := range []*ward.Grant{live, later} {
		got, err := f.ward.Grants.FindGrantByID(f.ctx, g.ID)
		must(t, err)
		if got.RevokedAt == nil || !strings.Contains(got.RevokeReason, "resigned") {
			t.Fatalf("grant %s not revoked: %+v", g.ID, got)
		}
	}
	if got, err := f.ward.Grants.FindGrantByID(f.ctx, expired.ID); err != nil || got.RevokedAt != nil {
		t.Fatalf("expired grant touched: %+v, %v", got, err)
	}
	s, err := f.ward.Sessions.FindSessionByID(f.ctx, sess.ID)
	must(t, err)
	if s.RevokedAt == nil {
		t.Fatal("session not revoked")
	}
	active := true
	if ds, _, err := f.ward.Devices.FindDevices(f.ctx, ward.DeviceFilter{WorkerID: &f.coder.ID, Active: &active}); err != nil || len(ds) != 0 {
		t.Fatalf("devices still active: %v, %v", ds, err)
	}
	want := []string{"worker.transition", "grant.revoked", "grant.revoked", "device.revoked"}
	if got := f.audit.actions(); !slices.Equal(got, want) {
		t.Fatalf("events=%v, want %v", got, want)
	}
	if ev := f.audit.events[3]; ev.Target.ResourceID != d.ID {
		t.Fatalf("device.revoked target=%+v", ev.Target)
	}
	if ev := f.audit.events[1]; ev.Target.GrantID == "" || ev.Target.TaskID == "" {
		t.Fatalf("grant.revoked target=%+v", ev.Target)
	}

	t.Run("ErrFinal", func(t *testing.T) {
		_, err := f.svc.Activate(f.ctx, f.coder.ID, "")
		wantCode(t, err, ward.EUNPROCESSABLE)
		_, err = f.svc.Record(f.ctx, &ward.OnboardingRecord{WorkerID: f.coder.ID, Step: ward.StepIdentityVerified, Evidence: "again"})
		wantCode(t, err, ward.EUNPROCESSABLE)
	})
}

func TestServiceSuspend(t *testing.T) {
	f := newFixture(t)
	f.onboard(t, f.coder)
	_, err := f.svc.Activate(f.ctx, f.coder.ID, "")
	must(t, err)
	live, _, _ := f.grants(t, f.coder)
	var ended []string
	f.svc.EndAccess = func(_ context.Context, workerID, reason string) error {
		ended = append(ended, workerID+": "+reason)
		return nil
	}
	f.audit.reset()

	w, err := f.svc.Suspend(f.ctx, f.coder.ID, "alert 42")
	must(t, err)
	if w.Status != ward.WorkerSuspended {
		t.Fatalf("status=%s, want suspended", w.Status)
	}
	if want := []string{f.coder.ID + ": worker suspended: alert 42"}; !slices.Equal(ended, want) {
		t.Fatalf("EndAccess calls=%v, want %v", ended, want)
	}
	g, err := f.ward.Grants.FindGrantByID(f.ctx, live.ID)
	must(t, err)
	if g.RevokedAt == nil {
		t.Fatal("grant not revoked")
	}
	active := true
	if ds, _, err := f.ward.Devices.FindDevices(f.ctx, ward.DeviceFilter{WorkerID: &f.coder.ID, Active: &active}); err != nil || len(ds) != 1 {
		t.Fatalf("suspension revoked devices: %v, %v", ds, err)
	}

	t.Run("OKReinstate", func(t *testing.T) {
		w, err := f.svc.Activate(f.ctx, f.coder.ID, "cleared")
		must(t, err)
		if w.Status != ward.WorkerActive {
			t.Fatalf("status=%s", w.Status)
		}
	})
	t.Run("ErrAuditFailsAfterSuspension", func(t *testing.T) {
		f.audit.fail = true
		defer func() { f.audit.fail = false }()
		_, err := f.svc.Suspend(f.ctx, f.coder.ID, "again")
		wantCode(t, err, ward.EUNAVAILABLE)
		if got := f.status(t, f.coder.ID); got != ward.WorkerSuspended {
			t.Fatalf("status=%s, want suspended: the change happens even when its audit fails", got)
		}
	})
	t.Run("ErrEndAccessFails", func(t *testing.T) {
		_, err := f.svc.Activate(f.ctx, f.coder.ID, "cleared")
		must(t, err)
		f.svc.EndAccess = func(context.Context, string, string) error { return errors.New("session cache down") }
		_, err = f.svc.Suspend(f.ctx, f.coder.ID, "again")
		if err == nil {
			t.Fatal("Suspend hid the failure to end sessions")
		}
		if got := f.status(t, f.coder.ID); got != ward.WorkerSuspended {
			t.Fatalf("status=%s, want suspended", got)
		}
	})
}
