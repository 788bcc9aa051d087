package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var _ ward.LedgerStore = (*LedgerStore)(nil)

// LedgerStore implements ward.LedgerStore on SQLite.
//
// # Appends
//
// AppendLedger runs in one IMMEDIATE transaction on the write connection,
// which serialises appenders in this process; another process writing the
// same file waits for SQLite's write lock. The size is max(idx) + 1, read
// from the rowid B-tree inside that transaction, so a stale appender gets
// ECONFLICT. The write connection runs with synchronous=FULL in WAL mode:
// the commit returns only after the WAL is fsynced. An in-memory database
// (MemoryDSN) is not durable at all; it is for tests.
//
// # Times
//
// The time column holds the event time in UTC truncated to microseconds,
// [canon.Time]: t.UTC().Truncate(time.Microsecond). ReadLedger and
// FindLedger return it so; Verify compares it with the decoded event's
// time under the same rule. From and To filter on that column, truncated
// the same way.
//
// # Tampering, for tests
//
// End-to-end tests check that verification catches changes made by plain
// SQL, for example with the sqlite3 shell (3.37 or later, for STRICT
// tables) while ward is stopped. Indices are 0-based; K is a tree size.
//
// Flip one byte (offset 10, 0-based, inside the data) of leaf 5's data; the
// new byte is 'A', or 'B' where it was 'A'. The CAST keeps the column a
// BLOB:
//
//	UPDATE ledger_leaves SET data = CAST(substr(data, 1, 10)
//		|| CASE substr(data, 11, 1) WHEN X'41' THEN X'42' ELSE X'41' END
//		|| substr(data, 12) AS BLOB) WHERE idx = 5;
//
// Delete leaf 5:
//
//	DELETE FROM ledger_leaves WHERE idx = 5;
//
// Insert a leaf at 5, a copy of leaf 4, shifting the rest up by one (in two
// steps, because the primary key is checked row by row):
//
//	UPDATE ledger_leaves SET idx = idx + 1000000000 WHERE idx >= 5;
//	UPDATE ledger_leaves SET idx = idx - 1000000000 + 1 WHERE idx >= 1000000000;
//	INSERT INTO ledger_leaves (idx, data, hash, time, action, subject, worker_id, vendor_id, patient_ref, decision)
//		SELECT 5, data, hash, time, action, subject, worker_id, vendor_id, patient_ref, decision
//		FROM ledger_leaves WHERE idx = 4;
//
// Swap leaves 3 and 7 (whole rows: data, hash and the indexed columns):
//
//	UPDATE ledger_leaves SET idx = idx + 1000000000 WHERE idx IN (3, 7);
//	UPDATE ledger_leaves SET idx = CASE idx WHEN 1000000003 THEN 7 ELSE 3 END WHERE idx >= 1000000000;
//
// Swap only the data of leaves 3 and 7, leaving hashes and indexed columns
// in place. SQLite's UPDATE sees its own earlier changes, so the old values
// go through a temporary table (run the three statements on one
// connection):
//
//	CREATE TEMP TABLE swap AS SELECT idx, data FROM ledger_leaves WHERE idx IN (3, 7);
//	UPDATE ledger_leaves SET data = (SELECT data FROM swap WHERE swap.idx = 10 - ledger_leaves.idx) WHERE idx IN (3, 7);
//	DROP TABLE swap;
//
// Truncate to K leaves, dropping the nodes and checkpoints past K, so that
// ward appends again from K:
//
//	DELETE FROM ledger_leaves WHERE idx >= K;
//	DELETE FROM ledger_nodes WHERE ((idx + 1) << level) > K;
//	DELETE FROM ledger_checkpoints WHERE size > K;
type LedgerStore struct {
	db *DB
}

// NewLedgerStore returns a LedgerStore backed by db.
func NewLedgerStore(db *DB) *LedgerStore {
	return &LedgerStore{db: db}
}

// Ledger returns the audit ledger store backed by db.
func (db *DB) Ledger() *LedgerStore { return NewLedgerStore(db) }

const ledgerLeafCols = `idx, data, hash, time, action, subject, worker_id, vendor_id, patient_ref, decision`

// ledgerLeafParams is the number of columns of ledger_leaves.
const ledgerLeafParams = 10

// Rows per multi-row INSERT. SQLite allows 32766 parameters per statement;
// larger statements cost more to prepare than they save.
const (
	leafRowsPerInsert = 128
	nodeRowsPerInsert = 256
)

// LedgerSize returns the number of leaves: the largest index plus one.
func (s *LedgerStore) LedgerSize(ctx context.Context) (uint64, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	return ledgerSize(ctx, tx)
}

func ledgerSize(ctx context.Context, tx *Tx) (uint64, error) {
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(idx) FROM ledger_leaves`).Scan(&last); err != nil {
		return 0, fmt.Errorf("ledger size: %w", err)
	}
	if !last.Valid {
		return 0, nil
	}
	return uint64(last.Int64) + 1, nil
}

// checkAppend checks what an append can check without the store: returns
// EINVALID for nodes without leaves or coordinates out of range, and
// ECONFLICT for leaf indices that do not follow one another.
func checkAppend(leaves []ward.LedgerLeaf, nodes []ward.LedgerNode) error {
	if len(leaves) == 0 {
		if len(nodes) > 0 {
			return ward.Errorf(ward.EINVALID, "Ledger nodes need leaves to append.")
		}
		return nil
	}
	first := leaves[0].Index
	if first > math.MaxInt64-uint64(len(leaves)) {
		return ward.Errorf(ward.EINVALID, "Ledger index %d is out of range.", first)
	}
	for i := range leaves {
		if leaves[i].Index != first+uint64(i) {
			return ward.Errorf(ward.ECONFLICT, "Ledger leaf %d follows leaf %d; indices must be contiguous.", leaves[i].Index, leaves[i-1].Index)
		}
	}
	for _, n := range nodes {
		if n.Level >= 64 || n.Index > math.MaxInt64 {
			return ward.Errorf(ward.EINVALID, "Ledger node (%d, %d) is out of range.", n.Level, n.Index)
		}
	}
	return nil
}

// AppendLedger appends leaves and nodes in one transaction. Returns
// ECONFLICT, storing nothing, unless leaves[0].Index is the current size
// and the indices are contiguous; EINVALID for nodes without leaves or out
// of range. A node already stored means the store is inconsistent (for
// example, leaves deleted behind ward's back): that is an internal error,
// not a conflict, since retrying cannot fix it. It returns after the
// commit is fsynced.
func (s *LedgerStore) AppendLedger(ctx context.Context, leaves []ward.LedgerLeaf, nodes []ward.LedgerNode) error {
	if err := checkAppend(leaves, nodes); err != nil || len(leaves) == 0 {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	size, err := ledgerSize(ctx, tx)
	if err != nil {
		return err
	}
	if leaves[0].Index != size {
		return ward.Errorf(ward.ECONFLICT, "The ledger has %d leaves; the append starts at %d.", size, leaves[0].Index)
	}
	if err := insertLeaves(ctx, tx, leaves); err != nil {
		return fmt.Errorf("insert ledger leaves: %w", err)
	}
	if err := insertNodes(ctx, tx, nodes); err != nil {
		if isConstraint(err) {
			return fmt.Errorf("insert ledger nodes: a node exists past the ledger's size %d; the store is inconsistent: %w", size, err)
		}
		return fmt.Errorf("insert ledger nodes: %w", err)
	}
	// The ledger is no watched table: skip the change feed's drain.
	if err := tx.commitUnwatched(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// isConstraint reports whether err is a UNIQUE or PRIMARY KEY violation.
func isConstraint(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// insertStatement returns "INSERT INTO table (cols) VALUES (?, ...), ..."
// for rows rows of n columns.
func insertStatement(table, cols string, n, rows int) string {
	row := "(" + strings.Repeat("?, ", n-1) + "?)"
	var b strings.Builder
	b.Grow(len(table) + len(cols) + 32 + rows*(len(row)+2))
	b.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

var (
	leafInsert = insertStatement("ledger_leaves", ledgerLeafCols, ledgerLeafParams, leafRowsPerInsert)
	nodeInsert = insertStatement("ledger_nodes", "level, idx, hash", 3, nodeRowsPerInsert)
)

// insertRows inserts rows in multi-row statements of up to per rows each,
// reusing one prepared statement for the full ones. args appends the
// parameters of rows [i, j) to a.
func insertRows(ctx context.Context, tx *Tx, table, cols, full string, ncol, per, rows int, args func(a []any, i, j int) []any) error {
	a := make([]any, 0, ncol*min(rows, per))
	i := 0
	if rows >= per {
		stmt, err := tx.PrepareContext(ctx, full)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for ; i+per <= rows; i += per {
			a = args(a[:0], i, i+per)
			if _, err := stmt.ExecContext(ctx, a...); err != nil {
				return err
			}
		}
	}
	if i < rows {
		a = args(a[:0], i, rows)
		if _, err := tx.ExecContext(ctx, insertStatement(table, cols, ncol, rows-i), a...); err != nil {
			return err
		}
	}
	return nil
}

func insertLeaves(ctx context.Context, tx *Tx, leaves []ward.LedgerLeaf) error {
	return insertRows(ctx, tx, "ledger_leaves", ledgerLeafCols, leafInsert, ledgerLeafParams, leafRowsPerInsert, len(leaves),
		func(a []any, i, j int) []any {
			for _, l := range leaves[i:j] {
				a = append(a, int64(l.Index), blob(l.Data), blob(l.Hash), formatTime(l.Time),
					l.Action, l.Subject, l.WorkerID, l.VendorID, l.PatientRef, l.Decision)
			}
			return a
		})
}

func insertNodes(ctx context.Context, tx *Tx, nodes []ward.LedgerNode) error {
	return insertRows(ctx, tx, "ledger_nodes", "level, idx, hash", nodeInsert, 3, nodeRowsPerInsert, len(nodes),
		func(a []any, i, j int) []any {
			for _, n := range nodes[i:j] {
				a = append(a, int64(n.Level), int64(n.Index), blob(n.Hash))
			}
			return a
		})
}

// blob returns b, or an empty slice for nil, which the driver would bind as
// NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// readPrealloc bounds the leaves ReadLedger allocates room for up front.
const readPrealloc = 1 << 14

// ReadLedger returns up to count leaves from index start, in index order.
// Fewer are returned at the end of the log; none when start is past it.
// Returns EINVALID for a negative count.
func (s *LedgerStore) ReadLedger(ctx context.Context, start uint64, count int) ([]ward.LedgerLeaf, error) {
	if count < 0 {
		return nil, ward.FieldErrorf("count", "count must not be negative.")
	}
	if count == 0 || start > math.MaxInt64 {
		return []ward.LedgerLeaf{}, nil
	}
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	leaves, err := queryLeaves(ctx, tx, ` FROM ledger_leaves WHERE idx >= ? ORDER BY idx LIMIT ?`,
		[]any{int64(start), count}, min(count, readPrealloc))
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	return leaves, nil
}

// queryLeaves runs "SELECT <leaf columns>" + from with args and reads the
// rows.
func queryLeaves(ctx context.Context, tx *Tx, from string, args []any, prealloc int) ([]ward.LedgerLeaf, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+ledgerLeafCols+from, args...)
	if err != nil {
		return nil, err
	}
	return scanLeaves(rows, prealloc)
}

// leafScanner scans ledger_leaves rows with few allocations: the
// destinations are made once, data and hash are copied into shared
// blocks, and strings come straight from the driver.
type leafScanner struct {
	idx   int64
	data  arenaDest
	hash  arenaDest
	time  fastTimeDest
	strs  [6]string
	dests []any
	block []byte
}

func newLeafScanner() *leafScanner {
	s := &leafScanner{}
	s.data.block, s.hash.block = &s.block, &s.block
	s.dests = []any{&s.idx, &s.data, &s.hash, &s.time,
		&s.strs[0], &s.strs[1], &s.strs[2], &s.strs[3], &s.strs[4], &s.strs[5]}
	return s
}

// scan reads the current row into l.
func (s *leafScanner) scan(rows *sql.Rows, l *ward.LedgerLeaf) error {
	s.data.p, s.hash.p, s.time.p = &l.Data, &l.Hash, &l.Time
	if err := rows.Scan(s.dests...); err != nil {
		return err
	}
	if s.idx < 0 {
		return fmt.Errorf("negative ledger index %d", s.idx)
	}
	l.Index = uint64(s.idx)
	l.Action, l.Subject, l.WorkerID, l.VendorID, l.PatientRef, l.Decision =
		s.strs[0], s.strs[1], s.strs[2], s.strs[3], s.strs[4], s.strs[5]
	return nil
}

// scanLeaves reads every row of rows, closing it.
func scanLeaves(rows *sql.Rows, prealloc int) ([]ward.LedgerLeaf, error) {
	defer rows.Close()
	leaves := make([]ward.LedgerLeaf, 0, prealloc)
	s := newLeafScanner()
	for rows.Next() {
		leaves = append(leaves, ward.LedgerLeaf{})
		if err := s.scan(rows, &leaves[len(leaves)-1]); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return leaves, nil
}

// arenaBlock is the size of the blocks arenaDest copies bytes into.
const arenaBlock = 256 << 10

// arenaDest scans a BLOB into *p, copying it into a shared block: the
// driver owns the bytes it hands to Scan, and one block for many values
// costs far less than an allocation each.
type arenaDest struct {
	p     *[]byte
	block *[]byte
}

func (d *arenaDest) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case []byte:
		b = v
	case string: // a value stored by hand as TEXT
		b = []byte(v)
	case nil:
	default:
		return fmt.Errorf("blob column: unexpected %T", src)
	}
	blk := *d.block
	if cap(blk)-len(blk) < len(b) {
		blk = make([]byte, 0, max(arenaBlock, len(b)))
	}
	n := len(blk)
	blk = append(blk, b...)
	*d.p = blk[n:len(blk):len(blk)] // full slice: an append by the caller copies
	*d.block = blk
	return nil
}

// fastTimeDest scans a stored time, parsing the fixed-width form by hand:
// time.Parse would dominate a scan of the whole ledger.
type fastTimeDest struct{ p *time.Time }

func (d *fastTimeDest) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("time column: unexpected %T", src)
	}
	t, err := parseTime(s)
	if err != nil {
		return fmt.Errorf("time column: %w", err)
	}
	*d.p = t
	return nil
}

// parseTime parses the stored form of a time ("2006-01-02T15:04:05.000000Z").
func parseTime(s string) (time.Time, error) {
	if len(s) != len(timeFormat) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
		s[16] != ':' || s[19] != '.' || s[26] != 'Z' {
		return time.Parse(timeFormat, s)
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i] - '0'
			if c > 9 {
				return -1
			}
			n = n*10 + int(c)
		}
		return n
	}
	y, mo, d := num(s[0:4]), num(s[5:7]), num(s[8:10])
	h, mi, sec, us := num(s[11:13]), num(s[14:16]), num(s[17:19]), num(s[20:26])
	t := time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC)
	// time.Date normalises out-of-range fields; a stored time must not
	// need it.
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 || us < 0 || t.Day() != d {
		return time.Parse(timeFormat, s)
	}
	return t, nil
}

// LedgerNodes returns the nodes with the coordinates of ids, in the order
// asked; ENOTFOUND if one is not stored.
func (s *LedgerStore) LedgerNodes(ctx context.Context, ids []ward.LedgerNode) ([]ward.LedgerNode, error) {
	out := make([]ward.LedgerNode, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	type key struct {
		level uint
		idx   uint64
	}
	found := make(map[key][]byte, len(ids))
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	// Verify asks for every node over a chunk of leaves: per level, a dense
	// run of indices. One range scan per level costs far less than joining
	// against a VALUES list, which SQLite must prepare anew each time.
	byLevel := make(map[uint][]uint64)
	for _, id := range ids {
		if id.Level >= 64 || id.Index > math.MaxInt64 {
			continue // cannot be stored
		}
		byLevel[id.Level] = append(byLevel[id.Level], id.Index)
	}
	const per = 256
	args := make([]any, 0, 2*per)
	for level, idxs := range byLevel {
		lo, hi := slices.Min(idxs), slices.Max(idxs)
		if hi-lo < uint64(2*len(idxs)) {
			rows, err := tx.QueryContext(ctx, `SELECT idx, hash FROM ledger_nodes WHERE level = ? AND idx BETWEEN ? AND ?`, int64(level), int64(lo), int64(hi))
			if err != nil {
				return nil, fmt.Errorf("ledger nodes: %w", err)
			}
			for rows.Next() {
				var idx int64
				var hash []byte
				if err := rows.Scan(&idx, &hash); err != nil {
					rows.Close()
					return nil, fmt.Errorf("ledger nodes: %w", err)
				}
				found[key{level, uint64(idx)}] = hash
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, fmt.Errorf("ledger nodes: %w", err)
			}
			continue
		}
		// Sparse (a proof's few nodes): look them up by key.
		for i := 0; i < len(idxs); i += per {
			batch := idxs[i:min(i+per, len(idxs))]
			args = args[:0]
			for _, idx := range batch {
				args = append(args, int64(level), int64(idx))
			}
			q := `WITH q (level, idx) AS (VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?), ", len(batch)), ", ") + `)
			SELECT n.level, n.idx, n.hash FROM q JOIN ledger_nodes AS n ON n.level = q.level AND n.idx = q.idx`
			rows, err := tx.QueryContext(ctx, q, args...)
			if err != nil {
				return nil, fmt.Errorf("ledger nodes: %w", err)
			}
			for rows.Next() {
				var lv, idx int64
				var hash []byte
				if err := rows.Scan(&lv, &idx, &hash); err != nil {
					rows.Close()
					return nil, fmt.Errorf("ledger nodes: %w", err)
				}
				found[key{uint(lv), uint64(idx)}] = hash
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, fmt.Errorf("ledger nodes: %w", err)
			}
		}
	}
	for i, id := range ids {
		h, ok := found[key{id.Level, id.Index}]
		if !ok {
			return nil, ward.Errorf(ward.ENOTFOUND, "Ledger node (level %d, index %d) not found.", id.Level, id.Index)
		}
		out[i] = ward.LedgerNode{Level: id.Level, Index: id.Index, Hash: h}
	}
	return out, nil
}

// SaveCheckpoint stores c. Saving the same size again with the same root is
// a no-op (the first note is kept); with another root it is ECONFLICT.
// Returns EINVALID without a root or note. A zero CreatedAt is set to the
// store's clock. On success c's times are set as stored: UTC, microseconds.
func (s *LedgerStore) SaveCheckpoint(ctx context.Context, c *ward.LedgerCheckpoint) error {
	if err := checkCheckpoint(c); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	var root []byte
	err = tx.QueryRowContext(ctx, `SELECT root FROM ledger_checkpoints WHERE size = ?`, int64(c.Size)).Scan(&root)
	if err == nil {
		if !bytes.Equal(root, c.Root) {
			return ward.Errorf(ward.ECONFLICT, "A checkpoint of size %d with another root exists.", c.Size)
		}
		return nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("find checkpoint: %w", err)
	}
	cp := *c
	if cp.CreatedAt.IsZero() {
		cp.CreatedAt = tx.now
	}
	cp.CreatedAt, cp.LastEventAt = canon.Time(cp.CreatedAt), canon.Time(cp.LastEventAt)
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_checkpoints (size, root, note, created_at, last_event_at)
		VALUES (?, ?, ?, ?, ?)`, int64(cp.Size), cp.Root, cp.Note, formatTime(cp.CreatedAt), formatTime(cp.LastEventAt)); err != nil {
		return fmt.Errorf("insert checkpoint: %w", err)
	}
	if err := tx.commitUnwatched(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	*c = cp
	return nil
}

// checkCheckpoint returns EINVALID for a checkpoint that cannot be stored.
func checkCheckpoint(c *ward.LedgerCheckpoint) error {
	switch {
	case c == nil:
		return ward.Errorf(ward.EINVALID, "Checkpoint required.")
	case c.Size > math.MaxInt64:
		return ward.FieldErrorf("size", "Checkpoint size %d is out of range.", c.Size)
	case len(c.Root) == 0:
		return ward.FieldErrorf("root", "Checkpoint root required.")
	case len(c.Note) == 0:
		return ward.FieldErrorf("note", "Checkpoint note required.")
	}
	return nil
}

const checkpointCols = `size, root, note, created_at, last_event_at`

func scanCheckpoint(s scanner) (*ward.LedgerCheckpoint, error) {
	var c ward.LedgerCheckpoint
	var size int64
	if err := s.Scan(&size, &c.Root, &c.Note, timeDest{&c.CreatedAt}, timeDest{&c.LastEventAt}); err != nil {
		return nil, err
	}
	c.Size = uint64(size)
	return &c, nil
}

// LatestCheckpoint returns the checkpoint of the largest size, or
// ENOTFOUND when there is none.
func (s *LedgerStore) LatestCheckpoint(ctx context.Context) (*ward.LedgerCheckpoint, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := scanCheckpoint(tx.QueryRowContext(ctx, `SELECT `+checkpointCols+` FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ward.Errorf(ward.ENOTFOUND, "No checkpoint yet.")
	} else if err != nil {
		return nil, fmt.Errorf("latest checkpoint: %w", err)
	}
	return c, nil
}

// Checkpoints returns every checkpoint, smallest first.
func (s *LedgerStore) Checkpoints(ctx context.Context) ([]*ward.LedgerCheckpoint, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+checkpointCols+` FROM ledger_checkpoints ORDER BY size`)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	defer rows.Close()
	cs := make([]*ward.LedgerCheckpoint, 0)
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("checkpoints: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	return cs, nil
}

// FindLedger returns the leaves matching filter, oldest (lowest index)
// first, and their total count ignoring paging. Returns EINVALID for a bad
// page. From and To compare with the stored time, so they are truncated to
// microseconds.
func (s *LedgerStore) FindLedger(ctx context.Context, filter ward.LedgerFilter) ([]ward.LedgerLeaf, int, error) {
	page := filter.Page
	if err := page.Normalize(); err != nil {
		return nil, 0, err
	}
	var w where
	eq(&w, "patient_ref", filter.PatientRef)
	eq(&w, "worker_id", filter.WorkerID)
	eq(&w, "vendor_id", filter.VendorID)
	eq(&w, "action", filter.Action)
	if filter.From != nil {
		w.add("time >= ?", formatTime(*filter.From))
	}
	if filter.To != nil {
		w.add("time < ?", formatTime(*filter.To))
	}
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ledger_leaves`+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count ledger: %w", err)
	}
	if total == 0 || page.Offset >= total {
		return []ward.LedgerLeaf{}, total, nil
	}
	leaves, err := queryLeaves(ctx, tx, ` FROM ledger_leaves`+w.String()+` ORDER BY idx LIMIT ? OFFSET ?`,
		append(w.args, page.Limit, page.Offset), min(page.Limit, total-page.Offset))
	if err != nil {
		return nil, 0, fmt.Errorf("find ledger: %w", err)
	}
	return leaves, total, nil
}
