package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.VendorService = (*VendorService)(nil)

// VendorService stores vendors in PostgreSQL.
type VendorService struct {
	db *DB
}

// NewVendorService returns a VendorService backed by db.
func NewVendorService(db *DB) *VendorService {
	return &VendorService{db: db}
}

// FindVendorByID returns ENOTFOUND if the vendor does not exist.
func (s *VendorService) FindVendorByID(ctx context.Context, id string) (*ward.Vendor, error) {
	var v *ward.Vendor
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		v, err = findVendorByID(ctx, tx, id, false)
		return err
	})
	return v, err
}

// FindVendors returns matching vendors ordered by ID and the total count
// ignoring paging. Returns EINVALID for a bad page.
func (s *VendorService) FindVendors(ctx context.Context, filter ward.VendorFilter) ([]*ward.Vendor, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eq(&q, "name", filter.Name)
	eq(&q, "baa_status", filter.BAAStatus)
	var list []*ward.Vendor
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "vendors", vendorColumns, &q, "id", filter.Page, scanVendor)
		return err
	})
	return list, total, err
}

// CreateVendor validates v, assigns its ID and timestamps and stores it.
// Returns EINVALID, or ECONFLICT if the name is taken.
func (s *VendorService) CreateVendor(ctx context.Context, v *ward.Vendor) error {
	if err := v.Validate(); err != nil {
		return err
	}
	c := *v
	c.ApprovedCountries = canon.Slice(c.ApprovedCountries)
	err := s.db.update(ctx, func(tx *Tx) error {
		c.ID = ward.NewID(ward.PrefixVendor, tx.now)
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO vendors (id, name, baa_status, baa_effective, baa_expires, approved_countries, contact_email, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			c.ID, c.Name, c.BAAStatus, dateArg(c.BAAEffective), dateArg(c.BAAExpires), c.ApprovedCountries, c.ContactEmail, c.CreatedAt, c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert vendor: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*v = c
	return nil
}

// UpdateVendor applies upd and validates the result. Returns ENOTFOUND,
// EINVALID or ECONFLICT.
func (s *VendorService) UpdateVendor(ctx context.Context, id string, upd ward.VendorUpdate) (*ward.Vendor, error) {
	var v *ward.Vendor
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		if v, err = findVendorByID(ctx, tx, id, true); err != nil {
			return err
		}
		upd.Apply(v)
		if err := v.Validate(); err != nil {
			return err
		}
		v.ApprovedCountries = canon.Slice(v.ApprovedCountries)
		v.UpdatedAt = tx.now
		_, err = tx.Exec(ctx, `
			UPDATE vendors SET name = $2, baa_status = $3, baa_effective = $4, baa_expires = $5,
				approved_countries = $6, contact_email = $7, updated_at = $8
			WHERE id = $1`,
			v.ID, v.Name, v.BAAStatus, dateArg(v.BAAEffective), dateArg(v.BAAExpires), v.ApprovedCountries, v.ContactEmail, v.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update vendor: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

const vendorColumns = `id, name, baa_status, baa_effective, baa_expires, approved_countries, contact_email, created_at, updated_at`

func scanVendor(row pgx.Row) (*ward.Vendor, error) {
	var v ward.Vendor
	var effective, expires *time.Time
	if err := row.Scan(&v.ID, &v.Name, &v.BAAStatus, &effective, &expires, &v.ApprovedCountries, &v.ContactEmail, &v.CreatedAt, &v.UpdatedAt); err != nil {
		return nil, err
	}
	v.BAAEffective, v.BAAExpires = dateOf(effective), dateOf(expires)
	v.ApprovedCountries = canon.Slice(v.ApprovedCountries)
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return &v, nil
}

// findVendorByID returns the vendor, locked for update when lock is set, or
// ENOTFOUND.
func findVendorByID(ctx context.Context, tx *Tx, id string, lock bool) (*ward.Vendor, error) {
	v, err := scanVendor(tx.QueryRow(ctx, `SELECT `+vendorColumns+` FROM vendors WHERE id = $1`+forUpdate(lock), id))
	if notFound(err) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Vendor not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find vendor: %w", err)
	}
	return v, nil
}
