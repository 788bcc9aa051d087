package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.LoginFailureService = (*LoginFailureService)(nil)

// LoginFailureService keeps login failure counts in PostgreSQL, where
// every replica sees them.
type LoginFailureService struct {
	db *DB
}

// NewLoginFailureService returns a LoginFailureService backed by db.
func NewLoginFailureService(db *DB) *LoginFailureService {
	return &LoginFailureService{db: db}
}

func scanLoginFailures(row pgx.Row) (*ward.LoginFailures, error) {
	var f ward.LoginFailures
	if err := row.Scan(&f.Key, &f.Count, &f.WindowStart, &f.LockedUntil); err != nil {
		return nil, err
	}
	f.WindowStart, f.LockedUntil = f.WindowStart.UTC(), canon.TimePtr(f.LockedUntil)
	return &f, nil
}

// FindLoginFailures returns the key's record, or ENOTFOUND.
func (s *LoginFailureService) FindLoginFailures(ctx context.Context, key string) (*ward.LoginFailures, error) {
	var f *ward.LoginFailures
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		f, err = scanLoginFailures(tx.QueryRow(ctx, `SELECT key, count, window_start, locked_until FROM login_failures WHERE key = $1`, key))
		if notFound(err) {
			return ward.Errorf(ward.ENOTFOUND, "No login failures recorded.")
		} else if err != nil {
			return fmt.Errorf("find login failures: %w", err)
		}
		return nil
	})
	return f, err
}

// AddLoginFailure counts one failure and returns the record after. It
// creates the row if needed and then locks it, so concurrent failures on
// any replica each count. Returns EINVALID for an empty key or a window,
// limit or lockout that is not positive.
func (s *LoginFailureService) AddLoginFailure(ctx context.Context, key string, window time.Duration, limit int, lockout time.Duration) (*ward.LoginFailures, error) {
	if err := checkLoginFailure(key, window, limit, lockout); err != nil {
		return nil, err
	}
	var f *ward.LoginFailures
	err := s.db.update(ctx, func(tx *Tx) error {
		// The insert makes the row exist for the lock; a conflicting one
		// waits for the other transaction and then does nothing.
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO login_failures (key, count, window_start) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING`, key, tx.now)
		b.Queue(`SELECT key, count, window_start, locked_until FROM login_failures WHERE key = $1 FOR UPDATE`, key)
		br := tx.SendBatch(ctx, b)
		_, err := br.Exec()
		var prev *ward.LoginFailures
		if err == nil {
			prev, err = scanLoginFailures(br.QueryRow())
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("lock login failures: %w", err)
		}
		if prev.Count == 0 {
			prev = nil // just inserted
		}
		f = nextLoginFailures(prev, key, tx.now, window, limit, lockout)
		if _, err := tx.Exec(ctx, `UPDATE login_failures SET count = $2, window_start = $3, locked_until = $4 WHERE key = $1`,
			key, f.Count, f.WindowStart, f.LockedUntil); err != nil {
			return fmt.Errorf("add login failure: %w", err)
		}
		return nil
	})
	if err != nil {
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
	return s.db.update(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key); err != nil {
			return fmt.Errorf("clear login failures: %w", err)
		}
		return nil
	})
}
