package identity

import (
	"context"
	"net/netip"
	"sort"
	"sync"

	"github.com/wardhq/ward"
)

// table is an in-memory copy of one kind of record, kept by ID. A record
// missing from the map is loaded from the store on first use; a change to
// it (delivered by the change feed) drops it, so the next use reloads it.
//
// gen counts invalidations. A load installs its result only when no
// invalidation happened while it read the store: otherwise a change
// delivered mid-read could be overwritten by the older record it replaced,
// and then never be seen.
type table[T any] struct {
	mu   sync.RWMutex
	m    map[string]*T
	gen  uint64
	find func(ctx context.Context, id string) (*T, error)
}

func newTable[T any](find func(ctx context.Context, id string) (*T, error)) *table[T] {
	return &table[T]{m: make(map[string]*T), find: find}
}

// get returns the record, loading it when not cached. It returns the
// store's error (ENOTFOUND for a deleted record).
func (t *table[T]) get(ctx context.Context, id string) (*T, error) {
	t.mu.RLock()
	v, ok := t.m[id]
	gen := t.gen
	t.mu.RUnlock()
	if ok {
		return v, nil
	}
	v, err := t.find(ctx, id)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	if t.gen == gen {
		t.m[id] = v
	}
	t.mu.Unlock()
	return v, nil
}

// fill installs records read by a bulk load that began at generation gen.
// Records already cached are newer or equal, so they are kept.
func (t *table[T]) fill(gen uint64, recs map[string]*T) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen != gen {
		return
	}
	for id, v := range recs {
		if _, ok := t.m[id]; !ok {
			t.m[id] = v
		}
	}
}

func (t *table[T]) generation() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.gen
}

func (t *table[T]) invalidate(id string) {
	t.mu.Lock()
	delete(t.m, id)
	t.gen++
	t.mu.Unlock()
}

func (t *table[T]) invalidateAll() {
	t.mu.Lock()
	clear(t.m)
	t.gen++
	t.mu.Unlock()
}

// siteSnap is every site with its parsed egress prefixes. Sites are
// needed as a whole (an address is matched against all of them), so they
// are cached as one immutable snapshot, replaced after any site change.
type siteSnap struct {
	byID    map[string]*ward.Site
	ordered []*ward.Site // by ID
	ranges  []siteRange  // most specific first
}

type siteRange struct {
	prefix netip.Prefix
	site   *ward.Site
}

func newSiteSnap(sites []*ward.Site) *siteSnap {
	s := &siteSnap{byID: make(map[string]*ward.Site, len(sites))}
	for _, site := range sites {
		s.byID[site.ID] = site
		s.ordered = append(s.ordered, site)
		for _, c := range site.EgressCIDRs {
			if p, err := netip.ParsePrefix(c); err == nil {
				s.ranges = append(s.ranges, siteRange{p.Masked(), site})
			}
		}
	}
	sort.Slice(s.ordered, func(i, j int) bool { return s.ordered[i].ID < s.ordered[j].ID })
	// Most specific first, then by site ID, so overlapping ranges resolve
	// the same way on every replica.
	sort.SliceStable(s.ranges, func(i, j int) bool {
		a, b := s.ranges[i], s.ranges[j]
		if a.prefix.Bits() != b.prefix.Bits() {
			return a.prefix.Bits() > b.prefix.Bits()
		}
		return a.site.ID < b.site.ID
	})
	return s
}

// lookup returns the site whose egress range holds addr, or nil.
func (s *siteSnap) lookup(addr netip.Addr) *ward.Site {
	for _, r := range s.ranges {
		if r.prefix.Contains(addr) {
			return r.site
		}
	}
	return nil
}

// firstOfVendor returns the vendor's site with the lowest ID, or nil.
func (s *siteSnap) firstOfVendor(vendorID string) *ward.Site {
	for _, site := range s.ordered {
		if site.VendorID == vendorID {
			return site
		}
	}
	return nil
}

// sites caches the site snapshot with the same generation rule as table.
type sites struct {
	mu   sync.RWMutex
	snap *siteSnap // nil: stale, reload before use
	gen  uint64
	svc  ward.SiteService
}

func (s *sites) get(ctx context.Context) (*siteSnap, error) {
	s.mu.RLock()
	snap, gen := s.snap, s.gen
	s.mu.RUnlock()
	if snap != nil {
		return snap, nil
	}
	all, err := findAll(ctx, func(ctx context.Context, p ward.Page) ([]*ward.Site, int, error) {
		return s.svc.FindSites(ctx, ward.SiteFilter{Page: p})
	})
	if err != nil {
		return nil, err
	}
	snap = newSiteSnap(all)
	s.mu.Lock()
	if s.gen == gen {
		s.snap = snap
	}
	s.mu.Unlock()
	return snap, nil
}

func (s *sites) invalidate() {
	s.mu.Lock()
	s.snap = nil
	s.gen++
	s.mu.Unlock()
}

// findAll pages through a Find method.
func findAll[T any](ctx context.Context, find func(context.Context, ward.Page) ([]*T, int, error)) ([]*T, error) {
	var all []*T
	for off := 0; ; {
		page, total, err := find(ctx, ward.Page{Offset: off, Limit: ward.MaxLimit})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		off += len(page)
		if len(page) == 0 || off >= total {
			return all, nil
		}
	}
}

// directory holds the records a session's validity depends on.
type directory struct {
	workers   *table[ward.Worker]
	vendors   *table[ward.Vendor]
	teams     *table[ward.Team]
	schedules *table[ward.Schedule]
	sites     *sites
}

func newDirectory(svc ward.Services) *directory {
	return &directory{
		workers:   newTable(svc.Workers.FindWorkerByID),
		vendors:   newTable(svc.Vendors.FindVendorByID),
		teams:     newTable(svc.Teams.FindTeamByID),
		schedules: newTable(svc.Schedules.FindScheduleByID),
		sites:     &sites{svc: svc.Sites},
	}
}

// invalidate drops what a change makes stale. It reports whether the
// change touched the directory.
func (d *directory) invalidate(c ward.Change) bool {
	switch c.Table {
	case "workers":
		d.workers.invalidate(c.ID)
	case "vendors":
		d.vendors.invalidate(c.ID)
	case "teams":
		d.teams.invalidate(c.ID)
	case "schedules":
		d.schedules.invalidate(c.ID)
	case "sites":
		d.sites.invalidate()
	case ward.ChangeAll:
		d.workers.invalidateAll()
		d.vendors.invalidateAll()
		d.teams.invalidateAll()
		d.schedules.invalidateAll()
		d.sites.invalidate()
	default:
		return false
	}
	return true
}

// load reads every record into the caches, so that the first requests
// after start need no store reads. Workers' Transitions are not loaded
// (FindWorkers leaves them empty); nothing here needs them.
func (d *directory) load(ctx context.Context, svc ward.Services) error {
	if err := loadTable(ctx, d.workers, func(ctx context.Context, p ward.Page) ([]*ward.Worker, int, error) {
		return svc.Workers.FindWorkers(ctx, ward.WorkerFilter{Page: p})
	}, func(w *ward.Worker) string { return w.ID }); err != nil {
		return err
	}
	if err := loadTable(ctx, d.vendors, func(ctx context.Context, p ward.Page) ([]*ward.Vendor, int, error) {
		return svc.Vendors.FindVendors(ctx, ward.VendorFilter{Page: p})
	}, func(v *ward.Vendor) string { return v.ID }); err != nil {
		return err
	}
	if err := loadTable(ctx, d.teams, func(ctx context.Context, p ward.Page) ([]*ward.Team, int, error) {
		return svc.Teams.FindTeams(ctx, ward.TeamFilter{Page: p})
	}, func(t *ward.Team) string { return t.ID }); err != nil {
		return err
	}
	if err := loadTable(ctx, d.schedules, func(ctx context.Context, p ward.Page) ([]*ward.Schedule, int, error) {
		return svc.Schedules.FindSchedules(ctx, ward.ScheduleFilter{Page: p})
	}, func(s *ward.Schedule) string { return s.ID }); err != nil {
		return err
	}
	_, err := d.sites.get(ctx)
	return err
}

func loadTable[T any](ctx context.Context, t *table[T], find func(context.Context, ward.Page) ([]*T, int, error), id func(*T) string) error {
	gen := t.generation()
	all, err := findAll(ctx, find)
	if err != nil {
		return err
	}
	m := make(map[string]*T, len(all))
	for _, v := range all {
		m[id(v)] = v
	}
	t.fill(gen, m)
	return nil
}
