package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/sqlite"
	"github.com/wardhq/ward/store/storetest"
)

// TestConformance runs the store conformance suite against a fresh file
// database per test, in WAL mode with separate read and write pools.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) storetest.Opened { return opened(MustOpenDB(tb)) })
}

// TestConformanceMemory runs the suite against in-memory databases, whose
// single connection serves readers and writers alike.
func TestConformanceMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("the file-backed run covers the same code")
	}
	storetest.Run(t, func(tb testing.TB) storetest.Opened { return opened(MustOpenDBDSN(tb, sqlite.MemoryDSN)) })
}

// opened wraps db for the conformance suite. The clock is guarded because
// the suite's concurrency tests read it from many goroutines.
func opened(db *sqlite.DB) storetest.Opened {
	var mu sync.Mutex
	now := time.Now()
	db.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	return storetest.Opened{
		Services: db.Services(),
		Ledger:   db.Ledger(),
		SetNow: func(t time.Time) {
			mu.Lock()
			defer mu.Unlock()
			now = t
		},
		Exec: func(ctx context.Context, rollback bool, stmts ...string) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			for _, s := range stmts {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return err
				}
			}
			if rollback {
				return tx.Rollback()
			}
			return tx.Commit()
		},
	}
}

// MustOpenDB returns a new, migrated database in a temporary directory that
// is closed when tb ends.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	return MustOpenDBDSN(tb, filepath.Join(tb.TempDir(), "ward.db"))
}

// MustOpenDBDSN is MustOpenDB for a given DSN.
func MustOpenDBDSN(tb testing.TB, dsn string) *sqlite.DB {
	tb.Helper()
	db := sqlite.NewDB(dsn)
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

func TestDB_Open(t *testing.T) {
	t.Run("ErrDSNRequired", func(t *testing.T) {
		if err := sqlite.NewDB("").Open(t.Context()); err == nil {
			t.Fatal("Open with empty DSN succeeded, want error")
		}
	})

	t.Run("CreatesDirectory", func(t *testing.T) {
		dsn := filepath.Join(t.TempDir(), "a", "b?c#d", "ward.db")
		db := MustOpenDBDSN(t, dsn)
		if err := db.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("CloseUnopened", func(t *testing.T) {
		if err := sqlite.NewDB("x").Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDB_Migrate(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "ward.db")
	db := sqlite.NewDB(dsn)
	applied, err := db.Migrate(t.Context())
	if err == nil {
		t.Fatalf("Migrate before Open=%v, want error", applied)
	}
	if err := db.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	version, err := db.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	} else if got, want := version, "0005_monitor.sql"; got != want {
		t.Fatalf("Version=%q, want %q", got, want)
	}

	t.Run("Idempotent", func(t *testing.T) {
		applied, err := db.Migrate(t.Context())
		if err != nil {
			t.Fatal(err)
		} else if len(applied) != 0 {
			t.Fatalf("Migrate applied %q, want nothing", applied)
		}
	})

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("ReopenAppliesNothing", func(t *testing.T) {
		db := MustOpenDBDSN(t, dsn)
		applied, err := db.Migrate(t.Context())
		if err != nil {
			t.Fatal(err)
		} else if len(applied) != 0 {
			t.Fatalf("Migrate applied %q, want nothing", applied)
		}
		if got, err := db.Version(t.Context()); err != nil {
			t.Fatal(err)
		} else if got != version {
			t.Fatalf("Version=%q, want %q", got, version)
		}
	})
}

func TestDB_Pragmas(t *testing.T) {
	db := MustOpenDB(t)
	for _, tt := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "2"}, // FULL
		{"busy_timeout", "10000"},
	} {
		t.Run(tt.pragma, func(t *testing.T) {
			for _, readOnly := range []bool{false, true} {
				got := pragma(t, db, tt.pragma, readOnly)
				if got != tt.want {
					t.Fatalf("PRAGMA %s (readOnly=%v)=%q, want %q", tt.pragma, readOnly, got, tt.want)
				}
			}
		})
	}

	t.Run("ReadPoolIsQueryOnly", func(t *testing.T) {
		tx, err := db.BeginTx(t.Context(), readOnlyTx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(t.Context(), `DELETE FROM vendors`); err == nil {
			t.Fatal("DELETE on the read pool succeeded, want error")
		}
	})
}

// readOnlyTx selects the read pool.
var readOnlyTx = &sql.TxOptions{ReadOnly: true}

func pragma(t *testing.T, db *sqlite.DB, name string, readOnly bool) string {
	t.Helper()
	opts := readOnlyTx
	if !readOnly {
		opts = nil
	}
	tx, err := db.BeginTx(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var v string
	if err := tx.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDB_Reopen checks that a file database keeps its data across close
// and reopen.
func TestDB_Reopen(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "ward.db")
	db := sqlite.NewDB(dsn)
	if err := db.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	v := &ward.Vendor{Name: "Acme", BAAStatus: ward.BAAPending, ApprovedCountries: []string{"PH"}}
	if err := db.Services().Vendors.CreateVendor(t.Context(), v); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = MustOpenDBDSN(t, dsn)
	got, err := db.Services().Vendors.FindVendorByID(t.Context(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != v.Name || !got.CreatedAt.Equal(v.CreatedAt) || len(got.ApprovedCountries) != 1 {
		t.Fatalf("after reopen: %+v, want %+v", got, v)
	}
}

// TestDB_Memory checks that an in-memory database is one database shared
// by every caller, not one per connection.
func TestDB_Memory(t *testing.T) {
	db := MustOpenDBDSN(t, sqlite.MemoryDSN)
	vendors := db.Services().Vendors
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := &ward.Vendor{Name: ward.NewID("v", time.Now()), BAAStatus: ward.BAAPending}
			if errs[i] = vendors.CreateVendor(t.Context(), v); errs[i] != nil {
				return
			}
			_, errs[i] = vendors.FindVendorByID(t.Context(), v.ID)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
	}
	if _, n, err := vendors.FindVendors(t.Context(), ward.VendorFilter{}); err != nil {
		t.Fatal(err)
	} else if n != len(errs) {
		t.Fatalf("total=%d, want %d", n, len(errs))
	}
}

// TestDB_ForeignKeys checks that the schema itself rejects a dangling
// reference, behind the services' own checks.
func TestDB_ForeignKeys(t *testing.T) {
	db := MustOpenDB(t)
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(t.Context(), `INSERT INTO sites (id, vendor_id, name, country, egress_cidrs, time_zone, created_at, updated_at)
		VALUES ('site_x', 'ven_missing', 'x', 'PH', '[]', 'UTC', '', '')`)
	if err == nil {
		t.Fatal("insert with a dangling vendor_id succeeded, want a foreign key error")
	}
}
