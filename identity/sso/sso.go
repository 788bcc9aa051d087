// Package sso logs workers in through the organization's OpenID Connect
// provider: the authorization code flow with PKCE (S256), a nonce, and a
// state that is sealed into an opaque value the caller keeps in a
// short-lived cookie, so that any replica can finish a login another began.
//
// A login is refused unless the provider asserts multi-factor
// authentication, through the ID token's amr (RFC 8176) or acr claim.
// Mapping the returned [Identity] to a worker (by ExternalID == Subject,
// else by Username) is the caller's job.
package sso

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/wardhq/ward"
)

// Refusal reasons, as [Reason] reports them. Stable values: audit events
// and dashboards key on them.
const (
	ReasonMFANotAsserted = "mfa_not_asserted" // the provider did not assert MFA in amr or acr
	ReasonTokenInvalid   = "token_invalid"    // the code exchange failed, or the ID token is unsigned, forged, expired or for another client
	ReasonStateMismatch  = "state_mismatch"   // the state cookie is missing, tampered with, or does not match the callback
	ReasonStateExpired   = "state_expired"    // the login took longer than StateTTL
	ReasonNonceMismatch  = "nonce_mismatch"   // the ID token was not minted for this login
	ReasonUnavailable    = "provider_unavailable"
)

// DefaultMFAMethods are the amr values (RFC 8176) that count as MFA: "mfa"
// itself, a one-time password, a hardware-secured key and a smart card.
// "sms" is left out on purpose (SIM swapping; NIST SP 800-63B restricts
// it), and so is "swk", a software key that can be copied off the device.
var DefaultMFAMethods = []string{"mfa", "otp", "hwk", "sc"}

// DefaultMFAACRs are the acr values that count as MFA: the OpenID PAPE
// multi-factor policy and the phishing-resistant levels of OpenID
// Enhanced Authentication Profile ACR Values 1.0.
var DefaultMFAACRs = []string{
	"http://schemas.openid.net/pape/policies/2007/06/multi-factor",
	"phr",
	"phrh",
}

// DefaultStateTTL is how long a login may take between Begin and Finish.
const DefaultStateTTL = 10 * time.Minute

// Config configures a Provider.
type Config struct {
	Issuer       string // the provider's issuer URL; discovery reads Issuer/.well-known/openid-configuration
	ClientID     string
	ClientSecret string
	RedirectURL  string
	Scopes       []string // default openid, email, profile; openid is always asked for

	// MFAMethods are the amr values that count as MFA; default
	// DefaultMFAMethods. MFAACRs are the acr values that do; default
	// DefaultMFAACRs. Either one matching suffices.
	MFAMethods []string
	MFAACRs    []string

	// UsernameClaim names the claim read into Identity.Username; default
	// "preferred_username".
	UsernameClaim string

	// StateKey seals the login state. It MUST be at least 32 random bytes
	// and the same on every replica.
	StateKey []byte
	// StateTTL bounds a login's duration; default DefaultStateTTL.
	StateTTL time.Duration

	Now func() time.Time // default time.Now
}

// Identity is who the provider says logged in.
type Identity struct {
	Subject  string   `json:"sub"`
	Issuer   string   `json:"iss"`
	Email    string   `json:"email,omitempty"`
	Username string   `json:"username,omitempty"`
	AMR      []string `json:"amr,omitempty"`
	ACR      string   `json:"acr,omitempty"`
}

// Provider is one OpenID Connect provider the organization logs in with.
type Provider struct {
	cfg      Config
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	aead     cipher.AEAD
}

// New discovers the provider at cfg.Issuer. The discovery's issuer must be
// cfg.Issuer exactly. An *http.Client in ctx (oidc.ClientContext) is used
// for discovery and, later, for fetching the provider's keys.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, ward.Errorf(ward.EINVALID, "OIDC needs an issuer, a client ID and a redirect URL.")
	}
	if len(cfg.StateKey) < 32 {
		return nil, ward.Errorf(ward.EINVALID, "The OIDC state key must be at least 32 bytes.")
	}
	if cfg.MFAMethods == nil {
		cfg.MFAMethods = DefaultMFAMethods
	}
	if cfg.MFAACRs == nil {
		cfg.MFAACRs = DefaultMFAACRs
	}
	if cfg.UsernameClaim == "" {
		cfg.UsernameClaim = "preferred_username"
	}
	if cfg.StateTTL <= 0 {
		cfg.StateTTL = DefaultStateTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	scopes := []string{oidc.ScopeOpenID}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{"email", "profile"}
	}
	for _, s := range cfg.Scopes {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}

	op, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery: %w", err)
	}
	aead, err := newAEAD(cfg.StateKey)
	if err != nil {
		return nil, err
	}
	return &Provider{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Endpoint:     op.Endpoint(),
			Scopes:       scopes,
		},
		verifier: op.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now}),
		aead:     aead,
	}, nil
}

// loginState travels, sealed, in the caller's cookie between Begin and
// Finish.
type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // PKCE code verifier
	Expires  int64  `json:"e"` // Unix seconds
}

// Begin starts a login. The caller redirects the browser to authURL and
// sets state, an opaque sealed value, in a short-lived, HttpOnly, Secure,
// SameSite=Lax cookie that Finish reads back.
func (p *Provider) Begin() (authURL string, state string, err error) {
	ls := loginState{
		State:    randomString(),
		Nonce:    randomString(),
		Verifier: oauth2.GenerateVerifier(),
		Expires:  p.cfg.Now().Add(p.cfg.StateTTL).Unix(),
	}
	sealed, err := p.seal(&ls)
	if err != nil {
		return "", "", err
	}
	u := p.oauth.AuthCodeURL(ls.State, oidc.Nonce(ls.Nonce), oauth2.S256ChallengeOption(ls.Verifier))
	return u, sealed, nil
}

// Finish completes a login. cookieState is the value Begin returned (from
// the cookie); queryState and code are the callback's state and code
// parameters. It returns EUNAUTHORIZED or EFORBIDDEN with a reason that
// [Reason] reports, or EUNAVAILABLE when the provider cannot be reached.
func (p *Provider) Finish(ctx context.Context, cookieState, queryState, code string) (*Identity, error) {
	ls, err := p.open(cookieState)
	if err != nil {
		return nil, refuse(ward.EUNAUTHORIZED, ReasonStateMismatch, "The login could not be matched to its start; please log in again.")
	}
	if subtle.ConstantTimeCompare([]byte(ls.State), []byte(queryState)) != 1 {
		return nil, refuse(ward.EUNAUTHORIZED, ReasonStateMismatch, "The login could not be matched to its start; please log in again.")
	}
	if !p.cfg.Now().Before(time.Unix(ls.Expires, 0)) {
		return nil, refuse(ward.EUNAUTHORIZED, ReasonStateExpired, "The login took too long; please log in again.")
	}
	if code == "" {
		return nil, refuse(ward.EUNAUTHORIZED, ReasonTokenInvalid, "The identity provider returned no authorization code.")
	}

	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(ls.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			return nil, refuse(ward.EUNAUTHORIZED, ReasonTokenInvalid, "The identity provider did not accept the login.")
		}
		return nil, &refusal{reason: ReasonUnavailable, err: &ward.Error{Code: ward.EUNAVAILABLE, Message: "The identity provider cannot be reached; try again later.", Reason: ReasonUnavailable}, cause: err}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, refuse(ward.EUNAUTHORIZED, ReasonTokenInvalid, "The identity provider returned no ID token.")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, &refusal{reason: ReasonTokenInvalid, err: &ward.Error{Code: ward.EUNAUTHORIZED, Message: "The identity provider's ID token is not valid.", Reason: ReasonTokenInvalid}, cause: err}
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(ls.Nonce)) != 1 {
		return nil, refuse(ward.EUNAUTHORIZED, ReasonNonceMismatch, "The ID token was not issued for this login.")
	}

	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, &refusal{reason: ReasonTokenInvalid, err: &ward.Error{Code: ward.EUNAUTHORIZED, Message: "The identity provider's ID token is not valid.", Reason: ReasonTokenInvalid}, cause: err}
	}
	id := &Identity{
		Subject:  idt.Subject,
		Issuer:   idt.Issuer,
		Email:    stringClaim(claims, "email"),
		Username: stringClaim(claims, p.cfg.UsernameClaim),
		AMR:      stringsClaim(claims, "amr"),
		ACR:      stringClaim(claims, "acr"),
	}
	if id.Subject == "" {
		return nil, refuse(ward.EUNAUTHORIZED, ReasonTokenInvalid, "The identity provider's ID token names no subject.")
	}
	if !p.mfa(id) {
		return nil, refuse(ward.EFORBIDDEN, ReasonMFANotAsserted, "The identity provider did not confirm multi-factor authentication; log in there with a second factor.")
	}
	return id, nil
}

// mfa reports whether the identity's amr or acr shows MFA.
func (p *Provider) mfa(id *Identity) bool {
	for _, m := range id.AMR {
		if slices.Contains(p.cfg.MFAMethods, m) {
			return true
		}
	}
	return id.ACR != "" && slices.Contains(p.cfg.MFAACRs, id.ACR)
}

// stateAAD binds sealed values to this use, so a value sealed for another
// purpose with the same key is not accepted here.
var stateAAD = []byte("ward/sso/state/v1")

func newAEAD(key []byte) (cipher.AEAD, error) {
	// Hashing lets any key of 32+ bytes serve as an AES-256 key.
	k := sha256.Sum256(append([]byte("ward/sso/state-key\x00"), key...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("state cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

func (p *Provider) seal(ls *loginState) (string, error) {
	plain, err := json.Marshal(ls)
	if err != nil {
		return "", fmt.Errorf("seal state: %w", err)
	}
	nonce := make([]byte, p.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(p.aead.Seal(nonce, nonce, plain, stateAAD)), nil
}

func (p *Provider) open(s string) (*loginState, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < p.aead.NonceSize()+p.aead.Overhead() {
		return nil, errors.New("malformed state")
	}
	n := p.aead.NonceSize()
	plain, err := p.aead.Open(nil, b[:n], b[n:], stateAAD)
	if err != nil {
		return nil, err
	}
	var ls loginState
	if err := json.Unmarshal(plain, &ls); err != nil {
		return nil, err
	}
	if ls.State == "" || ls.Nonce == "" || ls.Verifier == "" {
		return nil, errors.New("incomplete state")
	}
	return &ls, nil
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func stringClaim(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return s
}

// stringsClaim reads a claim that should be an array of strings; a lone
// string is accepted as one element, as some providers send it.
func stringsClaim(claims map[string]any, name string) []string {
	switch v := claims[name].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// refusal is a *ward.Error that also carries a machine-readable reason and,
// for logs only, the underlying cause.
type refusal struct {
	reason string
	err    *ward.Error
	cause  error
}

func refuse(code, reason, msg string) *refusal {
	return &refusal{reason: reason, err: &ward.Error{Code: code, Message: msg, Reason: reason}}
}

func (r *refusal) Error() string {
	if r.cause != nil {
		return fmt.Sprintf("%s (%s): %v", r.err.Error(), r.reason, r.cause)
	}
	return fmt.Sprintf("%s (%s)", r.err.Error(), r.reason)
}

// Unwrap exposes the *ward.Error, so ward.ErrorCode and ward.ErrorMessage
// see it.
func (r *refusal) Unwrap() error { return r.err }

// Reason returns the machine-readable reason Finish refused a login for
// (one of the Reason constants), or "" when err is not such a refusal.
func Reason(err error) string {
	var r *refusal
	if errors.As(err, &r) {
		return r.reason
	}
	return ""
}

// String implements fmt.Stringer; Identity holds no PHI but an email is
// personal data, so logs get the subject only.
func (id *Identity) String() string {
	return "oidc subject " + strings.TrimSpace(id.Subject)
}
