-- The audit ledger (see ward.LedgerStore and package ledger).
--
-- Rows are append-only: ward never updates or deletes them. Integrity does
-- not rest on that: package ledger recomputes every leaf hash and the tree
-- from data, and checks them against the signed checkpoints.

-- One row per event. idx is the leaf index, 0-based and contiguous; as an
-- INTEGER PRIMARY KEY it is the rowid, so the size (max(idx) + 1) and
-- ranges by index are B-tree seeks, and every index below carries idx.
--
-- data is the exact byte string hashed (the canonical event); hash is its
-- RFC 6962 leaf hash. The other columns copy fields of the event for
-- reports: time is the event time in UTC truncated to microseconds, in the
-- fixed-width text form of every stored time; the rest hold '' when the
-- event has no such field.
CREATE TABLE ledger_leaves (
	idx         INTEGER PRIMARY KEY CHECK (idx >= 0),
	data        BLOB NOT NULL,
	hash        BLOB NOT NULL,
	time        TEXT NOT NULL,
	action      TEXT NOT NULL,
	subject     TEXT NOT NULL,
	worker_id   TEXT NOT NULL,
	vendor_id   TEXT NOT NULL,
	patient_ref TEXT NOT NULL,
	decision    TEXT NOT NULL
) STRICT;

-- Each index ends in the rowid (idx), so (patient_ref) serves
-- "patient_ref = ? ORDER BY idx" without a sort.
CREATE INDEX ledger_leaves_patient_ref ON ledger_leaves (patient_ref);
CREATE INDEX ledger_leaves_worker_id ON ledger_leaves (worker_id);
CREATE INDEX ledger_leaves_vendor_id ON ledger_leaves (vendor_id);
CREATE INDEX ledger_leaves_time ON ledger_leaves (time);

-- Internal nodes of the Merkle tree: the hash of the perfect subtree at
-- level (0 = leaves) and position idx in that level, which covers leaves
-- [idx << level, (idx + 1) << level).
CREATE TABLE ledger_nodes (
	level INTEGER NOT NULL CHECK (level >= 0 AND level < 64),
	idx   INTEGER NOT NULL CHECK (idx >= 0),
	hash  BLOB NOT NULL,
	PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

-- Signed checkpoints, one per tree size. note is the signed note text as
-- signed; created_at is when ward signed it, last_event_at the time of the
-- newest event it covers (UTC, microseconds).
CREATE TABLE ledger_checkpoints (
	size          INTEGER PRIMARY KEY CHECK (size >= 0),
	root          BLOB NOT NULL,
	note          BLOB NOT NULL,
	created_at    TEXT NOT NULL,
	last_event_at TEXT NOT NULL
) STRICT;
