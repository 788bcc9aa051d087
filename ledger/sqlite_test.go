package ledger_test

import (
	"context"
	"math/bits"
	"path/filepath"
	"sync"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/store/sqlite"
)

// TestSQLite runs the ledger on the real SQLite driver (a file, so that
// reads and the write connection are separate): concurrent appends with
// group commit, a reopen, checkpoints, proofs and Verify.
func TestSQLite(t *testing.T) {
	ctx := context.Background()
	db := sqlite.NewDB(filepath.Join(t.TempDir(), "ward.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := db.Ledger()
	signer, v := newKey(t)

	l, err := ledger.Open(ctx, store, signer, ledger.Options{Origin: testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for j := range 100 {
				if _, err := l.Audit(ctx, testEvent(w*100+j)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopen (a second replica would do the same) and go on.
	l = mustOpen(t, store, signer, ledger.Options{})
	appendN(t, l, 1600, 77)
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, store, v)
	if rep.Size != 1677 || rep.Latest.Size != 1677 || rep.Nodes != 1677-uint64(bits.OnesCount(1677)) {
		t.Fatalf("Verify=%+v", rep)
	}
	for _, index := range []uint64{0, 1, 1023, 1024, 1676} {
		p, err := ledger.InclusionProof(ctx, store, index, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ledger.ReadEntry(ctx, store, index)
		if err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, cp.Size, ledger.LeafHash(e.Leaf), p, cp.Root); err != nil {
			t.Fatalf("inclusion of %d: %v", index, err)
		}
		b, err := ledger.Prove(ctx, store, index)
		if err != nil {
			t.Fatal(err)
		}
		if err := ledger.CheckBundle(b, v); err != nil {
			t.Fatal(err)
		}
	}
	first, err := store.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, first[0].Size, cp.Size, mustConsistency(t, store, first[0].Size, cp.Size), first[0].Root, cp.Root); err != nil {
		t.Fatalf("consistency %d..%d: %v", first[0].Size, cp.Size, err)
	}
}

func mustConsistency(t *testing.T, store *sqlite.LedgerStore, from, to uint64) [][]byte {
	t.Helper()
	p, err := ledger.ConsistencyProof(context.Background(), store, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
