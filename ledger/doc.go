// Package ledger is ward's verifiable audit log: an append-only Merkle tree
// of audit events (RFC 6962 / RFC 9162 hashing) with signed checkpoints in
// the C2SP tlog-checkpoint format, inclusion and consistency proofs, and a
// verifier that recomputes everything from the stored data.
//
// Storage is a [ward.LedgerStore] (store/sqlite, store/postgres); this
// package owns the encoding, the tree, the signing and the checks, and
// imports no driver.
//
// # Entries
//
// Each entry (leaf) is the canonical encoding of a [ward.Event]: RFC 8785
// (JCS) JSON under the event's json tags, with the time in the fixed form
// [TimeLayout] (see [Encode]). Its leaf hash is SHA-256(0x00 || data).
// [Decode] accepts only canonical bytes, so that one event has exactly one
// encoding.
//
// # Tree
//
// Each append stores, in the same transaction as its leaves, the root of
// every perfect subtree the leaves complete, at level 1 and above
// ([ward.LedgerNode]; a leaf's own hash, level 0, is stored with the leaf).
// Any inclusion or consistency proof is then a few node lookups, plus at
// most one ephemeral node hashed from stored ones; the ledger's right edge
// (a compact range) is reloaded from O(log n) stored nodes.
//
// # Appending
//
// [Ledger] implements [ward.Auditor] with group commit: callers enqueue
// events and one sequencer goroutine appends everything queued, up to
// [Options].BatchSize, in one store transaction, then wakes every caller
// with its index. [Ledger.Audit] returns only after the store committed
// durably. When the store fails, the whole batch fails with EUNAVAILABLE
// and the next batch starts from a fresh read of the store, so the ledger
// recovers by itself. Several ward replicas may append to one PostgreSQL
// store: a stale replica gets ECONFLICT from the store, reloads the tree's
// right edge and renumbers its batch.
//
// # Checkpoints and keys
//
// A checkpoint is a signed note (https://c2sp.org/signed-note) whose text
// is
//
//	<origin>
//	<tree size, decimal>
//	<root hash, standard base64>
//
// signed with Ed25519 by the key in a file ([LoadOrCreateKey]); the
// verifier key ("name+hash+key", [PublicKeys]) is what auditors hold. A
// Ledger signs a checkpoint one [Options].CheckpointInterval (default one
// second) after the log grows, on [Ledger.Checkpoint], and on
// [Ledger.Close]. [RotateKey] replaces the key and keeps the old verifier
// key in a history file, so that [VerifierSet] still checks old
// checkpoints.
//
// # Proofs
//
// [InclusionProof] and [ConsistencyProof] return RFC 9162 proofs as lists
// of hashes, which JSON encodes as standard base64 strings. [Prove] returns
// a self-contained [Bundle] (entry, inclusion proof, signed checkpoint)
// that [CheckBundle] or any RFC 6962 verifier checks offline; its JSON form
// is documented on [Bundle].
//
// # Verification
//
// [Verify] streams the whole log and checks every leaf hash, every
// indexed column, every stored node and every checkpoint (signature, size
// and root), and names the first bad entry ([TamperError]) or checkpoint
// ([CheckpointError]); both wrap [ErrTampered]. What the store alone
// cannot show, a checkpoint kept elsewhere can: see
// [VerifyOptions].Checkpoints.
package ledger
