package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.SessionService = (*SessionService)(nil)

// SessionService stores login sessions in PostgreSQL.
type SessionService struct {
	db *DB
}

// NewSessionService returns a SessionService backed by db.
func NewSessionService(db *DB) *SessionService {
	return &SessionService{db: db}
}

// FindSessionByID returns ENOTFOUND if the session does not exist.
func (s *SessionService) FindSessionByID(ctx context.Context, id string) (*ward.Session, error) {
	return s.findOne(ctx, `id = $1`, id)
}

// FindSessionByTokenHash returns ENOTFOUND if no session has the hash.
func (s *SessionService) FindSessionByTokenHash(ctx context.Context, hash []byte) (*ward.Session, error) {
	if hash == nil {
		hash = []byte{} // NULL would match nothing anyway; keep the query typed
	}
	return s.findOne(ctx, `token_hash = $1`, hash)
}

func (s *SessionService) findOne(ctx context.Context, where string, arg any) (*ward.Session, error) {
	var sess *ward.Session
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		sess, err = scanSession(tx.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE `+where, arg))
		if notFound(err) {
			return ward.Errorf(ward.ENOTFOUND, "Session not found.")
		} else if err != nil {
			return fmt.Errorf("find session: %w", err)
		}
		return nil
	})
	return sess, err
}

// FindSessions returns matching sessions ordered by ID and the total count
// ignoring paging. Returns EINVALID for a bad page.
func (s *SessionService) FindSessions(ctx context.Context, filter ward.SessionFilter) ([]*ward.Session, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eq(&q, "worker_id", filter.WorkerID)
	if filter.LiveAt != nil {
		// As ward.Session.Live: not revoked and not yet expired.
		q.cond("revoked_at IS NULL AND expires_at > %s", *filter.LiveAt)
	}
	var list []*ward.Session
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "sessions", sessionColumns, &q, "id", filter.Page, scanSession)
		return err
	})
	return list, total, err
}

// CreateSession stores a new session, setting CreatedAt and LastSeenAt to
// now. Returns EINVALID (also for an unknown worker or site) or ECONFLICT
// if the token hash exists.
func (s *SessionService) CreateSession(ctx context.Context, sess *ward.Session) error {
	if err := sess.Validate(); err != nil {
		return err
	}
	c := *sess
	c.TokenHash = append([]byte(nil), c.TokenHash...)
	c.ExpiresAt = canon.Time(c.ExpiresAt)
	c.RevokedAt, c.RevokeReason = nil, ""
	err := s.db.update(ctx, func(tx *Tx) error {
		if ok, err := tx.exists(ctx, "workers", c.WorkerID); err != nil {
			return err
		} else if !ok {
			return ward.FieldErrorf("worker_id", "Worker %s does not exist.", c.WorkerID)
		}
		if c.SiteID != "" {
			if ok, err := tx.exists(ctx, "sites", c.SiteID); err != nil {
				return err
			} else if !ok {
				return ward.FieldErrorf("site_id", "Site %s does not exist.", c.SiteID)
			}
		}
		c.ID = ward.NewID(ward.PrefixSession, tx.now)
		c.CreatedAt, c.LastSeenAt = tx.now, tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO sessions (id, worker_id, token_hash, device_id, client_addr, country, site_id, user_agent,
				created_at, last_seen_at, expires_at, revoked_at, revoke_reason, method)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, '', $12)`,
			c.ID, c.WorkerID, c.TokenHash, c.DeviceID, c.ClientAddr, c.Country, nullString(c.SiteID), c.UserAgent,
			c.CreatedAt, c.LastSeenAt, c.ExpiresAt, c.Method)
		if err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*sess = c
	return nil
}

// TouchSession records activity at t: LastSeenAt becomes t, in UTC to the
// microsecond. Returns ENOTFOUND.
func (s *SessionService) TouchSession(ctx context.Context, id string, t time.Time) error {
	return s.db.update(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, id, canon.Time(t))
		if err != nil {
			return fmt.Errorf("touch session: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return ward.Errorf(ward.ENOTFOUND, "Session not found.")
		}
		return nil
	})
}

// RevokeSession ends the session now, keeping the first revocation.
// Returns ENOTFOUND.
func (s *SessionService) RevokeSession(ctx context.Context, id, reason string) (*ward.Session, error) {
	var sess *ward.Session
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		sess, err = scanSession(tx.QueryRow(ctx, `
			UPDATE sessions SET
				revoke_reason = CASE WHEN revoked_at IS NULL THEN $3 ELSE revoke_reason END,
				revoked_at = COALESCE(revoked_at, $2)
			WHERE id = $1
			RETURNING `+sessionColumns, id, tx.now, reason))
		if notFound(err) {
			return ward.Errorf(ward.ENOTFOUND, "Session not found.")
		} else if err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// RevokeWorkerSessions ends every live session of the worker and returns
// how many it ended.
func (s *SessionService) RevokeWorkerSessions(ctx context.Context, workerID, reason string) (int, error) {
	var n int
	err := s.db.update(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE sessions SET revoked_at = $2, revoke_reason = $3
			WHERE worker_id = $1 AND revoked_at IS NULL AND expires_at > $2`,
			workerID, tx.now, reason)
		if err != nil {
			return fmt.Errorf("revoke worker sessions: %w", err)
		}
		n = int(tag.RowsAffected())
		return nil
	})
	return n, err
}

const sessionColumns = `id, worker_id, token_hash, device_id, client_addr, country, COALESCE(site_id, ''), user_agent,
	created_at, last_seen_at, expires_at, revoked_at, revoke_reason, method`

func scanSession(row pgx.Row) (*ward.Session, error) {
	var s ward.Session
	if err := row.Scan(&s.ID, &s.WorkerID, &s.TokenHash, &s.DeviceID, &s.ClientAddr, &s.Country, &s.SiteID, &s.UserAgent,
		&s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, &s.RevokedAt, &s.RevokeReason, &s.Method); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
	s.RevokedAt = canon.TimePtr(s.RevokedAt)
	return &s, nil
}
