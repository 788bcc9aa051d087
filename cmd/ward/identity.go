package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/gateway"
	wardhttp "github.com/wardhq/ward/http"
	"github.com/wardhq/ward/identity"
	"github.com/wardhq/ward/identity/onboarding"
	"github.com/wardhq/ward/identity/passkey"
	"github.com/wardhq/ward/identity/scim"
	"github.com/wardhq/ward/identity/sso"
	"github.com/wardhq/ward/monitor"
	"github.com/wardhq/ward/routing"
)

// access is the identity and work-routing machinery serve and demo share:
// sessions, onboarding, SSO, security keys, SCIM and the router.
type access struct {
	ehr        *ehrClient
	monitor    *monitor.Monitor
	identity   *identity.Manager
	lifecycle  *onboarding.Service
	router     *routing.Router
	stopFollow func()
	stopTasks  func()
	geo        *identity.MMDB
}

// accessOptions are what differs between serve and demo.
type accessOptions struct {
	demo bool // loopback is a trusted proxy and counts as the worker's site
}

// openAccess builds sessions, onboarding, SSO, security keys and the
// router, and wires them into srv.
func openAccess(ctx context.Context, logger *slog.Logger, cfg Config, services ward.Services, auditor ward.Auditor, srv *wardhttp.Server, opts accessOptions) (*access, error) {
	set, err := cfg.identitySettings()
	if err != nil {
		return nil, err
	}
	a := &access{}
	geo, err := a.openGeo(cfg)
	if err != nil {
		return nil, err
	}
	icfg := identity.Config{
		IdleTimeout:           set.IdleTimeout,
		MaxLifetime:           set.MaxLifetime,
		ShiftGrace:            set.ShiftGrace,
		TrustedProxies:        set.TrustedProxies,
		DeviceHeader:          cfg.Identity.Device.Header,
		TrustedDeviceGateways: set.DeviceGateways,
		RequireEnrolledDevice: cfg.Identity.Device.RequireEnrolled,
		Lockout: identity.LockoutPolicy{
			AccountLimit: cfg.Identity.Lockout.AccountFailures, AccountWindow: set.LockoutWindow, AccountLockout: set.LockoutDuration,
			AddrLimit: cfg.Identity.Lockout.AddressFailures, AddrWindow: set.LockoutWindow, AddrLockout: set.LockoutDuration,
		},
		Logger:    logger.WithGroup("identity"),
		RequestID: wardhttp.RequestIDFromContext,
	}
	if opts.demo {
		icfg.LoopbackIsHome = true
		icfg.TrustedProxies = append(icfg.TrustedProxies, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
	}
	if a.identity, err = identity.New(services, auditor, geo, icfg); err != nil {
		a.Close()
		return nil, fmt.Errorf("identity: %w", err)
	}
	vs, profiles, err := cfg.routingFiles()
	if err != nil {
		a.Close()
		return nil, err
	}
	maxTTL, _ := time.ParseDuration(cfg.Routing.GrantMaxTTL) // validated
	ehr, err := newEHRClient(cfg)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.ehr = ehr
	rcfg := routing.Config{Services: services, Auditor: auditor, Profiles: profiles, Tagger: routing.NewTagger(vs), MaxTTL: maxTTL}
	var fetcher *routing.Fetcher
	if ehr != nil {
		// Tags are recomputed from what the EHR holds when a task is taken.
		fetcher = &routing.Fetcher{Source: &ehrSource{c: ehr}}
		rcfg.Fetch = fetcher.Fetch
	}
	if a.router, err = routing.New(rcfg); err != nil {
		a.Close()
		return nil, fmt.Errorf("routing: %w", err)
	}
	if err := a.router.Load(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("routing: %w", err)
	}
	if services.Changes != nil {
		a.stopFollow = a.router.Follow(context.WithoutCancel(ctx), services.Changes)
	}
	a.lifecycle = &onboarding.Service{
		Services: services,
		Auditor:  auditor,
		EndAccess: func(ctx context.Context, workerID, reason string) error {
			_, err := a.identity.RevokeWorker(ctx, workerID, reason)
			return err
		},
	}
	srv.Identity = a.identity
	srv.Lifecycle = a.lifecycle
	srv.OnSessionEnd = func(ctx context.Context, workerID, reason string) error {
		_, err := a.router.EndWorkerGrants(ctx, workerID, reason)
		return err
	}
	if cfg.Organization.Name != "" {
		srv.TOTPIssuer = "ward · " + cfg.Organization.Name
	}

	if cfg.Identity.OIDC.Issuer != "" || cfg.Identity.WebAuthn.RPID != "" {
		key, err := loadStateKey(cfg.Identity.StateKeyFile)
		if err != nil {
			a.Close()
			return nil, err
		}
		if o := cfg.Identity.OIDC; o.Issuer != "" {
			secret := ""
			if o.ClientSecretFile != "" {
				b, err := os.ReadFile(o.ClientSecretFile)
				if err != nil {
					a.Close()
					return nil, &ConfigError{Field: "identity.oidc.client_secret_file", Value: o.ClientSecretFile, Err: errors.Unwrap(err)}
				}
				secret = strings.TrimSpace(string(b))
			}
			p, err := sso.New(ctx, sso.Config{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret, RedirectURL: o.RedirectURL,
				MFAMethods: o.MFAMethods, MFAACRs: o.MFAACRs, UsernameClaim: o.UsernameClaim, StateKey: key})
			if err != nil {
				a.Close()
				return nil, fmt.Errorf("identity.oidc: %w", err)
			}
			srv.SSO = p
		}
		if w := cfg.Identity.WebAuthn; w.RPID != "" {
			k, err := passkey.New(passkey.Config{RPID: w.RPID, RPDisplayName: w.RPName, RPOrigins: w.RPOrigins, StateKey: key})
			if err != nil {
				a.Close()
				return nil, fmt.Errorf("identity.webauthn: %w", err)
			}
			srv.Passkeys = k
		}
	}

	if cfg.EHR.BaseURL != "" {
		if err := a.openGateway(cfg, logger, services, auditor, srv, vs, profiles); err != nil {
			a.Close()
			return nil, err
		}
	}
	srv.Router = a.router
	if fetcher != nil {
		srv.Router = explainingRouter{Router: a.router, fetcher: fetcher}
		// A task posted to the API is tagged from the EHR, like an import.
		srv.Intake = func(ctx context.Context, t *ward.Task) error {
			in, err := fetcher.Fetch(ctx, t)
			if err != nil {
				return err
			}
			return a.router.Intake(ctx, t, in)
		}
	}
	srv.Profiles = profiles

	// VDI and DLP systems post signals with a system token, not a session.
	srv.Mount("POST /api/v1/signals", srv.SignalHandler())

	srv.Mount("/scim/v2/", &scim.Handler{
		Services: services,
		Auditor:  auditor,
		Suspend: func(ctx context.Context, id, reason string) error {
			_, err := a.lifecycle.Suspend(ctx, id, reason)
			return err
		},
		Offboard: func(ctx context.Context, id, reason string) error {
			_, err := a.lifecycle.Offboard(ctx, id, reason)
			return err
		},
		Reactivate: func(ctx context.Context, id, reason string) error {
			_, err := a.lifecycle.Activate(ctx, id, reason)
			return err
		},
		BaseURL:   "/scim/v2",
		Logger:    logger.WithGroup("scim"),
		RequestID: wardhttp.RequestIDFromContext,
	})
	return a, nil
}

// openGateway mounts the FHIR gateway at /fhir/: the worker's session,
// the grant, the shift, the origin and the organization's policies decide
// each request; ward's own credentials reach the EHR.
func (a *access) openGateway(cfg Config, logger *slog.Logger, services ward.Services, auditor ward.Auditor, srv *wardhttp.Server,
	vs *routing.ValueSets, profiles *routing.Profiles) error {
	pol, err := cfg.policies()
	if err != nil {
		return err
	}
	creds, err := cfg.ehrCredentials()
	if err != nil {
		return err
	}
	timeout, _ := time.ParseDuration(cfg.EHR.Timeout) // validated
	tasks := gateway.NewTaskCache(services.Tasks)
	if services.Changes != nil {
		a.stopTasks = tasks.Follow(services.Changes)
	}
	gw, err := gateway.New(gateway.Config{
		BasePath:        "/fhir",
		PublicBase:      cfg.publicURL() + "/fhir",
		Upstream:        cfg.EHR.BaseURL,
		Credentials:     creds,
		UpstreamTimeout: timeout,
		Authenticate:    a.identity.Authenticate,
		Directory:       a.identity,
		Tasks:           tasks,
		Grants:          a.router.Grants(),
		Profiles:        profiles,
		ValueSets:       vs,
		Policy:          pol,
		Auditor:         auditor,
		Logger:          logger.WithGroup("gateway"),
	})
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	srv.Mount("/fhir/", gw)
	return nil
}

// monitorHook forwards the ledger's appends to the monitor once it runs;
// the ledger opens first, so the hook is made before the monitor is.
type monitorHook struct {
	p atomic.Pointer[monitor.Monitor]
}

func (h *monitorHook) appended(size uint64) {
	if m := h.p.Load(); m != nil {
		m.Notify(size)
	}
}

// startMonitor runs the detection rules over the ledger, with responses
// that end sessions, revoke grants and suspend workers.
func (a *access) startMonitor(cfg Config, db store, auditor ward.Auditor, logger *slog.Logger, hook *monitorHook) error {
	if cfg.Monitor.Disabled {
		return nil
	}
	deps := monitorDeps{
		Auditor: auditor,
		Logger:  logger.WithGroup("monitor"),
		Responders: monitor.Responders{
			EndSessions: func(ctx context.Context, workerID, reason string) error {
				_, err := a.identity.RevokeWorker(ctx, workerID, reason)
				return err
			},
			EndGrants: func(ctx context.Context, workerID, reason string) error {
				_, err := a.router.EndWorkerGrants(ctx, workerID, reason)
				return err
			},
			Suspend: func(ctx context.Context, workerID, reason string) error {
				_, err := a.lifecycle.Suspend(ctx, workerID, reason)
				return err
			},
		},
	}
	if a.ehr != nil {
		deps.Demographics = patientIdentity{a.ehr}
	}
	m, err := openMonitor(cfg.Monitor, db, deps)
	if err != nil {
		return err
	}
	a.monitor = m
	hook.p.Store(m)
	return nil
}

// explainingRouter is the router plus what the console's "explain"
// needs: a task's tags recomputed from the EHR, with the data behind each.
type explainingRouter struct {
	*routing.Router
	fetcher *routing.Fetcher
}

// ExplainTags implements http.TagExplainer.
func (r explainingRouter) ExplainTags(ctx context.Context, t *ward.Task) ([]routing.Explanation, error) {
	in, err := r.fetcher.Fetch(ctx, t)
	if err != nil {
		return nil, err
	}
	_, ex := r.Tagger().Tag(in)
	return ex, nil
}

// geoChain asks a static table first, then the MaxMind database.
type geoChain []identity.Geo

func (g geoChain) Country(addr netip.Addr) (string, bool) {
	for _, x := range g {
		if c, ok := x.Country(addr); ok {
			return c, true
		}
	}
	return "", false
}

// demoGeoNetworks is the demo's geo table: the vendors' documentation
// ranges, as the README says.
var demoGeoNetworks = map[string]string{
	"203.0.113.0/24":  "PH",
	"198.51.100.0/24": "IN",
	"192.0.2.0/24":    "US",
}

func (a *access) openGeo(cfg Config) (identity.Geo, error) {
	var chain geoChain
	if len(cfg.Identity.Geo.Networks) > 0 {
		t, err := identity.NewGeoTable(cfg.Identity.Geo.Networks)
		if err != nil {
			return nil, &ConfigError{Field: "identity.geo.networks", Err: err}
		}
		chain = append(chain, t)
	}
	if f := cfg.Identity.Geo.MMDBFile; f != "" {
		m, err := identity.OpenMMDB(f)
		if err != nil {
			return nil, &ConfigError{Field: "identity.geo.mmdb_file", Value: f, Err: err}
		}
		a.geo = m
		chain = append(chain, m)
	}
	return chain, nil
}

// Close stops the background work.
func (a *access) Close() error {
	if a == nil {
		return nil
	}
	var first error
	if a.monitor != nil {
		first = a.monitor.Close()
	}
	if a.stopFollow != nil {
		a.stopFollow()
	}
	if a.stopTasks != nil {
		a.stopTasks()
	}
	if a.identity != nil {
		if err := a.identity.Close(); err != nil && first == nil {
			first = err
		}
	}
	if a.geo != nil {
		if err := a.geo.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// loadStateKey reads the 32-byte key that seals SSO and security-key
// ceremony state, creating it (mode 0600) on first use.
func loadStateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, &ConfigError{Field: "identity.state_key_file", Value: path, Err: errors.Unwrap(err)}
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			return nil, err
		}
		return key, f.Close()
	} else if err != nil {
		return nil, &ConfigError{Field: "identity.state_key_file", Value: path, Err: errors.Unwrap(err)}
	}
	if len(b) < 32 {
		return nil, &ConfigError{Field: "identity.state_key_file", Value: path, Err: errors.New("want at least 32 bytes")}
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, &ConfigError{Field: "identity.state_key_file", Value: path, Err: errors.New("readable by group or others; chmod 600")}
	}
	return b, nil
}
