package passkey_test

import (
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity/passkey"
)

// FuzzFinishLogin feeds arbitrary browser responses and states to
// FinishLogin: each is refused with EUNAUTHORIZED, never a panic, and never
// accepted.
func FuzzFinishLogin(f *testing.F) {
	c := &clock{time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	k := newKeys(f, c)
	a := newAuthenticator(f)
	cred := enrol(f, k, maria, a)
	creds := []*ward.WebAuthnCredential{cred}
	opts, state, err := k.BeginLogin(maria, creds)
	if err != nil {
		f.Fatal(err)
	}
	valid := a.assert(f, opts)
	f.Add(tamper(f, valid, "signature"), state)
	f.Add(tamper(f, valid, "clientDataJSON"), state)
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{}}`), state)
	f.Add([]byte(`{}`), "")
	f.Add([]byte(`null`), state[:len(state)/2])
	f.Fuzz(func(t *testing.T, response []byte, st string) {
		_, _, err := k.FinishLogin(maria, creds, st, response)
		if err == nil {
			t.Fatalf("accepted a response that the authenticator did not sign")
		}
		if code := ward.ErrorCode(err); code != ward.EUNAUTHORIZED {
			t.Fatalf("code=%q, want %q (err %v)", code, ward.EUNAUTHORIZED, err)
		}
		if passkey.Reason(err) == "" {
			t.Fatalf("no reason: %v", err)
		}
	})
}
