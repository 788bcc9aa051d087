package onboarding

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// Service records onboarding steps and moves workers through their
// lifecycle. Every change is audited before the method returns; when the
// auditor fails the method returns EUNAVAILABLE saying that the change was
// made but not audited.
type Service struct {
	// Services needs Workers, Vendors, Onboarding, Devices, Credentials
	// and Grants.
	Services ward.Services
	// Auditor MUST be set: with none, every change is refused (EINTERNAL)
	// before anything is written.
	Auditor ward.Auditor
	Now     func() time.Time // default time.Now
	// EndAccess ends the worker's sessions, in memory and in the store, on
	// suspension and offboarding. The lead's wiring sets it; when nil,
	// only the store's sessions are revoked (Services.Sessions).
	EndAccess func(ctx context.Context, workerID, reason string) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Checklist returns the worker's checklist today. On top of [Check] it
// confirms that what was recorded still holds: the enrolled device is not
// revoked and a second factor is still enrolled; if not, the step shows
// as not done. Returns ENOTFOUND.
func (s *Service) Checklist(ctx context.Context, workerID string) (Checklist, error) {
	w, err := s.Services.Workers.FindWorkerByID(ctx, workerID)
	if err != nil {
		return Checklist{}, err
	}
	return s.checklist(ctx, w)
}

func (s *Service) checklist(ctx context.Context, w *ward.Worker) (Checklist, error) {
	var v *ward.Vendor
	if w.VendorID != "" {
		var err error
		if v, err = s.Services.Vendors.FindVendorByID(ctx, w.VendorID); err != nil && ward.ErrorCode(err) != ward.ENOTFOUND {
			return Checklist{}, err
		}
	}
	recs, err := s.Services.Onboarding.FindOnboardingRecords(ctx, w.ID)
	if err != nil {
		return Checklist{}, err
	}
	cl := Check(w, v, recs, ward.DateOf(s.now().UTC()))

	// Re-check the recorded facts that can be undone later.
	for i := range cl.Items {
		it := &cl.Items[i]
		if !it.Done {
			continue
		}
		switch ward.OnboardingStep(it.Step) {
		case ward.StepDeviceEnrolled:
			ok, err := s.activeDevice(ctx, w.ID, it.Evidence)
			if err != nil {
				return Checklist{}, err
			}
			it.Done = ok
		case ward.StepMFAEnrolled:
			ok, err := s.mfaEnrolled(ctx, w.ID)
			if err != nil {
				return Checklist{}, err
			}
			it.Done = ok
		}
	}
	cl.Missing = cl.Missing[:0]
	for _, it := range cl.Items {
		if !it.Done {
			cl.Missing = append(cl.Missing, it.Step)
		}
	}
	cl.Complete = len(cl.Missing) == 0
	return cl, nil
}

// Record validates and stores one completed step, setting its ID, At and
// Actor (the context's principal):
//
//   - hipaa_training needs completed_on, not in the future and less than a
//     year ago; expires_on is set to a year after it.
//   - identity_verified needs evidence (what document was checked).
//   - device_enrolled needs as evidence the ID of an enrolled, unrevoked
//     device of this worker.
//   - mfa_enrolled is accepted only when the worker has a second factor;
//     evidence defaults to which.
//   - supervisor_approval may be recorded only by an admin, or a
//     supervisor of the worker's vendor who is not the worker.
//
// The first step moves an invited worker to onboarding. Returns EINVALID,
// EFORBIDDEN, EUNPROCESSABLE (an offboarded worker, a step whose fact does
// not hold), or EUNAVAILABLE when the record was stored but not audited.
func (s *Service) Record(ctx context.Context, r *ward.OnboardingRecord) (*ward.OnboardingRecord, error) {
	if s.Auditor == nil {
		return nil, errNoAuditor
	}
	if r == nil {
		return nil, ward.Errorf(ward.EINVALID, "An onboarding record is required.")
	}
	rec := *r
	if err := rec.Validate(); err != nil {
		return nil, err
	}
	w, err := s.Services.Workers.FindWorkerByID(ctx, rec.WorkerID)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return nil, ward.FieldErrorf("worker_id", "Worker %q does not exist.", rec.WorkerID)
	} else if err != nil {
		return nil, err
	}
	if w.Status == ward.WorkerOffboarded {
		return nil, ward.Errorf(ward.EUNPROCESSABLE, "The worker is offboarded; nothing more can be recorded.")
	}
	if err := s.validateStep(ctx, w, &rec); err != nil {
		return nil, err
	}

	if err := s.Services.Onboarding.CreateOnboardingRecord(ctx, &rec); err != nil {
		return nil, err
	}
	events := []*ward.Event{s.event(ctx, "onboarding.step_recorded", w.ID, map[string]string{"step": string(rec.Step), "record_id": rec.ID})}

	if w.Status == ward.WorkerInvited {
		const reason = "onboarding started"
		if _, err := s.Services.Workers.TransitionWorker(ctx, w.ID, ward.WorkerOnboarding, reason); err != nil {
			// The step is stored; say so, and audit what happened.
			if aerr := s.audit(ctx, events); aerr != nil {
				return nil, aerr
			}
			return nil, fmt.Errorf("the step was recorded but the worker could not start onboarding: %w", err)
		}
		events = append(events, s.transitionEvent(ctx, w.ID, ward.WorkerInvited, ward.WorkerOnboarding, reason))
	}
	if err := s.audit(ctx, events); err != nil {
		return nil, err
	}
	return &rec, nil
}

// validateStep applies the step's own rules to rec, filling derived fields.
func (s *Service) validateStep(ctx context.Context, w *ward.Worker, rec *ward.OnboardingRecord) error {
	today := ward.DateOf(s.now().UTC())
	if rec.CompletedOn != nil && today.Before(*rec.CompletedOn) {
		return ward.FieldErrorf("completed_on", "completed_on must not be in the future.")
	}
	if rec.Step != ward.StepHIPAATraining {
		rec.ExpiresOn = nil // only training lapses
	}
	switch rec.Step {
	case ward.StepIdentityVerified:
		if strings.TrimSpace(rec.Evidence) == "" {
			return ward.FieldErrorf("evidence", "Say how the identity was verified, e.g. which document was checked.")
		}
	case ward.StepHIPAATraining:
		if rec.CompletedOn == nil {
			return ward.FieldErrorf("completed_on", "HIPAA training needs the date it was completed.")
		}
		exp := addYear(*rec.CompletedOn)
		if lapsed(exp, today) {
			return ward.FieldErrorf("completed_on", "This training was completed more than a year ago and has lapsed; the worker must retake it.")
		}
		rec.ExpiresOn = &exp
	case ward.StepDeviceEnrolled:
		if rec.Evidence == "" {
			return ward.FieldErrorf("evidence", "evidence must be the ID of the worker's enrolled device.")
		}
		ok, err := s.activeDevice(ctx, w.ID, rec.Evidence)
		if err != nil {
			return err
		} else if !ok {
			return ward.FieldErrorf("evidence", "Device %q is not an enrolled, unrevoked device of this worker.", rec.Evidence)
		}
	case ward.StepMFAEnrolled:
		c, err := s.Services.Credentials.FindCredentials(ctx, w.ID)
		if err != nil && ward.ErrorCode(err) != ward.ENOTFOUND {
			return err
		}
		if !c.MFAEnrolled() {
			return ward.Errorf(ward.EUNPROCESSABLE, "The worker has not enrolled a second factor (TOTP or a security key) yet.")
		}
		if rec.Evidence == "" {
			var methods []string
			if c.TOTPEnrolledAt != nil {
				methods = append(methods, "totp")
			}
			if n := len(c.WebAuthn); n > 0 {
				methods = append(methods, fmt.Sprintf("webauthn:%d", n))
			}
			rec.Evidence = strings.Join(methods, ",")
		}
	case ward.StepSupervisorApproval:
		p := ward.PrincipalFromContext(ctx)
		switch {
		case p == nil:
			return ward.Errorf(ward.EFORBIDDEN, "Only the worker's supervisor or an administrator may approve.")
		case p.Role == ward.RoleAdmin:
		case p.Role == ward.RoleSupervisor && p.VendorID != "" && p.VendorID == w.VendorID:
			if p.WorkerID == w.ID {
				return ward.Errorf(ward.EFORBIDDEN, "Nobody may approve their own onboarding.")
			}
		default:
			return ward.Errorf(ward.EFORBIDDEN, "Only a supervisor of the worker's vendor or an administrator may approve.")
		}
	}
	return nil
}

// addYear returns the same calendar day a year later (29 February moves to
// 1 March).
func addYear(d ward.Date) ward.Date { return ward.DateOf(d.In(time.UTC).AddDate(1, 0, 0)) }

// Activate makes the worker active when its checklist is complete, else
// returns EUNPROCESSABLE naming the missing steps. Also reinstates a
// suspended worker, on the same condition. Returns ENOTFOUND,
// EUNPROCESSABLE, or EUNAVAILABLE when activated but not audited.
func (s *Service) Activate(ctx context.Context, workerID, reason string) (*ward.Worker, error) {
	if s.Auditor == nil {
		return nil, errNoAuditor
	}
	w, err := s.Services.Workers.FindWorkerByID(ctx, workerID)
	if err != nil {
		return nil, err
	}
	// An invited worker hears what is missing rather than that the
	// lifecycle forbids the move; an active or offboarded one hears why not.
	if w.Status == ward.WorkerActive || w.Status == ward.WorkerOffboarded {
		return nil, ward.CheckWorkerTransition(w.Status, ward.WorkerActive)
	}
	cl, err := s.checklist(ctx, w)
	if err != nil {
		return nil, err
	}
	if !cl.Complete {
		return nil, ward.Errorf(ward.EUNPROCESSABLE, "The worker cannot be activated until these steps are done: %s.", strings.Join(cl.Missing, ", "))
	}
	if err := ward.CheckWorkerTransition(w.Status, ward.WorkerActive); err != nil {
		return nil, err
	}
	from := w.Status
	w, err = s.Services.Workers.TransitionWorker(ctx, workerID, ward.WorkerActive, reason)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, []*ward.Event{s.transitionEvent(ctx, workerID, from, ward.WorkerActive, reason)}); err != nil {
		return nil, err
	}
	return w, nil
}

// Suspend pauses the worker's access at once: the worker is suspended
// (every request re-checks status, so access ends with this write), its
// sessions end, and its grants are revoked. Returns ENOTFOUND,
// EUNPROCESSABLE, or an error saying what could not be done after the
// suspension itself.
func (s *Service) Suspend(ctx context.Context, workerID, reason string) (*ward.Worker, error) {
	return s.endAccess(ctx, workerID, ward.WorkerSuspended, reason)
}

// Offboard ends the worker for good: as Suspend, and its devices are
// revoked too. Offboarded is final. Returns as Suspend does.
func (s *Service) Offboard(ctx context.Context, workerID, reason string) (*ward.Worker, error) {
	return s.endAccess(ctx, workerID, ward.WorkerOffboarded, reason)
}

func (s *Service) endAccess(ctx context.Context, workerID string, to ward.WorkerStatus, reason string) (*ward.Worker, error) {
	if s.Auditor == nil {
		return nil, errNoAuditor
	}
	w, err := s.Services.Workers.FindWorkerByID(ctx, workerID)
	if err != nil {
		return nil, err
	}
	from := w.Status
	if w, err = s.Services.Workers.TransitionWorker(ctx, workerID, to, reason); err != nil {
		return nil, err
	}
	events := []*ward.Event{s.transitionEvent(ctx, workerID, from, to, reason)}
	revokeReason := "worker " + string(to)
	if reason != "" {
		revokeReason += ": " + reason
	}

	// Carry on past a failure, so that as much access as possible ends;
	// report the first failure after auditing what was done.
	var errs []error
	if s.EndAccess != nil {
		if err := s.EndAccess(ctx, workerID, revokeReason); err != nil {
			errs = append(errs, fmt.Errorf("end sessions: %w", err))
		}
	} else if s.Services.Sessions != nil {
		if _, err := s.Services.Sessions.RevokeWorkerSessions(ctx, workerID, revokeReason); err != nil {
			errs = append(errs, fmt.Errorf("end sessions: %w", err))
		}
	}
	evs, err := s.revokeGrants(ctx, workerID, revokeReason)
	events = append(events, evs...)
	if err != nil {
		errs = append(errs, err)
	}
	if to == ward.WorkerOffboarded {
		evs, err := s.revokeDevices(ctx, workerID)
		events = append(events, evs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.audit(ctx, events); err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("worker %s is %s, but not all access was removed: %w", workerID, to, errors.Join(errs...))
	}
	return w, nil
}

// revokeGrants revokes every grant of the worker that is live or yet to
// start.
func (s *Service) revokeGrants(ctx context.Context, workerID, reason string) ([]*ward.Event, error) {
	now := s.now()
	var pending []*ward.Grant
	filter := ward.GrantFilter{WorkerID: &workerID, Page: ward.Page{Limit: ward.MaxLimit}}
	for {
		gs, n, err := s.Services.Grants.FindGrants(ctx, filter)
		if err != nil {
			return nil, fmt.Errorf("find grants: %w", err)
		}
		for _, g := range gs {
			if g.RevokedAt == nil && now.Before(g.ExpiresAt) {
				pending = append(pending, g)
			}
		}
		filter.Offset += len(gs)
		if len(gs) == 0 || filter.Offset >= n {
			break
		}
	}
	var events []*ward.Event
	for _, g := range pending {
		if _, err := s.Services.Grants.RevokeGrant(ctx, g.ID, reason); err != nil {
			return events, fmt.Errorf("revoke grant %s: %w", g.ID, err)
		}
		ev := s.event(ctx, "grant.revoked", workerID, map[string]string{"reason": reason})
		ev.Target = ward.EventTarget{ResourceType: "Grant", ResourceID: g.ID, GrantID: g.ID, TaskID: g.TaskID, PatientRef: g.PatientRef}
		events = append(events, ev)
	}
	return events, nil
}

// revokeDevices revokes every unrevoked device of the worker.
func (s *Service) revokeDevices(ctx context.Context, workerID string) ([]*ward.Event, error) {
	active := true
	var ids []string
	filter := ward.DeviceFilter{WorkerID: &workerID, Active: &active, Page: ward.Page{Limit: ward.MaxLimit}}
	for {
		ds, n, err := s.Services.Devices.FindDevices(ctx, filter)
		if err != nil {
			return nil, fmt.Errorf("find devices: %w", err)
		}
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		filter.Offset += len(ds)
		if len(ds) == 0 || filter.Offset >= n {
			break
		}
	}
	var events []*ward.Event
	for _, id := range ids {
		if _, err := s.Services.Devices.RevokeDevice(ctx, id); err != nil {
			return events, fmt.Errorf("revoke device %s: %w", id, err)
		}
		ev := s.event(ctx, "device.revoked", workerID, map[string]string{"worker_id": workerID})
		ev.Target = ward.EventTarget{ResourceType: "Device", ResourceID: id}
		events = append(events, ev)
	}
	return events, nil
}

func (s *Service) activeDevice(ctx context.Context, workerID, deviceID string) (bool, error) {
	active := true
	ds, _, err := s.Services.Devices.FindDevices(ctx, ward.DeviceFilter{ID: &deviceID, WorkerID: &workerID, Active: &active})
	if err != nil {
		return false, err
	}
	return len(ds) == 1, nil
}

func (s *Service) mfaEnrolled(ctx context.Context, workerID string) (bool, error) {
	c, err := s.Services.Credentials.FindCredentials(ctx, workerID)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return c.MFAEnrolled(), nil
}

var errNoAuditor = ward.Errorf(ward.EINTERNAL, "No auditor is configured; lifecycle changes are refused.")

// event returns a successful event about a worker, by the context's
// principal.
func (s *Service) event(ctx context.Context, action, workerID string, details map[string]string) *ward.Event {
	ev := &ward.Event{
		Time:    s.now().UTC(),
		Action:  action,
		Actor:   ward.EventActor{Subject: ward.Actor(ctx)},
		Target:  ward.EventTarget{ResourceType: "Worker", ResourceID: workerID},
		Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess},
		Details: details,
	}
	if p := ward.PrincipalFromContext(ctx); p != nil {
		ev.Actor = ward.EventActor{Subject: ward.Actor(ctx), Role: p.Role, WorkerID: p.WorkerID, Username: p.Username,
			VendorID: p.VendorID, TeamID: p.TeamID, SessionID: p.SessionID, DeviceID: p.DeviceID}
		ev.Origin = ward.EventOrigin{Country: p.Country, SiteID: p.SiteID}
	}
	return ev
}

func (s *Service) transitionEvent(ctx context.Context, workerID string, from, to ward.WorkerStatus, reason string) *ward.Event {
	d := map[string]string{"from": string(from), "to": string(to)}
	if reason != "" {
		d["reason"] = reason
	}
	return s.event(ctx, "worker.transition", workerID, d)
}

// audit records events in order. The changes they describe are already
// made, so a failure says so rather than looking like a failed change.
func (s *Service) audit(ctx context.Context, events []*ward.Event) error {
	for _, ev := range events {
		if _, err := s.Auditor.Audit(ctx, ev); err != nil {
			return &auditError{err: ward.Errorf(ward.EUNAVAILABLE, "The audit ledger is unavailable: the change was saved but not fully audited. Check before retrying."), cause: err}
		}
	}
	return nil
}

// auditError is EUNAVAILABLE for the user and keeps the ledger's error for
// logs.
type auditError struct {
	err   *ward.Error
	cause error
}

func (e *auditError) Error() string { return e.err.Error() + ": " + e.cause.Error() }
func (e *auditError) Unwrap() error { return e.err }
