package http

import (
	"net/http"
	"time"

	"github.com/wardhq/ward"
)

func (s *Server) registerTeamRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/teams", s.handleTeamList)
	mux.HandleFunc("POST /api/v1/teams", s.handleTeamCreate)
	mux.HandleFunc("GET /api/v1/teams/{id}", s.handleTeamView)
	mux.HandleFunc("PATCH /api/v1/teams/{id}", s.handleTeamUpdate)
}

// handleTeamList handles "GET /api/v1/teams". A supervisor sees only the
// teams of their own vendor.
func (s *Server) handleTeamList(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resTeams, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.TeamFilter{
		ID:       q.str("id"),
		VendorID: q.str("vendor_id"),
		SiteID:   q.str("site_id"),
		Name:     q.str("name"),
		Function: enum(q, "function", ward.Function.Valid),
		Page:     q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	if err := a.scopeVendorFilter(&f.VendorID); err != nil {
		Error(w, r, err)
		return
	}
	teams, n, err := s.Services.Teams.FindTeams(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, teams, n, f.Page)
}

// handleTeamCreate handles "POST /api/v1/teams".
func (s *Server) handleTeamCreate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resTeams, true); err != nil {
		Error(w, r, err)
		return
	}
	var team ward.Team
	if err := decode(w, r, &team); err != nil {
		Error(w, r, err)
		return
	}
	team.ID, team.CreatedAt, team.UpdatedAt = "", time.Time{}, time.Time{} // ward sets these
	if err := s.Services.Teams.CreateTeam(r.Context(), &team); err != nil {
		Error(w, r, err)
		return
	}
	created(w, r, "/api/v1/teams", team.ID, &team)
}

// handleTeamView handles "GET /api/v1/teams/{id}".
func (s *Server) handleTeamView(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resTeams, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	team, err := s.Services.Teams.FindTeamByID(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	if !a.ownsVendor(team.VendorID) {
		Error(w, r, errOutOfScope("Team"))
		return
	}
	writeJSON(w, r, http.StatusOK, team)
}

// handleTeamUpdate handles "PATCH /api/v1/teams/{id}".
func (s *Server) handleTeamUpdate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resTeams, true); err != nil {
		Error(w, r, err)
		return
	}
	var upd ward.TeamUpdate
	if err := decode(w, r, &upd); err != nil {
		Error(w, r, err)
		return
	}
	team, err := s.Services.Teams.UpdateTeam(r.Context(), r.PathValue("id"), upd)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, team)
}
