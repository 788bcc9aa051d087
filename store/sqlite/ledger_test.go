package sqlite_test

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/sqlite"
	"github.com/wardhq/ward/store/storetest"
)

// TestLedger_TwoHandles races appenders on two DBs over one file, as two
// ward processes would: SQLite's write lock serialises them, and the size
// check inside the IMMEDIATE transaction turns a stale append into
// ECONFLICT.
func TestLedger_TwoHandles(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "ward.db")
	a, b := MustOpenDBDSN(t, dsn), MustOpenDBDSN(t, dsn)
	storetest.AppendConcurrently(t, []ward.LedgerStore{a.Ledger(), b.Ledger()}, 6, 8)
}

// TestLedger_Tamper runs the tampering SQL that LedgerStore documents and
// checks that each statement does what the documentation says.
func TestLedger_Tamper(t *testing.T) {
	const n = 12
	setup := func(t *testing.T) (*sqlite.DB, []ward.LedgerLeaf) {
		db := MustOpenDB(t)
		s := db.Ledger()
		leaves := storetest.LedgerLeaves(0, n, "tamper")
		if err := s.AppendLedger(t.Context(), leaves, storetest.LedgerNodesFor(0, n)); err != nil {
			t.Fatal(err)
		}
		for _, size := range []uint64{4, 8, n} {
			if err := s.SaveCheckpoint(t.Context(), &ward.LedgerCheckpoint{Size: size, Root: []byte{byte(size)}, Note: []byte("note")}); err != nil {
				t.Fatal(err)
			}
		}
		return db, readAll(t, db)
	}

	t.Run("FlipByte", func(t *testing.T) {
		db, before := setup(t)
		mustExec(t, db, `UPDATE ledger_leaves SET data = CAST(substr(data, 1, 10)
			|| CASE substr(data, 11, 1) WHEN X'41' THEN X'42' ELSE X'41' END
			|| substr(data, 12) AS BLOB) WHERE idx = 5;`)
		after := readAll(t, db)
		got, want := after[5].Data, before[5].Data
		if len(got) != len(want) || got[10] == want[10] || !bytes.Equal(got[:10], want[:10]) || !bytes.Equal(got[11:], want[11:]) {
			t.Fatalf("data=%q, want %q with byte 10 changed", got, want)
		}
		after[5].Data = want
		wantSameLeaves(t, after, before)
	})

	t.Run("Delete", func(t *testing.T) {
		db, before := setup(t)
		mustExec(t, db, `DELETE FROM ledger_leaves WHERE idx = 5;`)
		wantSameLeaves(t, readAll(t, db), slices.Delete(before, 5, 6))
	})

	t.Run("Insert", func(t *testing.T) {
		db, before := setup(t)
		mustExec(t, db, `UPDATE ledger_leaves SET idx = idx + 1000000000 WHERE idx >= 5;
			UPDATE ledger_leaves SET idx = idx - 1000000000 + 1 WHERE idx >= 1000000000;
			INSERT INTO ledger_leaves (idx, data, hash, time, action, subject, worker_id, vendor_id, patient_ref, decision)
				SELECT 5, data, hash, time, action, subject, worker_id, vendor_id, patient_ref, decision
				FROM ledger_leaves WHERE idx = 4;`)
		want := slices.Insert(slices.Clone(before), 5, before[4])
		for i := 5; i < len(want); i++ {
			want[i].Index = uint64(i)
		}
		wantSameLeaves(t, readAll(t, db), want)
	})

	t.Run("SwapRows", func(t *testing.T) {
		db, before := setup(t)
		mustExec(t, db, `UPDATE ledger_leaves SET idx = idx + 1000000000 WHERE idx IN (3, 7);
			UPDATE ledger_leaves SET idx = CASE idx WHEN 1000000003 THEN 7 ELSE 3 END WHERE idx >= 1000000000;`)
		want := slices.Clone(before)
		want[3], want[7] = before[7], before[3]
		want[3].Index, want[7].Index = 3, 7
		wantSameLeaves(t, readAll(t, db), want)
	})

	t.Run("SwapData", func(t *testing.T) {
		db, before := setup(t)
		mustExec(t, db, `CREATE TEMP TABLE swap AS SELECT idx, data FROM ledger_leaves WHERE idx IN (3, 7);
			UPDATE ledger_leaves SET data = (SELECT data FROM swap WHERE swap.idx = 10 - ledger_leaves.idx) WHERE idx IN (3, 7);
			DROP TABLE swap;`)
		want := slices.Clone(before)
		want[3].Data, want[7].Data = before[7].Data, before[3].Data
		wantSameLeaves(t, readAll(t, db), want)
	})

	t.Run("TruncateAndAppend", func(t *testing.T) {
		db, before := setup(t)
		mustExec(t, db, `DELETE FROM ledger_leaves WHERE idx >= 6;
			DELETE FROM ledger_nodes WHERE ((idx + 1) << level) > 6;
			DELETE FROM ledger_checkpoints WHERE size > 6;`)
		s := db.Ledger()
		if _, err := s.LedgerNodes(t.Context(), storetest.LedgerNodesFor(0, 6)); err != nil {
			t.Fatalf("nodes of the first 6 leaves: %v", err)
		}
		if cs, err := s.Checkpoints(t.Context()); err != nil {
			t.Fatal(err)
		} else if len(cs) != 1 || cs[0].Size != 4 {
			t.Fatalf("checkpoints=%v, want size 4 only", cs)
		}
		again := storetest.LedgerLeaves(6, 3, "again")
		if err := s.AppendLedger(t.Context(), again, storetest.LedgerNodesFor(6, 9)); err != nil {
			t.Fatal(err)
		}
		got := readAll(t, db)
		wantSameLeaves(t, got[:6], before[:6])
		if len(got) != 9 || !bytes.Equal(got[6].Data, again[0].Data) {
			t.Fatalf("after re-append: %d leaves, leaf 6 %q", len(got), got[6].Data)
		}
	})

	// Leaves deleted without their nodes: the next append collides with a
	// stored node, an internal error rather than a conflict to retry.
	t.Run("TruncateLeavesOnly", func(t *testing.T) {
		db, _ := setup(t)
		mustExec(t, db, `DELETE FROM ledger_leaves WHERE idx >= 6;`)
		err := db.Ledger().AppendLedger(t.Context(), storetest.LedgerLeaves(6, 3, "again"), storetest.LedgerNodesFor(6, 9))
		if got := ward.ErrorCode(err); got != ward.EINTERNAL {
			t.Fatalf("ErrorCode=%q, want %q (err=%v)", got, ward.EINTERNAL, err)
		}
		if size, err := db.Ledger().LedgerSize(t.Context()); err != nil || size != 6 {
			t.Fatalf("LedgerSize=%d, %v; want 6", size, err)
		}
	})
}

func mustExec(t *testing.T, db *sqlite.DB, sql string) {
	t.Helper()
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, db *sqlite.DB) []ward.LedgerLeaf {
	t.Helper()
	leaves, err := db.Ledger().ReadLedger(t.Context(), 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return leaves
}

// wantSameLeaves compares leaves by index and content.
func wantSameLeaves(t *testing.T, got, want []ward.LedgerLeaf) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d leaves, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Index != w.Index || !bytes.Equal(g.Data, w.Data) || !bytes.Equal(g.Hash, w.Hash) || !g.Time.Equal(w.Time) ||
			g.Action != w.Action || g.Subject != w.Subject || g.WorkerID != w.WorkerID || g.VendorID != w.VendorID ||
			g.PatientRef != w.PatientRef || g.Decision != w.Decision {
			t.Fatalf("leaf %d=%+v, want %+v", i, g, w)
		}
	}
}

// BenchmarkAppendLedger measures durable appends to a file database
// (WAL, synchronous=FULL) by batch size.
func BenchmarkAppendLedger(b *testing.B) {
	storetest.BenchAppendLedger(b, func(tb testing.TB) ward.LedgerStore { return MustOpenDB(tb).Ledger() })
}

// BenchmarkReadLedger measures reading 100,000 leaves from a file
// database in chunks of 10,000, as Verify does.
func BenchmarkReadLedger(b *testing.B) {
	storetest.BenchReadLedger(b, MustOpenDB(b).Ledger(), 100_000, 10_000)
}
