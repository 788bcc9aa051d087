package ledger_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/ledger/internal/memstore"
	"golang.org/x/mod/sumdb/note"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// build returns a store holding testEvent(0..n-1), with a checkpoint at
// each of sizes, and the signer and verifiers.
func build(tb testing.TB, n int, sizes ...int) (*memstore.Store, note.Signer, note.Verifiers) {
	tb.Helper()
	store := memstore.New()
	signer, v := newKey(tb)
	l, err := ledger.Open(context.Background(), store, signer, ledger.Options{Origin: testOrigin, CheckpointInterval: 1 << 62})
	if err != nil {
		tb.Fatal(err)
	}
	done := 0
	for _, size := range append(sizes, n) {
		appendN(tb, l, done, size-done)
		done = size
		if _, err := l.Checkpoint(context.Background()); err != nil {
			tb.Fatal(err)
		}
	}
	// Close would sign again; everything is signed already.
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	return store, signer, v
}

// rebuildNodes recomputes every node of level 1 and above over leaves'
// stored hashes, with merkle's own RFC 6962 hasher, as an attacker with
// the code but not the key could.
func rebuildNodes(tb testing.TB, leaves []ward.LedgerLeaf) []ward.LedgerNode {
	tb.Helper()
	f := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := f.NewEmptyRange(0)
	var nodes []ward.LedgerNode
	for _, l := range leaves {
		err := r.Append(l.Hash, func(id compact.NodeID, h []byte) {
			if id.Level > 0 {
				nodes = append(nodes, ward.LedgerNode{Level: id.Level, Index: id.Index, Hash: h})
			}
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return nodes
}

// rewrite replaces entry i's event with e, recomputing its hash, as an
// attacker would to pass the leaf hash check.
func rewrite(tb testing.TB, leaves []ward.LedgerLeaf, i int, e *ward.Event) {
	tb.Helper()
	data, err := ledger.Encode(e)
	if err != nil {
		tb.Fatal(err)
	}
	leaves[i].Data, leaves[i].Hash = data, ledger.LeafHash(data)
}

// forgedCheckpoint signs a checkpoint of size and root with a new key that
// has the ledger's key name.
func forgedCheckpoint(tb testing.TB, size uint64, root []byte) *ward.LedgerCheckpoint {
	tb.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, testOrigin)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	c := ledger.Checkpoint{Origin: testOrigin, Size: size, Root: root}
	msg, err := note.Sign(&note.Note{Text: c.Text()}, s)
	if err != nil {
		tb.Fatal(err)
	}
	return &ward.LedgerCheckpoint{Size: size, Root: root, Note: msg}
}

// TestVerifyTampering tampers with a 100-entry ledger, checkpointed at
// sizes 10, 50 and 100, in every way the issue lists, and checks that
// Verify names the first bad entry (or the range it can bound it to) or
// the bad checkpoint.
func TestVerifyTampering(t *testing.T) {
	ctx := context.Background()
	type want struct {
		index, last uint64 // a *TamperError for entries index..last
		checkpoint  uint64 // or, if set, a *CheckpointError of this size
		reason      string // part of the reason
	}
	for _, test := range []struct {
		name   string
		tamper func(t *testing.T, s *memstore.Store, signer note.Signer)
		want   want
	}{
		{"ModifiedDataByte", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			l[37].Data[10] ^= 0x01
			s.SetLeaves(l)
		}, want{index: 37, last: 37, reason: "leaf hash does not match its data"}},

		{"ModifiedHash", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			l[37].Hash[31] ^= 0x80
			s.SetLeaves(l)
		}, want{index: 37, last: 37, reason: "leaf hash does not match its data"}},

		// Data and hash rewritten consistently: the stored tree node over
		// entries 36 and 37 no longer matches.
		{"RewrittenEntry", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			e := testEvent(37)
			e.Purpose = "TREAT"
			rewrite(t, l, 37, e)
			s.SetLeaves(l)
		}, want{index: 36, last: 37, reason: "tree node (level 1, index 18) does not match"}},

		// Data, hash and every node rewritten: only the signed root at 50
		// disagrees, so the range is bounded by the checkpoints 10 and 50.
		{"RewrittenEntryAndTree", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			e := testEvent(37)
			e.Target.PatientRef = "Patient/someone-else" // hide who was read
			rewrite(t, l, 37, e)
			l[37].PatientRef = e.Target.PatientRef
			s.SetLeaves(l)
			s.SetNodes(rebuildNodes(t, l))
		}, want{index: 10, last: 49, reason: "does not have the root of the signed checkpoint"}},

		{"ModifiedPatientColumn", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			l[37].PatientRef = "Patient/someone-else"
			s.SetLeaves(l)
		}, want{index: 37, last: 37, reason: "stored patient_ref does not match the event"}},

		{"ModifiedTimeColumn", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			l[37].Time = l[37].Time.Add(-time.Hour)
			s.SetLeaves(l)
		}, want{index: 37, last: 37, reason: "stored time does not match the event"}},

		{"ModifiedWorkerColumn", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			l[37].WorkerID = "wrk_other"
			s.SetLeaves(l)
		}, want{index: 37, last: 37, reason: "stored worker_id does not match the event"}},

		{"DeletedEntry", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			s.SetLeaves(slices.Delete(s.Leaves(), 37, 38))
		}, want{index: 37, last: 37, reason: "missing (the store's next entry is 38)"}},

		{"DeletedAndRenumbered", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := slices.Delete(s.Leaves(), 37, 38)
			for i := 37; i < len(l); i++ {
				l[i].Index--
			}
			s.SetLeaves(l)
		}, want{index: 36, last: 37, reason: "tree node (level 1, index 18)"}},

		{"InsertedEntry", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			extra := l[36]
			l = slices.Insert(l, 37, extra)
			for i := 37; i < len(l); i++ {
				l[i].Index = uint64(i)
			}
			s.SetLeaves(l)
		}, want{index: 36, last: 37, reason: "tree node (level 1, index 18)"}},

		// Two forged entries after the last checkpoint: the node over them
		// is missing. (One alone at an even index cannot be told from a
		// real append not yet checkpointed.)
		{"InsertedAtEnd", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			for i := 100; i < 102; i++ {
				l = append(l, ward.LedgerLeaf{Index: uint64(i)})
				e := testEvent(i)
				rewrite(t, l, i, e)
				l[i].Time, l[i].Action, l[i].Subject, l[i].WorkerID, l[i].VendorID, l[i].PatientRef, l[i].Decision =
					e.Time, e.Action, e.Actor.Subject, e.Actor.WorkerID, e.Actor.VendorID, e.Target.PatientRef, e.Outcome.Decision
			}
			s.SetLeaves(l)
		}, want{index: 100, last: 101, reason: "tree node (level 1, index 50) is missing"}},

		{"SwappedEntries", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			l[20], l[70] = l[70], l[20]
			l[20].Index, l[70].Index = 20, 70
			s.SetLeaves(l)
		}, want{index: 20, last: 21, reason: "tree node (level 1, index 10)"}},

		{"SwappedAdjacent", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			l[36], l[37] = l[37], l[36]
			l[36].Index, l[37].Index = 36, 37
			s.SetLeaves(l)
		}, want{index: 36, last: 37, reason: "tree node (level 1, index 18)"}},

		{"SwappedDataOnly", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			l[20].Data, l[70].Data = l[70].Data, l[20].Data
			s.SetLeaves(l)
		}, want{index: 20, last: 20, reason: "leaf hash does not match its data"}},

		{"DuplicateIndex", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			s.SetLeaves(slices.Insert(l, 38, l[37]))
		}, want{index: 38, last: 38, reason: "out of order (the store returns entry 37 in its place)"}},

		{"NonCanonicalData", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			l[37].Data = bytes.Replace(l[37].Data, []byte(`"action":`), []byte(`"action": `), 1)
			l[37].Hash = ledger.LeafHash(l[37].Data)
			s.SetLeaves(l)
		}, want{index: 37, last: 37, reason: "data is not a ward event"}},

		// Truncated to 60, then 40 forged entries appended with a correct
		// tree: the signed root at 100 disagrees.
		{"TruncatedAndReappended", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()[:60]
			for i := 60; i < 100; i++ {
				l = append(l, ward.LedgerLeaf{Index: uint64(i)})
				e := testEvent(i)
				e.Purpose = "forged"
				rewrite(t, l, i, e)
				l[i].Time, l[i].Action, l[i].Subject, l[i].WorkerID, l[i].VendorID, l[i].PatientRef, l[i].Decision =
					e.Time, e.Action, e.Actor.Subject, e.Actor.WorkerID, e.Actor.VendorID, e.Target.PatientRef, e.Outcome.Decision
			}
			s.SetLeaves(l)
			s.SetNodes(rebuildNodes(t, l))
		}, want{index: 50, last: 99, reason: "does not have the root of the signed checkpoint"}},

		{"Truncated", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()[:80]
			s.SetLeaves(l)
			s.SetNodes(rebuildNodes(t, l))
		}, want{index: 80, last: 99, reason: "missing: the log has 80 entries but a signed checkpoint covers 100"}},

		{"ModifiedNode", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			nodes := s.Nodes()
			for i := range nodes {
				if nodes[i].Level == 2 && nodes[i].Index == 5 {
					nodes[i].Hash[0] ^= 1
				}
			}
			s.SetNodes(nodes)
		}, want{index: 20, last: 23, reason: "tree node (level 2, index 5) does not match"}},

		{"DeletedNode", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			s.SetNodes(slices.DeleteFunc(s.Nodes(), func(n ward.LedgerNode) bool { return n.Level == 3 && n.Index == 2 }))
		}, want{index: 16, last: 23, reason: "tree node (level 3, index 2) is missing"}},

		{"CheckpointBadSignature", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			cps, _ := s.Checkpoints(context.Background())
			msg := cps[1].Note
			sig := bytes.LastIndex(msg, []byte(" ")) + 20 // past the key hash
			msg[sig] ^= 0x01
			if msg[sig] == '/' || msg[sig] == '.' {
				msg[sig] = 'A'
			}
			s.SetCheckpoints(cps)
		}, want{checkpoint: 50, reason: "invalid signature"}},

		{"CheckpointModifiedBody", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			cps, _ := s.Checkpoints(context.Background())
			cps[1].Note = bytes.Replace(cps[1].Note, []byte("\n50\n"), []byte("\n51\n"), 1)
			s.SetCheckpoints(cps)
		}, want{checkpoint: 50, reason: "invalid signature"}},

		{"CheckpointOtherKey", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			cps, _ := s.Checkpoints(context.Background())
			cps[2] = forgedCheckpoint(t, 100, cps[2].Root)
			s.SetCheckpoints(cps)
		}, want{checkpoint: 100, reason: "not signed by a trusted key"}},

		// Everything rewritten and re-signed with another key: no
		// checkpoint verifies.
		{"ForgedLogAndCheckpoints", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			l := s.Leaves()
			e := testEvent(5)
			e.Purpose = "forged"
			rewrite(t, l, 5, e)
			s.SetLeaves(l)
			s.SetNodes(rebuildNodes(t, l))
			var cps []*ward.LedgerCheckpoint
			for _, size := range []int{10, 50, 100} {
				cps = append(cps, forgedCheckpoint(t, uint64(size), rootOf(t, l[:size])))
			}
			s.SetCheckpoints(cps)
		}, want{checkpoint: 10, reason: "not signed by a trusted key"}},

		{"CheckpointStoredRoot", func(t *testing.T, s *memstore.Store, _ note.Signer) {
			cps, _ := s.Checkpoints(context.Background())
			cps[1].Root = bytes.Clone(cps[1].Root)
			cps[1].Root[0] ^= 1
			s.SetCheckpoints(cps)
		}, want{checkpoint: 50, reason: "stored size or root differs from the signed checkpoint"}},
	} {
		t.Run(test.name, func(t *testing.T) {
			store, signer, v := build(t, 100, 10, 50)
			mustVerify(t, store, v)
			test.tamper(t, store, signer)
			_, err := ledger.Verify(ctx, store, v, nil)
			if !errors.Is(err, ledger.ErrTampered) {
				t.Fatalf("Verify=%v, want ErrTampered", err)
			}
			if test.want.checkpoint != 0 {
				var ce *ledger.CheckpointError
				if !errors.As(err, &ce) || ce.Size != test.want.checkpoint {
					t.Fatalf("Verify=%v, want a CheckpointError for size %d", err, test.want.checkpoint)
				}
			} else {
				var te *ledger.TamperError
				if !errors.As(err, &te) {
					t.Fatalf("Verify=%v, want a TamperError", err)
				}
				if te.Index != test.want.index || te.Last != test.want.last {
					t.Fatalf("Verify=%v, want entries %d-%d", err, test.want.index, test.want.last)
				}
			}
			if !strings.Contains(err.Error(), test.want.reason) {
				t.Fatalf("Verify=%v, want it to say %q", err, test.want.reason)
			}
			t.Log(err)
		})
	}
}

// rootOf computes the RFC 6962 root of leaves' hashes with merkle's code.
func rootOf(tb testing.TB, leaves []ward.LedgerLeaf) []byte {
	f := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := f.NewEmptyRange(0)
	for _, l := range leaves {
		if err := r.Append(l.Hash, nil); err != nil {
			tb.Fatal(err)
		}
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

func TestVerify(t *testing.T) {
	ctx := context.Background()

	t.Run("Empty", func(t *testing.T) {
		_, v := newKey(t)
		rep, err := ledger.Verify(ctx, memstore.New(), v, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Size != 0 || !bytes.Equal(rep.Root, rfc6962.DefaultHasher.EmptyRoot()) {
			t.Fatalf("Verify=%+v", rep)
		}
	})

	t.Run("Report", func(t *testing.T) {
		store, _, v := build(t, 100, 10, 50)
		var calls int
		var last [2]uint64
		rep, err := ledger.Verify(ctx, store, v, func(done, total uint64) { calls++; last = [2]uint64{done, total} })
		if err != nil {
			t.Fatal(err)
		}
		if rep.Size != 100 || rep.Checkpoints != 3 || rep.Latest.Size != 100 || rep.Latest.Origin != testOrigin {
			t.Fatalf("Verify=%+v", rep)
		}
		if !bytes.Equal(rep.Root, rep.Latest.Root) || !bytes.Equal(rep.Root, rootOf(t, store.Leaves())) {
			t.Fatalf("Root=%x, want %x", rep.Root, rep.Latest.Root)
		}
		if rep.Nodes != 100-3 { // internal nodes of perfect subtrees: n - popcount(n)
			t.Fatalf("Nodes=%d, want 97", rep.Nodes)
		}
		if calls == 0 || last != [2]uint64{100, 100} {
			t.Fatalf("progress calls=%d, last=%v", calls, last)
		}
	})

	// Chunks: tampering found across chunk boundaries of a larger log.
	t.Run("Chunks", func(t *testing.T) {
		store, _, v := build(t, 20000, 8192, 16385, 16386)
		mustVerify(t, store, v)
		l := store.Leaves()
		l[17000].Data[3] ^= 1
		store.SetLeaves(l)
		var te *ledger.TamperError
		if _, err := ledger.Verify(ctx, store, v, nil); !errors.As(err, &te) || te.Index != 17000 || te.Last != 17000 {
			t.Fatalf("Verify=%v, want entry 17000", err)
		}
		l[17000].Data[3] ^= 1
		l[8191], l[8192] = l[8192], l[8191] // across the first chunk boundary
		l[8191].Index, l[8192].Index = 8191, 8192
		store.SetLeaves(l)
		if _, err := ledger.Verify(ctx, store, v, nil); !errors.As(err, &te) || te.Index > 8191 || te.Last < 8191 {
			t.Fatalf("Verify=%v, want a range holding entry 8191", err)
		}
	})

	// ExternalCheckpoint: a log truncated and re-appended through ward,
	// with the later checkpoints deleted, is consistent with itself; an
	// auditor's earlier checkpoint reveals it.
	t.Run("ExternalCheckpoint", func(t *testing.T) {
		store, signer, v := build(t, 100, 10, 50)
		saved, err := store.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l := store.Leaves()[:60]
		store.SetLeaves(l)
		store.SetNodes(slices.DeleteFunc(store.Nodes(), func(n ward.LedgerNode) bool { return (n.Index+1)<<n.Level > 60 }))
		cps, _ := store.Checkpoints(ctx)
		store.SetCheckpoints(cps[:2])
		lg := mustOpen(t, store, signer, ledger.Options{})
		events := make([]*ward.Event, 45)
		for i := range events {
			events[i] = testEvent(1000 + i)
		}
		if _, err := lg.AppendAll(ctx, events); err != nil {
			t.Fatal(err)
		}
		if _, err := lg.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := ledger.Verify(ctx, store, v, nil); err != nil {
			t.Fatalf("Verify without the saved checkpoint: %v (the store alone cannot show this)", err)
		}
		_, err = ledger.VerifyWith(ctx, store, ledger.VerifyOptions{Verifiers: v, Checkpoints: [][]byte{saved.Note}})
		var te *ledger.TamperError
		if !errors.As(err, &te) || te.Index != 50 || te.Last != 99 {
			t.Fatalf("VerifyWith=%v, want entries 50-99", err)
		}
	})

	t.Run("ErrStore", func(t *testing.T) {
		store, _, v := build(t, 10)
		store.Fail(memstore.MethodReadLedger, errors.New("disk I/O error"))
		if _, err := ledger.Verify(ctx, store, v, nil); err == nil || errors.Is(err, ledger.ErrTampered) {
			t.Fatalf("Verify=%v, want a store error that is not ErrTampered", err)
		}
	})

	t.Run("ErrNoKey", func(t *testing.T) {
		store, _, _ := build(t, 10)
		_, other := newKey(t)
		var ce *ledger.CheckpointError
		if _, err := ledger.Verify(ctx, store, other, nil); !errors.As(err, &ce) {
			t.Fatalf("Verify with another key=%v, want CheckpointError", err)
		}
	})
}
