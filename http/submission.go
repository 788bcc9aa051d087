package http

import (
	"net/http"

	"github.com/wardhq/ward"
)

func (s *Server) registerSubmissionRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/submissions", s.handleSubmissionList)
	mux.HandleFunc("GET /api/v1/submissions/{id}", s.handleSubmissionView)
}

// handleSubmissionList handles "GET /api/v1/submissions".
func (s *Server) handleSubmissionList(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSubmissions, false); err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.SubmissionFilter{
		ID:       q.str("id"),
		TaskID:   q.str("task_id"),
		WorkerID: q.str("worker_id"),
		Status:   enum(q, "status", ward.SubmissionStatus.Valid),
		Page:     q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	subs, n, err := s.Services.Submissions.FindSubmissions(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, subs, n, f.Page)
}

// handleSubmissionView handles "GET /api/v1/submissions/{id}".
func (s *Server) handleSubmissionView(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSubmissions, false); err != nil {
		Error(w, r, err)
		return
	}
	sub, err := s.Services.Submissions.FindSubmissionByID(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, sub)
}
