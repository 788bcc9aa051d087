package http

import (
	"net/http"
	"time"

	"github.com/wardhq/ward"
)

func (s *Server) registerTaskRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/tasks", s.handleTaskList)
	mux.HandleFunc("POST /api/v1/tasks", s.handleTaskCreate)
	mux.HandleFunc("GET /api/v1/tasks/{id}", s.handleTaskView)
	mux.HandleFunc("PATCH /api/v1/tasks/{id}", s.handleTaskUpdate)
	mux.HandleFunc("POST /api/v1/tasks/{id}/transitions", s.handleTaskTransition)
}

// handleTaskList handles "GET /api/v1/tasks". A task belongs to a vendor
// only through its assignee, so a supervisor must filter by assignee_id,
// naming one of their vendor's workers.
func (s *Server) handleTaskList(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resTasks, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.TaskFilter{
		ID:         q.str("id"),
		QueueID:    q.str("queue_id"),
		Type:       enum(q, "type", ward.Function.Valid),
		Status:     enum(q, "status", ward.TaskStatus.Valid),
		AssigneeID: q.str("assignee_id"),
		PatientRef: q.str("patient_ref"),
		ExternalID: q.str("external_id"),
		Tag:        enum(q, "tag", ward.ValidTag),
		Page:       q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	if !a.all() {
		if err := s.checkAssignee(r, a, f.AssigneeID); err != nil {
			Error(w, r, err)
			return
		}
	}
	tasks, n, err := s.Services.Tasks.FindTasks(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, tasks, n, f.Page)
}

// checkAssignee returns EFORBIDDEN unless assigneeID names a worker inside
// a's scope.
func (s *Server) checkAssignee(r *http.Request, a access, assigneeID *string) error {
	forbidden := &ward.Error{Code: ward.EFORBIDDEN, Field: "assignee_id", Message: "Filter tasks by assignee_id, one of your vendor's workers."}
	if assigneeID == nil {
		return forbidden
	}
	if _, err := s.findWorker(r, a, *assigneeID); ward.ErrorCode(err) == ward.ENOTFOUND {
		return forbidden
	} else if err != nil {
		return err
	}
	return nil
}

// handleTaskCreate handles "POST /api/v1/tasks".
func (s *Server) handleTaskCreate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resTasks, true); err != nil {
		Error(w, r, err)
		return
	}
	var t ward.Task
	if err := decode(w, r, &t); err != nil {
		Error(w, r, err)
		return
	}
	t.ID, t.Transitions, t.CreatedAt, t.UpdatedAt = "", nil, time.Time{}, time.Time{} // ward sets these
	create := s.Services.Tasks.CreateTask
	if s.Intake != nil {
		create = s.Intake
	}
	if err := create(r.Context(), &t); err != nil {
		Error(w, r, err)
		return
	}
	created(w, r, "/api/v1/tasks", t.ID, &t)
}

// handleTaskView handles "GET /api/v1/tasks/{id}". A supervisor sees a
// task only while one of their vendor's workers is its assignee.
func (s *Server) handleTaskView(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resTasks, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	t, err := s.Services.Tasks.FindTaskByID(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	if !a.all() {
		if t.AssigneeID == "" {
			Error(w, r, errOutOfScope("Task"))
			return
		}
		if _, err := s.findWorker(r, a, t.AssigneeID); ward.ErrorCode(err) == ward.ENOTFOUND {
			Error(w, r, errOutOfScope("Task"))
			return
		} else if err != nil {
			Error(w, r, err)
			return
		}
	}
	writeJSON(w, r, http.StatusOK, t)
}

// taskUpdateRequest is the body of a task PATCH. It decodes due_at itself
// so that null clears the due time while an absent due_at leaves it.
type taskUpdateRequest struct {
	ward.TaskUpdate
	DueAt nullTime `json:"due_at"`
}

// handleTaskUpdate handles "PATCH /api/v1/tasks/{id}".
func (s *Server) handleTaskUpdate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resTasks, true); err != nil {
		Error(w, r, err)
		return
	}
	var req taskUpdateRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	upd := req.TaskUpdate
	upd.DueAt = req.DueAt.update()
	t, err := s.Services.Tasks.UpdateTask(r.Context(), r.PathValue("id"), upd)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, t)
}

// handleTaskTransition handles "POST /api/v1/tasks/{id}/transitions".
func (s *Server) handleTaskTransition(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resTasks, true); err != nil {
		Error(w, r, err)
		return
	}
	var tr ward.TaskTransition
	if err := decode(w, r, &tr); err != nil {
		Error(w, r, err)
		return
	}
	t, err := s.Services.Tasks.TransitionTask(r.Context(), r.PathValue("id"), tr)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, t)
}
