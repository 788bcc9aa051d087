package main

import (
	"context"
	"fmt"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/postgres"
	"github.com/wardhq/ward/store/sqlite"
)

// store is what cmd/ward needs of either store driver.
type store interface {
	Open(ctx context.Context) error
	Close() error
	Ping(ctx context.Context) error
	Migrate(ctx context.Context) ([]string, error)
	Applied() []string // the migrations the last Open applied
	Version(ctx context.Context) (string, error)
	Services() ward.Services
}

var (
	_ store = (*sqlite.DB)(nil)
	_ store = (*postgres.DB)(nil)
)

// newStore returns the driver's DB for dsn, not yet opened.
func newStore(driver, dsn string) (store, error) {
	switch driver {
	case "sqlite":
		return sqlite.NewDB(dsn), nil
	case "postgres":
		return postgres.NewDB(dsn), nil
	}
	return nil, &ConfigError{Field: "store.driver", Value: driver, Err: fmt.Errorf("want sqlite or postgres")}
}

// openStore opens the store and applies pending migrations.
func openStore(ctx context.Context, driver, dsn string) (store, error) {
	db, err := newStore(driver, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.Open(ctx); err != nil {
		return nil, fmt.Errorf("open %s store: %w", driver, err)
	}
	return db, nil
}
