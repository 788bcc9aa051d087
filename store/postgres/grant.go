package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.GrantService = (*GrantService)(nil)

// GrantService stores just-in-time access grants in PostgreSQL.
type GrantService struct {
	db *DB
}

// NewGrantService returns a GrantService backed by db.
func NewGrantService(db *DB) *GrantService {
	return &GrantService{db: db}
}

// FindGrantByID returns ENOTFOUND if the grant does not exist.
func (s *GrantService) FindGrantByID(ctx context.Context, id string) (*ward.Grant, error) {
	var g *ward.Grant
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		g, err = findGrantByID(ctx, tx, id, false)
		return err
	})
	return g, err
}

// FindGrants returns matching grants ordered by ID and the total count
// ignoring paging. Returns EINVALID for a bad page.
func (s *GrantService) FindGrants(ctx context.Context, filter ward.GrantFilter) ([]*ward.Grant, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eq(&q, "worker_id", filter.WorkerID)
	eq(&q, "task_id", filter.TaskID)
	eq(&q, "patient_ref", filter.PatientRef)
	if filter.LiveAt != nil {
		// As ward.Grant.Live: inside [not_before, expires_at) and not revoked.
		at := *filter.LiveAt
		q.cond("revoked_at IS NULL AND not_before <= %s AND expires_at > %s", at, at)
	}
	var list []*ward.Grant
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "grants", grantColumns, &q, "id", filter.Page, scanGrant)
		return err
	})
	return list, total, err
}

// CreateGrant returns EINVALID (also when the worker or task does not
// exist, naming worker_id or task_id).
func (s *GrantService) CreateGrant(ctx context.Context, g *ward.Grant) error {
	if err := g.Validate(); err != nil {
		return err
	}
	c := *g
	c.ResourceTypes, c.Interactions = canon.Slice(c.ResourceTypes), canon.Slice(c.Interactions)
	c.NotBefore, c.ExpiresAt = canon.Time(c.NotBefore), canon.Time(c.ExpiresAt)
	c.RevokedAt, c.RevokeReason = nil, ""
	if !c.ExpiresAt.After(c.NotBefore) {
		// Apart by less than a microsecond: equal once stored.
		return ward.FieldErrorf("expires_at", "expires_at must be after not_before.")
	}
	err := s.db.update(ctx, func(tx *Tx) error {
		if ok, err := tx.exists(ctx, "workers", c.WorkerID); err != nil {
			return err
		} else if !ok {
			return ward.FieldErrorf("worker_id", "Worker %s does not exist.", c.WorkerID)
		}
		if ok, err := tx.exists(ctx, "tasks", c.TaskID); err != nil {
			return err
		} else if !ok {
			return ward.FieldErrorf("task_id", "Task %s does not exist.", c.TaskID)
		}
		c.ID = ward.NewID(ward.PrefixGrant, tx.now)
		c.CreatedAt = tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO grants (id, worker_id, task_id, patient_ref, resource_types, interactions,
				not_before, expires_at, revoked_at, revoke_reason, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, '', $9)`,
			c.ID, c.WorkerID, c.TaskID, c.PatientRef, c.ResourceTypes, c.Interactions, c.NotBefore, c.ExpiresAt, c.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert grant: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*g = c
	return nil
}

// RevokeGrant ends the grant now. Revoking a revoked grant keeps the first
// revocation and is not an error. Returns ENOTFOUND.
func (s *GrantService) RevokeGrant(ctx context.Context, id, reason string) (*ward.Grant, error) {
	var g *ward.Grant
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		// One conditional UPDATE: of two concurrent revocations, the one
		// that commits first wins and the other changes nothing.
		g, err = scanGrant(tx.QueryRow(ctx, `
			UPDATE grants SET
				revoke_reason = CASE WHEN revoked_at IS NULL THEN $3 ELSE revoke_reason END,
				revoked_at = COALESCE(revoked_at, $2)
			WHERE id = $1
			RETURNING `+grantColumns, id, tx.now, reason))
		if notFound(err) {
			return ward.Errorf(ward.ENOTFOUND, "Grant not found.")
		} else if err != nil {
			return fmt.Errorf("revoke grant: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

const grantColumns = `id, worker_id, task_id, patient_ref, resource_types, interactions,
	not_before, expires_at, revoked_at, revoke_reason, created_at`

func scanGrant(row pgx.Row) (*ward.Grant, error) {
	var g ward.Grant
	if err := row.Scan(&g.ID, &g.WorkerID, &g.TaskID, &g.PatientRef, &g.ResourceTypes, &g.Interactions,
		&g.NotBefore, &g.ExpiresAt, &g.RevokedAt, &g.RevokeReason, &g.CreatedAt); err != nil {
		return nil, err
	}
	g.ResourceTypes, g.Interactions = canon.Slice(g.ResourceTypes), canon.Slice(g.Interactions)
	g.NotBefore, g.ExpiresAt, g.CreatedAt = g.NotBefore.UTC(), g.ExpiresAt.UTC(), g.CreatedAt.UTC()
	g.RevokedAt = canon.TimePtr(g.RevokedAt)
	return &g, nil
}

// findGrantByID returns the grant, locked for update when lock is set, or
// ENOTFOUND.
func findGrantByID(ctx context.Context, tx *Tx, id string, lock bool) (*ward.Grant, error) {
	g, err := scanGrant(tx.QueryRow(ctx, `SELECT `+grantColumns+` FROM grants WHERE id = $1`+forUpdate(lock), id))
	if notFound(err) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Grant not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find grant: %w", err)
	}
	return g, nil
}
