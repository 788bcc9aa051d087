package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wardhq/ward"
)

var _ ward.ChangeFeed = (*ChangeFeed)(nil)

// barrierTimeout bounds how long a write waits for its own changes to come
// back through the listener before it returns EUNAVAILABLE.
const barrierTimeout = 5 * time.Second

// ChangeFeed delivers the changes committed to the database by any
// replica.
//
// Triggers on the watched tables NOTIFY a per-schema channel with
// "<table> <id>". One dedicated connection per DB LISTENs on it and calls
// the subscribers, in commit order, on its own goroutine. When that
// connection is lost, the feed reconnects and then delivers a
// ward.ChangeAll, since changes made meanwhile were missed.
//
// A write through this DB that fired a trigger also sends, in the same
// transaction and round trip as its COMMIT, a "barrier <nonce>"
// notification, which PostgreSQL delivers after the transaction's other
// notifications; the write returns once the listener has seen it, so its
// changes reach the subscribers before the call returns.
type ChangeFeed struct {
	mu   sync.Mutex // guards subs
	subs []*subscriber

	// channel is the NOTIFY channel; empty until the listener runs.
	channel string
	prefix  string // makes this DB's barrier nonces unique among replicas
	seq     atomic.Uint64

	bmu     sync.Mutex // guards waiters and closed
	waiters map[string]*waiter
	closed  bool

	pid    atomic.Uint32 // backend PID of the listener connection, for tests
	cancel context.CancelFunc
	done   chan struct{}
}

type subscriber struct {
	fn       func(ward.Change)
	canceled atomic.Bool
}

// waiter is a write waiting for its barrier.
type waiter struct {
	nonce string
	done  chan struct{} // closed when the barrier is seen or the wait is moot
	err   error         // set before done is closed, when the wait failed
	// committed is set once the write's COMMIT has returned. A listener
	// reconnect (whose ChangeAll covers everything committed before it)
	// releases only committed waiters: one still committing will be
	// heard on the new connection.
	committed bool
}

// Subscribe calls fn for every change committed after Subscribe returns,
// until cancel is called. fn must be quick and must not call back into the
// store: it runs on the listener's goroutine, and this replica's writes
// wait for it. A change a transaction makes more than once is delivered
// once. cancel may be called more than once and from any goroutine.
func (f *ChangeFeed) Subscribe(fn func(ward.Change)) (cancel func()) {
	s := &subscriber{fn: fn}
	f.mu.Lock()
	// Copy on write: deliveries iterate a snapshot without the lock.
	f.subs = append(f.subs[:len(f.subs):len(f.subs)], s)
	f.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.canceled.Store(true)
			f.mu.Lock()
			defer f.mu.Unlock()
			subs := make([]*subscriber, 0, len(f.subs))
			for _, o := range f.subs {
				if o != s {
					subs = append(subs, o)
				}
			}
			f.subs = subs
		})
	}
}

// publish calls every subscriber with c.
func (f *ChangeFeed) publish(c ward.Change) {
	f.mu.Lock()
	subs := f.subs
	f.mu.Unlock()
	for _, s := range subs {
		if !s.canceled.Load() {
			s.fn(c)
		}
	}
}

// start connects the listener and starts its goroutine. The channel is
// named for the schema holding the watched tables, as the trigger names it.
func (f *ChangeFeed) start(ctx context.Context, pool *pgxpool.Pool) error {
	var channel string
	if err := pool.QueryRow(ctx, `SELECT 'ward_changes_' || left(md5(n.nspname), 16)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = 'sessions'::regclass`).Scan(&channel); err != nil {
		return fmt.Errorf("change feed channel: %w", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	cfg := pool.Config().ConnConfig.Copy()
	f.channel, f.prefix = channel, hex.EncodeToString(b)
	conn, err := f.listen(ctx, cfg)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(context.Background())
	f.bmu.Lock()
	f.waiters, f.closed = make(map[string]*waiter), false
	f.bmu.Unlock()
	f.cancel, f.done = cancel, make(chan struct{})
	go func() {
		defer close(f.done)
		f.run(lctx, cfg, conn)
	}()
	return nil
}

// stop stops the listener and waits for it. Writes still waiting get
// EUNAVAILABLE.
func (f *ChangeFeed) stop() {
	if f.cancel == nil {
		return
	}
	f.cancel()
	<-f.done
	f.cancel = nil
}

// listen opens the listener connection.
func (f *ChangeFeed) listen(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("change feed: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{f.channel}.Sanitize()); err != nil {
		closeConn(conn)
		return nil, fmt.Errorf("change feed: listen: %w", err)
	}
	f.pid.Store(conn.PgConn().PID())
	return conn, nil
}

// run receives notifications until ctx ends, reconnecting with backoff when
// the connection fails.
func (f *ChangeFeed) run(ctx context.Context, cfg *pgx.ConnConfig, conn *pgx.Conn) {
	defer f.shutdown()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err == nil {
			f.handle(n.Payload)
			continue
		}
		closeConn(conn)
		if conn = f.reconnect(ctx, cfg); conn == nil {
			return
		}
		f.publish(ward.Change{Table: ward.ChangeAll})
		f.releaseCommitted()
	}
}

// reconnect connects again, backing off between attempts, and returns nil
// once ctx ends.
func (f *ChangeFeed) reconnect(ctx context.Context, cfg *pgx.ConnConfig) *pgx.Conn {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		if conn, err := f.listen(ctx, cfg); err == nil {
			return conn
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	return nil
}

// closeConn closes a listener connection, waiting a little for a clean
// goodbye.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn.Close(ctx)
}

// handle delivers one notification.
func (f *ChangeFeed) handle(payload string) {
	if nonce, ok := strings.CutPrefix(payload, "barrier "); ok {
		f.bmu.Lock()
		if w := f.waiters[nonce]; w != nil {
			delete(f.waiters, nonce)
			close(w.done)
		}
		f.bmu.Unlock()
		return
	}
	table, id, ok := strings.Cut(payload, " ")
	if !ok {
		return // not ours
	}
	f.publish(ward.Change{Table: table, ID: id})
}

// releaseCommitted ends the wait of every committed write, after a
// reconnect's ChangeAll has been delivered.
func (f *ChangeFeed) releaseCommitted() {
	f.bmu.Lock()
	defer f.bmu.Unlock()
	for nonce, w := range f.waiters {
		if w.committed {
			delete(f.waiters, nonce)
			close(w.done)
		}
	}
}

// shutdown fails every waiting write and refuses new waits.
func (f *ChangeFeed) shutdown() {
	f.bmu.Lock()
	defer f.bmu.Unlock()
	f.closed = true
	for nonce, w := range f.waiters {
		delete(f.waiters, nonce)
		w.err = ward.Errorf(ward.EUNAVAILABLE, "The store is closing.")
		close(w.done)
	}
}

// register prepares a barrier for a write about to commit and returns the
// commit statement that sends it when the transaction fired a trigger. It
// returns nil when the listener is not running.
func (f *ChangeFeed) register() (w *waiter, commitSQL string) {
	if f.channel == "" {
		return nil, ""
	}
	nonce := f.prefix + "." + strconv.FormatUint(f.seq.Add(1), 36)
	w = &waiter{nonce: nonce, done: make(chan struct{})}
	f.bmu.Lock()
	defer f.bmu.Unlock()
	if f.closed {
		return nil, ""
	}
	f.waiters[nonce] = w
	// The channel and the nonce are ours, of [0-9a-z._] only.
	return w, `SELECT pg_notify('` + f.channel + `', 'barrier ` + nonce + `') WHERE current_setting('ward.changed', true) = '1'; COMMIT`
}

// forget drops a barrier that will not be sent or waited for.
func (f *ChangeFeed) forget(w *waiter) {
	f.bmu.Lock()
	delete(f.waiters, w.nonce)
	f.bmu.Unlock()
}

// wait waits, after its commit, until the listener has seen w's barrier.
func (f *ChangeFeed) wait(ctx context.Context, w *waiter) error {
	f.bmu.Lock()
	w.committed = true
	f.bmu.Unlock()
	t := time.NewTimer(barrierTimeout)
	defer t.Stop()
	select {
	case <-w.done:
		return w.err
	case <-t.C:
		f.forget(w)
		return ward.Errorf(ward.EUNAVAILABLE, "The change was saved, but the change feed did not confirm it in time.")
	case <-ctx.Done():
		f.forget(w)
		return fmt.Errorf("wait for change feed: %w", ctx.Err())
	}
}

// commitWatched commits the transaction on conn with the statement from
// register, in one round trip, and reports whether a trigger fired (and so
// the barrier was sent).
func commitWatched(ctx context.Context, conn *pgconn.PgConn, commitSQL string) (bool, error) {
	results, err := conn.Exec(ctx, commitSQL).ReadAll()
	if err != nil {
		return false, err
	}
	if len(results) != 2 {
		return false, fmt.Errorf("commit: %d results, want 2", len(results))
	}
	if results[1].CommandTag.String() == "ROLLBACK" {
		return false, pgx.ErrTxCommitRollback
	}
	return len(results[0].Rows) == 1, nil
}
