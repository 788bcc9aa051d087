package routing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward"
)

// DefaultMaxTTL is the longest a grant lives when Config.MaxTTL is 0.
const DefaultMaxTTL = 4 * time.Hour

// Config configures a Router.
type Config struct {
	// Services are the stores the router reads and writes: Tasks, Grants,
	// Workers, Teams, Vendors, Sites and Schedules are required.
	Services ward.Services
	// Auditor records every intake, tag, assignment, grant issue and end.
	// Required: the router fails closed without it.
	Auditor ward.Auditor
	// Profiles default to DefaultProfiles(); Tagger to the default value
	// sets.
	Profiles *Profiles
	Tagger   *Tagger
	// Grants is the grant index the router keeps current on its own
	// writes; nil makes a new one (see Router.Grants).
	Grants *GrantIndex
	// MaxTTL bounds a grant's life; 0 means DefaultMaxTTL.
	MaxTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Fetch, if set, returns a task's current FHIR data when a worker takes
	// it, so that its tags are recomputed from what the EHR holds then. An
	// error leaves the task open and fails the take (closed).
	Fetch func(ctx context.Context, t *ward.Task) (TagInput, error)
}

// Router assigns tasks to eligible workers and issues their grants. It is
// safe for concurrent use.
type Router struct {
	svc      ward.Services
	aud      ward.Auditor
	profiles *Profiles
	tagger   *Tagger
	grants   *GrantIndex
	maxTTL   time.Duration
	now      func() time.Time
	fetch    func(ctx context.Context, t *ward.Task) (TagInput, error)

	mu          sync.Mutex
	teams       map[string]*ward.Team
	vendors     map[string]*ward.Vendor
	sites       map[string]*ward.Site
	schedules   map[string]*ward.Schedule
	workers     map[string]*ward.Worker
	tasks       map[string]*entry // non-terminal tasks
	classes     map[string]*class
	teamClasses map[string][]*class // cache; cleared when a class or team appears or changes
	byAssignee  map[string]map[string]*entry
	shifts      map[string]shiftCache

	dmu      sync.Mutex
	dirty    map[string]map[string]bool // table → IDs
	dirtyAll bool

	wmu         sync.Mutex
	workerLocks map[string]*workerLock
}

type workerLock struct {
	mu   sync.Mutex
	refs int
}

// New returns a router. Call Load before use, and Follow the store's
// change feed if it has one.
func New(cfg Config) (*Router, error) {
	s := cfg.Services
	if s.Tasks == nil || s.Grants == nil || s.Workers == nil || s.Teams == nil || s.Vendors == nil || s.Sites == nil || s.Schedules == nil {
		return nil, errors.New("routing: Tasks, Grants, Workers, Teams, Vendors, Sites and Schedules services are required")
	}
	if cfg.Auditor == nil {
		return nil, errors.New("routing: an Auditor is required")
	}
	r := &Router{
		svc: s, aud: cfg.Auditor, profiles: cfg.Profiles, tagger: cfg.Tagger, grants: cfg.Grants,
		maxTTL: cfg.MaxTTL, now: cfg.Now, fetch: cfg.Fetch,
		dirty: map[string]map[string]bool{}, workerLocks: map[string]*workerLock{},
	}
	if r.profiles == nil {
		r.profiles = DefaultProfiles()
	}
	if r.tagger == nil {
		r.tagger = NewTagger(DefaultValueSets())
	}
	if r.maxTTL <= 0 {
		r.maxTTL = DefaultMaxTTL
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.grants == nil {
		r.grants = NewGrantIndex(s.Grants, r.now)
	}
	r.reset()
	return r, nil
}

// Grants returns the router's grant index, for the gateway.
func (r *Router) Grants() *GrantIndex { return r.grants }

// Profiles returns the task-type profiles the router issues grants from.
func (r *Router) Profiles() *Profiles { return r.profiles }

// Tagger returns the router's tagger.
func (r *Router) Tagger() *Tagger { return r.tagger }

// clock returns now at the stores' precision, so that what the router
// computes is what the store keeps.
func (r *Router) clock() time.Time { return r.now().UTC().Truncate(time.Microsecond) }

func (r *Router) reset() {
	r.teams, r.vendors, r.sites = map[string]*ward.Team{}, map[string]*ward.Vendor{}, map[string]*ward.Site{}
	r.schedules, r.workers = map[string]*ward.Schedule{}, map[string]*ward.Worker{}
	r.tasks, r.classes = map[string]*entry{}, map[string]*class{}
	r.teamClasses, r.byAssignee = map[string][]*class{}, map[string]map[string]*entry{}
	r.shifts = map[string]shiftCache{}
}

// all reads every page of a listing.
func all[T any](ctx context.Context, find func(ward.Page) ([]T, int, error)) ([]T, error) {
	var out []T
	for off := 0; ; off += ward.MaxLimit {
		items, _, err := find(ward.Page{Offset: off, Limit: ward.MaxLimit})
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) < ward.MaxLimit {
			return out, ctx.Err()
		}
	}
}

// Load replaces the router's state and its grant index with what the
// store holds.
func (r *Router) Load(ctx context.Context) error {
	teams, err := all(ctx, func(p ward.Page) ([]*ward.Team, int, error) {
		return r.svc.Teams.FindTeams(ctx, ward.TeamFilter{Page: p})
	})
	if err != nil {
		return fmt.Errorf("load teams: %w", err)
	}
	vendors, err := all(ctx, func(p ward.Page) ([]*ward.Vendor, int, error) {
		return r.svc.Vendors.FindVendors(ctx, ward.VendorFilter{Page: p})
	})
	if err != nil {
		return fmt.Errorf("load vendors: %w", err)
	}
	sites, err := all(ctx, func(p ward.Page) ([]*ward.Site, int, error) {
		return r.svc.Sites.FindSites(ctx, ward.SiteFilter{Page: p})
	})
	if err != nil {
		return fmt.Errorf("load sites: %w", err)
	}
	schedules, err := all(ctx, func(p ward.Page) ([]*ward.Schedule, int, error) {
		return r.svc.Schedules.FindSchedules(ctx, ward.ScheduleFilter{Page: p})
	})
	if err != nil {
		return fmt.Errorf("load schedules: %w", err)
	}
	role := ward.RoleWorker
	workers, err := all(ctx, func(p ward.Page) ([]*ward.Worker, int, error) {
		return r.svc.Workers.FindWorkers(ctx, ward.WorkerFilter{Role: &role, Page: p})
	})
	if err != nil {
		return fmt.Errorf("load workers: %w", err)
	}
	var tasks []*ward.Task
	for _, st := range []ward.TaskStatus{ward.TaskOpen, ward.TaskAssigned, ward.TaskInProgress} {
		ts, err := all(ctx, func(p ward.Page) ([]*ward.Task, int, error) {
			return r.svc.Tasks.FindTasks(ctx, ward.TaskFilter{Status: &st, Page: p})
		})
		if err != nil {
			return fmt.Errorf("load tasks: %w", err)
		}
		tasks = append(tasks, ts...)
	}
	if err := r.grants.Load(ctx); err != nil {
		return fmt.Errorf("load grants: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reset()
	for _, t := range teams {
		r.teams[t.ID] = t
	}
	for _, v := range vendors {
		r.vendors[v.ID] = v
	}
	for _, s := range sites {
		r.sites[s.ID] = s
	}
	for _, s := range schedules {
		r.schedules[s.ID] = s
	}
	for _, w := range workers {
		r.workers[w.ID] = w
	}
	for _, t := range tasks {
		r.indexTaskLocked(t)
	}
	return nil
}

// Follow subscribes the router (and its grant index) to feed until ctx
// ends or stop is called. Changes are applied, outside the feed's
// callback, at the start of the next Next.
func (r *Router) Follow(ctx context.Context, feed ward.ChangeFeed) (stop func()) {
	stopGrants := r.grants.Follow(ctx, feed)
	unsub := feed.Subscribe(func(c ward.Change) {
		r.dmu.Lock()
		defer r.dmu.Unlock()
		switch c.Table {
		case ward.ChangeAll:
			r.dirtyAll = true
		case "tasks", "teams", "workers", "vendors", "sites", "schedules":
			if r.dirty[c.Table] == nil {
				r.dirty[c.Table] = map[string]bool{}
			}
			r.dirty[c.Table][c.ID] = true
		}
	})
	return func() { unsub(); stopGrants() }
}

// reloadThreshold is how many changed tasks make a full reload cheaper
// than re-reading each.
const reloadThreshold = 2000

// sync applies the changes the feed reported.
func (r *Router) sync(ctx context.Context) error {
	r.dmu.Lock()
	dirty, allChanged := r.dirty, r.dirtyAll
	r.dirty, r.dirtyAll = map[string]map[string]bool{}, false
	r.dmu.Unlock()
	if allChanged || len(dirty["tasks"]) > reloadThreshold {
		if err := r.Load(ctx); err != nil {
			r.dmu.Lock()
			r.dirtyAll = true
			r.dmu.Unlock()
			return err
		}
		return nil
	}
	for table, ids := range dirty {
		for id := range ids {
			if err := r.refresh(ctx, table, id); err != nil {
				r.dmu.Lock()
				if r.dirty[table] == nil {
					r.dirty[table] = map[string]bool{}
				}
				r.dirty[table][id] = true
				r.dmu.Unlock()
				return err
			}
		}
	}
	return nil
}

// refresh re-reads one record into the index.
func (r *Router) refresh(ctx context.Context, table, id string) error {
	var v any
	var err error
	switch table {
	case "tasks":
		v, err = r.svc.Tasks.FindTaskByID(ctx, id)
	case "teams":
		v, err = r.svc.Teams.FindTeamByID(ctx, id)
	case "workers":
		v, err = r.svc.Workers.FindWorkerByID(ctx, id)
	case "vendors":
		v, err = r.svc.Vendors.FindVendorByID(ctx, id)
	case "sites":
		v, err = r.svc.Sites.FindSiteByID(ctx, id)
	case "schedules":
		v, err = r.svc.Schedules.FindScheduleByID(ctx, id)
	default:
		return nil
	}
	gone := ward.ErrorCode(err) == ward.ENOTFOUND
	if err != nil && !gone {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch x := v.(type) {
	case *ward.Task:
		if gone {
			r.dropTaskLocked(id)
		} else {
			r.indexTaskLocked(x)
		}
	case *ward.Team:
		r.putTeamLocked(id, x, gone)
	case *ward.Worker:
		if gone {
			delete(r.workers, id)
		} else {
			r.workers[id] = x
		}
	case *ward.Vendor:
		if gone {
			delete(r.vendors, id)
		} else {
			r.vendors[id] = x
		}
	case *ward.Site:
		if gone {
			delete(r.sites, id)
		} else {
			r.sites[id] = x
		}
	case *ward.Schedule:
		delete(r.shifts, id)
		if gone {
			delete(r.schedules, id)
		} else {
			r.schedules[id] = x
		}
	}
	return nil
}

func (r *Router) putTeamLocked(id string, t *ward.Team, gone bool) {
	delete(r.teamClasses, id)
	if gone || t == nil {
		delete(r.teams, id)
		return
	}
	r.teams[id] = t
}

// indexTaskLocked puts a task's current state into the index.
func (r *Router) indexTaskLocked(t *ward.Task) {
	r.dropTaskLocked(t.ID)
	if t.Status.Terminal() {
		return
	}
	e := newEntry(t)
	r.tasks[t.ID] = e
	switch {
	case t.Status == ward.TaskOpen:
		tags := sortedTags(t.SensitivityTags)
		key := classKey(t.Type, tags)
		c := r.classes[key]
		if c == nil {
			c = &class{key: key, typ: t.Type, tags: tags}
			r.classes[key] = c
			clear(r.teamClasses) // a new class may suit any team
		}
		c.push(e)
	case t.AssigneeID != "":
		m := r.byAssignee[t.AssigneeID]
		if m == nil {
			m = map[string]*entry{}
			r.byAssignee[t.AssigneeID] = m
		}
		m[t.ID] = e
	}
}

func (r *Router) dropTaskLocked(id string) {
	e, ok := r.tasks[id]
	if !ok {
		return
	}
	delete(r.tasks, id)
	if e.cls != nil {
		e.cls.remove(e)
	}
	if m := r.byAssignee[e.t.AssigneeID]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(r.byAssignee, e.t.AssigneeID)
		}
	}
}

// classesForLocked returns the classes whose tasks the team may work.
func (r *Router) classesForLocked(team *ward.Team) []*class {
	if cs, ok := r.teamClasses[team.ID]; ok {
		return cs
	}
	cs := []*class{}
	for _, c := range r.classes {
		if _, ok := r.profiles.For(c.typ); ok && team.Does(c.typ) && team.ClearedFor(c.tags) {
			cs = append(cs, c)
		}
	}
	r.teamClasses[team.ID] = cs
	return cs
}

// pickLocked returns the first open task the team may work, or nil.
func (r *Router) pickLocked(team *ward.Team) *entry {
	var best *entry
	for _, c := range r.classesForLocked(team) {
		if len(c.h) > 0 && (best == nil || before(c.h[0], best)) {
			best = c.h[0]
		}
	}
	return best
}

// Reasons a worker gets no task, as Check reports them.
const (
	ReasonNotWorker      = "not_worker"
	ReasonNotActive      = "worker_not_active"
	ReasonNoTeam         = "no_team"
	ReasonBAA            = "baa_not_in_force"
	ReasonCountry        = "country_not_approved"
	ReasonOffShift       = "off_shift"
	ReasonTaskLimit      = "task_limit"
	ReasonFunction       = "function_mismatch"
	ReasonClearance      = "not_cleared"
	ReasonNoProfile      = "no_profile"
	ReasonNothingEligble = "nothing_eligible"
)

// staff is one worker with the records their eligibility depends on.
type staff struct {
	w      *ward.Worker
	team   *ward.Team
	vendor *ward.Vendor
	site   *ward.Site
	sched  *ward.Schedule
}

// teamReason returns why the worker's team may not receive PHI at now, or
// "" if it may.
func (s *staff) teamReason(now time.Time) string {
	switch {
	case s.w == nil || s.w.Role != ward.RoleWorker:
		return ReasonNotWorker
	case s.w.Status != ward.WorkerActive:
		return ReasonNotActive
	case s.team == nil || s.vendor == nil || s.site == nil || s.team.VendorID != s.vendor.ID || s.team.SiteID != s.site.ID || s.w.TeamID != s.team.ID:
		return ReasonNoTeam
	case !s.vendor.BAAInForce(now):
		return ReasonBAA
	case !s.vendor.ApprovesCountry(s.site.Country):
		return ReasonCountry
	}
	return ""
}

// taskReason returns why the worker's team may not work t, or "".
func (r *Router) taskReason(s *staff, t *ward.Task) string {
	switch {
	case !s.team.Does(t.Type):
		return ReasonFunction
	case !s.team.ClearedFor(t.SensitivityTags):
		return ReasonClearance
	}
	if _, ok := r.profiles.For(t.Type); !ok {
		return ReasonNoProfile
	}
	return ""
}

// shiftLocked returns the worker's current shift from the cache.
func (r *Router) shiftLocked(sched *ward.Schedule, now time.Time) (time.Time, bool) {
	if sched == nil {
		return time.Time{}, false
	}
	m := now.Unix() / 60
	if now.Unix() < 0 && now.Unix()%60 != 0 {
		m--
	}
	if c, ok := r.shifts[sched.ID]; ok && c.minute == m {
		return c.end, c.ok
	}
	st, en, ok := sched.Shift(now)
	r.shifts[sched.ID] = shiftCache{minute: m, start: st, end: en, ok: ok}
	return en, ok
}

// Peek returns the task the worker would get now, from memory only: the
// routing decision without its store writes (and without the fresh reads
// that Next makes). It reports why there is none otherwise.
func (r *Router) Peek(workerID string, now time.Time) (*ward.Task, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &staff{w: r.workers[workerID]}
	if s.w != nil {
		s.team = r.teams[s.w.TeamID]
		s.sched = r.schedules[s.w.ScheduleID]
	}
	if s.team != nil {
		s.vendor, s.site = r.vendors[s.team.VendorID], r.sites[s.team.SiteID]
	}
	if why := s.teamReason(now); why != "" {
		return nil, why
	}
	if _, ok := r.shiftLocked(s.sched, now); !ok {
		return nil, ReasonOffShift
	}
	if len(r.byAssignee[workerID]) >= s.w.TaskLimit() {
		return nil, ReasonTaskLimit
	}
	if e := r.pickLocked(s.team); e != nil {
		return e.t, ""
	}
	return nil, ReasonNothingEligble
}

// lockWorker serializes the router's operations for one worker, so that
// two concurrent Next calls cannot exceed the worker's task limit.
func (r *Router) lockWorker(id string) (unlock func()) {
	r.wmu.Lock()
	l := r.workerLocks[id]
	if l == nil {
		l = &workerLock{}
		r.workerLocks[id] = l
	}
	l.refs++
	r.wmu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		r.wmu.Lock()
		if l.refs--; l.refs == 0 {
			delete(r.workerLocks, id)
		}
		r.wmu.Unlock()
	}
}

// loadStaff reads the worker and the records their eligibility depends on
// from the store, fresh, and refreshes the index's copies.
func (r *Router) loadStaff(ctx context.Context, workerID string) (*staff, error) {
	w, err := r.svc.Workers.FindWorkerByID(ctx, workerID)
	if err != nil {
		return nil, err
	}
	s := &staff{w: w}
	if w.TeamID != "" {
		if s.team, err = r.svc.Teams.FindTeamByID(ctx, w.TeamID); err != nil {
			return nil, err
		}
		if s.vendor, err = r.svc.Vendors.FindVendorByID(ctx, s.team.VendorID); err != nil {
			return nil, err
		}
		if s.site, err = r.svc.Sites.FindSiteByID(ctx, s.team.SiteID); err != nil {
			return nil, err
		}
	}
	if w.ScheduleID != "" {
		if s.sched, err = r.svc.Schedules.FindScheduleByID(ctx, w.ScheduleID); err != nil {
			return nil, err
		}
	}
	r.mu.Lock()
	r.workers[w.ID] = w
	if s.team != nil {
		r.putTeamLocked(s.team.ID, s.team, false)
		r.vendors[s.vendor.ID], r.sites[s.site.ID] = s.vendor, s.site
	}
	if s.sched != nil {
		delete(r.shifts, s.sched.ID)
		r.schedules[s.sched.ID] = s.sched
	}
	r.mu.Unlock()
	return s, nil
}

// heldTasks returns the worker's assigned and in-progress tasks, fresh.
func (r *Router) heldTasks(ctx context.Context, workerID string) ([]*ward.Task, error) {
	var out []*ward.Task
	for _, st := range []ward.TaskStatus{ward.TaskInProgress, ward.TaskAssigned} {
		ts, err := all(ctx, func(p ward.Page) ([]*ward.Task, int, error) {
			return r.svc.Tasks.FindTasks(ctx, ward.TaskFilter{AssigneeID: &workerID, Status: &st, Page: p})
		})
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	slices.SortFunc(out, func(a, b *ward.Task) int {
		if before(newEntry(a), newEntry(b)) {
			return -1
		}
		return 1
	})
	return out, nil
}

// maxClaimAttempts bounds how many taken-meanwhile or no-longer-eligible
// tasks one Next skips before giving up for this call.
const maxClaimAttempts = 32

// Next gives the worker their next task and its grant: first a task they
// hold without a live grant (assigned by a supervisor, or left from an
// earlier shift), else the first open task they are eligible for, claimed
// atomically through the TaskService. It returns (nil, nil, nil) when
// nothing is eligible, including when the worker is off shift, inactive or
// at their task limit.
func (r *Router) Next(ctx context.Context, workerID string) (*ward.Task, *ward.Grant, error) {
	if err := r.sync(ctx); err != nil {
		return nil, nil, err
	}
	defer r.lockWorker(workerID)()
	now := r.clock()
	s, err := r.loadStaff(ctx, workerID)
	if err != nil {
		return nil, nil, err
	}
	if s.teamReason(now) != "" {
		return nil, nil, nil
	}
	var shiftEnd time.Time
	if s.sched != nil {
		var ok bool
		if _, shiftEnd, ok = s.sched.Shift(now); !ok {
			return nil, nil, nil
		}
	} else {
		return nil, nil, nil // no schedule: never on shift
	}

	held, err := r.heldTasks(ctx, workerID)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range held {
		// The store, not the index, says whether the task has a live
		// grant, so that a lagging index never leads to a second grant.
		id := t.ID
		live, _, err := r.svc.Grants.FindGrants(ctx, ward.GrantFilter{TaskID: &id, LiveAt: &now, Page: ward.Page{Limit: 1}})
		if err != nil {
			return nil, nil, err
		}
		if len(live) > 0 {
			continue
		}
		if r.taskReason(s, t) != "" {
			// Its tags changed since it was assigned: give it back.
			if _, err := r.unassign(ctx, s, t, "no longer eligible"); err != nil {
				return nil, nil, err
			}
			continue
		}
		g, err := r.issue(ctx, s, t, now, shiftEnd)
		if err != nil {
			return nil, nil, err
		}
		return t, g, nil
	}
	if len(held) >= s.w.TaskLimit() {
		return nil, nil, nil
	}

	for range maxClaimAttempts {
		r.mu.Lock()
		e := r.pickLocked(s.team)
		if e != nil {
			e.cls.remove(e) // claiming: no other Next of this process picks it
		}
		r.mu.Unlock()
		if e == nil {
			return nil, nil, nil
		}
		t, err := r.svc.Tasks.TransitionTask(ctx, e.t.ID, ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: workerID, Reason: "routed"})
		if code := ward.ErrorCode(err); code == ward.EUNPROCESSABLE || code == ward.ENOTFOUND {
			// Taken or withdrawn meanwhile (by another replica or a
			// supervisor): learn its state and pick again.
			if err := r.refresh(ctx, "tasks", e.t.ID); err != nil {
				return nil, nil, err
			}
			continue
		} else if err != nil {
			r.mu.Lock()
			if r.tasks[e.t.ID] == e && e.hi < 0 {
				e.cls.push(e)
			}
			r.mu.Unlock()
			return nil, nil, err
		}
		r.mu.Lock()
		r.indexTaskLocked(t)
		r.mu.Unlock()
		// The task as the store holds it now decides, not the index's copy.
		if r.taskReason(s, t) != "" {
			if _, err := r.unassign(ctx, s, t, "not eligible at assignment"); err != nil {
				return nil, nil, err
			}
			continue
		}
		if r.fetch != nil {
			if t, err = r.retagAtTake(ctx, s, t); err != nil {
				return nil, nil, err
			} else if t == nil {
				continue
			}
		}
		if err := r.audit(ctx, "task.assigned", s.w, taskTarget(t), map[string]string{"assignee_id": workerID, "tags": strings.Join(t.SensitivityTags, ",")}); err != nil {
			if _, uerr := r.unassign(ctx, s, t, "audit failed"); uerr != nil {
				return nil, nil, errors.Join(err, uerr)
			}
			return nil, nil, err
		}
		g, err := r.issue(ctx, s, t, now, shiftEnd)
		if err != nil {
			return nil, nil, err
		}
		return t, g, nil
	}
	return nil, nil, nil
}

// retagAtTake recomputes a just-claimed task's tags from the EHR. It
// returns nil (and the task back in the queue) when the new tags rule the
// worker out.
func (r *Router) retagAtTake(ctx context.Context, s *staff, t *ward.Task) (*ward.Task, error) {
	in, err := r.fetch(ctx, t)
	if err != nil {
		if _, uerr := r.unassign(ctx, s, t, "EHR data unavailable"); uerr != nil {
			return nil, errors.Join(err, uerr)
		}
		return nil, ward.Errorf(ward.EUNAVAILABLE, "The EHR could not be read to check the task's sensitivity; try again.")
	}
	nt, _, err := r.applyTags(ctx, t, in)
	if err != nil {
		if _, uerr := r.unassign(ctx, s, t, "retag failed"); uerr != nil {
			return nil, errors.Join(err, uerr)
		}
		return nil, err
	}
	if r.taskReason(s, nt) != "" {
		if _, err := r.unassign(ctx, s, nt, "sensitivity changed"); err != nil {
			return nil, err
		}
		return nil, nil
	}
	return nt, nil
}

// issue creates the grant for a task the worker holds and marks the task in
// progress.
func (r *Router) issue(ctx context.Context, s *staff, t *ward.Task, now, shiftEnd time.Time) (*ward.Grant, error) {
	prof, ok := r.profiles.For(t.Type)
	if !ok {
		return nil, ward.Errorf(ward.EUNPROCESSABLE, "No profile defines what a %s task may see.", t.Type)
	}
	exp := grantExpiry(now, shiftEnd, t.DueAt, r.maxTTL)
	if !exp.After(now) {
		return nil, ward.Errorf(ward.EUNPROCESSABLE, "The worker's shift has ended.")
	}
	g := &ward.Grant{
		WorkerID: s.w.ID, TaskID: t.ID, PatientRef: t.PatientRef,
		ResourceTypes: prof.ResourceTypes(), Interactions: prof.Interactions(),
		NotBefore: now, ExpiresAt: exp,
	}
	if err := r.svc.Grants.CreateGrant(ctx, g); err != nil {
		return nil, err
	}
	fail := func(err error) (*ward.Grant, error) {
		if _, rerr := r.svc.Grants.RevokeGrant(ctx, g.ID, "issue failed"); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		r.grants.Remove(g.ID)
		return nil, err
	}
	if t.Status == ward.TaskAssigned {
		nt, err := r.svc.Tasks.TransitionTask(ctx, t.ID, ward.TaskTransition{To: ward.TaskInProgress, Reason: "grant issued"})
		if err != nil {
			return fail(err)
		}
		*t = *nt
		r.mu.Lock()
		r.indexTaskLocked(nt)
		r.mu.Unlock()
	}
	if err := r.audit(ctx, "grant.issued", s.w, ward.EventTarget{ResourceType: "Grant", ResourceID: g.ID, PatientRef: g.PatientRef, TaskID: t.ID, GrantID: g.ID}, map[string]string{
		"worker_id":      s.w.ID,
		"resource_types": strings.Join(g.ResourceTypes, ","),
		"interactions":   strings.Join(g.Interactions, ","),
		"not_before":     g.NotBefore.Format(time.RFC3339Nano),
		"expires_at":     g.ExpiresAt.Format(time.RFC3339Nano),
	}); err != nil {
		return fail(err)
	}
	r.grants.Put(g)
	return g, nil
}

// grantExpiry is the earliest of the shift's end, now+maxTTL and the due
// time. A due time already past does not count: the work is late, not
// forbidden, and the shift and TTL still bound the grant.
func grantExpiry(now, shiftEnd time.Time, due *time.Time, maxTTL time.Duration) time.Time {
	exp := now.Add(maxTTL)
	if !shiftEnd.IsZero() && shiftEnd.Before(exp) {
		exp = shiftEnd
	}
	if due != nil && due.After(now) && due.Before(exp) {
		exp = *due
	}
	return exp.UTC().Truncate(time.Microsecond)
}

// unassign ends a held task's grants and puts it back in the queue.
func (r *Router) unassign(ctx context.Context, s *staff, t *ward.Task, reason string) (*ward.Task, error) {
	if err := r.endTaskGrants(ctx, s.w, t, reason); err != nil {
		return nil, err
	}
	nt, err := r.svc.Tasks.TransitionTask(ctx, t.ID, ward.TaskTransition{To: ward.TaskOpen, Reason: reason})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.indexTaskLocked(nt)
	r.mu.Unlock()
	if err := r.audit(ctx, "task.released", s.w, taskTarget(nt), map[string]string{"from_worker_id": s.w.ID, "reason": reason}); err != nil {
		return nil, err
	}
	return nt, nil
}

// endTaskGrants revokes every live grant of a task, auditing each.
func (r *Router) endTaskGrants(ctx context.Context, actor *ward.Worker, t *ward.Task, reason string) error {
	now := r.clock()
	id := t.ID
	gs, err := all(ctx, func(p ward.Page) ([]*ward.Grant, int, error) {
		return r.svc.Grants.FindGrants(ctx, ward.GrantFilter{TaskID: &id, LiveAt: &now, Page: p})
	})
	if err != nil {
		return err
	}
	return r.revoke(ctx, actor, gs, reason)
}

func (r *Router) revoke(ctx context.Context, actor *ward.Worker, gs []*ward.Grant, reason string) error {
	for _, g := range gs {
		// Out of the index first: access ends even if the store write fails.
		r.grants.Remove(g.ID)
		rg, err := r.svc.Grants.RevokeGrant(ctx, g.ID, reason)
		if err != nil {
			return err
		}
		if err := r.audit(ctx, "grant.revoked", actor, ward.EventTarget{ResourceType: "Grant", ResourceID: g.ID, PatientRef: g.PatientRef, TaskID: g.TaskID, GrantID: g.ID}, map[string]string{
			"worker_id": g.WorkerID, "reason": reason, "revoked_at": rg.RevokedAt.Format(time.RFC3339Nano),
		}); err != nil {
			return err
		}
	}
	return nil
}

// heldBy returns the task if the worker holds it, else EFORBIDDEN.
func (r *Router) heldBy(ctx context.Context, workerID, taskID string) (*ward.Task, *staff, error) {
	t, err := r.svc.Tasks.FindTaskByID(ctx, taskID)
	if err != nil {
		return nil, nil, err
	}
	if t.AssigneeID != workerID || workerID == "" {
		return nil, nil, ward.Errorf(ward.EFORBIDDEN, "The task is not assigned to you.")
	}
	w, err := r.svc.Workers.FindWorkerByID(ctx, workerID)
	if err != nil {
		return nil, nil, err
	}
	return t, &staff{w: w}, nil
}

// Complete marks the worker's task completed and ends its grants. Returns
// ENOTFOUND, EFORBIDDEN when the worker does not hold the task, or
// EUNPROCESSABLE when it is not in progress.
func (r *Router) Complete(ctx context.Context, workerID, taskID string) (*ward.Task, error) {
	defer r.lockWorker(workerID)()
	t, s, err := r.heldBy(ctx, workerID, taskID)
	if err != nil {
		return nil, err
	}
	if err := ward.CheckTaskTransition(t.Status, ward.TaskCompleted); err != nil {
		return nil, err
	}
	if err := r.endTaskGrants(ctx, s.w, t, "task completed"); err != nil {
		return nil, err
	}
	nt, err := r.svc.Tasks.TransitionTask(ctx, t.ID, ward.TaskTransition{To: ward.TaskCompleted, Reason: "completed"})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.indexTaskLocked(nt)
	r.mu.Unlock()
	return nt, r.audit(ctx, "task.completed", s.w, taskTarget(nt), map[string]string{"worker_id": workerID})
}

// Release gives the worker's task back to its queue and ends its grants.
// Returns ENOTFOUND, EFORBIDDEN or EUNPROCESSABLE.
func (r *Router) Release(ctx context.Context, workerID, taskID, reason string) (*ward.Task, error) {
	defer r.lockWorker(workerID)()
	t, s, err := r.heldBy(ctx, workerID, taskID)
	if err != nil {
		return nil, err
	}
	if err := ward.CheckTaskTransition(t.Status, ward.TaskOpen); err != nil {
		return nil, err
	}
	if reason == "" {
		reason = "released by worker"
	}
	return r.unassign(ctx, s, t, reason)
}

// Reassign moves a task to another worker (a supervisor's action): its
// grants end, and the task is assigned to toWorkerID, who receives a grant
// from their next Next while on shift. The target must be eligible apart
// from the shift: an active worker whose team does the function and is
// cleared for every tag, with a BAA in force, an approved country and room
// under their task limit. Returns ENOTFOUND, EINVALID naming
// to_worker_id, EUNPROCESSABLE for a finished task, or ECONFLICT when the
// task was taken while it moved.
func (r *Router) Reassign(ctx context.Context, taskID, toWorkerID, reason string) (*ward.Task, error) {
	defer r.lockWorker(toWorkerID)()
	t, err := r.svc.Tasks.FindTaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if t.Status.Terminal() {
		return nil, ward.Errorf(ward.EUNPROCESSABLE, "A %s task cannot be reassigned.", t.Status)
	}
	if t.AssigneeID == toWorkerID {
		return nil, ward.FieldErrorf("to_worker_id", "The task is already assigned to that worker.")
	}
	s, err := r.loadStaff(ctx, toWorkerID)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return nil, ward.FieldErrorf("to_worker_id", "Worker %s does not exist.", toWorkerID)
	} else if err != nil {
		return nil, err
	}
	now := r.clock()
	if why := s.teamReason(now); why != "" {
		return nil, ward.FieldErrorf("to_worker_id", "The worker cannot receive this task (%s).", why)
	}
	if why := r.taskReason(s, t); why != "" {
		return nil, ward.FieldErrorf("to_worker_id", "The worker cannot receive this task (%s).", why)
	}
	held, err := r.heldTasks(ctx, toWorkerID)
	if err != nil {
		return nil, err
	}
	if len(held) >= s.w.TaskLimit() {
		return nil, ward.FieldErrorf("to_worker_id", "The worker already holds %d tasks, their limit.", len(held))
	}
	if reason == "" {
		reason = "reassigned"
	}
	from := t.AssigneeID
	if err := r.endTaskGrants(ctx, nil, t, reason); err != nil {
		return nil, err
	}
	// The store has no single move from one assignee to another, so the
	// task passes through open; a claim in between wins and this fails.
	// TODO(lead): TaskService.ReassignTask for an atomic move.
	if t.Status != ward.TaskOpen {
		if t, err = r.svc.Tasks.TransitionTask(ctx, t.ID, ward.TaskTransition{To: ward.TaskOpen, Reason: reason}); err != nil {
			return nil, err
		}
	}
	nt, err := r.svc.Tasks.TransitionTask(ctx, t.ID, ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: toWorkerID, Reason: reason})
	if ward.ErrorCode(err) == ward.EUNPROCESSABLE {
		_ = r.refresh(ctx, "tasks", t.ID)
		return nil, ward.Errorf(ward.ECONFLICT, "The task was taken by another worker while it was being reassigned.")
	} else if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.indexTaskLocked(nt)
	r.mu.Unlock()
	return nt, r.audit(ctx, "task.reassigned", nil, taskTarget(nt), map[string]string{"from_worker_id": from, "to_worker_id": toWorkerID, "reason": reason})
}

// EndWorkerGrants revokes every live grant of a worker: at session end,
// suspension, offboarding or on a monitor's action. Their tasks stay
// assigned; the worker's next Next, if they may, issues fresh grants. It
// returns how many grants it ended.
func (r *Router) EndWorkerGrants(ctx context.Context, workerID, reason string) (int, error) {
	now := r.clock()
	gs, err := all(ctx, func(p ward.Page) ([]*ward.Grant, int, error) {
		return r.svc.Grants.FindGrants(ctx, ward.GrantFilter{WorkerID: &workerID, LiveAt: &now, Page: p})
	})
	if err != nil {
		return 0, err
	}
	// Anything the index holds for the worker goes too, even if the store
	// listing missed it.
	for _, g := range r.grants.Live(workerID, "", now) {
		r.grants.Remove(g.ID)
	}
	if reason == "" {
		reason = "grants ended"
	}
	return len(gs), r.revoke(ctx, nil, gs, reason)
}

// Intake tags a new task from its FHIR data and creates it. Tags the
// caller set are kept; the tagger can only add. Returns EINVALID (also for
// a task type without a profile) or ECONFLICT as CreateTask does.
func (r *Router) Intake(ctx context.Context, t *ward.Task, in TagInput) error {
	if _, ok := r.profiles.For(t.Type); !ok && t.Type.Valid() {
		return ward.FieldErrorf("type", "No profile defines what a %s task may see.", t.Type)
	}
	tags, ex := r.tagger.Tag(in)
	t.SensitivityTags = sortedTags(append(slices.Clone(t.SensitivityTags), tags...))
	if err := r.svc.Tasks.CreateTask(ctx, t); err != nil {
		return err
	}
	if err := r.audit(ctx, "task.created", nil, taskTarget(t), map[string]string{
		"tags": strings.Join(t.SensitivityTags, ","), "value_sets": r.tagger.Version(), "matches": fmt.Sprint(len(ex)),
		"type": string(t.Type), "queue_id": t.QueueID,
	}); err != nil {
		// Fail closed: a task without its intake record is withdrawn.
		if _, cerr := r.svc.Tasks.TransitionTask(ctx, t.ID, ward.TaskTransition{To: ward.TaskCancelled, Reason: "intake audit failed"}); cerr != nil {
			return errors.Join(err, cerr)
		}
		return err
	}
	r.mu.Lock()
	r.indexTaskLocked(t)
	r.mu.Unlock()
	return nil
}

// Retag recomputes a task's tags from its current FHIR data, as when the
// EHR data changed. The tagger can only add: tags are never removed here
// (an administrator may, through UpdateTask). A task whose new tags its
// assignee's team is not cleared for is put back in the queue, its grants
// ended. Returns the task and the explanations.
func (r *Router) Retag(ctx context.Context, taskID string, in TagInput) (*ward.Task, []Explanation, error) {
	t, err := r.svc.Tasks.FindTaskByID(ctx, taskID)
	if err != nil {
		return nil, nil, err
	}
	nt, ex, err := r.applyTags(ctx, t, in)
	if err != nil {
		return nil, nil, err
	}
	if nt.AssigneeID != "" && !nt.Status.Terminal() {
		s, err := r.loadStaff(ctx, nt.AssigneeID)
		if err != nil {
			return nil, nil, err
		}
		if s.team == nil || r.taskReason(s, nt) != "" {
			if nt, err = r.unassign(ctx, s, nt, "sensitivity changed"); err != nil {
				return nil, nil, err
			}
		}
	}
	return nt, ex, nil
}

// applyTags adds the tags in's data produce to t, auditing a change.
func (r *Router) applyTags(ctx context.Context, t *ward.Task, in TagInput) (*ward.Task, []Explanation, error) {
	tags, ex := r.tagger.Tag(in)
	merged := sortedTags(append(slices.Clone(t.SensitivityTags), tags...))
	if slices.Equal(merged, sortedTags(t.SensitivityTags)) || t.Status.Terminal() {
		return t, ex, nil
	}
	nt, err := r.svc.Tasks.UpdateTask(ctx, t.ID, ward.TaskUpdate{SensitivityTags: &merged})
	if err != nil {
		return nil, nil, err
	}
	r.mu.Lock()
	r.indexTaskLocked(nt)
	r.mu.Unlock()
	if err := r.audit(ctx, "task.tagged", nil, taskTarget(nt), map[string]string{
		"from": strings.Join(t.SensitivityTags, ","), "to": strings.Join(merged, ","), "value_sets": r.tagger.Version(),
	}); err != nil {
		return nil, nil, err
	}
	return nt, ex, nil
}

func taskTarget(t *ward.Task) ward.EventTarget {
	return ward.EventTarget{ResourceType: "Task", ResourceID: t.ID, PatientRef: t.PatientRef, TaskID: t.ID}
}

// audit records one event durably. The actor is the context's principal;
// w, when the principal is missing, names the worker acted for.
func (r *Router) audit(ctx context.Context, action string, w *ward.Worker, target ward.EventTarget, details map[string]string) error {
	e := &ward.Event{
		Time: r.now().UTC(), Action: action, Target: target,
		Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess}, Details: details,
	}
	if p := ward.PrincipalFromContext(ctx); p != nil {
		e.Actor = ward.EventActor{Subject: p.Subject, Role: p.Role, WorkerID: p.WorkerID, Username: p.Username,
			VendorID: p.VendorID, TeamID: p.TeamID, SessionID: p.SessionID, DeviceID: p.DeviceID}
		e.Origin = ward.EventOrigin{Country: p.Country, SiteID: p.SiteID}
	}
	if e.Actor.Subject == "" {
		e.Actor.Subject = "system"
	}
	if w != nil && e.Actor.WorkerID == "" && action != "task.reassigned" {
		e.Actor.WorkerID, e.Actor.VendorID, e.Actor.TeamID = w.ID, w.VendorID, w.TeamID
	}
	for k, v := range details {
		if v == "" {
			delete(details, k)
		}
	}
	if _, err := r.aud.Audit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
