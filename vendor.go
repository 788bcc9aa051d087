package ward

import (
	"context"
	"time"
)

// BAAStatus is the state of a vendor's Business Associate Agreement.
type BAAStatus string

// BAA statuses. Only an active BAA within its dates lets a vendor's staff
// reach PHI.
const (
	BAAPending    BAAStatus = "pending"    // negotiated, not yet signed
	BAAActive     BAAStatus = "active"     // signed and in force between its dates
	BAASuspended  BAAStatus = "suspended"  // paused by the covered entity
	BAATerminated BAAStatus = "terminated" // ended; kept for the record
)

// Valid reports whether s is a known BAA status.
func (s BAAStatus) Valid() bool {
	switch s {
	case BAAPending, BAAActive, BAASuspended, BAATerminated:
		return true
	}
	return false
}

// Vendor is a business associate whose staff work the organization's tasks.
type Vendor struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"` // legal name; unique
	BAAStatus    BAAStatus `json:"baa_status"`
	BAAEffective Date      `json:"baa_effective"`
	BAAExpires   Date      `json:"baa_expires"` // last day the BAA is in force
	// ApprovedCountries are the ISO 3166-1 alpha-2 codes from which the
	// vendor's staff may reach PHI.
	ApprovedCountries []string  `json:"approved_countries"`
	ContactEmail      string    `json:"contact_email,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Validate returns an EINVALID error naming the first invalid field.
func (v *Vendor) Validate() error {
	if err := validateName("name", v.Name, 200); err != nil {
		return err
	}
	if !v.BAAStatus.Valid() {
		return FieldErrorf("baa_status", "baa_status must be one of pending, active, suspended, terminated.")
	}
	if v.BAAStatus == BAAActive && (v.BAAEffective.IsZero() || v.BAAExpires.IsZero()) {
		return FieldErrorf("baa_expires", "An active BAA needs baa_effective and baa_expires dates.")
	}
	if !v.BAAEffective.IsZero() && !v.BAAExpires.IsZero() && v.BAAExpires.Before(v.BAAEffective) {
		return FieldErrorf("baa_expires", "baa_expires must not be before baa_effective.")
	}
	if err := validateCountries("approved_countries", v.ApprovedCountries); err != nil {
		return err
	}
	if len(v.ContactEmail) > 254 {
		return FieldErrorf("contact_email", "contact_email is too long.")
	}
	return nil
}

// BAAInForce reports whether the vendor's BAA covers the instant t, read in
// UTC: status active, and t's date between the effective and expiry dates
// inclusive.
func (v *Vendor) BAAInForce(t time.Time) bool {
	if v.BAAStatus != BAAActive || v.BAAEffective.IsZero() || v.BAAExpires.IsZero() {
		return false
	}
	d := DateOf(t.UTC())
	return !d.Before(v.BAAEffective) && !v.BAAExpires.Before(d)
}

// ApprovesCountry reports whether the vendor's staff may work from country.
func (v *Vendor) ApprovesCountry(country string) bool {
	for _, c := range v.ApprovedCountries {
		if c == country {
			return true
		}
	}
	return false
}

// VendorFilter selects vendors. Zero fields match all.
type VendorFilter struct {
	ID        *string
	Name      *string
	BAAStatus *BAAStatus
	Page
}

// VendorUpdate changes a vendor; nil fields are left as they are.
type VendorUpdate struct {
	Name              *string    `json:"name"`
	BAAStatus         *BAAStatus `json:"baa_status"`
	BAAEffective      *Date      `json:"baa_effective"`
	BAAExpires        *Date      `json:"baa_expires"`
	ApprovedCountries *[]string  `json:"approved_countries"`
	ContactEmail      *string    `json:"contact_email"`
}

// Apply applies upd to v; the caller validates v afterwards.
func (upd VendorUpdate) Apply(v *Vendor) {
	set(&v.Name, upd.Name)
	set(&v.BAAStatus, upd.BAAStatus)
	set(&v.BAAEffective, upd.BAAEffective)
	set(&v.BAAExpires, upd.BAAExpires)
	set(&v.ApprovedCountries, upd.ApprovedCountries)
	set(&v.ContactEmail, upd.ContactEmail)
}

// VendorService stores vendors.
type VendorService interface {
	// FindVendorByID returns ENOTFOUND if the vendor does not exist.
	FindVendorByID(ctx context.Context, id string) (*Vendor, error)
	// FindVendors returns matching vendors ordered by ID and the total count
	// ignoring paging.
	FindVendors(ctx context.Context, filter VendorFilter) ([]*Vendor, int, error)
	// CreateVendor validates v, assigns its ID and timestamps and stores it.
	// Returns EINVALID, or ECONFLICT if the name is taken.
	CreateVendor(ctx context.Context, v *Vendor) error
	// UpdateVendor applies upd and validates the result. Returns ENOTFOUND,
	// EINVALID or ECONFLICT.
	UpdateVendor(ctx context.Context, id string, upd VendorUpdate) (*Vendor, error)
}

// set copies *src to *dst when src is not nil; it is the one rule every
// Update type follows.
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
