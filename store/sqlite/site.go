package sqlite

import (
	"context"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.SiteService = (*SiteService)(nil)

// SiteService implements ward.SiteService on SQLite.
type SiteService struct {
	db *DB
}

// NewSiteService returns a SiteService backed by db.
func NewSiteService(db *DB) *SiteService {
	return &SiteService{db: db}
}

const siteCols = `id, vendor_id, name, country, egress_cidrs, time_zone, created_at, updated_at`

func scanSite(s scanner) (*ward.Site, error) {
	var v ward.Site
	if err := s.Scan(&v.ID, &v.VendorID, &v.Name, &v.Country, jsonDest{&v.EgressCIDRs}, &v.TimeZone,
		timeDest{&v.CreatedAt}, timeDest{&v.UpdatedAt}); err != nil {
		return nil, err
	}
	normalizeSite(&v)
	return &v, nil
}

func normalizeSite(s *ward.Site) {
	s.EgressCIDRs = canon.Slice(s.EgressCIDRs)
}

// FindSiteByID returns ENOTFOUND if the site does not exist.
func (s *SiteService) FindSiteByID(ctx context.Context, id string) (*ward.Site, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findSiteByID(ctx, tx, id)
}

func findSiteByID(ctx context.Context, tx *Tx, id string) (*ward.Site, error) {
	return findOne(ctx, tx, siteCols, "sites", id, scanSite, "Site not found.")
}

// FindSites returns matching sites ordered by ID and the total count.
func (s *SiteService) FindSites(ctx context.Context, filter ward.SiteFilter) ([]*ward.Site, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eq(&w, "vendor_id", filter.VendorID)
	eq(&w, "name", filter.Name)
	eq(&w, "country", filter.Country)
	return find(ctx, tx, siteCols, "sites", &w, "id", filter.Page, scanSite)
}

// CreateSite returns EINVALID (also when the vendor does not exist, naming
// vendor_id) or ECONFLICT if the vendor has a site of that name.
func (s *SiteService) CreateSite(ctx context.Context, site *ward.Site) error {
	c := *site
	normalizeSite(&c)
	if err := c.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	if err := tx.checkRef(ctx, "vendor_id", "vendors", "Vendor", c.VendorID); err != nil {
		return err
	}
	c.ID = ward.NewID(ward.PrefixSite, tx.now)
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	cidrs, err := jsonText(c.EgressCIDRs)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO sites (`+siteCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.VendorID, c.Name, c.Country, cidrs, c.TimeZone, formatTime(c.CreatedAt), formatTime(c.UpdatedAt)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*site = c
	return nil
}

// UpdateSite returns ENOTFOUND, EINVALID or ECONFLICT.
func (s *SiteService) UpdateSite(ctx context.Context, id string, upd ward.SiteUpdate) (*ward.Site, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	site, err := findSiteByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	upd.Apply(site)
	normalizeSite(site)
	if err := site.Validate(); err != nil {
		return nil, err
	}
	site.UpdatedAt = tx.now
	cidrs, err := jsonText(site.EgressCIDRs)
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `UPDATE sites SET name = ?, country = ?, egress_cidrs = ?, time_zone = ?, updated_at = ? WHERE id = ?`,
		site.Name, site.Country, cidrs, site.TimeZone, formatTime(site.UpdatedAt), site.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return site, nil
}
