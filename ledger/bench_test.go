package ledger_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/ledger/internal/memstore"
	"github.com/wardhq/ward/store/sqlite"
	"golang.org/x/mod/sumdb/note"
)

// benchCallers is how many goroutines call Audit at once in
// BenchmarkAudit, as multiples of GOMAXPROCS (testing.B.SetParallelism):
// the requests a gateway has in flight.
var benchCallers = []int{256, 1024}

// openSQLite opens a file SQLite database (WAL, synchronous=FULL: every
// commit is fsynced) in a temporary directory.
func openSQLite(b *testing.B) *sqlite.DB {
	b.Helper()
	db := sqlite.NewDB(filepath.Join(b.TempDir(), "ward.db"))
	if err := db.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkAudit measures durable appends with many concurrent callers:
// group commit (the default batch) against one event per transaction
// (BatchSize 1) in the same run, on a file SQLite database. It reports
// events/s and the latency of Audit calls (p50, p99) under that load.
func BenchmarkAudit(b *testing.B) {
	for _, bc := range []struct {
		name  string
		batch int
		store func(b *testing.B) ward.LedgerStore
	}{
		{"GroupCommit/SQLite", 0, func(b *testing.B) ward.LedgerStore { return openSQLite(b).Ledger() }},
		{"SingleRow/SQLite", 1, func(b *testing.B) ward.LedgerStore { return openSQLite(b).Ledger() }},
		{"GroupCommit/Memory", 0, func(b *testing.B) ward.LedgerStore { return memstore.New() }},
	} {
		for _, callers := range benchCallers {
			name := fmt.Sprintf("%s/callers=%d", bc.name, callers*runtime.GOMAXPROCS(0))
			b.Run(name, func(b *testing.B) {
				signer, _ := newKey(b)
				l := mustOpen(b, bc.store(b), signer, ledger.Options{BatchSize: bc.batch, CheckpointInterval: time.Second})
				benchAudit(b, l, callers)
			})
		}
	}
}

func benchAudit(b *testing.B, l *ledger.Ledger, callers int) {
	ctx := context.Background()
	var next atomic.Int64
	var mu sync.Mutex
	latencies := make([]time.Duration, 0, b.N)
	b.SetParallelism(callers)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			e := testEvent(int(next.Add(1)))
			t0 := time.Now()
			if _, err := l.Audit(ctx, e); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	slices.Sort(latencies)
	if n := len(latencies); n > 0 {
		b.ReportMetric(float64(latencies[n/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(latencies[min(n-1, n*99/100)].Microseconds()), "p99-µs")
	}
}

// verifySize is the log BenchmarkVerify checks.
const verifySize = 1 << 18

// fillLog appends verifySize events to store and checkpoints it every
// 10,000 entries.
func fillLog(b *testing.B, store ward.LedgerStore) note.Verifiers {
	b.Helper()
	signer, v := newKey(b)
	l, err := ledger.Open(context.Background(), store, signer, ledger.Options{Origin: testOrigin, CheckpointInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	const step = 10_000
	events := make([]*ward.Event, 0, step)
	for i := 0; i < verifySize; {
		events = events[:0]
		for ; len(events) < step && i < verifySize; i++ {
			events = append(events, testEvent(i))
		}
		if _, err := l.AppendAll(context.Background(), events); err != nil {
			b.Fatal(err)
		}
		if _, err := l.Checkpoint(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	return v
}

// BenchmarkVerify measures Verify over a log of verifySize entries, in
// memory (Verify's own cost) and in a file SQLite database (with the
// driver's reads), and reports entries/s.
func BenchmarkVerify(b *testing.B) {
	// A benchmark with sub-benchmarks runs once, so the logs built here
	// serve every run of the sub-benchmarks; each is built on first use.
	dir := b.TempDir()
	var mem *memstore.Store
	var db *sqlite.DB
	var memV, dbV note.Verifiers
	b.Run("Memory", func(b *testing.B) {
		if mem == nil {
			mem = memstore.New()
			memV = fillLog(b, mem)
		}
		benchVerify(b, mem, memV)
	})
	b.Run("SQLite", func(b *testing.B) {
		if db == nil {
			db = sqlite.NewDB(filepath.Join(dir, "ward.db"))
			if err := db.Open(context.Background()); err != nil {
				b.Fatal(err)
			}
			dbV = fillLog(b, db.Ledger())
		}
		benchVerify(b, db.Ledger(), dbV)
	})
	if db != nil {
		db.Close()
	}
}

func benchVerify(b *testing.B, store ward.LedgerStore, v note.Verifiers) {
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		rep, err := ledger.Verify(context.Background(), store, v, nil)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Size != verifySize {
			b.Fatalf("Size=%d", rep.Size)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*verifySize)/elapsed.Seconds(), "entries/s")
}

// BenchmarkAuditLatency measures the latency of Audit on a file SQLite
// database under an open-loop load of a fixed rate (events arrive on a
// schedule, whether or not earlier ones are done, as requests reach a
// gateway), and reports p50 and p99. b.N is the number of events.
func BenchmarkAuditLatency(b *testing.B) {
	for _, rate := range []int{1_000, 10_000, 20_000} {
		b.Run(fmt.Sprintf("SQLite/rate=%d", rate), func(b *testing.B) {
			signer, _ := newKey(b)
			l := mustOpen(b, openSQLite(b).Ledger(), signer, ledger.Options{CheckpointInterval: time.Second})
			ctx := context.Background()
			latencies := make([]time.Duration, b.N)
			var wg sync.WaitGroup
			// One tick per millisecond; each tick issues the events due
			// by then, so the offered rate holds on average.
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			b.ResetTimer()
			start := time.Now()
			issued := 0
			for issued < b.N {
				due := min(b.N, int(time.Since(start).Seconds()*float64(rate))+1)
				for ; issued < due; issued++ {
					i := issued
					wg.Go(func() {
						t0 := time.Now()
						if _, err := l.Audit(ctx, testEvent(i)); err != nil {
							b.Error(err)
						}
						latencies[i] = time.Since(t0)
					})
				}
				<-tick.C
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(latencies)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(latencies[b.N/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(latencies[min(b.N-1, b.N*99/100)].Microseconds()), "p99-µs")
		})
	}
}
