package sqlite

import (
	"context"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.VendorService = (*VendorService)(nil)

// VendorService implements ward.VendorService on SQLite.
type VendorService struct {
	db *DB
}

// NewVendorService returns a VendorService backed by db.
func NewVendorService(db *DB) *VendorService {
	return &VendorService{db: db}
}

const vendorCols = `id, name, baa_status, baa_effective, baa_expires, approved_countries, contact_email, created_at, updated_at`

func scanVendor(s scanner) (*ward.Vendor, error) {
	var v ward.Vendor
	if err := s.Scan(&v.ID, &v.Name, &v.BAAStatus, dateDest{&v.BAAEffective}, dateDest{&v.BAAExpires},
		jsonDest{&v.ApprovedCountries}, &v.ContactEmail, timeDest{&v.CreatedAt}, timeDest{&v.UpdatedAt}); err != nil {
		return nil, err
	}
	normalizeVendor(&v)
	return &v, nil
}

// normalizeVendor puts v in its stored form.
func normalizeVendor(v *ward.Vendor) {
	v.ApprovedCountries = canon.Slice(v.ApprovedCountries)
}

// FindVendorByID returns ENOTFOUND if the vendor does not exist.
func (s *VendorService) FindVendorByID(ctx context.Context, id string) (*ward.Vendor, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findVendorByID(ctx, tx, id)
}

func findVendorByID(ctx context.Context, tx *Tx, id string) (*ward.Vendor, error) {
	return findOne(ctx, tx, vendorCols, "vendors", id, scanVendor, "Vendor not found.")
}

// FindVendors returns matching vendors ordered by ID and the total count
// ignoring paging.
func (s *VendorService) FindVendors(ctx context.Context, filter ward.VendorFilter) ([]*ward.Vendor, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eq(&w, "name", filter.Name)
	eq(&w, "baa_status", filter.BAAStatus)
	return find(ctx, tx, vendorCols, "vendors", &w, "id", filter.Page, scanVendor)
}

// CreateVendor validates v, assigns its ID and timestamps and stores it.
// Returns EINVALID, or ECONFLICT if the name is taken.
func (s *VendorService) CreateVendor(ctx context.Context, v *ward.Vendor) error {
	c := *v
	normalizeVendor(&c)
	if err := c.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	c.ID = ward.NewID(ward.PrefixVendor, tx.now)
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	countries, err := jsonText(c.ApprovedCountries)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO vendors (`+vendorCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, string(c.BAAStatus), formatDate(c.BAAEffective), formatDate(c.BAAExpires),
		countries, c.ContactEmail, formatTime(c.CreatedAt), formatTime(c.UpdatedAt)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*v = c
	return nil
}

// UpdateVendor applies upd and validates the result. Returns ENOTFOUND,
// EINVALID or ECONFLICT.
func (s *VendorService) UpdateVendor(ctx context.Context, id string, upd ward.VendorUpdate) (*ward.Vendor, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	v, err := findVendorByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	upd.Apply(v)
	normalizeVendor(v)
	if err := v.Validate(); err != nil {
		return nil, err
	}
	v.UpdatedAt = tx.now
	countries, err := jsonText(v.ApprovedCountries)
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `UPDATE vendors SET name = ?, baa_status = ?, baa_effective = ?, baa_expires = ?,
		approved_countries = ?, contact_email = ?, updated_at = ? WHERE id = ?`,
		v.Name, string(v.BAAStatus), formatDate(v.BAAEffective), formatDate(v.BAAExpires),
		countries, v.ContactEmail, formatTime(v.UpdatedAt), v.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return v, nil
}
