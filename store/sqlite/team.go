package sqlite

import (
	"context"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.TeamService = (*TeamService)(nil)

// TeamService implements ward.TeamService on SQLite.
type TeamService struct {
	db *DB
}

// NewTeamService returns a TeamService backed by db.
func NewTeamService(db *DB) *TeamService {
	return &TeamService{db: db}
}

const teamCols = `id, vendor_id, site_id, name, functions, clearances, created_at, updated_at`

func scanTeam(s scanner) (*ward.Team, error) {
	var t ward.Team
	if err := s.Scan(&t.ID, &t.VendorID, &t.SiteID, &t.Name, jsonDest{&t.Functions}, jsonDest{&t.Clearances},
		timeDest{&t.CreatedAt}, timeDest{&t.UpdatedAt}); err != nil {
		return nil, err
	}
	normalizeTeam(&t)
	return &t, nil
}

func normalizeTeam(t *ward.Team) {
	t.Functions = canon.Slice(t.Functions)
	t.Clearances = canon.Slice(t.Clearances)
}

// FindTeamByID returns ENOTFOUND if the team does not exist.
func (s *TeamService) FindTeamByID(ctx context.Context, id string) (*ward.Team, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findTeamByID(ctx, tx, id)
}

func findTeamByID(ctx context.Context, tx *Tx, id string) (*ward.Team, error) {
	return findOne(ctx, tx, teamCols, "teams", id, scanTeam, "Team not found.")
}

// FindTeams returns matching teams ordered by ID and the total count.
func (s *TeamService) FindTeams(ctx context.Context, filter ward.TeamFilter) ([]*ward.Team, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eq(&w, "vendor_id", filter.VendorID)
	eq(&w, "site_id", filter.SiteID)
	eq(&w, "name", filter.Name)
	if filter.Function != nil {
		// Teams are few and have few functions, so a JSON scan is enough.
		w.add(`EXISTS (SELECT 1 FROM json_each(teams.functions) WHERE json_each.value = ?)`, string(*filter.Function))
	}
	return find(ctx, tx, teamCols, "teams", &w, "id", filter.Page, scanTeam)
}

// checkTeamSite returns EINVALID unless the site exists and belongs to the
// vendor.
func checkTeamSite(ctx context.Context, tx *Tx, vendorID, siteID string) error {
	site, err := findSiteByID(ctx, tx, siteID)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return ward.FieldErrorf("site_id", "Site %s does not exist.", siteID)
	} else if err != nil {
		return err
	}
	if site.VendorID != vendorID {
		return ward.FieldErrorf("site_id", "Site %s belongs to another vendor.", siteID)
	}
	return nil
}

// CreateTeam returns EINVALID (also when the vendor or site does not exist,
// or the site belongs to another vendor) or ECONFLICT on a duplicate name
// within the vendor.
func (s *TeamService) CreateTeam(ctx context.Context, t *ward.Team) error {
	c := *t
	normalizeTeam(&c)
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
	if err := checkTeamSite(ctx, tx, c.VendorID, c.SiteID); err != nil {
		return err
	}
	c.ID = ward.NewID(ward.PrefixTeam, tx.now)
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	functions, err := jsonText(c.Functions)
	if err != nil {
		return err
	}
	clearances, err := jsonText(c.Clearances)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO teams (`+teamCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.VendorID, c.SiteID, c.Name, functions, clearances, formatTime(c.CreatedAt), formatTime(c.UpdatedAt)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*t = c
	return nil
}

// UpdateTeam returns ENOTFOUND, EINVALID or ECONFLICT.
func (s *TeamService) UpdateTeam(ctx context.Context, id string, upd ward.TeamUpdate) (*ward.Team, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	t, err := findTeamByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	upd.Apply(t)
	normalizeTeam(t)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := checkTeamSite(ctx, tx, t.VendorID, t.SiteID); err != nil {
		return nil, err
	}
	t.UpdatedAt = tx.now
	functions, err := jsonText(t.Functions)
	if err != nil {
		return nil, err
	}
	clearances, err := jsonText(t.Clearances)
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `UPDATE teams SET site_id = ?, name = ?, functions = ?, clearances = ?, updated_at = ? WHERE id = ?`,
		t.SiteID, t.Name, functions, clearances, formatTime(t.UpdatedAt), t.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return t, nil
}
