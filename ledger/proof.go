package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/wardhq/ward"
	"golang.org/x/mod/sumdb/note"
)

// InclusionProof returns the RFC 6962 / RFC 9162 inclusion proof of entry
// index in the tree of the given size: the sibling hashes from the leaf up
// to the root, as proof.VerifyInclusion takes them. It reads a few stored
// nodes (and at most a few leaves), never the whole log.
//
// It returns EINVALID unless index < size, and ENOTFOUND if the log is
// smaller than size.
func InclusionProof(ctx context.Context, store ward.LedgerStore, index, size uint64) ([][]byte, error) {
	if index >= size {
		return nil, ward.Errorf(ward.EINVALID, "Index %d is not below tree size %d.", index, size)
	}
	if err := checkSize(ctx, store, size); err != nil {
		return nil, err
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, ward.Errorf(ward.EINVALID, "Index %d is not below tree size %d.", index, size)
	}
	return rehash(ctx, store, nodes)
}

// ConsistencyProof returns the RFC 6962 / RFC 9162 consistency proof
// between the trees of sizes from and to, as proof.VerifyConsistency takes
// it. It is empty when from is 0 or equal to to.
//
// It returns EINVALID unless from <= to, and ENOTFOUND if the log is
// smaller than to.
func ConsistencyProof(ctx context.Context, store ward.LedgerStore, from, to uint64) ([][]byte, error) {
	if from > to {
		return nil, ward.Errorf(ward.EINVALID, "Tree size %d is larger than %d.", from, to)
	}
	if err := checkSize(ctx, store, to); err != nil {
		return nil, err
	}
	nodes, err := proof.Consistency(from, to)
	if err != nil {
		return nil, ward.Errorf(ward.EINVALID, "Tree size %d is larger than %d.", from, to)
	}
	return rehash(ctx, store, nodes)
}

func checkSize(ctx context.Context, store ward.LedgerStore, size uint64) error {
	n, err := store.LedgerSize(ctx)
	if err != nil {
		return fmt.Errorf("ledger size: %w", err)
	}
	if size > n {
		return ward.Errorf(ward.ENOTFOUND, "The ledger has %d entries, fewer than %d.", n, size)
	}
	return nil
}

// rehash fetches the nodes a proof needs and folds those that make up its
// ephemeral node.
func rehash(ctx context.Context, store ward.LedgerStore, nodes proof.Nodes) ([][]byte, error) {
	hashes, err := nodeHashes(ctx, store, nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, hashChildren)
}

// Entry is one ledger entry as served to clients: the exact bytes that
// were hashed and the event they encode.
type Entry struct {
	// Leaf is the canonical encoding of the event; its RFC 6962 leaf hash
	// is SHA-256(0x00 || Leaf). In JSON: standard base64.
	Leaf []byte `json:"leaf"`
	// Event is Leaf decoded, for reading; Leaf is what is proven.
	Event *ward.Event `json:"event"`
}

// ReadEntry returns entry index. It returns ENOTFOUND if there is no such
// entry, and an error wrapping ErrTampered if its data does not match its
// leaf hash or is not an event.
func ReadEntry(ctx context.Context, store ward.LedgerStore, index uint64) (*Entry, error) {
	leaves, err := store.ReadLedger(ctx, index, 1)
	if err != nil {
		return nil, fmt.Errorf("read entry %d: %w", index, err)
	}
	if len(leaves) == 0 || leaves[0].Index != index {
		return nil, ward.Errorf(ward.ENOTFOUND, "Ledger entry %d not found.", index)
	}
	leaf := leaves[0]
	if !bytes.Equal(LeafHash(leaf.Data), leaf.Hash) {
		return nil, &TamperError{Index: index, Last: index, Reason: "leaf hash does not match its data"}
	}
	e, err := Decode(leaf.Data)
	if err != nil {
		return nil, &TamperError{Index: index, Last: index, Reason: fmt.Sprintf("data is not a ward event: %v", err)}
	}
	return &Entry{Leaf: leaf.Data, Event: e}, nil
}

// Bundle is a self-contained proof that an entry is in the ledger: the
// entry, its inclusion proof in the tree of the checkpoint's size, and the
// signed checkpoint. An auditor checks it with CheckBundle and a verifier
// key, or with any RFC 6962 verifier and a signed-note library.
//
// JSON form (byte strings in standard base64, with padding):
//
//	{
//	  "entry": {
//	    "leaf":  "eyJhY3Rpb24iOiJmaGlyLnJlYWQiLC4uLn0=",  // the exact bytes hashed
//	    "event": {"time": "...", "action": "fhir.read", ...} // leaf decoded, informative
//	  },
//	  "index": 1234,                                       // leaf index, 0-based
//	  "size": 5000,                                        // tree size of the checkpoint
//	  "inclusion_proof": ["3q2+7w...=", "..."],            // sibling hashes, leaf to root
//	  "checkpoint": "ward.example/ledger\n5000\nq83vEj...=\n\n— ward.example/ledger AbCd...=\n"
//	}
//
// To check it by hand: leaf hash = SHA-256(0x00 || leaf); verify the
// inclusion proof of (index, size, leaf hash) against the root on the
// third line of the checkpoint body, as RFC 9162 section 2.1.3.2
// describes; verify the checkpoint's Ed25519 signature as a C2SP signed
// note (https://c2sp.org/signed-note) with the ledger's verifier key
// ("name+hash+key", from `ward audit pubkey`); check that its size line
// equals "size".
type Bundle struct {
	Entry          Entry    `json:"entry"`
	Index          uint64   `json:"index"`
	Size           uint64   `json:"size"`
	InclusionProof [][]byte `json:"inclusion_proof"`
	Checkpoint     string   `json:"checkpoint"`
}

// Prove returns the proof bundle of entry index against the latest stored
// checkpoint. It returns ENOTFOUND if there is no such entry or no
// checkpoint, EUNPROCESSABLE if the latest checkpoint does not cover the
// entry yet (one is signed within a second of an append), and an error
// wrapping ErrTampered if the store's data does not prove against the
// checkpoint.
func Prove(ctx context.Context, store ward.LedgerStore, index uint64) (*Bundle, error) {
	cp, err := store.LatestCheckpoint(ctx)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return nil, ward.Errorf(ward.ENOTFOUND, "The ledger has no signed checkpoint yet.")
	} else if err != nil {
		return nil, fmt.Errorf("latest checkpoint: %w", err)
	}
	entry, err := ReadEntry(ctx, store, index)
	if err != nil {
		return nil, err
	}
	if index >= cp.Size {
		return nil, ward.Errorf(ward.EUNPROCESSABLE, "Ledger entry %d is not covered by a signed checkpoint yet; try again in a few seconds.", index)
	}
	p, err := InclusionProof(ctx, store, index, cp.Size)
	if err != nil {
		return nil, err
	}
	if err := proof.VerifyInclusion(hasher, index, cp.Size, LeafHash(entry.Leaf), p, cp.Root); err != nil {
		return nil, &TamperError{Index: index, Last: index, Reason: fmt.Sprintf("does not prove against the checkpoint of size %d: %v", cp.Size, err)}
	}
	return &Bundle{
		Entry:          *entry,
		Index:          index,
		Size:           cp.Size,
		InclusionProof: p,
		Checkpoint:     string(cp.Note),
	}, nil
}

// CheckBundle verifies b offline: the checkpoint's signature with
// verifiers, that the checkpoint's size is b.Size, that the inclusion
// proof takes the leaf's hash to the checkpoint's root, and that the event
// shown is the leaf's. It needs no access to the ledger.
func CheckBundle(b *Bundle, verifiers note.Verifiers) error {
	if b == nil {
		return errors.New("bundle: empty")
	}
	c, err := OpenCheckpoint([]byte(b.Checkpoint), verifiers)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if c.Size != b.Size {
		return fmt.Errorf("bundle: size %d, but the checkpoint's size is %d", b.Size, c.Size)
	}
	if err := proof.VerifyInclusion(hasher, b.Index, b.Size, LeafHash(b.Entry.Leaf), b.InclusionProof, c.Root); err != nil {
		return fmt.Errorf("bundle: entry %d is not in the checkpointed tree: %w", b.Index, err)
	}
	if b.Entry.Event != nil {
		enc, err := Encode(b.Entry.Event)
		if err != nil || !bytes.Equal(enc, b.Entry.Leaf) {
			return errors.New("bundle: the event shown is not the leaf's")
		}
	}
	return nil
}
