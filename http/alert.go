package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/wardhq/ward"
)

// Alert streaming intervals: how often the stream polls the store for
// changes (other replicas' too) and how often it sends a heartbeat comment
// so that proxies keep the connection open.
var (
	alertPoll      = 250 * time.Millisecond
	alertHeartbeat = 15 * time.Second
)

func (s *Server) registerAlertRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/alerts", s.handleAlertList)
	mux.HandleFunc("GET /api/v1/alerts/stream", s.handleAlertStream)
	mux.HandleFunc("GET /api/v1/alerts/deliveries", s.handleAlertDeliveries)
	mux.HandleFunc("GET /api/v1/alerts/{id}", s.handleAlertView)
	mux.HandleFunc("POST /api/v1/alerts/{id}/acknowledge", s.handleAlertStatus(ward.AlertAcknowledged))
	mux.HandleFunc("POST /api/v1/alerts/{id}/resolve", s.handleAlertStatus(ward.AlertResolved))
}

// alertAccess returns the principal's reach over alerts. Alerts have their
// own rules: compliance and admin read and change every alert, auditors
// read every alert, supervisors read their own vendor's workers' alerts;
// nobody else sees them.
func alertAccess(r *http.Request, write bool) (access, error) {
	p := ward.PrincipalFromContext(r.Context())
	if p == nil {
		return access{}, errUnauthenticated
	}
	sc := scopeNone
	switch p.Role {
	case ward.RoleAdmin, ward.RoleCompliance:
		sc = scopeAll
	case ward.RoleAuditor:
		if !write {
			sc = scopeAll
		}
	case ward.RoleSupervisor:
		if !write && p.VendorID != "" {
			sc = scopeVendor
		}
	}
	if sc == scopeNone {
		verb := "read"
		if write {
			verb = "change"
		}
		return access{}, ward.Errorf(ward.EFORBIDDEN, "Your role (%s) may not %s alerts.", p.Role, verb)
	}
	return access{p: p, scope: sc}, nil
}

// monitorStore returns the alert store's monitor features, or 501.
func (s *Server) monitorStore() (ward.MonitorStore, error) {
	m, ok := s.Services.Alerts.(ward.MonitorStore)
	if !ok {
		return nil, ward.Errorf(ward.ENOTIMPLEMENTED, "This ward store does not run the monitor.")
	}
	return m, nil
}

// handleAlertList handles "GET /api/v1/alerts" (newest first), filtered by
// status, severity, rule, worker_id (or worker), vendor_id and since.
func (s *Server) handleAlertList(w http.ResponseWriter, r *http.Request) {
	a, err := alertAccess(r, false)
	if err != nil {
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
	if wk := q.str("worker"); wk != nil {
		f.WorkerID = wk
	}
	since := q.instant("since", s.Now)
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	if err := a.scopeVendorFilter(&f.VendorID); err != nil {
		Error(w, r, err)
		return
	}
	var alerts []*ward.Alert
	var n int
	if m, merr := s.monitorStore(); merr == nil {
		alerts, n, err = m.FindAlertsByQuery(r.Context(), ward.AlertQuery{AlertFilter: f, Since: since})
	} else if since != nil {
		err = merr
	} else {
		alerts, n, err = s.Services.Alerts.FindAlerts(r.Context(), f)
	}
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, alerts, n, f.Page)
}

// handleAlertView handles "GET /api/v1/alerts/{id}".
func (s *Server) handleAlertView(w http.ResponseWriter, r *http.Request) {
	acc, err := alertAccess(r, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	a, err := s.Services.Alerts.FindAlertByID(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	if !acc.ownsVendor(a.VendorID) {
		Error(w, r, errOutOfScope("Alert"))
		return
	}
	writeJSON(w, r, http.StatusOK, a)
}

// alertStatusRequest is the body of acknowledge and resolve.
type alertStatusRequest struct {
	Note string `json:"note"`
}

// handleAlertStatus handles "POST /api/v1/alerts/{id}/acknowledge" and
// ".../resolve" ({"note": "..."}, required to resolve). The change is
// audited as alert.acknowledged or alert.resolved, naming who did it.
func (s *Server) handleAlertStatus(status ward.AlertStatus) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acc, err := alertAccess(r, true)
		if err != nil {
			Error(w, r, err)
			return
		}
		var req alertStatusRequest
		if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
			if err := decode(w, r, &req); err != nil {
				Error(w, r, err)
				return
			}
		}
		if status == ward.AlertResolved && req.Note == "" {
			Error(w, r, ward.FieldErrorf("note", "A note saying how the alert was resolved is required."))
			return
		}
		if len(req.Note) > 4000 {
			Error(w, r, ward.FieldErrorf("note", "note must be at most 4000 bytes."))
			return
		}
		m, err := s.monitorStore()
		if err != nil {
			Error(w, r, err)
			return
		}
		a, err := m.ChangeAlertStatus(r.Context(), r.PathValue("id"), status, req.Note, acc.p.Subject)
		if err != nil {
			Error(w, r, err)
			return
		}
		if s.Auditor != nil {
			ev := &ward.Event{
				Time:      s.Now().UTC(),
				Action:    "alert." + string(status),
				Actor:     eventActor(r),
				Target:    ward.EventTarget{ResourceType: "Alert", ResourceID: a.ID, PatientRef: a.PatientRef},
				Outcome:   ward.EventOutcome{Decision: ward.DecisionSuccess},
				RequestID: RequestIDFromContext(r.Context()),
				Details:   map[string]string{"rule": a.Rule, "note": req.Note},
			}
			if _, err := s.Auditor.Audit(r.Context(), ev); err != nil {
				Error(w, r, ward.Errorf(ward.EUNAVAILABLE, "The audit ledger is unavailable: the alert changed but the change was not audited."))
				return
			}
		}
		writeJSON(w, r, http.StatusOK, a)
	}
}

// handleAlertDeliveries handles "GET /api/v1/alerts/deliveries" (status,
// alert_id): the webhook deliveries, "?status=dead" being the dead-letter
// list. Supervisors may not list them: a delivery spans vendors.
func (s *Server) handleAlertDeliveries(w http.ResponseWriter, r *http.Request) {
	acc, err := alertAccess(r, false)
	if err == nil && !acc.all() {
		err = ward.Errorf(ward.EFORBIDDEN, "Your role (%s) may not list webhook deliveries.", acc.p.Role)
	}
	if err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.AlertDeliveryFilter{
		Status:  enum(q, "status", ward.DeliveryStatus.Valid),
		AlertID: q.str("alert_id"),
		Page:    q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	m, err := s.monitorStore()
	if err != nil {
		Error(w, r, err)
		return
	}
	list, n, err := m.FindAlertDeliveries(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, list, n, f.Page)
}

// handleAlertStream handles "GET /api/v1/alerts/stream": Server-Sent
// Events, one per alert change ("event: raised|updated|acknowledged|
// resolved", "id: <seq>", "data: <AlertChange JSON>"), and a heartbeat
// comment every alertHeartbeat. A client that reconnects with
// Last-Event-ID (or ?last_event_id=) gets every change after it; a new
// client starts at the present. Supervisors see their vendor's alerts only.
func (s *Server) handleAlertStream(w http.ResponseWriter, r *http.Request) {
	acc, err := alertAccess(r, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	m, err := s.monitorStore()
	if err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	lastParam := q.uint("last_event_id")
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	var last uint64
	switch h := r.Header.Get("Last-Event-ID"); {
	case h != "":
		if last, err = strconv.ParseUint(h, 10, 64); err != nil {
			Error(w, r, ward.FieldErrorf("Last-Event-ID", "Last-Event-ID must be a sequence number."))
			return
		}
	case lastParam != nil:
		last = *lastParam
	default:
		if last, err = m.LastAlertChange(r.Context()); err != nil {
			Error(w, r, err)
			return
		}
	}
	rc := http.NewResponseController(w)
	// The stream outlives the server's write timeout.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	poll := time.NewTicker(alertPoll)
	defer poll.Stop()
	beat := time.NewTicker(alertHeartbeat)
	defer beat.Stop()
	for {
		changes, err := m.AlertChanges(r.Context(), last, 100)
		if err != nil {
			if r.Context().Err() == nil {
				logger(r).Error("alert stream", "err", err)
			}
			return
		}
		for _, c := range changes {
			last = c.Seq
			if c.Alert == nil || !acc.ownsVendor(c.Alert.VendorID) {
				continue
			}
			b, err := json.Marshal(c)
			if err != nil {
				return
			}
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", c.Seq, c.Kind, b)
		}
		if len(changes) > 0 {
			if err := rc.Flush(); err != nil {
				return
			}
			if len(changes) == 100 {
				continue
			}
		}
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			fmt.Fprint(w, ": heartbeat\n\n")
			if err := rc.Flush(); err != nil {
				return
			}
		case <-poll.C:
		}
	}
}
