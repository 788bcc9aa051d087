package passkey_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity/passkey"
)

const origin = "https://ward.example.org"

// authenticator is a software security key: an ECDSA P-256 credential
// with "none" attestation that answers WebAuthn ceremonies the way a
// browser and a CTAP2 key together would.
type authenticator struct {
	key    *ecdsa.PrivateKey
	id     []byte
	count  uint32
	aaguid [16]byte

	// Knobs for hostile or broken keys.
	origin    string // clientDataJSON origin; default origin
	noUV      bool   // do not set the user-verified flag
	synced    bool   // set backup eligible and backed up (a synced passkey)
	challenge string // answer this challenge instead of the one asked
}

func newAuthenticator(tb testing.TB) *authenticator {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	a := &authenticator{key: key, id: id}
	copy(a.aaguid[:], "ward-test-key-01")
	return a
}

var b64 = base64.RawURLEncoding

// Authenticator data flags (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

func (a *authenticator) flags() byte {
	f := byte(flagUP | flagUV)
	if a.noUV {
		f &^= flagUV
	}
	if a.synced {
		f |= flagBE | flagBS
	}
	return f
}

// clientData returns clientDataJSON for a ceremony of type typ.
func (a *authenticator) clientData(tb testing.TB, typ, challenge string) []byte {
	tb.Helper()
	o := a.origin
	if o == "" {
		o = origin
	}
	if a.challenge != "" {
		challenge = a.challenge
	}
	b, err := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": o, "crossOrigin": false})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func authDataHead(rpID string, flags byte, count uint32) []byte {
	h := sha256.Sum256([]byte(rpID))
	b := append(h[:], flags)
	return binary.BigEndian.AppendUint32(b, count)
}

// register answers navigator.credentials.create(options).
func (a *authenticator) register(tb testing.TB, options json.RawMessage) []byte {
	tb.Helper()
	var opts struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RP        struct {
				ID string `json:"id"`
			} `json:"rp"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &opts); err != nil {
		tb.Fatal(err)
	}
	pub, err := a.key.PublicKey.ECDH()
	if err != nil {
		tb.Fatal(err)
	}
	point := pub.Bytes() // 0x04 || X || Y
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: point[1:33], -3: point[33:65]})
	if err != nil {
		tb.Fatal(err)
	}
	authData := authDataHead(opts.PublicKey.RP.ID, a.flags()|flagAT, a.count)
	authData = append(authData, a.aaguid[:]...)
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(a.id)))
	authData = append(authData, a.id...)
	authData = append(authData, cose...)
	attObj, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		tb.Fatal(err)
	}
	return mustJSON(tb, map[string]any{
		"id":    b64.EncodeToString(a.id),
		"rawId": b64.EncodeToString(a.id),
		"type":  "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData(tb, "webauthn.create", opts.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(attObj),
			"transports":        []string{"usb"},
		},
		"clientExtensionResults": map[string]any{},
	})
}

// assert answers navigator.credentials.get(options), counting one use.
func (a *authenticator) assert(tb testing.TB, options json.RawMessage) []byte {
	tb.Helper()
	var opts struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RPID      string `json:"rpId"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &opts); err != nil {
		tb.Fatal(err)
	}
	a.count++
	authData := authDataHead(opts.PublicKey.RPID, a.flags(), a.count)
	cdj := a.clientData(tb, "webauthn.get", opts.PublicKey.Challenge)
	h := sha256.Sum256(cdj)
	digest := sha256.Sum256(append(append([]byte{}, authData...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		tb.Fatal(err)
	}
	return mustJSON(tb, map[string]any{
		"id":    b64.EncodeToString(a.id),
		"rawId": b64.EncodeToString(a.id),
		"type":  "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cdj),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
		},
		"clientExtensionResults": map[string]any{},
	})
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func newKeys(tb testing.TB, c *clock) *passkey.Keys {
	tb.Helper()
	k, err := passkey.New(passkey.Config{
		RPID:          "ward.example.org",
		RPDisplayName: "ward",
		RPOrigins:     []string{origin},
		StateKey:      []byte("0123456789abcdef0123456789abcdef"),
		Now:           c.Now,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

var (
	maria = &ward.Worker{ID: "wrk_01JTESTMARIA", Username: "maria.santos", GivenName: "Maria", FamilyName: "Santos"}
	ravi  = &ward.Worker{ID: "wrk_01JTESTRAVI", Username: "ravi.k", GivenName: "Ravi", FamilyName: "Kumar"}
)

// enrol registers a for w and returns the stored credential.
func enrol(tb testing.TB, k *passkey.Keys, w *ward.Worker, a *authenticator) *ward.WebAuthnCredential {
	tb.Helper()
	opts, state, err := k.BeginRegistration(w, nil)
	if err != nil {
		tb.Fatal(err)
	}
	cred, err := k.FinishRegistration(w, nil, state, a.register(tb, opts))
	if err != nil {
		tb.Fatal(err)
	}
	return cred
}

func checkRefused(tb testing.TB, err error, code, reason string) {
	tb.Helper()
	if got := ward.ErrorCode(err); got != code {
		tb.Fatalf("code=%q, want %q (err %v)", got, code, err)
	}
	if got := passkey.Reason(err); got != reason {
		tb.Fatalf("Reason=%q, want %q (err %v)", got, reason, err)
	}
}

func TestRegistration(t *testing.T) {
	c := &clock{time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	k := newKeys(t, c)

	t.Run("OK", func(t *testing.T) {
		a := newAuthenticator(t)
		cred := enrol(t, k, maria, a)
		if string(cred.ID) != string(a.id) {
			t.Fatalf("ID=%x, want %x", cred.ID, a.id)
		}
		if len(cred.PublicKey) == 0 || string(cred.AAGUID) != string(a.aaguid[:]) {
			t.Fatalf("credential=%+v", cred)
		}
		if got, want := cred.CreatedAt, c.t; !got.Equal(want) {
			t.Fatalf("CreatedAt=%s, want %s", got, want)
		}
		if len(cred.Transports) != 1 || cred.Transports[0] != "usb" {
			t.Fatalf("Transports=%v", cred.Transports)
		}
	})
	t.Run("OKExcludesExisting", func(t *testing.T) {
		a := newAuthenticator(t)
		existing := enrol(t, k, maria, a)
		opts, _, err := k.BeginRegistration(maria, []*ward.WebAuthnCredential{existing})
		if err != nil {
			t.Fatal(err)
		}
		var o struct {
			PublicKey struct {
				Exclude []struct {
					ID string `json:"id"`
				} `json:"excludeCredentials"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal(opts, &o); err != nil {
			t.Fatal(err)
		}
		if len(o.PublicKey.Exclude) != 1 || o.PublicKey.Exclude[0].ID != b64.EncodeToString(a.id) {
			t.Fatalf("excludeCredentials=%+v", o.PublicKey.Exclude)
		}
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		a := newAuthenticator(t)
		existing := enrol(t, k, maria, a)
		opts, state, err := k.BeginRegistration(maria, []*ward.WebAuthnCredential{existing})
		if err != nil {
			t.Fatal(err)
		}
		_, err = k.FinishRegistration(maria, []*ward.WebAuthnCredential{existing}, state, a.register(t, opts))
		checkRefused(t, err, ward.ECONFLICT, passkey.ReasonDuplicate)
	})
	for _, test := range []struct {
		name   string
		mod    func(*authenticator)
		reason string
	}{
		{"ErrWrongOrigin", func(a *authenticator) { a.origin = "https://ward.example.org.evil.example" }, passkey.ReasonResponseInvalid},
		{"ErrWrongChallenge", func(a *authenticator) { a.challenge = b64.EncodeToString([]byte("a challenge of another ceremony")) }, passkey.ReasonResponseInvalid},
		{"ErrNoUserVerification", func(a *authenticator) { a.noUV = true }, passkey.ReasonResponseInvalid},
		{"ErrSyncedPasskey", func(a *authenticator) { a.synced = true }, passkey.ReasonSyncedCredential},
	} {
		t.Run(test.name, func(t *testing.T) {
			a := newAuthenticator(t)
			test.mod(a)
			opts, state, err := k.BeginRegistration(maria, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = k.FinishRegistration(maria, nil, state, a.register(t, opts))
			checkRefused(t, err, ward.EUNAUTHORIZED, test.reason)
		})
	}
	t.Run("ErrOtherWorkersState", func(t *testing.T) {
		a := newAuthenticator(t)
		opts, state, err := k.BeginRegistration(ravi, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = k.FinishRegistration(maria, nil, state, a.register(t, opts))
		checkRefused(t, err, ward.EUNAUTHORIZED, passkey.ReasonStateMismatch)
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		_, state, err := k.BeginRegistration(maria, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = k.FinishRegistration(maria, nil, state, []byte(`{"id":"AA","type":"public-key"}`))
		checkRefused(t, err, ward.EUNAUTHORIZED, passkey.ReasonResponseInvalid)
	})
}

func TestLogin(t *testing.T) {
	c := &clock{time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	k := newKeys(t, c)

	// login runs a login ceremony for w with its keys creds, answered by a.
	login := func(t *testing.T, w *ward.Worker, creds []*ward.WebAuthnCredential, a *authenticator) ([]byte, uint32, error) {
		t.Helper()
		opts, state, err := k.BeginLogin(w, creds)
		if err != nil {
			t.Fatal(err)
		}
		return k.FinishLogin(w, creds, state, a.assert(t, opts))
	}

	t.Run("OK", func(t *testing.T) {
		a := newAuthenticator(t)
		cred := enrol(t, k, maria, a)
		for want := uint32(1); want <= 2; want++ {
			id, count, err := login(t, maria, []*ward.WebAuthnCredential{cred}, a)
			if err != nil {
				t.Fatal(err)
			}
			if string(id) != string(a.id) {
				t.Fatalf("credential ID=%x, want %x", id, a.id)
			}
			if count != want {
				t.Fatalf("signCount=%d, want %d", count, want)
			}
			cred.SignCount = count // what the caller stores
		}
	})
	t.Run("OKAnyReplica", func(t *testing.T) {
		a := newAuthenticator(t)
		cred := enrol(t, k, maria, a)
		opts, state, err := k.BeginLogin(maria, []*ward.WebAuthnCredential{cred})
		if err != nil {
			t.Fatal(err)
		}
		other := newKeys(t, c)
		if _, _, err := other.FinishLogin(maria, []*ward.WebAuthnCredential{cred}, state, a.assert(t, opts)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrNoKeys", func(t *testing.T) {
		if _, _, err := k.BeginLogin(maria, nil); ward.ErrorCode(err) != ward.EUNPROCESSABLE {
			t.Fatalf("code=%q, want %q", ward.ErrorCode(err), ward.EUNPROCESSABLE)
		}
	})
	for _, test := range []struct {
		name   string
		mod    func(*authenticator)
		reason string
	}{
		{"ErrWrongOrigin", func(a *authenticator) { a.origin = "https://phish.example" }, passkey.ReasonResponseInvalid},
		{"ErrWrongChallenge", func(a *authenticator) { a.challenge = b64.EncodeToString([]byte("a challenge of another ceremony")) }, passkey.ReasonResponseInvalid},
		{"ErrNoUserVerification", func(a *authenticator) { a.noUV = true }, passkey.ReasonResponseInvalid},
	} {
		t.Run(test.name, func(t *testing.T) {
			a := newAuthenticator(t)
			cred := enrol(t, k, maria, a)
			test.mod(a)
			_, _, err := login(t, maria, []*ward.WebAuthnCredential{cred}, a)
			checkRefused(t, err, ward.EUNAUTHORIZED, test.reason)
		})
	}
	t.Run("ErrTamperedSignature", func(t *testing.T) {
		a := newAuthenticator(t)
		cred := enrol(t, k, maria, a)
		opts, state, err := k.BeginLogin(maria, []*ward.WebAuthnCredential{cred})
		if err != nil {
			t.Fatal(err)
		}
		resp := tamper(t, a.assert(t, opts), "signature")
		_, _, err = k.FinishLogin(maria, []*ward.WebAuthnCredential{cred}, state, resp)
		checkRefused(t, err, ward.EUNAUTHORIZED, passkey.ReasonResponseInvalid)
	})
	t.Run("ErrTamperedAuthenticatorData", func(t *testing.T) {
		a := newAuthenticator(t)
		cred := enrol(t, k, maria, a)
		opts, state, err := k.BeginLogin(maria, []*ward.WebAuthnCredential{cred})
		if err != nil {
			t.Fatal(err)
		}
		resp := tamper(t, a.assert(t, opts), "authenticatorData")
		_, _, err = k.FinishLogin(maria, []*ward.WebAuthnCredential{cred}, state, resp)
		checkRefused(t, err, ward.EUNAUTHORIZED, passkey.ReasonResponseInvalid)
	})
	t.Run("ErrCounterReplayed", func(t *testing.T) {
		// A clone of the key that has not seen its twin's last use.
		a := newAuthenticator(t)
		cred := enrol(t, k, maria, a)
		_, count, err := login(t, maria, []*ward.WebAuthnCredential{cred}, a)
		if err != nil {
			t.Fatal(err)
		}
		cred.SignCount = count
		a.count-- // the clone answers with the count already used
		_, _, err = login(t, maria, []*ward.WebAuthnCredential{cred}, a)
		checkRefused(t, err, ward.EUNAUTHORIZED, passkey.ReasonSignCount)
	})
	t.Run("ErrReplayedResponse", func(t *testing.T) {
		// A captured response replayed against a new ceremony.
		a := newAuthenticator(t)
		cred := enrol(t, k, maria, a)
		opts, _, err := k.BeginLogin(maria, []*ward.WebAuthnCredential{cred})
		if err != nil {
			t.Fatal(err)
		}
		captured := a.assert(t, opts)
		_, state, err := k.BeginLogin(maria, []*ward.WebAuthnCredential{cred})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = k.FinishLogin(maria, []*ward.WebAuthnCredential{cred}, state, captured)
		checkRefused(t, err, ward.EUNAUTHORIZED, passkey.ReasonResponseInvalid)
	})
	t.Run("ErrOtherWorkersKey", func(t *testing.T) {
		mine := newAuthenticator(t)
		theirs := newAuthenticator(t)
		myCred := enrol(t, k, maria, mine)
		enrol(t, k, ravi, theirs)
		_, _, err := login(t, maria, []*ward.WebAuthnCredential{myCred}, theirs)
		checkRefused(t, err, ward.EUNAUTHORIZED, passkey.ReasonUnknownCredential)
	})
	t.Run("ErrOtherWorkersState", func(t *testing.T) {
		// Ravi's ceremony state finishing a login as Maria.
		a := newAuthenticator(t)
		cred := enrol(t, k, maria, a)
		creds := []*ward.WebAuthnCredential{cred}
		opts, state, err := k.BeginLogin(ravi, creds)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = k.FinishLogin(maria, creds, state, a.assert(t, opts))
		checkRefused(t, err, ward.EUNAUTHORIZED, passkey.ReasonStateMismatch)
	})
	t.Run("ErrRegistrationState", func(t *testing.T) {
		a := newAuthenticator(t)
		cred := enrol(t, k, maria, a)
		creds := []*ward.WebAuthnCredential{cred}
		opts, _, err := k.BeginLogin(maria, creds)
		if err != nil {
			t.Fatal(err)
		}
		_, regState, err := k.BeginRegistration(maria, creds)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = k.FinishLogin(maria, creds, regState, a.assert(t, opts))
		checkRefused(t, err, ward.EUNAUTHORIZED, passkey.ReasonStateMismatch)
	})
	t.Run("ErrTamperedState", func(t *testing.T) {
		a := newAuthenticator(t)
		cred := enrol(t, k, maria, a)
		creds := []*ward.WebAuthnCredential{cred}
		opts, state, err := k.BeginLogin(maria, creds)
		if err != nil {
			t.Fatal(err)
		}
		b := []byte(state)
		b[len(b)/2] ^= 1
		_, _, err = k.FinishLogin(maria, creds, string(b), a.assert(t, opts))
		checkRefused(t, err, ward.EUNAUTHORIZED, passkey.ReasonStateMismatch)
	})
	t.Run("ErrStateExpired", func(t *testing.T) {
		c := &clock{c.t}
		k := newKeys(t, c)
		a := newAuthenticator(t)
		cred := enrol(t, k, maria, a)
		creds := []*ward.WebAuthnCredential{cred}
		opts, state, err := k.BeginLogin(maria, creds)
		if err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(passkey.DefaultStateTTL)
		_, _, err = k.FinishLogin(maria, creds, state, a.assert(t, opts))
		checkRefused(t, err, ward.EUNAUTHORIZED, passkey.ReasonStateExpired)
	})
}

// tamper flips one bit of a base64url field of an assertion's response.
func tamper(tb testing.TB, resp []byte, field string) []byte {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(resp, &m); err != nil {
		tb.Fatal(err)
	}
	r := m["response"].(map[string]any)
	b, err := b64.DecodeString(r[field].(string))
	if err != nil {
		tb.Fatal(err)
	}
	b[len(b)-1] ^= 1
	r[field] = b64.EncodeToString(b)
	return mustJSON(tb, m)
}

func TestNew(t *testing.T) {
	for _, test := range []struct {
		name string
		cfg  passkey.Config
	}{
		{"ErrShortKey", passkey.Config{RPID: "ward.example.org", RPDisplayName: "ward", RPOrigins: []string{origin}, StateKey: []byte("short")}},
		{"ErrNoOrigin", passkey.Config{RPID: "ward.example.org", RPDisplayName: "ward", StateKey: make([]byte, 32)}},
		{"ErrNoRPID", passkey.Config{RPDisplayName: "ward", RPOrigins: []string{origin}, StateKey: make([]byte, 32)}},
	} {
		t.Run(test.name, func(t *testing.T) {
			if _, err := passkey.New(test.cfg); ward.ErrorCode(err) != ward.EINVALID {
				t.Fatalf("code=%q, want %q", ward.ErrorCode(err), ward.EINVALID)
			}
		})
	}
}
