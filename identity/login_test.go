package identity_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity"
)

func TestLogin(t *testing.T) {
	ctx := context.Background()
	for _, test := range []struct {
		name     string
		username string
		password string
		code     string // "" means the right code
		remote   string
		setup    func(e *env)
		reason   string // "" for success
		errCode  string
	}{
		{name: "OK", username: "joy", remote: siteAddr},
		{name: "OKUpperCaseUsername", username: "Joy", remote: siteAddr},
		{name: "OKSupervisorOffShift", username: "sup", remote: inAddr,
			setup: func(e *env) { e.clock.Add(12 * time.Hour) }},
		{name: "OKAdminAnywhere", username: "adm", remote: usAddr},
		{name: "ErrUnknownUser", username: "nobody", remote: siteAddr, reason: identity.ReasonBadCredentials, errCode: ward.EUNAUTHORIZED},
		{name: "ErrBadPassword", username: "joy", password: "wrong password!!", remote: siteAddr, reason: identity.ReasonBadCredentials, errCode: ward.EUNAUTHORIZED},
		{name: "ErrBadCode", username: "joy", code: "000000", remote: siteAddr, reason: identity.ReasonBadCredentials, errCode: ward.EUNAUTHORIZED},
		{name: "ErrMalformedCode", username: "joy", code: "12345x", remote: siteAddr, reason: identity.ReasonBadCredentials, errCode: ward.EUNAUTHORIZED},
		{name: "ErrNoMFA", username: "nomfa", remote: usAddr, reason: identity.ReasonMFARequired, errCode: ward.EFORBIDDEN},
		{name: "ErrOnboarding", username: "new", remote: siteAddr, reason: identity.ReasonWorkerNotActive, errCode: ward.EFORBIDDEN},
		{name: "ErrSuspended", username: "joy", remote: siteAddr, reason: identity.ReasonWorkerSuspended, errCode: ward.EFORBIDDEN,
			setup: func(e *env) {
				e.store.services().Workers.TransitionWorker(ctx, "wkr_joy", ward.WorkerSuspended, "")
			}},
		{name: "ErrCountryNotApproved", username: "joy", remote: usAddr, reason: identity.ReasonCountryNotApproved, errCode: ward.EFORBIDDEN},
		{name: "ErrCountryUnknown", username: "joy", remote: "100.64.0.1", reason: identity.ReasonCountryUnknown, errCode: ward.EFORBIDDEN},
		{name: "ErrBAALapsed", username: "sup", remote: siteAddr, reason: identity.ReasonBAALapsed, errCode: ward.EFORBIDDEN,
			setup: func(e *env) {
				st := ward.BAATerminated
				e.store.services().Vendors.UpdateVendor(ctx, "ven_1", ward.VendorUpdate{BAAStatus: &st})
			}},
		{name: "ErrOffShift", username: "joy", remote: siteAddr, reason: identity.ReasonOffShift, errCode: ward.EFORBIDDEN,
			setup: func(e *env) { e.clock.Add(12 * time.Hour) }},
		{name: "ErrNoSchedule", username: "nos", remote: siteAddr, reason: identity.ReasonNoSchedule, errCode: ward.EFORBIDDEN},
	} {
		t.Run(test.name, func(t *testing.T) {
			e := newEnv(t)
			if test.setup != nil {
				test.setup(e)
			}
			pw, code := password, test.code
			if test.password != "" {
				pw = test.password
			}
			if code == "" {
				code = e.code(t)
			}
			iss, err := e.m.Login(ctx, request(test.remote), test.username, pw, code)
			if test.reason == "" {
				if err != nil {
					t.Fatalf("Login: %v (reason %q)", err, identity.Reason(err))
				}
				if got := e.audit.actions(identity.ActionLogin); len(got) != 1 || got[0].Actor.SessionID != iss.Session.ID {
					t.Fatalf("auth.login events=%+v, want one for the session", got)
				}
				return
			}
			if got := identity.Reason(err); got != test.reason {
				t.Fatalf("Reason=%q (%v), want %q", got, err, test.reason)
			}
			if got := ward.ErrorCode(err); got != test.errCode {
				t.Fatalf("ErrorCode=%q, want %q", got, test.errCode)
			}
			if test.reason == identity.ReasonBadCredentials {
				if got, want := ward.ErrorMessage(err), "Invalid username, password or code."; got != want {
					t.Fatalf("message=%q, want %q", got, want)
				}
			}
			evs := e.audit.actions(identity.ActionLoginFailed)
			if len(evs) != 1 || evs[0].Outcome.Reasons[0] != test.reason || evs[0].Outcome.Decision != ward.DecisionFailure {
				t.Fatalf("auth.login_failed events=%+v, want one with reason %s", evs, test.reason)
			}
			if test.username == "nobody" && (evs[0].Actor.Subject != "anonymous" || evs[0].Actor.Username != "") {
				t.Fatalf("unknown user recorded as %+v", evs[0].Actor)
			}
			if n := len(e.store.sessions); n != 0 {
				t.Fatalf("%d sessions stored, want 0", n)
			}
		})
	}
}

// TestLogin_SpoofedForwardedFor: an X-Forwarded-For from a peer that is
// not a trusted proxy is ignored, so a client in the US cannot claim to be
// at the Manila site.
func TestLogin_SpoofedForwardedFor(t *testing.T) {
	e := newEnv(t)
	_, err := e.m.Login(context.Background(), request(usAddr, "X-Forwarded-For", siteAddr), "joy", password, e.code(t))
	if got := identity.Reason(err); got != identity.ReasonCountryNotApproved {
		t.Fatalf("Reason=%q (%v), want country_not_approved", got, err)
	}
	// Through the trusted proxy the same header is believed. (The code was
	// spent by the refused login: a code is good once.)
	e.clock.Add(30 * time.Second)
	iss := e.login(t, "joy", request(proxyAddr, "X-Forwarded-For", "192.0.2.1, "+siteAddr))
	if got, want := iss.Session.SiteID, "site_mnl"; got != want {
		t.Fatalf("SiteID=%q, want %q", got, want)
	}
	if got, want := iss.Session.ClientAddr, siteAddr; got != want {
		t.Fatalf("ClientAddr=%q, want %q", got, want)
	}
}

func TestLogin_TOTPReplay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	code := e.code(t)
	if _, err := e.m.Login(ctx, request(siteAddr), "joy", password, code); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Login(ctx, request(siteAddr), "joy", password, code); identity.Reason(err) != identity.ReasonBadCredentials {
		t.Fatalf("same code again: %v, want bad_credentials", err)
	}
	// Thirty seconds on, the old code is still inside the skew but spent.
	e.clock.Add(30 * time.Second)
	if _, err := e.m.Login(ctx, request(siteAddr), "joy", password, code); identity.Reason(err) != identity.ReasonBadCredentials {
		t.Fatalf("previous step's code: %v, want bad_credentials", err)
	}
	if _, err := e.m.Login(ctx, request(siteAddr), "joy", password, e.code(t)); err != nil {
		t.Fatalf("fresh code: %v", err)
	}
}

// TestLogin_Lockout covers both keys and the "cannot lock out a whole
// vendor" property.
func TestLogin_Lockout(t *testing.T) {
	ctx := context.Background()
	bad := func(e *env, user, remote string) error {
		_, err := e.m.Login(ctx, request(remote), user, "not the password", "000000")
		return err
	}

	t.Run("AccountFromOrigin", func(t *testing.T) {
		e := newEnv(t)
		for i := range 5 {
			if err := bad(e, "joy", phAddr); identity.Reason(err) != identity.ReasonBadCredentials {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
		}
		if got := len(e.audit.actions(identity.ActionLockout)); got != 1 {
			t.Fatalf("%d auth.lockout events, want 1", got)
		}
		// Locked from that origin, even with the right credentials.
		_, err := e.m.Login(ctx, request(phAddr), "joy", password, e.code(t))
		if got := identity.Reason(err); got != identity.ReasonLockedOut {
			t.Fatalf("right credentials from the locked origin: %v, want locked_out", err)
		}
		if got := ward.ErrorCode(err); got != ward.ERATELIMITED {
			t.Fatalf("ErrorCode=%q, want rate_limited", got)
		}
		// The worker at the site is a different key.
		iss := e.login(t, "joy", request(siteAddr))
		if iss.Session.SiteID != "site_mnl" {
			t.Fatalf("SiteID=%q", iss.Session.SiteID)
		}
		// The lock lapses.
		e.clock.Add(15*time.Minute + time.Second)
		e.login(t, "joy", request(phAddr))
	})

	t.Run("SuccessClearsAccount", func(t *testing.T) {
		e := newEnv(t)
		for range 4 {
			bad(e, "joy", siteAddr)
		}
		e.login(t, "joy", request(siteAddr))
		e.clock.Add(30 * time.Second)
		for range 4 {
			bad(e, "joy", siteAddr)
		}
		e.clock.Add(30 * time.Second)
		e.login(t, "joy", request(siteAddr))
	})

	t.Run("Address", func(t *testing.T) {
		e := newEnv(t)
		// Four tries at each of five usernames: no account key reaches five,
		// the address reaches twenty.
		for i := range 20 {
			user := []string{"joy", "ana", "ben", "sup", "ghost"}[i%5]
			if err := bad(e, user, inAddr); identity.Reason(err) != identity.ReasonBadCredentials {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
		}
		if err := bad(e, "adm", inAddr); identity.Reason(err) != identity.ReasonLockedOut {
			t.Fatalf("21st attempt from the address: %v, want locked_out", err)
		}
		// Another address in the same country is not locked.
		if _, err := e.m.Login(ctx, request("198.51.100.8"), "adm", password, e.code(t)); err != nil {
			t.Fatalf("from another address: %v", err)
		}
	})

	t.Run("CannotLockOutVendor", func(t *testing.T) {
		e := newEnv(t)
		// An attacker in PH but off-site sprays every account of the vendor
		// until both its address and the accounts as seen from PH lock.
		for _, user := range []string{"joy", "ana", "ben", "sup"} {
			for range 5 {
				bad(e, user, "203.0.113.77")
			}
		}
		if err := bad(e, "joy", "203.0.113.77"); identity.Reason(err) != identity.ReasonLockedOut {
			t.Fatalf("attacker: %v, want locked_out", err)
		}
		// Every worker still logs in from the site.
		for _, user := range []string{"joy", "ana", "ben", "sup"} {
			e.login(t, user, request(siteAddr))
		}
	})
}

func TestLogin_AuditFailureKeepsNoSession(t *testing.T) {
	e := newEnv(t)
	e.audit.fail = identity.ActionLogin
	_, err := e.m.Login(context.Background(), request(siteAddr), "joy", password, e.code(t))
	if got := ward.ErrorCode(err); got != ward.EUNAVAILABLE {
		t.Fatalf("ErrorCode=%q (%v), want unavailable", got, err)
	}
	for _, s := range e.store.sessions {
		if s.RevokedAt == nil {
			t.Fatalf("session %s left live without its audit record", s.ID)
		}
	}
}

func TestLogin_LoopbackIsHome(t *testing.T) {
	e := newEnv(t, func(c *identity.Config) {
		c.LoopbackIsHome = true
		c.TrustedProxies = append(c.TrustedProxies, netip.MustParsePrefix("127.0.0.0/8"))
	})
	iss := e.login(t, "joy", request("127.0.0.1"))
	if got, want := iss.Session.Country+"/"+iss.Session.SiteID, "PH/site_mnl"; got != want {
		t.Fatalf("origin=%s, want %s", got, want)
	}
	p, err := e.m.Authenticate(withToken(request("127.0.0.1"), iss.Token))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.SiteID, "site_mnl"; got != want {
		t.Fatalf("SiteID=%q, want %q", got, want)
	}
	// With X-Forwarded-For the loopback proxy's client counts instead.
	if _, err := e.m.Authenticate(withToken(request("127.0.0.1", "X-Forwarded-For", inAddr), iss.Token)); identity.Reason(err) != identity.ReasonCountryChanged {
		t.Fatalf("forwarded from IN: %v, want country_changed", err)
	}
}

func TestIssueSession(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	iss, err := e.m.IssueSession(ctx, request(siteAddr), "wkr_joy", identity.MethodOIDC)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := iss.Session.Method, "oidc"; got != want {
		t.Fatalf("Method=%q, want %q", got, want)
	}
	if _, err := e.m.Authenticate(withToken(request(siteAddr), iss.Token)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.IssueSession(ctx, request(usAddr), "wkr_joy", identity.MethodWebAuthn); identity.Reason(err) != identity.ReasonCountryNotApproved {
		t.Fatalf("from the US: %v, want country_not_approved", err)
	}
	if _, err := e.m.IssueSession(ctx, request(siteAddr), "wkr_none", identity.MethodOIDC); ward.ErrorCode(err) != ward.ENOTFOUND {
		t.Fatalf("unknown worker: %v, want not_found", err)
	}
}

func TestLogin_RequireEnrolledDevice(t *testing.T) {
	e := newEnv(t, func(c *identity.Config) { c.RequireEnrolledDevice = true })
	ctx := context.Background()
	viaGateway := func(host string) *http.Request {
		return request(proxyAddr, "X-Forwarded-For", siteAddr, "X-Ward-Device", host)
	}
	if _, err := e.m.Login(ctx, viaGateway("vdi-mnl-017"), "joy", password, e.code(t)); identity.Reason(err) != identity.ReasonDeviceNotEnrolled {
		t.Fatalf("unenrolled: %v, want device_not_enrolled", err)
	}
	if err := e.store.services().Devices.CreateDevice(ctx, &ward.Device{WorkerID: "wkr_joy", Identity: "vdi:vdi-mnl-017"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(30 * time.Second)
	if _, err := e.m.Login(ctx, request(siteAddr), "joy", password, e.code(t)); identity.Reason(err) != identity.ReasonDeviceNotEnrolled {
		t.Fatalf("no device: %v, want device_not_enrolled", err)
	}
	e.clock.Add(30 * time.Second)
	e.login(t, "joy", viaGateway("vdi-mnl-017"))
	// Administrators are not bound to enrolled devices.
	e.login(t, "adm", request(usAddr))
}

func TestOrigin_ClientCertificate(t *testing.T) {
	e := newEnv(t)
	cert := &x509.Certificate{Raw: []byte("a certificate's DER")}
	r := request(siteAddr)
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
	o, err := e.m.Origin(r)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.Raw)
	if got, want := o.Device, "sha256:"+hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("Device=%q, want %q", got, want)
	}
	// A certificate wins over a gateway's header.
	r.RemoteAddr = proxyAddr + ":1"
	r.Header.Set("X-Ward-Device", "vdi-1")
	if o, _ := e.m.Origin(r); !strings.HasPrefix(o.Device, "sha256:") {
		t.Fatalf("Device=%q, want the certificate's", o.Device)
	}
	// The session is bound to the certificate.
	r = request(siteAddr)
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
	iss := e.login(t, "joy", r)
	for range 2 {
		again := withToken(request(siteAddr), iss.Token)
		again.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{{Raw: []byte("a certificate's DER")}}}
		if _, err := e.m.Authenticate(again); err != nil {
			t.Fatal(err)
		}
	}
	other := withToken(request(siteAddr), iss.Token)
	other.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{{Raw: []byte("another DER")}}}
	if _, err := e.m.Authenticate(other); identity.Reason(err) != identity.ReasonDeviceMismatch {
		t.Fatalf("other certificate: %v, want device_mismatch", err)
	}
}

func TestOrigin_ErrBadDeviceHeader(t *testing.T) {
	e := newEnv(t)
	for _, v := range []string{"has space", strings.Repeat("x", 191), "tab\there"} {
		_, err := e.m.Origin(request(proxyAddr, "X-Ward-Device", v))
		if got := identity.Reason(err); got != identity.ReasonDeviceInvalid {
			t.Fatalf("header %q: Reason=%q, want device_invalid", v, got)
		}
	}
}

func TestEnrolTOTP(t *testing.T) {
	e := newEnv(t)
	ctx := ward.NewContextWithPrincipal(context.Background(), &ward.Principal{Subject: "wkr_adm", Role: ward.RoleAdmin, WorkerID: "wkr_adm"})
	sec, url, err := identity.NewTOTPSecret("nomfa", "ward")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "otpauth://totp/ward:nomfa?") {
		t.Fatalf("url=%q", url)
	}
	codeAt := func(at time.Time) string {
		c, err := totp.GenerateCodeCustom(sec, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := e.m.EnrolTOTP(ctx, "wkr_nomfa", sec, "123456x"); ward.ErrorField(err) != "code" {
		t.Fatalf("bad code: %v, want EINVALID naming code", err)
	}
	if err := e.m.EnrolTOTP(ctx, "wkr_nomfa", "SHORT", codeAt(e.clock.Now())); ward.ErrorField(err) != "secret" {
		t.Fatalf("short secret: %v, want EINVALID naming secret", err)
	}
	code := codeAt(e.clock.Now())
	if err := e.m.EnrolTOTP(ctx, "wkr_nomfa", strings.ToLower(sec), code); err != nil {
		t.Fatal(err)
	}
	evs := e.audit.actions(identity.ActionMFAEnrolled)
	if len(evs) != 1 || evs[0].Actor.Subject != "wkr_adm" || evs[0].Target.ResourceID != "wkr_nomfa" {
		t.Fatalf("mfa.enrolled events=%+v", evs)
	}
	// The enrolment code is spent.
	if _, err := e.m.Login(context.Background(), request(usAddr), "nomfa", password, code); identity.Reason(err) != identity.ReasonBadCredentials {
		t.Fatalf("login with the enrolment code: %v, want bad_credentials", err)
	}
	e.clock.Add(30 * time.Second)
	if _, err := e.m.Login(context.Background(), request(usAddr), "nomfa", password, codeAt(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
}

func TestSetPassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, test := range []struct{ name, pw string }{
		{"ErrShort", "short pass"},
		{"ErrTooLong", strings.Repeat("p", identity.MaxPasswordLength+1)},
	} {
		t.Run(test.name, func(t *testing.T) {
			if err := e.m.SetPassword(ctx, "wkr_joy", test.pw); ward.ErrorField(err) != "password" {
				t.Fatalf("SetPassword: %v, want EINVALID naming password", err)
			}
		})
	}
	t.Run("ErrUsernameLong", func(t *testing.T) {
		long := "jollibee.santos.reyes"
		e.store.workers["wkr_long"] = &ward.Worker{ID: "wkr_long", Username: long, Role: ward.RoleAdmin, Status: ward.WorkerActive}
		if err := e.m.SetPassword(ctx, "wkr_long", long); ward.ErrorField(err) != "password" {
			t.Fatalf("SetPassword: %v, want EINVALID naming password", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if err := e.m.SetPassword(ctx, "wkr_joy", "a new long passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.Login(ctx, request(siteAddr), "joy", "a new long passphrase", e.code(t)); err != nil {
			t.Fatal(err)
		}
		if got := len(e.audit.actions(identity.ActionPasswordChange)); got != 1 {
			t.Fatalf("%d password.changed events, want 1", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if err := e.m.SetPassword(ctx, "wkr_none", "a new long passphrase"); ward.ErrorCode(err) != ward.ENOTFOUND {
			t.Fatalf("SetPassword: %v, want not_found", err)
		}
	})
}

func ExampleReason() {
	err := error(&identity.Refusal{Reason: identity.ReasonCountryChanged, Err: ward.Errorf(ward.EUNAUTHORIZED, "Moved.")})
	fmt.Println(identity.Reason(err), ward.ErrorCode(err))
	// Output: country_changed unauthorized
}
