package identity_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity"
)

// TestAuthenticate_Binding replays a worker's token in ways it must not
// work, each refused with its own reason, and checks that the session is
// then revoked in the store with that reason and one session.revoked
// event.
func TestAuthenticate_Binding(t *testing.T) {
	ctx := context.Background()
	// The worker logs in at the Manila site through the VDI gateway, which
	// is also a trusted proxy.
	loginReq := func() *http.Request {
		return request(proxyAddr, "X-Forwarded-For", siteAddr, "X-Ward-Device", "vdi-mnl-017")
	}
	for _, test := range []struct {
		name   string
		setup  func(t *testing.T, e *env)
		req    func() *http.Request
		reason string // "" for accepted
	}{
		{name: "OK", req: loginReq},
		{name: "OKOtherSiteAddressSameCountry",
			req: func() *http.Request {
				return request(proxyAddr, "X-Forwarded-For", phAddr, "X-Ward-Device", "vdi-mnl-017")
			}},
		{name: "ErrAnotherCountry", reason: identity.ReasonCountryChanged,
			req: func() *http.Request {
				return request(proxyAddr, "X-Forwarded-For", inAddr, "X-Ward-Device", "vdi-mnl-017")
			}},
		{name: "ErrAnotherCountryDirect", reason: identity.ReasonCountryChanged,
			req: func() *http.Request { return request(inAddr) }},
		{name: "ErrAnotherDevice", reason: identity.ReasonDeviceMismatch,
			req: func() *http.Request {
				return request(proxyAddr, "X-Forwarded-For", siteAddr, "X-Ward-Device", "vdi-mnl-018")
			}},
		{name: "ErrNoDevice", reason: identity.ReasonDeviceMismatch,
			req: func() *http.Request { return request(proxyAddr, "X-Forwarded-For", siteAddr) }},
		{name: "ErrDeviceHeaderFromUntrustedPeer", reason: identity.ReasonDeviceMismatch,
			req: func() *http.Request { return request(siteAddr, "X-Ward-Device", "vdi-mnl-017") }},
		{name: "ErrSuspended", reason: identity.ReasonWorkerSuspended, req: loginReq,
			setup: func(t *testing.T, e *env) {
				e.store.services().Workers.TransitionWorker(ctx, "wkr_joy", ward.WorkerSuspended, "investigation")
			}},
		{name: "ErrOffboarded", reason: identity.ReasonWorkerNotActive, req: loginReq,
			setup: func(t *testing.T, e *env) {
				e.store.services().Workers.TransitionWorker(ctx, "wkr_joy", ward.WorkerOffboarded, "left")
			}},
		{name: "ErrBAAExpired", reason: identity.ReasonBAALapsed, req: loginReq,
			setup: func(t *testing.T, e *env) {
				yesterday := ward.DateOf(start.AddDate(0, 0, -1))
				e.store.services().Vendors.UpdateVendor(ctx, "ven_1", ward.VendorUpdate{BAAExpires: &yesterday})
			}},
		{name: "ErrBAASuspended", reason: identity.ReasonBAALapsed, req: loginReq,
			setup: func(t *testing.T, e *env) {
				st := ward.BAASuspended
				e.store.services().Vendors.UpdateVendor(ctx, "ven_1", ward.VendorUpdate{BAAStatus: &st})
			}},
		{name: "ErrCountryNoLongerApproved", reason: identity.ReasonCountryNotApproved, req: loginReq,
			setup: func(t *testing.T, e *env) {
				cs := []string{"IN"}
				e.store.services().Vendors.UpdateVendor(ctx, "ven_1", ward.VendorUpdate{ApprovedCountries: &cs})
			}},
		{name: "ErrShiftEnded", reason: identity.ReasonShiftEnded, req: loginReq,
			setup: func(t *testing.T, e *env) { e.clock.Add(9*time.Hour + 16*time.Minute) }}, // 18:16 in Manila
		{name: "ErrShiftCancelled", reason: identity.ReasonShiftEnded, req: loginReq,
			setup: func(t *testing.T, e *env) {
				ex := []ward.ShiftException{{Date: ward.Date{Year: 2026, Month: 3, Day: 10}, Off: true}}
				e.store.services().Schedules.UpdateSchedule(ctx, "sch_day", ward.ScheduleUpdate{Exceptions: &ex})
			}},
		{name: "ErrScheduleRemoved", reason: identity.ReasonNoSchedule, req: loginReq,
			setup: func(t *testing.T, e *env) {
				none := ""
				e.store.services().Workers.UpdateWorker(ctx, "wkr_joy", ward.WorkerUpdate{ScheduleID: &none})
			}},
		{name: "ErrIdle", reason: identity.ReasonSessionIdle, req: loginReq,
			setup: func(t *testing.T, e *env) { e.clock.Add(15*time.Minute + time.Second) }},
		{name: "ErrRevokedByAnotherReplica", reason: identity.ReasonSessionRevoked, req: loginReq,
			setup: func(t *testing.T, e *env) {
				other := e.newManager(t)
				if n, err := other.RevokeWorker(ctx, "wkr_joy", "monitor"); err != nil || n != 1 {
					t.Fatalf("RevokeWorker=%d, %v, want 1", n, err)
				}
			}},
	} {
		t.Run(test.name, func(t *testing.T) {
			e := newEnv(t)
			iss := e.login(t, "joy", loginReq())
			// The session works before anything happens.
			if _, err := e.m.Authenticate(withToken(loginReq(), iss.Token)); err != nil {
				t.Fatalf("first Authenticate: %v", err)
			}
			if test.setup != nil {
				test.setup(t, e)
			}
			before := len(e.audit.actions(identity.ActionSessionRevoked))
			p, err := e.m.Authenticate(withToken(test.req(), iss.Token))
			if test.reason == "" {
				if err != nil {
					t.Fatalf("Authenticate: %v (reason %q)", err, identity.Reason(err))
				}
				if got, want := p.WorkerID, "wkr_joy"; got != want {
					t.Fatalf("WorkerID=%q, want %q", got, want)
				}
				if got, want := p.DeviceID, "vdi:vdi-mnl-017"; got != want {
					t.Fatalf("DeviceID=%q, want %q", got, want)
				}
				return
			}
			if got := identity.Reason(err); got != test.reason {
				t.Fatalf("Reason=%q (%v), want %q", got, err, test.reason)
			}
			if got, want := ward.ErrorCode(err), ward.EUNAUTHORIZED; got != want {
				t.Fatalf("ErrorCode=%q, want %q", got, want)
			}
			s := e.session(t, iss.Session.ID)
			if s.RevokedAt == nil {
				t.Fatal("session not revoked in the store")
			}
			if test.reason == identity.ReasonSessionRevoked {
				return // revoked by the other replica, which recorded it
			}
			if got, want := s.RevokeReason, test.reason; got != want {
				t.Fatalf("RevokeReason=%q, want %q", got, want)
			}
			evs := e.audit.actions(identity.ActionSessionRevoked)[before:]
			if len(evs) != 1 || len(evs[0].Outcome.Reasons) != 1 || evs[0].Outcome.Reasons[0] != test.reason {
				t.Fatalf("session.revoked events=%+v, want one with reason %s", evs, test.reason)
			}
			if got, want := evs[0].Actor.SessionID, iss.Session.ID; got != want {
				t.Fatalf("event SessionID=%q, want %q", got, want)
			}
			// The next try is refused as revoked, and not recorded again.
			if _, err := e.m.Authenticate(withToken(loginReq(), iss.Token)); identity.Reason(err) != identity.ReasonSessionRevoked {
				t.Fatalf("second Authenticate: %v, want session_revoked", err)
			}
			if got := len(e.audit.actions(identity.ActionSessionRevoked)) - before; got != 1 {
				t.Fatalf("%d session.revoked events, want 1", got)
			}
		})
	}
}

func TestAuthenticate_Principal(t *testing.T) {
	e := newEnv(t)
	r := request(proxyAddr, "X-Forwarded-For", siteAddr, "X-Ward-Device", "vdi-mnl-017")
	iss := e.login(t, "joy", r)
	p, err := e.m.Authenticate(withToken(request(proxyAddr, "X-Forwarded-For", siteAddr, "X-Ward-Device", "vdi-mnl-017"), iss.Token))
	if err != nil {
		t.Fatal(err)
	}
	want := ward.Principal{
		Subject: "wkr_joy", Role: ward.RoleWorker, WorkerID: "wkr_joy", VendorID: "ven_1", TeamID: "team_1",
		Username: "joy", SessionID: iss.Session.ID, DeviceID: "vdi:vdi-mnl-017", Country: "PH", SiteID: "site_mnl",
	}
	if *p != want {
		t.Fatalf("Principal=%+v, want %+v", *p, want)
	}
	if !strings.HasPrefix(iss.Token, identity.TokenPrefix) || len(iss.Token) != len(identity.TokenPrefix)+43 {
		t.Fatalf("token %q is not ward_s_ and 43 base64url characters", iss.Token)
	}
	if s := e.session(t, iss.Session.ID); strings.Contains(string(s.TokenHash), iss.Token) || len(s.TokenHash) != 32 {
		t.Fatal("store holds more than the token's SHA-256")
	}
	// A worker's session ends at the shift's end plus grace: 18:15 Manila.
	if got, want := iss.Session.ExpiresAt, time.Date(2026, 3, 10, 10, 15, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("ExpiresAt=%v, want %v", got, want)
	}
}

func TestAuthenticate_ErrUnknownToken(t *testing.T) {
	e := newEnv(t)
	for _, auth := range []string{"", "Bearer", "Bearer x", "Basic abc", "Bearer ward_s_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		r := request(siteAddr)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		_, err := e.m.Authenticate(r)
		if got := identity.Reason(err); got != identity.ReasonSessionUnknown {
			t.Fatalf("Authorization %q: Reason=%q, want session_unknown", auth, got)
		}
		if got := ward.ErrorCode(err); got != ward.EUNAUTHORIZED {
			t.Fatalf("Authorization %q: ErrorCode=%q, want unauthorized", auth, got)
		}
	}
}

// TestAuthenticate_Expired uses an admin (no shift) with a short lifetime,
// kept busy so that it never idles.
func TestAuthenticate_Expired(t *testing.T) {
	e := newEnv(t, func(c *identity.Config) { c.MaxLifetime = time.Hour })
	iss := e.login(t, "adm", request(usAddr))
	for range 5 {
		e.clock.Add(10 * time.Minute)
		if _, err := e.m.Authenticate(withToken(request(usAddr), iss.Token)); err != nil {
			t.Fatalf("at %v: %v", e.clock.Now(), err)
		}
	}
	e.clock.Add(10 * time.Minute)
	if _, err := e.m.Authenticate(withToken(request(usAddr), iss.Token)); identity.Reason(err) != identity.ReasonSessionExpired {
		t.Fatalf("after an hour: %v, want session_expired", err)
	}
}

func TestAuthenticate_IdleResetByUse(t *testing.T) {
	e := newEnv(t)
	iss := e.login(t, "joy", request(siteAddr))
	for range 4 {
		e.clock.Add(14 * time.Minute)
		if _, err := e.m.Authenticate(withToken(request(siteAddr), iss.Token)); err != nil {
			t.Fatalf("at %v: %v", e.clock.Now(), err)
		}
	}
	if got := e.store.touches.Load(); got != 0 {
		t.Fatalf("%d TouchSession calls on the request path, want 0", got)
	}
	identity.Flush(e.m, context.Background())
	if got, want := e.session(t, iss.Session.ID).LastSeenAt, e.clock.Now(); !got.Equal(want) {
		t.Fatalf("stored LastSeenAt=%v, want %v", got, want)
	}
	// Nothing new to write.
	identity.Flush(e.m, context.Background())
	if got := e.store.touches.Load(); got != 1 {
		t.Fatalf("%d TouchSession calls, want 1", got)
	}
}

// TestAuthenticate_NoStoreReadOnCacheHit checks the request path.
func TestAuthenticate_NoStoreReadOnCacheHit(t *testing.T) {
	e := newEnv(t)
	iss := e.login(t, "joy", request(siteAddr))
	r := withToken(request(siteAddr), iss.Token)
	if _, err := e.m.Authenticate(r); err != nil {
		t.Fatal(err)
	}
	before := e.store.reads.Load()
	for range 100 {
		if _, err := e.m.Authenticate(r); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.store.reads.Load() - before; got != 0 {
		t.Fatalf("%d store reads for 100 cached requests, want 0", got)
	}
	// A change to an unrelated record costs at most a reload of it.
	e.store.services().Workers.UpdateWorker(context.Background(), "wkr_ana", ward.WorkerUpdate{})
	if _, err := e.m.Authenticate(r); err != nil {
		t.Fatal(err)
	}
}

// TestAuthenticate_AnotherReplica checks that a session opened on one
// replica works on another, and a suspension written by either is
// honoured by both on the next request.
func TestAuthenticate_AnotherReplica(t *testing.T) {
	e := newEnv(t)
	other := e.newManager(t)
	iss := e.login(t, "joy", request(siteAddr))
	for _, m := range []*identity.Manager{e.m, other} {
		if _, err := m.Authenticate(withToken(request(siteAddr), iss.Token)); err != nil {
			t.Fatal(err)
		}
	}
	e.store.services().Workers.TransitionWorker(context.Background(), "wkr_joy", ward.WorkerSuspended, "")
	if _, err := other.Authenticate(withToken(request(siteAddr), iss.Token)); identity.Reason(err) != identity.ReasonWorkerSuspended {
		t.Fatalf("other replica: %v, want worker_suspended", err)
	}
	if _, err := e.m.Authenticate(withToken(request(siteAddr), iss.Token)); identity.Reason(err) != identity.ReasonSessionRevoked {
		t.Fatalf("first replica: %v, want session_revoked", err)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	iss := e.login(t, "joy", request(siteAddr))
	if err := e.m.Logout(context.Background(), request(siteAddr), iss.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Authenticate(withToken(request(siteAddr), iss.Token)); identity.Reason(err) != identity.ReasonSessionRevoked {
		t.Fatalf("after logout: %v, want session_revoked", err)
	}
	if got, want := e.session(t, iss.Session.ID).RevokeReason, "logout"; got != want {
		t.Fatalf("RevokeReason=%q, want %q", got, want)
	}
	if got := len(e.audit.actions(identity.ActionLogout)); got != 1 {
		t.Fatalf("%d auth.logout events, want 1", got)
	}
	if err := e.m.Logout(context.Background(), request(siteAddr), iss.Token); err != nil {
		t.Fatalf("second logout: %v", err)
	}
	if err := e.m.Logout(context.Background(), request(siteAddr), "ward_s_nope"); identity.Reason(err) != identity.ReasonSessionUnknown {
		t.Fatalf("unknown token: %v, want session_unknown", err)
	}
}

// TestAuthenticate_Concurrent runs requests while the worker is suspended
// and reinstated, for the race detector; once suspended, no request
// succeeds.
func TestAuthenticate_Concurrent(t *testing.T) {
	e := newEnv(t)
	iss := e.login(t, "joy", request(siteAddr))
	other := e.login(t, "ana", request(siteAddr))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				tok := iss.Token
				if i%2 == 1 {
					tok = other.Token
				}
				e.m.Authenticate(withToken(request(siteAddr), tok))
			}
		}()
	}
	for range 20 {
		e.store.services().Workers.UpdateWorker(context.Background(), "wkr_ana", ward.WorkerUpdate{})
		e.store.services().Sites.UpdateSite(context.Background(), "site_mnl", ward.SiteUpdate{})
	}
	e.store.services().Workers.TransitionWorker(context.Background(), "wkr_joy", ward.WorkerSuspended, "")
	wg.Wait()
	if _, err := e.m.Authenticate(withToken(request(siteAddr), iss.Token)); err == nil {
		t.Fatal("suspended worker's session accepted")
	}
	if _, err := e.m.Authenticate(withToken(request(siteAddr), other.Token)); err != nil {
		t.Fatalf("other worker: %v", err)
	}
}

// TestAuthenticate_IdleAcrossReplicas: a session kept busy on one replica
// is not idle on another that last saw it long ago.
func TestAuthenticate_IdleAcrossReplicas(t *testing.T) {
	e := newEnv(t)
	other := e.newManager(t)
	iss := e.login(t, "joy", request(siteAddr))
	for range 4 {
		e.clock.Add(5 * time.Minute)
		if _, err := other.Authenticate(withToken(request(siteAddr), iss.Token)); err != nil {
			t.Fatal(err)
		}
		identity.Flush(other, context.Background())
	}
	if _, err := e.m.Authenticate(withToken(request(siteAddr), iss.Token)); err != nil {
		t.Fatalf("first replica after 20 busy minutes elsewhere: %v", err)
	}
	e.clock.Add(16 * time.Minute)
	if _, err := other.Authenticate(withToken(request(siteAddr), iss.Token)); identity.Reason(err) != identity.ReasonSessionIdle {
		t.Fatalf("after 16 idle minutes: %v, want session_idle", err)
	}
}
