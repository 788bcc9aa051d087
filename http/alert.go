package http

import (
	"net/http"

	"github.com/wardhq/ward"
)

func (s *Server) registerAlertRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/alerts", s.handleAlertList)
	mux.HandleFunc("GET /api/v1/alerts/{id}", s.handleAlertView)
}

// handleAlertList handles "GET /api/v1/alerts" (newest first).
func (s *Server) handleAlertList(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAlerts, false); err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.AlertFilter{
		ID:       q.str("id"),
		Rule:     q.str("rule"),
		Severity: enum(q, "severity", ward.Severity.Valid),
		Status:   enum(q, "status", ward.AlertStatus.Valid),
		WorkerID: q.str("worker_id"),
		VendorID: q.str("vendor_id"),
		Page:     q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	alerts, n, err := s.Services.Alerts.FindAlerts(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, alerts, n, f.Page)
}

// handleAlertView handles "GET /api/v1/alerts/{id}".
func (s *Server) handleAlertView(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAlerts, false); err != nil {
		Error(w, r, err)
		return
	}
	a, err := s.Services.Alerts.FindAlertByID(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, a)
}
