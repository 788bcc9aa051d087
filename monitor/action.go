package monitor

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/wardhq/ward"
)

// Response kinds an Action may take. Stable: configuration names them.
const (
	DoEndSession   = "end_session"
	DoRevokeGrants = "revoke_grants"
	DoSuspend      = "suspend"
	DoWebhook      = "webhook"
)

// Action says what to do about alerts of Rule ("" or "*": any rule) at
// MinSeverity or above.
type Action struct {
	Rule        string
	MinSeverity ward.Severity
	Do          []string
	// Webhooks names the webhooks DoWebhook notifies; empty: all.
	Webhooks []string
}

func (a Action) validate(hooks []Webhook) error {
	if a.Rule != "" && a.Rule != "*" && !isRule(a.Rule) {
		return ward.FieldErrorf("monitor.actions.rule", "Unknown rule %q.", a.Rule)
	}
	if a.MinSeverity != "" && !a.MinSeverity.Valid() {
		return ward.FieldErrorf("monitor.actions.min_severity", "min_severity must be low, medium, high or critical.")
	}
	for _, d := range a.Do {
		switch d {
		case DoEndSession, DoRevokeGrants, DoSuspend, DoWebhook:
		default:
			return ward.FieldErrorf("monitor.actions.do", "Unknown action %q; actions are end_session, revoke_grants, suspend, webhook.", d)
		}
	}
	for _, name := range a.Webhooks {
		if !slices.ContainsFunc(hooks, func(h Webhook) bool { return h.Name == name }) {
			return ward.FieldErrorf("monitor.actions.webhooks", "No webhook is named %q.", name)
		}
	}
	return nil
}

func (a Action) matches(al *ward.Alert) bool {
	return (a.Rule == "" || a.Rule == "*" || a.Rule == al.Rule) && rank(al.Severity) >= rank(a.MinSeverity)
}

func rank(s ward.Severity) int {
	return slices.Index([]ward.Severity{ward.SeverityLow, ward.SeverityMedium, ward.SeverityHigh, ward.SeverityCritical}, s)
}

// Responders carry out responses. They are functions so that the monitor
// does not import identity or routing; cmd/ward wires them to
// identity.Manager.RevokeWorker, routing.Router.EndWorkerGrants and
// onboarding.Service.Suspend. A nil responder skips its action.
type Responders struct {
	EndSessions func(ctx context.Context, workerID, reason string) error
	EndGrants   func(ctx context.Context, workerID, reason string) error
	Suspend     func(ctx context.Context, workerID, reason string) error
}

// Webhook is an HTTPS endpoint notified of alerts. The body is JSON
// ({"type":"alert.raised","alert":{...}}) signed with HMAC-SHA256 under
// Secret in the X-Ward-Signature header ("sha256=<hex>").
type Webhook struct {
	Name   string
	URL    string
	Secret []byte
	// MaxAttempts and Backoff bound retries: attempt n waits
	// Backoff·2^(n-1), at most MaxBackoff. Defaults 6, 1 s, 5 min.
	MaxAttempts         int
	Backoff, MaxBackoff time.Duration
}

// Sign returns the X-Ward-Signature value of body under secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether sig is body's signature under secret, in
// constant time: what a receiver does.
func Verify(secret, body []byte, sig string) bool {
	return hmac.Equal([]byte(sig), []byte(Sign(secret, body)))
}

// respond runs every matching action for a new alert and audits each.
// A failed response is audited and logged; it never stops the monitor.
func (m *Monitor) respond(ctx context.Context, a *ward.Alert, workerID string) {
	done := map[string]bool{}
	for _, act := range m.opts.Actions {
		if !act.matches(a) {
			continue
		}
		for _, do := range act.Do {
			if do == DoWebhook {
				for _, h := range m.opts.Webhooks {
					if (len(act.Webhooks) == 0 || slices.Contains(act.Webhooks, h.Name)) && !done["webhook:"+h.Name] {
						done["webhook:"+h.Name] = true
						m.deliver(ctx, a, h)
					}
				}
				continue
			}
			if done[do] || workerID == "" {
				continue
			}
			done[do] = true
			var fn func(context.Context, string, string) error
			switch do {
			case DoEndSession:
				fn = m.opts.Responders.EndSessions
			case DoRevokeGrants:
				fn = m.opts.Responders.EndGrants
			case DoSuspend:
				fn = m.opts.Responders.Suspend
			}
			if fn == nil {
				continue
			}
			result := "ok"
			if err := fn(ctx, workerID, "monitor alert "+a.ID+" ("+a.Rule+")"); err != nil {
				result = "failed: " + ward.ErrorMessage(err)
				m.log.Error("monitor response failed", "action", do, "alert", a.ID, "err", err)
			}
			if err := m.audit(ctx, "alert.action", a, map[string]string{"action": do, "result": result, "rule": a.Rule}); err != nil {
				m.log.Error("audit monitor response", "err", err)
			}
		}
	}
}

// payload is a webhook's body.
type payload struct {
	Type  string      `json:"type"`
	Alert *ward.Alert `json:"alert"`
}

// deliver records a pending delivery and sends it in the background.
func (m *Monitor) deliver(ctx context.Context, a *ward.Alert, h Webhook) {
	body, err := json.Marshal(payload{Type: "alert.raised", Alert: a})
	if err != nil {
		m.log.Error("encode webhook", "err", err)
		return
	}
	d := &ward.AlertDelivery{AlertID: a.ID, Target: h.Name, Status: ward.DeliveryPending, Payload: body}
	if err := m.opts.Store.SaveAlertDelivery(ctx, d); err != nil {
		m.log.Error("save webhook delivery", "alert", a.ID, "err", err)
		return
	}
	m.send(d, h)
}

// send runs a delivery's attempts on the monitor's lifetime.
func (m *Monitor) send(d *ward.AlertDelivery, h Webhook) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.attempts(m.ctx, d, h)
	}()
}

// resumeDeliveries restarts deliveries left pending by a previous run.
func (m *Monitor) resumeDeliveries(ctx context.Context) {
	pending := ward.DeliveryPending
	list, _, err := m.opts.Store.FindAlertDeliveries(ctx, ward.AlertDeliveryFilter{Status: &pending, Page: ward.Page{Limit: ward.MaxLimit}})
	if err != nil {
		m.log.Error("find pending deliveries", "err", err)
		return
	}
	for _, d := range list {
		for _, h := range m.opts.Webhooks {
			if h.Name == d.Target {
				m.send(d, h)
			}
		}
	}
}

func (m *Monitor) attempts(ctx context.Context, d *ward.AlertDelivery, h Webhook) {
	maxN, back, maxBack := h.MaxAttempts, h.Backoff, h.MaxBackoff
	if maxN <= 0 {
		maxN = 6
	}
	if back <= 0 {
		back = time.Second
	}
	if maxBack <= 0 {
		maxBack = 5 * time.Minute
	}
	for d.Attempts < maxN {
		if d.Attempts > 0 {
			wait := min(back<<(d.Attempts-1), maxBack)
			select {
			case <-ctx.Done():
				return // still pending: the next run resumes it
			case <-time.After(wait):
			}
		}
		d.Attempts++
		err := post(ctx, m.opts.Client, h, d)
		switch {
		case err == nil:
			d.Status, d.LastError = ward.DeliveryDelivered, ""
		case d.Attempts >= maxN:
			d.Status, d.LastError = ward.DeliveryDead, err.Error()
		default:
			d.LastError = err.Error()
		}
		if ctx.Err() != nil && d.Status == ward.DeliveryPending {
			return
		}
		if serr := m.opts.Store.SaveAlertDelivery(context.WithoutCancel(ctx), d); serr != nil {
			m.log.Error("save webhook delivery", "delivery", d.ID, "err", serr)
		}
		if d.Status != ward.DeliveryPending {
			a := &ward.Alert{ID: d.AlertID}
			if err := m.audit(context.WithoutCancel(ctx), "alert.action", a, map[string]string{
				"action": DoWebhook, "webhook": h.Name, "result": string(d.Status), "attempts": fmt.Sprint(d.Attempts)}); err != nil {
				m.log.Error("audit webhook delivery", "err", err)
			}
			return
		}
	}
}

// post sends one attempt; any status but 2xx is a failure.
func post(ctx context.Context, c *http.Client, h Webhook, d *ward.AlertDelivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Ward-Signature", Sign(h.Secret, d.Payload))
	req.Header.Set("X-Ward-Delivery", d.ID)
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook post: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

// mergeEvidence is the store's union of evidence (see ward.MonitorStore).
func mergeEvidence(old, add []uint64) []uint64 {
	m := slices.Concat(old, add)
	slices.Sort(m)
	m = slices.Compact(m)
	if len(m) > ward.MaxAlertEvidence {
		m = m[:ward.MaxAlertEvidence]
	}
	if m == nil {
		m = []uint64{}
	}
	return m
}
