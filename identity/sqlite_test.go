package identity_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity"
	"github.com/wardhq/ward/store/sqlite"
)

// TestSQLite runs login, validation, revocation across replicas, TOTP
// replay and lockout against the real SQLite store and its change feed.
func TestSQLite(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: start}
	db := sqlite.NewDB(sqlite.MemoryDSN)
	db.Now = clk.Now
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := db.Services()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	v := &ward.Vendor{Name: "Acme Coding", BAAStatus: ward.BAAActive,
		BAAEffective: ward.Date{Year: 2025, Month: 1, Day: 1}, BAAExpires: ward.Date{Year: 2027, Month: 12, Day: 31},
		ApprovedCountries: []string{"PH", "IN"}}
	must(svc.Vendors.CreateVendor(ctx, v))
	site := &ward.Site{VendorID: v.ID, Name: "Manila", Country: "PH", EgressCIDRs: []string{"203.0.113.0/28"}, TimeZone: "Asia/Manila"}
	must(svc.Sites.CreateSite(ctx, site))
	team := &ward.Team{VendorID: v.ID, SiteID: site.ID, Name: "Coding A", Functions: []ward.Function{ward.FunctionCoding}}
	must(svc.Teams.CreateTeam(ctx, team))
	var days []ward.ShiftWindow
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		days = append(days, ward.ShiftWindow{Day: d, Start: "06:00", End: "18:00"})
	}
	sched := &ward.Schedule{Name: "Day", TimeZone: "Asia/Manila", Windows: days}
	must(svc.Schedules.CreateSchedule(ctx, sched))
	w := &ward.Worker{Username: "joy", GivenName: "Joy", FamilyName: "Santos", Role: ward.RoleWorker,
		VendorID: v.ID, TeamID: team.ID, ScheduleID: sched.ID, Status: ward.WorkerActive}
	must(svc.Workers.CreateWorker(ctx, w))
	must(svc.Credentials.SetPassword(ctx, w.ID, passwordHash()))
	must(svc.Credentials.SetTOTP(ctx, w.ID, secret))

	geo, err := identity.NewGeoTable(map[string]string{"203.0.113.0/24": "PH", "198.51.100.0/24": "IN"})
	must(err)
	audit := &auditor{}
	cfg := identity.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Now: clk.Now}
	newManager := func() *identity.Manager {
		m, err := identity.New(svc, audit, geo, cfg)
		must(err)
		t.Cleanup(func() { m.Close() })
		return m
	}
	a, b := newManager(), newManager()
	e := &env{clock: clk, m: a}

	iss := e.login(t, "joy", request(siteAddr))
	if got, want := iss.Session.SiteID, site.ID; got != want {
		t.Fatalf("SiteID=%q, want %q", got, want)
	}
	for _, m := range []*identity.Manager{a, b} {
		p, err := m.Authenticate(withToken(request(siteAddr), iss.Token))
		must(err)
		if p.WorkerID != w.ID || p.Country != "PH" {
			t.Fatalf("Principal=%+v", p)
		}
	}

	t.Run("TOTPReplay", func(t *testing.T) {
		_, err := a.Login(ctx, request(siteAddr), "joy", password, e.code(t))
		if got := identity.Reason(err); got != identity.ReasonBadCredentials {
			t.Fatalf("replayed code: Reason=%q (%v), want bad_credentials", got, err)
		}
	})

	t.Run("CountryChanged", func(t *testing.T) {
		clk.Add(30 * time.Second)
		other := e.login(t, "joy", request(siteAddr))
		if _, err := b.Authenticate(withToken(request(inAddr), other.Token)); identity.Reason(err) != identity.ReasonCountryChanged {
			t.Fatalf("from IN: %v, want country_changed", err)
		}
		s, err := svc.Sessions.FindSessionByID(ctx, other.Session.ID)
		must(err)
		if s.RevokedAt == nil || s.RevokeReason != identity.ReasonCountryChanged {
			t.Fatalf("stored session: revoked %v reason %q", s.RevokedAt, s.RevokeReason)
		}
		// The replica that did not revoke it sees the revocation.
		if _, err := a.Authenticate(withToken(request(siteAddr), other.Token)); identity.Reason(err) != identity.ReasonSessionRevoked {
			t.Fatalf("other replica: %v, want session_revoked", err)
		}
	})

	t.Run("Lockout", func(t *testing.T) {
		for range 5 {
			a.Login(ctx, request(phAddr), "joy", "wrong password!", "000000")
		}
		if _, err := b.Login(ctx, request(phAddr), "joy", "wrong password!", "000000"); identity.Reason(err) != identity.ReasonLockedOut {
			t.Fatalf("sixth try on another replica: %v, want locked_out", err)
		}
	})

	t.Run("Touch", func(t *testing.T) {
		clk.Add(time.Minute)
		if _, err := a.Authenticate(withToken(request(siteAddr), iss.Token)); err != nil {
			t.Fatal(err)
		}
		identity.Flush(a, ctx)
		s, err := svc.Sessions.FindSessionByID(ctx, iss.Session.ID)
		must(err)
		if got, want := s.LastSeenAt, clk.Now(); !got.Equal(want) {
			t.Fatalf("LastSeenAt=%v, want %v", got, want)
		}
		// Still served from memory by both replicas.
		if _, err := b.Authenticate(withToken(request(siteAddr), iss.Token)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Suspended", func(t *testing.T) {
		if _, err := a.Authenticate(withToken(request(siteAddr), iss.Token)); err != nil {
			t.Fatal(err)
		}
		_, err := svc.Workers.TransitionWorker(ctx, w.ID, ward.WorkerSuspended, "investigation")
		must(err)
		if _, err := b.Authenticate(withToken(request(siteAddr), iss.Token)); identity.Reason(err) != identity.ReasonWorkerSuspended {
			t.Fatalf("after suspension: %v, want worker_suspended", err)
		}
		if _, err := a.Authenticate(withToken(request(siteAddr), iss.Token)); err == nil {
			t.Fatal("first replica accepted the suspended worker's session")
		}
	})
}
