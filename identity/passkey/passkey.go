// Package passkey registers and checks WebAuthn security keys, the
// hardware-key second factor for ward's built-in accounts.
//
// Each ceremony (registration or login) has two halves. Begin returns the
// options for navigator.credentials.create or .get and an opaque state: the
// ceremony's challenge and parameters sealed with an AEAD key, bound to the
// worker and short-lived. The caller keeps the state (a cookie, a form
// field) and hands it to Finish, so any replica can finish a ceremony
// another began and nothing is stored in between.
//
// Policy: user verification (a PIN or biometric on the key) is required, so
// the key is a second factor by itself; attestation is not requested; and
// backup-eligible credentials (passkeys synced to a cloud account) are
// refused, because a key that can leave the device proves nothing about who
// holds it. A signature counter that does not increase is refused as a
// cloned key.
package passkey

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/wardhq/ward"
)

// Refusal reasons, as [Reason] reports them. Stable values.
const (
	ReasonStateMismatch     = "state_mismatch"       // the state is missing, tampered with, or for another worker or ceremony
	ReasonStateExpired      = "state_expired"        // the ceremony took longer than StateTTL
	ReasonResponseInvalid   = "response_invalid"     // malformed response, wrong origin or challenge, bad signature, no user verification
	ReasonUnknownCredential = "unknown_credential"   // the key used is not one of the worker's
	ReasonSignCount         = "sign_count_regressed" // the key's counter did not increase: it may be cloned
	ReasonSyncedCredential  = "synced_credential"    // a backup-eligible (synced) passkey, refused by policy
	ReasonDuplicate         = "duplicate_credential" // the key is registered to this worker already
)

// DefaultStateTTL bounds a ceremony, from Begin to Finish.
const DefaultStateTTL = 5 * time.Minute

// Config configures Keys.
type Config struct {
	RPID          string   // the relying party ID: ward's host name, e.g. "ward.example.org"
	RPDisplayName string   // shown by the browser, e.g. "ward"
	RPOrigins     []string // the origins the console is served from, e.g. "https://ward.example.org"
	// StateKey seals ceremony state. It MUST be at least 32 random bytes
	// and the same on every replica.
	StateKey []byte
	StateTTL time.Duration    // default DefaultStateTTL
	Now      func() time.Time // default time.Now
}

// Keys runs WebAuthn ceremonies.
type Keys struct {
	cfg  Config
	wa   *webauthn.WebAuthn
	aead cipher.AEAD
}

// New returns Keys for cfg, or EINVALID.
func New(cfg Config) (*Keys, error) {
	if cfg.RPID == "" || cfg.RPDisplayName == "" || len(cfg.RPOrigins) == 0 {
		return nil, ward.Errorf(ward.EINVALID, "WebAuthn needs a relying party ID, a display name and at least one origin.")
	}
	if len(cfg.StateKey) < 32 {
		return nil, ward.Errorf(ward.EINVALID, "The WebAuthn state key must be at least 32 bytes.")
	}
	if cfg.StateTTL <= 0 {
		cfg.StateTTL = DefaultStateTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  cfg.RPID,
		RPDisplayName:         cfg.RPDisplayName,
		RPOrigins:             cfg.RPOrigins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementDiscouraged,
			UserVerification: protocol.VerificationRequired,
		},
		Filtering: &webauthn.FilteringConfig{ProhibitBackupEligibility: true},
	})
	if err != nil {
		return nil, ward.Errorf(ward.EINVALID, "The WebAuthn configuration is not valid: %v", err)
	}
	k := sha256.Sum256(append([]byte("ward/passkey/state-key\x00"), cfg.StateKey...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("state cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("state cipher: %w", err)
	}
	return &Keys{cfg: cfg, wa: wa, aead: aead}, nil
}

// BeginRegistration starts registering a new key for w; existing are the
// worker's keys, which the browser is told not to register again.
func (k *Keys) BeginRegistration(w *ward.Worker, existing []*ward.WebAuthnCredential) (options json.RawMessage, state string, err error) {
	u := newUser(w, existing)
	creation, session, err := k.wa.BeginRegistration(u, webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()))
	if err != nil {
		return nil, "", fmt.Errorf("begin registration: %w", err)
	}
	return k.begin(kindRegister, w, creation, session)
}

// FinishRegistration checks the browser's response to BeginRegistration
// and returns the new key for the caller to store. It returns
// EUNAUTHORIZED (or ECONFLICT for a key registered already) with a reason
// that [Reason] reports.
func (k *Keys) FinishRegistration(w *ward.Worker, existing []*ward.WebAuthnCredential, state string, response []byte) (*ward.WebAuthnCredential, error) {
	session, err := k.open(kindRegister, w, state)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, refusal(ward.EUNAUTHORIZED, ReasonResponseInvalid, "The security key's response is not valid.", err)
	}
	cred, err := k.wa.CreateCredential(newUser(w, existing), *session, parsed)
	if err != nil {
		// protocol errors are copied by WithInfo, so compare the type.
		if pe := (*protocol.Error)(nil); errors.As(err, &pe) && pe.Type == protocol.ErrPolicyRestriction.Type {
			return nil, refusal(ward.EUNAUTHORIZED, ReasonSyncedCredential, "This passkey is synced to an online account; register a hardware security key instead.", err)
		}
		return nil, refusal(ward.EUNAUTHORIZED, ReasonResponseInvalid, "The security key's response is not valid.", err)
	}
	for _, c := range existing {
		if bytes.Equal(c.ID, cred.ID) {
			return nil, refusal(ward.ECONFLICT, ReasonDuplicate, "This security key is registered already.", nil)
		}
	}
	out := &ward.WebAuthnCredential{
		ID:        cred.ID,
		PublicKey: cred.PublicKey,
		AAGUID:    cred.Authenticator.AAGUID,
		SignCount: cred.Authenticator.SignCount,
		CreatedAt: k.cfg.Now().UTC(),
	}
	for _, t := range cred.Transport {
		out.Transports = append(out.Transports, string(t))
	}
	return out, nil
}

// BeginLogin starts a login with one of creds, the worker's keys. It
// returns EUNPROCESSABLE when the worker has none.
func (k *Keys) BeginLogin(w *ward.Worker, creds []*ward.WebAuthnCredential) (options json.RawMessage, state string, err error) {
	if len(creds) == 0 {
		return nil, "", ward.Errorf(ward.EUNPROCESSABLE, "No security key is registered for this account.")
	}
	assertion, session, err := k.wa.BeginLogin(newUser(w, creds))
	if err != nil {
		return nil, "", fmt.Errorf("begin login: %w", err)
	}
	return k.begin(kindLogin, w, assertion, session)
}

// FinishLogin checks the browser's response to BeginLogin. On success it
// returns the key used and its new signature counter, which the caller
// MUST store (CredentialService.UpdateWebAuthnSignCount) so that a cloned
// key is caught next time. It returns EUNAUTHORIZED with a reason that
// [Reason] reports.
func (k *Keys) FinishLogin(w *ward.Worker, creds []*ward.WebAuthnCredential, state string, response []byte) (credentialID []byte, signCount uint32, err error) {
	session, err := k.open(kindLogin, w, state)
	if err != nil {
		return nil, 0, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, 0, refusal(ward.EUNAUTHORIZED, ReasonResponseInvalid, "The security key's response is not valid.", err)
	}
	u := newUser(w, creds)
	if !u.owns(parsed.RawID) {
		return nil, 0, refusal(ward.EUNAUTHORIZED, ReasonUnknownCredential, "This security key is not registered for this account.", nil)
	}
	cred, err := k.wa.ValidateLogin(u, *session, parsed)
	if err != nil {
		return nil, 0, refusal(ward.EUNAUTHORIZED, ReasonResponseInvalid, "The security key's response is not valid.", err)
	}
	if cred.Authenticator.CloneWarning {
		return nil, 0, refusal(ward.EUNAUTHORIZED, ReasonSignCount, "This security key's use counter went backwards; it may have been copied. Ask an administrator to check it.", nil)
	}
	return cred.ID, cred.Authenticator.SignCount, nil
}

// user adapts a worker to webauthn.User. The user handle is the worker ID:
// stable, unique, at most 64 bytes and not personal data.
type user struct {
	w     *ward.Worker
	creds []webauthn.Credential
}

func newUser(w *ward.Worker, creds []*ward.WebAuthnCredential) *user {
	u := &user{w: w}
	for _, c := range creds {
		wc := webauthn.Credential{
			ID:            c.ID,
			PublicKey:     c.PublicKey,
			Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
		}
		for _, t := range c.Transports {
			wc.Transport = append(wc.Transport, protocol.AuthenticatorTransport(t))
		}
		u.creds = append(u.creds, wc)
	}
	return u
}

func (u *user) WebAuthnID() []byte                         { return []byte(u.w.ID) }
func (u *user) WebAuthnName() string                       { return u.w.Username }
func (u *user) WebAuthnDisplayName() string                { return u.w.FullName() }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (u *user) owns(id []byte) bool {
	for _, c := range u.creds {
		if bytes.Equal(c.ID, id) {
			return true
		}
	}
	return false
}

// Ceremony kinds, sealed into the state so a registration's state cannot
// finish a login.
const (
	kindRegister = "register"
	kindLogin    = "login"
)

// ceremony is the sealed state.
type ceremony struct {
	Kind     string               `json:"k"`
	WorkerID string               `json:"w"`
	Expires  int64                `json:"e"` // Unix seconds
	Session  webauthn.SessionData `json:"s"`
}

var stateAAD = []byte("ward/passkey/state/v1")

func (k *Keys) begin(kind string, w *ward.Worker, options any, session *webauthn.SessionData) (json.RawMessage, string, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return nil, "", fmt.Errorf("encode options: %w", err)
	}
	plain, err := json.Marshal(ceremony{Kind: kind, WorkerID: w.ID, Expires: k.cfg.Now().Add(k.cfg.StateTTL).Unix(), Session: *session})
	if err != nil {
		return nil, "", fmt.Errorf("encode state: %w", err)
	}
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	return opts, base64.RawURLEncoding.EncodeToString(k.aead.Seal(nonce, nonce, plain, stateAAD)), nil
}

func (k *Keys) open(kind string, w *ward.Worker, state string) (*webauthn.SessionData, error) {
	mismatch := refusal(ward.EUNAUTHORIZED, ReasonStateMismatch, "The security key ceremony could not be matched to its start; please try again.", nil)
	b, err := base64.RawURLEncoding.DecodeString(state)
	n := k.aead.NonceSize()
	if err != nil || len(b) < n+k.aead.Overhead() {
		return nil, mismatch
	}
	plain, err := k.aead.Open(nil, b[:n], b[n:], stateAAD)
	if err != nil {
		return nil, mismatch
	}
	var c ceremony
	if err := json.Unmarshal(plain, &c); err != nil || c.Kind != kind || c.WorkerID != w.ID {
		return nil, mismatch
	}
	if !k.cfg.Now().Before(time.Unix(c.Expires, 0)) {
		return nil, refusal(ward.EUNAUTHORIZED, ReasonStateExpired, "The security key ceremony took too long; please try again.", nil)
	}
	return &c.Session, nil
}

// refused is a *ward.Error with a machine-readable reason and, for logs
// only, the library's error.
type refused struct {
	reason string
	err    *ward.Error
	cause  error
}

func refusal(code, reason, msg string, cause error) *refused {
	return &refused{reason: reason, err: &ward.Error{Code: code, Message: msg, Reason: reason}, cause: cause}
}

func (r *refused) Error() string {
	if r.cause != nil {
		var pe *protocol.Error
		if errors.As(r.cause, &pe) && pe.DevInfo != "" {
			return fmt.Sprintf("%s (%s): %v: %s", r.err.Error(), r.reason, r.cause, pe.DevInfo)
		}
		return fmt.Sprintf("%s (%s): %v", r.err.Error(), r.reason, r.cause)
	}
	return fmt.Sprintf("%s (%s)", r.err.Error(), r.reason)
}

// Unwrap exposes the *ward.Error to ward.ErrorCode and ward.ErrorMessage.
func (r *refused) Unwrap() error { return r.err }

// Reason returns why a ceremony was refused (one of the Reason
// constants), or "" when err is not such a refusal.
func Reason(err error) string {
	var r *refused
	if errors.As(err, &r) {
		return r.reason
	}
	return ""
}
