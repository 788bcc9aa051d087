package http

import (
	"context"
	"net/http"

	"github.com/wardhq/ward"
)

// Router hands out work and its just-in-time grants; routing.Router
// implements it.
type Router interface {
	Next(ctx context.Context, workerID string) (*ward.Task, *ward.Grant, error)
	Complete(ctx context.Context, workerID, taskID string) (*ward.Task, error)
	Release(ctx context.Context, workerID, taskID, reason string) (*ward.Task, error)
	Reassign(ctx context.Context, taskID, toWorkerID, reason string) (*ward.Task, error)
}

// registerRoutingRoutes registers taking, finishing and handing over
// work, and the task-type profiles.
func (s *Server) registerRoutingRoutes(mux *router) {
	mux.HandleFunc("POST /api/v1/tasks/next", s.handleTaskNext)
	mux.HandleFunc("POST /api/v1/tasks/{id}/complete", s.handleTaskComplete)
	mux.HandleFunc("POST /api/v1/tasks/{id}/release", s.handleTaskRelease)
	mux.HandleFunc("POST /api/v1/tasks/{id}/reassign", s.handleTaskReassign)
	mux.HandleFunc("GET /api/v1/profiles", s.handleProfileList)
	mux.HandleFunc("GET /api/v1/profiles/{type}", s.handleProfileView)
}

// assignedTask is a task as the worker who takes it sees it.
type assignedTask struct {
	*ward.Task
	Patient   string   `json:"patient"`
	Encounter string   `json:"encounter,omitempty"`
	Tags      []string `json:"tags"`
}

// grantScope is what a grant reaches.
type grantScope struct {
	Patient       string   `json:"patient"`
	ResourceTypes []string `json:"resource_types"`
	Interactions  []string `json:"interactions"`
}

// issuedGrant is a grant with its scope spelled out.
type issuedGrant struct {
	*ward.Grant
	Scope grantScope `json:"scope"`
}

type nextResponse struct {
	Task  assignedTask `json:"task"`
	Grant issuedGrant  `json:"grant"`
}

func viewTask(t *ward.Task) assignedTask {
	tags := t.SensitivityTags
	if tags == nil {
		tags = []string{}
	}
	return assignedTask{Task: t, Patient: t.PatientRef, Encounter: t.EncounterRef, Tags: tags}
}

// takingWorker returns the calling worker's ID, or EFORBIDDEN: only a
// worker with a session takes work, and only for themself.
func takingWorker(r *http.Request) (string, error) {
	p := ward.PrincipalFromContext(r.Context())
	if p == nil || p.Role != ward.RoleWorker || p.WorkerID == "" {
		return "", ward.Errorf(ward.EFORBIDDEN, "Only a worker takes and finishes tasks, as themself.")
	}
	return p.WorkerID, nil
}

func (s *Server) needRouter() error {
	if s.Router == nil {
		return ward.Errorf(ward.ENOTIMPLEMENTED, "Task routing is not configured on this server.")
	}
	return nil
}

// handleTaskNext handles "POST /api/v1/tasks/next": the calling worker's
// next task and the grant that opens its patient's record, or 204 when
// nothing is eligible.
func (s *Server) handleTaskNext(w http.ResponseWriter, r *http.Request) {
	if err := s.needRouter(); err != nil {
		Error(w, r, err)
		return
	}
	id, err := takingWorker(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	t, g, err := s.Router.Next(r.Context(), id)
	if err != nil {
		Error(w, r, err)
		return
	}
	if t == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, r, http.StatusOK, nextResponse{
		Task:  viewTask(t),
		Grant: issuedGrant{Grant: g, Scope: grantScope{Patient: g.PatientRef, ResourceTypes: g.ResourceTypes, Interactions: g.Interactions}},
	})
}

// handleTaskComplete handles "POST /api/v1/tasks/{id}/complete": the
// worker finished; the task's grant ends.
func (s *Server) handleTaskComplete(w http.ResponseWriter, r *http.Request) {
	if err := s.needRouter(); err != nil {
		Error(w, r, err)
		return
	}
	id, err := takingWorker(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	t, err := s.Router.Complete(r.Context(), id, r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, viewTask(t))
}

type releaseRequest struct {
	Reason string `json:"reason"`
}

// handleTaskRelease handles "POST /api/v1/tasks/{id}/release": the worker
// gives the task back to its queue; the grant ends.
func (s *Server) handleTaskRelease(w http.ResponseWriter, r *http.Request) {
	if err := s.needRouter(); err != nil {
		Error(w, r, err)
		return
	}
	id, err := takingWorker(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	var req releaseRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			Error(w, r, err)
			return
		}
	}
	if req.Reason == "" {
		req.Reason = "released"
	}
	t, err := s.Router.Release(r.Context(), id, r.PathValue("id"), req.Reason)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, viewTask(t))
}

type reassignRequest struct {
	WorkerID string `json:"worker_id"`
	Reason   string `json:"reason"`
}

// handleTaskReassign handles "POST /api/v1/tasks/{id}/reassign": a
// supervisor moves a task between their own vendor's workers (an
// administrator, between any); the old grant ends, the new assignee gets
// one when they take it, and only if they are eligible.
func (s *Server) handleTaskReassign(w http.ResponseWriter, r *http.Request) {
	if err := s.needRouter(); err != nil {
		Error(w, r, err)
		return
	}
	a, err := authorize(r, resWorkers, true)
	if err != nil {
		Error(w, r, err)
		return
	}
	if a.scope == scopeSelf {
		Error(w, r, ward.Errorf(ward.EFORBIDDEN, "Your role (%s) may not reassign tasks.", a.p.Role))
		return
	}
	var req reassignRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	if req.Reason == "" {
		Error(w, r, ward.FieldErrorf("reason", "A reason is required."))
		return
	}
	if _, err := s.findWorker(r, a, req.WorkerID); err != nil {
		Error(w, r, err)
		return
	}
	if !a.all() {
		t, err := s.Services.Tasks.FindTaskByID(r.Context(), r.PathValue("id"))
		if err != nil {
			Error(w, r, err)
			return
		}
		if t.AssigneeID == "" {
			Error(w, r, errOutOfScope("Task"))
			return
		}
		if _, err := s.findWorker(r, a, t.AssigneeID); err != nil {
			Error(w, r, errOutOfScope("Task"))
			return
		}
	}
	t, err := s.Router.Reassign(r.Context(), r.PathValue("id"), req.WorkerID, req.Reason)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, viewTask(t))
}

// handleProfileList handles "GET /api/v1/profiles": what each task type
// may see (minimum necessary). Any authenticated caller may read them.
func (s *Server) handleProfileList(w http.ResponseWriter, r *http.Request) {
	if s.Profiles == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Task-type profiles are not configured on this server."))
		return
	}
	writeJSON(w, r, http.StatusOK, s.Profiles)
}

// handleProfileView handles "GET /api/v1/profiles/{type}".
func (s *Server) handleProfileView(w http.ResponseWriter, r *http.Request) {
	if s.Profiles == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Task-type profiles are not configured on this server."))
		return
	}
	p, ok := s.Profiles.For(ward.Function(r.PathValue("type")))
	if !ok {
		Error(w, r, ward.Errorf(ward.ENOTFOUND, "No profile for task type %q.", r.PathValue("type")))
		return
	}
	writeJSON(w, r, http.StatusOK, p)
}
