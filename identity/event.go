package identity

import (
	"context"
	"time"

	"github.com/wardhq/ward"
)

// Event actions this package emits.
const (
	ActionLogin          = "auth.login"
	ActionLoginFailed    = "auth.login_failed"
	ActionLockout        = "auth.lockout"
	ActionLogout         = "auth.logout"
	ActionSessionRevoked = "session.revoked"
	ActionMFAEnrolled    = "mfa.enrolled"
	ActionPasswordChange = "password.changed"
)

// anonymous is the actor of a failed login whose username matches no
// worker. The submitted username is not recorded: people type passwords
// into the username field.
const anonymous = "anonymous"

// event returns an event about worker w (nil when unknown) in session s
// (nil when none), from origin o.
func (m *Manager) event(ctx context.Context, action string, w *ward.Worker, s *ward.Session, o Origin, now time.Time, decision string, reasons ...string) *ward.Event {
	e := &ward.Event{
		Time:    now.UTC(),
		Action:  action,
		Actor:   ward.EventActor{Subject: anonymous},
		Origin:  ward.EventOrigin{Country: o.Country, SiteID: o.SiteID},
		Outcome: ward.EventOutcome{Decision: decision, Reasons: reasons},
	}
	if o.Addr.IsValid() {
		e.Origin.ClientAddr = o.Addr.String()
	}
	if w != nil {
		e.Actor = ward.EventActor{
			Subject:  w.ID,
			Role:     w.Role,
			WorkerID: w.ID,
			Username: w.Username,
			VendorID: w.VendorID,
			TeamID:   w.TeamID,
		}
		e.Target = ward.EventTarget{ResourceType: "Worker", ResourceID: w.ID}
	}
	if o.Device != "" {
		e.Actor.DeviceID = o.Device
	}
	if s != nil {
		e.Actor.SessionID = s.ID
		e.Actor.DeviceID = s.DeviceID
		e.Target = ward.EventTarget{ResourceType: "Session", ResourceID: s.ID}
	}
	if m.cfg.RequestID != nil && ctx != nil {
		e.RequestID = m.cfg.RequestID(ctx)
	}
	return e
}

// adminEvent returns an event about a change to worker w made by ctx's
// principal (the worker, an administrator, or "system").
func (m *Manager) adminEvent(ctx context.Context, action string, w *ward.Worker, now time.Time) *ward.Event {
	e := &ward.Event{
		Time:    now.UTC(),
		Action:  action,
		Actor:   actorOf(ctx),
		Target:  ward.EventTarget{ResourceType: "Worker", ResourceID: w.ID},
		Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess},
	}
	if p := ward.PrincipalFromContext(ctx); p != nil {
		e.Origin = ward.EventOrigin{Country: p.Country, SiteID: p.SiteID}
	}
	if m.cfg.RequestID != nil {
		e.RequestID = m.cfg.RequestID(ctx)
	}
	return e
}

// actorOf returns ctx's principal as an event actor, or "system".
func actorOf(ctx context.Context) ward.EventActor {
	p := ward.PrincipalFromContext(ctx)
	if p == nil {
		return ward.EventActor{Subject: ward.Actor(ctx)}
	}
	return ward.EventActor{
		Subject:   ward.Actor(ctx),
		Role:      p.Role,
		WorkerID:  p.WorkerID,
		Username:  p.Username,
		VendorID:  p.VendorID,
		TeamID:    p.TeamID,
		SessionID: p.SessionID,
		DeviceID:  p.DeviceID,
	}
}
