package http

import (
	"context"
	"net/http"
	"time"

	"github.com/wardhq/ward"
)

func (s *Server) registerWorkerRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/workers", s.handleWorkerList)
	mux.HandleFunc("POST /api/v1/workers", s.handleWorkerCreate)
	mux.HandleFunc("GET /api/v1/workers/{id}", s.handleWorkerView)
	mux.HandleFunc("PATCH /api/v1/workers/{id}", s.handleWorkerUpdate)
	mux.HandleFunc("POST /api/v1/workers/{id}/transitions", s.handleWorkerTransition)
}

// handleWorkerList handles "GET /api/v1/workers". A supervisor sees only
// their own vendor's staff; a worker sees only their own record.
func (s *Server) handleWorkerList(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resWorkers, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.WorkerFilter{
		ID:         q.str("id"),
		Username:   q.str("username"),
		ExternalID: q.str("external_id"),
		VendorID:   q.str("vendor_id"),
		TeamID:     q.str("team_id"),
		ScheduleID: q.str("schedule_id"),
		Role:       enum(q, "role", ward.Role.Valid),
		Status:     enum(q, "status", ward.WorkerStatus.Valid),
		Page:       q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	if err := a.scopeVendorFilter(&f.VendorID); err != nil {
		Error(w, r, err)
		return
	}
	if a.scope == scopeSelf {
		if f.ID != nil && *f.ID != a.p.WorkerID {
			Error(w, r, &ward.Error{Code: ward.EFORBIDDEN, Field: "id", Message: "You may list only your own worker record."})
			return
		}
		id := a.p.WorkerID
		f.ID = &id
	}
	workers, n, err := s.Services.Workers.FindWorkers(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, workers, n, f.Page)
}

// handleWorkerCreate handles "POST /api/v1/workers". A supervisor may add
// workers and supervisors to their own vendor only (vendor_id defaults to
// it), and may not choose the starting status, which would skip
// onboarding.
func (s *Server) handleWorkerCreate(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resWorkers, true)
	if err != nil {
		Error(w, r, err)
		return
	}
	var wk ward.Worker
	if err := decode(w, r, &wk); err != nil {
		Error(w, r, err)
		return
	}
	wk.ID, wk.Transitions, wk.CreatedAt, wk.UpdatedAt = "", nil, time.Time{}, time.Time{} // ward sets these
	if !a.all() {
		if wk.VendorID == "" {
			wk.VendorID = a.p.VendorID
		}
		switch {
		case !a.ownsVendor(wk.VendorID):
			Error(w, r, &ward.Error{Code: ward.EFORBIDDEN, Field: "vendor_id", Message: "You may add staff to your own vendor only."})
			return
		case !vendorRole(wk.Role):
			Error(w, r, &ward.Error{Code: ward.EFORBIDDEN, Field: "role", Message: "You may add only workers and supervisors."})
			return
		case wk.Status != "":
			Error(w, r, &ward.Error{Code: ward.EFORBIDDEN, Field: "status", Message: "New staff start as invited; only an administrator may import a status."})
			return
		}
	}
	if s.Lifecycle != nil && wk.Status != "" && wk.Status != ward.WorkerInvited && wk.Status != ward.WorkerOnboarding {
		Error(w, r, &ward.Error{Code: ward.EUNPROCESSABLE, Field: "status", Message: "New staff start as invited or onboarding; they become active through the onboarding checklist."})
		return
	}
	if err := s.Services.Workers.CreateWorker(r.Context(), &wk); err != nil {
		Error(w, r, err)
		return
	}
	created(w, r, "/api/v1/workers", wk.ID, &wk)
}

// vendorRole reports whether a supervisor may give role to their staff.
func vendorRole(role ward.Role) bool {
	return role == ward.RoleWorker || role == ward.RoleSupervisor
}

// handleWorkerView handles "GET /api/v1/workers/{id}".
func (s *Server) handleWorkerView(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resWorkers, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	id := r.PathValue("id")
	if a.scope == scopeSelf && id != a.p.WorkerID {
		Error(w, r, ward.Errorf(ward.EFORBIDDEN, "You may read only your own worker record."))
		return
	}
	wk, err := s.findWorker(r, a, id)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, wk)
}

// findWorker returns worker id if it is inside a, and ENOTFOUND otherwise.
func (s *Server) findWorker(r *http.Request, a access, id string) (*ward.Worker, error) {
	wk, err := s.Services.Workers.FindWorkerByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !a.ownsWorker(wk) {
		return nil, errOutOfScope("Worker")
	}
	return wk, nil
}

// handleWorkerUpdate handles "PATCH /api/v1/workers/{id}".
func (s *Server) handleWorkerUpdate(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resWorkers, true)
	if err != nil {
		Error(w, r, err)
		return
	}
	var upd ward.WorkerUpdate
	if err := decode(w, r, &upd); err != nil {
		Error(w, r, err)
		return
	}
	id := r.PathValue("id")
	if !a.all() {
		if _, err := s.findWorker(r, a, id); err != nil {
			Error(w, r, err)
			return
		}
		if upd.Role != nil && !vendorRole(*upd.Role) {
			Error(w, r, &ward.Error{Code: ward.EFORBIDDEN, Field: "role", Message: "You may give only the worker and supervisor roles."})
			return
		}
	}
	wk, err := s.Services.Workers.UpdateWorker(r.Context(), id, upd)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, wk)
}

// workerTransitionRequest is the body of a worker transition.
type workerTransitionRequest struct {
	To     ward.WorkerStatus `json:"to"`
	Reason string            `json:"reason"`
}

// handleWorkerTransition handles "POST /api/v1/workers/{id}/transitions":
// it moves the worker through its lifecycle and returns the worker.
func (s *Server) handleWorkerTransition(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resWorkers, true)
	if err != nil {
		Error(w, r, err)
		return
	}
	var req workerTransitionRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	id := r.PathValue("id")
	if !a.all() {
		if _, err := s.findWorker(r, a, id); err != nil {
			Error(w, r, err)
			return
		}
	}
	wk, err := s.transitionWorker(r.Context(), id, req.To, req.Reason)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, wk)
}

// transitionWorker moves a worker through the lifecycle. With a Lifecycle,
// activation requires the onboarding checklist, and suspension and
// offboarding end the worker's sessions and grants at once.
func (s *Server) transitionWorker(ctx context.Context, id string, to ward.WorkerStatus, reason string) (*ward.Worker, error) {
	if s.Lifecycle != nil {
		switch to {
		case ward.WorkerActive:
			return s.Lifecycle.Activate(ctx, id, reason)
		case ward.WorkerSuspended:
			return s.Lifecycle.Suspend(ctx, id, reason)
		case ward.WorkerOffboarded:
			return s.Lifecycle.Offboard(ctx, id, reason)
		}
	}
	return s.Services.Workers.TransitionWorker(ctx, id, to, reason)
}
