package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/wardhq/ward"
)

type contextKey int

const (
	requestIDContextKey contextKey = iota + 1
	stateContextKey
)

// requestState is what the outer middleware learns while inner handlers
// run: dispatch fills in the route pattern for metrics and the access log.
type requestState struct {
	route  string
	logger *slog.Logger
}

func stateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateContextKey).(*requestState)
	return st
}

// routeFrom returns the route pattern of the request, or "" before routing.
func routeFrom(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.route
	}
	return ""
}

// logger returns the server's logger for r, or slog's default outside a
// Server (for example when Error is used by a mounted handler under test).
func logger(r *http.Request) *slog.Logger {
	if st := stateFrom(r.Context()); st != nil && st.logger != nil {
		return st.logger
	}
	return slog.Default()
}

// RequestIDFromContext returns the request ID the server assigned to the
// request whose context is ctx, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDContextKey).(string)
	return id
}

// requestID takes the client's X-Request-ID when it is short and plain
// (so that it cannot forge log lines) or makes a new one, and echoes it.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDContextKey, id)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}

// observe records metrics and writes one access log line per request. It
// logs method, route pattern, status, duration and request ID, and never
// the path, query string or body, which may carry PHI.
func (s *Server) observe(m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.Now()
		st := &requestState{logger: s.Logger}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), stateContextKey, st)))

		d := s.Now().Sub(start)
		route := st.route
		if route == "" {
			route = "unmatched"
		}
		method := methodLabel(r.Method)
		status := sw.Status()
		m.observe(route, method, status, d)
		s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "http request",
			slog.String("method", method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Duration("duration", d),
			slog.Int64("bytes", sw.written),
			slog.String("request_id", RequestIDFromContext(r.Context())))
	})
}

// methodLabel bounds the method label: clients may send any token.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// recoverer turns a panic into a logged 500 problem, so that no input can
// crash the server. http.ErrAbortHandler keeps its meaning (abort quietly).
func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			logger(r).LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())),
				slog.String("method", r.Method),
				slog.String("route", routeFrom(r.Context())),
				slog.String("request_id", RequestIDFromContext(r.Context())))
			if sw, ok := w.(*statusWriter); ok && sw.wroteHeader {
				return // too late for a problem document; the client sees a cut response
			}
			Error(w, r, ward.Errorf(ward.EINTERNAL, "Internal error."))
		}()
		next.ServeHTTP(w, r)
	})
}

// secureHeaders sets the headers every response carries.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// apiHeaders sets the headers of responses that are data, not pages: they
// must never be cached, framed or run as a document.
func apiHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status and byte count of a response.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	written     int64
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader && code >= 200 {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.written += int64(n)
	return n, err
}

// Status returns the status sent, or 200 if the handler wrote nothing.
func (w *statusWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the connection, for example to
// flush a streamed response or extend a deadline.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher for handlers that test for it directly.
func (w *statusWriter) Flush() {
	if !w.wroteHeader {
		w.status, w.wroteHeader = http.StatusOK, true
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}
