package http

import (
	"net/http"
	"time"

	"github.com/wardhq/ward"
)

func (s *Server) registerSiteRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/sites", s.handleSiteList)
	mux.HandleFunc("POST /api/v1/sites", s.handleSiteCreate)
	mux.HandleFunc("GET /api/v1/sites/{id}", s.handleSiteView)
	mux.HandleFunc("PATCH /api/v1/sites/{id}", s.handleSiteUpdate)
}

// handleSiteList handles "GET /api/v1/sites". A supervisor sees only the
// sites of their own vendor.
func (s *Server) handleSiteList(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resSites, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.SiteFilter{
		ID:       q.str("id"),
		VendorID: q.str("vendor_id"),
		Name:     q.str("name"),
		Country:  enum(q, "country", ward.ValidCountry),
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
	sites, n, err := s.Services.Sites.FindSites(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, sites, n, f.Page)
}

// handleSiteCreate handles "POST /api/v1/sites".
func (s *Server) handleSiteCreate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSites, true); err != nil {
		Error(w, r, err)
		return
	}
	var site ward.Site
	if err := decode(w, r, &site); err != nil {
		Error(w, r, err)
		return
	}
	site.ID, site.CreatedAt, site.UpdatedAt = "", time.Time{}, time.Time{} // ward sets these
	if err := s.Services.Sites.CreateSite(r.Context(), &site); err != nil {
		Error(w, r, err)
		return
	}
	created(w, r, "/api/v1/sites", site.ID, &site)
}

// handleSiteView handles "GET /api/v1/sites/{id}".
func (s *Server) handleSiteView(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resSites, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	site, err := s.Services.Sites.FindSiteByID(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	if !a.ownsVendor(site.VendorID) {
		Error(w, r, errOutOfScope("Site"))
		return
	}
	writeJSON(w, r, http.StatusOK, site)
}

// handleSiteUpdate handles "PATCH /api/v1/sites/{id}".
func (s *Server) handleSiteUpdate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSites, true); err != nil {
		Error(w, r, err)
		return
	}
	var upd ward.SiteUpdate
	if err := decode(w, r, &upd); err != nil {
		Error(w, r, err)
		return
	}
	site, err := s.Services.Sites.UpdateSite(r.Context(), r.PathValue("id"), upd)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, site)
}
