package postgres_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/postgres"
	"github.com/wardhq/ward/store/storetest"
)

// TestLedger_Replicas races appenders on two DBs (two ward replicas) over
// one schema: the advisory lock makes them take turns, and the size check
// after it turns a stale append into ECONFLICT.
func TestLedger_Replicas(t *testing.T) {
	skipWithoutDSN(t)
	t.Parallel()
	schemaDSN := MustCreateSchema(t)
	a, b := MustOpenSchema(t, schemaDSN), MustOpenSchema(t, schemaDSN)
	storetest.AppendConcurrently(t, []ward.LedgerStore{a.Ledger(), b.Ledger()}, 6, 8)
}

// TestLedger_ScanText checks that leaves read in text format, which
// scanLeaves cannot decode by hand, come back as in binary.
func TestLedger_ScanText(t *testing.T) {
	skipWithoutDSN(t)
	t.Parallel()
	db := MustOpenDB(t)
	leaves := storetest.LedgerLeaves(0, 50, "text")
	leaves[3].Data, leaves[3].Hash = []byte{}, []byte{0, 1, 0xff}
	if err := db.Ledger().AppendLedger(t.Context(), leaves, nil); err != nil {
		t.Fatal(err)
	}
	got, err := postgres.ReadLedgerText(db, t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	wantSameLeaves(t, got, readAll(t, db))
	if got[3].Data == nil {
		t.Fatal("empty Data read as nil, want empty")
	}
	for _, l := range got {
		if l.Time.Location() != time.UTC {
			t.Fatalf("leaf %d Time location=%v, want UTC", l.Index, l.Time.Location())
		}
	}
}

// TestLedger_Tamper runs the tampering SQL that LedgerStore documents and
// checks that each statement does what the documentation says.
func TestLedger_Tamper(t *testing.T) {
	skipWithoutDSN(t)
	t.Parallel()
	const n = 12
	setup := func(t *testing.T) (*postgres.DB, []ward.LedgerLeaf) {
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
		mustExec(t, db, `UPDATE ledger_leaves SET data = set_byte(data, 10, get_byte(data, 10) # 1) WHERE idx = 5;`)
		after := readAll(t, db)
		got, want := after[5].Data, before[5].Data
		if len(got) != len(want) || got[10] != want[10]^1 || !bytes.Equal(got[:10], want[:10]) || !bytes.Equal(got[11:], want[11:]) {
			t.Fatalf("data=%q, want %q with byte 10 flipped", got, want)
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
		mustExec(t, db, `UPDATE ledger_leaves AS l SET data = o.data FROM ledger_leaves AS o WHERE l.idx IN (3, 7) AND o.idx = 10 - l.idx;`)
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

func mustExec(t *testing.T, db *postgres.DB, sql string) {
	t.Helper()
	if err := postgres.Exec(db, t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func readAll(t *testing.T, db *postgres.DB) []ward.LedgerLeaf {
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

// BenchmarkAppendLedger measures durable appends (synchronous_commit=on)
// by batch size.
func BenchmarkAppendLedger(b *testing.B) {
	if *dsn == "" {
		b.Skip("set WARD_TEST_POSTGRES to run")
	}
	storetest.BenchAppendLedger(b, func(tb testing.TB) ward.LedgerStore { return MustOpenDB(tb).Ledger() })
}

// BenchmarkReadLedger measures reading 100,000 leaves in chunks of 10,000,
// as Verify does.
func BenchmarkReadLedger(b *testing.B) {
	if *dsn == "" {
		b.Skip("set WARD_TEST_POSTGRES to run")
	}
	storetest.BenchReadLedger(b, MustOpenDB(b).Ledger(), 100_000, 10_000)
}
