package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Connect connects db without migrating, so that tests can race Migrate.
var Connect = (*DB).connect

// MaxAttempts is how often an aborted operation is tried.
const MaxAttempts = maxAttempts

// Update runs fn as a write operation would, passing it the operation's
// clock reading, so that tests can watch the retry loop.
func Update(db *DB, ctx context.Context, fn func(now time.Time) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx.now) })
}

// QueryStrings returns the first column of sql's rows, for tests that look
// at the schema itself.
func QueryStrings(db *DB, ctx context.Context, sql string) ([]string, error) {
	rows, err := db.pool.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// errRollback makes ExecWrite's transaction roll back.
var errRollback = errors.New("roll back")

// ExecWrite runs stmts in one write transaction, as services do (waiting for
// the change feed after a commit that changed a watched table), rolling it
// back instead when rollback is set.
func ExecWrite(db *DB, ctx context.Context, rollback bool, stmts ...string) error {
	err := db.update(ctx, func(tx *Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		if rollback {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// ListenerPID returns the backend PID of the change feed's listener
// connection, so that tests can terminate it.
func ListenerPID(db *DB) uint32 { return db.changes.pid.Load() }
