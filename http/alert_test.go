package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
	wardhttp "github.com/wardhq/ward/http"
	"github.com/wardhq/ward/store/sqlite"
)

// alertEnv is an API server over SQLite with the monitor's store and a
// recording auditor.
type alertEnv struct {
	srv      *wardhttp.Server
	mon      *sqlite.MonitorService
	svc      ward.Services
	vendorA  *ward.Vendor
	vendorB  *ward.Vendor
	workerA  *ward.Worker
	alertA   *ward.Alert // about workerA (vendor A)
	alertB   *ward.Alert // about vendor B
	mu       sync.Mutex
	audited  []*ward.Event
	principl *ward.Principal
}

func (e *alertEnv) Audit(_ context.Context, ev *ward.Event) (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.audited = append(e.audited, ev)
	return uint64(len(e.audited) - 1), nil
}

func (e *alertEnv) actions() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.audited {
		out = append(out, ev.Action)
	}
	return out
}

func mustAlertEnv(tb testing.TB) *alertEnv {
	tb.Helper()
	ctx := context.Background()
	db := sqlite.NewDB(filepath.Join(tb.TempDir(), "ward.db"))
	if err := db.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	e := &alertEnv{mon: sqlite.NewMonitorService(db), svc: db.Services()}
	e.svc.Alerts = e.mon
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	var vendors []*ward.Vendor
	for _, name := range []string{"Acme", "Beta"} {
		v := &ward.Vendor{Name: name, BAAStatus: ward.BAAActive, BAAEffective: ward.Date{Year: 2025, Month: 1, Day: 1},
			BAAExpires: ward.Date{Year: 2027, Month: 1, Day: 1}, ApprovedCountries: []string{"PH"}}
		must(e.svc.Vendors.CreateVendor(ctx, v))
		vendors = append(vendors, v)
	}
	e.vendorA, e.vendorB = vendors[0], vendors[1]
	site := &ward.Site{VendorID: e.vendorA.ID, Name: "Manila", Country: "PH", EgressCIDRs: []string{"203.0.113.0/24"}, TimeZone: "Asia/Manila"}
	must(e.svc.Sites.CreateSite(ctx, site))
	team := &ward.Team{VendorID: e.vendorA.ID, SiteID: site.ID, Name: "Outpatient", Functions: []ward.Function{ward.FunctionCoding}}
	must(e.svc.Teams.CreateTeam(ctx, team))
	e.workerA = &ward.Worker{Username: "alice", Email: "a@example.com", GivenName: "A", FamilyName: "L", Role: ward.RoleWorker,
		VendorID: e.vendorA.ID, TeamID: team.ID}
	must(e.svc.Workers.CreateWorker(ctx, e.workerA))
	e.alertA = &ward.Alert{Rule: "off_queue_access", Severity: ward.SeverityHigh, Title: "Off-queue", Explanation: "x",
		WorkerID: e.workerA.ID, VendorID: e.vendorA.ID, Evidence: []uint64{4}}
	_, err := e.mon.RaiseAlert(ctx, e.alertA, "a")
	must(err)
	e.alertB = &ward.Alert{Rule: "denied_burst", Severity: ward.SeverityMedium, Title: "Burst", Explanation: "y",
		VendorID: e.vendorB.ID, Evidence: []uint64{5}}
	_, err = e.mon.RaiseAlert(ctx, e.alertB, "b")
	must(err)

	e.srv = wardhttp.NewServer()
	e.srv.Services = e.svc
	e.srv.Auditor = e
	e.srv.Authenticate = func(r *http.Request) (*ward.Principal, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.principl, nil
	}
	e.srv.Mount("POST /api/v1/signals", e.srv.SignalHandler())
	return e
}

func (e *alertEnv) as(role ward.Role, vendorID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.principl = &ward.Principal{Subject: "wkr_" + string(role), Role: role, WorkerID: "wkr_" + string(role), VendorID: vendorID}
}

func (e *alertEnv) do(tb testing.TB, method, target, body string) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r)
	return w
}

func listIDs(tb testing.TB, w *httptest.ResponseRecorder) []string {
	tb.Helper()
	if w.Code != http.StatusOK {
		tb.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var body struct{ Items []*ward.Alert }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		tb.Fatal(err)
	}
	var ids []string
	for _, a := range body.Items {
		ids = append(ids, a.ID)
	}
	return ids
}

func TestAlerts_List(t *testing.T) {
	e := mustAlertEnv(t)
	for _, tt := range []struct {
		name   string
		role   ward.Role
		vendor string
		query  string
		want   func() []string
		status int
	}{
		{"AdminAll", ward.RoleAdmin, "", "", func() []string { return []string{e.alertB.ID, e.alertA.ID} }, 200},
		{"AuditorAll", ward.RoleAuditor, "", "", func() []string { return []string{e.alertB.ID, e.alertA.ID} }, 200},
		{"FilterSeverity", ward.RoleCompliance, "", "?severity=high", func() []string { return []string{e.alertA.ID} }, 200},
		{"FilterRuleStatus", ward.RoleCompliance, "", "?rule=denied_burst&status=open", func() []string { return []string{e.alertB.ID} }, 200},
		{"FilterWorker", ward.RoleCompliance, "", "?worker=" + e.workerA.ID, func() []string { return []string{e.alertA.ID} }, 200},
		{"FilterSinceFuture", ward.RoleCompliance, "", "?since=2999-01-01T00:00:00Z", func() []string { return nil }, 200},
		{"SupervisorOwnVendor", ward.RoleSupervisor, e.vendorA.ID, "", func() []string { return []string{e.alertA.ID} }, 200},
		{"ErrSupervisorOtherVendor", ward.RoleSupervisor, e.vendorA.ID, "?vendor_id=" + e.vendorB.ID, nil, 403},
		{"ErrWorker", ward.RoleWorker, e.vendorA.ID, "", nil, 403},
		{"ErrBadSeverity", ward.RoleAdmin, "", "?severity=urgent", nil, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.as(tt.role, tt.vendor)
			w := e.do(t, "GET", "/api/v1/alerts"+tt.query, "")
			if w.Code != tt.status {
				t.Fatalf("status=%d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.want != nil {
				if got, want := strings.Join(listIDs(t, w), ","), strings.Join(tt.want(), ","); got != want {
					t.Fatalf("ids=%s, want %s", got, want)
				}
			}
		})
	}
	t.Run("SupervisorViewOtherVendorNotFound", func(t *testing.T) {
		e.as(ward.RoleSupervisor, e.vendorA.ID)
		if w := e.do(t, "GET", "/api/v1/alerts/"+e.alertB.ID, ""); w.Code != http.StatusNotFound {
			t.Fatalf("status=%d, want 404", w.Code)
		}
	})
}

func TestAlerts_Status(t *testing.T) {
	e := mustAlertEnv(t)
	e.as(ward.RoleAuditor, "")
	if w := e.do(t, "POST", "/api/v1/alerts/"+e.alertA.ID+"/acknowledge", ""); w.Code != http.StatusForbidden {
		t.Fatalf("auditor acknowledge: status=%d, want 403", w.Code)
	}
	e.as(ward.RoleSupervisor, e.vendorA.ID)
	if w := e.do(t, "POST", "/api/v1/alerts/"+e.alertA.ID+"/acknowledge", ""); w.Code != http.StatusForbidden {
		t.Fatalf("supervisor acknowledge: status=%d, want 403", w.Code)
	}
	e.as(ward.RoleCompliance, "")
	w := e.do(t, "POST", "/api/v1/alerts/"+e.alertA.ID+"/acknowledge", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"status":"acknowledged"`) {
		t.Fatalf("acknowledge: %d %s", w.Code, w.Body)
	}
	if w := e.do(t, "POST", "/api/v1/alerts/"+e.alertA.ID+"/resolve", `{}`); w.Code != http.StatusBadRequest {
		t.Fatalf("resolve without note: status=%d, want 400", w.Code)
	}
	w = e.do(t, "POST", "/api/v1/alerts/"+e.alertA.ID+"/resolve", `{"note":"Task was reassigned; access explained."}`)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"status":"resolved"`) {
		t.Fatalf("resolve: %d %s", w.Code, w.Body)
	}
	if w := e.do(t, "POST", "/api/v1/alerts/"+e.alertA.ID+"/acknowledge", ""); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("acknowledge resolved: status=%d, want 422", w.Code)
	}
	got := strings.Join(e.actions(), ",")
	if !strings.Contains(got, "alert.acknowledged") || !strings.Contains(got, "alert.resolved") {
		t.Fatalf("audited %s, want alert.acknowledged and alert.resolved", got)
	}
	changes, err := e.mon.AlertChanges(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := changes[len(changes)-1]; last.Kind != ward.AlertChangeResolved || last.Actor != "wkr_compliance" {
		t.Fatalf("last change=%+v, want resolved by wkr_compliance", last)
	}
}

func TestAlerts_Deliveries(t *testing.T) {
	e := mustAlertEnv(t)
	d := &ward.AlertDelivery{AlertID: e.alertA.ID, Target: "soc", Status: ward.DeliveryDead, Attempts: 6, LastError: "webhook answered 500", Payload: json.RawMessage(`{}`)}
	if err := e.mon.SaveAlertDelivery(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	e.as(ward.RoleCompliance, "")
	w := e.do(t, "GET", "/api/v1/alerts/deliveries?status=dead", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), d.ID) {
		t.Fatalf("deliveries: %d %s", w.Code, w.Body)
	}
	e.as(ward.RoleSupervisor, e.vendorA.ID)
	if w := e.do(t, "GET", "/api/v1/alerts/deliveries", ""); w.Code != http.StatusForbidden {
		t.Fatalf("supervisor: status=%d, want 403", w.Code)
	}
}

func TestAlerts_Stream(t *testing.T) {
	e := mustAlertEnv(t)
	e.as(ward.RoleSupervisor, e.vendorA.ID)
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/v1/alerts/stream", nil)
	req.Header.Set("Last-Event-ID", "0") // replay from the start
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type=%q", ct)
	}
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var cur []string
		for sc.Scan() {
			if sc.Text() == "" {
				if len(cur) > 0 {
					events <- strings.Join(cur, "\n")
				}
				cur = nil
				continue
			}
			cur = append(cur, sc.Text())
		}
		close(events)
	}()
	next := func() string {
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
			return ""
		}
	}
	if ev := next(); ev != "retry: 2000" {
		t.Fatalf("first=%q", ev)
	}
	// Vendor B's alert (seq 2) is skipped for vendor A's supervisor.
	if ev := next(); !strings.HasPrefix(ev, "id: 1\nevent: raised\ndata: ") || !strings.Contains(ev, e.alertA.ID) {
		t.Fatalf("event=%q, want alert A raised", ev)
	}
	if _, err := e.mon.ChangeAlertStatus(context.Background(), e.alertB.ID, ward.AlertAcknowledged, "", "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.mon.ChangeAlertStatus(context.Background(), e.alertA.ID, ward.AlertAcknowledged, "", "x"); err != nil {
		t.Fatal(err)
	}
	if ev := next(); !strings.HasPrefix(ev, "id: 4\nevent: acknowledged\n") || !strings.Contains(ev, e.alertA.ID) {
		t.Fatalf("event=%q, want alert A acknowledged as id 4", ev)
	}
}

func TestSignals(t *testing.T) {
	e := mustAlertEnv(t)
	ctx := context.Background()
	tok, hash, err := wardhttp.NewSystemToken(ward.TokenSignals)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.APITokens.CreateAPIToken(ctx, &ward.APIToken{Name: "dlp", Kind: ward.TokenSignals, TokenHash: hash}); err != nil {
		t.Fatal(err)
	}
	scim, shash, _ := wardhttp.NewSystemToken(ward.TokenSCIM)
	if err := e.svc.APITokens.CreateAPIToken(ctx, &ward.APIToken{Name: "hr", Kind: ward.TokenSCIM, VendorID: e.vendorA.ID, TokenHash: shash}); err != nil {
		t.Fatal(err)
	}
	post := func(token, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/api/v1/signals", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(w, r)
		return w
	}
	for _, tt := range []struct {
		name, token, body string
		status            int
		action            string
	}{
		{"DLP", tok, `{"type":"dlp_blocked","username":"alice","channel":"usb","detail":"mass storage"}`, 202, "signal.dlp_blocked"},
		{"VDIStart", tok, `{"type":"vdi_session_start","worker_id":"` + e.workerA.ID + `","session_id":"vdi-1","host":"vdi-07"}`, 202, "signal.vdi_session_start"},
		{"ErrNoToken", "", `{"type":"dlp_blocked","username":"alice","channel":"usb"}`, 401, ""},
		{"ErrSCIMToken", scim, `{"type":"dlp_blocked","username":"alice","channel":"usb"}`, 401, ""},
		{"ErrAdminToken", adminToken, `{"type":"dlp_blocked","username":"alice","channel":"usb"}`, 401, ""},
		{"ErrType", tok, `{"type":"keylogger","username":"alice"}`, 400, ""},
		{"ErrChannel", tok, `{"type":"dlp_blocked","username":"alice","channel":"fax"}`, 400, ""},
		{"ErrVDIWithoutSession", tok, `{"type":"vdi_session_end","username":"alice"}`, 400, ""},
		{"ErrUnknownWorker", tok, `{"type":"dlp_blocked","username":"nobody","channel":"usb"}`, 400, ""},
		{"ErrUnknownField", tok, `{"type":"dlp_blocked","username":"alice","channel":"usb","x":1}`, 400, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.actions())
			w := post(tt.token, tt.body)
			if w.Code != tt.status {
				t.Fatalf("status=%d, want %d: %s", w.Code, tt.status, w.Body)
			}
			acts := e.actions()
			if tt.action == "" {
				if len(acts) != before {
					t.Fatalf("audited %v for a refused signal", acts[before:])
				}
				return
			}
			if len(acts) != before+1 || acts[before] != tt.action {
				t.Fatalf("audited %v, want %s", acts[before:], tt.action)
			}
			e.mu.Lock()
			ev := e.audited[before]
			e.mu.Unlock()
			if ev.Actor.WorkerID != e.workerA.ID || ev.Details["source"] != "dlp" {
				t.Fatalf("event=%+v", ev)
			}
		})
	}
}
