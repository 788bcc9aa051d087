package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.LedgerStore = (*LedgerStore)(nil)

// LedgerStore implements ward.LedgerStore on PostgreSQL.
//
// # Appends and replicas
//
// AppendLedger runs in one READ COMMITTED transaction that first takes the
// transaction-level advisory lock (ledgerLockKey,
// hashtext(current_schema())), then reads the size (max(idx) + 1, from the
// primary key). The lock makes appenders on every replica sharing the
// schema take turns, and since each statement in READ COMMITTED sees what
// was committed before it started, the size read after the lock includes
// the previous holder's append: a stale appender gets ECONFLICT and stores
// nothing. The lock is released at commit or rollback, so a replica that
// dies mid-append releases it with its connection. Leaves and nodes go in
// as arrays (INSERT ... SELECT FROM unnest), one statement each. The
// transaction sets synchronous_commit to on, so the commit returns only
// after its WAL is flushed (and, with synchronous standbys configured,
// confirmed by them), whatever the session or server default.
//
// # Times
//
// The time column (timestamptz) holds the event time truncated to
// microseconds, [canon.Time]: t.UTC().Truncate(time.Microsecond), returned
// in UTC. Verify compares it with the decoded event's time under the same
// rule. From and To filter on that column, truncated the same way.
//
// # Tampering, for tests
//
// End-to-end tests check that verification catches changes made by plain
// SQL, for example with psql. Indices are 0-based; K is a tree size.
//
// Flip the low bit of one byte (offset 10, 0-based) of leaf 5's data:
//
//	UPDATE ledger_leaves SET data = set_byte(data, 10, get_byte(data, 10) # 1) WHERE idx = 5;
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
// in place (the FROM side reads the rows as they were before the UPDATE):
//
//	UPDATE ledger_leaves AS l SET data = o.data FROM ledger_leaves AS o WHERE l.idx IN (3, 7) AND o.idx = 10 - l.idx;
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

// ledgerLockKey is the first half of the transaction-level advisory lock
// that serialises ledger appends; the second half is a hash of the current
// schema, as for migrationLockKey. Any other advisory lock ward takes must
// use another key.
const ledgerLockKey = 0x6c656467 // "ledg"

const ledgerLeafColumns = `idx, data, hash, time, action, subject, worker_id, vendor_id, patient_ref, decision`

// LedgerSize returns the number of leaves: the largest index plus one.
func (s *LedgerStore) LedgerSize(ctx context.Context) (uint64, error) {
	var size uint64
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		size, err = ledgerSize(ctx, tx)
		return err
	})
	return size, err
}

func ledgerSize(ctx context.Context, tx pgx.Tx) (uint64, error) {
	var last *int64
	if err := tx.QueryRow(ctx, `SELECT max(idx) FROM ledger_leaves`).Scan(&last); err != nil {
		return 0, fmt.Errorf("ledger size: %w", err)
	}
	if last == nil {
		return 0, nil
	}
	return uint64(*last) + 1, nil
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

// leafColumns holds leaves column by column, as unnest takes them.
type leafColumns struct {
	idx                                                       []int64
	data, hash                                                [][]byte
	time                                                      []time.Time
	action, subject, workerID, vendorID, patientRef, decision []string
}

func columnsOf(leaves []ward.LedgerLeaf) *leafColumns {
	n := len(leaves)
	c := &leafColumns{
		idx: make([]int64, n), data: make([][]byte, n), hash: make([][]byte, n), time: make([]time.Time, n),
		action: make([]string, n), subject: make([]string, n), workerID: make([]string, n),
		vendorID: make([]string, n), patientRef: make([]string, n), decision: make([]string, n),
	}
	for i := range leaves {
		l := &leaves[i]
		c.idx[i], c.data[i], c.hash[i], c.time[i] = int64(l.Index), blob(l.Data), blob(l.Hash), canon.Time(l.Time)
		c.action[i], c.subject[i], c.workerID[i] = l.Action, l.Subject, l.WorkerID
		c.vendorID[i], c.patientRef[i], c.decision[i] = l.VendorID, l.PatientRef, l.Decision
	}
	return c
}

// blob returns b, or an empty slice for nil, which pgx would send as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// AppendLedger appends leaves and nodes in one transaction. Returns
// ECONFLICT, storing nothing, unless leaves[0].Index is the current size
// and the indices are contiguous; EINVALID for nodes without leaves or out
// of range. A node already stored means the store is inconsistent (for
// example, leaves deleted behind ward's back): that is an internal error,
// not a conflict, since retrying cannot fix it. It returns after the
// commit is flushed to disk.
func (s *LedgerStore) AppendLedger(ctx context.Context, leaves []ward.LedgerLeaf, nodes []ward.LedgerNode) error {
	if err := checkAppend(leaves, nodes); err != nil || len(leaves) == 0 {
		return err
	}
	c := columnsOf(leaves)
	levels, nidx, nhash := make([]int16, len(nodes)), make([]int64, len(nodes)), make([][]byte, len(nodes))
	for i, n := range nodes {
		levels[i], nidx[i], nhash[i] = int16(n.Level), int64(n.Index), blob(n.Hash)
	}
	// The ledger is no watched table: commit without the change feed's check.
	return s.db.updateUnwatched(ctx, func(tx *Tx) error {
		// One round trip. Each statement sees what was committed before it
		// started, so the size is read after the lock is held.
		b := &pgx.Batch{}
		b.Queue(`SET LOCAL synchronous_commit TO on`)
		b.Queue(`SELECT pg_advisory_xact_lock($1, hashtext(COALESCE(current_schema(), '')))`, ledgerLockKey)
		b.Queue(`SELECT max(idx) FROM ledger_leaves`)
		br := tx.SendBatch(ctx, b)
		var last *int64
		_, err := br.Exec()
		if err == nil {
			_, err = br.Exec()
		}
		if err == nil {
			err = br.QueryRow().Scan(&last)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("lock ledger: %w", err)
		}
		size := uint64(0)
		if last != nil {
			size = uint64(*last) + 1
		}
		if leaves[0].Index != size {
			return ward.Errorf(ward.ECONFLICT, "The ledger has %d leaves; the append starts at %d.", size, leaves[0].Index)
		}

		b = &pgx.Batch{}
		b.Queue(`INSERT INTO ledger_leaves (`+ledgerLeafColumns+`)
			SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::timestamptz[],
				$5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])`,
			c.idx, c.data, c.hash, c.time, c.action, c.subject, c.workerID, c.vendorID, c.patientRef, c.decision)
		if len(nodes) > 0 {
			b.Queue(`INSERT INTO ledger_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
				levels, nidx, nhash)
		}
		br = tx.SendBatch(ctx, b)
		_, err = br.Exec()
		if err != nil {
			err = fmt.Errorf("insert ledger leaves: %w", err)
		} else if len(nodes) > 0 {
			if _, err = br.Exec(); err != nil {
				err = nodeError(err, size)
			}
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// nodeError describes a failed insert of nodes. A unique violation is not
// returned as such, which would read as ECONFLICT and make the ledger retry
// forever.
func nodeError(err error, size uint64) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("insert ledger nodes: a node exists past the ledger's size %d; the store is inconsistent: %s (%s)",
			size, pgErr.Message, pgErr.Detail)
	}
	return fmt.Errorf("insert ledger nodes: %w", err)
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
	var leaves []ward.LedgerLeaf
	err := s.db.view(ctx, func(tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+ledgerLeafColumns+` FROM ledger_leaves WHERE idx >= $1 ORDER BY idx LIMIT $2`,
			int64(start), count)
		if err != nil {
			return fmt.Errorf("read ledger: %w", err)
		}
		leaves, err = scanLeaves(rows, min(count, readPrealloc))
		if err != nil {
			return fmt.Errorf("read ledger: %w", err)
		}
		return nil
	})
	return leaves, err
}

// scanLeaves reads every row of rows, closing it. Rows in the binary format
// (pgx asks for it) are decoded by hand, which costs less than half of
// Scan: data and hash are copied into shared blocks, and the few distinct
// strings of a chunk are shared.
func scanLeaves(rows pgx.Rows, prealloc int) ([]ward.LedgerLeaf, error) {
	defer rows.Close()
	leaves := make([]ward.LedgerLeaf, 0, prealloc)
	raw := binaryLeafRows(rows.FieldDescriptions())
	var d leafDecoder
	var idx int64
	var t time.Time
	for rows.Next() {
		leaves = append(leaves, ward.LedgerLeaf{})
		l := &leaves[len(leaves)-1]
		if raw {
			if err := d.decode(rows.RawValues(), l); err != nil {
				return nil, err
			}
			continue
		}
		if err := rows.Scan(&idx, &l.Data, &l.Hash, &t, &l.Action, &l.Subject, &l.WorkerID, &l.VendorID,
			&l.PatientRef, &l.Decision); err != nil {
			return nil, err
		}
		l.Index, l.Time = uint64(idx), t.UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return leaves, nil
}

// leafOIDs are the types of the leaf columns, in ledgerLeafColumns order.
var leafOIDs = [...]uint32{pgtype.Int8OID, pgtype.ByteaOID, pgtype.ByteaOID, pgtype.TimestamptzOID,
	pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID}

// binaryLeafRows reports whether rows with fields fds can be decoded by
// leafDecoder: the leaf columns, in binary format but for text, whose two
// formats are the same bytes (pgx asks for text as text).
func binaryLeafRows(fds []pgconn.FieldDescription) bool {
	if len(fds) != len(leafOIDs) {
		return false
	}
	for i, fd := range fds {
		if fd.DataTypeOID != leafOIDs[i] || (fd.Format != pgtype.BinaryFormatCode && fd.DataTypeOID != pgtype.TextOID) {
			return false
		}
	}
	return true
}

// leafDecoder decodes binary leaf rows.
type leafDecoder struct {
	block   []byte
	strings map[string]string
}

// arenaBlock is the size of the blocks leafDecoder copies bytes into.
const arenaBlock = 256 << 10

// maxInterned bounds how many distinct strings a leafDecoder shares.
const maxInterned = 1 << 12

// pgEpoch is where PostgreSQL's binary timestamps count from, in
// microseconds since the Unix epoch.
const pgEpoch = 946_684_800_000_000

func (d *leafDecoder) decode(v [][]byte, l *ward.LedgerLeaf) error {
	if len(v) != len(leafOIDs) {
		return fmt.Errorf("leaf: %d columns, want %d", len(v), len(leafOIDs))
	}
	for i, b := range v {
		if b == nil {
			return fmt.Errorf("leaf column %d is NULL", i)
		}
	}
	if len(v[0]) != 8 || len(v[3]) != 8 {
		return errors.New("leaf: bad binary int8 or timestamptz")
	}
	idx := int64(binary.BigEndian.Uint64(v[0]))
	if idx < 0 {
		return fmt.Errorf("negative ledger index %d", idx)
	}
	us := int64(binary.BigEndian.Uint64(v[3]))
	if us > math.MaxInt64-pgEpoch || us < math.MinInt64+pgEpoch { // also ±infinity
		return fmt.Errorf("leaf %d: time out of range", idx)
	}
	l.Index, l.Time = uint64(idx), time.UnixMicro(us+pgEpoch).UTC()
	l.Data, l.Hash = d.bytes(v[1]), d.bytes(v[2])
	l.Action, l.Subject, l.WorkerID = d.string(v[4]), d.string(v[5]), d.string(v[6])
	l.VendorID, l.PatientRef, l.Decision = d.string(v[7]), d.string(v[8]), d.string(v[9])
	return nil
}

// bytes returns a copy of b in the current block. The copy's capacity is
// its length, so that a caller's append cannot overwrite its neighbour.
func (d *leafDecoder) bytes(b []byte) []byte {
	if cap(d.block)-len(d.block) < len(b) {
		d.block = make([]byte, 0, max(arenaBlock, len(b)))
	}
	n := len(d.block)
	d.block = append(d.block, b...)
	return d.block[n:len(d.block):len(d.block)]
}

// string returns b as a string, shared with earlier equal ones.
func (d *leafDecoder) string(b []byte) string {
	if s, ok := d.strings[string(b)]; ok { // the lookup does not allocate
		return s
	}
	s := string(b)
	if d.strings == nil {
		d.strings = make(map[string]string)
	}
	if len(d.strings) < maxInterned {
		d.strings[s] = s
	}
	return s
}

// LedgerNodes returns the nodes with the coordinates of ids, in the order
// asked; ENOTFOUND if one is not stored.
func (s *LedgerStore) LedgerNodes(ctx context.Context, ids []ward.LedgerNode) ([]ward.LedgerNode, error) {
	out := make([]ward.LedgerNode, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	levels, idx := make([]int16, 0, len(ids)), make([]int64, 0, len(ids))
	for _, id := range ids {
		if id.Level < 64 && id.Index <= math.MaxInt64 { // others cannot be stored
			levels, idx = append(levels, int16(id.Level)), append(idx, int64(id.Index))
		}
	}
	type key struct {
		level uint
		idx   uint64
	}
	found := make(map[key][]byte, len(ids))
	err := s.db.view(ctx, func(tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT n.level, n.idx, n.hash
			FROM unnest($1::smallint[], $2::bigint[]) AS q (level, idx)
			JOIN ledger_nodes AS n ON n.level = q.level AND n.idx = q.idx`, levels, idx)
		if err != nil {
			return fmt.Errorf("ledger nodes: %w", err)
		}
		defer rows.Close()
		var level int16
		var i int64
		var hash []byte
		_, err = pgx.ForEachRow(rows, []any{&level, &i, &hash}, func() error {
			found[key{uint(level), uint64(i)}] = hash
			hash = nil // the next row scans into a new slice
			return nil
		})
		if err != nil {
			return fmt.Errorf("ledger nodes: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
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
	cp := *c
	var inserted bool
	err := s.db.updateUnwatched(ctx, func(tx *Tx) error {
		cp.CreatedAt = c.CreatedAt
		if cp.CreatedAt.IsZero() {
			cp.CreatedAt = tx.now
		}
		cp.CreatedAt, cp.LastEventAt = canon.Time(cp.CreatedAt), canon.Time(c.LastEventAt)
		// ON CONFLICT makes replicas saving the same size at once agree
		// without an error.
		tag, err := tx.Exec(ctx, `INSERT INTO ledger_checkpoints (size, root, note, created_at, last_event_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (size) DO NOTHING`,
			int64(cp.Size), cp.Root, cp.Note, cp.CreatedAt, cp.LastEventAt)
		if err != nil {
			return fmt.Errorf("insert checkpoint: %w", err)
		}
		if inserted = tag.RowsAffected() == 1; inserted {
			return nil
		}
		var root []byte
		if err := tx.QueryRow(ctx, `SELECT root FROM ledger_checkpoints WHERE size = $1`, int64(cp.Size)).Scan(&root); err != nil {
			return fmt.Errorf("find checkpoint: %w", err)
		}
		if !bytes.Equal(root, cp.Root) {
			return ward.Errorf(ward.ECONFLICT, "A checkpoint of size %d with another root exists.", cp.Size)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if inserted {
		*c = cp
	}
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

const checkpointColumns = `size, root, note, created_at, last_event_at`

func scanCheckpoint(row pgx.Row) (*ward.LedgerCheckpoint, error) {
	var c ward.LedgerCheckpoint
	var size int64
	if err := row.Scan(&size, &c.Root, &c.Note, &c.CreatedAt, &c.LastEventAt); err != nil {
		return nil, err
	}
	c.Size = uint64(size)
	c.CreatedAt, c.LastEventAt = c.CreatedAt.UTC(), c.LastEventAt.UTC()
	return &c, nil
}

// LatestCheckpoint returns the checkpoint of the largest size, or
// ENOTFOUND when there is none.
func (s *LedgerStore) LatestCheckpoint(ctx context.Context) (*ward.LedgerCheckpoint, error) {
	var c *ward.LedgerCheckpoint
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		c, err = scanCheckpoint(tx.QueryRow(ctx, `SELECT `+checkpointColumns+` FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`))
		if notFound(err) {
			return ward.Errorf(ward.ENOTFOUND, "No checkpoint yet.")
		} else if err != nil {
			return fmt.Errorf("latest checkpoint: %w", err)
		}
		return nil
	})
	return c, err
}

// Checkpoints returns every checkpoint, smallest first.
func (s *LedgerStore) Checkpoints(ctx context.Context) ([]*ward.LedgerCheckpoint, error) {
	var cs []*ward.LedgerCheckpoint
	err := s.db.view(ctx, func(tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+checkpointColumns+` FROM ledger_checkpoints ORDER BY size`)
		if err != nil {
			return fmt.Errorf("checkpoints: %w", err)
		}
		defer rows.Close()
		cs = make([]*ward.LedgerCheckpoint, 0)
		for rows.Next() {
			c, err := scanCheckpoint(rows)
			if err != nil {
				return fmt.Errorf("checkpoints: %w", err)
			}
			cs = append(cs, c)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("checkpoints: %w", err)
		}
		return nil
	})
	return cs, err
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
	var q query
	eq(&q, "patient_ref", filter.PatientRef)
	eq(&q, "worker_id", filter.WorkerID)
	eq(&q, "vendor_id", filter.VendorID)
	eq(&q, "action", filter.Action)
	if filter.From != nil {
		q.cond("time >= %s", canon.Time(*filter.From))
	}
	if filter.To != nil {
		q.cond("time < %s", canon.Time(*filter.To))
	}
	var leaves []ward.LedgerLeaf
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM ledger_leaves`+q.clause(), q.args...).Scan(&total); err != nil {
			return fmt.Errorf("count ledger: %w", err)
		}
		if total == 0 || page.Offset >= total {
			leaves = []ward.LedgerLeaf{}
			return nil
		}
		args := append(q.args[:len(q.args):len(q.args)], page.Limit, page.Offset)
		n := len(q.args)
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT %s FROM ledger_leaves%s ORDER BY idx LIMIT $%d OFFSET $%d`,
			ledgerLeafColumns, q.clause(), n+1, n+2), args...)
		if err != nil {
			return fmt.Errorf("find ledger: %w", err)
		}
		if leaves, err = scanLeaves(rows, min(page.Limit, total-page.Offset)); err != nil {
			return fmt.Errorf("find ledger: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return leaves, total, nil
}
