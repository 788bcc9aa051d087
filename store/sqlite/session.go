package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.SessionService = (*SessionService)(nil)

// SessionService implements ward.SessionService on SQLite.
type SessionService struct {
	db *DB
}

// NewSessionService returns a SessionService backed by db.
func NewSessionService(db *DB) *SessionService {
	return &SessionService{db: db}
}

const sessionCols = `id, worker_id, token_hash, device_id, client_addr, country, site_id, user_agent,
	created_at, last_seen_at, expires_at, revoked_at, revoke_reason, method`

func scanSession(s scanner) (*ward.Session, error) {
	var v ward.Session
	if err := s.Scan(&v.ID, &v.WorkerID, &v.TokenHash, &v.DeviceID, &v.ClientAddr, &v.Country, refDest{&v.SiteID},
		&v.UserAgent, timeDest{&v.CreatedAt}, timeDest{&v.LastSeenAt}, timeDest{&v.ExpiresAt},
		timePtrDest{&v.RevokedAt}, &v.RevokeReason, &v.Method); err != nil {
		return nil, err
	}
	return &v, nil
}

// FindSessionByID returns ENOTFOUND if the session does not exist.
func (s *SessionService) FindSessionByID(ctx context.Context, id string) (*ward.Session, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findSessionByID(ctx, tx, id)
}

func findSessionByID(ctx context.Context, tx *Tx, id string) (*ward.Session, error) {
	return findOne(ctx, tx, sessionCols, "sessions", id, scanSession, "Session not found.")
}

// FindSessionByTokenHash returns ENOTFOUND if no session has the hash.
func (s *SessionService) FindSessionByTokenHash(ctx context.Context, hash []byte) (*ward.Session, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// A nil slice would bind as NULL, which matches nothing anyway.
	v, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Session not found.")
	}
	return v, err
}

// FindSessions returns matching sessions ordered by ID and the total count.
// LiveAt matches what Session.Live reports.
func (s *SessionService) FindSessions(ctx context.Context, filter ward.SessionFilter) ([]*ward.Session, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eq(&w, "worker_id", filter.WorkerID)
	if filter.LiveAt != nil {
		w.add(`revoked_at IS NULL AND expires_at > ?`, formatTime(*filter.LiveAt))
	}
	return find(ctx, tx, sessionCols, "sessions", &w, "id", filter.Page, scanSession)
}

// CreateSession returns EINVALID (also for an unknown worker or site) or
// ECONFLICT if the token hash exists. CreatedAt and LastSeenAt are now.
func (s *SessionService) CreateSession(ctx context.Context, sess *ward.Session) error {
	c := *sess
	c.TokenHash = bytes.Clone(c.TokenHash)
	c.ExpiresAt = canon.Time(c.ExpiresAt)
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
	if err := tx.checkRef(ctx, "site_id", "sites", "Site", c.SiteID); err != nil {
		return err
	}
	c.ID = ward.NewID(ward.PrefixSession, tx.now)
	c.CreatedAt, c.LastSeenAt = tx.now, tx.now
	if _, err := tx.exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', ?)`,
		c.ID, c.WorkerID, c.TokenHash, c.DeviceID, c.ClientAddr, c.Country, nullString(c.SiteID), c.UserAgent,
		formatTime(c.CreatedAt), formatTime(c.LastSeenAt), formatTime(c.ExpiresAt), c.Method); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*sess = c
	return nil
}

// TouchSession records activity at t. Returns ENOTFOUND.
func (s *SessionService) TouchSession(ctx context.Context, id string, t time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	res, err := tx.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, formatTime(t), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ward.Errorf(ward.ENOTFOUND, "Session not found.")
	}
	return tx.Commit()
}

// RevokeSession ends the session now, keeping the first revocation.
// Returns ENOTFOUND.
func (s *SessionService) RevokeSession(ctx context.Context, id, reason string) (*ward.Session, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	v, err := findSessionByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if v.RevokedAt != nil {
		return v, nil
	}
	now := tx.now
	v.RevokedAt, v.RevokeReason = &now, reason
	if _, err := tx.exec(ctx, `UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ?`,
		formatTime(now), reason, v.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return v, nil
}

// RevokeWorkerSessions ends every live session of the worker and returns
// how many it ended.
func (s *SessionService) RevokeWorkerSessions(ctx context.Context, workerID, reason string) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()

	now := formatTime(tx.now)
	res, err := tx.exec(ctx, `UPDATE sessions SET revoked_at = ?, revoke_reason = ?
		WHERE worker_id = ? AND revoked_at IS NULL AND expires_at > ?`, now, reason, workerID, now)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return int(n), nil
}
