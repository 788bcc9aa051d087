package sqlite

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/wardhq/ward"
)

var _ ward.ChangeFeed = (*ChangeFeed)(nil)

// ChangeFeed delivers the changes committed through one DB.
//
// Triggers on the watched tables record each change in the changes table,
// inside the writing transaction; Tx.Commit drains that table before it
// commits and calls the subscribers after, on the committing goroutine,
// before the writing call returns. A rolled-back transaction therefore
// delivers nothing. Deliveries are serialised in commit order, so
// subscribers are never called concurrently.
//
// Only writes through this DB are seen: another process writing the same
// file (the ward CLI) drains its own changes.
type ChangeFeed struct {
	mu   sync.Mutex // guards subs
	subs []*subscriber

	// deliver is held from just before a commit that has changes until its
	// subscribers have been called, so deliveries follow commit order.
	deliver sync.Mutex
}

type subscriber struct {
	fn       func(ward.Change)
	canceled atomic.Bool
}

// Subscribe calls fn for every change committed after Subscribe returns,
// until cancel is called. fn must be quick and must not call back into the
// store: it runs on the committing goroutine while later commits wait. A
// change a transaction makes more than once is delivered once. cancel may
// be called more than once and from any goroutine.
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

// publish calls every subscriber with each change, in order.
func (f *ChangeFeed) publish(changes []ward.Change) {
	f.mu.Lock()
	subs := f.subs
	f.mu.Unlock()
	for _, c := range changes {
		for _, s := range subs {
			if !s.canceled.Load() {
				s.fn(c)
			}
		}
	}
}

// Commit commits the transaction. For a write transaction it first drains
// the changes the transaction's writes recorded (one statement) and, once
// committed, delivers them to the DB's change feed before returning.
// It shadows sql.Tx.Commit.
func (tx *Tx) Commit() error {
	if tx.readOnly {
		return tx.Tx.Commit()
	}
	changes, err := tx.drainChanges()
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		return tx.Tx.Commit()
	}
	f := &tx.db.changes
	f.deliver.Lock()
	defer f.deliver.Unlock()
	if err := tx.Tx.Commit(); err != nil {
		return err
	}
	f.publish(changes)
	return nil
}

// commitUnwatched commits a transaction that writes no watched table (the
// ledger's appends) without draining the changes table. Were a watched
// table written after all, its changes would wait in the table for the
// next write's commit: late, not lost.
func (tx *Tx) commitUnwatched() error { return tx.Tx.Commit() }

// drainChanges deletes and returns the changes recorded by the
// transaction, each once.
func (tx *Tx) drainChanges() ([]ward.Change, error) {
	// The transaction carries its own context; database/sql rolls it back
	// when that ends, which fails this query too.
	rows, err := tx.QueryContext(context.Background(), `DELETE FROM changes RETURNING tbl, id`)
	if err != nil {
		return nil, fmt.Errorf("drain changes: %w", err)
	}
	defer rows.Close()
	var changes []ward.Change
	var seen map[ward.Change]bool
	for rows.Next() {
		var c ward.Change
		if err := rows.Scan(&c.Table, &c.ID); err != nil {
			return nil, fmt.Errorf("drain changes: %w", err)
		}
		if seen == nil {
			seen = make(map[ward.Change]bool)
		}
		if !seen[c] {
			seen[c] = true
			changes = append(changes, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("drain changes: %w", err)
	}
	return changes, nil
}
