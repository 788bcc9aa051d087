package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.LoginFailureService = (*LoginFailureService)(nil)

// LoginFailureService implements ward.LoginFailureService on SQLite.
type LoginFailureService struct {
	db *DB
}

// NewLoginFailureService returns a LoginFailureService backed by db.
func NewLoginFailureService(db *DB) *LoginFailureService {
	return &LoginFailureService{db: db}
}

func findLoginFailures(ctx context.Context, tx *Tx, key string) (*ward.LoginFailures, error) {
	var f ward.LoginFailures
	err := tx.QueryRowContext(ctx, `SELECT key, count, window_start, locked_until FROM login_failures WHERE key = ?`, key).
		Scan(&f.Key, &f.Count, timeDest{&f.WindowStart}, timePtrDest{&f.LockedUntil})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ward.Errorf(ward.ENOTFOUND, "No login failures recorded.")
	} else if err != nil {
		return nil, err
	}
	return &f, nil
}

// FindLoginFailures returns the key's record, or ENOTFOUND.
func (s *LoginFailureService) FindLoginFailures(ctx context.Context, key string) (*ward.LoginFailures, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findLoginFailures(ctx, tx, key)
}

// AddLoginFailure counts one failure and returns the record after. The
// read and the write share one write transaction, which SQLite runs alone,
// so concurrent failures each count. Returns EINVALID for an empty key or
// a window, limit or lockout that is not positive.
func (s *LoginFailureService) AddLoginFailure(ctx context.Context, key string, window time.Duration, limit int, lockout time.Duration) (*ward.LoginFailures, error) {
	if err := checkLoginFailure(key, window, limit, lockout); err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	f, err := findLoginFailures(ctx, tx, key)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		f, err = nil, nil
	} else if err != nil {
		return nil, err
	}
	f = nextLoginFailures(f, key, tx.now, window, limit, lockout)
	if _, err := tx.exec(ctx, `INSERT INTO login_failures (key, count, window_start, locked_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET count = excluded.count, window_start = excluded.window_start,
			locked_until = excluded.locked_until`,
		f.Key, f.Count, formatTime(f.WindowStart), formatTimePtr(f.LockedUntil)); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return f, nil
}

// checkLoginFailure returns EINVALID for arguments AddLoginFailure cannot
// apply.
func checkLoginFailure(key string, window time.Duration, limit int, lockout time.Duration) error {
	switch {
	case key == "":
		return ward.FieldErrorf("key", "key is required.")
	case window <= 0:
		return ward.FieldErrorf("window", "window must be positive.")
	case limit < 1:
		return ward.FieldErrorf("limit", "limit must be at least 1.")
	case lockout <= 0:
		return ward.FieldErrorf("lockout", "lockout must be positive.")
	}
	return nil
}

// nextLoginFailures returns the record after one more failure at now. f
// is the record before, or nil. A window that began more than window ago
// restarts at one; an existing lockout is never shortened, so a window
// restarting while the key is locked does not unlock it.
func nextLoginFailures(f *ward.LoginFailures, key string, now time.Time, window time.Duration, limit int, lockout time.Duration) *ward.LoginFailures {
	n := &ward.LoginFailures{Key: key, Count: 1, WindowStart: now}
	if f != nil {
		n.LockedUntil = f.LockedUntil
		if now.Sub(f.WindowStart) <= window {
			n.Count, n.WindowStart = f.Count+1, f.WindowStart
		}
	}
	if n.Count >= limit {
		until := canon.Time(now.Add(lockout))
		if n.LockedUntil == nil || until.After(*n.LockedUntil) {
			n.LockedUntil = &until
		}
	}
	return n
}

// ClearLoginFailures forgets the key. Clearing an unknown key is not an
// error.
func (s *LoginFailureService) ClearLoginFailures(ctx context.Context, key string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `DELETE FROM login_failures WHERE key = ?`, key); err != nil {
		return err
	}
	return tx.Commit()
}
