package storetest

import (
	"testing"
	"time"

	"github.com/wardhq/ward"
)

var vendorTests = []test{
	{"Vendor/Create/OK", testVendorCreate},
	{"Vendor/Create/NilSlicesEmpty", testVendorCreateNilSlices},
	{"Vendor/Create/ZeroDates", testVendorCreateZeroDates},
	{"Vendor/Create/ErrInvalid", testVendorCreateInvalid},
	{"Vendor/Create/ErrNameTaken", testVendorCreateNameTaken},
	{"Vendor/Find/Filter", testVendorFilter},
	{"Vendor/Update/OK", testVendorUpdate},
	{"Vendor/Update/NilUnchanged", testVendorUpdateNil},
	{"Vendor/Update/ErrInvalid", testVendorUpdateInvalid},
	{"Vendor/Update/ErrNameTaken", testVendorUpdateNameTaken},
	{"Vendor/Update/ErrNotFound", testVendorUpdateNotFound},
}

func testVendorCreate(t *testing.T, e *env) {
	v := &ward.Vendor{
		Name:              "Acme Coding Services, Inc.",
		BAAStatus:         ward.BAAActive,
		BAAEffective:      ward.Date{Year: 2025, Month: time.January, Day: 1},
		BAAExpires:        ward.Date{Year: 2027, Month: time.June, Day: 30},
		ApprovedCountries: []string{"PH", "IN", "US"},
		ContactEmail:      "baa@acme.example",
	}
	want := *v
	ok(t, e.Vendors.CreateVendor(e.ctx, v))
	wantID(t, v.ID, ward.PrefixVendor)
	want.ID, want.CreatedAt, want.UpdatedAt = v.ID, us(t0), us(t0)
	diff(t, "CreateVendor argument", v, &want)

	got, err := e.Vendors.FindVendorByID(e.ctx, v.ID)
	ok(t, err)
	diff(t, "FindVendorByID", got, &want)
	wantTime(t, "CreatedAt", got.CreatedAt, us(t0))
	wantTime(t, "UpdatedAt", got.UpdatedAt, us(t0))
}

func testVendorCreateNilSlices(t *testing.T, e *env) {
	v := e.vendor(func(v *ward.Vendor) { v.ApprovedCountries = nil })
	if v.ApprovedCountries == nil {
		t.Fatal("CreateVendor left ApprovedCountries nil, want empty")
	}
	got, err := e.Vendors.FindVendorByID(e.ctx, v.ID)
	ok(t, err)
	if got.ApprovedCountries == nil || len(got.ApprovedCountries) != 0 {
		t.Fatalf("ApprovedCountries=%#v, want empty non-nil", got.ApprovedCountries)
	}
	vs, _, err := e.Vendors.FindVendors(e.ctx, ward.VendorFilter{})
	ok(t, err)
	if vs[0].ApprovedCountries == nil {
		t.Fatal("FindVendors ApprovedCountries=nil, want empty")
	}
}

func testVendorCreateZeroDates(t *testing.T, e *env) {
	v := e.vendor(func(v *ward.Vendor) {
		v.BAAStatus = ward.BAAPending
		v.BAAEffective = ward.Date{}
		v.BAAExpires = ward.Date{}
		v.ContactEmail = ""
	})
	got, err := e.Vendors.FindVendorByID(e.ctx, v.ID)
	ok(t, err)
	diff(t, "FindVendorByID", got, v)
	if !got.BAAEffective.IsZero() || !got.BAAExpires.IsZero() {
		t.Fatalf("BAAEffective=%v BAAExpires=%v, want zero", got.BAAEffective, got.BAAExpires)
	}
}

func testVendorCreateInvalid(t *testing.T, e *env) {
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Vendor)
		field string
	}{
		{"ErrNameRequired", func(v *ward.Vendor) { v.Name = " " }, "name"},
		{"ErrBAAStatus", func(v *ward.Vendor) { v.BAAStatus = "signed" }, "baa_status"},
		{"ErrBAAExpiresBeforeEffective", func(v *ward.Vendor) { v.BAAExpires = ward.Date{Year: 2024, Month: 1, Day: 1} }, "baa_expires"},
		{"ErrCountry", func(v *ward.Vendor) { v.ApprovedCountries = []string{"PH", "XX"} }, "approved_countries[1]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := &ward.Vendor{
				Name: e.uniq("Vendor"), BAAStatus: ward.BAAActive,
				BAAEffective: ward.Date{Year: 2025, Month: 1, Day: 1}, BAAExpires: ward.Date{Year: 2026, Month: 1, Day: 1},
			}
			tt.mod(v)
			wantField(t, e.Vendors.CreateVendor(e.ctx, v), tt.field)
		})
	}
	_, n, err := e.Vendors.FindVendors(e.ctx, ward.VendorFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d after failed creates, want 0", n)
	}
}

func testVendorCreateNameTaken(t *testing.T, e *env) {
	v := e.vendor()
	err := e.Vendors.CreateVendor(e.ctx, &ward.Vendor{Name: v.Name, BAAStatus: ward.BAAPending})
	wantConflict(t, err, "name")
	_, n, err := e.Vendors.FindVendors(e.ctx, ward.VendorFilter{})
	ok(t, err)
	if n != 1 {
		t.Fatalf("total=%d, want 1", n)
	}
}

func testVendorFilter(t *testing.T, e *env) {
	a := e.vendor()
	b := e.vendor(func(v *ward.Vendor) { v.BAAStatus = ward.BAASuspended })
	c := e.vendor(func(v *ward.Vendor) { v.BAAStatus = ward.BAASuspended })
	for _, tt := range []struct {
		name   string
		filter ward.VendorFilter
		want   []string
	}{
		{"All", ward.VendorFilter{}, sorted(a.ID, b.ID, c.ID)},
		{"ID", ward.VendorFilter{ID: &b.ID}, []string{b.ID}},
		{"IDUnknown", ward.VendorFilter{ID: ptr(ward.NewID(ward.PrefixVendor, t0))}, nil},
		{"Name", ward.VendorFilter{Name: &c.Name}, []string{c.ID}},
		{"BAAStatus", ward.VendorFilter{BAAStatus: ptr(ward.BAASuspended)}, sorted(b.ID, c.ID)},
		{"Combined", ward.VendorFilter{BAAStatus: ptr(ward.BAASuspended), Name: &a.Name}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vs, n, err := e.Vendors.FindVendors(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(vs, func(v *ward.Vendor) string { return v.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
	vs, _, err := e.Vendors.FindVendors(e.ctx, ward.VendorFilter{ID: &a.ID})
	ok(t, err)
	diff(t, "FindVendors", vs[0], a)
}

func testVendorUpdate(t *testing.T, e *env) {
	v := e.vendor()
	t1 := e.tick(time.Hour)
	upd := ward.VendorUpdate{
		Name:              ptr("Acme Renamed"),
		BAAStatus:         ptr(ward.BAASuspended),
		BAAEffective:      ptr(ward.Date{Year: 2025, Month: 2, Day: 1}),
		BAAExpires:        ptr(ward.Date{Year: 2028, Month: 2, Day: 29}),
		ApprovedCountries: ptr([]string{"US"}),
		ContactEmail:      ptr("legal@acme.example"),
	}
	got, err := e.Vendors.UpdateVendor(e.ctx, v.ID, upd)
	ok(t, err)
	want := &ward.Vendor{
		ID: v.ID, Name: "Acme Renamed", BAAStatus: ward.BAASuspended,
		BAAEffective: ward.Date{Year: 2025, Month: 2, Day: 1}, BAAExpires: ward.Date{Year: 2028, Month: 2, Day: 29},
		ApprovedCountries: []string{"US"}, ContactEmail: "legal@acme.example",
		CreatedAt: us(t0), UpdatedAt: t1,
	}
	diff(t, "UpdateVendor", got, want)
	found, err := e.Vendors.FindVendorByID(e.ctx, v.ID)
	ok(t, err)
	diff(t, "FindVendorByID", found, want)

	t.Run("SameName", func(t *testing.T) {
		_, err := e.Vendors.UpdateVendor(e.ctx, v.ID, ward.VendorUpdate{Name: ptr("Acme Renamed")})
		ok(t, err)
	})
	t.Run("EmptyCountries", func(t *testing.T) {
		got, err := e.Vendors.UpdateVendor(e.ctx, v.ID, ward.VendorUpdate{ApprovedCountries: ptr([]string(nil))})
		ok(t, err)
		if got.ApprovedCountries == nil || len(got.ApprovedCountries) != 0 {
			t.Fatalf("ApprovedCountries=%#v, want empty non-nil", got.ApprovedCountries)
		}
	})
}

func testVendorUpdateNil(t *testing.T, e *env) {
	v := e.vendor()
	t1 := e.tick(time.Minute)
	got, err := e.Vendors.UpdateVendor(e.ctx, v.ID, ward.VendorUpdate{ContactEmail: ptr("")})
	ok(t, err)
	want := *v
	want.ContactEmail, want.UpdatedAt = "", t1
	diff(t, "UpdateVendor", got, &want)
}

func testVendorUpdateInvalid(t *testing.T, e *env) {
	v := e.vendor()
	e.tick(time.Minute)
	for _, tt := range []struct {
		name  string
		upd   ward.VendorUpdate
		field string
	}{
		{"ErrActiveWithoutDates", ward.VendorUpdate{BAAExpires: &ward.Date{}}, "baa_expires"},
		{"ErrNameEmpty", ward.VendorUpdate{Name: ptr(""), ContactEmail: ptr("x@y.example")}, "name"},
		{"ErrCountry", ward.VendorUpdate{ApprovedCountries: ptr([]string{"ph"})}, "approved_countries[0]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Vendors.UpdateVendor(e.ctx, v.ID, tt.upd)
			wantField(t, err, tt.field)
			got, err := e.Vendors.FindVendorByID(e.ctx, v.ID)
			ok(t, err)
			diff(t, "FindVendorByID", got, v)
		})
	}
}

func testVendorUpdateNameTaken(t *testing.T, e *env) {
	a, b := e.vendor(), e.vendor()
	e.tick(time.Minute)
	_, err := e.Vendors.UpdateVendor(e.ctx, b.ID, ward.VendorUpdate{Name: &a.Name, ContactEmail: ptr("new@b.example")})
	wantConflict(t, err, "name")
	got, err := e.Vendors.FindVendorByID(e.ctx, b.ID)
	ok(t, err)
	diff(t, "FindVendorByID", got, b)
}

func testVendorUpdateNotFound(t *testing.T, e *env) {
	e.vendor()
	_, err := e.Vendors.UpdateVendor(e.ctx, ward.NewID(ward.PrefixVendor, t0), ward.VendorUpdate{Name: ptr("X")})
	wantCode(t, err, ward.ENOTFOUND)
}
