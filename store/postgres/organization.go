package postgres

import (
	"context"
	"fmt"

	"github.com/wardhq/ward"
)

var _ ward.OrganizationService = (*OrganizationService)(nil)

// OrganizationService stores the deployment's organization in PostgreSQL.
type OrganizationService struct {
	db *DB
}

// NewOrganizationService returns an OrganizationService backed by db.
func NewOrganizationService(db *DB) *OrganizationService {
	return &OrganizationService{db: db}
}

// FindOrganization returns the organization, or ENOTFOUND if none is set.
func (s *OrganizationService) FindOrganization(ctx context.Context) (*ward.Organization, error) {
	var o ward.Organization
	err := s.db.view(ctx, func(tx *Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, name, time_zone, created_at, updated_at FROM organizations`).
			Scan(&o.ID, &o.Name, &o.TimeZone, &o.CreatedAt, &o.UpdatedAt)
		if notFound(err) {
			return ward.Errorf(ward.ENOTFOUND, "The organization is not set up.")
		} else if err != nil {
			return fmt.Errorf("find organization: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return &o, nil
}

// SetOrganization creates the organization or replaces its name and time
// zone, filling o's ID and timestamps. Returns EINVALID.
func (s *OrganizationService) SetOrganization(ctx context.Context, o *ward.Organization) error {
	if err := o.Validate(); err != nil {
		return err
	}
	c := *o
	err := s.db.update(ctx, func(tx *Tx) error {
		// One statement, so replicas setting it at once cannot both insert.
		err := tx.QueryRow(ctx, `
			INSERT INTO organizations (id, name, time_zone, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (singleton) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone, updated_at = excluded.updated_at
			RETURNING id, created_at, updated_at`,
			ward.NewID(ward.PrefixOrganization, tx.now), c.Name, c.TimeZone, tx.now,
		).Scan(&c.ID, &c.CreatedAt, &c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("set organization: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	*o = c
	return nil
}
