package identity

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// Issued is a new session and its bearer token. The token is shown to the
// client once; only its hash is stored.
type Issued struct {
	Token   string
	Session *ward.Session
}

// Session methods.
const (
	MethodPasswordTOTP = "password+totp"
	MethodWebAuthn     = "webauthn"
	MethodOIDC         = "oidc"
)

// maxUserAgent bounds the User-Agent kept with a session.
const maxUserAgent = 200

// Origin returns where r came from: the client address (see ClientAddr),
// its site and country, and its device. LoopbackIsHome does not apply, as
// no worker is known here.
func (m *Manager) Origin(r *http.Request) (Origin, error) {
	return m.origin(r.Context(), r, nil)
}

// origin is Origin for a request by worker w (nil when unknown).
func (m *Manager) origin(ctx context.Context, r *http.Request, w *ward.Worker) (Origin, error) {
	addr, forwarded, err := ClientAddr(r, m.cfg.TrustedProxies)
	if err != nil {
		return Origin{}, err
	}
	o := Origin{Addr: addr}
	if o.Country, o.SiteID, err = m.locate(ctx, r, w, addr, forwarded, nil); err != nil {
		return o, err
	}
	if o.Device, err = m.device(r, nil); err != nil {
		return o, err
	}
	return o, nil
}

// Login verifies a built-in account's username, password and TOTP code
// and opens a session from r's origin and device.
//
// Wrong or unknown username, password or code all give the same
// EUNAUTHORIZED bad_credentials refusal, after the same argon2id work, and
// count towards the lockout (see LockoutPolicy); a locked key gives
// ERATELIMITED locked_out without checking anything. Once the credentials
// are right, the session's policy is applied as in IssueSession. Every
// outcome is recorded (auth.login, auth.login_failed, auth.lockout); the
// token is returned only after auth.login is durable.
func (m *Manager) Login(ctx context.Context, r *http.Request, username, password, otp string) (*Issued, error) {
	now := m.now()
	w, err := m.findUsername(ctx, username)
	if err != nil {
		return nil, err
	}
	o, err := m.origin(ctx, r, w)
	if err != nil {
		if ref, ok := err.(*Refusal); ok {
			return nil, m.refused(ctx, w, o, now, ref)
		}
		return nil, err
	}
	keys := [2]string{}
	keys[0], keys[1] = lockKeys(username, o)
	if err := m.lockedOut(ctx, keys, now); err != nil {
		if ref, ok := err.(*Refusal); ok {
			return nil, m.refused(ctx, w, o, now, ref)
		}
		return nil, err
	}

	var creds *ward.Credentials
	if w != nil {
		creds, err = m.svc.Credentials.FindCredentials(ctx, w.ID)
		if ward.ErrorCode(err) == ward.ENOTFOUND {
			creds = nil
		} else if err != nil {
			return nil, unavailable("credential store", err)
		}
	}
	// Spend the same argon2id work whether or not there is a hash to
	// check, so that timing does not tell which usernames exist.
	hash, real := dummyHash(), false
	if creds != nil && creds.PasswordHash != "" {
		hash, real = creds.PasswordHash, true
	}
	pw := password
	if len(pw) > MaxPasswordLength {
		pw, real = pw[:MaxPasswordLength], false
	}
	ok, err := CheckPassword(hash, pw)
	if err != nil && w != nil {
		m.log.Error("stored password hash is unusable", "worker", w.ID, "err", err)
	}
	if !ok || !real {
		return nil, m.failed(ctx, w, o, keys, now)
	}
	if !creds.MFAEnrolled() || creds.TOTPSecret == "" {
		// The password was right; without TOTP this path cannot satisfy
		// MFA (a WebAuthn-only account logs in with its key).
		return nil, m.refused(ctx, w, o, now, errMFARequired)
	}
	step, ok := totpStep(creds.TOTPSecret, strings.TrimSpace(otp), now)
	if !ok {
		return nil, m.failed(ctx, w, o, keys, now)
	}
	// Spend the step: a code is good for one login, even across replicas.
	if err := m.svc.Credentials.UseTOTPStep(ctx, w.ID, step); ward.ErrorCode(err) == ward.ECONFLICT {
		return nil, m.failed(ctx, w, o, keys, now)
	} else if err != nil {
		return nil, unavailable("credential store", err)
	}
	if err := m.svc.LoginFailures.ClearLoginFailures(ctx, keys[0]); err != nil {
		return nil, unavailable("login service", err)
	}
	return m.issue(ctx, r, w, o, MethodPasswordTOTP, now)
}

// findUsername returns the worker with the username, or nil.
func (m *Manager) findUsername(ctx context.Context, username string) (*ward.Worker, error) {
	u := strings.ToLower(strings.TrimSpace(username))
	if u == "" || len(u) > 64 {
		return nil, nil
	}
	ws, _, err := m.svc.Workers.FindWorkers(ctx, ward.WorkerFilter{Username: &u, Page: ward.Page{Limit: 1}})
	if err != nil {
		return nil, unavailable("directory", err)
	}
	if len(ws) == 0 {
		return nil, nil
	}
	return ws[0], nil
}

// failed counts a failed login, records it (and any lockout it caused)
// and returns the bad_credentials refusal.
func (m *Manager) failed(ctx context.Context, w *ward.Worker, o Origin, keys [2]string, now time.Time) error {
	locked, err := m.countFailure(ctx, keys, now)
	if err != nil {
		return err
	}
	if err := m.audit(ctx, m.event(ctx, ActionLoginFailed, w, nil, o, now, ward.DecisionFailure, ReasonBadCredentials)); err != nil {
		return err
	}
	for _, f := range locked {
		e := m.event(ctx, ActionLockout, w, nil, o, now, ward.DecisionSuccess, ReasonLockedOut)
		kind := "account"
		if strings.HasPrefix(f.Key, "addr:") {
			kind = "address"
		}
		e.Details = map[string]string{"key": kind, "locked_until": f.LockedUntil.UTC().Format(time.RFC3339)}
		if w == nil && kind == "account" {
			// The key names an unknown username: keep it out of the record.
			e.Details["key"] = "account_unknown_user"
		}
		if err := m.audit(ctx, e); err != nil {
			return err
		}
	}
	return errBadCredentials
}

// refused records a login refused for ref's reason and returns ref.
func (m *Manager) refused(ctx context.Context, w *ward.Worker, o Origin, now time.Time, ref *Refusal) error {
	if err := m.audit(ctx, m.event(ctx, ActionLoginFailed, w, nil, o, now, ward.DecisionFailure, ref.Reason)); err != nil {
		return err
	}
	return ref
}

func (m *Manager) audit(ctx context.Context, e *ward.Event) error {
	if _, err := m.auditor.Audit(ctx, e); err != nil {
		return unavailable("audit ledger", err)
	}
	return nil
}

// IssueSession opens a session for a worker whose identity was verified
// elsewhere (WebAuthn, OpenID Connect with MFA), from r's origin and
// device. method is recorded with the session ("webauthn", "oidc").
//
// It applies the same policy as Login: the worker must be active; vendor
// staff need their vendor's BAA in force and a known, approved origin
// country; workers must be on shift (the session ends at the shift's end
// plus ShiftGrace) and, with RequireEnrolledDevice, on an enrolled device.
// Refusals are EFORBIDDEN *Refusal errors and are recorded as
// auth.login_failed. Returns ENOTFOUND for an unknown worker.
func (m *Manager) IssueSession(ctx context.Context, r *http.Request, workerID, method string) (*Issued, error) {
	now := m.now()
	w, err := m.svc.Workers.FindWorkerByID(ctx, workerID)
	if err != nil {
		return nil, err
	}
	o, err := m.origin(ctx, r, w)
	if err != nil {
		if ref, ok := err.(*Refusal); ok {
			return nil, m.refused(ctx, w, o, now, ref)
		}
		return nil, err
	}
	return m.issue(ctx, r, w, o, method, now)
}

// issue applies the login policy and opens the session.
func (m *Manager) issue(ctx context.Context, r *http.Request, w *ward.Worker, o Origin, method string, now time.Time) (*Issued, error) {
	expires, err := m.admit(ctx, w, o, now)
	if err != nil {
		if ref, ok := err.(*Refusal); ok {
			return nil, m.refused(ctx, w, o, now, ref)
		}
		return nil, err
	}
	tok, hash := newToken()
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	s := &ward.Session{
		WorkerID:   w.ID,
		TokenHash:  hash[:],
		DeviceID:   o.Device,
		ClientAddr: o.Addr.String(),
		Country:    o.Country,
		SiteID:     o.SiteID,
		UserAgent:  ua,
		Method:     method,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  expires,
	}
	if err := m.svc.Sessions.CreateSession(ctx, s); err != nil {
		return nil, unavailable("session store", err)
	}
	// The store delivered its own change before returning, so a change
	// counted after this point is a later one (a revocation).
	gen := m.sessions.generation()
	e := m.event(ctx, ActionLogin, w, s, o, now, ward.DecisionSuccess)
	e.Details = map[string]string{"method": method, "expires_at": s.ExpiresAt.UTC().Format(time.RFC3339)}
	if err := m.audit(ctx, e); err != nil {
		// No session without its audit record.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, rerr := m.svc.Sessions.RevokeSession(rctx, s.ID, "audit_failed"); rerr != nil {
			m.log.Error("revoke unaudited session", "session", s.ID, "err", rerr)
		}
		m.sessions.invalidate(s.ID)
		return nil, err
	}
	cached := *s
	cached.TokenHash = bytes.Clone(s.TokenHash)
	m.sessions.put(&cached, hash, gen, nil)
	return &Issued{Token: tok, Session: s}, nil
}

// admit applies the login policy to worker w from origin o at now and
// returns when the session must end.
func (m *Manager) admit(ctx context.Context, w *ward.Worker, o Origin, now time.Time) (time.Time, error) {
	switch w.Status {
	case ward.WorkerActive:
	case ward.WorkerSuspended:
		return time.Time{}, errSuspended
	default:
		return time.Time{}, errNotActive
	}
	expires := now.Add(m.cfg.MaxLifetime)
	if staff(w) {
		v, err := m.svc.Vendors.FindVendorByID(ctx, w.VendorID)
		if ward.ErrorCode(err) == ward.ENOTFOUND {
			return time.Time{}, errBAALapsed
		} else if err != nil {
			return time.Time{}, unavailable("directory", err)
		}
		if !v.BAAInForce(now) {
			return time.Time{}, errBAALapsed
		}
		if o.Country == "" {
			return time.Time{}, errCountryUnknown
		}
		if !v.ApprovesCountry(o.Country) {
			return time.Time{}, errCountryNotApproved(o.Country)
		}
	}
	if w.Role != ward.RoleWorker {
		return expires, nil
	}
	if w.ScheduleID == "" {
		return time.Time{}, errNoSchedule
	}
	sched, err := m.svc.Schedules.FindScheduleByID(ctx, w.ScheduleID)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return time.Time{}, errNoSchedule
	} else if err != nil {
		return time.Time{}, unavailable("directory", err)
	}
	_, end, ok := sched.Shift(now)
	if !ok {
		return time.Time{}, errOffShift
	}
	if e := end.Add(m.cfg.ShiftGrace); e.Before(expires) {
		expires = e
	}
	if m.cfg.RequireEnrolledDevice {
		if o.Device == "" {
			return time.Time{}, errNotEnrolled
		}
		active := true
		_, n, err := m.svc.Devices.FindDevices(ctx, ward.DeviceFilter{WorkerID: &w.ID, Identity: &o.Device, Active: &active, Page: ward.Page{Limit: 1}})
		if err != nil {
			return time.Time{}, unavailable("directory", err)
		}
		if n == 0 {
			return time.Time{}, errNotEnrolled
		}
	}
	return expires, nil
}
