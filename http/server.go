// Package http is ward's HTTP server: the JSON API under /api/v1, the
// operations endpoints (/healthz, /readyz, /metrics) and a mount point for
// the handlers other packages serve (the /fhir gateway, the console).
//
// The package shadows net/http on purpose, so that cmd/ward never imports
// net/http; tests import it as wardhttp.
//
// # Request pipeline
//
// Every request passes, outermost first, through: a request ID
// (X-Request-ID), metrics and the access log (labelled by route pattern,
// never by raw path), panic recovery, security headers and then the routing
// mux. Requests under /api/v1 are then authenticated ([Server.Authenticate])
// and each handler checks the role table (see auth.go) before it calls a
// service.
//
// # Errors
//
// Every error leaves through [Error] as an RFC 9457 problem document. Only
// this package maps ward error codes to HTTP statuses.
package http

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/routing"
)

// Timeouts of the underlying net/http server. ReadTimeout and WriteTimeout
// bound slow clients; they are generous because the mounted FHIR gateway
// may stream large bundles.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 120 * time.Second
	idleTimeout       = 120 * time.Second

	// ShutdownTimeout is how long Close waits for in-flight requests
	// before it drops their connections.
	ShutdownTimeout = 10 * time.Second
)

// Server is ward's HTTP server. Fill its exported fields, Mount any extra
// handlers, then call Open (or use Handler with httptest). The fields MUST
// NOT change after Open or Handler is first called.
type Server struct {
	// Addr is the TCP address Open listens on, such as ":8080"; ":0"
	// picks a free port (see URL).
	Addr string

	// Logger receives access logs and internal errors. It never receives
	// query strings or bodies, which may carry PHI.
	Logger *slog.Logger

	// Services are the stores the API reads and writes.
	Services ward.Services

	// AuditLog serves /api/v1/audit (checkpoints, entries, proofs and
	// reports). Nil: those routes answer 501.
	AuditLog AuditLog

	// Coder runs the coding checks on charts submitted to
	// /api/v1/coding. Nil: the coding routes answer 501.
	Coder Coder

	// Patients, when set, gives the age and sex of a task's patient from
	// the EHR for coding submissions made for a task.
	Patients PatientDirectory

	// Auditor, when set, records every authenticated change made through
	// the API, durably, before the response is sent (see auditChanges).
	Auditor ward.Auditor

	// AdminToken is the bootstrap administrator credential, presented as
	// "Authorization: Bearer <token>". Empty disables it.
	AdminToken string

	// MetricsToken, when set, is a bearer token that may read /metrics and
	// nothing else. The admin token may read /metrics too.
	MetricsToken string

	// Ready reports whether ward can serve (for example a database ping);
	// /readyz answers 503 while it returns an error. Nil means always ready.
	Ready func(ctx context.Context) error

	// Registry is ward's metrics registry, served at /metrics. The server
	// adds its HTTP metrics to it; the caller adds the rest, such as the
	// Go and process collectors (cmd/ward does).
	Registry *prometheus.Registry

	// Authenticate returns the principal of an API request. It returns
	// EUNAUTHORIZED when the request carries no valid credential. Nil means
	// the default, which accepts only AdminToken.
	Authenticate func(r *http.Request) (*ward.Principal, error)

	// Identity logs people in and validates their sessions. Nil: only
	// the admin token authenticates, and /api/v1/login answers 501.
	Identity Identity

	// SSO, when set, offers login through the organization's OpenID
	// Connect provider; Passkeys, login and registration of security keys.
	SSO      SSO
	Passkeys Passkeys

	// Lifecycle runs onboarding, activation, suspension and offboarding.
	// Nil: worker transitions go straight to the store, without the
	// checklist or the end of access.
	Lifecycle Lifecycle

	// OnSessionEnd, when set, is called after a session ends through the
	// API (logout, revocation) to end the grants it was using.
	OnSessionEnd func(ctx context.Context, workerID, reason string) error

	// Router hands out tasks and their grants; Profiles are the task-type
	// profiles it serves. Nil: those routes answer 501.
	Router   Router
	Profiles *routing.Profiles
	// Intake, when set, creates tasks posted to /api/v1/tasks with their
	// sensitivity tags computed from the EHR's data; nil stores them as
	// posted.
	Intake func(ctx context.Context, t *ward.Task) error

	// TOTPIssuer names ward in authenticator apps; default "ward".
	TOTPIssuer string

	// TLSConfig, when set, makes Open serve HTTPS. With ClientAuth set to
	// verify client certificates, a VDI host's certificate identifies the
	// device a session is bound to.
	TLSConfig *tls.Config

	// Now returns the current time; tests replace it.
	Now func() time.Time

	mounts []mount

	once    sync.Once
	handler http.Handler

	mu     sync.Mutex
	ln     net.Listener
	server *http.Server
	done   chan struct{} // closed when Serve returns
}

type mount struct {
	pattern string
	handler http.Handler
}

// NewServer returns a Server with a default logger, clock and a fresh
// metrics registry.
func NewServer() *Server {
	return &Server{
		Logger:   slog.Default(),
		Registry: prometheus.NewRegistry(),
		Now:      time.Now,
	}
}

// Mount registers h for pattern (a net/http ServeMux pattern such as
// "/fhir/" or "/") next to the API. The server adds its request ID, metrics,
// access log, panic recovery and security headers, but no authentication:
// h MUST authenticate its own requests. Patterns under /api/v1/ and the
// operations endpoints are taken. Mount MUST be called before Open or
// Handler; it panics afterwards.
func (s *Server) Mount(pattern string, h http.Handler) {
	if s.handler != nil {
		panic("http: Mount called after the handler was built")
	}
	s.mounts = append(s.mounts, mount{pattern: pattern, handler: h})
}

// Handler returns the server's root handler, building it on first use.
// Tests serve it with httptest; Open serves it on Addr.
func (s *Server) Handler() http.Handler {
	s.once.Do(func() { s.handler = s.build() })
	return s.handler
}

// build assembles the muxes and the middleware chain.
func (s *Server) build() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Registry == nil {
		s.Registry = prometheus.NewRegistry()
	}
	m := newMetrics(s.Registry, s.Logger)

	api := newRouter()
	svc := s.Services
	for _, res := range []struct {
		present  bool
		register func(*router)
	}{
		{svc.Organizations != nil, s.registerOrganizationRoutes},
		{svc.Vendors != nil, s.registerVendorRoutes},
		{svc.Sites != nil, s.registerSiteRoutes},
		{svc.Teams != nil, s.registerTeamRoutes},
		{svc.Workers != nil, s.registerWorkerRoutes},
		{svc.Schedules != nil, s.registerScheduleRoutes},
		{svc.Queues != nil, s.registerQueueRoutes},
		{svc.Tasks != nil, s.registerTaskRoutes},
		{svc.Grants != nil, s.registerGrantRoutes},
		{svc.Sessions != nil, s.registerSessionRoutes},
		{svc.Alerts != nil, s.registerAlertRoutes},
		{svc.Submissions != nil, s.registerSubmissionRoutes},
		{s.Coder != nil && svc.Submissions != nil && svc.Workers != nil, s.registerCodingRoutes},
		{s.AuditLog != nil, s.registerAuditRoutes},
		{svc.Tasks != nil && svc.Workers != nil, s.registerRoutingRoutes},
		{svc.Credentials != nil && svc.Devices != nil && svc.APITokens != nil && svc.Workers != nil && svc.Sessions != nil, s.registerCredentialRoutes},
	} {
		if res.present {
			res.register(api)
		} else {
			// A store without this service: the routes answer 501.
			res.register(api.notImplemented())
		}
	}

	root := newRouter()
	s.registerOpsRoutes(root)
	s.registerLoginRoutes(root)
	// The API's route is labelled before authentication, so that 401s
	// are counted by route too.
	root.Handle(apiPrefix, apiHeaders(api.label(s.authenticated(s.auditChanges(api)))))
	for _, mt := range s.mounts {
		root.Handle(mt.pattern, mt.handler)
	}
	s.registerConsoleRoutes(root)

	var h http.Handler = root.label(root)
	h = secureHeaders(h)
	h = recoverer(h)
	h = s.observe(m, h)
	h = requestID(h)
	return h
}

// apiPrefix is the path under which the JSON API lives.
const apiPrefix = "/api/v1/"

// Open listens on Addr and serves in the background until Close.
func (s *Server) Open() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return errors.New("http: server already open")
	}
	h := s.Handler()
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.Addr, err)
	}
	if s.TLSConfig != nil {
		ln = tls.NewListener(ln, s.TLSConfig)
	}
	s.ln = ln
	s.server = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	s.done = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("http server stopped", "err", err)
		}
	}(s.server, s.done)
	return nil
}

func (s *Server) scheme() string {
	if s.TLSConfig != nil {
		return "https://"
	}
	return "http://"
}

// URL returns the base URL the server listens on, such as
// "http://localhost:8080", or "" when it is not open. An unspecified host
// (":0", "0.0.0.0:80") is reported as localhost.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(s.ln.Addr().String())
	if err != nil {
		return s.scheme() + s.ln.Addr().String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return s.scheme() + net.JoinHostPort(host, port)
}

// Close stops accepting connections and waits up to ShutdownTimeout for
// in-flight requests to finish, then closes the rest. Closing a server that
// is not open does nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	srv, done := s.server, s.done
	s.server, s.ln, s.done = nil, nil, nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	<-done
	if err != nil {
		return fmt.Errorf("shut down http server: %w", err)
	}
	return nil
}

// router is a ServeMux that knows its patterns, so that it can label a
// request with the pattern it matches (and nothing else: the mux reports
// the raw path of a redirect as its pattern) and answer unmatched requests
// with problem documents.
type router struct {
	mux      *http.ServeMux
	patterns map[string]bool
	stub     bool // register a 501 handler instead of the one given
}

func newRouter() *router {
	return &router{mux: http.NewServeMux(), patterns: make(map[string]bool)}
}

// notImplemented returns a view of rt that registers each pattern with a
// handler answering 501, for routes whose service the store lacks.
func (rt *router) notImplemented() *router {
	return &router{mux: rt.mux, patterns: rt.patterns, stub: true}
}

// Handle registers h for pattern.
func (rt *router) Handle(pattern string, h http.Handler) {
	if rt.stub {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "This ward store does not provide this resource."))
		})
	}
	rt.mux.Handle(pattern, h)
	rt.patterns[pattern] = true
}

// HandleFunc registers h for pattern.
func (rt *router) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	rt.Handle(pattern, http.HandlerFunc(h))
}

// label records the pattern r matches ("" for none) for metrics and logs,
// then calls next. An inner router's label replaces an outer one's.
func (rt *router) label(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st := stateFrom(r.Context()); st != nil {
			st.route = ""
			if _, pattern := rt.mux.Handler(r); rt.patterns[pattern] {
				st.route = routeOf(pattern)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP serves r with the mux, but answers requests that match no
// route with a problem document: 404, or 405 with the Allow header the
// mux computed.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := rt.mux.Handler(r)
	if pattern != "" {
		rt.mux.ServeHTTP(w, r)
		return
	}
	// No pattern: the mux's own not-found or method-not-allowed handler.
	// Run it against a recorder only to learn which.
	rec := &headerRecorder{header: make(http.Header)}
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		Error(w, r, &ward.Error{Code: codeMethodNotAllowed, Message: fmt.Sprintf("Method %s is not allowed here.", methodLabel(r.Method))})
		return
	}
	Error(w, r, ward.Errorf(ward.ENOTFOUND, "No such endpoint."))
}

// routeOf returns the path part of a ServeMux pattern: "GET /a/{id}"
// becomes "/a/{id}". The method is a separate metric label.
func routeOf(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		return strings.TrimLeft(pattern[i+1:], " \t")
	}
	return pattern
}

// headerRecorder is a ResponseWriter that keeps the status and headers and
// drops the body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header { return h.header }
func (h *headerRecorder) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}
func (h *headerRecorder) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return len(b), nil
}
