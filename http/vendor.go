package http

import (
	"net/http"
	"time"

	"github.com/wardhq/ward"
)

func (s *Server) registerVendorRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/vendors", s.handleVendorList)
	mux.HandleFunc("POST /api/v1/vendors", s.handleVendorCreate)
	mux.HandleFunc("GET /api/v1/vendors/{id}", s.handleVendorView)
	mux.HandleFunc("PATCH /api/v1/vendors/{id}", s.handleVendorUpdate)
}

// handleVendorList handles "GET /api/v1/vendors".
func (s *Server) handleVendorList(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resVendors, false); err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.VendorFilter{
		ID:        q.str("id"),
		Name:      q.str("name"),
		BAAStatus: enum(q, "baa_status", ward.BAAStatus.Valid),
		Page:      q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	vs, n, err := s.Services.Vendors.FindVendors(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, vs, n, f.Page)
}

// handleVendorCreate handles "POST /api/v1/vendors".
func (s *Server) handleVendorCreate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resVendors, true); err != nil {
		Error(w, r, err)
		return
	}
	var v ward.Vendor
	if err := decode(w, r, &v); err != nil {
		Error(w, r, err)
		return
	}
	v.ID, v.CreatedAt, v.UpdatedAt = "", time.Time{}, time.Time{} // ward sets these
	if err := s.Services.Vendors.CreateVendor(r.Context(), &v); err != nil {
		Error(w, r, err)
		return
	}
	created(w, r, "/api/v1/vendors", v.ID, &v)
}

// handleVendorView handles "GET /api/v1/vendors/{id}".
func (s *Server) handleVendorView(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resVendors, false); err != nil {
		Error(w, r, err)
		return
	}
	v, err := s.Services.Vendors.FindVendorByID(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, v)
}

// handleVendorUpdate handles "PATCH /api/v1/vendors/{id}".
func (s *Server) handleVendorUpdate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resVendors, true); err != nil {
		Error(w, r, err)
		return
	}
	var upd ward.VendorUpdate
	if err := decode(w, r, &upd); err != nil {
		Error(w, r, err)
		return
	}
	v, err := s.Services.Vendors.UpdateVendor(r.Context(), r.PathValue("id"), upd)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, v)
}
