package http

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity"
	"github.com/wardhq/ward/identity/onboarding"
)

// Lifecycle moves workers through onboarding and out again;
// onboarding.Service implements it.
type Lifecycle interface {
	Checklist(ctx context.Context, workerID string) (onboarding.Checklist, error)
	Record(ctx context.Context, r *ward.OnboardingRecord) (*ward.OnboardingRecord, error)
	Activate(ctx context.Context, workerID, reason string) (*ward.Worker, error)
	Suspend(ctx context.Context, workerID, reason string) (*ward.Worker, error)
	Offboard(ctx context.Context, workerID, reason string) (*ward.Worker, error)
	LeadTime(ctx context.Context, vendorID string) (onboarding.LeadTime, error)
}

// registerCredentialRoutes registers enrolment of login factors, devices,
// system tokens and the onboarding checklist.
func (s *Server) registerCredentialRoutes(mux *router) {
	mux.HandleFunc("PUT /api/v1/workers/{id}/password", s.handlePasswordSet)
	mux.HandleFunc("POST /api/v1/workers/{id}/totp", s.handleTOTPBegin)
	mux.HandleFunc("POST /api/v1/workers/{id}/totp/confirm", s.handleTOTPConfirm)
	mux.HandleFunc("POST /api/v1/workers/{id}/webauthn/begin", s.handlePasskeyRegisterBegin)
	mux.HandleFunc("POST /api/v1/workers/{id}/webauthn/finish", s.handlePasskeyRegisterFinish)
	mux.HandleFunc("GET /api/v1/workers/{id}/devices", s.handleDeviceList)
	mux.HandleFunc("POST /api/v1/workers/{id}/devices", s.handleDeviceCreate)
	mux.HandleFunc("POST /api/v1/devices/{id}/revoke", s.handleDeviceRevoke)
	mux.HandleFunc("GET /api/v1/workers/{id}/onboarding", s.handleChecklist)
	mux.HandleFunc("POST /api/v1/workers/{id}/onboarding", s.handleOnboardingRecord)
	mux.HandleFunc("GET /api/v1/onboarding/lead-time", s.handleLeadTime)
	mux.HandleFunc("GET /api/v1/tokens", s.handleTokenList)
	mux.HandleFunc("POST /api/v1/tokens", s.handleTokenCreate)
	mux.HandleFunc("POST /api/v1/tokens/{id}/revoke", s.handleTokenRevoke)
	mux.HandleFunc("POST /api/v1/sessions/{id}/revoke", s.handleSessionRevoke)
	mux.HandleFunc("POST /api/v1/logout", s.handleLogout)
	mux.HandleFunc("GET /api/v1/me", s.handleMe)
}

// staffWorker returns worker {id} when the caller may manage their
// credentials: an administrator, or a supervisor of the worker's vendor.
func (s *Server) staffWorker(r *http.Request) (*ward.Worker, error) {
	a, err := authorize(r, resWorkers, true)
	if err != nil {
		return nil, err
	}
	if a.scope == scopeSelf {
		return nil, ward.Errorf(ward.EFORBIDDEN, "Your role (%s) may not manage credentials.", a.p.Role)
	}
	return s.findWorker(r, a, r.PathValue("id"))
}

func (s *Server) needIdentity() error {
	if s.Identity == nil {
		return ward.Errorf(ward.ENOTIMPLEMENTED, "Logins are not configured on this server.")
	}
	return nil
}

type passwordRequest struct {
	Password string `json:"password"`
}

// handlePasswordSet handles "PUT /api/v1/workers/{id}/password".
func (s *Server) handlePasswordSet(w http.ResponseWriter, r *http.Request) {
	if err := s.needIdentity(); err != nil {
		Error(w, r, err)
		return
	}
	wk, err := s.staffWorker(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	var req passwordRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	if err := s.Identity.SetPassword(r.Context(), wk.ID, req.Password); err != nil {
		Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type totpBeginResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
}

// handleTOTPBegin handles "POST /api/v1/workers/{id}/totp": a new secret
// for the worker's authenticator app. Nothing is stored until the worker
// confirms it with a code.
func (s *Server) handleTOTPBegin(w http.ResponseWriter, r *http.Request) {
	if err := s.needIdentity(); err != nil {
		Error(w, r, err)
		return
	}
	wk, err := s.staffWorker(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	secret, u, err := identity.NewTOTPSecret(wk.Username, s.issuer())
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, totpBeginResponse{Secret: secret, OTPAuthURL: u})
}

func (s *Server) issuer() string {
	if s.TOTPIssuer != "" {
		return s.TOTPIssuer
	}
	return "ward"
}

type totpConfirmRequest struct {
	Secret string `json:"secret"`
	Code   string `json:"code"`
}

// handleTOTPConfirm handles "POST /api/v1/workers/{id}/totp/confirm": a
// code from the new secret enrols it.
func (s *Server) handleTOTPConfirm(w http.ResponseWriter, r *http.Request) {
	if err := s.needIdentity(); err != nil {
		Error(w, r, err)
		return
	}
	wk, err := s.staffWorker(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	var req totpConfirmRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	if err := s.Identity.EnrolTOTP(r.Context(), wk.ID, req.Secret, req.Code); err != nil {
		Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) existingKeys(ctx context.Context, workerID string) ([]*ward.WebAuthnCredential, error) {
	cr, err := s.Services.Credentials.FindCredentials(ctx, workerID)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return cr.WebAuthn, nil
}

// handlePasskeyRegisterBegin handles "POST /api/v1/workers/{id}/webauthn/begin".
func (s *Server) handlePasskeyRegisterBegin(w http.ResponseWriter, r *http.Request) {
	if s.Passkeys == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Security keys are not configured (identity.webauthn.rp_id)."))
		return
	}
	wk, err := s.staffWorker(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	keys, err := s.existingKeys(r.Context(), wk.ID)
	if err != nil {
		Error(w, r, err)
		return
	}
	opts, state, err := s.Passkeys.BeginRegistration(wk, keys)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, passkeyLoginBeginResponse{Options: opts, State: state})
}

// handlePasskeyRegisterFinish handles "POST /api/v1/workers/{id}/webauthn/finish".
func (s *Server) handlePasskeyRegisterFinish(w http.ResponseWriter, r *http.Request) {
	if s.Passkeys == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Security keys are not configured (identity.webauthn.rp_id)."))
		return
	}
	wk, err := s.staffWorker(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	var req passkeyFinish
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	keys, err := s.existingKeys(r.Context(), wk.ID)
	if err != nil {
		Error(w, r, err)
		return
	}
	c, err := s.Passkeys.FinishRegistration(wk, keys, req.State, req.Response)
	if err != nil {
		Error(w, r, err)
		return
	}
	if err := s.Services.Credentials.AddWebAuthnCredential(r.Context(), wk.ID, c); err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusCreated, c)
}

// handleDeviceList handles "GET /api/v1/workers/{id}/devices".
func (s *Server) handleDeviceList(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resWorkers, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	wk, err := s.findWorker(r, a, r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.DeviceFilter{WorkerID: &wk.ID, Page: q.page()}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	ds, n, err := s.Services.Devices.FindDevices(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, ds, n, f.Page)
}

type deviceRequest struct {
	Identity string `json:"identity"`
	Name     string `json:"name"`
}

// handleDeviceCreate handles "POST /api/v1/workers/{id}/devices": enrols a
// VDI host or certificate for the worker.
func (s *Server) handleDeviceCreate(w http.ResponseWriter, r *http.Request) {
	wk, err := s.staffWorker(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	var req deviceRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	d := &ward.Device{WorkerID: wk.ID, Identity: req.Identity, Name: req.Name}
	if err := s.Services.Devices.CreateDevice(r.Context(), d); err != nil {
		Error(w, r, err)
		return
	}
	created(w, r, "/api/v1/workers/"+wk.ID+"/devices", d.ID, d)
}

// handleDeviceRevoke handles "POST /api/v1/devices/{id}/revoke".
func (s *Server) handleDeviceRevoke(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resWorkers, true)
	if err != nil {
		Error(w, r, err)
		return
	}
	if a.scope == scopeSelf {
		Error(w, r, ward.Errorf(ward.EFORBIDDEN, "Your role (%s) may not revoke devices.", a.p.Role))
		return
	}
	id := r.PathValue("id")
	ds, _, err := s.Services.Devices.FindDevices(r.Context(), ward.DeviceFilter{ID: &id})
	if err != nil {
		Error(w, r, err)
		return
	}
	if len(ds) != 1 {
		Error(w, r, errOutOfScope("Device"))
		return
	}
	dev := ds[0]
	if _, err := s.findWorker(r, a, dev.WorkerID); err != nil {
		Error(w, r, errOutOfScope("Device"))
		return
	}
	d, err := s.Services.Devices.RevokeDevice(r.Context(), id)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, d)
}

// handleChecklist handles "GET /api/v1/workers/{id}/onboarding".
func (s *Server) handleChecklist(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resWorkers, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	wk, err := s.findWorker(r, a, r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	if s.Lifecycle == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Onboarding is not configured on this server."))
		return
	}
	c, err := s.Lifecycle.Checklist(r.Context(), wk.ID)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, c)
}

type onboardingRequest struct {
	Step        ward.OnboardingStep `json:"step"`
	Evidence    string              `json:"evidence"`
	CompletedOn *ward.Date          `json:"completed_on"`
}

// handleOnboardingRecord handles "POST /api/v1/workers/{id}/onboarding":
// records one completed step with who and when.
func (s *Server) handleOnboardingRecord(w http.ResponseWriter, r *http.Request) {
	wk, err := s.staffWorker(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	if s.Lifecycle == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Onboarding is not configured on this server."))
		return
	}
	var req onboardingRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	rec, err := s.Lifecycle.Record(r.Context(), &ward.OnboardingRecord{WorkerID: wk.ID, Step: req.Step, Evidence: req.Evidence, CompletedOn: req.CompletedOn})
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusCreated, rec)
}

// handleLeadTime handles "GET /api/v1/onboarding/lead-time": created to
// active, p50 and p90, against the 48-hour target.
func (s *Server) handleLeadTime(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resWorkers, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	if a.scope == scopeSelf {
		Error(w, r, ward.Errorf(ward.EFORBIDDEN, "Your role (%s) may not read lead times.", a.p.Role))
		return
	}
	q := parseQuery(r.URL.RawQuery)
	vendor := q.str("vendor_id")
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	if err := a.scopeVendorFilter(&vendor); err != nil {
		Error(w, r, err)
		return
	}
	if s.Lifecycle == nil {
		Error(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Onboarding is not configured on this server."))
		return
	}
	v := ""
	if vendor != nil {
		v = *vendor
	}
	lt, err := s.Lifecycle.LeadTime(r.Context(), v)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, lt)
}

// handleTokenList handles "GET /api/v1/tokens".
func (s *Server) handleTokenList(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resTokens, false); err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	f := ward.APITokenFilter{Kind: q.str("kind"), VendorID: q.str("vendor_id"), Page: q.page()}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	ts, n, err := s.Services.APITokens.FindAPITokens(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, ts, n, f.Page)
}

type tokenRequest struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	VendorID string `json:"vendor_id"`
}

// tokenResponse shows a new token once; only its hash is kept.
type tokenResponse struct {
	*ward.APIToken
	Token string `json:"token"`
}

// handleTokenCreate handles "POST /api/v1/tokens": a bearer token for a
// vendor's SCIM client or a VDI/DLP signal source.
func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resTokens, true); err != nil {
		Error(w, r, err)
		return
	}
	var req tokenRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	tok, hash, err := NewSystemToken(req.Kind)
	if err != nil {
		Error(w, r, err)
		return
	}
	t := &ward.APIToken{Name: req.Name, Kind: req.Kind, VendorID: req.VendorID, TokenHash: hash}
	if err := s.Services.APITokens.CreateAPIToken(r.Context(), t); err != nil {
		Error(w, r, err)
		return
	}
	created(w, r, "/api/v1/tokens", t.ID, tokenResponse{APIToken: t, Token: tok})
}

// NewSystemToken returns a random bearer token for a system of kind and
// the SHA-256 hash that is stored.
func NewSystemToken(kind string) (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	token = "ward_" + kind + "_" + base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(token))
	return token, h[:], nil
}

// handleTokenRevoke handles "POST /api/v1/tokens/{id}/revoke".
func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resTokens, true); err != nil {
		Error(w, r, err)
		return
	}
	t, err := s.Services.APITokens.RevokeAPIToken(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, t)
}

type revokeRequest struct {
	Reason string `json:"reason"`
}

// handleSessionRevoke handles "POST /api/v1/sessions/{id}/revoke": ends a
// session now, on every replica.
func (s *Server) handleSessionRevoke(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resSessions, true); err != nil {
		Error(w, r, err)
		return
	}
	var req revokeRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	if req.Reason == "" {
		Error(w, r, ward.FieldErrorf("reason", "A reason is required."))
		return
	}
	sess, err := s.Services.Sessions.RevokeSession(r.Context(), r.PathValue("id"), req.Reason)
	if err != nil {
		Error(w, r, err)
		return
	}
	if s.OnSessionEnd != nil {
		if err := s.OnSessionEnd(r.Context(), sess.WorkerID, "session_revoked"); err != nil {
			Error(w, r, err)
			return
		}
	}
	writeJSON(w, r, http.StatusOK, sess)
}
