package identity_test

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity"
)

// writeMMDB builds a GeoIP2-Country database mapping each CIDR to a
// country, as MaxMind's own files do.
func writeMMDB(tb testing.TB, cidrs map[string]string) string {
	tb.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "GeoIP2-Country",
		RecordSize:   24,
		// The documentation ranges the tests use are reserved networks.
		IncludeReservedNetworks: true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	for cidr, country := range cidrs {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			tb.Fatal(err)
		}
		rec := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(country)}}
		if err := tree.Insert(n, rec); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(tb.TempDir(), "country.mmdb")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

var demoGeo = map[string]string{
	"203.0.113.0/24":  "PH",
	"198.51.100.0/24": "IN",
	"192.0.2.0/24":    "US",
	"2001:db8::/32":   "PH",
	"100.64.0.0/10":   "EU", // not an ISO 3166-1 code: unknown
}

func TestMMDB(t *testing.T) {
	db, err := identity.OpenMMDB(writeMMDB(t, demoGeo))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	testGeo(t, db)
}

func TestGeoTable(t *testing.T) {
	table := map[string]string{}
	for k, v := range demoGeo {
		if v != "EU" {
			table[k] = v
		}
	}
	table["203.0.113.128/25"] = "IN" // more specific wins
	g, err := identity.NewGeoTable(table)
	if err != nil {
		t.Fatal(err)
	}
	testGeo(t, g)
	if c, _ := g.Country(netip.MustParseAddr("203.0.113.200")); c != "IN" {
		t.Fatalf("Country(203.0.113.200)=%q, want IN from the /25", c)
	}
	t.Run("ErrBadCIDR", func(t *testing.T) {
		if _, err := identity.NewGeoTable(map[string]string{"203.0.113.0/33": "PH"}); ward.ErrorCode(err) != ward.EINVALID {
			t.Fatalf("err=%v, want invalid", err)
		}
	})
	t.Run("ErrBadCountry", func(t *testing.T) {
		if _, err := identity.NewGeoTable(map[string]string{"203.0.113.0/24": "Philippines"}); ward.ErrorCode(err) != ward.EINVALID {
			t.Fatalf("err=%v, want invalid", err)
		}
	})
}

func testGeo(t *testing.T, g identity.Geo) {
	t.Helper()
	for _, test := range []struct {
		addr, want string
	}{
		{"203.0.113.9", "PH"},
		{"198.51.100.250", "IN"},
		{"192.0.2.1", "US"},
		{"::ffff:192.0.2.1", "US"},
		{"2001:db8::42", "PH"},
		{"100.64.0.1", ""}, // pseudo-code
		{"8.8.8.8", ""},    // not in the database
		{"127.0.0.1", ""},
	} {
		got, ok := g.Country(netip.MustParseAddr(test.addr))
		if got != test.want || ok != (test.want != "") {
			t.Errorf("Country(%s)=%q, %v, want %q", test.addr, got, ok, test.want)
		}
	}
}

func TestOpenMMDB_ErrMissing(t *testing.T) {
	if _, err := identity.OpenMMDB(filepath.Join(t.TempDir(), "none.mmdb")); err == nil {
		t.Fatal("OpenMMDB of a missing file succeeded")
	}
}

// TestLogin_MMDB logs in from outside every site with the country from a
// real MaxMind database.
func TestLogin_MMDB(t *testing.T) {
	db, err := identity.OpenMMDB(writeMMDB(t, demoGeo))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := newEnv(t)
	e.geo = db
	e.m.Close()
	e.m = e.newManager(t)
	iss := e.login(t, "joy", request(inAddr))
	if got, want := iss.Session.Country, "IN"; got != want {
		t.Fatalf("Country=%q, want %q", got, want)
	}
	if _, err := e.m.Authenticate(withToken(request("203.0.113.99"), iss.Token)); identity.Reason(err) != identity.ReasonCountryChanged {
		t.Fatalf("from PH: %v, want country_changed", err)
	}
}
