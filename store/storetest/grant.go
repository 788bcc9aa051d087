package storetest

import (
	"testing"
	"time"

	"github.com/wardhq/ward"
)

var grantTests = []test{
	{"Grant/Create/OK", testGrantCreate},
	{"Grant/Create/ErrInvalid", testGrantCreateInvalid},
	{"Grant/Find/Filter", testGrantFilter},
	{"Grant/Find/LiveAt", testGrantLiveAt},
	{"Grant/Revoke/OK", testGrantRevoke},
	{"Grant/Revoke/Idempotent", testGrantRevokeIdempotent},
	{"Grant/Revoke/ErrNotFound", testGrantRevokeNotFound},
}

func testGrantCreate(t *testing.T, e *env) {
	_, _, tm := e.org()
	w, task := e.worker(tm), e.task(e.queue())
	ny, err := time.LoadLocation("America/New_York")
	ok(t, err)
	nb := time.Date(2025, time.March, 4, 0, 30, 0, 123456999, ny)
	g := &ward.Grant{
		WorkerID:      w.ID,
		TaskID:        task.ID,
		PatientRef:    task.PatientRef,
		ResourceTypes: []string{"Patient", "Encounter", "Condition", "DocumentReference"},
		Interactions:  []string{ward.InteractionRead, ward.InteractionVRead, ward.InteractionSearch},
		NotBefore:     nb,
		ExpiresAt:     nb.Add(90 * time.Minute),
	}
	ok(t, e.Grants.CreateGrant(e.ctx, g))
	wantID(t, g.ID, ward.PrefixGrant)
	want := &ward.Grant{
		ID: g.ID, WorkerID: w.ID, TaskID: task.ID, PatientRef: task.PatientRef,
		ResourceTypes: []string{"Patient", "Encounter", "Condition", "DocumentReference"},
		Interactions:  []string{ward.InteractionRead, ward.InteractionVRead, ward.InteractionSearch},
		NotBefore:     us(nb), ExpiresAt: us(nb.Add(90 * time.Minute)), CreatedAt: us(t0),
	}
	diff(t, "CreateGrant argument", g, want)
	wantTime(t, "NotBefore (argument)", g.NotBefore, us(nb))

	got, err := e.Grants.FindGrantByID(e.ctx, g.ID)
	ok(t, err)
	diff(t, "FindGrantByID", got, want)
	wantTime(t, "NotBefore", got.NotBefore, us(nb))
	wantTime(t, "ExpiresAt", got.ExpiresAt, us(nb.Add(90*time.Minute)))
	wantTime(t, "CreatedAt", got.CreatedAt, us(t0))
	if got.RevokedAt != nil {
		t.Fatalf("RevokedAt=%v, want nil", got.RevokedAt)
	}
}

func testGrantCreateInvalid(t *testing.T, e *env) {
	_, _, tm := e.org()
	w, task := e.worker(tm), e.task(e.queue())
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Grant)
		field string
	}{
		{"ErrWorkerRequired", func(g *ward.Grant) { g.WorkerID = "" }, "worker_id"},
		{"ErrTaskRequired", func(g *ward.Grant) { g.TaskID = "" }, "task_id"},
		{"ErrWorkerUnknown", func(g *ward.Grant) { g.WorkerID = ward.NewID(ward.PrefixWorker, t0) }, "worker_id"},
		{"ErrTaskUnknown", func(g *ward.Grant) { g.TaskID = ward.NewID(ward.PrefixTask, t0) }, "task_id"},
		{"ErrPatientRef", func(g *ward.Grant) { g.PatientRef = "p-1" }, "patient_ref"},
		{"ErrResourceTypesRequired", func(g *ward.Grant) { g.ResourceTypes = nil }, "resource_types"},
		{"ErrResourceType", func(g *ward.Grant) { g.ResourceTypes = []string{"Patient", "patient"} }, "resource_types[1]"},
		{"ErrInteraction", func(g *ward.Grant) { g.Interactions = []string{"write"} }, "interactions[0]"},
		{"ErrWindow", func(g *ward.Grant) { g.ExpiresAt = g.NotBefore }, "expires_at"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := &ward.Grant{
				WorkerID: w.ID, TaskID: task.ID, PatientRef: "Patient/p-1",
				ResourceTypes: []string{"Patient"}, Interactions: []string{ward.InteractionRead},
				NotBefore: us(t0), ExpiresAt: us(t0).Add(time.Hour),
			}
			tt.mod(g)
			wantField(t, e.Grants.CreateGrant(e.ctx, g), tt.field)
		})
	}
	_, n, err := e.Grants.FindGrants(e.ctx, ward.GrantFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d after failed creates, want 0", n)
	}
}

func testGrantFilter(t *testing.T, e *env) {
	_, _, tm := e.org()
	w1, w2 := e.worker(tm), e.worker(tm)
	q := e.queue()
	t1, t2 := e.task(q), e.task(q, func(task *ward.Task) { task.PatientRef = "Patient/p-2" })
	a := e.grant(w1, t1)
	b := e.grant(w1, t2)
	c := e.grant(w2, t2)
	for _, tt := range []struct {
		name   string
		filter ward.GrantFilter
		want   []string
	}{
		{"All", ward.GrantFilter{}, sorted(a.ID, b.ID, c.ID)},
		{"ID", ward.GrantFilter{ID: &b.ID}, []string{b.ID}},
		{"WorkerID", ward.GrantFilter{WorkerID: &w1.ID}, sorted(a.ID, b.ID)},
		{"TaskID", ward.GrantFilter{TaskID: &t2.ID}, sorted(b.ID, c.ID)},
		{"PatientRef", ward.GrantFilter{PatientRef: ptr("Patient/p-1")}, []string{a.ID}},
		{"Combined", ward.GrantFilter{WorkerID: &w2.ID, TaskID: &t2.ID}, []string{c.ID}},
		{"NoMatch", ward.GrantFilter{WorkerID: &w2.ID, TaskID: &t1.ID}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gs, n, err := e.Grants.FindGrants(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(gs, func(g *ward.Grant) string { return g.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
	gs, _, err := e.Grants.FindGrants(e.ctx, ward.GrantFilter{ID: &a.ID})
	ok(t, err)
	diff(t, "FindGrants", gs[0], a)
}

// testGrantLiveAt checks that LiveAt matches Grant.Live: inside
// [NotBefore, ExpiresAt) and not revoked.
func testGrantLiveAt(t *testing.T, e *env) {
	_, _, tm := e.org()
	w, task := e.worker(tm), e.task(e.queue())
	base := us(t0)
	early := e.grant(w, task, func(g *ward.Grant) { g.NotBefore, g.ExpiresAt = base, base.Add(time.Hour) })
	late := e.grant(w, task, func(g *ward.Grant) { g.NotBefore, g.ExpiresAt = base.Add(30*time.Minute), base.Add(2*time.Hour) })
	revoked := e.grant(w, task, func(g *ward.Grant) { g.NotBefore, g.ExpiresAt = base, base.Add(2*time.Hour) })
	_, err := e.Grants.RevokeGrant(e.ctx, revoked.ID, "task reassigned")
	ok(t, err)
	for _, tt := range []struct {
		name string
		at   time.Time
		want []string
	}{
		{"BeforeAll", base.Add(-time.Microsecond), nil},
		{"AtNotBefore", base, []string{early.ID}},
		{"Overlap", base.Add(45 * time.Minute), sorted(early.ID, late.ID)},
		{"AtExpiresAt", base.Add(time.Hour), []string{late.ID}},
		{"JustBeforeExpiry", base.Add(2*time.Hour - time.Microsecond), []string{late.ID}},
		{"AfterAll", base.Add(2 * time.Hour), nil},
		{"OtherZone", base.Add(45 * time.Minute).In(time.FixedZone("X", -5*3600)), sorted(early.ID, late.ID)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gs, n, err := e.Grants.FindGrants(e.ctx, ward.GrantFilter{LiveAt: &tt.at})
			ok(t, err)
			wantIDs(t, ids(gs, func(g *ward.Grant) string { return g.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
			for _, g := range gs {
				if !g.Live(tt.at) {
					t.Fatalf("grant %s returned for LiveAt=%v but Live()=false", g.ID, tt.at)
				}
			}
		})
	}
}

func testGrantRevoke(t *testing.T, e *env) {
	_, _, tm := e.org()
	g := e.grant(e.worker(tm), e.task(e.queue()))
	t1 := e.tick(10 * time.Minute)
	got, err := e.Grants.RevokeGrant(e.ctx, g.ID, "worker suspended")
	ok(t, err)
	want := *g
	want.RevokedAt, want.RevokeReason = &t1, "worker suspended"
	diff(t, "RevokeGrant", got, &want)
	wantTime(t, "RevokedAt", *got.RevokedAt, t1)
	found, err := e.Grants.FindGrantByID(e.ctx, g.ID)
	ok(t, err)
	diff(t, "FindGrantByID", found, &want)
}

func testGrantRevokeIdempotent(t *testing.T, e *env) {
	_, _, tm := e.org()
	g := e.grant(e.worker(tm), e.task(e.queue()))
	t1 := e.tick(time.Minute)
	first, err := e.Grants.RevokeGrant(e.ctx, g.ID, "first")
	ok(t, err)
	e.tick(time.Minute)
	second, err := e.Grants.RevokeGrant(e.ctx, g.ID, "second")
	ok(t, err)
	diff(t, "second RevokeGrant", second, first)
	wantTime(t, "RevokedAt", *second.RevokedAt, t1)
	if got, want := second.RevokeReason, "first"; got != want {
		t.Fatalf("RevokeReason=%q, want %q", got, want)
	}
}

func testGrantRevokeNotFound(t *testing.T, e *env) {
	_, err := e.Grants.RevokeGrant(e.ctx, ward.NewID(ward.PrefixGrant, t0), "x")
	wantCode(t, err, ward.ENOTFOUND)
}
