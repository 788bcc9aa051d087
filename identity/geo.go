package identity

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/oschwald/maxminddb-golang/v2"
	"github.com/wardhq/ward"
)

// Geo maps an address to the ISO 3166-1 alpha-2 code of the country it is
// in. It is consulted only for addresses outside every site's egress CIDRs.
type Geo interface {
	// Country returns the address's country, or false when unknown.
	Country(addr netip.Addr) (string, bool)
}

// MMDB is a Geo backed by a MaxMind DB file in the GeoIP2 or GeoLite2
// Country (or City) format. It is safe for concurrent use.
type MMDB struct {
	r *maxminddb.Reader
}

var _ Geo = (*MMDB)(nil)

// OpenMMDB opens a MaxMind DB file. Close it when done.
func OpenMMDB(path string) (*MMDB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open geo database: %w", err)
	}
	return &MMDB{r: r}, nil
}

// Country returns the record's country.iso_code. Addresses without a
// record, or with a code that is not an assigned ISO 3166-1 code (the
// "EU" and "AP" pseudo-codes of old databases), are unknown.
func (m *MMDB) Country(addr netip.Addr) (string, bool) {
	res := m.r.Lookup(addr.Unmap())
	if !res.Found() {
		return "", false
	}
	var iso string
	if err := res.DecodePath(&iso, "country", "iso_code"); err != nil || !ward.ValidCountry(iso) {
		return "", false
	}
	return iso, true
}

// Close releases the file.
func (m *MMDB) Close() error { return m.r.Close() }

// GeoTable is a Geo from a fixed table of CIDRs, for small deployments and
// the demo. The most specific matching prefix wins.
type GeoTable struct {
	entries []geoEntry // most specific first
}

type geoEntry struct {
	prefix  netip.Prefix
	country string
}

var _ Geo = (*GeoTable)(nil)

// NewGeoTable returns a table mapping each CIDR to its country. It returns
// an EINVALID error naming the first bad CIDR or country.
func NewGeoTable(cidrs map[string]string) (*GeoTable, error) {
	t := &GeoTable{}
	keys := make([]string, 0, len(cidrs))
	for k := range cidrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, err := netip.ParsePrefix(k)
		if err != nil {
			return nil, ward.FieldErrorf(k, "%q is not a CIDR such as 203.0.113.0/24.", k)
		}
		c := cidrs[k]
		if !ward.ValidCountry(c) {
			return nil, ward.FieldErrorf(k, "%q is not an ISO 3166-1 alpha-2 country code such as PH.", c)
		}
		t.entries = append(t.entries, geoEntry{prefix: p.Masked(), country: c})
	}
	sort.SliceStable(t.entries, func(i, j int) bool { return t.entries[i].prefix.Bits() > t.entries[j].prefix.Bits() })
	return t, nil
}

// Country returns the country of the most specific prefix containing addr.
func (t *GeoTable) Country(addr netip.Addr) (string, bool) {
	addr = addr.Unmap()
	for _, e := range t.entries {
		if e.prefix.Contains(addr) {
			return e.country, true
		}
	}
	return "", false
}
