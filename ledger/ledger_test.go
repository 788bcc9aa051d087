package ledger_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/ledger/internal/memstore"
	"golang.org/x/mod/sumdb/note"
)

const testOrigin = "ward.test/ledger"

// newKey returns a fresh signer named testOrigin and verifiers for it.
func newKey(tb testing.TB) (note.Signer, note.Verifiers) {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, testOrigin)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := ledger.Verifiers(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return s, v
}

// mustOpen opens a ledger on store and closes it when the test ends.
func mustOpen(tb testing.TB, store ward.LedgerStore, signer note.Signer, opts ledger.Options) *ledger.Ledger {
	tb.Helper()
	if opts.Origin == "" {
		opts.Origin = testOrigin
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = time.Hour // tests sign on demand
	}
	l, err := ledger.Open(context.Background(), store, signer, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

var epoch = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

// testEvent returns a distinct valid event for i.
func testEvent(i int) *ward.Event {
	return &ward.Event{
		Time:   epoch.Add(time.Duration(i)*time.Millisecond + time.Duration(i%1000)),
		Action: []string{"fhir.read", "fhir.search", "auth.login", "grant.issued"}[i%4],
		Actor: ward.EventActor{
			Subject: "wrk_" + strconv.Itoa(i%37), Role: ward.RoleWorker, WorkerID: "wrk_" + strconv.Itoa(i%37),
			VendorID: "ven_" + strconv.Itoa(i%3), SessionID: "ses_" + strconv.Itoa(i),
		},
		Target:    ward.EventTarget{ResourceType: "Condition", ResourceID: strconv.Itoa(i), PatientRef: "Patient/p-" + strconv.Itoa(i%101)},
		Origin:    ward.EventOrigin{ClientAddr: "203.0.113.7", Country: "PH", SiteID: "site_1"},
		Purpose:   "HOPERAT",
		Outcome:   ward.EventOutcome{Decision: []string{ward.DecisionPermit, ward.DecisionDeny}[i%2], Status: 200, Count: i % 7},
		RequestID: "req-" + strconv.Itoa(i),
	}
}

// appendN appends testEvent(first..first+n-1) and checks their indices.
func appendN(tb testing.TB, l *ledger.Ledger, first, n int) {
	tb.Helper()
	events := make([]*ward.Event, n)
	for i := range events {
		events[i] = testEvent(first + i)
	}
	idx, err := l.AppendAll(context.Background(), events)
	if err != nil {
		tb.Fatal(err)
	}
	for i, got := range idx {
		if want := uint64(first + i); got != want {
			tb.Fatalf("AppendAll index %d=%d, want %d", i, got, want)
		}
	}
}

func mustVerify(tb testing.TB, store ward.LedgerStore, v note.Verifiers) ledger.Report {
	tb.Helper()
	rep, err := ledger.Verify(context.Background(), store, v, nil)
	if err != nil {
		tb.Fatalf("Verify: %v", err)
	}
	return rep
}

func TestAudit(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		store := memstore.New()
		signer, v := newKey(t)
		l := mustOpen(t, store, signer, ledger.Options{})
		const workers, each = 8, 50
		var mu sync.Mutex
		got := make(map[uint64]int) // index -> event number
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for j := range each {
					i := w*each + j
					idx, err := l.Audit(ctx, testEvent(i))
					if err != nil {
						t.Error(err)
						return
					}
					// Durable before return: the store has it already.
					if leaves, err := store.ReadLedger(ctx, idx, 1); err != nil || len(leaves) != 1 {
						t.Errorf("entry %d not in the store when Audit returned", idx)
					}
					mu.Lock()
					got[idx] = i
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(got) != workers*each {
			t.Fatalf("got %d distinct indices, want %d", len(got), workers*each)
		}
		for idx, i := range got {
			if idx >= workers*each {
				t.Fatalf("index %d out of range", idx)
			}
			e, err := ledger.ReadEntry(ctx, store, idx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(testEvent(i), e.Event); diff != "" {
				t.Fatalf("entry %d differs (-want +got):\n%s", idx, diff)
			}
		}
		if _, err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if rep := mustVerify(t, store, v); rep.Size != workers*each || rep.Latest.Size != workers*each {
			t.Fatalf("Verify=%+v", rep)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		signer, _ := newKey(t)
		l := mustOpen(t, memstore.New(), signer, ledger.Options{})
		if _, err := l.Audit(ctx, &ward.Event{Action: "fhir.read"}); ward.ErrorCode(err) != ward.EINVALID || ward.ErrorField(err) != "time" {
			t.Fatalf("Audit=%v, want EINVALID on time", err)
		}
		e := testEvent(1)
		e.Outcome.Count = 1 << 60
		if _, err := l.Audit(ctx, e); ward.ErrorCode(err) != ward.EINVALID {
			t.Fatalf("Audit=%v, want EINVALID", err)
		}
		if _, err := l.Audit(ctx, nil); ward.ErrorCode(err) != ward.EINVALID {
			t.Fatalf("Audit(nil)=%v, want EINVALID", err)
		}
	})

	// GroupCommit holds the first transaction open while 999 more events
	// queue, and checks that they all go in one second transaction.
	t.Run("GroupCommit", func(t *testing.T) {
		store := memstore.New()
		signer, v := newKey(t)
		l := mustOpen(t, store, signer, ledger.Options{})
		entered, release := make(chan struct{}), make(chan struct{})
		var calls atomic.Int32
		store.OnAppend(func([]ward.LedgerLeaf, []ward.LedgerNode) error {
			if calls.Add(1) == 1 {
				close(entered)
				<-release
			}
			return nil
		})
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := l.Audit(ctx, testEvent(0)); err != nil {
				t.Error(err)
			}
		})
		<-entered
		const n = 999
		for i := 1; i <= n; i++ {
			wg.Go(func() {
				if _, err := l.Audit(ctx, testEvent(i)); err != nil {
					t.Error(err)
				}
			})
		}
		for l.Queued() < n {
			runtime.Gosched()
		}
		close(release)
		wg.Wait()
		if got, want := store.Appends(), 2; got != want {
			t.Fatalf("store transactions=%d, want %d", got, want)
		}
		mustVerify(t, store, v)
	})

	// BatchSize bounds a transaction.
	t.Run("BatchSize", func(t *testing.T) {
		store := memstore.New()
		signer, _ := newKey(t)
		l := mustOpen(t, store, signer, ledger.Options{BatchSize: 10})
		var max atomic.Int64
		store.OnAppend(func(leaves []ward.LedgerLeaf, _ []ward.LedgerNode) error {
			if n := int64(len(leaves)); n > max.Load() {
				max.Store(n)
			}
			return nil
		})
		appendN(t, l, 0, 500)
		if got := max.Load(); got > 10 || got < 1 {
			t.Fatalf("largest batch=%d, want 1..10", got)
		}
	})

	// ErrUnavailable: a failing store fails the batch with EUNAVAILABLE,
	// commits nothing, and the ledger recovers by itself.
	t.Run("ErrUnavailable", func(t *testing.T) {
		store := memstore.New()
		signer, v := newKey(t)
		l := mustOpen(t, store, signer, ledger.Options{})
		appendN(t, l, 0, 5)
		store.Fail(memstore.MethodAppendLedger, errors.New("disk I/O error"))
		for i := range 3 {
			_, err := l.Audit(ctx, testEvent(100+i))
			if ward.ErrorCode(err) != ward.EUNAVAILABLE {
				t.Fatalf("Audit=%v, want EUNAVAILABLE", err)
			}
			if got, want := ward.ErrorMessage(err), "The audit ledger is unavailable."; got != want {
				t.Fatalf("ErrorMessage=%q, want %q", got, want)
			}
		}
		// Reloading fails too while the database is down.
		store.Fail(memstore.MethodLedgerSize, errors.New("connection refused"))
		if _, err := l.Audit(ctx, testEvent(200)); ward.ErrorCode(err) != ward.EUNAVAILABLE {
			t.Fatalf("Audit=%v, want EUNAVAILABLE", err)
		}
		store.Fail(memstore.MethodLedgerSize, nil)
		store.Fail(memstore.MethodAppendLedger, nil)
		idx, err := l.Audit(ctx, testEvent(5))
		if err != nil {
			t.Fatal(err)
		}
		if idx != 5 {
			t.Fatalf("index after recovery=%d, want 5", idx)
		}
		if _, err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if rep := mustVerify(t, store, v); rep.Size != 6 {
			t.Fatalf("Size=%d, want 6", rep.Size)
		}
	})

	// LostReply: the store commits but reports an error (say, the
	// connection dropped after COMMIT). The caller gets EUNAVAILABLE;
	// the next batch reloads and numbers after the committed entry.
	t.Run("LostReply", func(t *testing.T) {
		store := memstore.New()
		signer, v := newKey(t)
		l := mustOpen(t, store, signer, ledger.Options{})
		var once sync.Once
		store.OnAppend(func(leaves []ward.LedgerLeaf, nodes []ward.LedgerNode) error {
			var err error
			once.Do(func() {
				store.OnAppend(nil)
				if err = store.AppendLedger(ctx, leaves, nodes); err == nil {
					err = errors.New("connection reset after commit")
				}
			})
			return err
		})
		if _, err := l.Audit(ctx, testEvent(0)); ward.ErrorCode(err) != ward.EUNAVAILABLE {
			t.Fatalf("Audit=%v, want EUNAVAILABLE", err)
		}
		idx, err := l.Audit(ctx, testEvent(1))
		if err != nil {
			t.Fatal(err)
		}
		if idx != 1 {
			t.Fatalf("index=%d, want 1", idx)
		}
		if _, err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		mustVerify(t, store, v)
	})

	// ContextCanceled: a caller that stops waiting gets ctx.Err(); the
	// event may still be committed.
	t.Run("ContextCanceled", func(t *testing.T) {
		store := memstore.New()
		signer, _ := newKey(t)
		l := mustOpen(t, store, signer, ledger.Options{})
		entered, release := make(chan struct{}), make(chan struct{})
		store.OnAppend(func([]ward.LedgerLeaf, []ward.LedgerNode) error {
			close(entered)
			<-release
			return nil
		})
		cctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() {
			_, err := l.Audit(cctx, testEvent(0))
			errc <- err
		}()
		<-entered
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("Audit=%v, want context.Canceled", err)
		}
		store.OnAppend(nil)
		close(release)
		idx, err := l.Audit(ctx, testEvent(1))
		if err != nil {
			t.Fatal(err)
		}
		if idx != 1 {
			t.Fatalf("index=%d, want 1 (the canceled event was committed as 0)", idx)
		}
	})

	t.Run("ErrClosed", func(t *testing.T) {
		signer, _ := newKey(t)
		l, err := ledger.Open(ctx, memstore.New(), signer, ledger.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Audit(ctx, testEvent(0)); ward.ErrorCode(err) != ward.EUNAVAILABLE {
			t.Fatalf("Audit after Close=%v, want EUNAVAILABLE", err)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	})

	// CloseDrains: events queued when Close starts are committed.
	t.Run("CloseDrains", func(t *testing.T) {
		store := memstore.New()
		signer, v := newKey(t)
		l, err := ledger.Open(ctx, store, signer, ledger.Options{Origin: testOrigin})
		if err != nil {
			t.Fatal(err)
		}
		entered, release := make(chan struct{}), make(chan struct{})
		var calls atomic.Int32
		store.OnAppend(func([]ward.LedgerLeaf, []ward.LedgerNode) error {
			if calls.Add(1) == 1 {
				close(entered)
				<-release
			}
			return nil
		})
		var wg sync.WaitGroup
		var ok atomic.Int32
		audit := func(i int) {
			if _, err := l.Audit(ctx, testEvent(i)); err == nil {
				ok.Add(1)
			} else {
				t.Error(err)
			}
		}
		wg.Go(func() { audit(0) })
		<-entered
		for i := 1; i < 100; i++ {
			wg.Go(func() { audit(i) })
		}
		for l.Queued() < 99 {
			runtime.Gosched()
		}
		closed := make(chan error)
		go func() { closed <- l.Close() }()
		close(release)
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if ok.Load() != 100 {
			t.Fatalf("%d events committed, want 100", ok.Load())
		}
		// Close signed a last checkpoint.
		rep := mustVerify(t, store, v)
		if rep.Latest == nil || rep.Latest.Size != 100 {
			t.Fatalf("latest checkpoint=%+v, want size 100", rep.Latest)
		}
	})

	// Conflict: two ledgers (replicas) append to one store at once; each
	// retries on ECONFLICT with fresh indices.
	t.Run("Conflict", func(t *testing.T) {
		store := memstore.New()
		signer, v := newKey(t)
		a := mustOpen(t, store, signer, ledger.Options{})
		b := mustOpen(t, store, signer, ledger.Options{})

		// Deterministic first: b's view is stale after a appends.
		if idx, err := a.Audit(ctx, testEvent(0)); err != nil || idx != 0 {
			t.Fatalf("a.Audit=%d, %v", idx, err)
		}
		if idx, err := b.Audit(ctx, testEvent(1)); err != nil || idx != 1 {
			t.Fatalf("b.Audit=%d, %v; want 1 after a conflict", idx, err)
		}

		const each = 300
		seen := make([]atomic.Int32, 2+2*each)
		var wg sync.WaitGroup
		for r, l := range []*ledger.Ledger{a, b} {
			for w := range 4 {
				wg.Go(func() {
					for j := range each / 4 {
						idx, err := l.Audit(ctx, testEvent(2+r*each+w*each/4+j))
						if err != nil {
							t.Error(err)
							return
						}
						seen[idx].Add(1)
					}
				})
			}
		}
		wg.Wait()
		for i := range seen {
			if n := seen[i].Load(); i >= 2 && n != 1 {
				t.Fatalf("index %d handed out %d times", i, n)
			}
		}
		if _, err := a.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if rep := mustVerify(t, store, v); rep.Size != 2+2*each {
			t.Fatalf("Size=%d, want %d", rep.Size, 2+2*each)
		}
	})
}

func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("Resume", func(t *testing.T) {
		store := memstore.New()
		signer, v := newKey(t)
		l, err := ledger.Open(ctx, store, signer, ledger.Options{Origin: testOrigin})
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, l, 0, 37)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = mustOpen(t, store, signer, ledger.Options{})
		if got := l.Size(); got != 37 {
			t.Fatalf("Size=%d, want 37", got)
		}
		appendN(t, l, 37, 30)
		if _, err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if rep := mustVerify(t, store, v); rep.Size != 67 || rep.Checkpoints != 2 {
			t.Fatalf("Verify=%+v", rep)
		}
	})

	// SignsAfterCrash: entries that no checkpoint covers (the process
	// died before signing) get one soon after Open.
	t.Run("SignsAfterCrash", func(t *testing.T) {
		store := memstore.New()
		signer, v := newKey(t)
		appendN(t, mustOpen(t, store, signer, ledger.Options{}), 0, 10)
		store.SetCheckpoints(nil)
		mustOpen(t, store, signer, ledger.Options{CheckpointInterval: time.Millisecond})
		waitCheckpoint(t, store, 10)
		mustVerify(t, store, v)
	})

	t.Run("ErrTruncated", func(t *testing.T) {
		store := memstore.New()
		signer, _ := newKey(t)
		l := mustOpen(t, store, signer, ledger.Options{})
		appendN(t, l, 0, 10)
		if _, err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		store.SetLeaves(store.Leaves()[:7])
		_, err := ledger.Open(ctx, store, signer, ledger.Options{})
		var te *ledger.TamperError
		if !errors.As(err, &te) || te.Index != 7 || te.Last != 9 {
			t.Fatalf("Open=%v, want entries 7-9 missing", err)
		}
	})

	t.Run("ErrRootMismatch", func(t *testing.T) {
		store := memstore.New()
		signer, _ := newKey(t)
		l := mustOpen(t, store, signer, ledger.Options{})
		appendN(t, l, 0, 8)
		if _, err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		nodes := store.Nodes()
		nodes[len(nodes)-1].Hash[0] ^= 1 // the root node (3, 0)
		store.SetNodes(nodes)
		if _, err := ledger.Open(ctx, store, signer, ledger.Options{}); !errors.Is(err, ledger.ErrTampered) {
			t.Fatalf("Open=%v, want ErrTampered", err)
		}
	})

	// ErrRewritten: entries after 60 replaced, tree recomputed, later
	// checkpoints kept: the tree at the latest checkpoint's size has
	// another root.
	t.Run("ErrRewritten", func(t *testing.T) {
		store := memstore.New()
		signer, _ := newKey(t)
		l := mustOpen(t, store, signer, ledger.Options{})
		appendN(t, l, 0, 80)
		if _, err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		store.SetLeaves(store.Leaves()[:60])
		store.SetNodes(slices.DeleteFunc(store.Nodes(), func(n ward.LedgerNode) bool { return (n.Index+1)<<n.Level > 60 }))
		cps, _ := store.Checkpoints(ctx)
		store.SetCheckpoints(nil)
		forger := mustOpen(t, store, signer, ledger.Options{})
		events := make([]*ward.Event, 30)
		for i := range events {
			events[i] = testEvent(1000 + i)
		}
		if _, err := forger.AppendAll(ctx, events); err != nil {
			t.Fatal(err)
		}
		store.SetCheckpoints(cps)
		if _, err := ledger.Open(ctx, store, signer, ledger.Options{}); !errors.Is(err, ledger.ErrTampered) {
			t.Fatalf("Open=%v, want ErrTampered", err)
		}
	})

	t.Run("ErrStore", func(t *testing.T) {
		store := memstore.New()
		store.Fail(memstore.MethodLedgerSize, errors.New("connection refused"))
		signer, _ := newKey(t)
		if _, err := ledger.Open(ctx, store, signer, ledger.Options{}); err == nil {
			t.Fatal("Open succeeded on a failing store")
		}
	})
}

// waitCheckpoint waits until store holds a checkpoint of at least size.
// The checkpointer runs on a timer, so this polls, with a generous bound.
func waitCheckpoint(t *testing.T, store ward.LedgerStore, size uint64) *ward.LedgerCheckpoint {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cp, err := store.LatestCheckpoint(context.Background())
		if err == nil && cp.Size >= size {
			return cp
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of size %d after 10s (last: %v, %v)", size, cp, err)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCheckpoint(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		store := memstore.New()
		signer, v := newKey(t)
		now := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
		l := mustOpen(t, store, signer, ledger.Options{Now: func() time.Time { return now }})
		appendN(t, l, 0, 5)
		cp, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open(cp.Note, v)
		if err != nil {
			t.Fatalf("note.Open: %v", err)
		}
		rep := mustVerify(t, store, v)
		want := fmt.Sprintf("%s\n5\n%s\n", testOrigin, b64(rep.Root))
		if n.Text != want {
			t.Fatalf("checkpoint text=%q, want %q", n.Text, want)
		}
		if cp.Size != 5 || !slices.Equal(cp.Root, rep.Root) {
			t.Fatalf("checkpoint size/root=%d/%x, want 5/%x", cp.Size, cp.Root, rep.Root)
		}
		if !cp.CreatedAt.Equal(now) {
			t.Fatalf("CreatedAt=%v, want %v", cp.CreatedAt, now)
		}
		if want := testEvent(4).Time; !cp.LastEventAt.Equal(want) {
			t.Fatalf("LastEventAt=%v, want %v", cp.LastEventAt, want)
		}
		stored, err := store.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(cp, stored); diff != "" {
			t.Fatalf("stored checkpoint differs (-want +got):\n%s", diff)
		}
		// Nothing new: the same checkpoint.
		again, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again != cp {
			t.Fatal("Checkpoint without new entries signed again")
		}
	})

	t.Run("Interval", func(t *testing.T) {
		store := memstore.New()
		signer, v := newKey(t)
		l := mustOpen(t, store, signer, ledger.Options{CheckpointInterval: 5 * time.Millisecond})
		appendN(t, l, 0, 3)
		waitCheckpoint(t, store, 3)
		appendN(t, l, 3, 3)
		waitCheckpoint(t, store, 6)
		if rep := mustVerify(t, store, v); rep.Latest.Size != 6 {
			t.Fatalf("latest=%d, want 6", rep.Latest.Size)
		}
	})

	t.Run("ErrUnavailable", func(t *testing.T) {
		store := memstore.New()
		signer, _ := newKey(t)
		l := mustOpen(t, store, signer, ledger.Options{})
		appendN(t, l, 0, 3)
		store.Fail(memstore.MethodSaveCheckpoint, errors.New("disk full"))
		if _, err := l.Checkpoint(ctx); ward.ErrorCode(err) != ward.EUNAVAILABLE {
			t.Fatalf("Checkpoint=%v, want EUNAVAILABLE", err)
		}
		store.Fail(memstore.MethodSaveCheckpoint, nil)
		if cp, err := l.Checkpoint(ctx); err != nil || cp.Size != 3 {
			t.Fatalf("Checkpoint=%v, %v", cp, err)
		}
	})
}

// TestWitness keeps a copy of the latest checkpoint outside the store and
// shows that it catches a log truncated and appended again with the later
// checkpoints deleted, which the store alone cannot show.
func TestWitness(t *testing.T) {
	ctx := context.Background()
	witness := filepath.Join(t.TempDir(), "ledger.checkpoint")
	store := memstore.New()
	signer, v := newKey(t)
	l := mustOpen(t, store, signer, ledger.Options{WitnessPath: witness})
	appendN(t, l, 0, 100)
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	msg, err := os.ReadFile(witness)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, v); err != nil {
		t.Fatalf("witness does not open: %v", err)
	}

	// Truncate to 60 with the nodes and checkpoints past it, and append
	// 45 other events through a ledger without the witness.
	store.SetLeaves(store.Leaves()[:60])
	store.SetNodes(slices.DeleteFunc(store.Nodes(), func(n ward.LedgerNode) bool { return (n.Index+1)<<n.Level > 60 }))
	store.SetCheckpoints(nil)
	forger := mustOpen(t, store, signer, ledger.Options{})
	if _, err := forger.AppendAll(ctx, []*ward.Event{testEvent(1000), testEvent(1001)}); err != nil {
		t.Fatal(err)
	}
	var te *ledger.TamperError
	if _, err := ledger.Open(ctx, store, signer, ledger.Options{WitnessPath: witness}); !errors.As(err, &te) || te.Index != 62 || te.Last != 99 {
		t.Fatalf("Open with the witness=%v, want entries 62-99 missing", err)
	}
	events := make([]*ward.Event, 50)
	for i := range events {
		events[i] = testEvent(2000 + i)
	}
	if _, err := forger.AppendAll(ctx, events); err != nil {
		t.Fatal(err)
	}
	if _, err := forger.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Verify(ctx, store, v, nil); err != nil {
		t.Fatalf("Verify without the witness: %v (the store alone is consistent)", err)
	}
	if _, err := ledger.Open(ctx, store, signer, ledger.Options{WitnessPath: witness}); !errors.As(err, &te) || te.Index != 0 || te.Last != 99 {
		t.Fatalf("Open with the witness=%v, want entries 0-99 rewritten", err)
	}
	_, err = ledger.VerifyWith(ctx, store, ledger.VerifyOptions{Verifiers: v, Checkpoints: [][]byte{msg}})
	if !errors.As(err, &te) || te.Index > 60 || te.Last < 60 {
		t.Fatalf("VerifyWith the witness=%v, want a range holding entry 60", err)
	}
}
