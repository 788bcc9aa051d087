package identity_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardhq/ward"
)

// memStore is an in-memory store of the services identity uses. It
// delivers a change for every write, synchronously before the write
// returns, as the store contract requires, and counts reads so that tests
// can check the request path reads nothing.
type memStore struct {
	mu        sync.Mutex
	now       func() time.Time
	workers   map[string]*ward.Worker
	vendors   map[string]*ward.Vendor
	sites     map[string]*ward.Site
	teams     map[string]*ward.Team
	schedules map[string]*ward.Schedule
	sessions  map[string]*ward.Session
	creds     map[string]*ward.Credentials
	failures  map[string]*ward.LoginFailures
	devices   map[string]*ward.Device

	reads   atomic.Int64 // every Find call
	touches atomic.Int64 // TouchSession calls

	subMu sync.Mutex
	subs  map[int]func(ward.Change)
	next  int
}

func newMemStore(now func() time.Time) *memStore {
	return &memStore{
		now:       now,
		workers:   map[string]*ward.Worker{},
		vendors:   map[string]*ward.Vendor{},
		sites:     map[string]*ward.Site{},
		teams:     map[string]*ward.Team{},
		schedules: map[string]*ward.Schedule{},
		sessions:  map[string]*ward.Session{},
		creds:     map[string]*ward.Credentials{},
		failures:  map[string]*ward.LoginFailures{},
		devices:   map[string]*ward.Device{},
		subs:      map[int]func(ward.Change){},
	}
}

func (s *memStore) services() ward.Services {
	return ward.Services{
		Workers:       workerSvc{s},
		Vendors:       vendorSvc{s},
		Sites:         siteSvc{s},
		Teams:         teamSvc{s},
		Schedules:     scheduleSvc{s},
		Sessions:      sessionSvc{s},
		Credentials:   credSvc{s},
		LoginFailures: failureSvc{s},
		Devices:       deviceSvc{s},
		Changes:       s,
	}
}

// Subscribe implements ward.ChangeFeed.
func (s *memStore) Subscribe(fn func(ward.Change)) func() {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	id := s.next
	s.next++
	s.subs[id] = fn
	return func() {
		s.subMu.Lock()
		defer s.subMu.Unlock()
		delete(s.subs, id)
	}
}

// publish delivers a change; call it without s.mu held.
func (s *memStore) publish(table, id string) {
	s.subMu.Lock()
	fns := make([]func(ward.Change), 0, len(s.subs))
	for _, fn := range s.subs {
		fns = append(fns, fn)
	}
	s.subMu.Unlock()
	for _, fn := range fns {
		fn(ward.Change{Table: table, ID: id})
	}
}

var errNotFound = ward.Errorf(ward.ENOTFOUND, "Not found.")

func clone[T any](v *T) *T { c := *v; return &c }

func find[T any](s *memStore, m map[string]*T, id string) (*T, error) {
	s.reads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := m[id]
	if !ok {
		return nil, errNotFound
	}
	return clone(v), nil
}

func list[T any](s *memStore, m map[string]*T, keep func(*T) bool) ([]*T, int, error) {
	s.reads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []*T
	for _, id := range ids {
		if keep == nil || keep(m[id]) {
			out = append(out, clone(m[id]))
		}
	}
	return out, len(out), nil
}

// put stores v and publishes the change.
func put[T any](s *memStore, m map[string]*T, table, id string, v *T) {
	s.mu.Lock()
	m[id] = clone(v)
	s.mu.Unlock()
	s.publish(table, id)
}

// update changes a stored record in place and publishes the change.
func update[T any](s *memStore, m map[string]*T, table, id string, fn func(*T)) {
	s.mu.Lock()
	v := clone(m[id])
	fn(v)
	m[id] = v
	s.mu.Unlock()
	s.publish(table, id)
}

type workerSvc struct{ s *memStore }

func (w workerSvc) FindWorkerByID(ctx context.Context, id string) (*ward.Worker, error) {
	return find(w.s, w.s.workers, id)
}
func (w workerSvc) FindWorkers(ctx context.Context, f ward.WorkerFilter) ([]*ward.Worker, int, error) {
	return list(w.s, w.s.workers, func(v *ward.Worker) bool { return f.Username == nil || *f.Username == v.Username })
}
func (w workerSvc) CreateWorker(ctx context.Context, v *ward.Worker) error {
	put(w.s, w.s.workers, "workers", v.ID, v)
	return nil
}
func (w workerSvc) UpdateWorker(ctx context.Context, id string, upd ward.WorkerUpdate) (*ward.Worker, error) {
	update(w.s, w.s.workers, "workers", id, upd.Apply)
	return find(w.s, w.s.workers, id)
}
func (w workerSvc) TransitionWorker(ctx context.Context, id string, to ward.WorkerStatus, reason string) (*ward.Worker, error) {
	update(w.s, w.s.workers, "workers", id, func(v *ward.Worker) { v.Status = to })
	return find(w.s, w.s.workers, id)
}

type vendorSvc struct{ s *memStore }

func (v vendorSvc) FindVendorByID(ctx context.Context, id string) (*ward.Vendor, error) {
	return find(v.s, v.s.vendors, id)
}
func (v vendorSvc) FindVendors(ctx context.Context, f ward.VendorFilter) ([]*ward.Vendor, int, error) {
	return list(v.s, v.s.vendors, nil)
}
func (v vendorSvc) CreateVendor(ctx context.Context, x *ward.Vendor) error {
	put(v.s, v.s.vendors, "vendors", x.ID, x)
	return nil
}
func (v vendorSvc) UpdateVendor(ctx context.Context, id string, upd ward.VendorUpdate) (*ward.Vendor, error) {
	update(v.s, v.s.vendors, "vendors", id, upd.Apply)
	return find(v.s, v.s.vendors, id)
}

type siteSvc struct{ s *memStore }

func (v siteSvc) FindSiteByID(ctx context.Context, id string) (*ward.Site, error) {
	return find(v.s, v.s.sites, id)
}
func (v siteSvc) FindSites(ctx context.Context, f ward.SiteFilter) ([]*ward.Site, int, error) {
	all, n, err := list(v.s, v.s.sites, nil)
	if f.Offset >= len(all) {
		return nil, n, err
	}
	return all[f.Offset:], n, err
}
func (v siteSvc) CreateSite(ctx context.Context, x *ward.Site) error {
	put(v.s, v.s.sites, "sites", x.ID, x)
	return nil
}
func (v siteSvc) UpdateSite(ctx context.Context, id string, upd ward.SiteUpdate) (*ward.Site, error) {
	update(v.s, v.s.sites, "sites", id, upd.Apply)
	return find(v.s, v.s.sites, id)
}

type teamSvc struct{ s *memStore }

func (v teamSvc) FindTeamByID(ctx context.Context, id string) (*ward.Team, error) {
	return find(v.s, v.s.teams, id)
}
func (v teamSvc) FindTeams(ctx context.Context, f ward.TeamFilter) ([]*ward.Team, int, error) {
	return list(v.s, v.s.teams, nil)
}
func (v teamSvc) CreateTeam(ctx context.Context, x *ward.Team) error {
	put(v.s, v.s.teams, "teams", x.ID, x)
	return nil
}
func (v teamSvc) UpdateTeam(ctx context.Context, id string, upd ward.TeamUpdate) (*ward.Team, error) {
	update(v.s, v.s.teams, "teams", id, upd.Apply)
	return find(v.s, v.s.teams, id)
}

type scheduleSvc struct{ s *memStore }

func (v scheduleSvc) FindScheduleByID(ctx context.Context, id string) (*ward.Schedule, error) {
	return find(v.s, v.s.schedules, id)
}
func (v scheduleSvc) FindSchedules(ctx context.Context, f ward.ScheduleFilter) ([]*ward.Schedule, int, error) {
	return list(v.s, v.s.schedules, nil)
}
func (v scheduleSvc) CreateSchedule(ctx context.Context, x *ward.Schedule) error {
	put(v.s, v.s.schedules, "schedules", x.ID, x)
	return nil
}
func (v scheduleSvc) UpdateSchedule(ctx context.Context, id string, upd ward.ScheduleUpdate) (*ward.Schedule, error) {
	update(v.s, v.s.schedules, "schedules", id, upd.Apply)
	return find(v.s, v.s.schedules, id)
}

type sessionSvc struct{ s *memStore }

func (v sessionSvc) FindSessionByID(ctx context.Context, id string) (*ward.Session, error) {
	return find(v.s, v.s.sessions, id)
}
func (v sessionSvc) FindSessionByTokenHash(ctx context.Context, hash []byte) (*ward.Session, error) {
	v.s.reads.Add(1)
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	for _, s := range v.s.sessions {
		if bytes.Equal(s.TokenHash, hash) {
			return clone(s), nil
		}
	}
	return nil, errNotFound
}
func (v sessionSvc) FindSessions(ctx context.Context, f ward.SessionFilter) ([]*ward.Session, int, error) {
	return list(v.s, v.s.sessions, func(s *ward.Session) bool { return f.WorkerID == nil || *f.WorkerID == s.WorkerID })
}
func (v sessionSvc) CreateSession(ctx context.Context, s *ward.Session) error {
	if err := s.Validate(); err != nil {
		return err
	}
	now := v.s.now()
	s.ID = ward.NewID(ward.PrefixSession, now)
	s.CreatedAt, s.LastSeenAt = now, now
	put(v.s, v.s.sessions, "sessions", s.ID, s)
	return nil
}
func (v sessionSvc) TouchSession(ctx context.Context, id string, t time.Time) error {
	v.s.touches.Add(1)
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	s, ok := v.s.sessions[id]
	if !ok {
		return errNotFound
	}
	s.LastSeenAt = t // no change is published: last-seen is not cached state
	return nil
}
func (v sessionSvc) RevokeSession(ctx context.Context, id, reason string) (*ward.Session, error) {
	v.s.mu.Lock()
	s, ok := v.s.sessions[id]
	if !ok {
		v.s.mu.Unlock()
		return nil, errNotFound
	}
	first := s.RevokedAt == nil
	if first {
		now := v.s.now()
		s.RevokedAt, s.RevokeReason = &now, reason
	}
	c := clone(s)
	v.s.mu.Unlock()
	if first {
		v.s.publish("sessions", id)
	}
	return c, nil
}
func (v sessionSvc) RevokeWorkerSessions(ctx context.Context, workerID, reason string) (int, error) {
	v.s.mu.Lock()
	now := v.s.now()
	var ids []string
	for _, s := range v.s.sessions {
		if s.WorkerID == workerID && s.Live(now) {
			s.RevokedAt, s.RevokeReason = &now, reason
			ids = append(ids, s.ID)
		}
	}
	v.s.mu.Unlock()
	for _, id := range ids {
		v.s.publish("sessions", id)
	}
	return len(ids), nil
}

type credSvc struct{ s *memStore }

func (v credSvc) FindCredentials(ctx context.Context, workerID string) (*ward.Credentials, error) {
	return find(v.s, v.s.creds, workerID)
}
func (v credSvc) get(workerID string) *ward.Credentials {
	c, ok := v.s.creds[workerID]
	if !ok {
		c = &ward.Credentials{WorkerID: workerID}
		v.s.creds[workerID] = c
	}
	return c
}
func (v credSvc) SetPassword(ctx context.Context, workerID, hash string) error {
	v.s.mu.Lock()
	if _, ok := v.s.workers[workerID]; !ok {
		v.s.mu.Unlock()
		return ward.FieldErrorf("worker_id", "No such worker.")
	}
	v.get(workerID).PasswordHash = hash
	v.s.mu.Unlock()
	v.s.publish("credentials", workerID)
	return nil
}
func (v credSvc) SetTOTP(ctx context.Context, workerID, secret string) error {
	v.s.mu.Lock()
	c := v.get(workerID)
	c.TOTPSecret, c.TOTPLastStep, c.TOTPEnrolledAt = secret, 0, nil
	if secret != "" {
		now := v.s.now()
		c.TOTPEnrolledAt = &now
	}
	v.s.mu.Unlock()
	v.s.publish("credentials", workerID)
	return nil
}
func (v credSvc) UseTOTPStep(ctx context.Context, workerID string, step int64) error {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	c := v.get(workerID)
	if step <= c.TOTPLastStep {
		return ward.Errorf(ward.ECONFLICT, "Code used already.")
	}
	c.TOTPLastStep = step
	return nil
}
func (v credSvc) AddWebAuthnCredential(ctx context.Context, workerID string, c *ward.WebAuthnCredential) error {
	return errors.New("not implemented")
}
func (v credSvc) UpdateWebAuthnSignCount(ctx context.Context, workerID string, id []byte, count uint32) error {
	return errors.New("not implemented")
}

type failureSvc struct{ s *memStore }

func (v failureSvc) FindLoginFailures(ctx context.Context, key string) (*ward.LoginFailures, error) {
	return find(v.s, v.s.failures, key)
}
func (v failureSvc) AddLoginFailure(ctx context.Context, key string, window time.Duration, limit int, lockout time.Duration) (*ward.LoginFailures, error) {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	now := v.s.now()
	f, ok := v.s.failures[key]
	if !ok || now.Sub(f.WindowStart) > window {
		f = &ward.LoginFailures{Key: key, WindowStart: now}
		v.s.failures[key] = f
	}
	f.Count++
	if f.Count >= limit {
		until := now.Add(lockout)
		f.LockedUntil = &until
	}
	return clone(f), nil
}
func (v failureSvc) ClearLoginFailures(ctx context.Context, key string) error {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	delete(v.s.failures, key)
	return nil
}

type deviceSvc struct{ s *memStore }

func (v deviceSvc) FindDevices(ctx context.Context, f ward.DeviceFilter) ([]*ward.Device, int, error) {
	return list(v.s, v.s.devices, func(d *ward.Device) bool {
		return (f.WorkerID == nil || *f.WorkerID == d.WorkerID) &&
			(f.Identity == nil || *f.Identity == d.Identity) &&
			(f.Active == nil || *f.Active == (d.RevokedAt == nil))
	})
}
func (v deviceSvc) CreateDevice(ctx context.Context, d *ward.Device) error {
	d.ID = ward.NewID(ward.PrefixDevice, v.s.now())
	put(v.s, v.s.devices, "devices", d.ID, d)
	return nil
}
func (v deviceSvc) RevokeDevice(ctx context.Context, id string) (*ward.Device, error) {
	update(v.s, v.s.devices, "devices", id, func(d *ward.Device) {
		now := v.s.now()
		d.RevokedAt = &now
	})
	return find(v.s, v.s.devices, id)
}

// auditor records events; fail makes Audit fail for one action.
type auditor struct {
	mu     sync.Mutex
	events []*ward.Event
	fail   string
}

func (a *auditor) Audit(ctx context.Context, e *ward.Event) (uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := e.Validate(); err != nil {
		return 0, err
	}
	if a.fail != "" && a.fail == e.Action {
		return 0, errors.New("ledger down")
	}
	a.events = append(a.events, e)
	return uint64(len(a.events)), nil
}

// actions returns the recorded events of one action.
func (a *auditor) actions(action string) []*ward.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []*ward.Event
	for _, e := range a.events {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
