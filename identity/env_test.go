package identity_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity"
)

// Addresses of the fixture. The vendor's Manila site egresses from
// 203.0.113.0/28; the geo table puts the rest of 203.0.113.0/24 in PH,
// 198.51.100.0/24 in IN and 192.0.2.0/24 in US. 10.0.0.0/8 are the
// trusted proxies and VDI gateways.
const (
	siteAddr  = "203.0.113.5"
	phAddr    = "203.0.113.200"
	inAddr    = "198.51.100.7"
	usAddr    = "192.0.2.9"
	proxyAddr = "10.0.0.2"

	password = "correct horse battery staple"
	secret   = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
)

var passwordHash = sync.OnceValue(func() string {
	h, err := identity.HashPassword(password)
	if err != nil {
		panic(err)
	}
	return h
})

// start is 09:00 in Manila on a Tuesday, inside the 06:00–18:00 shift.
var start = time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)

type env struct {
	clock *clock
	store *memStore
	audit *auditor
	geo   identity.Geo
	cfg   identity.Config
	m     *identity.Manager
}

func newEnv(tb testing.TB, opts ...func(*identity.Config)) *env {
	tb.Helper()
	e := &env{clock: &clock{t: start}, audit: &auditor{}}
	e.store = newMemStore(e.clock.Now)
	seed(tb, e.store)
	geo, err := identity.NewGeoTable(map[string]string{
		"203.0.113.0/24":  "PH",
		"198.51.100.0/24": "IN",
		"192.0.2.0/24":    "US",
	})
	if err != nil {
		tb.Fatal(err)
	}
	e.geo = geo
	e.cfg = identity.Config{
		TrustedProxies:        []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		DeviceHeader:          "X-Ward-Device",
		TrustedDeviceGateways: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		Now:                   e.clock.Now,
	}
	for _, o := range opts {
		o(&e.cfg)
	}
	e.m = e.newManager(tb)
	return e
}

// newManager returns another Manager over the same store: another replica.
func (e *env) newManager(tb testing.TB) *identity.Manager {
	tb.Helper()
	m, err := identity.New(e.store.services(), e.audit, e.geo, e.cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

func seed(tb testing.TB, s *memStore) {
	tb.Helper()
	ctx := context.Background()
	svc := s.services()
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(svc.Vendors.CreateVendor(ctx, &ward.Vendor{
		ID: "ven_1", Name: "Acme Coding", BAAStatus: ward.BAAActive,
		BAAEffective: ward.Date{Year: 2025, Month: 1, Day: 1}, BAAExpires: ward.Date{Year: 2027, Month: 12, Day: 31},
		ApprovedCountries: []string{"PH", "IN"},
	}))
	must(svc.Sites.CreateSite(ctx, &ward.Site{ID: "site_mnl", VendorID: "ven_1", Name: "Manila", Country: "PH",
		EgressCIDRs: []string{"203.0.113.0/28"}, TimeZone: "Asia/Manila"}))
	must(svc.Teams.CreateTeam(ctx, &ward.Team{ID: "team_1", VendorID: "ven_1", SiteID: "site_mnl", Name: "Coding A",
		Functions: []ward.Function{ward.FunctionCoding}}))
	var days []ward.ShiftWindow
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		days = append(days, ward.ShiftWindow{Day: d, Start: "06:00", End: "18:00"})
	}
	must(svc.Schedules.CreateSchedule(ctx, &ward.Schedule{ID: "sch_day", Name: "Day", TimeZone: "Asia/Manila", Windows: days}))
	for _, w := range []*ward.Worker{
		{ID: "wkr_joy", Username: "joy", Role: ward.RoleWorker, VendorID: "ven_1", TeamID: "team_1", ScheduleID: "sch_day", Status: ward.WorkerActive},
		{ID: "wkr_ana", Username: "ana", Role: ward.RoleWorker, VendorID: "ven_1", TeamID: "team_1", ScheduleID: "sch_day", Status: ward.WorkerActive},
		{ID: "wkr_ben", Username: "ben", Role: ward.RoleWorker, VendorID: "ven_1", TeamID: "team_1", ScheduleID: "sch_day", Status: ward.WorkerActive},
		{ID: "wkr_sup", Username: "sup", Role: ward.RoleSupervisor, VendorID: "ven_1", TeamID: "team_1", Status: ward.WorkerActive},
		{ID: "wkr_adm", Username: "adm", Role: ward.RoleAdmin, Status: ward.WorkerActive},
		{ID: "wkr_new", Username: "new", Role: ward.RoleWorker, VendorID: "ven_1", TeamID: "team_1", ScheduleID: "sch_day", Status: ward.WorkerOnboarding},
		{ID: "wkr_nos", Username: "nos", Role: ward.RoleWorker, VendorID: "ven_1", TeamID: "team_1", Status: ward.WorkerActive},
		{ID: "wkr_nomfa", Username: "nomfa", Role: ward.RoleAdmin, Status: ward.WorkerActive},
	} {
		must(svc.Workers.CreateWorker(ctx, w))
		must(svc.Credentials.SetPassword(ctx, w.ID, passwordHash()))
		if w.ID != "wkr_nomfa" {
			must(svc.Credentials.SetTOTP(ctx, w.ID, secret))
		}
	}
}

// code returns the TOTP code at the clock's time.
func (e *env) code(tb testing.TB) string {
	tb.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// request returns a request from remote ("addr" or "addr:port") with
// header pairs.
func request(remote string, header ...string) *http.Request {
	r := httptest.NewRequest("GET", "/api/v1/me", nil)
	if _, err := netip.ParseAddrPort(remote); err != nil {
		remote = netip.AddrPortFrom(netip.MustParseAddr(remote), 40000).String()
	}
	r.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// withToken returns r carrying the bearer token.
func withToken(r *http.Request, tok string) *http.Request {
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// login logs username in with the right password and code from r.
func (e *env) login(tb testing.TB, username string, r *http.Request) *identity.Issued {
	tb.Helper()
	iss, err := e.m.Login(context.Background(), r, username, password, e.code(tb))
	if err != nil {
		tb.Fatalf("Login(%s): %v (reason %q)", username, err, identity.Reason(err))
	}
	return iss
}

// session returns the stored session.
func (e *env) session(tb testing.TB, id string) *ward.Session {
	tb.Helper()
	s, err := e.store.services().Sessions.FindSessionByID(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
