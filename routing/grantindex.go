package routing

import (
	"context"
	"sync"
	"time"

	"github.com/wardhq/ward"
)

// GrantIndex holds the live grants in memory, by worker, for the gateway's
// hot path. Lookup reads no database and allocates nothing.
//
// The index fails closed: a change to a grant removes it at once, and it
// returns only after the grant is re-read and found live; after ChangeAll
// every lookup is denied until the reload completes.
type GrantIndex struct {
	grants ward.GrantService
	now    func() time.Time

	mu       sync.RWMutex
	byWorker map[string][]*liveGrant
	byID     map[string]*liveGrant
	// gen counts the changes seen per grant ID, so that a re-read that
	// raced with a later change is discarded, and Put does not revive a
	// grant changed after its creation.
	gen       map[string]uint64
	stale     bool // ChangeAll seen; reload pending
	reloading map[string]bool

	pmu     sync.Mutex
	pending map[string]bool
	all     bool
	wake    chan struct{}
}

type liveGrant struct {
	g       *ward.Grant // shared read-only copy
	patient string
	types   []string
	inter   uint8
	nb, exp int64 // unix nanoseconds
}

func interactionBit(s string) uint8 {
	switch s {
	case ward.InteractionRead:
		return 1
	case ward.InteractionVRead:
		return 2
	case ward.InteractionSearch:
		return 4
	case ward.InteractionHistory:
		return 8
	}
	return 0
}

// NewGrantIndex returns an empty index over grants. Call Load, and Follow
// the store's change feed. now is the clock (nil means time.Now); it decides
// only which expired grants are dropped, never whether a lookup succeeds.
func NewGrantIndex(grants ward.GrantService, now func() time.Time) *GrantIndex {
	if now == nil {
		now = time.Now
	}
	return &GrantIndex{
		grants:   grants,
		now:      now,
		byWorker: map[string][]*liveGrant{},
		byID:     map[string]*liveGrant{},
		gen:      map[string]uint64{},
		pending:  map[string]bool{},
		wake:     make(chan struct{}, 1),
	}
}

// Lookup returns the grant that lets workerID use interaction on
// resourceType of patientRef at now. The returned grant is shared: do not
// modify it.
func (x *GrantIndex) Lookup(workerID, patientRef, resourceType, interaction string, now time.Time) (*ward.Grant, bool) {
	bit := interactionBit(interaction)
	if bit == 0 {
		return nil, false
	}
	t := now.UnixNano()
	x.mu.RLock()
	if !x.stale {
		for _, g := range x.byWorker[workerID] {
			if g.patient == patientRef && g.inter&bit != 0 && t >= g.nb && t < g.exp {
				for _, rt := range g.types {
					if rt == resourceType {
						x.mu.RUnlock()
						return g.g, true
					}
				}
			}
		}
	}
	x.mu.RUnlock()
	return nil, false
}

// Live returns the grants live at now, for workerID if it is not empty,
// and for taskID if it is not empty. The grants are shared: do not modify
// them.
func (x *GrantIndex) Live(workerID, taskID string, now time.Time) []*ward.Grant {
	t := now.UnixNano()
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.stale {
		return nil
	}
	var out []*ward.Grant
	visit := func(g *liveGrant) {
		if t >= g.nb && t < g.exp && (taskID == "" || g.g.TaskID == taskID) && (workerID == "" || g.g.WorkerID == workerID) {
			out = append(out, g.g)
		}
	}
	if workerID != "" {
		for _, g := range x.byWorker[workerID] {
			visit(g)
		}
		return out
	}
	for _, g := range x.byID {
		visit(g)
	}
	return out
}

// Len returns the number of grants held (some may have expired).
func (x *GrantIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

// Put adds a grant this process has just created. It is ignored when the
// grant is not live at its expiry or was changed (revoked) after its
// creation, as the change feed reported.
func (x *GrantIndex) Put(g *ward.Grant) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.gen[g.ID] > 1 {
		return
	}
	x.putLocked(g)
}

// putLocked replaces the grant's entry; a revoked or expired grant is only
// removed.
func (x *GrantIndex) putLocked(g *ward.Grant) {
	x.removeLocked(g.ID)
	if g.RevokedAt != nil || !g.ExpiresAt.After(x.now()) {
		return
	}
	c := *g
	c.ResourceTypes = append([]string(nil), g.ResourceTypes...)
	c.Interactions = append([]string(nil), g.Interactions...)
	lg := &liveGrant{g: &c, patient: c.PatientRef, types: c.ResourceTypes, nb: c.NotBefore.UnixNano(), exp: c.ExpiresAt.UnixNano()}
	for _, in := range c.Interactions {
		lg.inter |= interactionBit(in)
	}
	x.byID[c.ID] = lg
	x.byWorker[c.WorkerID] = append(x.byWorker[c.WorkerID], lg)
}

// Remove drops a grant, as on its revocation by this process.
func (x *GrantIndex) Remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(id)
}

func (x *GrantIndex) removeLocked(id string) {
	lg, ok := x.byID[id]
	if !ok {
		return
	}
	delete(x.byID, id)
	list := x.byWorker[lg.g.WorkerID]
	for i, e := range list {
		if e == lg {
			// A new slice, so that a concurrent reader's range over the
			// old one (under RLock, which excludes this) is never needed.
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(x.byWorker, lg.g.WorkerID)
	} else {
		x.byWorker[lg.g.WorkerID] = list
	}
}

// Sweep drops grants expired at now and forgets their change counts.
func (x *GrantIndex) Sweep(now time.Time) {
	t := now.UnixNano()
	x.mu.Lock()
	defer x.mu.Unlock()
	for id, g := range x.byID {
		if g.exp <= t {
			x.removeLocked(id)
			delete(x.gen, id)
		}
	}
	if len(x.gen) > 4*len(x.byID)+1024 {
		for id := range x.gen {
			if _, ok := x.byID[id]; !ok {
				delete(x.gen, id)
			}
		}
	}
}

// Load replaces the index with the grants live now in the store.
func (x *GrantIndex) Load(ctx context.Context) error {
	x.mu.Lock()
	x.reloading = map[string]bool{}
	x.mu.Unlock()
	now := x.now()
	var all []*ward.Grant
	for off := 0; ; off += ward.MaxLimit {
		gs, _, err := x.grants.FindGrants(ctx, ward.GrantFilter{LiveAt: &now, Page: ward.Page{Offset: off, Limit: ward.MaxLimit}})
		if err != nil {
			x.mu.Lock()
			x.reloading = nil
			x.mu.Unlock()
			return err
		}
		all = append(all, gs...)
		if len(gs) < ward.MaxLimit {
			break
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	changed := x.reloading
	x.reloading = nil
	x.byWorker, x.byID = map[string][]*liveGrant{}, map[string]*liveGrant{}
	for _, g := range all {
		// A grant changed while the pages were read may be stale; it stays
		// out until its pending re-read.
		if !changed[g.ID] {
			x.putLocked(g)
		}
	}
	x.stale = false
	return nil
}

// Follow subscribes the index to feed and keeps it current until ctx ends
// or the returned stop is called. It re-reads a changed grant outside the
// feed's callback, as ChangeFeed requires.
func (x *GrantIndex) Follow(ctx context.Context, feed ward.ChangeFeed) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	unsub := feed.Subscribe(x.onChange)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); x.run(ctx) }()
	return func() { unsub(); cancel(); wg.Wait() }
}

// onChange runs on the committing goroutine: it only drops and marks.
func (x *GrantIndex) onChange(c ward.Change) {
	switch c.Table {
	case "grants":
		x.mu.Lock()
		x.gen[c.ID]++
		x.removeLocked(c.ID)
		if x.reloading != nil {
			x.reloading[c.ID] = true
		}
		x.mu.Unlock()
		x.pmu.Lock()
		x.pending[c.ID] = true
		x.pmu.Unlock()
	case ward.ChangeAll:
		x.mu.Lock()
		x.stale = true
		x.mu.Unlock()
		x.pmu.Lock()
		x.all = true
		x.pmu.Unlock()
	default:
		return
	}
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// run applies pending changes; on a store error it retries after a pause,
// the affected grants staying out of the index meanwhile.
func (x *GrantIndex) run(ctx context.Context) {
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			x.Sweep(x.now())
			continue
		case <-x.wake:
		}
		if err := x.apply(ctx); err != nil && ctx.Err() == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
			select {
			case x.wake <- struct{}{}:
			default:
			}
		}
	}
}

// Sync applies pending changes now (tests, and callers that need the
// index current before they answer).
func (x *GrantIndex) Sync(ctx context.Context) error { return x.apply(ctx) }

func (x *GrantIndex) apply(ctx context.Context) error {
	x.pmu.Lock()
	all, ids := x.all, x.pending
	x.all, x.pending = false, map[string]bool{}
	x.pmu.Unlock()
	requeue := func(err error) error {
		x.pmu.Lock()
		x.all = x.all || all
		for id := range ids {
			x.pending[id] = true
		}
		x.pmu.Unlock()
		return err
	}
	if all {
		if err := x.Load(ctx); err != nil {
			return requeue(err)
		}
	}
	for id := range ids {
		x.mu.RLock()
		g0 := x.gen[id]
		x.mu.RUnlock()
		g, err := x.grants.FindGrantByID(ctx, id)
		if ward.ErrorCode(err) == ward.ENOTFOUND {
			delete(ids, id)
			continue
		} else if err != nil {
			return requeue(err)
		}
		x.mu.Lock()
		if x.gen[id] == g0 {
			x.putLocked(g)
		}
		x.mu.Unlock()
		delete(ids, id)
	}
	return nil
}
