-- The audit ledger (see ward.LedgerStore and package ledger).
--
-- Rows are append-only: ward never updates or deletes them. Integrity does
-- not rest on that: package ledger recomputes every leaf hash and the tree
-- from data, and checks them against the signed checkpoints.

-- One row per event. idx is the leaf index, 0-based and contiguous; the
-- size is max(idx) + 1, read from the primary key.
--
-- data is the exact byte string hashed (the canonical event); hash is its
-- RFC 6962 leaf hash. The other columns copy fields of the event for
-- reports: time is the event time truncated to microseconds; the rest hold
-- '' when the event has no such field.
CREATE TABLE ledger_leaves (
	idx         bigint PRIMARY KEY CHECK (idx >= 0),
	data        bytea NOT NULL,
	hash        bytea NOT NULL,
	time        timestamptz NOT NULL,
	action      text NOT NULL,
	subject     text NOT NULL,
	worker_id   text NOT NULL,
	vendor_id   text NOT NULL,
	patient_ref text NOT NULL,
	decision    text NOT NULL
);
CREATE INDEX ledger_leaves_patient_ref_idx ON ledger_leaves (patient_ref, idx);
CREATE INDEX ledger_leaves_worker_id_idx ON ledger_leaves (worker_id, idx);
CREATE INDEX ledger_leaves_vendor_id_idx ON ledger_leaves (vendor_id, idx);
CREATE INDEX ledger_leaves_time_idx ON ledger_leaves (time);

-- Internal nodes of the Merkle tree: the hash of the perfect subtree at
-- level (0 = leaves) and position idx in that level, which covers leaves
-- [idx << level, (idx + 1) << level).
CREATE TABLE ledger_nodes (
	level smallint NOT NULL CHECK (level >= 0 AND level < 64),
	idx   bigint NOT NULL CHECK (idx >= 0),
	hash  bytea NOT NULL,
	PRIMARY KEY (level, idx)
);

-- Signed checkpoints, one per tree size. note is the signed note text as
-- signed; created_at is when ward signed it, last_event_at the time of the
-- newest event it covers.
CREATE TABLE ledger_checkpoints (
	size          bigint PRIMARY KEY CHECK (size >= 0),
	root          bytea NOT NULL,
	note          bytea NOT NULL,
	created_at    timestamptz NOT NULL,
	last_event_at timestamptz NOT NULL
);
