package ward

import (
	"context"
	"net/netip"
	"time"
)

// Site is a vendor's physical delivery center. Its egress CIDRs let ward
// tell, from a request's source address, which site it came from.
type Site struct {
	ID          string    `json:"id"`
	VendorID    string    `json:"vendor_id"`
	Name        string    `json:"name"` // unique within the vendor
	Country     string    `json:"country"`
	EgressCIDRs []string  `json:"egress_cidrs"`
	TimeZone    string    `json:"time_zone"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Validate returns an EINVALID error naming the first invalid field.
func (s *Site) Validate() error {
	if s.VendorID == "" {
		return FieldErrorf("vendor_id", "vendor_id is required.")
	}
	if err := validateName("name", s.Name, 200); err != nil {
		return err
	}
	if !ValidCountry(s.Country) {
		return FieldErrorf("country", "%q is not an ISO 3166-1 alpha-2 country code such as US or PH.", s.Country)
	}
	if err := validateCIDRs("egress_cidrs", s.EgressCIDRs); err != nil {
		return err
	}
	return validateTimeZone("time_zone", s.TimeZone)
}

// Contains reports whether addr is inside one of the site's egress CIDRs.
func (s *Site) Contains(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, c := range s.EgressCIDRs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}

// SiteFilter selects sites. Zero fields match all.
type SiteFilter struct {
	ID       *string
	VendorID *string
	Name     *string
	Country  *string
	Page
}

// SiteUpdate changes a site; nil fields are left as they are.
type SiteUpdate struct {
	Name        *string   `json:"name"`
	Country     *string   `json:"country"`
	EgressCIDRs *[]string `json:"egress_cidrs"`
	TimeZone    *string   `json:"time_zone"`
}

// Apply applies upd to s; the caller validates s afterwards.
func (upd SiteUpdate) Apply(s *Site) {
	set(&s.Name, upd.Name)
	set(&s.Country, upd.Country)
	set(&s.EgressCIDRs, upd.EgressCIDRs)
	set(&s.TimeZone, upd.TimeZone)
}

// SiteService stores sites.
type SiteService interface {
	// FindSiteByID returns ENOTFOUND if the site does not exist.
	FindSiteByID(ctx context.Context, id string) (*Site, error)
	// FindSites returns matching sites ordered by ID and the total count.
	FindSites(ctx context.Context, filter SiteFilter) ([]*Site, int, error)
	// CreateSite returns EINVALID (also when the vendor does not exist,
	// naming vendor_id) or ECONFLICT if the vendor has a site of that name.
	CreateSite(ctx context.Context, s *Site) error
	// UpdateSite returns ENOTFOUND, EINVALID or ECONFLICT.
	UpdateSite(ctx context.Context, id string, upd SiteUpdate) (*Site, error)
}
