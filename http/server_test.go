package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/wardhq/ward"
	wardhttp "github.com/wardhq/ward/http"
	"github.com/wardhq/ward/mock"
)

const (
	adminToken   = "admin-secret-token"
	metricsToken = "metrics-secret-token"
)

// now is the fixed clock of test servers.
var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// Server is a test server whose services are mocks and whose logs are kept.
type Server struct {
	*wardhttp.Server

	Organizations mock.OrganizationService
	Vendors       mock.VendorService
	Sites         mock.SiteService
	Teams         mock.TeamService
	Workers       mock.WorkerService
	Schedules     mock.ScheduleService
	Queues        mock.QueueService
	Tasks         mock.TaskService
	Grants        mock.GrantService
	Sessions      mock.SessionService
	Alerts        mock.AlertService
	Submissions   mock.SubmissionService
	Credentials   mock.CredentialService
	Devices       mock.DeviceService
	APITokens     mock.APITokenService

	Logs *syncBuffer
}

// MustNewServer returns a test server with the admin and metrics tokens
// set and no mock function filled in: a test sets what it expects.
func MustNewServer(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{Server: wardhttp.NewServer(), Logs: &syncBuffer{}}
	s.Logger = slog.New(slog.NewJSONHandler(s.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.AdminToken = adminToken
	s.MetricsToken = metricsToken
	s.Now = func() time.Time { return now }
	// As cmd/ward does.
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.Services = ward.Services{
		Organizations: &s.Organizations,
		Vendors:       &s.Vendors,
		Sites:         &s.Sites,
		Teams:         &s.Teams,
		Workers:       &s.Workers,
		Schedules:     &s.Schedules,
		Queues:        &s.Queues,
		Tasks:         &s.Tasks,
		Grants:        &s.Grants,
		Sessions:      &s.Sessions,
		Alerts:        &s.Alerts,
		Submissions:   &s.Submissions,
		Credentials:   &s.Credentials,
		Devices:       &s.Devices,
		APITokens:     &s.APITokens,
	}
	return s
}

// As makes every API request authenticate as p.
func (s *Server) As(p *ward.Principal) *Server {
	s.Authenticate = func(r *http.Request) (*ward.Principal, error) { return p, nil }
	return s
}

// Do serves one request with the admin token and, when body is not empty,
// Content-Type application/json. Options may change the request first.
func (s *Server) Do(tb testing.TB, method, target, body string, opts ...func(*http.Request)) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+adminToken)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, opt := range opts {
		opt(r)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

// header returns an option that sets a request header; an empty value
// removes it.
func header(key, value string) func(*http.Request) {
	return func(r *http.Request) {
		if value == "" {
			r.Header.Del(key)
			return
		}
		r.Header.Set(key, value)
	}
}

// MustDecode decodes a JSON response body into v.
func MustDecode(tb testing.TB, w *httptest.ResponseRecorder, v any) {
	tb.Helper()
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		tb.Fatalf("decode response %q: %v", w.Body.String(), err)
	}
}

// MustProblem checks that w is a problem document with status and returns it.
func MustProblem(tb testing.TB, w *httptest.ResponseRecorder, status int) wardhttp.Problem {
	tb.Helper()
	if got, want := w.Code, status; got != want {
		tb.Fatalf("status=%d, want %d; body %s", got, want, w.Body.String())
	}
	if got, want := w.Header().Get("Content-Type"), "application/problem+json"; got != want {
		tb.Fatalf("Content-Type=%q, want %q", got, want)
	}
	var p wardhttp.Problem
	MustDecode(tb, w, &p)
	if got, want := p.Status, status; got != want {
		tb.Fatalf("problem status=%d, want %d", got, want)
	}
	if !strings.HasPrefix(p.Type, "https://ward.dev/problems/") {
		tb.Fatalf("problem type=%q, want a ward.dev problem URI", p.Type)
	}
	if p.Title == "" || p.Instance == "" || p.RequestID == "" {
		tb.Fatalf("problem %+v lacks title, instance or request_id", p)
	}
	return p
}

// MustStatus fails unless w has status.
func MustStatus(tb testing.TB, w *httptest.ResponseRecorder, status int) {
	tb.Helper()
	if got, want := w.Code, status; got != want {
		tb.Fatalf("status=%d, want %d; body %s", got, want, w.Body.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// vendorFound is a FindVendorByIDFn that finds every vendor.
func vendorFound(ctx context.Context, id string) (*ward.Vendor, error) {
	return &ward.Vendor{ID: id, Name: "Acme Coding", BAAStatus: ward.BAAPending}, nil
}

func TestServer_OpenClose(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustNewServer(t)
		s.Addr = "127.0.0.1:0"
		if got := s.URL(); got != "" {
			t.Fatalf("URL before Open=%q, want empty", got)
		}
		if err := s.Open(); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
			t.Fatalf("URL=%q, want http://127.0.0.1:port", s.URL())
		}
		resp, err := http.Get(s.URL() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got, want := resp.StatusCode, http.StatusOK; got != want {
			t.Fatalf("status=%d, want %d", got, want)
		}
		if got, want := string(body), "ok\n"; got != want {
			t.Fatalf("body=%q, want %q", got, want)
		}
		u := s.URL()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if resp, err := http.Get(u + "/healthz"); err == nil {
			resp.Body.Close()
			t.Fatal("server still serving after Close")
		}
	})
	t.Run("AnyPortIsLocalhost", func(t *testing.T) {
		s := MustNewServer(t)
		s.Addr = ":0"
		if err := s.Open(); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if !strings.HasPrefix(s.URL(), "http://localhost:") {
			t.Fatalf("URL=%q, want http://localhost:port", s.URL())
		}
	})
	t.Run("ErrOpenTwice", func(t *testing.T) {
		s := MustNewServer(t)
		s.Addr = "127.0.0.1:0"
		if err := s.Open(); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Open(); err == nil {
			t.Fatal("second Open succeeded, want error")
		}
	})
	t.Run("ErrBadAddr", func(t *testing.T) {
		s := MustNewServer(t)
		s.Addr = "256.0.0.1:http"
		if err := s.Open(); err == nil {
			s.Close()
			t.Fatal("Open succeeded, want error")
		}
	})
}

func TestServer_Mount(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustNewServer(t)
		s.Mount("/fhir/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if got, want := r.Header.Get("Authorization"), ""; got != want {
				t.Errorf("mounted handler saw Authorization %q", got)
			}
			w.Write([]byte("fhir " + r.URL.Path))
		}))
		w := s.Do(t, "GET", "/fhir/Patient/123", "", header("Authorization", ""))
		MustStatus(t, w, http.StatusOK)
		if got, want := w.Body.String(), "fhir /fhir/Patient/123"; got != want {
			t.Fatalf("body=%q, want %q", got, want)
		}
		if got, want := w.Header().Get("X-Content-Type-Options"), "nosniff"; got != want {
			t.Fatalf("X-Content-Type-Options=%q, want %q", got, want)
		}
		if w.Header().Get("X-Request-ID") == "" {
			t.Fatal("no X-Request-ID on a mounted handler's response")
		}
		// The API is still the server's own.
		MustProblem(t, s.Do(t, "GET", "/api/v1/vendors", "", header("Authorization", "")), http.StatusUnauthorized)
	})
	t.Run("PanicAfterHandler", func(t *testing.T) {
		s := MustNewServer(t)
		s.Handler()
		defer func() {
			if recover() == nil {
				t.Fatal("Mount after Handler did not panic")
			}
		}()
		s.Mount("/late/", http.NotFoundHandler())
	})
}

func TestServer_SecurityHeaders(t *testing.T) {
	s := MustNewServer(t)
	s.Vendors.FindVendorByIDFn = vendorFound
	for _, target := range []string{"/api/v1/vendors/ven_1", "/api/v1/nope", "/healthz", "/nowhere"} {
		t.Run(target, func(t *testing.T) {
			w := s.Do(t, "GET", target, "")
			// Paths outside the API and the operations endpoints belong
			// to the console, whose links stay on the site.
			referrer := "no-referrer"
			if target == "/nowhere" {
				referrer = "same-origin"
			}
			for k, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        referrer,
			} {
				if got := w.Header().Get(k); got != want {
					t.Errorf("%s=%q, want %q", k, got, want)
				}
			}
			if strings.HasPrefix(target, "/api/") {
				if got, want := w.Header().Get("Cache-Control"), "no-store"; got != want {
					t.Errorf("Cache-Control=%q, want %q", got, want)
				}
			}
		})
	}
}

func TestServer_RequestID(t *testing.T) {
	s := MustNewServer(t)
	t.Run("Generated", func(t *testing.T) {
		w := s.Do(t, "GET", "/healthz", "")
		if got := w.Header().Get("X-Request-ID"); len(got) != 24 {
			t.Fatalf("X-Request-ID=%q, want 24 hex digits", got)
		}
		if a, b := w.Header().Get("X-Request-ID"), s.Do(t, "GET", "/healthz", "").Header().Get("X-Request-ID"); a == b {
			t.Fatalf("two requests got the same ID %q", a)
		}
	})
	t.Run("Echoed", func(t *testing.T) {
		w := s.Do(t, "GET", "/api/v1/nope", "", header("X-Request-ID", "trace-abc.123"))
		if got, want := w.Header().Get("X-Request-ID"), "trace-abc.123"; got != want {
			t.Fatalf("X-Request-ID=%q, want %q", got, want)
		}
		if got, want := MustProblem(t, w, http.StatusNotFound).RequestID, "trace-abc.123"; got != want {
			t.Fatalf("problem request_id=%q, want %q", got, want)
		}
	})
	t.Run("ReplacedWhenUnsafe", func(t *testing.T) {
		for _, id := range []string{"has space", `quote"`, strings.Repeat("a", 65), "ünïcode"} {
			w := s.Do(t, "GET", "/healthz", "", header("X-Request-ID", id))
			if got := w.Header().Get("X-Request-ID"); got == id || len(got) != 24 {
				t.Fatalf("X-Request-ID=%q for unsafe %q, want a new ID", got, id)
			}
		}
	})
}

// TestServer_AccessLog checks that each request is logged with its route
// pattern and never with its path, query string or body (they carry IDs
// and PHI).
func TestServer_AccessLog(t *testing.T) {
	s := MustNewServer(t)
	s.Tasks.FindTasksFn = func(ctx context.Context, f ward.TaskFilter) ([]*ward.Task, int, error) { return nil, 0, nil }
	s.Tasks.UpdateTaskFn = func(ctx context.Context, id string, upd ward.TaskUpdate) (*ward.Task, error) {
		return &ward.Task{ID: id}, nil
	}
	MustStatus(t, s.Do(t, "GET", "/api/v1/tasks?patient_ref=Patient/SECRET-QUERY", "", header("X-Request-ID", "req-1")), http.StatusOK)
	MustStatus(t, s.Do(t, "PATCH", "/api/v1/tasks/task_SECRETPATH", `{"sensitivity_tags":["secretbody"]}`), http.StatusOK)
	MustStatus(t, s.Do(t, "POST", "/api/v1/tasks", `{"patient_ref":7,"note":"SECRET-BODY"}`), http.StatusBadRequest)

	logs := s.Logs.String()
	for _, secret := range []string{"SECRET-QUERY", "SECRETPATH", "secretbody", "SECRET-BODY", adminToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	var line struct {
		Msg       string  `json:"msg"`
		Method    string  `json:"method"`
		Route     string  `json:"route"`
		Status    int     `json:"status"`
		Duration  float64 `json:"duration"`
		RequestID string  `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(strings.SplitN(logs, "\n", 2)[0]), &line); err != nil {
		t.Fatal(err)
	}
	if got, want := line.Msg, "http request"; got != want {
		t.Fatalf("msg=%q, want %q", got, want)
	}
	if got, want := line.Route, "/api/v1/tasks"; got != want {
		t.Fatalf("route=%q, want %q", got, want)
	}
	if line.Method != "GET" || line.Status != 200 || line.RequestID != "req-1" {
		t.Fatalf("log line %+v, want GET 200 req-1", line)
	}
	if !strings.Contains(logs, `"route":"/api/v1/tasks/{id}"`) {
		t.Fatalf("logs lack the PATCH route pattern:\n%s", logs)
	}
}

func TestServer_Recover(t *testing.T) {
	s := MustNewServer(t)
	calls := 0
	s.Vendors.FindVendorByIDFn = func(ctx context.Context, id string) (*ward.Vendor, error) {
		calls++
		if calls == 1 {
			panic("boom: secret detail")
		}
		return vendorFound(ctx, id)
	}
	p := MustProblem(t, s.Do(t, "GET", "/api/v1/vendors/ven_1", ""), http.StatusInternalServerError)
	if got, want := p.Detail, "Internal error."; got != want {
		t.Fatalf("detail=%q, want %q", got, want)
	}
	if !strings.Contains(s.Logs.String(), "boom: secret detail") {
		t.Fatalf("panic not logged:\n%s", s.Logs.String())
	}
	// The server goes on serving.
	MustStatus(t, s.Do(t, "GET", "/api/v1/vendors/ven_1", ""), http.StatusOK)
}

// TestServer_MissingService checks that the routes of a service the store
// does not provide answer 501 instead of crashing.
func TestServer_MissingService(t *testing.T) {
	s := MustNewServer(t)
	s.Services.Submissions = nil
	p := MustProblem(t, s.Do(t, "GET", "/api/v1/submissions", ""), http.StatusNotImplemented)
	if got, want := p.Type, "https://ward.dev/problems/not_implemented"; got != want {
		t.Fatalf("type=%q, want %q", got, want)
	}
	MustProblem(t, s.Do(t, "GET", "/api/v1/submissions/sub_1", ""), http.StatusNotImplemented)
	MustProblem(t, s.Do(t, "POST", "/api/v1/submissions", "{}"), http.StatusMethodNotAllowed)
	MustProblem(t, s.Do(t, "GET", "/api/v1/submissions", "", header("Authorization", "")), http.StatusUnauthorized)
}
