package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

// MonitorOpened is a fresh store with its monitor service.
type MonitorOpened struct {
	Opened
	Monitor ward.MonitorStore
}

var monitorTests = []struct {
	name string
	fn   func(t *testing.T, e *env, m ward.MonitorStore)
}{
	{"Monitor/RaiseAlert/Idempotent", testRaiseIdempotent},
	{"Monitor/RaiseAlert/MergesEvidence", testRaiseMerges},
	{"Monitor/RaiseAlert/UnknownWorkerDropped", testRaiseUnknownWorker},
	{"Monitor/RaiseAlert/ErrKeyRequired", testRaiseNoKey},
	{"Monitor/Status/Steps", testAlertSteps},
	{"Monitor/FindByQuery/Since", testAlertSince},
	{"Monitor/Lease/Exclusive", testLeaseExclusive},
	{"Monitor/Lease/Takeover", testLeaseTakeover},
	{"Monitor/Delivery/SaveFind", testDeliveries},
}

// RunMonitor runs the ward.MonitorStore contract tests against fresh
// stores returned by open.
func RunMonitor(t *testing.T, open func(tb testing.TB) MonitorOpened) {
	for _, tt := range monitorTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := open(t)
			tt.fn(t, newEnv(t, o.Opened), o.Monitor)
		})
	}
}

func monitorAlert(workerID string, evidence ...uint64) *ward.Alert {
	return &ward.Alert{Rule: "off_queue_access", Severity: ward.SeverityHigh, Title: "Off-queue access",
		Explanation: "A patient outside the worker's grants.", WorkerID: workerID, Evidence: evidence}
}

func testRaiseIdempotent(t *testing.T, e *env, m ward.MonitorStore) {
	_, _, tm := e.org()
	w := e.worker(tm)
	a := monitorAlert(w.ID, 7, 3)
	created, err := m.RaiseAlert(e.ctx, a, "off_queue_access|"+w.ID+"|1")
	ok(t, err)
	if !created {
		t.Fatal("created=false on first raise")
	}
	wantID(t, a.ID, ward.PrefixAlert)
	diff(t, "Evidence", a.Evidence, []uint64{3, 7})
	e.tick(time.Second)
	again := monitorAlert(w.ID, 3, 7)
	created, err = m.RaiseAlert(e.ctx, again, "off_queue_access|"+w.ID+"|1")
	ok(t, err)
	if created {
		t.Fatal("created=true on second raise")
	}
	diff(t, "second raise", again, a)
	changes, err := m.AlertChanges(e.ctx, 0, 0)
	ok(t, err)
	if got, want := len(changes), 1; got != want {
		t.Fatalf("len(changes)=%d, want %d", got, want)
	}
	if c := changes[0]; c.Kind != ward.AlertChangeRaised || c.AlertID != a.ID || c.Alert == nil || c.Alert.ID != a.ID {
		t.Fatalf("change=%+v, want raised %s", c, a.ID)
	}
	_, n, err := m.FindAlerts(e.ctx, ward.AlertFilter{})
	ok(t, err)
	if n != 1 {
		t.Fatalf("alerts=%d, want 1", n)
	}
}

func testRaiseMerges(t *testing.T, e *env, m ward.MonitorStore) {
	a := monitorAlert("", 1, 2)
	_, err := m.RaiseAlert(e.ctx, a, "k")
	ok(t, err)
	now := e.tick(time.Minute)
	b := monitorAlert("", 2, 9)
	created, err := m.RaiseAlert(e.ctx, b, "k")
	ok(t, err)
	if created || b.ID != a.ID {
		t.Fatalf("created=%v id=%s, want merge into %s", created, b.ID, a.ID)
	}
	diff(t, "Evidence", b.Evidence, []uint64{1, 2, 9})
	wantTime(t, "UpdatedAt", b.UpdatedAt, now)
	seq, err := m.LastAlertChange(e.ctx)
	ok(t, err)
	changes, err := m.AlertChanges(e.ctx, seq-1, 10)
	ok(t, err)
	if len(changes) != 1 || changes[0].Kind != ward.AlertChangeUpdated || changes[0].Seq != seq {
		t.Fatalf("changes after %d = %+v, want one update", seq-1, changes)
	}
	var many []uint64
	for i := range uint64(2 * ward.MaxAlertEvidence) {
		many = append(many, 1000+i)
	}
	ok2 := monitorAlert("", many...)
	_, err = m.RaiseAlert(e.ctx, ok2, "k")
	ok(t, err)
	if got := len(ok2.Evidence); got != ward.MaxAlertEvidence {
		t.Fatalf("len(Evidence)=%d, want %d", got, ward.MaxAlertEvidence)
	}
}

func testRaiseUnknownWorker(t *testing.T, e *env, m ward.MonitorStore) {
	a := monitorAlert("wkr_nobody", 1)
	a.VendorID = "ven_nobody"
	_, err := m.RaiseAlert(e.ctx, a, "x")
	ok(t, err)
	if a.WorkerID != "" || a.VendorID != "" {
		t.Fatalf("WorkerID=%q VendorID=%q, want none", a.WorkerID, a.VendorID)
	}
}

func testRaiseNoKey(t *testing.T, e *env, m ward.MonitorStore) {
	_, err := m.RaiseAlert(e.ctx, monitorAlert(""), "")
	wantCode(t, err, ward.EINVALID)
	bad := monitorAlert("")
	bad.Severity = "urgent"
	_, err = m.RaiseAlert(e.ctx, bad, "k")
	wantCode(t, err, ward.EINVALID)
}

func testAlertSteps(t *testing.T, e *env, m ward.MonitorStore) {
	a := monitorAlert("", 1)
	_, err := m.RaiseAlert(e.ctx, a, "k")
	ok(t, err)
	got, err := m.ChangeAlertStatus(e.ctx, a.ID, ward.AlertAcknowledged, "looking", "wkr_c")
	ok(t, err)
	if got.Status != ward.AlertAcknowledged || got.Note != "looking" {
		t.Fatalf("alert=%+v, want acknowledged", got)
	}
	_, err = m.ChangeAlertStatus(e.ctx, a.ID, ward.AlertOpen, "", "wkr_c")
	wantCode(t, err, ward.EINVALID)
	_, err = m.ChangeAlertStatus(e.ctx, a.ID, ward.AlertResolved, "false positive", "wkr_d")
	ok(t, err)
	_, err = m.ChangeAlertStatus(e.ctx, a.ID, ward.AlertResolved, "", "wkr_d")
	wantCode(t, err, ward.EUNPROCESSABLE)
	_, err = m.ChangeAlertStatus(e.ctx, "alr_missing", ward.AlertResolved, "", "wkr_d")
	wantCode(t, err, ward.ENOTFOUND)
	changes, err := m.AlertChanges(e.ctx, 0, 0)
	ok(t, err)
	var kinds, actors []string
	for _, c := range changes {
		kinds, actors = append(kinds, c.Kind), append(actors, c.Actor)
	}
	diff(t, "kinds", kinds, []string{ward.AlertChangeRaised, ward.AlertChangeAcknowledged, ward.AlertChangeResolved})
	diff(t, "actors", actors, []string{"", "wkr_c", "wkr_d"})
	if s := changes[2].Alert.Status; s != ward.AlertResolved {
		t.Fatalf("change alert status=%q, want resolved", s)
	}
}

func testAlertSince(t *testing.T, e *env, m ward.MonitorStore) {
	old := monitorAlert("", 1)
	_, err := m.RaiseAlert(e.ctx, old, "a")
	ok(t, err)
	since := e.tick(time.Hour)
	recent := monitorAlert("", 2)
	_, err = m.RaiseAlert(e.ctx, recent, "b")
	ok(t, err)
	list, n, err := m.FindAlertsByQuery(e.ctx, ward.AlertQuery{Since: &since})
	ok(t, err)
	if n != 1 || list[0].ID != recent.ID {
		t.Fatalf("since: %d alerts, want only %s", n, recent.ID)
	}
	sev := ward.SeverityLow
	_, n, err = m.FindAlertsByQuery(e.ctx, ward.AlertQuery{AlertFilter: ward.AlertFilter{Severity: &sev}})
	ok(t, err)
	if n != 0 {
		t.Fatalf("low: %d alerts, want 0", n)
	}
}

func testLeaseExclusive(t *testing.T, e *env, m ward.MonitorStore) {
	next, got, err := m.AcquireMonitorLease(e.ctx, "default", "a", time.Minute)
	ok(t, err)
	if !got || next != 0 {
		t.Fatalf("first acquire: ok=%v next=%d", got, next)
	}
	ok(t, m.SaveMonitorPosition(e.ctx, "default", "a", 42))
	if _, got, err = m.AcquireMonitorLease(e.ctx, "default", "b", time.Minute); err != nil || got {
		t.Fatalf("b acquired a held lease: ok=%v err=%v", got, err)
	}
	wantCode(t, m.SaveMonitorPosition(e.ctx, "default", "b", 50), ward.ECONFLICT)
	next, got, err = m.AcquireMonitorLease(e.ctx, "default", "a", time.Minute)
	ok(t, err)
	if !got || next != 42 {
		t.Fatalf("renew: ok=%v next=%d, want true 42", got, next)
	}
	ok(t, m.ReleaseMonitorLease(e.ctx, "default", "a"))
	if next, got, err = m.AcquireMonitorLease(e.ctx, "default", "b", time.Minute); err != nil || !got || next != 42 {
		t.Fatalf("after release: ok=%v next=%d err=%v", got, next, err)
	}
}

func testLeaseTakeover(t *testing.T, e *env, m ward.MonitorStore) {
	_, got, err := m.AcquireMonitorLease(e.ctx, "default", "a", time.Minute)
	ok(t, err)
	if !got {
		t.Fatal("a did not acquire")
	}
	e.tick(2 * time.Minute) // a died without renewing
	if _, got, err = m.AcquireMonitorLease(e.ctx, "default", "b", time.Minute); err != nil || !got {
		t.Fatalf("takeover: ok=%v err=%v", got, err)
	}
	wantCode(t, m.SaveMonitorPosition(e.ctx, "default", "a", 9), ward.ECONFLICT)
}

func testDeliveries(t *testing.T, e *env, m ward.MonitorStore) {
	a := monitorAlert("", 1)
	_, err := m.RaiseAlert(e.ctx, a, "k")
	ok(t, err)
	d := &ward.AlertDelivery{AlertID: a.ID, Target: "soc", Status: ward.DeliveryPending, Payload: json.RawMessage(`{"id":"x"}`)}
	ok(t, m.SaveAlertDelivery(e.ctx, d))
	wantID(t, d.ID, ward.PrefixDelivery)
	d.Status, d.Attempts, d.LastError = ward.DeliveryDead, 5, "status 500"
	ok(t, m.SaveAlertDelivery(e.ctx, d))
	dead := ward.DeliveryDead
	list, n, err := m.FindAlertDeliveries(e.ctx, ward.AlertDeliveryFilter{Status: &dead})
	ok(t, err)
	if n != 1 || list[0].ID != d.ID || list[0].Attempts != 5 || list[0].LastError != "status 500" {
		t.Fatalf("dead deliveries=%+v", list)
	}
	var p map[string]string
	if err := json.Unmarshal(list[0].Payload, &p); err != nil || p["id"] != "x" {
		t.Fatalf("payload=%s", list[0].Payload)
	}
	wantCode(t, m.SaveAlertDelivery(e.ctx, &ward.AlertDelivery{AlertID: "alr_none", Status: ward.DeliveryPending, Payload: json.RawMessage(`{}`)}), ward.EINVALID)
	wantCode(t, m.SaveAlertDelivery(e.ctx, &ward.AlertDelivery{ID: "dlv_none", Status: ward.DeliveryDead, Payload: json.RawMessage(`{}`)}), ward.ENOTFOUND)
}
