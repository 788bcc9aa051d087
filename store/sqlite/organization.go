package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/wardhq/ward"
)

var _ ward.OrganizationService = (*OrganizationService)(nil)

// OrganizationService implements ward.OrganizationService on SQLite.
type OrganizationService struct {
	db *DB
}

// NewOrganizationService returns an OrganizationService backed by db.
func NewOrganizationService(db *DB) *OrganizationService {
	return &OrganizationService{db: db}
}

const organizationCols = `id, name, time_zone, created_at, updated_at`

func scanOrganization(s scanner) (*ward.Organization, error) {
	var o ward.Organization
	if err := s.Scan(&o.ID, &o.Name, &o.TimeZone, timeDest{&o.CreatedAt}, timeDest{&o.UpdatedAt}); err != nil {
		return nil, err
	}
	return &o, nil
}

// FindOrganization returns the organization, or ENOTFOUND if none is set.
func (s *OrganizationService) FindOrganization(ctx context.Context) (*ward.Organization, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findOrganization(ctx, tx)
}

func findOrganization(ctx context.Context, tx *Tx) (*ward.Organization, error) {
	o, err := scanOrganization(tx.QueryRowContext(ctx, `SELECT `+organizationCols+` FROM organizations`))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ward.Errorf(ward.ENOTFOUND, "The organization is not set up.")
	}
	return o, err
}

// SetOrganization creates the organization or replaces its name and time
// zone, filling o's ID and timestamps. Returns EINVALID.
func (s *OrganizationService) SetOrganization(ctx context.Context, o *ward.Organization) error {
	if err := o.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	cur, err := findOrganization(ctx, tx)
	switch ward.ErrorCode(err) {
	case "":
		cur.Name, cur.TimeZone, cur.UpdatedAt = o.Name, o.TimeZone, tx.now
		if _, err := tx.exec(ctx, `UPDATE organizations SET name = ?, time_zone = ?, updated_at = ? WHERE id = ?`,
			cur.Name, cur.TimeZone, formatTime(cur.UpdatedAt), cur.ID); err != nil {
			return err
		}
	case ward.ENOTFOUND:
		cur = &ward.Organization{
			ID: ward.NewID(ward.PrefixOrganization, tx.now), Name: o.Name, TimeZone: o.TimeZone,
			CreatedAt: tx.now, UpdatedAt: tx.now,
		}
		if _, err := tx.exec(ctx, `INSERT INTO organizations (`+organizationCols+`) VALUES (?, ?, ?, ?, ?)`,
			cur.ID, cur.Name, cur.TimeZone, formatTime(cur.CreatedAt), formatTime(cur.UpdatedAt)); err != nil {
			return err
		}
	default:
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*o = *cur
	return nil
}
