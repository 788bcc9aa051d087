package monitor_test

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/monitor"
	"github.com/wardhq/ward/store/sqlite"
	"golang.org/x/mod/sumdb/note"
)

// env is a SQLite store with a ledger and the monitor's store.
type env struct {
	db    *sqlite.DB
	led   *ledger.Ledger
	store *sqlite.MonitorService
	mon   atomic.Pointer[monitor.Monitor]
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	db := sqlite.NewDB(filepath.Join(tb.TempDir(), "ward.db"))
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	skey, _, err := note.GenerateKey(rand.Reader, "ward.test/ledger")
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{db: db, store: sqlite.NewMonitorService(db)}
	e.led, err = ledger.Open(context.Background(), db.Ledger(), signer, ledger.Options{
		Origin: "ward.test/ledger",
		Appended: func(size uint64) {
			if m := e.mon.Load(); m != nil {
				m.Notify(size)
			}
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.led.Close() })
	return e
}

// open starts a monitor whose raised alerts arrive on the returned channel.
func (e *env) open(tb testing.TB, opts monitor.Options) (*monitor.Monitor, <-chan *ward.Alert) {
	tb.Helper()
	ch := make(chan *ward.Alert, 1024)
	opts.Ledger, opts.Store, opts.Auditor = e.db.Ledger(), e.store, e.led
	user := opts.OnAlert
	opts.OnAlert = func(a *ward.Alert, created bool) {
		if user != nil {
			user(a, created)
			return
		}
		if created {
			c := *a
			ch <- &c
		}
	}
	m := monitor.New(opts)
	if err := m.Open(); err != nil {
		tb.Fatal(err)
	}
	e.mon.Store(m)
	tb.Cleanup(func() { m.Close() })
	return m, ch
}

func (e *env) append(tb testing.TB, events ...*ward.Event) {
	tb.Helper()
	if _, err := e.led.AppendAll(context.Background(), events); err != nil {
		tb.Fatal(err)
	}
}

func wait(tb testing.TB, ch <-chan *ward.Alert) *ward.Alert {
	tb.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(10 * time.Second):
		tb.Fatal("no alert raised")
		return nil
	}
}

// storedKeys returns the rule and evidence of every stored alert, oldest
// first.
func stored(tb testing.TB, s ward.MonitorStore) []string {
	tb.Helper()
	list, _, err := s.FindAlerts(context.Background(), ward.AlertFilter{Page: ward.Page{Limit: ward.MaxLimit}})
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, a := range list {
		out = append(out, a.Rule+" "+a.WorkerID+joinU(a.Evidence))
	}
	slices.Sort(out)
	return out
}

func joinU(s []uint64) string {
	b := []byte{}
	for _, v := range s {
		b = append(b, ' ')
		b = append(b, []byte(time.Duration(v).String())...)
	}
	return string(b)
}

// scenario is a stream that raises several kinds of alerts.
func scenario(offset time.Duration) []*ward.Event {
	var out []*ward.Event
	out = append(out, denied(offset, "w1", "no_live_grant"))
	out = append(out, repeat(12, func(i int) *ward.Event { return denied(offset+time.Duration(i)*time.Second, "w2", "policy_deny") })...)
	out = append(out,
		ev(offset, "auth.login", "w3", ward.DecisionSuccess, origin("s1", "IN"), session("a")),
		ev(offset+time.Minute, "auth.login", "w3", ward.DecisionSuccess, origin("s2", "PH"), session("b")),
		ev(offset, "auth.login_failed", "w4", ward.DecisionFailure, reasons("off_shift")),
	)
	return out
}

func TestMonitor_RaisesWithinRun(t *testing.T) {
	e := newEnv(t)
	_, ch := e.open(t, monitor.Options{})
	e.append(t, denied(0, "w1", "other_patient"))
	a := wait(t, ch)
	if a.Rule != monitor.RuleOffQueue || !slices.Equal(a.Evidence, []uint64{0}) || a.Status != ward.AlertOpen {
		t.Fatalf("alert=%+v, want open off_queue_access with evidence [0]", a)
	}
	// The monitor audits what it raised, and consumes that event without
	// raising anything more.
	leaves, err := e.db.Ledger().ReadLedger(context.Background(), 1, 1)
	if err != nil || len(leaves) != 1 || leaves[0].Action != "alert.raised" {
		t.Fatalf("entry 1 = %+v, %v; want alert.raised", leaves, err)
	}
}

func TestMonitor_ReplayDeterministic(t *testing.T) {
	e := newEnv(t)
	_, ch := e.open(t, monitor.Options{})
	events := scenario(0)
	e.append(t, events...)
	want := 4 // off_queue, denied_burst, concurrent+travel (2) ... counted below
	var got []*ward.Alert
	for range want + 1 {
		got = append(got, wait(t, ch))
	}
	live := stored(t, e.store)
	replayed, err := monitor.Replay(context.Background(), e.db.Ledger(), 0, monitor.Config{}, monitor.Lookups{})
	if err != nil {
		t.Fatal(err)
	}
	var rep []string
	for _, r := range replayed {
		rep = append(rep, r.Alert.Rule+" "+r.Alert.WorkerID+joinU(r.Alert.Evidence))
	}
	slices.Sort(rep)
	// Live alerts name no worker: the workers do not exist in the store.
	for i := range rep {
		rep[i] = stripWorker(rep[i])
	}
	for i := range live {
		live[i] = stripWorker(live[i])
	}
	if !slices.Equal(rep, live) {
		t.Fatalf("replay:\n%v\nlive:\n%v", rep, live)
	}
	again, err := monitor.Replay(context.Background(), e.db.Ledger(), 0, monitor.Config{}, monitor.Lookups{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range again {
		if again[i].Key != replayed[i].Key || !slices.Equal(again[i].Alert.Evidence, replayed[i].Alert.Evidence) {
			t.Fatalf("second replay differs at %d: %+v vs %+v", i, again[i], replayed[i])
		}
	}
	if len(got) != len(live) {
		t.Fatalf("raised %d alerts, stored %d", len(got), len(live))
	}
}

func stripWorker(s string) string {
	for _, w := range []string{" w1", " w2", " w3", " w4"} {
		if i := len(s); i > 0 {
			s = replaceFirst(s, w, " ")
		}
	}
	return s
}

func replaceFirst(s, old, repl string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + repl + s[i+len(old):]
		}
	}
	return s
}

func TestMonitor_RestartNoLossNoDuplicates(t *testing.T) {
	e := newEnv(t)
	m, ch := e.open(t, monitor.Options{Holder: "a"})
	first, second := scenario(0), scenario(2*time.Hour)
	e.append(t, first...)
	for range 5 {
		wait(t, ch)
	}
	if err := m.Close(); err != nil { // stops mid-stream: the second half is not yet appended
		t.Fatal(err)
	}
	e.mon.Store(nil)
	e.append(t, second...) // appended while no monitor runs
	replayed, err := monitor.Replay(context.Background(), e.db.Ledger(), 0, monitor.Config{}, monitor.Lookups{})
	if err != nil {
		t.Fatal(err)
	}
	if len(replayed) != 10 {
		t.Fatalf("replay raised %d alerts, want 10", len(replayed))
	}
	_, ch2 := e.open(t, monitor.Options{Holder: "b"})
	for range 5 {
		wait(t, ch2)
	}
	var want []string
	for _, r := range replayed {
		want = append(want, r.Alert.Rule+" "+joinU(r.Alert.Evidence))
	}
	slices.Sort(want)
	list, _, err := e.store.FindAlerts(context.Background(), ward.AlertFilter{Page: ward.Page{Limit: ward.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range list {
		got = append(got, a.Rule+" "+joinU(a.Evidence))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("after restart:\n%v\nuninterrupted replay:\n%v", got, want)
	}
	// Nothing raised twice: the change log holds one raise per alert.
	changes, err := e.store.AlertChanges(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	raised := 0
	for _, c := range changes {
		if c.Kind == ward.AlertChangeRaised {
			raised++
		}
	}
	if raised != 10 {
		t.Fatalf("%d raises logged, want 10", raised)
	}
}

func TestMonitor_Lease(t *testing.T) {
	e := newEnv(t)
	_, ach := e.open(t, monitor.Options{Holder: "a"})
	e.append(t, denied(0, "w1", "no_live_grant"))
	wait(t, ach)
	// A second replica finds the lease held and raises nothing.
	var bRaised atomic.Int32
	b := monitor.New(monitor.Options{Holder: "b", Ledger: e.db.Ledger(), Store: e.store,
		OnAlert: func(*ward.Alert, bool) { bRaised.Add(1) }})
	if err := b.Open(); err != nil {
		t.Fatal(err)
	}
	e.append(t, denied(time.Hour, "w5", "no_live_grant"))
	wait(t, ach)
	b.Notify(0)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if n := bRaised.Load(); n != 0 {
		t.Fatalf("replica b raised %d alerts while a held the lease", n)
	}
}

func TestMonitor_Responses(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var calls []string
	rec := func(what string) func(context.Context, string, string) error {
		return func(_ context.Context, w, reason string) error {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, what+" "+w)
			return nil
		}
	}
	_, ch := e.open(t, monitor.Options{
		Actions: []monitor.Action{
			{Rule: monitor.RuleExfiltration, Do: []string{monitor.DoSuspend, monitor.DoEndSession, monitor.DoRevokeGrants}},
			{MinSeverity: ward.SeverityCritical, Do: []string{monitor.DoEndSession}},
			{Rule: monitor.RuleOffShift, MinSeverity: ward.SeverityHigh, Do: []string{monitor.DoSuspend}}, // off_shift is medium
		},
		Responders: monitor.Responders{EndSessions: rec("end"), EndGrants: rec("grants"), Suspend: rec("suspend")},
	})
	e.append(t, ev(0, "auth.login_failed", "w4", ward.DecisionFailure, reasons("off_shift")))
	wait(t, ch)
	e.append(t, repeat(3, func(i int) *ward.Event {
		return ev(time.Duration(i)*time.Minute, monitor.ActionDLPBlocked, "w1", ward.DecisionDeny)
	})...)
	wait(t, ch)
	// The responses ran before the monitor moved on: wait for the
	// alert.action events in the ledger.
	var actions int
	for actions < 3 {
		leaves, _, err := e.db.Ledger().FindLedger(context.Background(), ward.LedgerFilter{Action: ptr("alert.action")})
		if err != nil {
			t.Fatal(err)
		}
		actions = len(leaves)
		if actions < 3 {
			time.Sleep(time.Millisecond) // polling for the ledger, not timing
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"suspend w1", "end w1", "grants w1"}; !slices.Equal(calls, want) {
		t.Fatalf("calls=%v, want %v", calls, want)
	}
}

func ptr[T any](v T) *T { return &v }

func TestMonitor_Webhook(t *testing.T) {
	secret := []byte("s3cret")
	var fails atomic.Int32
	fails.Store(2)
	var bodies atomic.Int32
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !monitor.Verify(secret, body, r.Header.Get("X-Ward-Signature")) {
			t.Errorf("bad signature %q", r.Header.Get("X-Ward-Signature"))
		}
		if fails.Add(-1) >= 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		bodies.Add(1)
	}))
	defer ok.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer broken.Close()

	e := newEnv(t)
	_, ch := e.open(t, monitor.Options{
		Webhooks: []monitor.Webhook{
			{Name: "soc", URL: ok.URL, Secret: secret, MaxAttempts: 4, Backoff: time.Millisecond},
			{Name: "dead", URL: broken.URL, Secret: secret, MaxAttempts: 3, Backoff: time.Millisecond},
		},
		Actions: []monitor.Action{{Do: []string{monitor.DoWebhook}}},
	})
	e.append(t, denied(0, "w1", "no_live_grant"))
	a := wait(t, ch)
	var list []*ward.AlertDelivery
	for {
		var err error
		list, _, err = e.store.FindAlertDeliveries(context.Background(), ward.AlertDeliveryFilter{AlertID: &a.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 2 && list[0].Status != ward.DeliveryPending && list[1].Status != ward.DeliveryPending {
			break
		}
		time.Sleep(time.Millisecond) // polling for the deliveries, not timing
	}
	byTarget := map[string]*ward.AlertDelivery{}
	for _, d := range list {
		byTarget[d.Target] = d
	}
	if d := byTarget["soc"]; d.Status != ward.DeliveryDelivered || d.Attempts != 3 {
		t.Fatalf("soc delivery=%+v, want delivered on attempt 3", d)
	}
	if d := byTarget["dead"]; d.Status != ward.DeliveryDead || d.Attempts != 3 || d.LastError == "" {
		t.Fatalf("dead delivery=%+v, want dead after 3 attempts", d)
	}
	if n := bodies.Load(); n != 1 {
		t.Fatalf("receiver accepted %d bodies, want 1", n)
	}
}

func TestSign(t *testing.T) {
	body := []byte(`{"type":"alert.raised"}`)
	sig := monitor.Sign([]byte("k"), body)
	if !monitor.Verify([]byte("k"), body, sig) || monitor.Verify([]byte("other"), body, sig) || monitor.Verify([]byte("k"), append(body, ' '), sig) {
		t.Fatal("signature does not bind key and body")
	}
	if len(sig) != len("sha256=")+64 {
		t.Fatalf("sig=%q", sig)
	}
}
