package http

import (
	"net/http"
	"time"

	"github.com/wardhq/ward"
)

func (s *Server) registerOrganizationRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/organization", s.handleOrganizationView)
	mux.HandleFunc("PUT /api/v1/organization", s.handleOrganizationSet)
}

// handleOrganizationView handles "GET /api/v1/organization".
func (s *Server) handleOrganizationView(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resOrganization, false); err != nil {
		Error(w, r, err)
		return
	}
	o, err := s.Services.Organizations.FindOrganization(r.Context())
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, o)
}

// handleOrganizationSet handles "PUT /api/v1/organization": it creates the
// organization or replaces its name and time zone.
func (s *Server) handleOrganizationSet(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resOrganization, true); err != nil {
		Error(w, r, err)
		return
	}
	var o ward.Organization
	if err := decode(w, r, &o); err != nil {
		Error(w, r, err)
		return
	}
	o.ID, o.CreatedAt, o.UpdatedAt = "", time.Time{}, time.Time{} // ward sets these
	if err := s.Services.Organizations.SetOrganization(r.Context(), &o); err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, &o)
}
