package http

import (
	"net/http"

	"github.com/wardhq/ward"
)

func (s *Server) registerGrantRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/grants", s.handleGrantList)
	mux.HandleFunc("GET /api/v1/grants/{id}", s.handleGrantView)
}

// handleGrantList handles "GET /api/v1/grants". live_at=now (or an RFC 3339
// time) keeps only grants in force at that instant.
func (s *Server) handleGrantList(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resGrants, false); err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.GrantFilter{
		ID:         q.str("id"),
		WorkerID:   q.str("worker_id"),
		TaskID:     q.str("task_id"),
		PatientRef: q.str("patient_ref"),
		LiveAt:     q.instant("live_at", s.Now),
		Page:       q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	grants, n, err := s.Services.Grants.FindGrants(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, grants, n, f.Page)
}

// handleGrantView handles "GET /api/v1/grants/{id}".
func (s *Server) handleGrantView(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resGrants, false); err != nil {
		Error(w, r, err)
		return
	}
	g, err := s.Services.Grants.FindGrantByID(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, g)
}
