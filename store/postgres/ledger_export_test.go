package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
)

// Exec runs sql (any number of statements, no arguments) on db, for tests
// that change the stored ledger behind the store's back.
func Exec(db *DB, ctx context.Context, sql string) error {
	_, err := db.pool.Exec(ctx, sql)
	return err
}

// ReadLedgerText reads as ReadLedger does but over the simple protocol,
// whose rows come in text format, so that scanLeaves takes its Scan path.
func ReadLedgerText(db *DB, ctx context.Context, start uint64, count int) ([]ward.LedgerLeaf, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+ledgerLeafColumns+` FROM ledger_leaves WHERE idx >= $1 ORDER BY idx LIMIT $2`,
		pgx.QueryExecModeSimpleProtocol, int64(start), count)
	if err != nil {
		return nil, err
	}
	return scanLeaves(rows, count)
}
