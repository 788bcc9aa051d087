package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.SiteService = (*SiteService)(nil)

// SiteService stores vendors' delivery sites in PostgreSQL.
type SiteService struct {
	db *DB
}

// NewSiteService returns a SiteService backed by db.
func NewSiteService(db *DB) *SiteService {
	return &SiteService{db: db}
}

// FindSiteByID returns ENOTFOUND if the site does not exist.
func (s *SiteService) FindSiteByID(ctx context.Context, id string) (*ward.Site, error) {
	var site *ward.Site
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		site, err = findSiteByID(ctx, tx, id, false)
		return err
	})
	return site, err
}

// FindSites returns matching sites ordered by ID and the total count
// ignoring paging. Returns EINVALID for a bad page.
func (s *SiteService) FindSites(ctx context.Context, filter ward.SiteFilter) ([]*ward.Site, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eq(&q, "vendor_id", filter.VendorID)
	eq(&q, "name", filter.Name)
	eq(&q, "country", filter.Country)
	var list []*ward.Site
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "sites", siteColumns, &q, "id", filter.Page, scanSite)
		return err
	})
	return list, total, err
}

// CreateSite returns EINVALID (also when the vendor does not exist, naming
// vendor_id) or ECONFLICT if the vendor has a site of that name.
func (s *SiteService) CreateSite(ctx context.Context, site *ward.Site) error {
	if err := site.Validate(); err != nil {
		return err
	}
	c := *site
	c.EgressCIDRs = canon.Slice(c.EgressCIDRs)
	err := s.db.update(ctx, func(tx *Tx) error {
		if ok, err := tx.exists(ctx, "vendors", c.VendorID); err != nil {
			return err
		} else if !ok {
			return ward.FieldErrorf("vendor_id", "Vendor %s does not exist.", c.VendorID)
		}
		c.ID = ward.NewID(ward.PrefixSite, tx.now)
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO sites (id, vendor_id, name, country, egress_cidrs, time_zone, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			c.ID, c.VendorID, c.Name, c.Country, c.EgressCIDRs, c.TimeZone, c.CreatedAt, c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert site: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*site = c
	return nil
}

// UpdateSite returns ENOTFOUND, EINVALID or ECONFLICT.
func (s *SiteService) UpdateSite(ctx context.Context, id string, upd ward.SiteUpdate) (*ward.Site, error) {
	var site *ward.Site
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		if site, err = findSiteByID(ctx, tx, id, true); err != nil {
			return err
		}
		upd.Apply(site)
		if err := site.Validate(); err != nil {
			return err
		}
		site.EgressCIDRs = canon.Slice(site.EgressCIDRs)
		site.UpdatedAt = tx.now
		_, err = tx.Exec(ctx, `
			UPDATE sites SET name = $2, country = $3, egress_cidrs = $4, time_zone = $5, updated_at = $6
			WHERE id = $1`,
			site.ID, site.Name, site.Country, site.EgressCIDRs, site.TimeZone, site.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update site: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return site, nil
}

const siteColumns = `id, vendor_id, name, country, egress_cidrs, time_zone, created_at, updated_at`

func scanSite(row pgx.Row) (*ward.Site, error) {
	var s ward.Site
	if err := row.Scan(&s.ID, &s.VendorID, &s.Name, &s.Country, &s.EgressCIDRs, &s.TimeZone, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return nil, err
	}
	s.EgressCIDRs = canon.Slice(s.EgressCIDRs)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return &s, nil
}

// findSiteByID returns the site, locked for update when lock is set, or
// ENOTFOUND.
func findSiteByID(ctx context.Context, tx *Tx, id string, lock bool) (*ward.Site, error) {
	s, err := scanSite(tx.QueryRow(ctx, `SELECT `+siteColumns+` FROM sites WHERE id = $1`+forUpdate(lock), id))
	if notFound(err) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Site not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find site: %w", err)
	}
	return s, nil
}
