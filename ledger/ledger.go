package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/wardhq/ward"
	"golang.org/x/mod/sumdb/note"
)

// Defaults for Options.
const (
	DefaultOrigin             = "ward.example/ledger"
	DefaultBatchSize          = 4096
	DefaultCheckpointInterval = time.Second
)

// maxConflicts bounds how often one batch is retried after ECONFLICT, that
// is after another replica appended first. Each conflict means that
// replica made progress, so the bound only stops a store that returns
// ECONFLICT forever.
const maxConflicts = 100

// Options configure a Ledger. The zero value gives the defaults.
type Options struct {
	// Origin is the first line of every checkpoint: a name for this log,
	// unique to the deployment, such as "ward.hospital.example/ledger".
	// Default DefaultOrigin.
	Origin string
	// Now returns the current time, for checkpoints' CreatedAt. Default
	// time.Now.
	Now func() time.Time
	// Logger receives errors the ledger recovers from. Default: discard.
	Logger *slog.Logger
	// BatchSize bounds how many queued events one store transaction
	// appends. Default DefaultBatchSize.
	BatchSize int
	// CheckpointInterval is how soon after the log grows a new checkpoint
	// is signed: at most one per interval. Default
	// DefaultCheckpointInterval.
	CheckpointInterval time.Duration
	// WitnessPath, if set, is a file outside the database where the
	// ledger keeps a copy of the latest checkpoint it signed (the note
	// text), replaced atomically. Open refuses a store whose log
	// disagrees with it, and VerifyOptions.Checkpoints takes it: someone
	// who can rewrite the database, but not this file, cannot truncate
	// the log and append again unnoticed even if they delete the later
	// checkpoints too.
	WitnessPath string
	// Appended, if set, is called after each batch is durable with the new
	// size of the log, from the sequencer: it must not block. The syslog
	// forwarder's Notify is one.
	Appended func(size uint64)
}

// Ledger appends events to the audit log in a store, using group commit,
// and signs checkpoints of it. It implements ward.Auditor.
//
// Callers enqueue events; one sequencer goroutine takes everything queued
// (up to Options.BatchSize), numbers the events from the current size,
// computes the tree nodes they complete, appends leaves and nodes in
// one store transaction and then wakes every caller with its index. A
// second goroutine signs checkpoints. Several Ledgers (ward replicas) may
// share one store: a Ledger that finds the log grown by another (ECONFLICT)
// reloads the tree's right edge and renumbers its batch.
type Ledger struct {
	store    ward.LedgerStore
	signer   note.Signer
	origin   string
	now      func() time.Time
	logger   *slog.Logger
	batch    int
	interval time.Duration
	witness  string
	appended func(size uint64) // Options.Appended

	// mu guards closed and makes Close wait for enqueuers in flight.
	mu     sync.RWMutex
	closed bool
	queue  chan *request
	stop   chan struct{} // closed by Close: drain the queue and exit
	done   chan struct{} // closed when the sequencer has exited

	ctx    context.Context // the ledger's lifetime; store calls use it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// Owned by the sequencer goroutine.
	rng    *compact.Range // right edge of the tree; nil: reload from the store
	leaves []ward.LedgerLeaf
	nodes  []ward.LedgerNode

	state atomic.Pointer[state] // the last committed state
	dirty chan struct{}         // wakes the checkpointer (capacity 1)

	cpMu sync.Mutex             // serialises signing and saving checkpoints
	last *state                 // state of the last saved checkpoint; guarded by cpMu
	cp   *ward.LedgerCheckpoint // the last saved checkpoint; guarded by cpMu
}

var _ ward.Auditor = (*Ledger)(nil)

// state is a committed size of the log with its root and the time of its
// last entry.
type state struct {
	size        uint64
	root        []byte
	lastEventAt time.Time
}

// request is one event waiting for its index.
type request struct {
	leaf ward.LedgerLeaf
	done chan result // capacity 1: the sequencer never blocks on it
}

type result struct {
	index uint64
	err   error
}

var requests = sync.Pool{New: func() any { return &request{done: make(chan result, 1)} }}

// Open loads the tree's right edge from store and starts the ledger's
// sequencer and checkpointer. signer signs checkpoints (see
// LoadOrCreateKey). Call Close when done.
//
// Open refuses (with an error wrapping ErrTampered) a store whose log is
// shorter than its latest checkpoint, or whose tree at that size does not
// have the checkpoint's root: appending to it would build on a log that
// was truncated or altered. Run Verify to locate the damage.
func Open(ctx context.Context, store ward.LedgerStore, signer note.Signer, opts Options) (*Ledger, error) {
	if store == nil || signer == nil {
		return nil, errors.New("ledger: store and signer required")
	}
	l := &Ledger{
		store:    store,
		signer:   signer,
		origin:   opts.Origin,
		now:      opts.Now,
		logger:   opts.Logger,
		batch:    opts.BatchSize,
		interval: opts.CheckpointInterval,
		witness:  opts.WitnessPath,
		appended: opts.Appended,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		dirty:    make(chan struct{}, 1),
	}
	if l.origin == "" {
		l.origin = DefaultOrigin
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	l.logger = l.logger.WithGroup("ledger")
	if l.batch <= 0 {
		l.batch = DefaultBatchSize
	}
	if l.interval <= 0 {
		l.interval = DefaultCheckpointInterval
	}
	l.queue = make(chan *request, 2*l.batch)

	// Read the checkpoint before the size: a checkpoint is saved after
	// the entries it covers, so a log that is merely growing (another
	// replica) is never mistaken for a truncated one.
	latest, err := store.LatestCheckpoint(ctx)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		latest, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: latest checkpoint: %w", err)
	}
	if err := l.reload(ctx); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	st := l.state.Load()
	if latest != nil {
		if err := checkAgainst(ctx, store, st.size, latest.Size, latest.Root, "the latest checkpoint"); err != nil {
			return nil, err
		}
		l.last = &state{size: latest.Size, root: latest.Root}
		l.cp = latest
	}
	if l.witness != "" {
		c, err := readWitness(l.witness)
		if err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		if c != nil {
			if err := checkAgainst(ctx, store, st.size, c.Size, c.Root, "the witness checkpoint "+l.witness); err != nil {
				return nil, err
			}
		}
	}
	if latest == nil && st.size > 0 || latest != nil && latest.Size < st.size {
		l.markDirty() // entries after the last checkpoint (a crash): sign soon
	}

	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(1)
	go func() { defer l.wg.Done(); l.checkpointer() }()
	go func() { defer close(l.done); l.sequencer() }()
	return l, nil
}

// checkAgainst checks that the log of the given size in store has at
// least cpSize entries and that its tree of cpSize entries has root
// cpRoot, from O(log n) stored nodes.
func checkAgainst(ctx context.Context, store ward.LedgerStore, size, cpSize uint64, cpRoot []byte, what string) error {
	if cpSize > size {
		return &TamperError{Index: size, Last: cpSize - 1,
			Reason: fmt.Sprintf("missing: the log has %d entries but %s covers %d; run ward audit verify", size, what, cpSize)}
	}
	rng, err := loadRange(ctx, store, cpSize)
	if err != nil {
		return fmt.Errorf("ledger: load tree of size %d: %w", cpSize, err)
	}
	if !slices.Equal(rootOf(rng), cpRoot) && cpSize > 0 {
		return &TamperError{Index: 0, Last: cpSize - 1,
			Reason: fmt.Sprintf("the stored tree of size %d does not have the root of %s: entries were altered; run ward audit verify", cpSize, what)}
	}
	return nil
}

// Close stops accepting events, commits those already queued, signs a last
// checkpoint if the log grew, and stops the ledger's goroutines. Audit
// calls after Close return EUNAVAILABLE.
func (l *Ledger) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	var err error
	if l.Size() > 0 {
		_, err = l.Checkpoint(l.ctx)
	}
	l.cancel()
	l.wg.Wait()
	return err
}

// Size returns the number of entries this ledger knows to be committed.
// Other replicas may have appended more.
func (l *Ledger) Size() uint64 { return l.state.Load().size }

// Audit appends e to the log and returns its index. It returns only after
// the store has committed the entry durably; callers release PHI only
// after it returns nil.
//
// It returns EINVALID if e fails validation or cannot be encoded, and
// EUNAVAILABLE ("The audit ledger is unavailable.") if the store fails or
// the ledger is closed; then nothing was committed by this call, except
// that a store error of uncertain outcome (a commit whose reply was lost)
// may leave the entry in the log without its index being known.
//
// If ctx ends while the event waits, Audit returns ctx.Err(), but the event
// may still be committed: it is in the queue or in a transaction already.
// A caller that gets an error MUST treat the event as not recorded for its
// own purposes (release nothing), and MAY find it in the log later.
func (l *Ledger) Audit(ctx context.Context, e *ward.Event) (uint64, error) {
	if e == nil {
		return 0, ward.Errorf(ward.EINVALID, "Audit event required.")
	}
	if err := e.Validate(); err != nil {
		return 0, err
	}
	leaf, err := newLeaf(e)
	if err != nil {
		return 0, ward.Errorf(ward.EINVALID, "The audit event cannot be encoded: %v.", err)
	}
	return l.append(ctx, leaf)
}

// Append is Audit under the name the ledger literature uses.
func (l *Ledger) Append(ctx context.Context, e *ward.Event) (uint64, error) {
	return l.Audit(ctx, e)
}

// AppendAll appends events and returns their indices, in order. The events
// are queued together, so they usually share one transaction, but not
// always: AppendAll is not atomic. On error, some events may have been
// committed; the indices of those known to be are returned (0 for the
// others) with the first error.
func (l *Ledger) AppendAll(ctx context.Context, events []*ward.Event) ([]uint64, error) {
	reqs := make([]*request, 0, len(events))
	for _, e := range events {
		if e == nil {
			return nil, ward.Errorf(ward.EINVALID, "Audit event required.")
		}
		if err := e.Validate(); err != nil {
			return nil, err
		}
		leaf, err := newLeaf(e)
		if err != nil {
			return nil, ward.Errorf(ward.EINVALID, "The audit event cannot be encoded: %v.", err)
		}
		r := requests.Get().(*request)
		r.leaf = leaf
		reqs = append(reqs, r)
	}
	indices := make([]uint64, len(events))
	var first error
	queued := 0
	for _, r := range reqs {
		if err := l.enqueue(ctx, r); err != nil {
			first = err
			break
		}
		queued++
	}
	for i, r := range reqs[:queued] {
		select {
		case res := <-r.done:
			if res.err != nil && first == nil {
				first = res.err
			}
			indices[i] = res.index
			r.leaf = ward.LedgerLeaf{}
			requests.Put(r)
		case <-ctx.Done():
			if first == nil {
				first = ctx.Err()
			}
			return indices, first
		}
	}
	return indices, first
}

// errClosed is returned for events offered after Close.
var errClosed = ward.Errorf(ward.EUNAVAILABLE, "The audit ledger is closed.")

// enqueue hands r to the sequencer.
func (l *Ledger) enqueue(ctx context.Context, r *request) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return errClosed
	}
	select {
	case l.queue <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// append queues leaf and waits for its index.
func (l *Ledger) append(ctx context.Context, leaf ward.LedgerLeaf) (uint64, error) {
	r := requests.Get().(*request)
	r.leaf = leaf
	if err := l.enqueue(ctx, r); err != nil {
		r.leaf = ward.LedgerLeaf{}
		requests.Put(r)
		return 0, err
	}
	select {
	case res := <-r.done:
		r.leaf = ward.LedgerLeaf{}
		requests.Put(r)
		return res.index, res.err
	case <-ctx.Done():
		// r stays with the sequencer, which may still commit it; it is
		// not reused.
		return 0, ctx.Err()
	}
}

// sequencer commits queued requests in batches until Close, then commits
// whatever is left in the queue.
func (l *Ledger) sequencer() {
	batch := make([]*request, 0, l.batch)
	for {
		var r *request
		select {
		case r = <-l.queue:
		case <-l.stop:
			// Close holds no enqueuer in flight any more: what is queued
			// now is all there will be.
			for {
				batch = l.drain(batch[:0])
				if len(batch) == 0 {
					return
				}
				l.commit(batch)
				clear(batch)
			}
		}
		batch = l.drain(append(batch[:0], r))
		l.commit(batch)
		clear(batch) // drop the references for the garbage collector
	}
}

// drain appends queued requests to batch, without waiting, up to the batch
// size.
func (l *Ledger) drain(batch []*request) []*request {
	for len(batch) < l.batch {
		select {
		case r := <-l.queue:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// unavailable is the ward.Error in every error of a failed batch.
var unavailable = ward.Errorf(ward.EUNAVAILABLE, "The audit ledger is unavailable.")

// commit appends batch to the store in one transaction and wakes its
// waiters. On ECONFLICT it reloads the tree and retries; on any other
// error it fails the whole batch and leaves the tree to be reloaded by the
// next batch, so a failed batch corrupts no state.
func (l *Ledger) commit(batch []*request) {
	var err error
	for attempt := 0; attempt < maxConflicts; attempt++ {
		if l.rng == nil {
			if err = l.reload(l.ctx); err != nil {
				break
			}
		}
		start := l.rng.End()
		l.leaves = l.leaves[:0]
		for i, r := range batch {
			r.leaf.Index = start + uint64(i)
			l.leaves = append(l.leaves, r.leaf)
		}
		var rng *compact.Range
		rng, l.nodes, err = extend(l.rng, l.leaves, l.nodes[:0])
		if err == nil {
			err = l.store.AppendLedger(l.ctx, l.leaves, l.nodes)
		}
		if err == nil {
			l.rng = rng
			last := batch[len(batch)-1].leaf.Time
			l.state.Store(&state{size: rng.End(), root: rootOf(rng), lastEventAt: last})
			for i, r := range batch {
				r.done <- result{index: start + uint64(i)}
			}
			l.markDirty()
			if l.appended != nil {
				l.appended(rng.End())
			}
			return
		}
		// The store may or may not hold the batch now (a lost reply), or
		// another replica appended: reload before the next attempt.
		l.rng = nil
		if ward.ErrorCode(err) != ward.ECONFLICT {
			break
		}
		l.logger.Debug("append conflict; reloading", "attempt", attempt+1, "size", start)
	}
	l.logger.Error("append failed", "events", len(batch), "err", err)
	err = &unavailableError{fmt.Errorf("append %d events: %w", len(batch), err)}
	for _, r := range batch {
		r.done <- result{err: err}
	}
}

// extend returns a copy of rng with the hashes of leaves appended, and
// appends to nodes the roots of the perfect subtrees the leaves complete.
// Leaf hashes (level 0) are stored with the leaves, not as nodes. rng is
// left unchanged, so a batch that fails leaves no trace.
func extend(rng *compact.Range, leaves []ward.LedgerLeaf, nodes []ward.LedgerNode) (*compact.Range, []ward.LedgerNode, error) {
	// Clone the hashes: Append rewrites the slice's backing array.
	next, err := factory.NewRange(rng.Begin(), rng.End(), slices.Clone(rng.Hashes()))
	if err != nil {
		return nil, nodes, err
	}
	visit := func(id compact.NodeID, hash []byte) {
		if id.Level > 0 {
			nodes = append(nodes, ward.LedgerNode{Level: id.Level, Index: id.Index, Hash: hash})
		}
	}
	for _, l := range leaves {
		if err := next.Append(l.Hash, visit); err != nil {
			return nil, nodes, err
		}
	}
	return next, nodes, nil
}

// reload reads the size and the compact range of the log from the store.
func (l *Ledger) reload(ctx context.Context) error {
	size, err := l.store.LedgerSize(ctx)
	if err != nil {
		return fmt.Errorf("ledger size: %w", err)
	}
	rng, err := loadRange(ctx, l.store, size)
	if err != nil {
		return fmt.Errorf("load tree: %w", err)
	}
	st := &state{size: size, root: rootOf(rng)}
	if size > 0 {
		leaves, err := l.store.ReadLedger(ctx, size-1, 1)
		if err != nil {
			return fmt.Errorf("read entry %d: %w", size-1, err)
		}
		if len(leaves) == 1 {
			st.lastEventAt = leaves[0].Time
		}
	}
	l.rng = rng
	l.state.Store(st)
	return nil
}

func (l *Ledger) markDirty() {
	select {
	case l.dirty <- struct{}{}:
	default:
	}
}

// checkpointer signs a checkpoint one interval after the log grows: one
// checkpoint covers every append of that interval, so there is at most one
// per interval under load, and none while the log is idle.
func (l *Ledger) checkpointer() {
	t := time.NewTimer(0)
	<-t.C
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-l.dirty:
		}
		t.Reset(l.interval)
		select {
		case <-l.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if _, err := l.Checkpoint(l.ctx); err != nil {
			if l.ctx.Err() != nil {
				return
			}
			l.logger.Error("checkpoint failed; retrying", "err", err)
			l.markDirty() // try again after the interval
		}
	}
}

// Checkpoint signs a checkpoint of the log as this ledger last committed
// it, saves it in the store and returns it. If that size is already
// checkpointed, it returns the saved checkpoint. With several replicas,
// each signs the sizes it committed; checkpoints of the same size are
// identical. A store error is returned wrapped in an EUNAVAILABLE error.
func (l *Ledger) Checkpoint(ctx context.Context) (*ward.LedgerCheckpoint, error) {
	l.cpMu.Lock()
	defer l.cpMu.Unlock()
	st := l.state.Load()
	if l.last != nil && l.last.size >= st.size {
		return l.cp, nil
	}
	c := &Checkpoint{Origin: l.origin, Size: st.size, Root: st.root}
	msg, err := signCheckpoint(c, l.signer)
	if err != nil {
		return nil, err
	}
	cp := &ward.LedgerCheckpoint{
		Size:        st.size,
		Root:        st.root,
		Note:        msg,
		CreatedAt:   l.now().UTC(),
		LastEventAt: st.lastEventAt,
	}
	if err := l.store.SaveCheckpoint(ctx, cp); err != nil {
		return nil, &unavailableError{fmt.Errorf("save checkpoint: %w", err)}
	}
	l.last, l.cp = st, cp
	if l.witness != "" {
		// The checkpoint is saved; a stale witness only weakens a later
		// check, so log the failure rather than fail the checkpoint.
		if err := writeWitness(l.witness, msg); err != nil {
			l.logger.Error("write witness checkpoint", "path", l.witness, "err", err)
		}
	}
	return cp, nil
}

// unavailableError is an EUNAVAILABLE ward.Error that keeps its cause for
// logs and errors.Is.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return e.err.Error() }

// Unwrap puts the ward.Error first, so that ward.ErrorCode finds
// EUNAVAILABLE rather than a code in the cause (such as ECONFLICT).
func (e *unavailableError) Unwrap() []error { return []error{unavailable, e.err} }
