package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardhq/ward"
)

// TokenPrefix starts every session token, so that a leaked token is
// recognisable (secret scanners) and cannot be mistaken for another kind.
const TokenPrefix = "ward_s_"

// tokenLen is the length of a token: the prefix and 32 bytes in unpadded
// base64url.
var tokenLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(32)

// newToken returns a new token and its SHA-256.
func newToken() (string, [32]byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	tok := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return tok, sha256.Sum256([]byte(tok))
}

// tokenHash returns the SHA-256 of a well-formed token. It does not
// allocate: the request path calls it.
func tokenHash(tok string) ([32]byte, bool) {
	if len(tok) != tokenLen || !strings.HasPrefix(tok, TokenPrefix) {
		return [32]byte{}, false
	}
	var buf [64]byte
	n := copy(buf[:], tok)
	return sha256.Sum256(buf[:n]), true
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	v := r.Header["Authorization"]
	if len(v) != 1 {
		return ""
	}
	scheme, tok, ok := strings.Cut(v[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// sessionCache holds the sessions this process has seen, by token hash.
type sessionCache struct {
	mu     sync.RWMutex
	byHash map[[32]byte]*sessEntry
	byID   map[string]*sessEntry
	state  map[string]*sessState // by session ID; outlives entry reloads
	gen    uint64                // counts invalidations (see table)
}

// sessEntry is one cached session. s is never modified; a change to the
// session marks the entry stale and the next request replaces it.
type sessEntry struct {
	s     *ward.Session
	hash  [32]byte
	st    *sessState
	stale atomic.Bool

	// Memos of the last request's derived facts, valid while the inputs
	// they name are unchanged; they spare the request path a site scan, a
	// geo lookup, a certificate hash and a time zone load.
	origin atomic.Pointer[originMemo]
	shift  atomic.Pointer[shiftMemo]
	device atomic.Pointer[deviceMemo]
}

// sessState is what this process knows of a session beyond the stored
// record.
type sessState struct {
	lastSeen  atomic.Int64 // unix nanoseconds of the last accepted request
	persisted atomic.Int64 // the LastSeenAt the store holds, as far as known
	ended     atomic.Bool  // this process revoked it (or is revoking it)
}

func (st *sessState) seen(t int64) {
	for {
		old := st.lastSeen.Load()
		if t <= old || st.lastSeen.CompareAndSwap(old, t) {
			return
		}
	}
}

type originMemo struct {
	sites   *siteSnap
	addr    netip.Addr
	country string
	siteID  string
}

type shiftMemo struct {
	sched        *ward.Schedule
	start, until time.Time // valid for start <= now < until
}

func newSessionCache() *sessionCache {
	return &sessionCache{
		byHash: make(map[[32]byte]*sessEntry),
		byID:   make(map[string]*sessEntry),
		state:  make(map[string]*sessState),
	}
}

// get returns the session with the token hash, from memory when cached
// and fresh, else from the store.
func (c *sessionCache) get(ctx context.Context, svc ward.SessionService, hash [32]byte) (*sessEntry, error) {
	c.mu.RLock()
	e := c.byHash[hash]
	gen := c.gen
	c.mu.RUnlock()
	if e != nil && !e.stale.Load() {
		return e, nil
	}
	return c.load(ctx, svc, hash, gen, e)
}

// load reads a session missing from the cache (or stale) from the store.
func (c *sessionCache) load(ctx context.Context, svc ward.SessionService, hash [32]byte, gen uint64, e *sessEntry) (*sessEntry, error) {
	h := hash // escapes to the store; copied only on this path
	s, err := svc.FindSessionByTokenHash(ctx, h[:])
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return nil, errSessionUnknown
	} else if err != nil {
		return nil, unavailable("session store", err)
	}
	return c.put(s, hash, gen, e), nil
}

// put caches s unless an invalidation happened since generation gen, and
// returns its entry. old is the stale entry it replaces, if any.
func (c *sessionCache) put(s *ward.Session, hash [32]byte, gen uint64, old *sessEntry) *sessEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.state[s.ID]
	if st == nil {
		st = &sessState{}
		c.state[s.ID] = st
	}
	st.seen(s.LastSeenAt.UnixNano())
	st.seen(s.CreatedAt.UnixNano())
	for {
		p := st.persisted.Load()
		if s.LastSeenAt.UnixNano() <= p || st.persisted.CompareAndSwap(p, s.LastSeenAt.UnixNano()) {
			break
		}
	}
	e := &sessEntry{s: s, hash: hash, st: st}
	if old != nil {
		e.origin.Store(old.origin.Load())
		e.shift.Store(old.shift.Load())
		e.device.Store(old.device.Load())
	}
	if c.gen == gen {
		c.byHash[hash] = e
		c.byID[s.ID] = e
	}
	return e
}

func (c *sessionCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *sessionCache) invalidate(id string) {
	c.mu.Lock()
	if e := c.byID[id]; e != nil {
		e.stale.Store(true)
	}
	c.gen++
	c.mu.Unlock()
}

func (c *sessionCache) invalidateAll() {
	c.mu.Lock()
	for _, e := range c.byID {
		e.stale.Store(true)
	}
	c.gen++
	c.mu.Unlock()
}

// invalidateWorker marks every cached session of the worker stale.
func (c *sessionCache) invalidateWorker(workerID string) {
	c.mu.Lock()
	for _, e := range c.byID {
		if e.s.WorkerID == workerID {
			e.stale.Store(true)
		}
	}
	c.gen++
	c.mu.Unlock()
}

// Authenticate returns the principal of a request that carries a session
// token in "Authorization: Bearer". See AuthenticateToken.
func (m *Manager) Authenticate(r *http.Request) (*ward.Principal, error) {
	return m.AuthenticateToken(r, bearer(r))
}

// AuthenticateToken validates the session of token (taken from a cookie
// by the console, say) for request r, and returns its principal.
//
// Every request re-checks: the session exists, is not revoked, expired or
// idle; the worker is still active; for vendor staff, the vendor's BAA is
// in force and still approves the session's country; for workers, the
// shift (plus grace) is not over; and the request comes from the country
// and device the session was opened from. All refusals are EUNAUTHORIZED
// *Refusal errors with the reason; for the binding reasons the session is
// also revoked in the store, with that reason and a session.revoked event,
// once.
//
// When the session and the records it depends on are cached, it reads no
// store.
func (m *Manager) AuthenticateToken(r *http.Request, token string) (*ward.Principal, error) {
	hash, ok := tokenHash(token)
	if !ok {
		return nil, errSessionUnknown
	}
	ctx := r.Context()
	e, err := m.sessions.get(ctx, m.svc.Sessions, hash)
	if err != nil {
		return nil, err
	}
	now := m.now()
	p, w, o, err := m.validate(ctx, r, e, now)
	if err != nil {
		if ref, ok := err.(*Refusal); ok && binding(ref.Reason) {
			if !o.Addr.IsValid() {
				o.Addr, _ = netip.ParseAddr(e.s.ClientAddr)
			}
			m.endSession(ctx, e, w, o, ref.Reason, now)
		}
		return nil, err
	}
	e.st.seen(now.UnixNano())
	return p, nil
}

// binding reports whether a refusal ends the session for good.
func binding(reason string) bool {
	switch reason {
	case ReasonSessionUnknown, ReasonSessionRevoked, ReasonOriginInvalid, ReasonDeviceInvalid:
		return false
	}
	return true
}

// validate checks session e against request r at now. On a refusal it
// still returns the worker and origin it found, for the event.
func (m *Manager) validate(ctx context.Context, r *http.Request, e *sessEntry, now time.Time) (*ward.Principal, *ward.Worker, Origin, error) {
	s := e.s
	o := Origin{Country: s.Country, SiteID: s.SiteID, Device: s.DeviceID}
	if s.RevokedAt != nil {
		return nil, nil, o, errSessionRevoked
	}
	w, err := m.dir.workers.get(ctx, s.WorkerID)
	if err != nil {
		if ward.ErrorCode(err) == ward.ENOTFOUND {
			return nil, nil, o, errSessNotActive
		}
		return nil, nil, o, unavailable("directory", err)
	}
	switch w.Status {
	case ward.WorkerActive:
	case ward.WorkerSuspended:
		return nil, w, o, errSessSuspended
	default:
		return nil, w, o, errSessNotActive
	}
	var v *ward.Vendor
	if staff(w) {
		v, err = m.dir.vendors.get(ctx, w.VendorID)
		if err != nil {
			if ward.ErrorCode(err) == ward.ENOTFOUND {
				return nil, w, o, errSessBAALapsed
			}
			return nil, w, o, unavailable("directory", err)
		}
		if !v.BAAInForce(now) {
			return nil, w, o, errSessBAALapsed
		}
		if !v.ApprovesCountry(s.Country) {
			return nil, w, o, errSessNotApproved
		}
	}
	if w.Role == ward.RoleWorker {
		if err := m.checkShift(ctx, e, w, now); err != nil {
			return nil, w, o, err
		}
	}
	if !now.Before(s.ExpiresAt) {
		return nil, w, o, errSessionExpired
	}
	if now.UnixNano()-e.st.lastSeen.Load() > int64(m.cfg.IdleTimeout) && !m.seenElsewhere(ctx, e, now) {
		return nil, w, o, errSessionIdle
	}

	addr, forwarded, err := ClientAddr(r, m.cfg.TrustedProxies)
	if err != nil {
		return nil, w, o, err
	}
	country, siteID, err := m.locate(ctx, r, w, addr, forwarded, e)
	if err != nil {
		return nil, w, o, err
	}
	o.Addr, o.Country, o.SiteID = addr, country, siteID
	if country != s.Country {
		return nil, w, o, errCountryChanged
	}
	memo := e.device.Load()
	dev, err := m.device(r, memo)
	if err != nil {
		return nil, w, o, err
	}
	o.Device = dev
	if dev != s.DeviceID {
		return nil, w, o, errDeviceMismatch
	}
	if dev != "" && (memo == nil || memo.id != dev) {
		e.device.Store(m.deviceMemoFor(r, dev))
	}
	return &ward.Principal{
		Subject:   w.ID,
		Role:      w.Role,
		WorkerID:  w.ID,
		VendorID:  w.VendorID,
		TeamID:    w.TeamID,
		Username:  w.Username,
		SessionID: s.ID,
		DeviceID:  s.DeviceID,
		Country:   country,
		SiteID:    siteID,
	}, w, o, nil
}

// seenElsewhere reports whether the store shows the session in use
// within the idle timeout: another replica served it and wrote its
// last-seen time. It is asked only before refusing a session as idle, so
// the request path reads nothing otherwise. Replicas write last-seen times
// once a touchInterval, so across replicas the idle timeout holds to
// within that interval.
func (m *Manager) seenElsewhere(ctx context.Context, e *sessEntry, now time.Time) bool {
	s, err := m.svc.Sessions.FindSessionByID(ctx, e.s.ID)
	if err != nil {
		return false // fail closed: idle
	}
	e.st.seen(s.LastSeenAt.UnixNano())
	return now.UnixNano()-e.st.lastSeen.Load() <= int64(m.cfg.IdleTimeout)
}

func (m *Manager) deviceMemoFor(r *http.Request, id string) *deviceMemo {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return &deviceMemo{raw: r.TLS.PeerCertificates[0].Raw, id: id}
	}
	return &deviceMemo{header: strings.TrimPrefix(id, "vdi:"), id: id}
}

// staff reports whether w is a vendor's staff, bound by the vendor's BAA
// and approved countries.
func staff(w *ward.Worker) bool {
	return w.Role == ward.RoleWorker || w.Role == ward.RoleSupervisor
}

// checkShift refuses a worker's session once the shift it is in, plus the
// grace, is over. Loading the schedule's time zone is slow, so the shift
// found is remembered until it ends or the schedule changes.
func (m *Manager) checkShift(ctx context.Context, e *sessEntry, w *ward.Worker, now time.Time) error {
	if w.ScheduleID == "" {
		return errSessNoSchedule
	}
	sched, err := m.dir.schedules.get(ctx, w.ScheduleID)
	if err != nil {
		if ward.ErrorCode(err) == ward.ENOTFOUND {
			return errSessNoSchedule
		}
		return unavailable("directory", err)
	}
	if memo := e.shift.Load(); memo != nil && memo.sched == sched && !now.Before(memo.start) && now.Before(memo.until) {
		return nil
	}
	start, end, ok := sched.Shift(now)
	if !ok {
		// Inside the grace after a shift: a shift held now-grace.
		start, end, ok = sched.Shift(now.Add(-m.cfg.ShiftGrace))
	}
	if !ok {
		return errShiftEnded
	}
	e.shift.Store(&shiftMemo{sched: sched, start: start, until: end.Add(m.cfg.ShiftGrace)})
	return nil
}

// locate returns the country and site of a request from addr.
func (m *Manager) locate(ctx context.Context, r *http.Request, w *ward.Worker, addr netip.Addr, forwarded bool, e *sessEntry) (country, siteID string, err error) {
	snap, err := m.dir.sites.get(ctx)
	if err != nil {
		return "", "", unavailable("directory", err)
	}
	if m.cfg.LoopbackIsHome && !forwarded && addr.IsLoopback() && !hasForwarded(r) {
		if site := m.home(ctx, snap, w); site != nil {
			return site.Country, site.ID, nil
		}
	}
	if e != nil {
		if memo := e.origin.Load(); memo != nil && memo.sites == snap && memo.addr == addr {
			return memo.country, memo.siteID, nil
		}
	}
	if site := snap.lookup(addr); site != nil {
		country, siteID = site.Country, site.ID
	} else if m.geo != nil {
		country, _ = m.geo.Country(addr)
	}
	if e != nil {
		e.origin.Store(&originMemo{sites: snap, addr: addr, country: country, siteID: siteID})
	}
	return country, siteID, nil
}

// home returns worker w's own site: the team's, else (a supervisor
// without a team) the vendor's first. Only LoopbackIsHome uses it.
func (m *Manager) home(ctx context.Context, snap *siteSnap, w *ward.Worker) *ward.Site {
	if w == nil {
		return nil
	}
	if w.TeamID != "" {
		if t, err := m.dir.teams.get(ctx, w.TeamID); err == nil {
			if site := snap.byID[t.SiteID]; site != nil {
				return site
			}
		}
	}
	if w.VendorID != "" {
		return snap.firstOfVendor(w.VendorID)
	}
	return nil
}

// endSession revokes session e for reason and records session.revoked,
// once per process. It runs after the request has been refused anyway, so
// a failure is logged, and the next request tries again.
func (m *Manager) endSession(ctx context.Context, e *sessEntry, w *ward.Worker, o Origin, reason string, now time.Time) {
	if !e.st.ended.CompareAndSwap(false, true) {
		return
	}
	// The client may be gone; the revocation must still happen.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := m.svc.Sessions.RevokeSession(ctx, e.s.ID, reason); err != nil {
		e.st.ended.Store(false)
		m.log.Error("revoke session", "session", e.s.ID, "reason", reason, "err", err)
		return
	}
	m.sessions.invalidate(e.s.ID)
	ev := m.event(ctx, ActionSessionRevoked, w, e.s, o, now, ward.DecisionSuccess, reason)
	if _, err := m.auditor.Audit(ctx, ev); err != nil {
		m.log.Error("audit session revocation", "session", e.s.ID, "err", err)
	}
}

// flush writes last-seen times that changed since the last flush, and
// forgets sessions that can no longer be used.
func (m *Manager) flush(ctx context.Context) {
	now := m.now()
	type touch struct {
		id string
		t  int64
		st *sessState
	}
	var touches []touch
	c := m.sessions
	c.mu.Lock()
	for id, st := range c.state {
		e := c.byID[id]
		last := st.lastSeen.Load()
		// A state without an entry belongs to a session whose load lost a
		// race with a change; its next request installs it, so keep the
		// last-seen time until the session would be idle anyway.
		dead := (e != nil && (e.s.RevokedAt != nil || !now.Before(e.s.ExpiresAt))) ||
			now.UnixNano()-last > int64(m.cfg.IdleTimeout+touchInterval)
		if last > st.persisted.Load() && !st.ended.Load() && e != nil && e.s.RevokedAt == nil {
			touches = append(touches, touch{id, last, st})
		}
		if dead {
			delete(c.state, id)
			if e != nil {
				delete(c.byID, id)
				if c.byHash[e.hash] == e {
					delete(c.byHash, e.hash)
				}
			}
		}
	}
	c.mu.Unlock()
	for _, t := range touches {
		err := m.svc.Sessions.TouchSession(ctx, t.id, time.Unix(0, t.t))
		if err != nil {
			if ward.ErrorCode(err) != ward.ENOTFOUND && ctx.Err() == nil {
				m.log.Warn("touch session", "session", t.id, "err", err)
			}
			continue
		}
		for {
			p := t.st.persisted.Load()
			if t.t <= p || t.st.persisted.CompareAndSwap(p, t.t) {
				break
			}
		}
	}
}

// Logout ends the session of token and records auth.logout. Ending an
// ended session succeeds; an unknown token is EUNAUTHORIZED.
func (m *Manager) Logout(ctx context.Context, r *http.Request, token string) error {
	hash, ok := tokenHash(token)
	if !ok {
		return errSessionUnknown
	}
	s, err := m.svc.Sessions.FindSessionByTokenHash(ctx, hash[:])
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return errSessionUnknown
	} else if err != nil {
		return unavailable("session store", err)
	}
	if s.RevokedAt != nil {
		return nil
	}
	if s, err = m.svc.Sessions.RevokeSession(ctx, s.ID, "logout"); err != nil {
		return unavailable("session store", err)
	}
	m.sessions.invalidate(s.ID)
	o := Origin{Country: s.Country, SiteID: s.SiteID, Device: s.DeviceID}
	if r != nil {
		if a, _, err := ClientAddr(r, m.cfg.TrustedProxies); err == nil {
			o.Addr = a
		}
	}
	w, _ := m.dir.workers.get(ctx, s.WorkerID)
	if _, err := m.auditor.Audit(ctx, m.event(ctx, ActionLogout, w, s, o, m.now(), ward.DecisionSuccess)); err != nil {
		return unavailable("audit ledger", err)
	}
	return nil
}

// RevokeWorker ends every live session of the worker now (suspension,
// offboarding, a monitor's action) and records session.revoked with the
// count. It returns how many sessions it ended.
func (m *Manager) RevokeWorker(ctx context.Context, workerID, reason string) (int, error) {
	n, err := m.svc.Sessions.RevokeWorkerSessions(ctx, workerID, reason)
	if err != nil {
		return 0, unavailable("session store", err)
	}
	m.sessions.invalidateWorker(workerID)
	e := &ward.Event{
		Time:    m.now().UTC(),
		Action:  ActionSessionRevoked,
		Actor:   actorOf(ctx),
		Target:  ward.EventTarget{ResourceType: "Worker", ResourceID: workerID},
		Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess, Reasons: []string{reason}, Count: n},
	}
	if m.cfg.RequestID != nil {
		e.RequestID = m.cfg.RequestID(ctx)
	}
	if _, err := m.auditor.Audit(ctx, e); err != nil {
		return n, unavailable("audit ledger", err)
	}
	return n, nil
}
