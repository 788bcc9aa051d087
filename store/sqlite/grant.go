package sqlite

import (
	"context"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.GrantService = (*GrantService)(nil)

// GrantService implements ward.GrantService on SQLite.
type GrantService struct {
	db *DB
}

// NewGrantService returns a GrantService backed by db.
func NewGrantService(db *DB) *GrantService {
	return &GrantService{db: db}
}

const grantCols = `id, worker_id, task_id, patient_ref, resource_types, interactions,
	not_before, expires_at, revoked_at, revoke_reason, created_at`

func scanGrant(s scanner) (*ward.Grant, error) {
	var g ward.Grant
	if err := s.Scan(&g.ID, &g.WorkerID, &g.TaskID, &g.PatientRef, jsonDest{&g.ResourceTypes}, jsonDest{&g.Interactions},
		timeDest{&g.NotBefore}, timeDest{&g.ExpiresAt}, timePtrDest{&g.RevokedAt}, &g.RevokeReason,
		timeDest{&g.CreatedAt}); err != nil {
		return nil, err
	}
	normalizeGrant(&g)
	return &g, nil
}

func normalizeGrant(g *ward.Grant) {
	g.ResourceTypes = canon.Slice(g.ResourceTypes)
	g.Interactions = canon.Slice(g.Interactions)
	g.NotBefore = canon.Time(g.NotBefore)
	g.ExpiresAt = canon.Time(g.ExpiresAt)
	g.RevokedAt = canon.TimePtr(g.RevokedAt)
}

// FindGrantByID returns ENOTFOUND if the grant does not exist.
func (s *GrantService) FindGrantByID(ctx context.Context, id string) (*ward.Grant, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findGrantByID(ctx, tx, id)
}

func findGrantByID(ctx context.Context, tx *Tx, id string) (*ward.Grant, error) {
	return findOne(ctx, tx, grantCols, "grants", id, scanGrant, "Grant not found.")
}

// FindGrants returns matching grants ordered by ID and the total count.
// LiveAt matches what Grant.Live reports.
func (s *GrantService) FindGrants(ctx context.Context, filter ward.GrantFilter) ([]*ward.Grant, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eq(&w, "worker_id", filter.WorkerID)
	eq(&w, "task_id", filter.TaskID)
	eq(&w, "patient_ref", filter.PatientRef)
	if filter.LiveAt != nil {
		// Bounds are stored in microseconds, so truncating t keeps both
		// comparisons exact.
		at := formatTime(*filter.LiveAt)
		w.add(`revoked_at IS NULL AND not_before <= ? AND expires_at > ?`, at, at)
	}
	return find(ctx, tx, grantCols, "grants", &w, "id", filter.Page, scanGrant)
}

// CreateGrant returns EINVALID (also when the worker or task does not
// exist). A new grant is never revoked: RevokedAt and RevokeReason are
// ignored.
func (s *GrantService) CreateGrant(ctx context.Context, g *ward.Grant) error {
	c := *g
	normalizeGrant(&c)
	c.RevokedAt, c.RevokeReason = nil, ""
	if err := c.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	if err := tx.checkRef(ctx, "worker_id", "workers", "Worker", c.WorkerID); err != nil {
		return err
	}
	if err := tx.checkRef(ctx, "task_id", "tasks", "Task", c.TaskID); err != nil {
		return err
	}
	c.ID = ward.NewID(ward.PrefixGrant, tx.now)
	c.CreatedAt = tx.now
	types, err := jsonText(c.ResourceTypes)
	if err != nil {
		return err
	}
	interactions, err := jsonText(c.Interactions)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO grants (`+grantCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, '', ?)`,
		c.ID, c.WorkerID, c.TaskID, c.PatientRef, types, interactions,
		formatTime(c.NotBefore), formatTime(c.ExpiresAt), formatTime(c.CreatedAt)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*g = c
	return nil
}

// RevokeGrant ends the grant now. Revoking a revoked grant keeps the first
// revocation and is not an error. Returns ENOTFOUND.
func (s *GrantService) RevokeGrant(ctx context.Context, id, reason string) (*ward.Grant, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	g, err := findGrantByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if g.RevokedAt != nil {
		return g, nil
	}
	now := tx.now
	g.RevokedAt, g.RevokeReason = &now, reason
	if _, err := tx.exec(ctx, `UPDATE grants SET revoked_at = ?, revoke_reason = ? WHERE id = ?`,
		formatTime(now), reason, g.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return g, nil
}
