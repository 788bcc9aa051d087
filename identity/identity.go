// Package identity authenticates people: built-in accounts (argon2id
// passwords and TOTP), and the sessions that every login, however
// verified (password, WebAuthn in identity/passkey, OpenID Connect in
// identity/sso), ends in.
//
// A session is an opaque bearer token ("ward_s_" and 32 random bytes); only
// its SHA-256 is stored. It is bound to the worker's device and network
// origin, lasts at most MaxLifetime and, for workers, never beyond the end
// of the shift plus ShiftGrace. [Manager.Authenticate] re-validates it on
// every request: revoked, expired, idle, the worker suspended or no longer
// active, the vendor's BAA lapsed, the shift over, another country or
// another device → refused, and for the binding reasons the session is
// revoked in the store at once.
//
// # The request path reads no database
//
// The Manager keeps in memory the sessions it has seen (by token hash) and
// a directory of workers, vendors, teams, schedules and sites. Both are
// kept current by the store's change feed ([ward.ChangeFeed]): a change
// drops the cached record, and the next request that needs it reads it
// again. A revocation, a suspension or a BAA change made by any replica is
// therefore honoured on the first request after the change is delivered,
// while a request whose records are cached costs no store read at all.
// Last-seen times are kept in memory and written (TouchSession) at most
// once a minute per session, by a background goroutine.
//
// # Origins
//
// A request's client is its TCP peer, or, only when the peer is a trusted
// proxy, the right-most X-Forwarded-For address that is not a trusted
// proxy. The address resolves to a vendor site through the sites' egress
// CIDRs, and to a country through the site or, outside every site, a [Geo]
// database. The device is the TLS client certificate's SHA-256, or the
// host identity a trusted VDI gateway puts in a header.
package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/wardhq/ward"
)

// Config configures a Manager. Zero durations and limits take the
// defaults named on each field.
type Config struct {
	IdleTimeout time.Duration // default 15m
	MaxLifetime time.Duration // default 10h
	// ShiftGrace is how long a worker's session may outlive the end of
	// the shift it was opened in (default 15m), to finish the task at hand.
	ShiftGrace time.Duration

	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// DeviceHeader (e.g. "X-Ward-Device") carries the VDI host identity;
	// it is honoured only when the TCP peer is in TrustedDeviceGateways.
	DeviceHeader          string
	TrustedDeviceGateways []netip.Prefix
	// RequireEnrolledDevice refuses a worker's (role worker) login unless
	// the device presented is enrolled to them and not revoked.
	RequireEnrolledDevice bool
	// LoopbackIsHome counts a request from a loopback peer without
	// X-Forwarded-For as coming from the worker's own site (the team's
	// site), so that the demo works from a browser on the same machine.
	// Never set it in production.
	LoopbackIsHome bool

	Lockout LockoutPolicy

	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Logger receives background failures (default: discarded). It never
	// receives passwords, codes, tokens or PHI.
	Logger *slog.Logger
	// RequestID returns the request ID of a request's context, so that
	// events can carry it (optional; the http package has one).
	RequestID func(ctx context.Context) string
}

// Defaults.
const (
	DefaultIdleTimeout = 15 * time.Minute
	DefaultMaxLifetime = 10 * time.Hour
	DefaultShiftGrace  = 15 * time.Minute
)

// touchInterval is how often last-seen times are written to the store and
// dead sessions dropped from memory.
const touchInterval = time.Minute

// Manager logs people in and validates their sessions. It is safe for
// concurrent use. Create it with New and Close it when done.
type Manager struct {
	svc     ward.Services
	auditor ward.Auditor
	geo     Geo
	cfg     Config
	log     *slog.Logger

	deviceKey string // canonical form of cfg.DeviceHeader

	dir      *directory
	sessions *sessionCache

	unsubscribe func()
	refresh     chan ward.Change // directory records to reload in the background
	ctx         context.Context  // the Manager's lifetime
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	closeOnce   sync.Once
}

// New returns a Manager over svc that records events with auditor. geo
// may be nil (no country outside the sites). It subscribes to svc.Changes
// and loads the directory before it returns.
func New(svc ward.Services, auditor ward.Auditor, geo Geo, cfg Config) (*Manager, error) {
	switch {
	case svc.Workers == nil || svc.Vendors == nil || svc.Sites == nil || svc.Teams == nil || svc.Schedules == nil:
		return nil, errors.New("identity: the directory services are required")
	case svc.Sessions == nil || svc.Credentials == nil || svc.LoginFailures == nil:
		return nil, errors.New("identity: the session, credential and login failure services are required")
	case svc.Devices == nil && cfg.RequireEnrolledDevice:
		return nil, errors.New("identity: RequireEnrolledDevice needs the device service")
	case svc.Changes == nil:
		return nil, errors.New("identity: a change feed is required to keep sessions current")
	case auditor == nil:
		return nil, errors.New("identity: an auditor is required")
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxLifetime <= 0 {
		cfg.MaxLifetime = DefaultMaxLifetime
	}
	if cfg.ShiftGrace <= 0 {
		cfg.ShiftGrace = DefaultShiftGrace
	}
	cfg.Lockout = cfg.Lockout.withDefaults()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m := &Manager{
		svc:      svc,
		auditor:  auditor,
		geo:      geo,
		cfg:      cfg,
		log:      cfg.Logger.WithGroup("identity"),
		dir:      newDirectory(svc),
		sessions: newSessionCache(),
		refresh:  make(chan ward.Change, 1024),
	}
	if cfg.DeviceHeader != "" {
		m.deviceKey = http.CanonicalHeaderKey(cfg.DeviceHeader)
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	// Subscribe before loading, so that nothing changed during the load
	// is missed: the tables' generations discard what it overtook.
	m.unsubscribe = svc.Changes.Subscribe(m.onChange)
	if err := m.dir.load(m.ctx, svc); err != nil {
		m.unsubscribe()
		m.cancel()
		return nil, fmt.Errorf("identity: load directory: %w", err)
	}
	m.wg.Add(2)
	go func() { defer m.wg.Done(); m.refreshLoop() }()
	go func() { defer m.wg.Done(); m.touchLoop() }()
	return m, nil
}

// Close stops the background work and writes pending last-seen times.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		m.unsubscribe()
		m.cancel()
		m.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.flush(ctx)
	})
	return nil
}

func (m *Manager) now() time.Time { return m.cfg.Now() }

// onChange runs on the store's committing goroutine: it only marks what
// is stale and never reads the store.
func (m *Manager) onChange(c ward.Change) {
	switch c.Table {
	case "sessions":
		m.sessions.invalidate(c.ID)
		return
	case ward.ChangeAll:
		m.sessions.invalidateAll()
	}
	if m.dir.invalidate(c) {
		select {
		case m.refresh <- c:
		default: // the next request that needs the record reads it
		}
	}
}

// refreshLoop reloads invalidated directory records, so that the request
// after a change is usually a cache hit again.
func (m *Manager) refreshLoop() {
	for {
		select {
		case <-m.ctx.Done():
			return
		case c := <-m.refresh:
			var err error
			switch c.Table {
			case "workers":
				_, err = m.dir.workers.get(m.ctx, c.ID)
			case "vendors":
				_, err = m.dir.vendors.get(m.ctx, c.ID)
			case "teams":
				_, err = m.dir.teams.get(m.ctx, c.ID)
			case "schedules":
				_, err = m.dir.schedules.get(m.ctx, c.ID)
			case "sites":
				_, err = m.dir.sites.get(m.ctx)
			case ward.ChangeAll:
				err = m.dir.load(m.ctx, m.svc)
			}
			if err != nil && ward.ErrorCode(err) != ward.ENOTFOUND && m.ctx.Err() == nil {
				m.log.Debug("refresh directory", "table", c.Table, "id", c.ID, "err", err)
			}
		}
	}
}

func (m *Manager) touchLoop() {
	t := time.NewTicker(touchInterval)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
			m.flush(m.ctx)
		}
	}
}
