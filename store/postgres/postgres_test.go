package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/postgres"
	"github.com/wardhq/ward/store/storetest"
)

var dsn = flag.String("postgres-dsn", os.Getenv("WARD_TEST_POSTGRES"), "PostgreSQL DSN for tests")

// testPoolSize bounds each test DB's pool. Tests run in parallel (one per
// CPU by default), each with its own pool, and the server's
// max_connections (often 100) must cover them all.
const testPoolSize = 2

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if *dsn != "" {
		vacuumCatalogs()
	}
	os.Exit(code)
}

// vacuumCatalogs vacuums the system catalogs that creating and dropping a
// schema per test fills with dead rows (over a thousand per test). Where
// autovacuum is off, as on our CI's server, each run would otherwise slow
// the next: the suite went from 13 s to 53 s to 100 s over three runs.
// Failure, e.g. for lack of privileges, only costs speed.
func vacuumCatalogs() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, *dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vacuum catalogs:", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `VACUUM pg_catalog.pg_class, pg_catalog.pg_attribute, pg_catalog.pg_attrdef,
		pg_catalog.pg_type, pg_catalog.pg_depend, pg_catalog.pg_index, pg_catalog.pg_constraint,
		pg_catalog.pg_trigger, pg_catalog.pg_sequence, pg_catalog.pg_namespace, pg_catalog.pg_proc`); err != nil {
		fmt.Fprintln(os.Stderr, "vacuum catalogs:", err)
	}
}

func TestConformance(t *testing.T) {
	skipWithoutDSN(t)
	storetest.Run(t, func(tb testing.TB) storetest.Opened {
		db := MustOpenDB(tb)
		return storetest.Opened{
			Services: db.Services(),
			Ledger:   db.Ledger(),
			SetNow:   func(now time.Time) { db.Now = func() time.Time { return now } },
			Exec: func(ctx context.Context, rollback bool, stmts ...string) error {
				return postgres.ExecWrite(db, ctx, rollback, stmts...)
			},
		}
	})
}

func TestMigrate(t *testing.T) {
	skipWithoutDSN(t)

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		// Two replicas start at once against an empty schema.
		schemaDSN := MustCreateSchema(t)
		dbs := []*postgres.DB{postgres.NewDB(schemaDSN), postgres.NewDB(schemaDSN)}
		for _, db := range dbs {
			if err := postgres.Connect(db, t.Context()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
		}
		applied := make([][]string, len(dbs))
		errs := make([]error, len(dbs))
		var wg sync.WaitGroup
		for i, db := range dbs {
			wg.Go(func() { applied[i], errs[i] = db.Migrate(t.Context()) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("Migrate %d: %v", i, err)
			}
		}
		// The lock is held for a whole run, so one replica applies
		// everything and the other finds nothing to do.
		all := slices.Concat(applied...)
		if len(all) == 0 || all[0] != "0001_init.sql" {
			t.Fatalf("applied=%q, want 0001_init.sql first", applied)
		}
		if len(applied[0]) != 0 && len(applied[1]) != 0 {
			t.Fatalf("applied=%q, want one replica to apply all", applied)
		}
		if got := MustQueryStrings(t, dbs[0], `SELECT name FROM migrations ORDER BY name`); !slices.Equal(got, all) {
			t.Fatalf("migrations table=%q, want %q", got, all)
		}
		if !slices.IsSorted(all) {
			t.Fatalf("applied=%q, want lexical order", all)
		}
	})

	t.Run("ReopenAppliesNothing", func(t *testing.T) {
		t.Parallel()
		schemaDSN := MustCreateSchema(t)
		db := postgres.NewDB(schemaDSN)
		if err := db.Open(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := db.Applied(); len(got) == 0 || got[0] != "0001_init.sql" {
			t.Fatalf("first Open: Applied()=%q, want 0001_init.sql first", got)
		}
		db.Close()

		db = postgres.NewDB(schemaDSN)
		if err := db.Open(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if got := db.Applied(); len(got) != 0 {
			t.Fatalf("second Open: Applied()=%q, want none", got)
		}
		applied, err := db.Migrate(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("applied=%q, want none", applied)
		}
	})

	t.Run("ErrUnreachable", func(t *testing.T) {
		t.Parallel()
		db := postgres.NewDB("postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
		defer db.Close()
		if err := db.Open(t.Context()); err == nil {
			t.Fatal("Open succeeded against a closed port")
		}
	})
}

func TestDB_Version(t *testing.T) {
	skipWithoutDSN(t)
	t.Parallel()
	schemaDSN := MustCreateSchema(t)
	db := postgres.NewDB(schemaDSN)
	if err := postgres.Connect(db, t.Context()); err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	t.Run("BeforeMigrate", func(t *testing.T) {
		v, err := db.Version(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if v != "" {
			t.Fatalf("Version=%q, want empty", v)
		}
	})
	t.Run("Latest", func(t *testing.T) {
		applied, err := db.Migrate(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		v, err := db.Version(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if want := applied[len(applied)-1]; v != want {
			t.Fatalf("Version=%q, want %q", v, want)
		}
	})
	t.Run("Ping", func(t *testing.T) {
		if err := db.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrNotOpen", func(t *testing.T) {
		db := postgres.NewDB(schemaDSN)
		if _, err := db.Version(t.Context()); err == nil {
			t.Fatal("Version on an unopened DB succeeded")
		}
		if err := db.Ping(t.Context()); err == nil {
			t.Fatal("Ping on an unopened DB succeeded")
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDB_Retry checks that an operation aborted by a serialization failure
// or a deadlock runs again, with the same clock reading, and that other
// errors are returned at once.
func TestDB_Retry(t *testing.T) {
	skipWithoutDSN(t)
	t.Parallel()
	db := MustOpenDB(t)
	clock := time.Date(2025, 1, 2, 3, 4, 5, 6789, time.UTC)
	db.Now = func() time.Time {
		clock = clock.Add(time.Second) // a new reading per call
		return clock
	}

	for _, tt := range []struct {
		name      string
		errs      []error // returned by successive attempts; nil after
		wantCalls int
		wantErr   bool
	}{
		{"SerializationFailure", []error{&pgconn.PgError{Code: "40001"}, &pgconn.PgError{Code: "40001"}}, 3, false},
		{"Deadlock", []error{&pgconn.PgError{Code: "40P01"}}, 2, false},
		{"GiveUp", slices.Repeat([]error{&pgconn.PgError{Code: "40001"}}, postgres.MaxAttempts), postgres.MaxAttempts, true},
		{"OtherError", []error{errors.New("boom")}, 1, true},
		{"WardError", []error{ward.Errorf(ward.ENOTFOUND, "Gone.")}, 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			var nows []time.Time
			err := postgres.Update(db, t.Context(), func(now time.Time) error {
				calls++
				nows = append(nows, now)
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("err=%v, want error %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Fatalf("calls=%d, want %d", calls, tt.wantCalls)
			}
			for _, now := range nows {
				if !now.Equal(nows[0]) {
					t.Fatalf("now=%v, want one reading per operation", nows)
				}
			}
		})
	}
}

// TestReplicas runs two DBs (two ward replicas) against one schema and
// checks that racing writes keep the contracts.
func TestReplicas(t *testing.T) {
	skipWithoutDSN(t)
	t.Parallel()
	schemaDSN := MustCreateSchema(t)
	replicas := []ward.Services{MustOpenSchema(t, schemaDSN).Services(), MustOpenSchema(t, schemaDSN).Services()}
	ctx := t.Context()
	const n = 8 // concurrent calls per race, spread over the replicas

	// race calls fn n times at once, alternating replicas, and returns the
	// errors.
	race := func(fn func(i int, s ward.Services) error) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = fn(i, replicas[i%len(replicas)]) })
		}
		wg.Wait()
		return errs
	}
	// count returns how many errs have each code ("" for nil).
	count := func(errs []error) map[string]int {
		m := make(map[string]int)
		for _, err := range errs {
			m[ward.ErrorCode(err)]++
		}
		return m
	}

	t.Run("UniqueName", func(t *testing.T) {
		errs := race(func(i int, s ward.Services) error {
			return s.Vendors.CreateVendor(ctx, &ward.Vendor{Name: "Same Name", BAAStatus: ward.BAAPending})
		})
		if got := count(errs); got[""] != 1 || got[ward.ECONFLICT] != n-1 {
			t.Fatalf("codes=%v, want 1 success and %d conflicts (errs=%v)", got, n-1, errs)
		}
	})

	t.Run("Organization", func(t *testing.T) {
		errs := race(func(i int, s ward.Services) error {
			return s.Organizations.SetOrganization(ctx, &ward.Organization{Name: "Mercy", TimeZone: "UTC"})
		})
		if got := count(errs); got[""] != n {
			t.Fatalf("codes=%v, want %d successes (errs=%v)", got, n, errs)
		}
		if _, err := replicas[0].Organizations.FindOrganization(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("AssignOnce", func(t *testing.T) {
		s := replicas[0]
		q := &ward.Queue{Name: "Coding", Function: ward.FunctionCoding}
		if err := s.Queues.CreateQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
		task := &ward.Task{QueueID: q.ID, Type: ward.FunctionCoding, PatientRef: "Patient/1", Complexity: 1}
		if err := s.Tasks.CreateTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		admin := &ward.Worker{Username: "admin", GivenName: "A", FamilyName: "B", Role: ward.RoleAdmin}
		if err := s.Workers.CreateWorker(ctx, admin); err != nil {
			t.Fatal(err)
		}
		// Every replica tries to take the open task; the row lock lets
		// exactly one move it.
		errs := race(func(i int, s ward.Services) error {
			_, err := s.Tasks.TransitionTask(ctx, task.ID, ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: admin.ID})
			return err
		})
		if got := count(errs); got[""] != 1 || got[ward.EUNPROCESSABLE] != n-1 {
			t.Fatalf("codes=%v, want 1 success and %d unprocessable (errs=%v)", got, n-1, errs)
		}
		got, err := s.Tasks.FindTaskByID(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Transitions) != 2 {
			t.Fatalf("len(Transitions)=%d, want 2", len(got.Transitions))
		}
	})

	t.Run("RevokeOnce", func(t *testing.T) {
		s := replicas[0]
		ws, _, err := s.Workers.FindWorkers(ctx, ward.WorkerFilter{})
		if err != nil || len(ws) == 0 {
			t.Fatalf("FindWorkers: %v, %d workers", err, len(ws))
		}
		ts, _, err := s.Tasks.FindTasks(ctx, ward.TaskFilter{})
		if err != nil || len(ts) == 0 {
			t.Fatalf("FindTasks: %v, %d tasks", err, len(ts))
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		g := &ward.Grant{
			WorkerID: ws[0].ID, TaskID: ts[0].ID, PatientRef: ts[0].PatientRef,
			ResourceTypes: []string{"Patient"}, Interactions: []string{ward.InteractionRead},
			NotBefore: now, ExpiresAt: now.Add(time.Hour),
		}
		if err := s.Grants.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		reasons := make([]string, n)
		errs := race(func(i int, s ward.Services) error {
			got, err := s.Grants.RevokeGrant(ctx, g.ID, "reason "+string(rune('a'+i)))
			if err == nil {
				reasons[i] = got.RevokeReason
			}
			return err
		})
		if got := count(errs); got[""] != n {
			t.Fatalf("codes=%v, want %d successes (errs=%v)", got, n, errs)
		}
		// Every caller sees the one revocation that won.
		for _, r := range reasons {
			if r != reasons[0] {
				t.Fatalf("reasons=%q, want all equal", reasons)
			}
		}
	})
}

func skipWithoutDSN(t *testing.T) {
	t.Helper()
	if *dsn == "" {
		t.Skip("set WARD_TEST_POSTGRES (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL store tests")
	}
}

// MustOpenDB returns an open DB on a fresh schema that is dropped when tb
// ends.
func MustOpenDB(tb testing.TB) *postgres.DB {
	tb.Helper()
	return MustOpenSchema(tb, MustCreateSchema(tb))
}

// MustOpenSchema returns an open DB for schemaDSN, closed when tb ends.
func MustOpenSchema(tb testing.TB, schemaDSN string) *postgres.DB {
	tb.Helper()
	db := postgres.NewDB(schemaDSN)
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustCreateSchema creates a schema with a random name, drops it when tb
// ends, and returns a DSN whose search_path is that schema and whose pool
// is small.
func MustCreateSchema(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "wardtest_" + hex.EncodeToString(b)
	exec(tb, *dsn, `CREATE SCHEMA `+schema)
	// Registered before the DB's own cleanup, so it runs after the DB is
	// closed.
	tb.Cleanup(func() { exec(tb, *dsn, `DROP SCHEMA `+schema+` CASCADE`) })
	return withParams(tb, *dsn, map[string]string{
		"search_path":    schema,
		"pool_max_conns": strconv.Itoa(testPoolSize),
	})
}

// withParams adds connection parameters to a URL or key=value DSN.
func withParams(tb testing.TB, s string, params map[string]string) string {
	tb.Helper()
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			tb.Fatalf("parse DSN: %v", err)
		}
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for k, v := range params {
		s += " " + k + "=" + v
	}
	return s
}

// exec runs one statement on its own connection.
func exec(tb testing.TB, dsn, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// MustQueryStrings returns the first column of sql's rows, queried
// through db.
func MustQueryStrings(tb testing.TB, db *postgres.DB, sql string) []string {
	tb.Helper()
	s, err := postgres.QueryStrings(db, tb.Context(), sql)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
