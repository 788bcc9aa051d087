package storetest

import (
	"testing"
	"time"

	"github.com/wardhq/ward"
)

var organizationTests = []test{
	{"Organization/Find/ErrNotFound", testOrganizationNotFound},
	{"Organization/Set/Create", testOrganizationCreate},
	{"Organization/Set/Update", testOrganizationUpdate},
	{"Organization/Set/ErrInvalid", testOrganizationInvalid},
}

func testOrganizationNotFound(t *testing.T, e *env) {
	_, err := e.Organizations.FindOrganization(e.ctx)
	wantCode(t, err, ward.ENOTFOUND)
}

func testOrganizationCreate(t *testing.T, e *env) {
	o := &ward.Organization{Name: "Mercy Health", TimeZone: "America/New_York"}
	ok(t, e.Organizations.SetOrganization(e.ctx, o))
	wantID(t, o.ID, ward.PrefixOrganization)
	wantTime(t, "CreatedAt", o.CreatedAt, us(t0))
	wantTime(t, "UpdatedAt", o.UpdatedAt, us(t0))

	got, err := e.Organizations.FindOrganization(e.ctx)
	ok(t, err)
	diff(t, "FindOrganization", got, o)
	wantTime(t, "CreatedAt", got.CreatedAt, us(t0))
}

func testOrganizationUpdate(t *testing.T, e *env) {
	first := &ward.Organization{Name: "Mercy Health", TimeZone: "America/New_York"}
	ok(t, e.Organizations.SetOrganization(e.ctx, first))

	t1 := e.tick(time.Hour)
	second := &ward.Organization{Name: "Mercy Health System", TimeZone: "America/Chicago"}
	ok(t, e.Organizations.SetOrganization(e.ctx, second))
	want := &ward.Organization{
		ID:        first.ID,
		Name:      "Mercy Health System",
		TimeZone:  "America/Chicago",
		CreatedAt: us(t0),
		UpdatedAt: t1,
	}
	diff(t, "SetOrganization argument", second, want)

	got, err := e.Organizations.FindOrganization(e.ctx)
	ok(t, err)
	diff(t, "FindOrganization", got, want)
}

func testOrganizationInvalid(t *testing.T, e *env) {
	for _, tt := range []struct {
		name  string
		org   ward.Organization
		field string
	}{
		{"ErrNameRequired", ward.Organization{TimeZone: "UTC"}, "name"},
		{"ErrTimeZoneUnknown", ward.Organization{Name: "Mercy", TimeZone: "Mars/Olympus"}, "time_zone"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantField(t, e.Organizations.SetOrganization(e.ctx, &tt.org), tt.field)
			_, err := e.Organizations.FindOrganization(e.ctx)
			wantCode(t, err, ward.ENOTFOUND)
		})
	}

	t.Run("ExistingUnchanged", func(t *testing.T) {
		o := &ward.Organization{Name: "Mercy Health", TimeZone: "America/New_York"}
		ok(t, e.Organizations.SetOrganization(e.ctx, o))
		e.tick(time.Minute)
		wantField(t, e.Organizations.SetOrganization(e.ctx, &ward.Organization{Name: "", TimeZone: "UTC"}), "name")
		got, err := e.Organizations.FindOrganization(e.ctx)
		ok(t, err)
		diff(t, "FindOrganization", got, o)
	})
}
