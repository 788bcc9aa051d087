package storetest

import (
	"testing"
	"time"

	"github.com/wardhq/ward"
)

var teamTests = []test{
	{"Team/Create/OK", testTeamCreate},
	{"Team/Create/NilSlicesEmpty", testTeamCreateNilSlices},
	{"Team/Create/ErrInvalid", testTeamCreateInvalid},
	{"Team/Create/ErrNameTaken", testTeamCreateNameTaken},
	{"Team/Find/Filter", testTeamFilter},
	{"Team/Update/OK", testTeamUpdate},
	{"Team/Update/ErrInvalid", testTeamUpdateInvalid},
	{"Team/Update/ErrNameTaken", testTeamUpdateNameTaken},
	{"Team/Update/ErrNotFound", testTeamUpdateNotFound},
}

func testTeamCreate(t *testing.T, e *env) {
	v := e.vendor()
	s := e.site(v.ID)
	tm := &ward.Team{
		VendorID:   v.ID,
		SiteID:     s.ID,
		Name:       "Behavioral health coding",
		Functions:  []ward.Function{ward.FunctionCDI, ward.FunctionCoding},
		Clearances: []string{ward.TagSubstanceUse, ward.TagMentalHealth, "custom_tag_1"},
	}
	want := *tm
	ok(t, e.Teams.CreateTeam(e.ctx, tm))
	wantID(t, tm.ID, ward.PrefixTeam)
	want.ID, want.CreatedAt, want.UpdatedAt = tm.ID, us(t0), us(t0)
	diff(t, "CreateTeam argument", tm, &want)

	got, err := e.Teams.FindTeamByID(e.ctx, tm.ID)
	ok(t, err)
	diff(t, "FindTeamByID", got, &want)
	wantTime(t, "UpdatedAt", got.UpdatedAt, us(t0))
}

func testTeamCreateNilSlices(t *testing.T, e *env) {
	tm := e.team(e.site(e.vendor().ID), func(tm *ward.Team) { tm.Clearances = nil })
	got, err := e.Teams.FindTeamByID(e.ctx, tm.ID)
	ok(t, err)
	if got.Clearances == nil || len(got.Clearances) != 0 {
		t.Fatalf("Clearances=%#v, want empty non-nil", got.Clearances)
	}
	diff(t, "FindTeamByID", got, tm)
}

func testTeamCreateInvalid(t *testing.T, e *env) {
	v := e.vendor()
	s := e.site(v.ID)
	otherSite := e.site(e.vendor().ID)
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Team)
		field string
	}{
		{"ErrVendorRequired", func(tm *ward.Team) { tm.VendorID = "" }, "vendor_id"},
		{"ErrSiteRequired", func(tm *ward.Team) { tm.SiteID = "" }, "site_id"},
		{"ErrVendorUnknown", func(tm *ward.Team) { tm.VendorID = ward.NewID(ward.PrefixVendor, t0) }, "vendor_id"},
		{"ErrSiteUnknown", func(tm *ward.Team) { tm.SiteID = ward.NewID(ward.PrefixSite, t0) }, "site_id"},
		{"ErrSiteOfOtherVendor", func(tm *ward.Team) { tm.SiteID = otherSite.ID }, "site_id"},
		{"ErrNameRequired", func(tm *ward.Team) { tm.Name = "" }, "name"},
		{"ErrFunctionsRequired", func(tm *ward.Team) { tm.Functions = nil }, "functions"},
		{"ErrFunction", func(tm *ward.Team) { tm.Functions = []ward.Function{ward.FunctionCoding, "billing"} }, "functions[1]"},
		{"ErrClearance", func(tm *ward.Team) { tm.Clearances = []string{"HIV"} }, "clearances[0]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tm := &ward.Team{VendorID: v.ID, SiteID: s.ID, Name: e.uniq("Team"), Functions: []ward.Function{ward.FunctionCoding}}
			tt.mod(tm)
			wantField(t, e.Teams.CreateTeam(e.ctx, tm), tt.field)
		})
	}
	_, n, err := e.Teams.FindTeams(e.ctx, ward.TeamFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d after failed creates, want 0", n)
	}
}

func testTeamCreateNameTaken(t *testing.T, e *env) {
	v := e.vendor()
	s1, s2 := e.site(v.ID), e.site(v.ID)
	tm := e.team(s1)
	// Names are unique per vendor, not per site.
	err := e.Teams.CreateTeam(e.ctx, &ward.Team{VendorID: v.ID, SiteID: s2.ID, Name: tm.Name, Functions: []ward.Function{ward.FunctionCoding}})
	wantConflict(t, err, "name")

	t.Run("OtherVendorOK", func(t *testing.T) {
		e.team(e.site(e.vendor().ID), func(o *ward.Team) { o.Name = tm.Name })
	})
}

func testTeamFilter(t *testing.T, e *env) {
	v1, v2 := e.vendor(), e.vendor()
	s1, s2, s3 := e.site(v1.ID), e.site(v1.ID), e.site(v2.ID)
	a := e.team(s1, func(tm *ward.Team) { tm.Functions = []ward.Function{ward.FunctionCoding} })
	b := e.team(s2, func(tm *ward.Team) { tm.Functions = []ward.Function{ward.FunctionPriorAuth, ward.FunctionDenials} })
	c := e.team(s3, func(tm *ward.Team) { tm.Name = a.Name; tm.Functions = []ward.Function{ward.FunctionDenials} })
	for _, tt := range []struct {
		name   string
		filter ward.TeamFilter
		want   []string
	}{
		{"All", ward.TeamFilter{}, sorted(a.ID, b.ID, c.ID)},
		{"ID", ward.TeamFilter{ID: &b.ID}, []string{b.ID}},
		{"VendorID", ward.TeamFilter{VendorID: &v1.ID}, sorted(a.ID, b.ID)},
		{"SiteID", ward.TeamFilter{SiteID: &s2.ID}, []string{b.ID}},
		{"Name", ward.TeamFilter{Name: &a.Name}, sorted(a.ID, c.ID)},
		{"Function", ward.TeamFilter{Function: ptr(ward.FunctionDenials)}, sorted(b.ID, c.ID)},
		{"FunctionNone", ward.TeamFilter{Function: ptr(ward.FunctionCDI)}, nil},
		{"Combined", ward.TeamFilter{VendorID: &v1.ID, Function: ptr(ward.FunctionDenials)}, []string{b.ID}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts, n, err := e.Teams.FindTeams(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(ts, func(tm *ward.Team) string { return tm.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
	ts, _, err := e.Teams.FindTeams(e.ctx, ward.TeamFilter{ID: &b.ID})
	ok(t, err)
	diff(t, "FindTeams", ts[0], b)
}

func testTeamUpdate(t *testing.T, e *env) {
	v := e.vendor()
	s1, s2 := e.site(v.ID), e.site(v.ID)
	tm := e.team(s1)
	t1 := e.tick(time.Hour)
	got, err := e.Teams.UpdateTeam(e.ctx, tm.ID, ward.TeamUpdate{
		Name:       ptr("Night coders"),
		SiteID:     &s2.ID,
		Functions:  ptr([]ward.Function{ward.FunctionPriorAuth}),
		Clearances: ptr([]string{ward.TagGenetic}),
	})
	ok(t, err)
	want := &ward.Team{
		ID: tm.ID, VendorID: v.ID, SiteID: s2.ID, Name: "Night coders",
		Functions: []ward.Function{ward.FunctionPriorAuth}, Clearances: []string{ward.TagGenetic},
		CreatedAt: us(t0), UpdatedAt: t1,
	}
	diff(t, "UpdateTeam", got, want)
	found, err := e.Teams.FindTeamByID(e.ctx, tm.ID)
	ok(t, err)
	diff(t, "FindTeamByID", found, want)

	t.Run("NilUnchanged", func(t *testing.T) {
		t2 := e.tick(time.Minute)
		got, err := e.Teams.UpdateTeam(e.ctx, tm.ID, ward.TeamUpdate{Clearances: ptr([]string{})})
		ok(t, err)
		want := *want
		want.Clearances, want.UpdatedAt = []string{}, t2
		diff(t, "UpdateTeam", got, &want)
	})
}

func testTeamUpdateInvalid(t *testing.T, e *env) {
	tm := e.team(e.site(e.vendor().ID))
	otherSite := e.site(e.vendor().ID)
	e.tick(time.Minute)
	for _, tt := range []struct {
		name  string
		upd   ward.TeamUpdate
		field string
	}{
		{"ErrSiteUnknown", ward.TeamUpdate{SiteID: ptr(ward.NewID(ward.PrefixSite, t0))}, "site_id"},
		{"ErrSiteOfOtherVendor", ward.TeamUpdate{SiteID: &otherSite.ID}, "site_id"},
		{"ErrSiteEmpty", ward.TeamUpdate{SiteID: ptr("")}, "site_id"},
		{"ErrFunctionsEmpty", ward.TeamUpdate{Name: ptr("New"), Functions: ptr([]ward.Function{})}, "functions"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Teams.UpdateTeam(e.ctx, tm.ID, tt.upd)
			wantField(t, err, tt.field)
			got, err := e.Teams.FindTeamByID(e.ctx, tm.ID)
			ok(t, err)
			diff(t, "FindTeamByID", got, tm)
		})
	}
}

func testTeamUpdateNameTaken(t *testing.T, e *env) {
	v := e.vendor()
	a, b := e.team(e.site(v.ID)), e.team(e.site(v.ID))
	e.tick(time.Minute)
	_, err := e.Teams.UpdateTeam(e.ctx, b.ID, ward.TeamUpdate{Name: &a.Name})
	wantConflict(t, err, "name")
	got, err := e.Teams.FindTeamByID(e.ctx, b.ID)
	ok(t, err)
	diff(t, "FindTeamByID", got, b)
}

func testTeamUpdateNotFound(t *testing.T, e *env) {
	_, err := e.Teams.UpdateTeam(e.ctx, ward.NewID(ward.PrefixTeam, t0), ward.TeamUpdate{Name: ptr("X")})
	wantCode(t, err, ward.ENOTFOUND)
}
