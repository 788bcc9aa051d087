package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wardhq/ward"
	wardhttp "github.com/wardhq/ward/http"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/ledger/export"
)

// ServeCommand runs ward against a real EHR and store.
type ServeCommand struct {
	*Main
	Config Config

	logger *slog.Logger
	db     store
	ledger *ledger.Ledger
	syslog *export.Forwarder
	server *wardhttp.Server
	access *access
}

// Run parses flags, starts ward and blocks until ctx is done.
func (c *ServeCommand) Run(ctx context.Context, args []string) error {
	if err := c.ParseFlags(ctx, args); err != nil {
		return err
	}
	if err := c.Open(ctx); err != nil {
		c.Close()
		return err
	}
	c.logger.Info("ward serving", "url", c.server.URL(), "store", c.Config.Store.Driver, "version", ward.Version)
	<-ctx.Done()
	c.logger.Info("shutting down")
	return c.Close()
}

// ParseFlags reads the configuration file, the environment and the flags
// into c.Config and validates it.
func (c *ServeCommand) ParseFlags(ctx context.Context, args []string) error {
	fs := c.newFlagSet("serve", "serve --config FILE [flags]")
	configPath := fs.String("config", "", "YAML configuration file (see docs/configuration.md)")
	addr := fs.String("addr", "", "listen address host:port (overrides addr)")
	logFormat := fs.String("log-format", "", "log format, text or json (overrides log.format)")
	logLevel := fs.String("log-level", "", "log level: debug, info, warn, error (overrides log.level)")
	dsn := fs.String("dsn", "", "store DSN (overrides store.dsn)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath, c.Getenv)
	if err != nil {
		return err
	}
	override(&cfg.Addr, *addr)
	override(&cfg.Log.Format, *logFormat)
	override(&cfg.Log.Level, *logLevel)
	override(&cfg.Store.DSN, *dsn)
	if err := cfg.Validate(); err != nil {
		return err
	}
	c.Config = cfg
	return nil
}

func override(dst *string, flagValue string) {
	if flagValue != "" {
		*dst = flagValue
	}
}

// Open wires the store and the HTTP server from c.Config and starts
// listening. Tests call it directly, skipping ParseFlags.
func (c *ServeCommand) Open(ctx context.Context) (err error) {
	c.logger = newLogger(c.Stderr, c.Config.Log.Format, c.Config.Log.Level)
	if c.db, err = openStore(ctx, c.Config.Store.Driver, c.Config.Store.DSN); err != nil {
		return err
	}
	services := c.db.Services()
	if c.Config.Organization.Name != "" {
		org := &ward.Organization{Name: c.Config.Organization.Name, TimeZone: c.Config.Organization.TimeZone}
		if org.TimeZone == "" {
			org.TimeZone = "UTC"
		}
		if err := services.Organizations.SetOrganization(ctx, org); err != nil {
			return fmt.Errorf("set organization: %w", err)
		}
	}
	if c.syslog, err = openForwarder(c.logger, ledgerOf(c.db), c.Config); err != nil {
		return err
	}
	hook := &monitorHook{}
	appended := hook.appended
	if c.syslog != nil {
		appended = func(n uint64) { c.syslog.Notify(); hook.appended(n) }
	}
	if c.ledger, err = openLedger(ctx, c.logger, c.db, c.Config, appended); err != nil {
		return err
	}
	c.server = newServer(c.logger, services, c.db, c.Config)
	if c.server.TLSConfig, err = c.Config.tlsConfig(); err != nil {
		return err
	}
	registerLedgerMetrics(c.server.Registry, c.ledger)
	c.server.Auditor = c.ledger
	c.server.AuditLog = &auditLog{ledger: c.ledger, store: ledgerOf(c.db), services: services, keyFile: c.Config.Ledger.KeyFile}
	if c.server.Coder, err = newCoder(c.Config, c.logger); err != nil {
		return err
	}
	if ehr, err := newEHRClient(c.Config); err != nil {
		return err
	} else if ehr != nil {
		c.server.Patients = ehr
	}
	if c.access, err = openAccess(ctx, c.logger, c.Config, services, c.ledger, c.server, accessOptions{}); err != nil {
		return err
	}
	if err := c.access.startMonitor(c.Config, c.db, c.ledger, c.logger, hook); err != nil {
		return err
	}
	if err := c.server.Open(); err != nil {
		return err
	}
	return auditSystem(ctx, c.ledger, "system.start", c.server.URL())
}

// openForwarder starts forwarding the ledger to syslog when configured.
func openForwarder(logger *slog.Logger, ls ward.LedgerStore, cfg Config) (*export.Forwarder, error) {
	sl := cfg.Audit.Syslog
	if sl.Addr == "" {
		return nil, nil
	}
	f := export.NewForwarder(ls, sl.Addr, sl.CursorFile)
	f.Format = export.Format(sl.Format)
	f.Logger = logger.WithGroup("syslog")
	if sl.TLS {
		host, _, _ := net.SplitHostPort(sl.Addr)
		f.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if sl.CAFile != "" {
			pem, err := os.ReadFile(sl.CAFile)
			if err != nil {
				return nil, &ConfigError{Field: "audit.syslog.ca_file", Value: sl.CAFile, Err: err}
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, &ConfigError{Field: "audit.syslog.ca_file", Value: sl.CAFile, Err: errors.New("no PEM certificate in it")}
			}
			f.TLSConfig.RootCAs = pool
		}
	}
	if err := f.Open(); err != nil {
		return nil, fmt.Errorf("syslog forwarding: %w", err)
	}
	return f, nil
}

// witnessSuffix names the file beside the key that keeps the latest
// checkpoint.
const witnessSuffix = ".checkpoint"

// openLedger opens the audit ledger on db's database with the configured
// signing key, generating the key on first start.
func openLedger(ctx context.Context, logger *slog.Logger, db store, cfg Config, appended func(size uint64)) (*ledger.Ledger, error) {
	signer, _, err := ledger.LoadOrCreateKey(cfg.Ledger.KeyFile, cfg.Ledger.Origin)
	if err != nil {
		return nil, &ConfigError{Field: "ledger.key_file", Value: cfg.Ledger.KeyFile, Err: err}
	}
	interval, _ := time.ParseDuration(cfg.Ledger.CheckpointInterval) // validated
	l, err := ledger.Open(ctx, ledgerOf(db), signer, ledger.Options{
		Origin:             cfg.Ledger.Origin,
		Logger:             logger.WithGroup("ledger"),
		CheckpointInterval: interval,
		// A copy of the latest checkpoint outside the database: whoever can
		// rewrite the database but not this file cannot cut the log short
		// and append again unnoticed.
		WitnessPath: cfg.Ledger.KeyFile + witnessSuffix,
		Appended:    appended,
	})
	if err != nil {
		return nil, fmt.Errorf("open audit ledger: %w", err)
	}
	return l, nil
}

// registerLedgerMetrics exposes the ledger's size, so that a stalled
// ledger (no growth while requests are served) shows on a dashboard.
func registerLedgerMetrics(reg *prometheus.Registry, l *ledger.Ledger) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ward_ledger_entries",
		Help: "Entries in the audit ledger, as this replica last committed or loaded it.",
	}, func() float64 { return float64(l.Size()) }))
}

// auditSystem records ward's own start or stop, so that gaps in service
// show in the ledger.
func auditSystem(ctx context.Context, a ward.Auditor, action, url string) error {
	_, err := a.Audit(ctx, &ward.Event{
		Time:    time.Now().UTC(),
		Action:  action,
		Actor:   ward.EventActor{Subject: "system"},
		Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess},
		Details: map[string]string{"version": ward.Version, "url": url},
	})
	return err
}

// newServer builds the HTTP server common to serve and demo.
func newServer(logger *slog.Logger, services ward.Services, db store, cfg Config) *wardhttp.Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := wardhttp.NewServer()
	s.Addr = cfg.Addr
	s.Logger = logger.WithGroup("http")
	s.Services = services
	s.AdminToken = cfg.AdminToken
	s.MetricsToken = cfg.MetricsToken
	s.Registry = reg
	s.Ready = db.Ping
	return s
}

// Close shuts down in the reverse order of Open.
func (c *ServeCommand) Close() error {
	var first error
	if c.server != nil {
		if err := c.server.Close(); err != nil && first == nil {
			first = err
		}
	}
	if err := c.access.Close(); err != nil && first == nil {
		first = err
	}
	if c.syslog != nil {
		if err := c.syslog.Close(); err != nil && first == nil {
			first = err
		}
	}
	if c.ledger != nil {
		if err := auditSystem(context.Background(), c.ledger, "system.stop", ""); err != nil && first == nil {
			first = err
		}
		if err := c.ledger.Close(); err != nil && first == nil {
			first = err
		}
	}
	if c.db != nil {
		if err := c.db.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
