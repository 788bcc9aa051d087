package main

import (
	"context"
	"fmt"
)

// MigrateCommand applies pending database migrations and exits.
type MigrateCommand struct{ *Main }

// Run applies the migrations embedded in this binary to the configured store.
func (c *MigrateCommand) Run(ctx context.Context, args []string) error {
	fs := c.newFlagSet("migrate", "migrate [--config FILE] [--driver sqlite|postgres] [--dsn DSN]")
	configPath := fs.String("config", "", "YAML configuration file")
	driver := fs.String("driver", "", "store driver, sqlite or postgres (overrides the file and WARD_STORE_DRIVER)")
	dsn := fs.String("dsn", "", "store DSN (overrides the file and WARD_STORE_DSN)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath, c.Getenv)
	if err != nil {
		return err
	}
	if *driver != "" {
		cfg.Store.Driver = *driver
	}
	if *dsn != "" {
		cfg.Store.DSN = *dsn
	}
	db, err := newStore(cfg.Store.Driver, cfg.Store.DSN)
	if err != nil {
		return err
	}
	if err := db.Open(ctx); err != nil {
		return fmt.Errorf("open %s store: %w", cfg.Store.Driver, err)
	}
	defer db.Close()
	applied := db.Applied()
	version, err := db.Version(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(c.Stdout, "%s store is up to date at %s\n", cfg.Store.Driver, version)
		return nil
	}
	for _, name := range applied {
		fmt.Fprintf(c.Stdout, "applied %s\n", name)
	}
	fmt.Fprintf(c.Stdout, "%s store is now at %s\n", cfg.Store.Driver, version)
	return nil
}
