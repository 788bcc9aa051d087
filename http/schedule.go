package http

import (
	"net/http"
	"time"

	"github.com/wardhq/ward"
)

func (s *Server) registerScheduleRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/schedules", s.handleScheduleList)
	mux.HandleFunc("POST /api/v1/schedules", s.handleScheduleCreate)
	mux.HandleFunc("GET /api/v1/schedules/{id}", s.handleScheduleView)
	mux.HandleFunc("PATCH /api/v1/schedules/{id}", s.handleScheduleUpdate)
}

// handleScheduleList handles "GET /api/v1/schedules".
func (s *Server) handleScheduleList(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSchedules, false); err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.ScheduleFilter{
		ID:   q.str("id"),
		Name: q.str("name"),
		Page: q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	schedules, n, err := s.Services.Schedules.FindSchedules(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, schedules, n, f.Page)
}

// handleScheduleCreate handles "POST /api/v1/schedules".
func (s *Server) handleScheduleCreate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSchedules, true); err != nil {
		Error(w, r, err)
		return
	}
	var sch ward.Schedule
	if err := decode(w, r, &sch); err != nil {
		Error(w, r, err)
		return
	}
	sch.ID, sch.CreatedAt, sch.UpdatedAt = "", time.Time{}, time.Time{} // ward sets these
	if err := s.Services.Schedules.CreateSchedule(r.Context(), &sch); err != nil {
		Error(w, r, err)
		return
	}
	created(w, r, "/api/v1/schedules", sch.ID, &sch)
}

// handleScheduleView handles "GET /api/v1/schedules/{id}".
func (s *Server) handleScheduleView(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSchedules, false); err != nil {
		Error(w, r, err)
		return
	}
	sch, err := s.Services.Schedules.FindScheduleByID(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, sch)
}

// handleScheduleUpdate handles "PATCH /api/v1/schedules/{id}".
func (s *Server) handleScheduleUpdate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSchedules, true); err != nil {
		Error(w, r, err)
		return
	}
	var upd ward.ScheduleUpdate
	if err := decode(w, r, &upd); err != nil {
		Error(w, r, err)
		return
	}
	sch, err := s.Services.Schedules.UpdateSchedule(r.Context(), r.PathValue("id"), upd)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, sch)
}
