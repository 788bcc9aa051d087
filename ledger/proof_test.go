package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/ledger/internal/memstore"
)

// TestInclusionProof checks proofs for many (index, size) pairs with
// merkle's own verifier against roots computed by merkle's own code.
func TestInclusionProof(t *testing.T) {
	ctx := context.Background()
	const n = 300
	store, _, _ := build(t, n)
	leaves := store.Leaves()
	rnd := rand.New(rand.NewPCG(5, 6))
	for size := uint64(1); size <= n; size++ {
		root := rootOf(t, leaves[:size])
		indices := []uint64{0, size / 2, size - 1, rnd.Uint64N(size)}
		if size <= 40 {
			indices = indices[:0]
			for i := range size {
				indices = append(indices, i)
			}
		}
		for _, index := range indices {
			p, err := ledger.InclusionProof(ctx, store, index, size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", index, size, err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leaves[index].Hash, p, root); err != nil {
				t.Fatalf("VerifyInclusion(%d, %d): %v", index, size, err)
			}
		}
	}

	for _, test := range []struct {
		name        string
		index, size uint64
		code        string
	}{
		{"ErrIndexAtSize", 5, 5, ward.EINVALID},
		{"ErrIndexPastSize", 9, 5, ward.EINVALID},
		{"ErrEmptyTree", 0, 0, ward.EINVALID},
		{"ErrSizePastLog", 3, n + 1, ward.ENOTFOUND},
	} {
		t.Run(test.name, func(t *testing.T) {
			if _, err := ledger.InclusionProof(ctx, store, test.index, test.size); ward.ErrorCode(err) != test.code {
				t.Fatalf("InclusionProof=%v, want %s", err, test.code)
			}
		})
	}
}

func TestConsistencyProof(t *testing.T) {
	ctx := context.Background()
	const n = 130
	store, _, _ := build(t, n)
	leaves := store.Leaves()
	roots := make([][]byte, n+1)
	roots[0] = rfc6962.DefaultHasher.EmptyRoot()
	for size := 1; size <= n; size++ {
		roots[size] = rootOf(t, leaves[:size])
	}
	for to := uint64(0); to <= n; to++ {
		for from := uint64(0); from <= to; from++ {
			if to > 40 && from%7 != 0 && from != to-1 {
				continue
			}
			p, err := ledger.ConsistencyProof(ctx, store, from, to)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", from, to, err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, from, to, p, roots[from], roots[to]); err != nil {
				t.Fatalf("VerifyConsistency(%d, %d): %v", from, to, err)
			}
		}
	}
	if _, err := ledger.ConsistencyProof(ctx, store, 5, 4); ward.ErrorCode(err) != ward.EINVALID {
		t.Fatalf("ConsistencyProof(5, 4)=%v, want EINVALID", err)
	}
	if _, err := ledger.ConsistencyProof(ctx, store, 5, n+1); ward.ErrorCode(err) != ward.ENOTFOUND {
		t.Fatalf("ConsistencyProof past the log=%v, want ENOTFOUND", err)
	}
}

func TestProve(t *testing.T) {
	ctx := context.Background()
	store, _, v := build(t, 77, 40)

	t.Run("OK", func(t *testing.T) {
		for _, index := range []uint64{0, 1, 39, 40, 76} {
			b, err := ledger.Prove(ctx, store, index)
			if err != nil {
				t.Fatal(err)
			}
			if b.Size != 77 || b.Index != index {
				t.Fatalf("bundle index/size=%d/%d", b.Index, b.Size)
			}
			data, err := json.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			var got ledger.Bundle
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if err := ledger.CheckBundle(&got, v); err != nil {
				t.Fatalf("CheckBundle(%s): %v", data, err)
			}
			// And with merkle's verifier directly, from the JSON alone.
			c, err := ledger.OpenCheckpoint([]byte(got.Checkpoint), v)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, got.Index, got.Size, rfc6962.DefaultHasher.HashLeaf(got.Entry.Leaf), got.InclusionProof, c.Root); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("JSON", func(t *testing.T) {
		b, err := ledger.Prove(ctx, store, 3)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"entry", "index", "size", "inclusion_proof", "checkpoint"} {
			if _, ok := m[key]; !ok {
				t.Fatalf("bundle JSON lacks %q: %s", key, data)
			}
		}
		entry := m["entry"].(map[string]any)
		if _, ok := entry["leaf"].(string); !ok {
			t.Fatalf("entry.leaf is not a string: %s", data)
		}
		if _, ok := entry["event"].(map[string]any); !ok {
			t.Fatalf("entry.event is not an object: %s", data)
		}
	})

	for _, test := range []struct {
		name string
		edit func(b *ledger.Bundle)
	}{
		{"ErrLeaf", func(b *ledger.Bundle) {
			b.Entry.Leaf = bytes.Replace(b.Entry.Leaf, []byte("HOPERAT"), []byte("TREAT"), 1)
		}},
		{"ErrEvent", func(b *ledger.Bundle) { b.Entry.Event.Target.PatientRef = "Patient/other" }},
		{"ErrIndex", func(b *ledger.Bundle) { b.Index++ }},
		{"ErrSize", func(b *ledger.Bundle) { b.Size-- }},
		{"ErrProof", func(b *ledger.Bundle) { b.InclusionProof[0][0] ^= 1 }},
		{"ErrShortProof", func(b *ledger.Bundle) { b.InclusionProof = b.InclusionProof[1:] }},
		{"ErrCheckpointBody", func(b *ledger.Bundle) { b.Checkpoint = strings.Replace(b.Checkpoint, "\n77\n", "\n78\n", 1) }},
		{"ErrCheckpointKey", func(b *ledger.Bundle) {
			c, _ := ledger.ParseCheckpoint(b.Checkpoint[:strings.Index(b.Checkpoint, "\n\n")+1])
			b.Checkpoint = string(forgedCheckpoint(t, c.Size, c.Root).Note)
		}},
	} {
		t.Run(test.name, func(t *testing.T) {
			b, err := ledger.Prove(ctx, store, 10)
			if err != nil {
				t.Fatal(err)
			}
			test.edit(b)
			if err := ledger.CheckBundle(b, v); err == nil {
				t.Fatal("CheckBundle accepted a modified bundle")
			}
		})
	}

	t.Run("ErrNotCheckpointed", func(t *testing.T) {
		store, signer, _ := build(t, 5)
		l := mustOpen(t, store, signer, ledger.Options{})
		appendN(t, l, 5, 1)
		if _, err := ledger.Prove(ctx, store, 5); ward.ErrorCode(err) != ward.EUNPROCESSABLE {
			t.Fatalf("Prove=%v, want EUNPROCESSABLE", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := ledger.Prove(ctx, store, 1000); ward.ErrorCode(err) != ward.ENOTFOUND {
			t.Fatalf("Prove=%v, want ENOTFOUND", err)
		}
		if _, err := ledger.Prove(ctx, memstore.New(), 0); ward.ErrorCode(err) != ward.ENOTFOUND {
			t.Fatalf("Prove on an empty log=%v, want ENOTFOUND", err)
		}
	})
}

func TestReadEntry(t *testing.T) {
	ctx := context.Background()
	store, _, _ := build(t, 3)
	e, err := ledger.ReadEntry(ctx, store, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustEncode(t, testEvent(2)); !bytes.Equal(e.Leaf, want) {
		t.Fatalf("Leaf=%s, want %s", e.Leaf, want)
	}
	if _, err := ledger.ReadEntry(ctx, store, 3); ward.ErrorCode(err) != ward.ENOTFOUND {
		t.Fatalf("ReadEntry past the end=%v, want ENOTFOUND", err)
	}
}
