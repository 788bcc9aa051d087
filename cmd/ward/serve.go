package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wardhq/ward"
	wardhttp "github.com/wardhq/ward/http"
)

// ServeCommand runs ward against a real EHR and store.
type ServeCommand struct {
	*Main
	Config Config

	logger *slog.Logger
	db     store
	server *wardhttp.Server
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
	cfg := DefaultConfig()
	if *configPath != "" {
		var err error
		if cfg, err = ReadConfigFile(*configPath); err != nil {
			return err
		}
	}
	cfg.ApplyEnv(c.Getenv)
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
	c.server = newServer(c.logger, services, c.db, c.Config)
	return c.server.Open()
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
	if c.db != nil {
		if err := c.db.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
