package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity"
	"github.com/wardhq/ward/identity/onboarding"
)

// fakeIdentity is an Identity whose methods call the test's functions.
type fakeIdentity struct {
	login        func(username, password, otp string) (*identity.Issued, error)
	authenticate func(token string) (*ward.Principal, error)
	loggedOut    []string
	passwords    map[string]string
}

func (f *fakeIdentity) Login(ctx context.Context, r *http.Request, username, password, otp string) (*identity.Issued, error) {
	return f.login(username, password, otp)
}

func (f *fakeIdentity) IssueSession(ctx context.Context, r *http.Request, workerID, method string) (*identity.Issued, error) {
	return nil, ward.Errorf(ward.ENOTIMPLEMENTED, "not in this test")
}

func (f *fakeIdentity) AuthenticateToken(r *http.Request, token string) (*ward.Principal, error) {
	return f.authenticate(token)
}

func (f *fakeIdentity) Logout(ctx context.Context, r *http.Request, token string) error {
	f.loggedOut = append(f.loggedOut, token)
	return nil
}

func (f *fakeIdentity) SetPassword(ctx context.Context, workerID, password string) error {
	if f.passwords == nil {
		f.passwords = map[string]string{}
	}
	f.passwords[workerID] = password
	return nil
}

func (f *fakeIdentity) EnrolTOTP(ctx context.Context, workerID, secret, code string) error {
	return nil
}

var joy = &ward.Principal{Subject: "wkr_joy", Role: ward.RoleWorker, WorkerID: "wkr_joy", VendorID: "ven_m", TeamID: "team_m",
	Username: "joy.santos", SessionID: "ses_1", Country: "PH", SiteID: "site_mnl"}

func TestLogin(t *testing.T) {
	expires := now.Add(8 * time.Hour)
	id := &fakeIdentity{
		login: func(u, p, otp string) (*identity.Issued, error) {
			switch {
			case u == "joy.santos" && p == "right" && otp == "123456":
				return &identity.Issued{Token: "ward_s_tok", Session: &ward.Session{ID: "ses_1", WorkerID: "wkr_joy", ExpiresAt: expires}}, nil
			case u == "locked":
				return nil, ward.Refusef(ward.ERATELIMITED, "locked_out", "Too many failed logins; try again later.")
			case u == "abroad":
				return nil, ward.Refusef(ward.EFORBIDDEN, "country_not_approved", "Your vendor may not work from here.")
			}
			return nil, ward.Refusef(ward.EUNAUTHORIZED, "bad_credentials", "Invalid username, password or code.")
		},
	}
	for _, test := range []struct {
		name, body string
		status     int
		reason     string
	}{
		{"OK", `{"username":"joy.santos","password":"right","otp":"123456"}`, http.StatusOK, ""},
		{"ErrBadCredentials", `{"username":"joy.santos","password":"wrong","otp":"123456"}`, http.StatusUnauthorized, "bad_credentials"},
		{"ErrLockedOut", `{"username":"locked","password":"x","otp":"1"}`, http.StatusTooManyRequests, "locked_out"},
		{"ErrCountry", `{"username":"abroad","password":"x","otp":"1"}`, http.StatusForbidden, "country_not_approved"},
		{"ErrUnknownField", `{"username":"joy.santos","password":"right","otp":"123456","role":"admin"}`, http.StatusBadRequest, ""},
	} {
		t.Run(test.name, func(t *testing.T) {
			s := MustNewServer(t)
			s.Identity = id
			// No Authorization header: login is reached before any session.
			w := s.Do(t, "POST", "/api/v1/login", test.body, header("Authorization", ""))
			if test.status != http.StatusOK {
				if p := MustProblem(t, w, test.status); p.Reason != test.reason {
					t.Fatalf("reason=%q, want %q", p.Reason, test.reason)
				}
				return
			}
			MustStatus(t, w, http.StatusOK)
			var got struct {
				Token     string    `json:"token"`
				ExpiresAt time.Time `json:"expires_at"`
			}
			MustDecode(t, w, &got)
			if got.Token != "ward_s_tok" || !got.ExpiresAt.Equal(expires) {
				t.Fatalf("got %+v", got)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Fatalf("Cache-Control=%q: a token must not be cached", cc)
			}
		})
	}
	t.Run("ErrNotConfigured", func(t *testing.T) {
		s := MustNewServer(t)
		MustProblem(t, s.Do(t, "POST", "/api/v1/login", `{"username":"a","password":"b","otp":"c"}`), http.StatusNotImplemented)
	})
}

func TestSessionAuthentication(t *testing.T) {
	s := MustNewServer(t)
	var ended []string
	s.OnSessionEnd = func(ctx context.Context, workerID, reason string) error {
		ended = append(ended, workerID+":"+reason)
		return nil
	}
	id := &fakeIdentity{authenticate: func(tok string) (*ward.Principal, error) {
		if tok == "ward_s_good" {
			return joy, nil
		}
		return nil, ward.Refusef(ward.EUNAUTHORIZED, "country_changed", "The session ended: this request came from another country than the login.")
	}}
	s.Identity = id
	s.Workers.FindWorkerByIDFn = func(ctx context.Context, id string) (*ward.Worker, error) {
		return &ward.Worker{ID: id, Username: "joy.santos", Role: ward.RoleWorker, VendorID: "ven_m"}, nil
	}
	s.Sessions.FindSessionByIDFn = func(ctx context.Context, id string) (*ward.Session, error) {
		return &ward.Session{ID: id, WorkerID: "wkr_joy", Country: "PH"}, nil
	}
	t.Run("Me", func(t *testing.T) {
		w := s.Do(t, "GET", "/api/v1/me", "", header("Authorization", "Bearer ward_s_good"))
		MustStatus(t, w, http.StatusOK)
		if !strings.Contains(w.Body.String(), `"country":"PH"`) || !strings.Contains(w.Body.String(), `"username":"joy.santos"`) {
			t.Fatalf("body=%s", w.Body)
		}
	})
	t.Run("ErrRefusedWithReason", func(t *testing.T) {
		w := s.Do(t, "GET", "/api/v1/me", "", header("Authorization", "Bearer ward_s_stolen"))
		if p := MustProblem(t, w, http.StatusUnauthorized); p.Reason != "country_changed" {
			t.Fatalf("reason=%q", p.Reason)
		}
	})
	t.Run("WorkerCannotListVendors", func(t *testing.T) {
		MustProblem(t, s.Do(t, "GET", "/api/v1/vendors", "", header("Authorization", "Bearer ward_s_good")), http.StatusForbidden)
	})
	t.Run("Logout", func(t *testing.T) {
		MustStatus(t, s.Do(t, "POST", "/api/v1/logout", "", header("Authorization", "Bearer ward_s_good")), http.StatusNoContent)
		if len(id.loggedOut) != 1 || id.loggedOut[0] != "ward_s_good" {
			t.Fatalf("logged out %v", id.loggedOut)
		}
		if len(ended) != 1 || ended[0] != "wkr_joy:logout" {
			t.Fatalf("grants ended for %v, want the worker's on logout", ended)
		}
	})
	t.Run("ErrAdminTokenCannotLogOut", func(t *testing.T) {
		MustProblem(t, s.Do(t, "POST", "/api/v1/logout", ""), http.StatusUnprocessableEntity)
	})
}

func TestCredentials(t *testing.T) {
	worker := func(ctx context.Context, id string) (*ward.Worker, error) {
		switch id {
		case "wkr_joy":
			return &ward.Worker{ID: id, Username: "joy.santos", Role: ward.RoleWorker, VendorID: "ven_m"}, nil
		case "wkr_dana":
			return &ward.Worker{ID: id, Username: "dana.carter", Role: ward.RoleWorker, VendorID: "ven_k"}, nil
		}
		return nil, ward.Errorf(ward.ENOTFOUND, "Worker not found.")
	}
	supervisor := &ward.Principal{Subject: "wkr_lea", Role: ward.RoleSupervisor, WorkerID: "wkr_lea", VendorID: "ven_m"}
	t.Run("SupervisorSetsOwnStaffPassword", func(t *testing.T) {
		s := MustNewServer(t).As(supervisor)
		id := &fakeIdentity{}
		s.Identity = id
		s.Workers.FindWorkerByIDFn = worker
		MustStatus(t, s.Do(t, "PUT", "/api/v1/workers/wkr_joy/password", `{"password":"a long enough passphrase"}`), http.StatusNoContent)
		if id.passwords["wkr_joy"] == "" {
			t.Fatal("password not set")
		}
		// Another vendor's worker answers as if it did not exist.
		MustProblem(t, s.Do(t, "PUT", "/api/v1/workers/wkr_dana/password", `{"password":"a long enough passphrase"}`), http.StatusNotFound)
	})
	t.Run("ErrWorkerCannotSetPasswords", func(t *testing.T) {
		s := MustNewServer(t).As(joy)
		s.Identity = &fakeIdentity{}
		s.Workers.FindWorkerByIDFn = worker
		MustProblem(t, s.Do(t, "PUT", "/api/v1/workers/wkr_joy/password", `{"password":"a long enough passphrase"}`), http.StatusForbidden)
	})
	t.Run("TOTPBeginGivesBase32Secret", func(t *testing.T) {
		s := MustNewServer(t)
		s.Identity = &fakeIdentity{}
		s.Workers.FindWorkerByIDFn = worker
		w := s.Do(t, "POST", "/api/v1/workers/wkr_joy/totp", "")
		MustStatus(t, w, http.StatusOK)
		var got struct{ Secret, OTPAuthURL string }
		MustDecode(t, w, &got)
		if len(got.Secret) < 16 || strings.Trim(got.Secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
			t.Fatalf("secret %q is not base32", got.Secret)
		}
	})
	t.Run("TokenShownOnceHashStored", func(t *testing.T) {
		s := MustNewServer(t)
		var stored *ward.APIToken
		s.APITokens.CreateAPITokenFn = func(ctx context.Context, tok *ward.APIToken) error {
			tok.ID = "tok_1"
			stored = tok
			return nil
		}
		w := s.Do(t, "POST", "/api/v1/tokens", `{"name":"Meridian HR","kind":"scim","vendor_id":"ven_m"}`)
		MustStatus(t, w, http.StatusCreated)
		var got struct {
			Token     string `json:"token"`
			TokenHash string `json:"token_hash"`
		}
		MustDecode(t, w, &got)
		if !strings.HasPrefix(got.Token, "ward_scim_") || got.TokenHash != "" || len(stored.TokenHash) != 32 {
			t.Fatalf("got %+v, stored hash %d bytes", got, len(stored.TokenHash))
		}
		if strings.Contains(string(stored.TokenHash), got.Token) {
			t.Fatal("the token itself was stored")
		}
	})
	t.Run("ErrSupervisorCannotMintTokens", func(t *testing.T) {
		s := MustNewServer(t).As(supervisor)
		MustProblem(t, s.Do(t, "POST", "/api/v1/tokens", `{"name":"x","kind":"scim","vendor_id":"ven_m"}`), http.StatusForbidden)
	})
}

// fakeLifecycle records which lifecycle step the API asked for.
type fakeLifecycle struct{ calls []string }

func (f *fakeLifecycle) Checklist(ctx context.Context, id string) (onboarding.Checklist, error) {
	return onboarding.Checklist{WorkerID: id, Missing: []string{"mfa_enrolled"}}, nil
}

func (f *fakeLifecycle) Record(ctx context.Context, r *ward.OnboardingRecord) (*ward.OnboardingRecord, error) {
	f.calls = append(f.calls, "record:"+string(r.Step))
	return r, nil
}

func (f *fakeLifecycle) Activate(ctx context.Context, id, reason string) (*ward.Worker, error) {
	f.calls = append(f.calls, "activate")
	return nil, ward.Errorf(ward.EUNPROCESSABLE, "Onboarding is not complete: mfa_enrolled.")
}

func (f *fakeLifecycle) Suspend(ctx context.Context, id, reason string) (*ward.Worker, error) {
	f.calls = append(f.calls, "suspend")
	return &ward.Worker{ID: id, Status: ward.WorkerSuspended}, nil
}

func (f *fakeLifecycle) Offboard(ctx context.Context, id, reason string) (*ward.Worker, error) {
	f.calls = append(f.calls, "offboard")
	return &ward.Worker{ID: id, Status: ward.WorkerOffboarded}, nil
}

func (f *fakeLifecycle) LeadTime(ctx context.Context, vendorID string) (onboarding.LeadTime, error) {
	return onboarding.LeadTime{Count: 3, P50: 20 * time.Hour, P90: 40 * time.Hour, Target: 48 * time.Hour}, nil
}

func TestLifecycle(t *testing.T) {
	s := MustNewServer(t)
	lc := &fakeLifecycle{}
	s.Lifecycle = lc
	s.Workers.FindWorkerByIDFn = func(ctx context.Context, id string) (*ward.Worker, error) {
		return &ward.Worker{ID: id, Role: ward.RoleWorker, VendorID: "ven_m"}, nil
	}
	MustProblem(t, s.Do(t, "POST", "/api/v1/workers/wkr_joy/transitions", `{"to":"active","reason":"ready"}`), http.StatusUnprocessableEntity)
	MustStatus(t, s.Do(t, "POST", "/api/v1/workers/wkr_joy/transitions", `{"to":"suspended","reason":"investigation"}`), http.StatusOK)
	MustStatus(t, s.Do(t, "POST", "/api/v1/workers/wkr_joy/transitions", `{"to":"offboarded","reason":"left"}`), http.StatusOK)
	if got := strings.Join(lc.calls, ","); got != "activate,suspend,offboard" {
		t.Fatalf("calls %s: every lifecycle step must go through onboarding", got)
	}
	MustProblem(t, s.Do(t, "POST", "/api/v1/workers", `{"username":"x.y","given_name":"X","family_name":"Y","role":"auditor","status":"active"}`), http.StatusUnprocessableEntity)
	w := s.Do(t, "GET", "/api/v1/onboarding/lead-time", "")
	MustStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), `"p50_hours"`) {
		t.Fatalf("body=%s", w.Body)
	}
}
