package gateway_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/wardhq/ward/gateway"
)

// smartServer is a token endpoint that checks an RFC 7523 client assertion
// the way an EHR's authorization server does: signature by the registered
// key, iss = sub = client ID, aud = the token URL, a short expiry and a jti.
func smartServer(t *testing.T, pub any, alg jose.SignatureAlgorithm, clientID string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if r.PostForm.Get("grant_type") != "client_credentials" ||
			r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		tok, err := jwt.ParseSigned(r.PostForm.Get("client_assertion"), []jose.SignatureAlgorithm{alg})
		if err != nil {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		var c jwt.Claims
		if err := tok.Claims(pub, &c); err != nil {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		if err := c.ValidateWithLeeway(jwt.Expected{Issuer: clientID, Subject: clientID, AnyAudience: jwt.Audience{srv.URL + "/token"}, Time: time.Now()}, 0); err != nil {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		if c.ID == "" || time.Until(c.Expiry.Time()) > 5*time.Minute {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		if r.PostForm.Get("scope") != "system/*.read" {
			http.Error(w, `{"error":"invalid_scope"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "ehr-access-token", "token_type": "bearer", "expires_in": 300})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestSMARTBackend(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, test := range []struct {
		name string
		key  crypto.Signer
		alg  jose.SignatureAlgorithm
	}{
		{"RS384", rsaKey, jose.RS384},
		{"ES384", ecKey, jose.ES384},
	} {
		t.Run(test.name, func(t *testing.T) {
			srv, calls := smartServer(t, test.key.Public(), test.alg, "ward-client")
			b := &gateway.SMARTBackend{TokenURL: srv.URL + "/token", ClientID: "ward-client", Scopes: []string{"system/*.read"}, Key: test.key, KeyID: "k1"}
			ts, err := b.TokenSource()
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				tok, err := ts.Token()
				if err != nil {
					t.Fatal(err)
				}
				if tok.AccessToken != "ehr-access-token" {
					t.Fatalf("token %q", tok.AccessToken)
				}
			}
			if n := calls.Load(); n != 1 {
				t.Fatalf("%d token requests for 3 uses; the token must be cached until it expires", n)
			}
		})
	}
	t.Run("ErrWrongKey", func(t *testing.T) {
		other, _ := rsa.GenerateKey(rand.Reader, 2048)
		srv, _ := smartServer(t, rsaKey.Public(), jose.RS384, "ward-client")
		ts, err := (&gateway.SMARTBackend{TokenURL: srv.URL + "/token", ClientID: "ward-client", Scopes: []string{"system/*.read"}, Key: other}).TokenSource()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Token(); err == nil {
			t.Fatal("an assertion signed by an unregistered key got a token")
		}
	})
	t.Run("ErrP256", func(t *testing.T) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if _, err := (&gateway.SMARTBackend{TokenURL: "http://x/token", ClientID: "c", Key: k}).TokenSource(); err == nil {
			t.Fatal("a P-256 key was accepted for ES384")
		}
	})
}
