package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/wardhq/ward"
)

// hasher is the RFC 6962 hasher; the functions below compute the same
// hashes without its per-call allocations.
var hasher = rfc6962.DefaultHasher

// factory builds every compact range of this package. Ranges can only be
// merged when they share a factory, so there is one.
var factory = &compact.RangeFactory{Hash: hashChildren}

// LeafHash returns the RFC 6962 leaf hash of data: SHA-256(0x00 || data).
func LeafHash(data []byte) []byte {
	h := sha256.New()
	h.Write([]byte{rfc6962.RFC6962LeafHashPrefix})
	h.Write(data)
	return h.Sum(make([]byte, 0, sha256.Size))
}

// hashChildren returns the RFC 6962 interior node hash
// SHA-256(0x01 || left || right).
func hashChildren(left, right []byte) []byte {
	var b [1 + 2*sha256.Size]byte
	b[0] = rfc6962.RFC6962NodeHashPrefix
	copy(b[1:], left)
	copy(b[1+sha256.Size:], right)
	h := sha256.Sum256(b[:])
	return h[:]
}

// emptyRoot is the root hash of the empty tree, SHA-256 of nothing.
var emptyRoot = hasher.EmptyRoot()

// rootOf returns the root hash of the tree that r (starting at 0) covers.
func rootOf(r *compact.Range) []byte {
	root, err := r.GetRootHash(nil)
	if err != nil || root == nil {
		return emptyRoot
	}
	return root
}

// newLeaf encodes e and returns its leaf with Data, Hash and the indexed
// columns set; Index is left for the sequencer.
func newLeaf(e *ward.Event) (ward.LedgerLeaf, error) {
	// Encode after a 0x00 byte so the leaf hash needs no copy: the buffer
	// is the hash input, and Data is the buffer without its first byte.
	buf, err := appendEvent(append(make([]byte, 0, 512), rfc6962.RFC6962LeafHashPrefix), e)
	if err != nil {
		return ward.LedgerLeaf{}, err
	}
	h := sha256.Sum256(buf)
	return ward.LedgerLeaf{
		Data:       buf[1:len(buf):len(buf)],
		Hash:       h[:],
		Time:       e.Time.UTC(),
		Action:     e.Action,
		Subject:    e.Actor.Subject,
		WorkerID:   e.Actor.WorkerID,
		VendorID:   e.Actor.VendorID,
		PatientRef: e.Target.PatientRef,
		Decision:   e.Outcome.Decision,
	}, nil
}

// nodeHashes returns the stored hashes of the perfect subtrees ids, in
// order. Leaf hashes (level 0) come from the leaves, because the ledger
// stores nodes of level 1 and above only; the others come from one
// LedgerNodes call.
func nodeHashes(ctx context.Context, store ward.LedgerStore, ids []compact.NodeID) ([][]byte, error) {
	hashes := make([][]byte, len(ids))
	var want []ward.LedgerNode
	var pos []int
	for i, id := range ids {
		if id.Level == 0 {
			leaves, err := store.ReadLedger(ctx, id.Index, 1)
			if err != nil {
				return nil, fmt.Errorf("read entry %d: %w", id.Index, err)
			}
			if len(leaves) != 1 || leaves[0].Index != id.Index {
				return nil, fmt.Errorf("read entry %d: %w", id.Index, ErrTampered)
			}
			hashes[i] = leaves[0].Hash
			continue
		}
		want = append(want, ward.LedgerNode{Level: id.Level, Index: id.Index})
		pos = append(pos, i)
	}
	if len(want) > 0 {
		got, err := store.LedgerNodes(ctx, want)
		if err != nil {
			return nil, fmt.Errorf("read tree nodes: %w", err)
		}
		if len(got) != len(want) {
			return nil, fmt.Errorf("read tree nodes: got %d, want %d", len(got), len(want))
		}
		for j, n := range got {
			if n.Level != want[j].Level || n.Index != want[j].Index {
				return nil, fmt.Errorf("read tree nodes: got node %d/%d, want %d/%d", n.Level, n.Index, want[j].Level, want[j].Index)
			}
			hashes[pos[j]] = n.Hash
		}
	}
	for i, h := range hashes {
		if len(h) != sha256.Size {
			return nil, fmt.Errorf("tree node %d/%d: hash of %d bytes: %w", ids[i].Level, ids[i].Index, len(h), ErrTampered)
		}
		// Own copies: proofs go to callers, and a store may share memory.
		hashes[i] = bytes.Clone(h)
	}
	return hashes, nil
}

// loadRange returns the compact range [0, size) from the stored nodes.
func loadRange(ctx context.Context, store ward.LedgerStore, size uint64) (*compact.Range, error) {
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := nodeHashes(ctx, store, ids)
	if err != nil {
		return nil, err
	}
	return factory.NewRange(0, size, hashes)
}
