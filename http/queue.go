package http

import (
	"net/http"
	"time"

	"github.com/wardhq/ward"
)

func (s *Server) registerQueueRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/queues", s.handleQueueList)
	mux.HandleFunc("POST /api/v1/queues", s.handleQueueCreate)
	mux.HandleFunc("GET /api/v1/queues/{id}", s.handleQueueView)
	mux.HandleFunc("PATCH /api/v1/queues/{id}", s.handleQueueUpdate)
}

// handleQueueList handles "GET /api/v1/queues".
func (s *Server) handleQueueList(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resQueues, false); err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.QueueFilter{
		ID:       q.str("id"),
		Name:     q.str("name"),
		Function: enum(q, "function", ward.Function.Valid),
		Page:     q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	queues, n, err := s.Services.Queues.FindQueues(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, queues, n, f.Page)
}

// handleQueueCreate handles "POST /api/v1/queues".
func (s *Server) handleQueueCreate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resQueues, true); err != nil {
		Error(w, r, err)
		return
	}
	var queue ward.Queue
	if err := decode(w, r, &queue); err != nil {
		Error(w, r, err)
		return
	}
	queue.ID, queue.CreatedAt, queue.UpdatedAt = "", time.Time{}, time.Time{} // ward sets these
	if err := s.Services.Queues.CreateQueue(r.Context(), &queue); err != nil {
		Error(w, r, err)
		return
	}
	created(w, r, "/api/v1/queues", queue.ID, &queue)
}

// handleQueueView handles "GET /api/v1/queues/{id}".
func (s *Server) handleQueueView(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resQueues, false); err != nil {
		Error(w, r, err)
		return
	}
	queue, err := s.Services.Queues.FindQueueByID(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, queue)
}

// handleQueueUpdate handles "PATCH /api/v1/queues/{id}".
func (s *Server) handleQueueUpdate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resQueues, true); err != nil {
		Error(w, r, err)
		return
	}
	var upd ward.QueueUpdate
	if err := decode(w, r, &upd); err != nil {
		Error(w, r, err)
		return
	}
	queue, err := s.Services.Queues.UpdateQueue(r.Context(), r.PathValue("id"), upd)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, queue)
}
