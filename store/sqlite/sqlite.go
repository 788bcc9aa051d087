// Package sqlite implements the ward storage services on SQLite, using the
// pure-Go modernc.org/sqlite driver (no cgo).
//
// # Concurrency
//
// A file database runs in WAL mode with two connection pools: one write
// connection, whose transactions begin IMMEDIATE, and a pool of read-only
// connections. Writers queue for the single write connection inside
// database/sql (honouring their context) instead of racing for SQLite's
// write lock, so concurrent writes never fail with SQLITE_BUSY; busy_timeout
// still covers other processes, such as the ward CLI, writing the same file.
// Readers never block the writer, nor it them.
//
// # Times
//
// Times are stored as fixed-width UTC text with microseconds
// ("2006-01-02T15:04:05.000000Z"), which sorts in time order and matches
// PostgreSQL's precision, so both drivers round-trip the same values. Every
// time a service returns is in UTC and truncated to microseconds.
//
// # Change feed
//
// Triggers on the watched tables record each change in the same
// transaction; Tx.Commit hands them to the [ChangeFeed]'s subscribers
// before the writing call returns (see [Tx.Commit]).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migration/*.sql
var migrationFS embed.FS

// MemoryDSN is the DSN of a private in-memory database.
const MemoryDSN = ":memory:"

// mmapSize is how much of a database file each read connection maps.
const mmapSize = 1 << 30

// busyTimeout is how long a connection waits for a lock held by another
// connection (usually another process) before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// DB is a SQLite database holding ward's data.
type DB struct {
	// db is the write pool: one connection, IMMEDIATE transactions. For an
	// in-memory database it is also the read pool.
	db *sql.DB
	// rdb is the read pool: query-only connections.
	rdb *sql.DB

	// DSN is a file path or MemoryDSN.
	DSN string

	// Now returns the current time. Tests replace it to control the time
	// stamped on rows.
	Now func() time.Time

	applied []string // migrations the last Open applied

	changes ChangeFeed
}

// NewDB returns a DB for dsn, a file path or MemoryDSN. Call Open before use.
func NewDB(dsn string) *DB {
	return &DB{DSN: dsn, Now: time.Now}
}

// Open opens the database, creating the file and its directory if needed,
// and applies pending migrations.
func (db *DB) Open(ctx context.Context) (err error) {
	if db.DSN == "" {
		return errors.New("sqlite: dsn required")
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	if db.DSN == MemoryDSN {
		err = db.openMemory(ctx)
	} else {
		err = db.openFile(ctx)
	}
	if err != nil {
		return err
	}
	if db.applied, err = db.Migrate(ctx); err != nil {
		return err
	}
	return nil
}

// Applied returns the names of the migrations that Open applied.
func (db *DB) Applied() []string { return db.applied }

// connParams are the pragmas every connection gets.
//
// foreign_keys: for historical reasons SQLite does not check foreign keys
// unless asked, per connection.
//
// synchronous=FULL: a committed revocation, offboarding or grant must
// survive a power cut, not only a crash. NORMAL would be faster in WAL mode
// but can lose the last transactions on power loss.
//
// temp_store=MEMORY: statement journals of large multi-row inserts (the
// ledger's group commits) go to memory instead of temporary files; about
// 1.3x more ledger appends per second. Durability is unaffected: temporary
// storage never holds committed data.
func connParams() url.Values {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "temp_store(2)")
	return q
}

// openMemory opens an in-memory database on a single connection. Every
// connection to ":memory:" gets its own empty database, and the shared-cache
// alternative reports table-lock conflicts as SQLITE_LOCKED, which
// busy_timeout does not retry; WAL is not available in memory either. One
// connection that is never recycled is the simple, correct choice, and the
// pool serialises its users.
func (db *DB) openMemory(ctx context.Context) error {
	q := connParams()
	q.Set("_txlock", "immediate")
	d, err := sql.Open("sqlite", MemoryDSN+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	d.SetMaxOpenConns(1)
	d.SetMaxIdleConns(1)
	d.SetConnMaxLifetime(0)
	d.SetConnMaxIdleTime(0)
	db.db, db.rdb = d, d
	return d.PingContext(ctx)
}

func (db *DB) openFile(ctx context.Context) error {
	p, err := filepath.Abs(db.DSN)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("open: %w", err)
	}
	// A file: URI, so that a path may contain '?' or '#'.
	uri := "file:" + (&url.URL{Path: filepath.ToSlash(p)}).EscapedPath()

	q := connParams()
	q.Set("_txlock", "immediate")
	if db.db, err = sql.Open("sqlite", uri+"?"+q.Encode()); err != nil {
		return fmt.Errorf("open: %w", err)
	}
	db.db.SetMaxOpenConns(1)
	db.db.SetMaxIdleConns(1)
	db.db.SetConnMaxLifetime(0)

	// WAL lets readers run while the writer commits. The mode is stored in
	// the file, so setting it once is enough; check that it took, since
	// some filesystems cannot support it.
	var mode string
	if err := db.db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return fmt.Errorf("enable wal: %w", err)
	} else if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("enable wal: journal_mode is %q", mode)
	}

	// Readers map the file rather than read(2) it page by page, which
	// makes reading the whole audit ledger (verification) about 1.4 times
	// as fast. Writes still go through write(2). The mapping is address
	// space, not memory; past mmapSize SQLite reads as usual.
	q = connParams()
	q.Add("_pragma", "query_only(1)")
	q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", mmapSize))
	if db.rdb, err = sql.Open("sqlite", uri+"?"+q.Encode()); err != nil {
		return fmt.Errorf("open: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.rdb.SetMaxOpenConns(n)
	db.rdb.SetMaxIdleConns(n)
	return db.Ping(ctx)
}

// Close closes the database. It is safe to call on a DB that failed to open.
func (db *DB) Close() error {
	var errs []error
	if db.rdb != nil && db.rdb != db.db {
		errs = append(errs, db.rdb.Close())
	}
	if db.db != nil {
		errs = append(errs, db.db.Close())
	}
	db.db, db.rdb = nil, nil
	return errors.Join(errs...)
}

// Ping checks that the database answers on both pools.
func (db *DB) Ping(ctx context.Context) error {
	if db.db == nil {
		return errors.New("sqlite: database not open")
	}
	if err := db.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if err := db.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Migrate applies the embedded migrations that have not been applied, in
// lexical order, each in its own transaction, and returns their names. It
// is idempotent; Open calls it.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	if db.db == nil {
		return nil, errors.New("sqlite: database not open")
	}
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		name       TEXT PRIMARY KEY,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return nil, fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migration/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		ok, err := db.migrateFile(ctx, name)
		if err != nil {
			return applied, fmt.Errorf("migrate %s: %w", name, err)
		} else if ok {
			applied = append(applied, path.Base(name))
		}
	}
	return applied, nil
}

// migrateFile applies one migration unless it is recorded as applied. The
// check and the apply share an IMMEDIATE transaction, so two processes
// migrating at once apply each file once.
func (db *DB) migrateFile(ctx context.Context, name string) (bool, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()

	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE name = ?`, path.Base(name)).Scan(&n); err != nil {
		return false, err
	} else if n > 0 {
		return false, nil
	}
	buf, err := fs.ReadFile(migrationFS, name)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, string(buf)); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (name, applied_at) VALUES (?, ?)`,
		path.Base(name), formatTime(db.Now())); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// Version returns the name of the latest applied migration, or "" if none.
func (db *DB) Version(ctx context.Context) (string, error) {
	if db.db == nil {
		return "", errors.New("sqlite: database not open")
	}
	var name string
	err := db.rdb.QueryRowContext(ctx, `SELECT name FROM migrations ORDER BY name DESC LIMIT 1`).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("version: %w", err)
	}
	return name, nil
}

// Services returns every ward service backed by db.
func (db *DB) Services() ward.Services {
	return ward.Services{
		Organizations: NewOrganizationService(db),
		Vendors:       NewVendorService(db),
		Sites:         NewSiteService(db),
		Teams:         NewTeamService(db),
		Workers:       NewWorkerService(db),
		Schedules:     NewScheduleService(db),
		Queues:        NewQueueService(db),
		Tasks:         NewTaskService(db),
		Grants:        NewGrantService(db),
		Sessions:      NewSessionService(db),
		Alerts:        NewMonitorService(db),
		Submissions:   NewSubmissionService(db),
		Credentials:   NewCredentialService(db),
		LoginFailures: NewLoginFailureService(db),
		Devices:       NewDeviceService(db),
		APITokens:     NewAPITokenService(db),
		Onboarding:    NewOnboardingService(db),
		Changes:       db.Changes(),
	}
}

// Changes returns the feed of changes committed through db.
func (db *DB) Changes() *ChangeFeed { return &db.changes }

// BeginTx starts a transaction. A read-only transaction (opts.ReadOnly)
// runs on the read pool; any other takes the write connection and SQLite's
// write lock at once. The Tx reads the clock once, so one operation stamps
// one time.
func (db *DB) BeginTx(ctx context.Context, opts *sql.TxOptions) (*Tx, error) {
	if db.db == nil {
		return nil, errors.New("sqlite: database not open")
	}
	pool := db.db
	readOnly := opts != nil && opts.ReadOnly
	if readOnly {
		pool = db.rdb
	}
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &Tx{Tx: tx, db: db, now: canon.Time(db.Now()), readOnly: readOnly}, nil
}

// Tx is a transaction with the time of the operation it serves.
type Tx struct {
	*sql.Tx
	db       *DB
	now      time.Time
	readOnly bool // no writes, so Commit has no changes to deliver
}

// readOnly are the options of the transactions of Find methods.
var readOnly = &sql.TxOptions{ReadOnly: true}

// timeFormat is the stored form of times: fixed width, so text order is
// time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// formatTime returns the stored form of t.
func formatTime(t time.Time) string { return canon.Time(t).Format(timeFormat) }

// formatTimePtr returns the stored form of an optional time: NULL when nil.
func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// nullString returns NULL for "" (an absent optional reference), else s.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// uniqueErrors names the field and message for each UNIQUE constraint, by
// the columns SQLite reports.
var uniqueErrors = map[string]struct{ field, message string }{
	"organizations.singleton":             {"", "The organization exists."},
	"vendors.name":                        {"name", "A vendor with this name exists."},
	"sites.vendor_id, sites.name":         {"name", "The vendor has a site with this name."},
	"teams.vendor_id, teams.name":         {"name", "The vendor has a team with this name."},
	"workers.username":                    {"username", "This username is taken; usernames are never reused."},
	"workers.external_id":                 {"external_id", "Another worker has this external ID."},
	"schedules.name":                      {"name", "A schedule with this name exists."},
	"queues.name":                         {"name", "A queue with this name exists."},
	"tasks.external_id":                   {"external_id", "Another task has this external ID."},
	"sessions.token_hash":                 {"token_hash", "A session with this token exists."},
	"devices.worker_id, devices.identity": {"identity", "The worker has this device enrolled."},
	"api_tokens.token_hash":               {"token_hash", "A token with this hash exists."},
	"webauthn_credentials.id":             {"id", "This security key is registered already."},
}

// mapError turns a UNIQUE or primary key violation into ECONFLICT. Other
// errors are returned as they are.
func mapError(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		msg := se.Error()
		if i := strings.LastIndex(msg, "constraint failed: "); i >= 0 {
			cols := msg[i+len("constraint failed: "):]
			if j := strings.Index(cols, " ("); j >= 0 {
				cols = cols[:j]
			}
			if e, ok := uniqueErrors[cols]; ok {
				return &ward.Error{Code: ward.ECONFLICT, Field: e.field, Message: e.message}
			}
		}
		return ward.Errorf(ward.ECONFLICT, "The value conflicts with an existing one.")
	}
	return err
}

// exec runs a statement that changes rows, mapping constraint errors.
func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, mapError(err)
	}
	return res, nil
}

// exists reports whether table has a row with id. table is a constant.
func (tx *Tx) exists(ctx context.Context, table, id string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = ?`, id).Scan(&n)
	return n > 0, err
}

// checkRef returns EINVALID naming field when id is set and table has no
// row with that ID. what names the entity in the message.
func (tx *Tx) checkRef(ctx context.Context, field, table, what, id string) error {
	if id == "" {
		return nil
	}
	if ok, err := tx.exists(ctx, table, id); err != nil {
		return err
	} else if !ok {
		return ward.FieldErrorf(field, "%s %s does not exist.", what, id)
	}
	return nil
}
