package gateway

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// NewTransport returns the pooled transport the gateway uses to reach the
// EHR when Config.Transport is nil: keep-alive connections, bounded dial,
// TLS handshake and header waits, no proxy from the environment (PHI does
// not take a detour an operator did not configure).
func NewTransport() *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// StaticToken returns credentials that send a fixed bearer token to the
// EHR.
func StaticToken(token string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"})
}

// ClientCredentials returns credentials from an OAuth 2.0 client
// credentials grant, cached until they expire. client (nil for a default
// with a 10 s timeout) reaches the token endpoint.
func ClientCredentials(cfg *clientcredentials.Config, client *http.Client) oauth2.TokenSource {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, client)
	return cfg.TokenSource(ctx)
}

// SMARTBackend is a SMART Backend Services client (RFC 7523
// private_key_jwt): it signs a short-lived JWT assertion with its private
// key and exchanges it at the token endpoint for an access token.
type SMARTBackend struct {
	TokenURL string
	ClientID string
	Scopes   []string // e.g. system/*.read
	// Key is an *rsa.PrivateKey (signs RS384) or a P-384 *ecdsa.PrivateKey
	// (ES384), registered with the EHR under KeyID.
	Key    crypto.Signer
	KeyID  string
	Client *http.Client     // nil: a default with a 10 s timeout
	Now    func() time.Time // nil: time.Now
}

// TokenSource returns the client's credentials, cached until the access
// token expires.
func (s *SMARTBackend) TokenSource() (oauth2.TokenSource, error) {
	var alg jose.SignatureAlgorithm
	switch k := s.Key.(type) {
	case *rsa.PrivateKey:
		alg = jose.RS384
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P384() {
			return nil, errors.New("gateway: SMART backend ECDSA key must be P-384 (ES384)")
		}
		alg = jose.ES384
	default:
		return nil, errors.New("gateway: SMART backend key must be RSA or ECDSA P-384")
	}
	if s.TokenURL == "" || s.ClientID == "" {
		return nil, errors.New("gateway: SMART backend needs a token URL and a client ID")
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if s.KeyID != "" {
		opts = opts.WithHeader("kid", s.KeyID)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: s.Key}, opts)
	if err != nil {
		return nil, fmt.Errorf("gateway: SMART backend signer: %w", err)
	}
	return oauth2.ReuseTokenSource(nil, &smartSource{s: s, signer: signer}), nil
}

type smartSource struct {
	s      *SMARTBackend
	signer jose.Signer
}

// Token signs a new assertion and exchanges it.
func (ss *smartSource) Token() (*oauth2.Token, error) {
	s := ss.s
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return nil, err
	}
	claims := jwt.Claims{
		Issuer:    s.ClientID,
		Subject:   s.ClientID,
		Audience:  jwt.Audience{s.TokenURL},
		ID:        hex.EncodeToString(jti[:]),
		IssuedAt:  jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(5 * time.Minute)), // SMART: at most five minutes
		NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
	}
	assertion, err := jwt.Signed(ss.signer).Claims(claims).Serialize()
	if err != nil {
		return nil, fmt.Errorf("sign assertion: %w", err)
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	if len(s.Scopes) > 0 {
		form.Set("scope", strings.Join(s.Scopes, " "))
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.PostForm(s.TokenURL, form)
	if err != nil {
		return nil, fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("token response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("token endpoint returned %d", resp.StatusCode) // no body: it may echo secrets
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return nil, errors.New("token endpoint returned no access token")
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return nil, fmt.Errorf("token endpoint returned token type %q, want bearer", tr.TokenType)
	}
	t := &oauth2.Token{AccessToken: tr.AccessToken, TokenType: "Bearer"}
	if tr.ExpiresIn > 0 {
		t.Expiry = now.Add(time.Duration(tr.ExpiresIn) * time.Second)
	}
	return t, nil
}
