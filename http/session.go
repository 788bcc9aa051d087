package http

import (
	"net/http"

	"github.com/wardhq/ward"
)

func (s *Server) registerSessionRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/sessions", s.handleSessionList)
	mux.HandleFunc("GET /api/v1/sessions/{id}", s.handleSessionView)
}

// handleSessionList handles "GET /api/v1/sessions". Token hashes are never
// rendered (ward.Session tags them json:"-").
func (s *Server) handleSessionList(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSessions, false); err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.SessionFilter{
		ID:       q.str("id"),
		WorkerID: q.str("worker_id"),
		LiveAt:   q.instant("live_at", s.Now),
		Page:     q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	sessions, n, err := s.Services.Sessions.FindSessions(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, sessions, n, f.Page)
}

// handleSessionView handles "GET /api/v1/sessions/{id}".
func (s *Server) handleSessionView(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSessions, false); err != nil {
		Error(w, r, err)
		return
	}
	sess, err := s.Services.Sessions.FindSessionByID(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, sess)
}
