package http

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// auditChanges records every authenticated change made through the API
// (POST, PUT, PATCH, DELETE) as an event, durably, before the response
// leaves: the handler writes into a buffer, the event is audited, and only
// then is the buffer sent. When the ledger cannot take the event the client
// gets 503 instead, saying that the change may have been saved but was not
// audited, so that nobody mistakes an unaudited change for a failed one.
//
// Reads are not audited here: they carry no PHI on this API, and the
// gateway audits every PHI read itself.
func (s *Server) auditChanges(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Auditor == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedResponse{header: make(http.Header), status: http.StatusOK}
		next.ServeHTTP(buf, r)

		ev := changeEvent(r, buf, s.Now())
		if _, err := s.Auditor.Audit(r.Context(), ev); err != nil {
			logger(r).Error("audit of API change failed", "action", ev.Action, "err", err)
			Error(w, r, ward.Errorf(ward.EUNAVAILABLE, "The audit ledger is unavailable: the change may have been saved but was not audited. Check before retrying."))
			return
		}
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		w.WriteHeader(buf.status)
		w.Write(buf.body.Bytes())
	})
}

// changeEvent describes an API change: the action is "<resource>.<verb>"
// from the route, e.g. worker.transition or vendor.update.
func changeEvent(r *http.Request, buf *bufferedResponse, now time.Time) *ward.Event {
	route := routeFrom(r.Context())
	resource, verb := actionOf(r.Method, route)
	ev := &ward.Event{
		Time:      now.UTC(),
		Action:    resource + "." + verb,
		RequestID: RequestIDFromContext(r.Context()),
		Details:   map[string]string{"route": r.Method + " " + route},
	}
	ev.Actor = eventActor(r)
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ev.Origin.ClientAddr = host
	}
	ev.Target.ResourceType = resourceType(resource)
	ev.Target.ResourceID = r.PathValue("id")
	// What the change produced: the ID a create assigned, the status a
	// transition reached. Only identifiers and states, never names or notes.
	var body struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Field  string `json:"field"`
	}
	_ = json.Unmarshal(buf.body.Bytes(), &body) // a non-JSON body leaves it empty
	if ev.Target.ResourceID == "" {
		ev.Target.ResourceID = body.ID
	}
	if verb == "transition" && body.Status != "" && buf.status < 300 {
		ev.Details["to"] = body.Status
	}
	ev.Outcome.Status = buf.status
	switch {
	case buf.status < 300:
		ev.Outcome.Decision = ward.DecisionSuccess
	case buf.status == http.StatusUnauthorized || buf.status == http.StatusForbidden:
		ev.Outcome.Decision = ward.DecisionDeny
	case buf.status >= 500:
		ev.Outcome.Decision = ward.DecisionError
	default:
		ev.Outcome.Decision = ward.DecisionFailure
		if body.Field != "" {
			ev.Details["field"] = body.Field
		}
	}
	return ev
}

// eventActor describes the request's principal for an audit event.
func eventActor(r *http.Request) ward.EventActor {
	p := ward.PrincipalFromContext(r.Context())
	if p == nil {
		return ward.EventActor{Subject: "anonymous"}
	}
	return ward.EventActor{Subject: p.Subject, Role: p.Role, WorkerID: p.WorkerID, VendorID: p.VendorID}
}

// actionOf maps a method and route pattern to a resource and verb:
// POST /api/v1/vendors → vendor, create; PATCH /api/v1/vendors/{id} →
// vendor, update; POST /api/v1/workers/{id}/transitions → worker,
// transition; PUT /api/v1/organization → organization, set; POST
// /api/v1/audit/checkpoint → audit, checkpoint.
func actionOf(method, route string) (resource, verb string) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(route, apiPrefix), "/"), "/")
	resource = strings.TrimSuffix(parts[0], "s")
	if resource == "" {
		resource = "api"
	}
	last := parts[len(parts)-1]
	switch {
	case method == http.MethodPost && len(parts) == 1:
		verb = "create"
	case method == http.MethodPost && !strings.HasPrefix(last, "{"):
		verb = strings.TrimSuffix(last, "s") // transitions → transition
	case method == http.MethodPut:
		verb = "set"
	case method == http.MethodPatch:
		verb = "update"
	case method == http.MethodDelete:
		verb = "delete"
	default:
		verb = strings.ToLower(method)
	}
	return resource, verb
}

// resourceType turns "worker" into "Worker".
func resourceType(resource string) string {
	if resource == "" {
		return ""
	}
	return strings.ToUpper(resource[:1]) + resource[1:]
}

// bufferedResponse holds a handler's response until it is audited.
type bufferedResponse struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
