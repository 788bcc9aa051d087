package postgres

import (
	"context"
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
