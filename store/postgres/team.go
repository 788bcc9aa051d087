package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.TeamService = (*TeamService)(nil)

// TeamService stores teams in PostgreSQL.
type TeamService struct {
	db *DB
}

// NewTeamService returns a TeamService backed by db.
func NewTeamService(db *DB) *TeamService {
	return &TeamService{db: db}
}

// FindTeamByID returns ENOTFOUND if the team does not exist.
func (s *TeamService) FindTeamByID(ctx context.Context, id string) (*ward.Team, error) {
	var t *ward.Team
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		t, err = findTeamByID(ctx, tx, id, false)
		return err
	})
	return t, err
}

// FindTeams returns matching teams ordered by ID and the total count
// ignoring paging. Returns EINVALID for a bad page.
func (s *TeamService) FindTeams(ctx context.Context, filter ward.TeamFilter) ([]*ward.Team, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eq(&q, "vendor_id", filter.VendorID)
	eq(&q, "site_id", filter.SiteID)
	eq(&q, "name", filter.Name)
	if filter.Function != nil {
		q.cond("functions @> ARRAY[%s::text]", string(*filter.Function))
	}
	var list []*ward.Team
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "teams", teamColumns, &q, "id", filter.Page, scanTeam)
		return err
	})
	return list, total, err
}

// CreateTeam returns EINVALID (also when the vendor or site does not exist,
// or the site belongs to another vendor) or ECONFLICT on a duplicate name
// within the vendor.
func (s *TeamService) CreateTeam(ctx context.Context, t *ward.Team) error {
	if err := t.Validate(); err != nil {
		return err
	}
	c := *t
	c.Functions, c.Clearances = canon.Slice(c.Functions), canon.Slice(c.Clearances)
	err := s.db.update(ctx, func(tx *Tx) error {
		if ok, err := tx.exists(ctx, "vendors", c.VendorID); err != nil {
			return err
		} else if !ok {
			return ward.FieldErrorf("vendor_id", "Vendor %s does not exist.", c.VendorID)
		}
		if err := checkTeamSite(ctx, tx, c.VendorID, c.SiteID); err != nil {
			return err
		}
		c.ID = ward.NewID(ward.PrefixTeam, tx.now)
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO teams (id, vendor_id, site_id, name, functions, clearances, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			c.ID, c.VendorID, c.SiteID, c.Name, c.Functions, c.Clearances, c.CreatedAt, c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert team: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*t = c
	return nil
}

// UpdateTeam returns ENOTFOUND, EINVALID (also when a new site does not
// exist or belongs to another vendor) or ECONFLICT.
func (s *TeamService) UpdateTeam(ctx context.Context, id string, upd ward.TeamUpdate) (*ward.Team, error) {
	var t *ward.Team
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		if t, err = findTeamByID(ctx, tx, id, true); err != nil {
			return err
		}
		siteID := t.SiteID
		upd.Apply(t)
		if err := t.Validate(); err != nil {
			return err
		}
		if t.SiteID != siteID {
			if err := checkTeamSite(ctx, tx, t.VendorID, t.SiteID); err != nil {
				return err
			}
		}
		t.Functions, t.Clearances = canon.Slice(t.Functions), canon.Slice(t.Clearances)
		t.UpdatedAt = tx.now
		_, err = tx.Exec(ctx, `
			UPDATE teams SET site_id = $2, name = $3, functions = $4, clearances = $5, updated_at = $6
			WHERE id = $1`,
			t.ID, t.SiteID, t.Name, t.Functions, t.Clearances, t.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update team: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// checkTeamSite returns EINVALID naming site_id unless the site exists and
// belongs to the vendor. A site never changes vendor, so the check holds
// after the transaction commits.
func checkTeamSite(ctx context.Context, tx *Tx, vendorID, siteID string) error {
	var owner string
	err := tx.QueryRow(ctx, `SELECT vendor_id FROM sites WHERE id = $1`, siteID).Scan(&owner)
	if notFound(err) {
		return ward.FieldErrorf("site_id", "Site %s does not exist.", siteID)
	} else if err != nil {
		return fmt.Errorf("check site: %w", err)
	}
	if owner != vendorID {
		return ward.FieldErrorf("site_id", "Site %s belongs to another vendor.", siteID)
	}
	return nil
}

const teamColumns = `id, vendor_id, site_id, name, functions, clearances, created_at, updated_at`

func scanTeam(row pgx.Row) (*ward.Team, error) {
	var t ward.Team
	if err := row.Scan(&t.ID, &t.VendorID, &t.SiteID, &t.Name, &t.Functions, &t.Clearances, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	t.Functions, t.Clearances = canon.Slice(t.Functions), canon.Slice(t.Clearances)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return &t, nil
}

// findTeamByID returns the team, locked for update when lock is set, or
// ENOTFOUND.
func findTeamByID(ctx context.Context, tx *Tx, id string, lock bool) (*ward.Team, error) {
	t, err := scanTeam(tx.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams WHERE id = $1`+forUpdate(lock), id))
	if notFound(err) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Team not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find team: %w", err)
	}
	return t, nil
}
