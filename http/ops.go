package http

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/wardhq/ward"
)

// readyTimeout bounds one call of Server.Ready.
const readyTimeout = 5 * time.Second

func (s *Server) registerOpsRoutes(mux *router) {
	mux.Handle("GET /healthz", apiHeaders(http.HandlerFunc(s.handleHealthz)))
	mux.Handle("GET /readyz", apiHeaders(http.HandlerFunc(s.handleReadyz)))
	mux.Handle("GET /metrics", apiHeaders(s.metricsAuth(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{s},
		ErrorHandling: promhttp.ContinueOnError,
	}))))
}

// handleHealthz handles "GET /healthz": the process is up. No auth.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// handleReadyz handles "GET /readyz": 200 when Ready succeeds, else 503.
// No auth, so the body never says why; the log does.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			s.Logger.Warn("not ready", "err", err, "request_id", RequestIDFromContext(r.Context()))
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("unavailable\n"))
			return
		}
	}
	w.Write([]byte("ok\n"))
}

// metricsAuth lets through the metrics token or a principal with the admin
// role (by default, the admin token).
func (s *Server) metricsAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok, ok := bearerToken(r); ok && tokenEqual(tok, s.MetricsToken) {
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.authenticate(r)
		if err != nil {
			Error(w, r, err)
			return
		}
		if p.Role != ward.RoleAdmin {
			Error(w, r, ward.Errorf(ward.EFORBIDDEN, "Your role (%s) may not read metrics.", p.Role))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// slogPrinter adapts the server's logger to promhttp's ErrorLog.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) { p.s.Logger.Warn("serve metrics", "err", v) }
