package http

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity"
	"github.com/wardhq/ward/identity/sso"
)

// Identity logs people in and validates their sessions on every request;
// identity.Manager implements it.
type Identity interface {
	Login(ctx context.Context, r *http.Request, username, password, otp string) (*identity.Issued, error)
	IssueSession(ctx context.Context, r *http.Request, workerID, method string) (*identity.Issued, error)
	AuthenticateToken(r *http.Request, token string) (*ward.Principal, error)
	Logout(ctx context.Context, r *http.Request, token string) error
	SetPassword(ctx context.Context, workerID, password string) error
	EnrolTOTP(ctx context.Context, workerID, secret, code string) error
}

// SSO is the organization's OpenID Connect provider; sso.Provider
// implements it.
type SSO interface {
	Begin() (authURL, state string, err error)
	// Finish returns the verified identity; MFA was asserted.
	Finish(ctx context.Context, state, queryState, code string) (*sso.Identity, error)
}

// Passkeys runs WebAuthn ceremonies; passkey.Keys implements it.
type Passkeys interface {
	BeginRegistration(w *ward.Worker, existing []*ward.WebAuthnCredential) (options json.RawMessage, state string, err error)
	FinishRegistration(w *ward.Worker, existing []*ward.WebAuthnCredential, state string, response []byte) (*ward.WebAuthnCredential, error)
	BeginLogin(w *ward.Worker, creds []*ward.WebAuthnCredential) (options json.RawMessage, state string, err error)
	FinishLogin(w *ward.Worker, creds []*ward.WebAuthnCredential, state string, response []byte) (credentialID []byte, signCount uint32, err error)
}

// registerLoginRoutes registers the routes a caller reaches before it has
// a session. They sit on the root mux, outside the API's authentication.
func (s *Server) registerLoginRoutes(mux *router) {
	mux.Handle("POST /api/v1/login", apiHeaders(http.HandlerFunc(s.handleLogin)))
	mux.Handle("GET /api/v1/login/oidc", apiHeaders(http.HandlerFunc(s.handleOIDCBegin)))
	mux.Handle("GET /api/v1/login/oidc/callback", apiHeaders(http.HandlerFunc(s.handleOIDCCallback)))
	mux.Handle("POST /api/v1/login/webauthn/begin", apiHeaders(http.HandlerFunc(s.handlePasskeyLoginBegin)))
	mux.Handle("POST /api/v1/login/webauthn/finish", apiHeaders(http.HandlerFunc(s.handlePasskeyLoginFinish)))
}

// loginResponse is the body of a successful login.
type loginResponse struct {
	Token     string        `json:"token"`
	ExpiresAt time.Time     `json:"expires_at"`
	Session   *ward.Session `json:"session"`
}

func writeLogin(w http.ResponseWriter, r *http.Request, is *identity.Issued) {
	writeJSON(w, r, http.StatusOK, loginResponse{Token: is.Token, ExpiresAt: is.Session.ExpiresAt, Session: is.Session})
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	OTP      string `json:"otp"`
}

// handleLogin handles "POST /api/v1/login": username, password and TOTP
// code in, a session token out.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.Identity == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Logins are not configured on this server."))
		return
	}
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	is, err := s.Identity.Login(r.Context(), r, req.Username, req.Password, req.OTP)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeLogin(w, r, is)
}

// handleLogout handles "POST /api/v1/logout": it ends the caller's session
// and, with it, the grants the session was using.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	p := ward.PrincipalFromContext(r.Context())
	tok, ok := bearerToken(r)
	if s.Identity == nil || !ok || p == nil || p.SessionID == "" {
		Error(w, r, ward.Errorf(ward.EUNPROCESSABLE, "Only a login session can log out; the admin token is rotated in the configuration."))
		return
	}
	if err := s.Identity.Logout(r.Context(), r, tok); err != nil {
		Error(w, r, err)
		return
	}
	if s.OnSessionEnd != nil {
		if err := s.OnSessionEnd(r.Context(), p.WorkerID, "logout"); err != nil {
			Error(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// meResponse describes the caller.
type meResponse struct {
	Subject   string        `json:"subject"`
	Role      ward.Role     `json:"role"`
	Worker    *ward.Worker  `json:"worker,omitempty"`
	Session   *ward.Session `json:"session,omitempty"`
	Country   string        `json:"country,omitempty"`
	SiteID    string        `json:"site_id,omitempty"`
	DeviceID  string        `json:"device_id,omitempty"`
	VendorID  string        `json:"vendor_id,omitempty"`
	TeamID    string        `json:"team_id,omitempty"`
	SessionID string        `json:"session_id,omitempty"`
}

// handleMe handles "GET /api/v1/me": who the caller is, from where, and
// the session they use.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	p := ward.PrincipalFromContext(r.Context())
	me := meResponse{Subject: p.Subject, Role: p.Role, Country: p.Country, SiteID: p.SiteID, DeviceID: p.DeviceID,
		VendorID: p.VendorID, TeamID: p.TeamID, SessionID: p.SessionID}
	if p.WorkerID != "" && s.Services.Workers != nil {
		wk, err := s.Services.Workers.FindWorkerByID(r.Context(), p.WorkerID)
		if err != nil {
			Error(w, r, err)
			return
		}
		me.Worker = wk
	}
	if p.SessionID != "" && s.Services.Sessions != nil {
		sess, err := s.Services.Sessions.FindSessionByID(r.Context(), p.SessionID)
		if err != nil {
			Error(w, r, err)
			return
		}
		me.Session = sess
	}
	writeJSON(w, r, http.StatusOK, me)
}

// oidcStateCookie carries the sealed state of an SSO login between the
// redirect to the provider and the callback.
const oidcStateCookie = "ward_oidc_state"

// handleOIDCBegin handles "GET /api/v1/login/oidc": it redirects the
// browser to the organization's identity provider.
func (s *Server) handleOIDCBegin(w http.ResponseWriter, r *http.Request) {
	if s.SSO == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Single sign-on is not configured (identity.oidc.issuer)."))
		return
	}
	u, state, err := s.SSO.Begin()
	if err != nil {
		Error(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Value: state, Path: "/api/v1/login/oidc", MaxAge: 600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, u, http.StatusFound)
}

// handleOIDCCallback handles "GET /api/v1/login/oidc/callback": the
// provider sends the browser back with a code; a verified identity with
// MFA asserted that maps to one active worker gets a session.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	if s.SSO == nil || s.Identity == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Single sign-on is not configured (identity.oidc.issuer)."))
		return
	}
	c, err := r.Cookie(oidcStateCookie)
	if err != nil {
		Error(w, r, ward.Refusef(ward.EUNAUTHORIZED, "state_mismatch", "The login began elsewhere or expired; start again."))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Path: "/api/v1/login/oidc", MaxAge: -1, HttpOnly: true})
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		Error(w, r, ward.Refusef(ward.EUNAUTHORIZED, "idp_error", "The identity provider refused the login."))
		return
	}
	id, err := s.SSO.Finish(r.Context(), c.Value, q.Get("state"), q.Get("code"))
	if err != nil {
		Error(w, r, err)
		return
	}
	wk, err := s.workerForSSO(r.Context(), id.Subject, id.Username)
	if err != nil {
		Error(w, r, err)
		return
	}
	is, err := s.Identity.IssueSession(r.Context(), r, wk.ID, "oidc")
	if err != nil {
		Error(w, r, err)
		return
	}
	writeLogin(w, r, is)
}

// workerForSSO finds the worker an SSO identity belongs to: by external
// ID (the provider's subject), else by username.
func (s *Server) workerForSSO(ctx context.Context, subject, username string) (*ward.Worker, error) {
	for _, f := range []ward.WorkerFilter{{ExternalID: &subject}, {Username: &username}} {
		if (f.ExternalID != nil && *f.ExternalID == "") || (f.Username != nil && *f.Username == "") {
			continue
		}
		ws, _, err := s.Services.Workers.FindWorkers(ctx, f)
		if err != nil {
			return nil, err
		}
		if len(ws) == 1 {
			return ws[0], nil
		}
	}
	return nil, ward.Refusef(ward.EUNAUTHORIZED, "unknown_identity", "No ward account belongs to this identity.")
}

type passkeyLoginBegin struct {
	Username string `json:"username"`
}

type passkeyLoginBeginResponse struct {
	Options json.RawMessage `json:"options"`
	State   string          `json:"state"`
}

// passkeyWorker returns the worker and security keys of a username, or
// one refusal for any failure, so that usernames cannot be probed.
func (s *Server) passkeyWorker(ctx context.Context, username string) (*ward.Worker, *ward.Credentials, error) {
	refused := ward.Refusef(ward.EUNAUTHORIZED, "bad_credentials", "Invalid username or security key.")
	ws, _, err := s.Services.Workers.FindWorkers(ctx, ward.WorkerFilter{Username: &username})
	if err != nil {
		return nil, nil, err
	}
	if len(ws) != 1 {
		return nil, nil, refused
	}
	cr, err := s.Services.Credentials.FindCredentials(ctx, ws[0].ID)
	if ward.ErrorCode(err) == ward.ENOTFOUND || err == nil && len(cr.WebAuthn) == 0 {
		return nil, nil, refused
	} else if err != nil {
		return nil, nil, err
	}
	return ws[0], cr, nil
}

// handlePasskeyLoginBegin handles "POST /api/v1/login/webauthn/begin".
func (s *Server) handlePasskeyLoginBegin(w http.ResponseWriter, r *http.Request) {
	if s.Passkeys == nil || s.Identity == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Security keys are not configured (identity.webauthn.rp_id)."))
		return
	}
	var req passkeyLoginBegin
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	wk, cr, err := s.passkeyWorker(r.Context(), req.Username)
	if err != nil {
		Error(w, r, err)
		return
	}
	opts, state, err := s.Passkeys.BeginLogin(wk, cr.WebAuthn)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, passkeyLoginBeginResponse{Options: opts, State: state})
}

type passkeyFinish struct {
	Username string          `json:"username"`
	State    string          `json:"state"`
	Response json.RawMessage `json:"response"`
}

// handlePasskeyLoginFinish handles "POST /api/v1/login/webauthn/finish".
func (s *Server) handlePasskeyLoginFinish(w http.ResponseWriter, r *http.Request) {
	if s.Passkeys == nil || s.Identity == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Security keys are not configured (identity.webauthn.rp_id)."))
		return
	}
	var req passkeyFinish
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	wk, cr, err := s.passkeyWorker(r.Context(), req.Username)
	if err != nil {
		Error(w, r, err)
		return
	}
	id, count, err := s.Passkeys.FinishLogin(wk, cr.WebAuthn, req.State, req.Response)
	if err != nil {
		Error(w, r, err)
		return
	}
	if err := s.Services.Credentials.UpdateWebAuthnSignCount(r.Context(), wk.ID, id, count); err != nil {
		Error(w, r, err)
		return
	}
	is, err := s.Identity.IssueSession(r.Context(), r, wk.ID, "webauthn")
	if err != nil {
		Error(w, r, err)
		return
	}
	writeLogin(w, r, is)
}
