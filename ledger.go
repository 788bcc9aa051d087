package ward

import (
	"context"
	"time"
)

// LedgerLeaf is one stored entry of the audit ledger.
type LedgerLeaf struct {
	Index uint64
	// Data is the exact byte string that was hashed: the canonical
	// encoding of an Event.
	Data []byte
	// Hash is the RFC 6962 leaf hash, SHA-256(0x00 || Data).
	Hash []byte
	// Indexed copies of the event's fields, for reports. They are not part
	// of the hash; Verify checks that they equal the event's (times at the
	// stores' microsecond precision), so reports built on them cannot be
	// falsified unnoticed.
	Time       time.Time
	Action     string
	Subject    string
	WorkerID   string
	VendorID   string
	PatientRef string
	Decision   string
}

// LedgerNode is a stored internal hash of the Merkle tree: the root of the
// perfect subtree at Level (0 = leaves) and Index (position in the level).
type LedgerNode struct {
	Level uint
	Index uint64
	Hash  []byte
}

// LedgerCheckpoint is a signed checkpoint as stored.
type LedgerCheckpoint struct {
	Size uint64
	Root []byte
	// Note is the signed note text (C2SP tlog-checkpoint), exactly as
	// signed.
	Note []byte
	// CreatedAt is when ward signed it; LastEventAt is the time of the
	// newest event it covers. A checkpoint carries no time of its own.
	CreatedAt   time.Time
	LastEventAt time.Time
}

// LedgerFilter selects ledger entries for reports. Zero fields match all.
type LedgerFilter struct {
	PatientRef *string
	WorkerID   *string
	VendorID   *string
	Action     *string
	From, To   *time.Time // inclusive, exclusive
	Page
}

// LedgerStore persists the audit ledger. Both store drivers implement it;
// the ledger package owns the tree logic and the signing.
type LedgerStore interface {
	// LedgerSize returns the number of leaves.
	LedgerSize(ctx context.Context) (uint64, error)
	// AppendLedger appends leaves and their new internal nodes in one
	// transaction. leaves[0].Index MUST equal the current size, or it
	// returns ECONFLICT and stores nothing. It MUST NOT return until the
	// transaction is committed and durable (fsynced). Only one appender
	// at a time succeeds; with several replicas the driver serialises
	// them (see docs/operations.md).
	AppendLedger(ctx context.Context, leaves []LedgerLeaf, nodes []LedgerNode) error
	// ReadLedger returns up to count leaves starting at index start, in
	// order. Fewer are returned at the end of the log.
	ReadLedger(ctx context.Context, start uint64, count int) ([]LedgerLeaf, error)
	// LedgerNodes returns the stored nodes with the given coordinates, in
	// the order asked; ENOTFOUND if one is missing.
	LedgerNodes(ctx context.Context, ids []LedgerNode) ([]LedgerNode, error)
	// SaveCheckpoint stores a signed checkpoint. Saving one of the same
	// size again is a no-op.
	SaveCheckpoint(ctx context.Context, c *LedgerCheckpoint) error
	// LatestCheckpoint returns the largest checkpoint, or ENOTFOUND.
	LatestCheckpoint(ctx context.Context) (*LedgerCheckpoint, error)
	// Checkpoints returns every stored checkpoint, smallest first.
	Checkpoints(ctx context.Context) ([]*LedgerCheckpoint, error)
	// FindLedger returns leaves matching the filter, oldest first, and
	// the total count ignoring paging.
	FindLedger(ctx context.Context, filter LedgerFilter) ([]LedgerLeaf, int, error)
}
