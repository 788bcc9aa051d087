package storetest

import (
	"testing"
	"time"

	"github.com/wardhq/ward"
)

var alertTests = []test{
	{"Alert/Create/OK", testAlertCreate},
	{"Alert/Create/IgnoresStatus", testAlertCreateIgnoresStatus},
	{"Alert/Create/NilSlicesEmpty", testAlertCreateNilSlices},
	{"Alert/Create/ErrInvalid", testAlertCreateInvalid},
	{"Alert/Find/Filter", testAlertFilter},
	{"Alert/Find/NewestFirst", testAlertNewestFirst},
	{"Alert/SetStatus/OK", testAlertSetStatus},
	{"Alert/SetStatus/ErrResolved", testAlertSetStatusResolved},
	{"Alert/SetStatus/ErrInvalidStatus", testAlertSetStatusInvalid},
	{"Alert/SetStatus/ErrNotFound", testAlertSetStatusNotFound},
}

func testAlertCreate(t *testing.T, e *env) {
	v, _, tm := e.org()
	w := e.worker(tm)
	a := &ward.Alert{
		Rule:        "bulk_patient_access",
		Severity:    ward.SeverityCritical,
		Title:       "Many patients in an hour",
		Explanation: "Worker opened 40 charts outside their queue.\nSee evidence.",
		WorkerID:    w.ID,
		VendorID:    v.ID,
		PatientRef:  "Patient/p-9",
		Evidence:    []uint64{0, 42, 1<<64 - 1},
		Note:        "",
	}
	ok(t, e.Alerts.CreateAlert(e.ctx, a))
	wantID(t, a.ID, ward.PrefixAlert)
	want := &ward.Alert{
		ID: a.ID, Rule: "bulk_patient_access", Severity: ward.SeverityCritical, Status: ward.AlertOpen,
		Title: "Many patients in an hour", Explanation: "Worker opened 40 charts outside their queue.\nSee evidence.",
		WorkerID: w.ID, VendorID: v.ID, PatientRef: "Patient/p-9", Evidence: []uint64{0, 42, 1<<64 - 1},
		CreatedAt: us(t0), UpdatedAt: us(t0),
	}
	diff(t, "CreateAlert argument", a, want)
	got, err := e.Alerts.FindAlertByID(e.ctx, a.ID)
	ok(t, err)
	diff(t, "FindAlertByID", got, want)
	wantTime(t, "CreatedAt", got.CreatedAt, us(t0))
}

func testAlertCreateIgnoresStatus(t *testing.T, e *env) {
	a := e.alert(func(a *ward.Alert) { a.Status = ward.AlertResolved })
	got, err := e.Alerts.FindAlertByID(e.ctx, a.ID)
	ok(t, err)
	if got.Status != ward.AlertOpen {
		t.Fatalf("Status=%q, want %q", got.Status, ward.AlertOpen)
	}
	diff(t, "FindAlertByID", got, a)
}

func testAlertCreateNilSlices(t *testing.T, e *env) {
	a := e.alert(func(a *ward.Alert) { a.Evidence = nil; a.PatientRef = "" })
	got, err := e.Alerts.FindAlertByID(e.ctx, a.ID)
	ok(t, err)
	if got.Evidence == nil || len(got.Evidence) != 0 {
		t.Fatalf("Evidence=%#v, want empty non-nil", got.Evidence)
	}
	diff(t, "FindAlertByID", got, a)
}

func testAlertCreateInvalid(t *testing.T, e *env) {
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Alert)
		field string
	}{
		{"ErrRuleRequired", func(a *ward.Alert) { a.Rule = "" }, "rule"},
		{"ErrSeverity", func(a *ward.Alert) { a.Severity = "urgent" }, "severity"},
		{"ErrTitleRequired", func(a *ward.Alert) { a.Title = "" }, "title"},
		{"ErrWorkerUnknown", func(a *ward.Alert) { a.WorkerID = ward.NewID(ward.PrefixWorker, t0) }, "worker_id"},
		{"ErrVendorUnknown", func(a *ward.Alert) { a.VendorID = ward.NewID(ward.PrefixVendor, t0) }, "vendor_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := &ward.Alert{Rule: "r", Severity: ward.SeverityLow, Title: "T"}
			tt.mod(a)
			wantField(t, e.Alerts.CreateAlert(e.ctx, a), tt.field)
		})
	}
	_, n, err := e.Alerts.FindAlerts(e.ctx, ward.AlertFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d after failed creates, want 0", n)
	}
}

func testAlertFilter(t *testing.T, e *env) {
	v1, _, tm1 := e.org()
	v2, _, tm2 := e.org()
	w1, w2 := e.worker(tm1), e.worker(tm2)
	e.tick(time.Second)
	a := e.alert(func(a *ward.Alert) { a.WorkerID, a.VendorID = w1.ID, v1.ID })
	e.tick(time.Second)
	b := e.alert(func(a *ward.Alert) {
		a.Rule, a.Severity, a.WorkerID, a.VendorID = "geo_mismatch", ward.SeverityLow, w2.ID, v2.ID
	})
	e.tick(time.Second)
	c := e.alert(func(a *ward.Alert) { a.Rule, a.VendorID = "geo_mismatch", v1.ID })
	_, err := e.Alerts.SetAlertStatus(e.ctx, c.ID, ward.AlertAcknowledged, "looking")
	ok(t, err)
	for _, tt := range []struct {
		name   string
		filter ward.AlertFilter
		want   []string // newest first
	}{
		{"All", ward.AlertFilter{}, []string{c.ID, b.ID, a.ID}},
		{"ID", ward.AlertFilter{ID: &b.ID}, []string{b.ID}},
		{"Rule", ward.AlertFilter{Rule: ptr("geo_mismatch")}, []string{c.ID, b.ID}},
		{"Severity", ward.AlertFilter{Severity: ptr(ward.SeverityHigh)}, []string{c.ID, a.ID}},
		{"Status", ward.AlertFilter{Status: ptr(ward.AlertOpen)}, []string{b.ID, a.ID}},
		{"StatusAcknowledged", ward.AlertFilter{Status: ptr(ward.AlertAcknowledged)}, []string{c.ID}},
		{"WorkerID", ward.AlertFilter{WorkerID: &w1.ID}, []string{a.ID}},
		{"VendorID", ward.AlertFilter{VendorID: &v1.ID}, []string{c.ID, a.ID}},
		{"Combined", ward.AlertFilter{VendorID: &v1.ID, Rule: ptr("geo_mismatch"), Status: ptr(ward.AlertOpen)}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			as, n, err := e.Alerts.FindAlerts(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(as, func(a *ward.Alert) string { return a.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
	as, _, err := e.Alerts.FindAlerts(e.ctx, ward.AlertFilter{ID: &a.ID})
	ok(t, err)
	diff(t, "FindAlerts", as[0], a)
}

// testAlertNewestFirst creates alerts microseconds apart, inside one
// millisecond, where ID order (ULIDs carry milliseconds, then random bits)
// says nothing about creation order: only ordering by CreatedAt passes. The
// clock also runs backwards between two of them.
func testAlertNewestFirst(t *testing.T, e *env) {
	base := us(t0).Truncate(time.Millisecond)
	var want []string
	for i := range 6 {
		e.setClock(base.Add(time.Duration(i) * time.Microsecond))
		want = append([]string{e.alert().ID}, want...)
	}
	e.setClock(base.Add(-time.Hour))
	oldest := e.alert()
	want = append(want, oldest.ID)
	as, _, err := e.Alerts.FindAlerts(e.ctx, ward.AlertFilter{})
	ok(t, err)
	wantIDs(t, ids(as, func(a *ward.Alert) string { return a.ID }), want...)

	t.Run("UpdateDoesNotReorder", func(t *testing.T) {
		e.setClock(base.Add(time.Hour))
		_, err := e.Alerts.SetAlertStatus(e.ctx, oldest.ID, ward.AlertAcknowledged, "")
		ok(t, err)
		as, _, err := e.Alerts.FindAlerts(e.ctx, ward.AlertFilter{})
		ok(t, err)
		wantIDs(t, ids(as, func(a *ward.Alert) string { return a.ID }), want...)
	})
}

func testAlertSetStatus(t *testing.T, e *env) {
	a := e.alert()
	t1 := e.tick(time.Minute)
	got, err := e.Alerts.SetAlertStatus(e.ctx, a.ID, ward.AlertAcknowledged, "Checking with the vendor.")
	ok(t, err)
	want := *a
	want.Status, want.Note, want.UpdatedAt = ward.AlertAcknowledged, "Checking with the vendor.", t1
	diff(t, "SetAlertStatus(acknowledged)", got, &want)

	t.Run("AcknowledgeAgain", func(t *testing.T) {
		t2 := e.tick(time.Minute)
		got, err := e.Alerts.SetAlertStatus(e.ctx, a.ID, ward.AlertAcknowledged, "Vendor replied.")
		ok(t, err)
		want.Note, want.UpdatedAt = "Vendor replied.", t2
		diff(t, "SetAlertStatus(acknowledged)", got, &want)
	})

	t.Run("Resolve", func(t *testing.T) {
		t3 := e.tick(time.Minute)
		got, err := e.Alerts.SetAlertStatus(e.ctx, a.ID, ward.AlertResolved, "False positive: approved travel.")
		ok(t, err)
		want.Status, want.Note, want.UpdatedAt = ward.AlertResolved, "False positive: approved travel.", t3
		diff(t, "SetAlertStatus(resolved)", got, &want)
		found, err := e.Alerts.FindAlertByID(e.ctx, a.ID)
		ok(t, err)
		diff(t, "FindAlertByID", found, &want)
	})

	t.Run("ResolveFromOpen", func(t *testing.T) {
		b := e.alert()
		got, err := e.Alerts.SetAlertStatus(e.ctx, b.ID, ward.AlertResolved, "")
		ok(t, err)
		if got.Status != ward.AlertResolved {
			t.Fatalf("Status=%q, want %q", got.Status, ward.AlertResolved)
		}
	})
}

func testAlertSetStatusResolved(t *testing.T, e *env) {
	a := e.alert()
	resolved, err := e.Alerts.SetAlertStatus(e.ctx, a.ID, ward.AlertResolved, "done")
	ok(t, err)
	e.tick(time.Minute)
	for _, s := range []ward.AlertStatus{ward.AlertAcknowledged, ward.AlertResolved} {
		_, err := e.Alerts.SetAlertStatus(e.ctx, a.ID, s, "changed my mind")
		wantCode(t, err, ward.EUNPROCESSABLE)
	}
	got, err := e.Alerts.FindAlertByID(e.ctx, a.ID)
	ok(t, err)
	diff(t, "FindAlertByID", got, resolved)
}

func testAlertSetStatusInvalid(t *testing.T, e *env) {
	a := e.alert()
	e.tick(time.Minute)
	for _, s := range []ward.AlertStatus{ward.AlertOpen, "closed", ""} {
		_, err := e.Alerts.SetAlertStatus(e.ctx, a.ID, s, "note")
		wantField(t, err, "status")
	}
	got, err := e.Alerts.FindAlertByID(e.ctx, a.ID)
	ok(t, err)
	diff(t, "FindAlertByID", got, a)
}

func testAlertSetStatusNotFound(t *testing.T, e *env) {
	_, err := e.Alerts.SetAlertStatus(e.ctx, ward.NewID(ward.PrefixAlert, t0), ward.AlertResolved, "")
	wantCode(t, err, ward.ENOTFOUND)
}
