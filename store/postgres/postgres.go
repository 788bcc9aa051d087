// Package postgres implements the ward storage services on PostgreSQL, for
// deployments where several stateless ward replicas share one database.
//
// The driver talks to PostgreSQL through pgx's own pool ([pgxpool]) rather
// than database/sql: pgx scans PostgreSQL's native types (timestamptz,
// date, text[], jsonb, bytea) straight into Go values, reports errors as
// *pgconn.PgError with their SQLSTATE, and lets operators size the pool in
// the DSN (pool_max_conns=N) without another setting in ward.
//
// # Concurrency
//
// Every operation runs in one transaction. Writes use READ COMMITTED and
// lock the rows they read-modify-write (SELECT ... FOR UPDATE), so two
// replicas updating the same row serialize instead of losing an update;
// uniqueness is left to UNIQUE constraints, whose violations become
// ECONFLICT. Lists run in REPEATABLE READ, READ ONLY, so that a page and its
// total come from one snapshot. Serialization failures and deadlocks are
// retried a few times with the same clock reading.
//
// # Change feed
//
// Each DB keeps one connection besides its pool, listening for the
// notifications that triggers on the watched tables send at commit (see
// [ChangeFeed]). A write that changed a watched table returns only once
// that listener has delivered its changes, which costs no extra round trip
// to the database; ledger appends skip the check altogether.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

//go:embed migration/*.sql
var migrationFS embed.FS

// DB is a handle to a PostgreSQL database holding ward's data.
type DB struct {
	pool    *pgxpool.Pool
	dsn     string
	applied []string // the migrations Open applied

	// Now returns the current time. Tests replace it to control time.
	// Defaults to time.Now.
	Now func() time.Time

	changes ChangeFeed
}

// NewDB returns a new DB for the data source name dsn, a libpq key=value
// string or a postgres:// URL. Other parameters pass through: pgxpool's own
// (pool_max_conns, default the larger of 4 and the number of CPUs) size the
// pool, and any run-time parameter, such as search_path=ward to keep ward's
// tables in their own schema, is set on every connection. Call Open before
// use.
func NewDB(dsn string) *DB {
	return &DB{dsn: dsn, Now: time.Now}
}

// Open connects to the database, applies pending migrations and starts
// the change feed's listener connection.
func (db *DB) Open(ctx context.Context) error {
	if err := db.connect(ctx); err != nil {
		return err
	}
	applied, err := db.Migrate(ctx)
	if err == nil {
		err = db.changes.start(ctx, db.pool)
	}
	if err != nil {
		db.pool.Close()
		db.pool = nil
		return err
	}
	db.applied = applied
	return nil
}

// Applied returns the names of the migrations that Open applied: none when
// the schema was up to date, or when another replica migrated it first.
func (db *DB) Applied() []string { return db.applied }

// connect creates the connection pool.
func (db *DB) connect(ctx context.Context) error {
	if db.dsn == "" {
		return errors.New("postgres: dsn required")
	}
	cfg, err := pgxpool.ParseConfig(db.dsn)
	if err != nil {
		return fmt.Errorf("parse dsn: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	db.pool = pool
	return nil
}

// Close stops the change feed's listener and closes the connection pool,
// waiting for connections in use to be returned. It is safe to call on a
// DB that failed to open.
func (db *DB) Close() error {
	db.changes.stop()
	if db.pool != nil {
		db.pool.Close()
		db.pool = nil
	}
	return nil
}

// errNotOpen is returned by DB methods called before Open.
var errNotOpen = errors.New("postgres: database not open")

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if db.pool == nil {
		return errNotOpen
	}
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Version returns the name of the latest applied migration, such as
// "0001_init.sql", or "" if none.
func (db *DB) Version(ctx context.Context) (string, error) {
	if db.pool == nil {
		return "", errNotOpen
	}
	// The migrations table does not exist before the first Migrate.
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return "", fmt.Errorf("version: %w", err)
	} else if !exists {
		return "", nil
	}
	var name *string
	if err := db.pool.QueryRow(ctx, `SELECT max(name) FROM migrations`).Scan(&name); err != nil {
		return "", fmt.Errorf("version: %w", err)
	} else if name == nil {
		return "", nil
	}
	return *name, nil
}

// Services returns the ward services backed by db.
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

// Changes returns the feed of changes committed to the database by any
// replica. It delivers nothing before Open.
func (db *DB) Changes() *ChangeFeed { return &db.changes }

// migrationLockKey is the first half of the advisory lock key that
// serializes migrations; the second half is a hash of the current schema,
// so that replicas sharing a schema wait for each other while separate
// schemas (one per test, say) migrate in parallel.
const migrationLockKey = 0x77617264 // "ward"

// Migrate applies, in lexical order, the embedded migrations that the
// database has not recorded yet, each in its own transaction, and returns
// the names it applied. It holds a PostgreSQL advisory lock throughout, so
// replicas that start together apply each migration once. Calling it again
// applies nothing.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	if db.pool == nil {
		return nil, errNotOpen
	}
	names, err := fs.Glob(migrationFS, "migration/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)

	// A session-level advisory lock belongs to one connection: pin one for
	// the whole run.
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext(COALESCE(current_schema(), '')))`, migrationLockKey); err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	defer func() {
		// Unlock even when ctx is done. If that fails the connection's
		// state is unknown: close it, which also drops the lock.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, `SELECT pg_advisory_unlock($1, hashtext(COALESCE(current_schema(), '')))`, migrationLockKey); uerr != nil {
			conn.Conn().Close(uctx)
		}
	}()

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		name       text PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return nil, fmt.Errorf("create migrations table: %w", err)
	}
	for _, name := range names {
		ok, err := migrate(ctx, conn, name)
		if err != nil {
			return applied, fmt.Errorf("migrate %s: %w", name, err)
		}
		if ok {
			applied = append(applied, strings.TrimPrefix(name, "migration/"))
		}
	}
	return applied, nil
}

// migrate applies the migration name in a transaction unless it is
// recorded, and reports whether it did.
func migrate(ctx context.Context, conn *pgxpool.Conn, name string) (bool, error) {
	key := strings.TrimPrefix(name, "migration/")
	tx, err := conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)

	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM migrations WHERE name = $1`, key).Scan(&n); err != nil {
		return false, err
	} else if n > 0 {
		return false, nil
	}
	buf, err := fs.ReadFile(migrationFS, name)
	if err != nil {
		return false, err
	}
	// With no arguments pgx uses the simple protocol, which runs a file of
	// several statements.
	if _, err := tx.Exec(ctx, string(buf)); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO migrations (name) VALUES ($1)`, key); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

// Tx is one operation's transaction and its clock reading.
type Tx struct {
	pgx.Tx
	now time.Time // db.Now() at the start of the operation, in UTC, to the microsecond
}

var (
	writeTx = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
	readTx  = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
)

// maxAttempts bounds how often an operation is tried when PostgreSQL
// aborts it for a serialization failure or a deadlock.
const maxAttempts = 5

// update runs fn in a read-write transaction and, when it changed a
// watched table, returns once the change feed has delivered the changes.
// view runs fn in a read-only transaction. updateUnwatched is update for
// writes to tables the change feed does not watch (the ledger), which
// commit without the feed's check.
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, writeTx, true, fn)
}

func (db *DB) updateUnwatched(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, writeTx, false, fn)
}

func (db *DB) view(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, readTx, false, fn)
}

// run runs fn in a transaction and commits it, retrying the whole
// transaction when PostgreSQL aborts it for a serialization failure or a
// deadlock. fn must be safe to run more than once: it must not change
// anything but the transaction until it returns nil. When watched, a
// commit that fired a change trigger waits for the change feed (see
// ChangeFeed), after the connection is back in the pool.
func (db *DB) run(ctx context.Context, opts pgx.TxOptions, watched bool, fn func(*Tx) error) error {
	now := db.now()
	for attempt := 1; ; attempt++ {
		w, err := db.attempt(ctx, opts, now, watched, fn)
		if err == nil && w != nil {
			return db.changes.wait(ctx, w)
		}
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		// Back off a little, with jitter, so that the contenders part.
		d := time.Duration(attempt*attempt)*time.Millisecond + rand.N(5*time.Millisecond)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
	}
}

// attempt runs fn in one transaction. When watched and the change feed
// runs, it returns the barrier to wait for if the commit sent one.
func (db *DB) attempt(ctx context.Context, opts pgx.TxOptions, now time.Time, watched bool, fn func(*Tx) error) (*waiter, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// A transaction committed by commitWatched is over although tx does
	// not know it: roll back only one still open (or failed).
	defer func() {
		if conn.Conn().PgConn().TxStatus() != 'I' {
			tx.Rollback(ctx)
		}
	}()
	if err := fn(&Tx{Tx: tx, now: now}); err != nil {
		return nil, mapError(err)
	}
	var w *waiter
	var commitSQL string
	if watched {
		w, commitSQL = db.changes.register()
	}
	if w == nil {
		if err := tx.Commit(ctx); err != nil {
			return nil, mapError(fmt.Errorf("commit: %w", err))
		}
		return nil, nil
	}
	changed, err := commitWatched(ctx, conn.Conn().PgConn(), commitSQL)
	if err != nil || !changed {
		db.changes.forget(w)
		w = nil
	}
	if err != nil {
		return nil, mapError(fmt.Errorf("commit: %w", err))
	}
	return w, nil
}

// now returns db.Now() as stored: in UTC, truncated to PostgreSQL's
// microsecond precision, so that what an operation returns equals what it
// stored.
func (db *DB) now() time.Time {
	if db.Now == nil {
		return canon.Time(time.Now())
	}
	return canon.Time(db.Now())
}

// retryable reports whether err aborted a transaction that may succeed if
// run again.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	}
	return false
}

// constraint describes how a constraint violation reads to a user.
type constraint struct {
	field   string
	message string
}

// constraints maps the names of the schema's UNIQUE and FOREIGN KEY
// constraints to user-facing errors. The services check references and most
// conflicts themselves; these cover races between replicas and anything
// the checks miss.
var constraints = map[string]constraint{
	"organizations_singleton_key":       {"", "The organization already exists."},
	"vendors_name_key":                  {"name", "A vendor with this name already exists."},
	"sites_vendor_id_name_key":          {"name", "The vendor already has a site with this name."},
	"sites_vendor_id_fkey":              {"vendor_id", "The vendor does not exist."},
	"teams_vendor_id_name_key":          {"name", "The vendor already has a team with this name."},
	"teams_vendor_id_fkey":              {"vendor_id", "The vendor does not exist."},
	"teams_site_id_fkey":                {"site_id", "The site does not exist."},
	"schedules_name_key":                {"name", "A schedule with this name already exists."},
	"workers_username_key":              {"username", "The username is taken."},
	"workers_external_id_key":           {"external_id", "Another worker has this external ID."},
	"workers_vendor_id_fkey":            {"vendor_id", "The vendor does not exist."},
	"workers_team_id_fkey":              {"team_id", "The team does not exist."},
	"workers_schedule_id_fkey":          {"schedule_id", "The schedule does not exist."},
	"queues_name_key":                   {"name", "A queue with this name already exists."},
	"tasks_queue_id_fkey":               {"queue_id", "The queue does not exist."},
	"tasks_assignee_id_fkey":            {"assignee_id", "The assignee does not exist."},
	"tasks_external_id_key":             {"external_id", "Another task has this external ID."},
	"grants_worker_id_fkey":             {"worker_id", "The worker does not exist."},
	"grants_task_id_fkey":               {"task_id", "The task does not exist."},
	"sessions_worker_id_fkey":           {"worker_id", "The worker does not exist."},
	"sessions_token_hash_key":           {"token_hash", "A session with this token already exists."},
	"sessions_site_id_fkey":             {"site_id", "The site does not exist."},
	"credentials_worker_id_fkey":        {"worker_id", "The worker does not exist."},
	"webauthn_credentials_pkey":         {"id", "This security key is registered already."},
	"devices_worker_id_fkey":            {"worker_id", "The worker does not exist."},
	"devices_worker_id_identity_key":    {"identity", "The worker has this device enrolled already."},
	"api_tokens_vendor_id_fkey":         {"vendor_id", "The vendor does not exist."},
	"api_tokens_token_hash_key":         {"token_hash", "A token with this hash already exists."},
	"onboarding_records_worker_id_fkey": {"worker_id", "The worker does not exist."},
	"alerts_worker_id_fkey":             {"worker_id", "The worker does not exist."},
	"alerts_vendor_id_fkey":             {"vendor_id", "The vendor does not exist."},
	"submissions_task_id_fkey":          {"task_id", "The task does not exist."},
	"submissions_worker_id_fkey":        {"worker_id", "The worker does not exist."},
}

// mapError turns unique and foreign key violations into ECONFLICT and
// EINVALID errors; other errors pass through unchanged.
func mapError(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	c, known := constraints[pgErr.ConstraintName]
	switch pgErr.Code {
	case "23505": // unique_violation
		if !known {
			c.message = "The record conflicts with an existing one."
		}
		return &ward.Error{Code: ward.ECONFLICT, Field: c.field, Message: c.message}
	case "23503": // foreign_key_violation
		if !known {
			c.message = "The record refers to something that does not exist."
		}
		return &ward.Error{Code: ward.EINVALID, Field: c.field, Message: c.message}
	}
	return err
}

// notFound reports whether err means a query found no row.
func notFound(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// exists reports whether table has a row with the given id.
func (tx *Tx) exists(ctx context.Context, table, id string) (bool, error) {
	var ok bool
	// table is one of ours, never input.
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = $1)`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check %s: %w", table, err)
	}
	return ok, nil
}

// query builds a SELECT's WHERE clause and arguments from a filter.
type query struct {
	where []string
	args  []any
}

// arg adds v to the arguments and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// cond adds a condition; each %s in format is replaced by a placeholder for
// the next of args.
func (q *query) cond(format string, args ...any) {
	ph := make([]any, len(args))
	for i, a := range args {
		ph[i] = q.arg(a)
	}
	q.where = append(q.where, fmt.Sprintf(format, ph...))
}

// eq adds "col = v" when v is set.
func eq[T any](q *query, col string, v *T) {
	if v != nil {
		q.cond(col+" = %s", *v)
	}
}

// eqOptional adds a condition on a column that holds NULL for "": "col =
// v" when v is set, or "col IS NULL" when v is set to "".
func eqOptional(q *query, col string, v *string) {
	switch {
	case v == nil:
	case *v == "":
		q.where = append(q.where, col+" IS NULL")
	default:
		q.cond(col+" = %s", *v)
	}
}

// clause returns the WHERE clause, or "" when there are no conditions.
func (q *query) clause() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}

// find runs a filtered, paged list: it counts the rows matching q, then
// selects cols from table (an alias-free FROM clause) ordered by order, and
// scans each row with scan.
func find[T any](ctx context.Context, tx *Tx, table, cols string, q *query, order string, page ward.Page, scan func(pgx.Row) (*T, error)) ([]*T, int, error) {
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table+q.clause(), q.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count %s: %w", table, err)
	}
	list := make([]*T, 0)
	if total == 0 || page.Offset >= total {
		return list, total, nil
	}
	sql := `SELECT ` + cols + ` FROM ` + table + q.clause() + ` ORDER BY ` + order +
		` LIMIT ` + q.arg(page.Limit) + ` OFFSET ` + q.arg(page.Offset)
	rows, err := tx.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan %s: %w", table, err)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", table, err)
	}
	return list, total, nil
}

// nullString maps "" to NULL, for optional references and optional unique
// keys.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// dateArg maps a ward.Date to a PostgreSQL date argument, NULL when zero.
func dateArg(d ward.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.In(time.UTC)
}

// dateOf maps a scanned nullable date back to a ward.Date.
func dateOf(t *time.Time) ward.Date {
	if t == nil {
		return ward.Date{}
	}
	return ward.DateOf(t.UTC())
}

// forUpdate returns the locking clause for a read that precedes a write.
func forUpdate(lock bool) string {
	if lock {
		return " FOR UPDATE"
	}
	return ""
}

// jsonArg encodes v as JSON text for a jsonb argument. Passing text rather
// than v itself keeps pgx from sending a nil slice as SQL NULL.
func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
