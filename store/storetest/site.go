package storetest

import (
	"testing"
	"time"

	"github.com/wardhq/ward"
)

var siteTests = []test{
	{"Site/Create/OK", testSiteCreate},
	{"Site/Create/NilSlicesEmpty", testSiteCreateNilSlices},
	{"Site/Create/ErrInvalid", testSiteCreateInvalid},
	{"Site/Create/ErrNameTaken", testSiteCreateNameTaken},
	{"Site/Find/Filter", testSiteFilter},
	{"Site/Update/OK", testSiteUpdate},
	{"Site/Update/ErrInvalid", testSiteUpdateInvalid},
	{"Site/Update/ErrNameTaken", testSiteUpdateNameTaken},
	{"Site/Update/ErrNotFound", testSiteUpdateNotFound},
}

func testSiteCreate(t *testing.T, e *env) {
	v := e.vendor()
	s := &ward.Site{
		VendorID:    v.ID,
		Name:        "Cebu IT Park",
		Country:     "PH",
		EgressCIDRs: []string{"198.51.100.0/24", "203.0.113.16/28", "2001:db8:1::/48"},
		TimeZone:    "Asia/Manila",
	}
	want := *s
	ok(t, e.Sites.CreateSite(e.ctx, s))
	wantID(t, s.ID, ward.PrefixSite)
	want.ID, want.CreatedAt, want.UpdatedAt = s.ID, us(t0), us(t0)
	diff(t, "CreateSite argument", s, &want)

	got, err := e.Sites.FindSiteByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindSiteByID", got, &want)
	wantTime(t, "CreatedAt", got.CreatedAt, us(t0))
}

func testSiteCreateNilSlices(t *testing.T, e *env) {
	s := e.site(e.vendor().ID, func(s *ward.Site) { s.EgressCIDRs = nil })
	got, err := e.Sites.FindSiteByID(e.ctx, s.ID)
	ok(t, err)
	if got.EgressCIDRs == nil || len(got.EgressCIDRs) != 0 {
		t.Fatalf("EgressCIDRs=%#v, want empty non-nil", got.EgressCIDRs)
	}
	diff(t, "FindSiteByID", got, s)
}

func testSiteCreateInvalid(t *testing.T, e *env) {
	v := e.vendor()
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Site)
		field string
	}{
		{"ErrVendorRequired", func(s *ward.Site) { s.VendorID = "" }, "vendor_id"},
		{"ErrVendorUnknown", func(s *ward.Site) { s.VendorID = ward.NewID(ward.PrefixVendor, t0) }, "vendor_id"},
		{"ErrNameRequired", func(s *ward.Site) { s.Name = "" }, "name"},
		{"ErrCountry", func(s *ward.Site) { s.Country = "Philippines" }, "country"},
		{"ErrCIDR", func(s *ward.Site) { s.EgressCIDRs = []string{"10.0.0.0/8", "10.1.2.3/24"} }, "egress_cidrs[1]"},
		{"ErrTimeZone", func(s *ward.Site) { s.TimeZone = "" }, "time_zone"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &ward.Site{VendorID: v.ID, Name: e.uniq("Site"), Country: "PH", TimeZone: "Asia/Manila"}
			tt.mod(s)
			wantField(t, e.Sites.CreateSite(e.ctx, s), tt.field)
		})
	}
	_, n, err := e.Sites.FindSites(e.ctx, ward.SiteFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d after failed creates, want 0", n)
	}
}

func testSiteCreateNameTaken(t *testing.T, e *env) {
	v, other := e.vendor(), e.vendor()
	s := e.site(v.ID)
	err := e.Sites.CreateSite(e.ctx, &ward.Site{VendorID: v.ID, Name: s.Name, Country: "IN", TimeZone: "Asia/Kolkata"})
	wantConflict(t, err, "name")

	t.Run("OtherVendorOK", func(t *testing.T) {
		e.site(other.ID, func(o *ward.Site) { o.Name = s.Name })
	})
}

func testSiteFilter(t *testing.T, e *env) {
	v1, v2 := e.vendor(), e.vendor()
	a := e.site(v1.ID)
	b := e.site(v1.ID, func(s *ward.Site) { s.Country, s.TimeZone = "IN", "Asia/Kolkata" })
	c := e.site(v2.ID, func(s *ward.Site) { s.Name, s.Country, s.TimeZone = a.Name, "IN", "Asia/Kolkata" })
	for _, tt := range []struct {
		name   string
		filter ward.SiteFilter
		want   []string
	}{
		{"All", ward.SiteFilter{}, sorted(a.ID, b.ID, c.ID)},
		{"ID", ward.SiteFilter{ID: &b.ID}, []string{b.ID}},
		{"VendorID", ward.SiteFilter{VendorID: &v1.ID}, sorted(a.ID, b.ID)},
		{"Name", ward.SiteFilter{Name: &a.Name}, sorted(a.ID, c.ID)},
		{"Country", ward.SiteFilter{Country: ptr("IN")}, sorted(b.ID, c.ID)},
		{"Combined", ward.SiteFilter{VendorID: &v2.ID, Country: ptr("IN")}, []string{c.ID}},
		{"NoMatch", ward.SiteFilter{Country: ptr("US")}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ss, n, err := e.Sites.FindSites(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(ss, func(s *ward.Site) string { return s.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
	ss, _, err := e.Sites.FindSites(e.ctx, ward.SiteFilter{ID: &b.ID})
	ok(t, err)
	diff(t, "FindSites", ss[0], b)
}

func testSiteUpdate(t *testing.T, e *env) {
	s := e.site(e.vendor().ID)
	t1 := e.tick(time.Hour)
	got, err := e.Sites.UpdateSite(e.ctx, s.ID, ward.SiteUpdate{
		Name:        ptr("Bangalore"),
		Country:     ptr("IN"),
		EgressCIDRs: ptr([]string{"192.0.2.0/24"}),
		TimeZone:    ptr("Asia/Kolkata"),
	})
	ok(t, err)
	want := &ward.Site{
		ID: s.ID, VendorID: s.VendorID, Name: "Bangalore", Country: "IN",
		EgressCIDRs: []string{"192.0.2.0/24"}, TimeZone: "Asia/Kolkata",
		CreatedAt: us(t0), UpdatedAt: t1,
	}
	diff(t, "UpdateSite", got, want)
	found, err := e.Sites.FindSiteByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindSiteByID", found, want)

	t.Run("NilUnchanged", func(t *testing.T) {
		t2 := e.tick(time.Minute)
		got, err := e.Sites.UpdateSite(e.ctx, s.ID, ward.SiteUpdate{Country: ptr("US")})
		ok(t, err)
		want := *want
		want.Country, want.UpdatedAt = "US", t2
		diff(t, "UpdateSite", got, &want)
	})
}

func testSiteUpdateInvalid(t *testing.T, e *env) {
	s := e.site(e.vendor().ID)
	e.tick(time.Minute)
	for _, tt := range []struct {
		name  string
		upd   ward.SiteUpdate
		field string
	}{
		{"ErrCountry", ward.SiteUpdate{Name: ptr("New"), Country: ptr("ZZ")}, "country"},
		{"ErrCIDR", ward.SiteUpdate{EgressCIDRs: ptr([]string{"nope"})}, "egress_cidrs[0]"},
		{"ErrTimeZone", ward.SiteUpdate{TimeZone: ptr("Local")}, "time_zone"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Sites.UpdateSite(e.ctx, s.ID, tt.upd)
			wantField(t, err, tt.field)
			got, err := e.Sites.FindSiteByID(e.ctx, s.ID)
			ok(t, err)
			diff(t, "FindSiteByID", got, s)
		})
	}
}

func testSiteUpdateNameTaken(t *testing.T, e *env) {
	v := e.vendor()
	a, b := e.site(v.ID), e.site(v.ID)
	other := e.site(e.vendor().ID)
	e.tick(time.Minute)
	_, err := e.Sites.UpdateSite(e.ctx, b.ID, ward.SiteUpdate{Name: &a.Name})
	wantConflict(t, err, "name")
	got, err := e.Sites.FindSiteByID(e.ctx, b.ID)
	ok(t, err)
	diff(t, "FindSiteByID", got, b)

	t.Run("OtherVendorOK", func(t *testing.T) {
		_, err := e.Sites.UpdateSite(e.ctx, other.ID, ward.SiteUpdate{Name: &a.Name})
		ok(t, err)
	})
}

func testSiteUpdateNotFound(t *testing.T, e *env) {
	_, err := e.Sites.UpdateSite(e.ctx, ward.NewID(ward.PrefixSite, t0), ward.SiteUpdate{Name: ptr("X")})
	wantCode(t, err, ward.ENOTFOUND)
}
