package gateway

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardhq/ward"
)

// Directory gives the gateway the records a decision needs, from memory:
// it MUST NOT read the database on the request path (identity's directory,
// kept current by the change feed, implements it through an adapter).
type Directory interface {
	Worker(id string) (*ward.Worker, bool)
	Team(id string) (*ward.Team, bool)
	Vendor(id string) (*ward.Vendor, bool)
	Schedule(id string) (*ward.Schedule, bool)
}

// StaticDirectory is a Directory over fixed maps, for tests, benchmarks
// and tools. Set it up before use; it is safe for concurrent reads.
type StaticDirectory struct {
	Workers   map[string]*ward.Worker
	Teams     map[string]*ward.Team
	Vendors   map[string]*ward.Vendor
	Schedules map[string]*ward.Schedule
}

// Worker implements Directory.
func (d *StaticDirectory) Worker(id string) (*ward.Worker, bool) {
	w, ok := d.Workers[id]
	return w, ok
}

// Team implements Directory.
func (d *StaticDirectory) Team(id string) (*ward.Team, bool) { t, ok := d.Teams[id]; return t, ok }

// Vendor implements Directory.
func (d *StaticDirectory) Vendor(id string) (*ward.Vendor, bool) {
	v, ok := d.Vendors[id]
	return v, ok
}

// Schedule implements Directory.
func (d *StaticDirectory) Schedule(id string) (*ward.Schedule, bool) {
	s, ok := d.Schedules[id]
	return s, ok
}

// shiftCache remembers, per schedule record, the shift last found, so that
// the hot path does not load a time zone and walk windows on every
// request. A changed schedule is a new record (pointer): the cache entry
// of the old one is replaced.
type shiftCache struct {
	m sync.Map // schedule ID → *shiftEntry
}

type shiftEntry struct {
	s          *ward.Schedule
	start, end int64 // unix nanoseconds
}

func (c *shiftCache) onShift(s *ward.Schedule, now time.Time) bool {
	t := now.UnixNano()
	if v, ok := c.m.Load(s.ID); ok {
		e := v.(*shiftEntry)
		if e.s == s && t >= e.start && t < e.end {
			return true
		}
	}
	start, end, ok := s.Shift(now)
	if !ok {
		return false
	}
	c.m.Store(s.ID, &shiftEntry{s: s, start: start.UnixNano(), end: end.UnixNano()})
	return true
}

// recentGrants remembers each worker's last permitting grant, so that a
// denial can say grant_expired rather than no_live_grant.
type recentGrants struct {
	m sync.Map // worker ID → *atomic.Pointer[ward.Grant]
}

func (r *recentGrants) note(workerID string, g *ward.Grant) {
	if v, ok := r.m.Load(workerID); ok {
		p := v.(*atomic.Pointer[ward.Grant])
		if p.Load() != g {
			p.Store(g)
		}
		return
	}
	p := new(atomic.Pointer[ward.Grant])
	p.Store(g)
	r.m.Store(workerID, p)
}

func (r *recentGrants) expired(workerID string, now time.Time) bool {
	v, ok := r.m.Load(workerID)
	if !ok {
		return false
	}
	g := v.(*atomic.Pointer[ward.Grant]).Load()
	return g != nil && g.RevokedAt == nil && !now.Before(g.ExpiresAt)
}
