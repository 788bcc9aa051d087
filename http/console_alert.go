package http

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/http/html"
)

// handleAlerts handles "GET /alerts": the alert list with filters. The
// page subscribes to /alerts/stream for alerts raised after it rendered.
func (c *console) handleAlerts(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAlerts, false); err != nil {
		c.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	page := html.AlertListPage{Layout: c.layout(r, "alerts", "Alerts"), Stream: "/alerts/stream"}
	f := ward.AlertFilter{Page: ward.Page{Limit: 200}}
	if v := ward.Severity(q.Get("severity")); v.Valid() {
		f.Severity, page.Severity = &v, string(v)
	}
	if v := ward.AlertStatus(q.Get("status")); v.Valid() {
		f.Status, page.Status = &v, string(v)
	}
	if v := strings.TrimSpace(q.Get("rule")); v != "" && len(v) <= 100 {
		f.Rule, page.Rule = &v, v
	}
	alerts, n, err := c.s.Services.Alerts.FindAlerts(r.Context(), f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	page.Alerts, page.Total = alerts, n
	c.render(w, r, http.StatusOK, "alerts", &page)
}

// streamPoll is how often the alert stream looks for new alerts. It reads
// the store, so that it works whichever replica raised the alert.
const streamPoll = 2 * time.Second

// handleAlertStream handles "GET /alerts/stream": Server-Sent Events, one
// "alert" event for each alert raised or changed after the stream opened.
// The console's own stream authenticates by cookie (EventSource cannot
// send a bearer token), and re-authenticates the session at each poll,
// so that a revoked session stops receiving at once.
func (c *console) handleAlertStream(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAlerts, false); err != nil {
		c.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	// The stream outlives the server's write timeout.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(": ward alerts\n\n"))
	if err := rc.Flush(); err != nil {
		return
	}
	since := c.s.Now()
	seen := map[string]time.Time{}
	tick := time.NewTicker(streamPoll)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		if _, err := c.principal(r); err != nil {
			return
		}
		alerts, _, err := c.s.Services.Alerts.FindAlerts(r.Context(), ward.AlertFilter{Page: ward.Page{Limit: 50}})
		if err != nil {
			logger(r).Warn("alert stream", "err", err)
			continue
		}
		// Oldest first, so that the page ends up newest on top.
		for i := len(alerts) - 1; i >= 0; i-- {
			a := alerts[i]
			if a.UpdatedAt.Before(since) || !seen[a.ID].Before(a.UpdatedAt) {
				continue
			}
			seen[a.ID] = a.UpdatedAt
			b, _ := json.Marshal(streamAlert{ID: a.ID, Title: a.Title, Rule: a.Rule, Severity: string(a.Severity),
				Status: string(a.Status), CreatedAt: a.CreatedAt.UTC().Format("2006-01-02 15:04:05Z")})
			w.Write([]byte("event: alert\ndata: "))
			w.Write(b)
			w.Write([]byte("\n\n"))
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// streamAlert is what the live list needs of an alert; no explanation or
// patient reference goes down the stream.
type streamAlert struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Rule      string `json:"rule"`
	Severity  string `json:"severity"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
}

// handleAlert handles "GET /alerts/{id}": explanation, evidence and the
// response actions the role may take.
func (c *console) handleAlert(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAlerts, false); err != nil {
		c.fail(w, r, err)
		return
	}
	ctx := r.Context()
	a, err := c.s.Services.Alerts.FindAlertByID(ctx, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	page := html.AlertPage{Layout: c.layout(r, "alerts", a.Title), Alert: a,
		CanResolve:    authorizeAll(r, resAlerts, true) == nil,
		CanEndSession: authorizeAll(r, resSessions, true) == nil && c.s.Services.Sessions != nil,
		CanRevoke:     authorizeAll(r, resGrants, true) == nil && c.s.Services.Grants != nil,
	}
	for _, idx := range a.Evidence {
		row := html.EvidenceRow{Index: idx}
		if c.s.AuditLog != nil && canReadAll(r, resAudit) {
			if _, ev, err := c.s.AuditLog.Entry(ctx, idx); err == nil {
				row.Event = ev
			}
		}
		page.Evidence = append(page.Evidence, row)
	}
	if a.WorkerID != "" && c.s.Services.Workers != nil {
		if wk, err := c.s.Services.Workers.FindWorkerByID(ctx, a.WorkerID); err == nil {
			page.Worker = wk
			if wa, err := authorize(r, resWorkers, true); err == nil && wa.ownsWorker(wk) {
				page.CanSuspend = c.s.Lifecycle != nil
			}
			now := c.s.Now()
			if c.s.Services.Sessions != nil && canReadAll(r, resSessions) {
				page.Sessions, _, _ = c.s.Services.Sessions.FindSessions(ctx, ward.SessionFilter{WorkerID: &wk.ID, LiveAt: &now})
			}
			if c.s.Services.Grants != nil && canReadAll(r, resGrants) {
				page.Grants, _, _ = c.s.Services.Grants.FindGrants(ctx, ward.GrantFilter{WorkerID: &wk.ID, LiveAt: &now})
			}
		}
	}
	c.render(w, r, http.StatusOK, "alert", &page)
}

// handleAlertStatus handles "POST /alerts/{id}/status": acknowledge or
// resolve with a note, as POST /api/v1/alerts/{id}/acknowledge|resolve do.
func (c *console) handleAlertStatus(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAlerts, true); err != nil {
		c.fail(w, r, err)
		return
	}
	status := ward.AlertStatus(r.PostForm.Get("status"))
	if status != ward.AlertAcknowledged && status != ward.AlertResolved {
		c.fail(w, r, ward.FieldErrorf("status", "Choose acknowledge or resolve."))
		return
	}
	note := strings.TrimSpace(r.PostForm.Get("note"))
	if len(note) > 2000 {
		c.fail(w, r, ward.FieldErrorf("note", "The note must be at most 2000 bytes."))
		return
	}
	id := r.PathValue("id")
	if _, err := c.s.Services.Alerts.SetAlertStatus(r.Context(), id, status, note); err != nil {
		c.fail(w, r, err)
		return
	}
	if err := c.audit(r, "alert."+string(status), ward.EventTarget{ResourceType: "Alert", ResourceID: id}, map[string]string{"to": string(status)}); err != nil {
		c.fail(w, r, err)
		return
	}
	back(w, r, "/alerts/"+id, string(status))
}

// handleSessionEnd handles "POST /sessions/{id}/end": the session and the
// grants it was using end now.
func (c *console) handleSessionEnd(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSessions, true); err != nil {
		c.fail(w, r, err)
		return
	}
	if c.s.Services.Sessions == nil {
		c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "This ward store does not provide sessions."))
		return
	}
	sess, err := c.s.Services.Sessions.RevokeSession(r.Context(), r.PathValue("id"), "ended_by_compliance")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if c.s.OnSessionEnd != nil {
		if err := c.s.OnSessionEnd(r.Context(), sess.WorkerID, "session_revoked"); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	if err := c.audit(r, "session.revoke", ward.EventTarget{ResourceType: "Session", ResourceID: sess.ID}, nil); err != nil {
		c.fail(w, r, err)
		return
	}
	back(w, r, "/alerts", "session")
}

// handleGrantRevoke handles "POST /grants/{id}/revoke".
func (c *console) handleGrantRevoke(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resGrants, true); err != nil {
		c.fail(w, r, err)
		return
	}
	if c.s.Services.Grants == nil {
		c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "This ward store does not provide grants."))
		return
	}
	g, err := c.s.Services.Grants.RevokeGrant(r.Context(), r.PathValue("id"), "revoked_by_compliance")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if err := c.audit(r, "grant.revoke", ward.EventTarget{ResourceType: "Grant", ResourceID: g.ID, GrantID: g.ID, PatientRef: g.PatientRef}, nil); err != nil {
		c.fail(w, r, err)
		return
	}
	back(w, r, "/work", "grant")
}
