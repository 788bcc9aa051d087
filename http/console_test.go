package http_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
	wardhttp "github.com/wardhq/ward/http"
	"github.com/wardhq/ward/identity"
	"github.com/wardhq/ward/store/sqlite"
)

// consoleIdentity accepts the password "right" and code "123456" for any
// known username, and maps session tokens to principals.
type consoleIdentity struct {
	users  map[string]*ward.Principal // by username
	tokens map[string]*ward.Principal
}

func (f *consoleIdentity) Login(ctx context.Context, r *http.Request, username, password, otp string) (*identity.Issued, error) {
	p, ok := f.users[username]
	if !ok || password != "right" || otp != "123456" {
		return nil, ward.Refusef(ward.EUNAUTHORIZED, "bad_credentials", "Invalid username, password or code.")
	}
	tok := "tok-" + username
	f.tokens[tok] = p
	return &identity.Issued{Token: tok, Session: &ward.Session{ID: p.SessionID, ExpiresAt: time.Now().Add(time.Hour)}}, nil
}
func (f *consoleIdentity) IssueSession(context.Context, *http.Request, string, string) (*identity.Issued, error) {
	return nil, ward.Errorf(ward.ENOTIMPLEMENTED, "no")
}
func (f *consoleIdentity) AuthenticateToken(r *http.Request, token string) (*ward.Principal, error) {
	if p, ok := f.tokens[token]; ok {
		return p, nil
	}
	return nil, ward.Refusef(ward.EUNAUTHORIZED, "session_unknown", "Sign in again.")
}
func (f *consoleIdentity) Logout(ctx context.Context, r *http.Request, token string) error {
	delete(f.tokens, token)
	return nil
}
func (f *consoleIdentity) SetPassword(context.Context, string, string) error       { return nil }
func (f *consoleIdentity) EnrolTOTP(context.Context, string, string, string) error { return nil }

// consoleAuditLog serves a ledger of n fhir.read events on one patient.
type consoleAuditLog struct{ n int }

func (a *consoleAuditLog) LatestCheckpoint(context.Context) ([]byte, error) {
	return []byte(fmt.Sprintf("ward-test/ledger\n%d\nAAAA\n\n— ward-test sig\n", a.n)), nil
}
func (a *consoleAuditLog) SignCheckpoint(ctx context.Context) ([]byte, error) {
	return a.LatestCheckpoint(ctx)
}
func (a *consoleAuditLog) Entry(ctx context.Context, i uint64) ([]byte, *ward.Event, error) {
	if i >= uint64(a.n) {
		return nil, nil, ward.Errorf(ward.ENOTFOUND, "Entry not found.")
	}
	return []byte("leaf"), &ward.Event{Time: now.Add(-time.Duration(a.n-int(i)) * time.Second), Action: "fhir.read",
		Actor: ward.EventActor{Subject: "wkr_1"}, Target: ward.EventTarget{PatientRef: "Patient/p1"}, Outcome: ward.EventOutcome{Decision: ward.DecisionPermit}}, nil
}
func (a *consoleAuditLog) InclusionProof(context.Context, uint64, uint64) ([][]byte, error) {
	return [][]byte{[]byte("h")}, nil
}
func (a *consoleAuditLog) ConsistencyProof(context.Context, uint64, uint64) ([][]byte, error) {
	return nil, nil
}
func (a *consoleAuditLog) WriteReport(ctx context.Context, w io.Writer, kind, key, format string, from, to *time.Time) error {
	if format == "csv" {
		fmt.Fprintln(w, "index,time,action")
		return nil
	}
	fmt.Fprintf(w, `{"report":"patient_access","generated_at":"2026-11-27T00:00:00Z","ledger_size":%d,"entries":[`, a.n)
	for i := 0; i < a.n; i++ {
		if i > 0 {
			w.Write([]byte(","))
		}
		fmt.Fprintf(w, `{"index":%d,"time":"2026-11-27T00:00:00Z","action":"fhir.read","decision":"permit","worker_id":"wkr_1","username":"joy.santos","worker_name":"Joy Santos","subject":"wkr_1","vendor_name":"Acme","country":"PH","task_id":"tsk_1","resource":"Observation","count":3}`, i)
	}
	fmt.Fprintf(w, `],"count":%d}`, a.n)
	return nil
}
func (a *consoleAuditLog) VerifyLedger(context.Context) (uint64, error) { return uint64(a.n), nil }

// consoleEnv is a console over a real SQLite store with two vendors.
type consoleEnv struct {
	srv     *wardhttp.Server
	h       http.Handler
	id      *consoleIdentity
	vendorA *ward.Vendor
	workerA *ward.Worker
	workerB *ward.Worker
	alert   *ward.Alert
	task    *ward.Task
}

func mustConsole(tb testing.TB, extraWorkers int) *consoleEnv {
	tb.Helper()
	ctx := context.Background()
	db := sqlite.NewDB(filepath.Join(tb.TempDir(), "ward.db"))
	if err := db.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	svc := db.Services()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	e := &consoleEnv{id: &consoleIdentity{users: map[string]*ward.Principal{}, tokens: map[string]*ward.Principal{}}}
	var teams []*ward.Team
	for _, name := range []string{"Acme Coding", "Beta Health"} {
		v := &ward.Vendor{Name: name, BAAStatus: ward.BAAActive, BAAEffective: ward.Date{Year: 2025, Month: 1, Day: 1},
			BAAExpires: ward.Date{Year: 2027, Month: 1, Day: 1}, ApprovedCountries: []string{"PH"}}
		must(svc.Vendors.CreateVendor(ctx, v))
		s := &ward.Site{VendorID: v.ID, Name: "Manila", Country: "PH", EgressCIDRs: []string{"203.0.113.0/24"}, TimeZone: "Asia/Manila"}
		must(svc.Sites.CreateSite(ctx, s))
		t := &ward.Team{VendorID: v.ID, SiteID: s.ID, Name: "Outpatient", Functions: []ward.Function{ward.FunctionCoding}}
		must(svc.Teams.CreateTeam(ctx, t))
		teams = append(teams, t)
		if e.vendorA == nil {
			e.vendorA = v
		}
	}
	newWorker := func(user string, role ward.Role, team *ward.Team) *ward.Worker {
		w := &ward.Worker{Username: user, Email: user + "@example.com", GivenName: strings.ToUpper(user[:1]) + user[1:], FamilyName: "Test", Role: role}
		if team != nil {
			w.VendorID, w.TeamID = team.VendorID, team.ID
		}
		if role == ward.RoleSupervisor {
			w.TeamID = team.ID
		}
		must(svc.Workers.CreateWorker(ctx, w))
		e.id.users[user] = &ward.Principal{Subject: w.ID, Role: role, WorkerID: w.ID, VendorID: w.VendorID, TeamID: w.TeamID,
			Username: user, SessionID: "ses_" + user}
		return w
	}
	newWorker("admin", ward.RoleAdmin, nil)
	newWorker("comp", ward.RoleCompliance, nil)
	newWorker("audit", ward.RoleAuditor, nil)
	newWorker("sup", ward.RoleSupervisor, teams[0])
	e.workerA = newWorker("alice", ward.RoleWorker, teams[0])
	e.workerB = newWorker("bob", ward.RoleWorker, teams[1])
	for i := 0; i < extraWorkers; i++ {
		newWorker(fmt.Sprintf("w%04d", i), ward.RoleWorker, teams[i%2])
	}
	q := &ward.Queue{Name: "Outpatient coding", Function: ward.FunctionCoding}
	must(svc.Queues.CreateQueue(ctx, q))
	for i := 0; i < 3+extraWorkers/3; i++ {
		t := &ward.Task{QueueID: q.ID, Type: ward.FunctionCoding, PatientRef: fmt.Sprintf("Patient/p%d", i), Complexity: 1 + i%5}
		must(svc.Tasks.CreateTask(ctx, t))
		e.task = t
	}
	e.alert = &ward.Alert{Rule: "off_queue_access", Severity: ward.SeverityHigh, Title: "Off-queue access to a patient record",
		Explanation: "Read a record with no task.", WorkerID: e.workerA.ID, VendorID: e.vendorA.ID, PatientRef: "Patient/p1", Evidence: []uint64{1}}
	must(svc.Alerts.CreateAlert(ctx, e.alert))

	e.srv = wardhttp.NewServer()
	e.srv.Services = svc
	e.srv.Identity = e.id
	e.srv.AuditLog = &consoleAuditLog{n: 20}
	e.h = e.srv.ConsoleHandler()
	return e
}

// do serves a request as username ("" for nobody).
func (e *consoleEnv) do(tb testing.TB, method, target, username string, form url.Values, opts ...func(*http.Request)) *httptest.ResponseRecorder {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, "http://ward.example"+target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if username != "" {
		tok := "tok-" + username
		e.id.tokens[tok] = e.id.users[username]
		r.AddCookie(&http.Cookie{Name: wardhttp.SessionCookie, Value: tok})
	}
	for _, o := range opts {
		o(r)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of username's session from a page.
func (e *consoleEnv) csrf(tb testing.TB, username string) string {
	tb.Helper()
	w := e.do(tb, "GET", "/", username, nil)
	m := csrfField.FindStringSubmatch(w.Body.String())
	if m == nil {
		tb.Fatalf("no CSRF token on the overview (status %d)", w.Code)
	}
	return m[1]
}

func TestConsole_SecurityHeaders(t *testing.T) {
	e := mustConsole(t, 0)
	w := e.do(t, "GET", "/login", "", nil)
	if got, want := w.Code, http.StatusOK; got != want {
		t.Fatalf("status=%d, want %d", got, want)
	}
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
		"X-Frame-Options":        "DENY",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy=%q, want strict", csp)
	}
	if body := w.Body.String(); strings.Contains(body, "<script>") || strings.Contains(body, "style=") {
		t.Errorf("page has inline script or style")
	}
}

func TestConsole_Login(t *testing.T) {
	e := mustConsole(t, 0)
	loginForm := func(t *testing.T, host string) (string, *http.Cookie) {
		t.Helper()
		r := httptest.NewRequest("GET", "http://"+host+"/login", nil)
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		m := csrfField.FindStringSubmatch(w.Body.String())
		if m == nil || len(w.Result().Cookies()) == 0 {
			t.Fatalf("login form without CSRF token or cookie")
		}
		return m[1], w.Result().Cookies()[0]
	}
	post := func(t *testing.T, host, token string, ck *http.Cookie, password string) *httptest.ResponseRecorder {
		t.Helper()
		form := url.Values{"csrf": {token}, "username": {"comp"}, "password": {password}, "otp": {"123456"}, "next": {"/alerts"}}
		r := httptest.NewRequest("POST", "http://"+host+"/login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if ck != nil {
			r.AddCookie(ck)
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		return w
	}
	t.Run("OK", func(t *testing.T) {
		tok, ck := loginForm(t, "ward.example")
		w := post(t, "ward.example", tok, ck, "right")
		if got, want := w.Code, http.StatusSeeOther; got != want {
			t.Fatalf("status=%d, want %d", got, want)
		}
		if got, want := w.Header().Get("Location"), "/alerts"; got != want {
			t.Errorf("Location=%q, want %q", got, want)
		}
		var sess *http.Cookie
		for _, c := range w.Result().Cookies() {
			if c.Name == wardhttp.SessionCookie {
				sess = c
			}
		}
		if sess == nil || !sess.HttpOnly || !sess.Secure || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/" {
			t.Fatalf("session cookie=%+v, want HttpOnly, Secure, SameSite=Strict, Path=/", sess)
		}
	})
	t.Run("LoopbackNotSecure", func(t *testing.T) {
		tok, ck := loginForm(t, "127.0.0.1:8700")
		w := post(t, "127.0.0.1:8700", tok, ck, "right")
		for _, c := range w.Result().Cookies() {
			if c.Name == wardhttp.SessionCookie && c.Secure {
				t.Fatal("session cookie is Secure over plain HTTP on loopback")
			}
		}
	})
	t.Run("ErrBadCredentials", func(t *testing.T) {
		tok, ck := loginForm(t, "ward.example")
		w := post(t, "ward.example", tok, ck, "wrong")
		if got, want := w.Code, http.StatusUnauthorized; got != want {
			t.Fatalf("status=%d, want %d", got, want)
		}
		if !strings.Contains(w.Body.String(), "Invalid username") {
			t.Error("no error message on the form")
		}
	})
	t.Run("ErrNoCSRF", func(t *testing.T) {
		_, ck := loginForm(t, "ward.example")
		w := post(t, "ward.example", "forged", ck, "right")
		if got, want := w.Code, http.StatusForbidden; got != want {
			t.Fatalf("status=%d, want %d", got, want)
		}
		for _, c := range w.Result().Cookies() {
			if c.Name == wardhttp.SessionCookie && c.Value != "" {
				t.Fatal("a session was issued")
			}
		}
	})
	t.Run("ErrNoLoginCookie", func(t *testing.T) {
		tok, _ := loginForm(t, "ward.example")
		if got, want := post(t, "ward.example", tok, nil, "right").Code, http.StatusForbidden; got != want {
			t.Fatalf("status=%d, want %d", got, want)
		}
	})
	t.Run("Logout", func(t *testing.T) {
		w := e.do(t, "POST", "/logout", "comp", url.Values{"csrf": {e.csrf(t, "comp")}})
		if got, want := w.Code, http.StatusSeeOther; got != want {
			t.Fatalf("status=%d, want %d", got, want)
		}
		if _, ok := e.id.tokens["tok-comp"]; ok {
			t.Error("session still valid after logout")
		}
	})
}

func TestConsole_Pages(t *testing.T) {
	e := mustConsole(t, 0)
	alert := "/alerts/" + e.alert.ID
	wA, wB := "/workforce/workers/"+e.workerA.ID, "/workforce/workers/"+e.workerB.ID
	for _, test := range []struct {
		user, path string
		status     int
	}{
		{"", "/", http.StatusSeeOther},
		{"", "/alerts", http.StatusSeeOther},
		{"", "/alerts/stream", http.StatusUnauthorized},
		{"nobody", "/", http.StatusSeeOther},
		{"comp", "/", http.StatusOK},
		{"comp", "/alerts", http.StatusOK},
		{"comp", "/alerts?status=open&severity=high", http.StatusOK},
		{"comp", alert, http.StatusOK},
		{"comp", "/alerts/alr_missing", http.StatusNotFound},
		{"comp", "/patients", http.StatusOK},
		{"comp", "/patients?patient=Patient/p1", http.StatusOK},
		{"comp", "/patients?patient=bad", http.StatusBadRequest},
		{"comp", "/patients/print?patient=Patient/p1", http.StatusOK},
		{"comp", "/patients/report.csv?patient=Patient/p1", http.StatusOK},
		{"comp", "/workforce", http.StatusOK},
		{"comp", wB, http.StatusOK},
		{"comp", "/work", http.StatusOK},
		{"comp", "/coding", http.StatusOK},
		{"comp", "/work/tasks/" + e.task.ID, http.StatusOK},
		{"comp", "/coding/submissions/sub_missing", http.StatusNotFound},
		{"sup", "/work/tasks/" + e.task.ID, http.StatusForbidden},
		{"comp", "/coding?by=coder", http.StatusOK},
		{"comp", "/audit", http.StatusOK},
		{"comp", "/audit/entries/3", http.StatusOK},
		{"comp", "/audit/entries/99", http.StatusNotFound},
		{"comp", "/audit/proof?index=3", http.StatusOK},
		{"comp", "/audit/checkpoint", http.StatusOK},
		{"comp", "/audit/export?kind=patient&key=Patient/p1&format=json", http.StatusOK},
		{"comp", "/risk", http.StatusOK},
		{"comp", "/risk?per_violation=x", http.StatusBadRequest},
		{"comp", "/nope", http.StatusNotFound},
		{"admin", "/", http.StatusOK},
		{"audit", "/audit", http.StatusOK},
		{"audit", "/risk", http.StatusOK},
		{"sup", "/", http.StatusOK},
		{"sup", "/workforce", http.StatusOK},
		{"sup", wA, http.StatusOK},
		{"sup", wB, http.StatusNotFound},
		{"sup", "/coding", http.StatusOK},
		{"sup", "/alerts", http.StatusForbidden},
		{"sup", alert, http.StatusForbidden},
		{"sup", "/patients?patient=Patient/p1", http.StatusForbidden},
		{"sup", "/patients/report.csv?patient=Patient/p1", http.StatusForbidden},
		{"sup", "/audit", http.StatusForbidden},
		{"sup", "/risk", http.StatusForbidden},
		{"sup", "/work", http.StatusForbidden},
		{"alice", "/", http.StatusOK},
		{"alice", "/workforce", http.StatusOK},
		{"alice", wB, http.StatusNotFound},
		{"alice", "/alerts", http.StatusForbidden},
		{"alice", "/coding", http.StatusForbidden},
	} {
		name := test.user + test.path
		t.Run(name, func(t *testing.T) {
			w := e.do(t, "GET", test.path, test.user, nil)
			if got, want := w.Code, test.status; got != want {
				t.Fatalf("status=%d, want %d\n%s", got, want, w.Body.String())
			}
		})
	}
}

func TestConsole_SupervisorSeesOwnVendorOnly(t *testing.T) {
	e := mustConsole(t, 0)
	body := e.do(t, "GET", "/workforce", "sup", nil).Body.String()
	if !strings.Contains(body, e.workerA.Username) {
		t.Errorf("supervisor does not see their own worker %s", e.workerA.Username)
	}
	if strings.Contains(body, e.workerB.Username) || strings.Contains(body, "Beta Health") {
		t.Errorf("supervisor sees another vendor's workers")
	}
	if strings.Contains(body, `href="/alerts"`) {
		t.Errorf("supervisor's navigation offers alerts")
	}
}

func TestConsole_CSRF(t *testing.T) {
	e := mustConsole(t, 0)
	path := "/alerts/" + e.alert.ID + "/status"
	tok := e.csrf(t, "admin")
	for _, test := range []struct {
		name   string
		csrf   string
		opts   []func(*http.Request)
		status int
	}{
		{"ErrNoToken", "", nil, http.StatusForbidden},
		{"ErrOtherSessionsToken", e.csrf(t, "comp"), nil, http.StatusForbidden},
		{"ErrCrossSite", tok, []func(*http.Request){func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }}, http.StatusForbidden},
		{"ErrOtherOrigin", tok, []func(*http.Request){func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }}, http.StatusForbidden},
		{"OK", tok, []func(*http.Request){func(r *http.Request) {
			r.Header.Set("Origin", "http://ward.example")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
		}}, http.StatusSeeOther},
	} {
		t.Run(test.name, func(t *testing.T) {
			form := url.Values{"status": {"resolved"}, "note": {"checked with the vendor"}}
			if test.csrf != "" {
				form.Set("csrf", test.csrf)
			}
			w := e.do(t, "POST", path, "admin", form, test.opts...)
			if got, want := w.Code, test.status; got != want {
				t.Fatalf("status=%d, want %d\n%s", got, want, w.Body.String())
			}
		})
	}
	a, err := e.srv.Services.Alerts.FindAlertByID(context.Background(), e.alert.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Status, ward.AlertResolved; got != want {
		t.Errorf("Status=%q, want %q", got, want)
	}
}

func TestConsole_Actions(t *testing.T) {
	e := mustConsole(t, 0)
	t.Run("AuditorCannotResolve", func(t *testing.T) {
		w := e.do(t, "POST", "/alerts/"+e.alert.ID+"/status", "audit", url.Values{"csrf": {e.csrf(t, "audit")}, "status": {"resolved"}})
		if got, want := w.Code, http.StatusForbidden; got != want {
			t.Fatalf("status=%d, want %d", got, want)
		}
	})
	t.Run("SupervisorCannotSuspendOtherVendor", func(t *testing.T) {
		w := e.do(t, "POST", "/workforce/workers/"+e.workerB.ID+"/suspend", "sup", url.Values{"csrf": {e.csrf(t, "sup")}, "reason": {"x"}})
		if got, want := w.Code, http.StatusNotImplemented; got != want && w.Code != http.StatusNotFound {
			t.Fatalf("status=%d, want 404 or %d", got, want)
		}
	})
	t.Run("Verify", func(t *testing.T) {
		w := e.do(t, "POST", "/audit/verify", "audit", url.Values{"csrf": {e.csrf(t, "audit")}})
		if got, want := w.Code, http.StatusOK; got != want {
			t.Fatalf("status=%d, want %d", got, want)
		}
		if !strings.Contains(w.Body.String(), "The ledger is intact") {
			t.Error("no verification result on the page")
		}
	})
	t.Run("FlashIsFixed", func(t *testing.T) {
		body := e.do(t, "GET", "/?done=<b>pwned</b>", "comp", nil).Body.String()
		if strings.Contains(body, "pwned") {
			t.Error("a query parameter reached the page as a message")
		}
	})
	t.Run("NextStaysLocal", func(t *testing.T) {
		w := e.do(t, "GET", "/login?next=//evil.example/", "comp", nil)
		if got, want := w.Header().Get("Location"), "/"; got != want {
			t.Errorf("Location=%q, want %q", got, want)
		}
	})
}

// BenchmarkConsolePages renders each page with demo-sized data (about
// 300 workers). Target: under 200 ms per page.
func BenchmarkConsolePages(b *testing.B) {
	e := mustConsole(b, 300)
	for _, pg := range []struct{ name, path string }{
		{"Overview", "/"}, {"Alerts", "/alerts"}, {"Alert", "/alerts/" + e.alert.ID}, {"Patients", "/patients?patient=Patient/p1"},
		{"Workforce", "/workforce"}, {"Work", "/work"}, {"Coding", "/coding"}, {"Audit", "/audit"}, {"Risk", "/risk"},
	} {
		path := pg.path
		b.Run(pg.name, func(b *testing.B) {
			for b.Loop() {
				w := e.do(b, "GET", path, "comp", nil)
				if w.Code != http.StatusOK {
					b.Fatalf("status=%d", w.Code)
				}
			}
		})
	}
}
