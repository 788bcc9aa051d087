package sso_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity/sso"
)

// The tests run the whole authorization code flow against mockoidc, a real
// OpenID provider started in the test: discovery, the authorize redirect,
// the code exchange with PKCE, and RS256-signed ID tokens checked against
// the provider's published JWKS.

// idpUser is a person at the identity provider. Claims lets a test make
// the provider assert MFA, or mint a token for another client or login.
type idpUser struct {
	sub, username, email string
	amr                  []string
	acr                  string
	aud                  []string // overrides the audience when set
	nonce                string   // overrides the nonce when set
}

func (u *idpUser) ID() string { return u.sub }

func (u *idpUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": u.sub, "email": u.email, "preferred_username": u.username})
}

type idpClaims struct {
	*mockoidc.IDTokenClaims
	Email             string   `json:"email,omitempty"`
	PreferredUsername string   `json:"preferred_username,omitempty"`
	AMR               []string `json:"amr,omitempty"`
	ACR               string   `json:"acr,omitempty"`
}

func (u *idpUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if u.aud != nil {
		base.Audience = u.aud
	}
	if u.nonce != "" {
		base.Nonce = u.nonce
	}
	return &idpClaims{IDTokenClaims: base, Email: u.email, PreferredUsername: u.username, AMR: u.amr, ACR: u.acr}, nil
}

func joy(mods ...func(*idpUser)) *idpUser {
	u := &idpUser{sub: "00u1joy", username: "joy.santos", email: "joy@acme.example", amr: []string{"pwd", "otp"}}
	for _, m := range mods {
		m(u)
	}
	return u
}

// startOP starts a provider; mod adjusts it before it serves (so the
// server goroutine never races a change).
func startOP(tb testing.TB, mod func(*mockoidc.MockOIDC)) *mockoidc.MockOIDC {
	tb.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	if mod != nil {
		mod(m)
	}
	if _, err := m.Keypair.KeyID(); err != nil { // computed lazily otherwise, inside a handler
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Shutdown() })
	return m
}

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

var stateKey = []byte("0123456789abcdef0123456789abcdef")

func newProvider(tb testing.TB, m *mockoidc.MockOIDC, c *clock, mods ...func(*sso.Config)) *sso.Provider {
	tb.Helper()
	cfg := sso.Config{
		Issuer:       m.Issuer(),
		ClientID:     m.ClientID,
		ClientSecret: m.ClientSecret,
		RedirectURL:  "https://ward.example/login/oidc/callback",
		StateKey:     stateKey,
		Now:          c.Now,
	}
	for _, mod := range mods {
		mod(&cfg)
	}
	p, err := sso.New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// authorize plays the browser: it follows authURL to the provider, which
// logs user in, and returns the callback's state and code.
func authorize(tb testing.TB, m *mockoidc.MockOIDC, authURL string, user mockoidc.User) (queryState, code string) {
	tb.Helper()
	m.QueueUser(user)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		tb.Fatalf("authorize: status %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		tb.Fatal(err)
	}
	if !strings.HasPrefix(loc.String(), "https://ward.example/login/oidc/callback?") {
		tb.Fatalf("redirected to %s", loc)
	}
	return loc.Query().Get("state"), loc.Query().Get("code")
}

// login runs Begin, the browser and Finish.
func login(tb testing.TB, m *mockoidc.MockOIDC, p *sso.Provider, user mockoidc.User) (*sso.Identity, error) {
	tb.Helper()
	authURL, cookie, err := p.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	qs, code := authorize(tb, m, authURL, user)
	return p.Finish(context.Background(), cookie, qs, code)
}

func checkRefused(tb testing.TB, err error, code, reason string) {
	tb.Helper()
	if got := ward.ErrorCode(err); got != code {
		tb.Fatalf("code=%q, want %q (err %v)", got, code, err)
	}
	if got := sso.Reason(err); got != reason {
		tb.Fatalf("Reason=%q, want %q (err %v)", got, reason, err)
	}
}

func TestFinish(t *testing.T) {
	m := startOP(t, nil)
	c := &clock{time.Now()}
	p := newProvider(t, m, c)

	t.Run("OK", func(t *testing.T) {
		id, err := login(t, m, p, joy())
		if err != nil {
			t.Fatal(err)
		}
		want := sso.Identity{Subject: "00u1joy", Issuer: m.Issuer(), Email: "joy@acme.example", Username: "joy.santos", AMR: []string{"pwd", "otp"}}
		if id.Subject != want.Subject || id.Issuer != want.Issuer || id.Email != want.Email || id.Username != want.Username || !slices.Equal(id.AMR, want.AMR) {
			t.Fatalf("Identity=%+v, want %+v", *id, want)
		}
	})
	t.Run("OKMFAInACR", func(t *testing.T) {
		_, err := login(t, m, p, joy(func(u *idpUser) { u.amr, u.acr = []string{"pwd"}, "phr" }))
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrMFANotAsserted", func(t *testing.T) {
		_, err := login(t, m, p, joy(func(u *idpUser) { u.amr = []string{"pwd"} }))
		checkRefused(t, err, ward.EFORBIDDEN, sso.ReasonMFANotAsserted)
	})
	t.Run("ErrMFANoAMR", func(t *testing.T) {
		_, err := login(t, m, p, joy(func(u *idpUser) { u.amr = nil }))
		checkRefused(t, err, ward.EFORBIDDEN, sso.ReasonMFANotAsserted)
	})
	t.Run("ErrSMSIsNotMFA", func(t *testing.T) {
		_, err := login(t, m, p, joy(func(u *idpUser) { u.amr = []string{"pwd", "sms"} }))
		checkRefused(t, err, ward.EFORBIDDEN, sso.ReasonMFANotAsserted)
	})
	t.Run("ErrWrongAudience", func(t *testing.T) {
		_, err := login(t, m, p, joy(func(u *idpUser) { u.aud = []string{"another-client"} }))
		checkRefused(t, err, ward.EUNAUTHORIZED, sso.ReasonTokenInvalid)
	})
	t.Run("ErrNonceMismatch", func(t *testing.T) {
		_, err := login(t, m, p, joy(func(u *idpUser) { u.nonce = "nonce-of-another-login" }))
		checkRefused(t, err, ward.EUNAUTHORIZED, sso.ReasonNonceMismatch)
	})
	t.Run("ErrCodeReused", func(t *testing.T) {
		authURL, cookie, err := p.Begin()
		if err != nil {
			t.Fatal(err)
		}
		qs, code := authorize(t, m, authURL, joy())
		if _, err := p.Finish(context.Background(), cookie, qs, code); err != nil {
			t.Fatal(err)
		}
		_, err = p.Finish(context.Background(), cookie, qs, code)
		checkRefused(t, err, ward.EUNAUTHORIZED, sso.ReasonTokenInvalid)
	})
}

// TestFinishVerifierAudience configures ward with a client ID the provider
// did not issue the token to.
func TestFinishVerifierAudience(t *testing.T) {
	m := startOP(t, nil)
	c := &clock{time.Now()}
	p := newProvider(t, m, c)
	other := newProvider(t, m, c, func(cfg *sso.Config) { cfg.ClientID = "ward-staging" })

	// The browser goes through p's authorization URL (the provider knows
	// only that client); the callback is finished by other, whose verifier
	// expects an audience of ward-staging. The sealed state is shared
	// because both use one key, so only the audience is wrong.
	authURL, cookie, err := p.Begin()
	if err != nil {
		t.Fatal(err)
	}
	qs, code := authorize(t, m, authURL, joy())
	_, err = other.Finish(context.Background(), cookie, qs, code)
	if ward.ErrorCode(err) != ward.EUNAUTHORIZED {
		t.Fatalf("code=%q, want %q (err %v)", ward.ErrorCode(err), ward.EUNAUTHORIZED, err)
	}
}

func TestFinishExpiredToken(t *testing.T) {
	// The provider's clock runs an hour behind: its ID tokens (10 minute
	// lifetime) have expired when they arrive.
	m := startOP(t, func(m *mockoidc.MockOIDC) { m.FastForward(-time.Hour) })
	c := &clock{time.Now()}
	p := newProvider(t, m, c)
	_, err := login(t, m, p, joy())
	checkRefused(t, err, ward.EUNAUTHORIZED, sso.ReasonTokenInvalid)
}

func TestFinishBadSignature(t *testing.T) {
	// The provider publishes one key and signs with another under the
	// published key's ID: a real RS256 signature by the wrong key.
	published, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	m := startOP(t, func(m *mockoidc.MockOIDC) {
		m.Keypair = &mockoidc.Keypair{PrivateKey: signer, PublicKey: &published.PublicKey}
	})
	c := &clock{time.Now()}
	p := newProvider(t, m, c)
	_, err = login(t, m, p, joy())
	checkRefused(t, err, ward.EUNAUTHORIZED, sso.ReasonTokenInvalid)
}

func TestFinishState(t *testing.T) {
	m := startOP(t, nil)
	c := &clock{time.Now()}
	p := newProvider(t, m, c)

	t.Run("ErrTampered", func(t *testing.T) {
		authURL, cookie, err := p.Begin()
		if err != nil {
			t.Fatal(err)
		}
		qs, code := authorize(t, m, authURL, joy())
		b := []byte(cookie)
		if b[10] == 'A' {
			b[10] = 'B'
		} else {
			b[10] = 'A'
		}
		_, err = p.Finish(context.Background(), string(b), qs, code)
		checkRefused(t, err, ward.EUNAUTHORIZED, sso.ReasonStateMismatch)
	})
	t.Run("ErrMissingCookie", func(t *testing.T) {
		authURL, _, err := p.Begin()
		if err != nil {
			t.Fatal(err)
		}
		qs, code := authorize(t, m, authURL, joy())
		_, err = p.Finish(context.Background(), "", qs, code)
		checkRefused(t, err, ward.EUNAUTHORIZED, sso.ReasonStateMismatch)
	})
	t.Run("ErrOtherLoginsCookie", func(t *testing.T) {
		// A login forced on the victim (login CSRF): the callback's state
		// belongs to another login than the cookie's.
		authURL, _, err := p.Begin()
		if err != nil {
			t.Fatal(err)
		}
		_, victimCookie, err := p.Begin()
		if err != nil {
			t.Fatal(err)
		}
		qs, code := authorize(t, m, authURL, joy())
		_, err = p.Finish(context.Background(), victimCookie, qs, code)
		checkRefused(t, err, ward.EUNAUTHORIZED, sso.ReasonStateMismatch)
	})
	t.Run("ErrOtherKey", func(t *testing.T) {
		q := newProvider(t, m, c, func(cfg *sso.Config) { cfg.StateKey = []byte(strings.Repeat("k", 32)) })
		authURL, cookie, err := q.Begin()
		if err != nil {
			t.Fatal(err)
		}
		qs, code := authorize(t, m, authURL, joy())
		_, err = p.Finish(context.Background(), cookie, qs, code)
		checkRefused(t, err, ward.EUNAUTHORIZED, sso.ReasonStateMismatch)
	})
	t.Run("ErrExpired", func(t *testing.T) {
		c := &clock{time.Now()}
		p := newProvider(t, m, c)
		authURL, cookie, err := p.Begin()
		if err != nil {
			t.Fatal(err)
		}
		qs, code := authorize(t, m, authURL, joy())
		c.t = c.t.Add(sso.DefaultStateTTL + time.Second)
		_, err = p.Finish(context.Background(), cookie, qs, code)
		checkRefused(t, err, ward.EUNAUTHORIZED, sso.ReasonStateExpired)
	})
	t.Run("OKOtherReplica", func(t *testing.T) {
		// Another replica with the same key finishes the login.
		q := newProvider(t, m, c)
		authURL, cookie, err := p.Begin()
		if err != nil {
			t.Fatal(err)
		}
		qs, code := authorize(t, m, authURL, joy())
		if _, err := q.Finish(context.Background(), cookie, qs, code); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBegin(t *testing.T) {
	m := startOP(t, nil)
	p := newProvider(t, m, &clock{time.Now()})
	authURL, cookie, err := p.Begin()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Errorf("auth URL lacks %s: %s", k, authURL)
		}
	}
	if got, want := q.Get("code_challenge_method"), "S256"; got != want {
		t.Errorf("code_challenge_method=%q, want %q", got, want)
	}
	if !strings.Contains(" "+q.Get("scope")+" ", " openid ") {
		t.Errorf("scope=%q lacks openid", q.Get("scope"))
	}
	// The cookie hides the nonce and PKCE verifier from whoever reads it.
	if strings.Contains(cookie, q.Get("nonce")) || strings.Contains(cookie, q.Get("state")) {
		t.Errorf("the sealed state shows its contents")
	}
}

func TestNew(t *testing.T) {
	m := startOP(t, nil)
	for _, test := range []struct {
		name string
		mod  func(*sso.Config)
	}{
		{"ErrShortStateKey", func(c *sso.Config) { c.StateKey = []byte("short") }},
		{"ErrNoClientID", func(c *sso.Config) { c.ClientID = "" }},
		{"ErrNoRedirectURL", func(c *sso.Config) { c.RedirectURL = "" }},
	} {
		t.Run(test.name, func(t *testing.T) {
			cfg := sso.Config{Issuer: m.Issuer(), ClientID: m.ClientID, RedirectURL: "https://ward.example/cb", StateKey: stateKey}
			test.mod(&cfg)
			if _, err := sso.New(context.Background(), cfg); ward.ErrorCode(err) != ward.EINVALID {
				t.Fatalf("code=%q, want %q", ward.ErrorCode(err), ward.EINVALID)
			}
		})
	}
	t.Run("ErrIssuerMismatch", func(t *testing.T) {
		cfg := sso.Config{Issuer: m.Addr() + "/other", ClientID: m.ClientID, RedirectURL: "https://ward.example/cb", StateKey: stateKey}
		if _, err := sso.New(context.Background(), cfg); err == nil {
			t.Fatal("discovery of a wrong issuer succeeded")
		}
	})
}
