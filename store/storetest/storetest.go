// Package storetest checks that a store driver implements the contracts of
// the ward service interfaces. Driver packages call [Run] from a test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(tb testing.TB) storetest.Opened {
//			db := MustOpenDB(tb)
//			return storetest.Opened{Services: db.Services(), Ledger: db.Ledger(), SetNow: func(t time.Time) { db.Now = func() time.Time { return t } }}
//		})
//	}
//
// # Contracts the suite pins down
//
// Besides the doc comments on the ward interfaces, both drivers MUST agree on
// the following, so that callers see the same values whichever store runs:
//
//   - Times are returned in UTC, truncated to microseconds (PostgreSQL's
//     precision). The clock is read once per operation, so one call stamps
//     one instant everywhere (CreatedAt, UpdatedAt, transitions, IDs).
//   - Create methods fill ID ("prefix_" + ULID from [ward.NewID]) and the
//     timestamps, and leave the argument equal to what a later Find returns:
//     nil list fields become empty (non-nil) slices and given times become
//     UTC microseconds.
//   - List fields are never nil on read, so JSON shows [] rather than null.
//   - Lists are ordered by ID, except alerts (newest first, then by ID
//     descending). The total ignores paging. A page is checked with
//     [ward.Page.Normalize], so a bad offset or limit is EINVALID naming
//     "offset" or "limit".
//   - An empty optional reference (vendor_id, team_id, ...) or external_id
//     is stored as "absent"; it never conflicts and never fails a reference
//     check. A set reference that names nothing is EINVALID naming the field.
//   - CreateTask ignores Status and AssigneeID: a task starts open and its
//     creation is recorded as the first transition (From ""), as for workers.
//   - CreateAlert ignores Status: an alert starts open.
//   - A submission's Status must be checked, in_review, accepted or
//     corrected (EINVALID naming "status"), on create and on
//     SetSubmissionStatus.
//   - SetAlertStatus accepts only acknowledged and resolved (EINVALID naming
//     "status") and replaces the note.
//   - CreateSession sets LastSeenAt to the creation time.
//   - A failed write changes nothing, including UpdatedAt.
//   - A unique violation is ECONFLICT with ward.ErrorField naming the
//     field: "name", "username", "external_id" or "token_hash".
//   - Update and Transition methods return the entity as Find*ByID would,
//     Transitions included.
//   - Concurrent writers that collide on a unique value get ECONFLICT, never
//     EINTERNAL.
package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardhq/ward"
)

// Opened is a freshly created, empty, migrated store.
type Opened struct {
	Services ward.Services
	// SetNow sets the store's clock (the time stamped on created/updated
	// rows, transitions, revocations).
	SetNow func(time.Time)
	// Ledger is the store's audit ledger, on the same database.
	Ledger ward.LedgerStore
	// Exec runs stmts (SQL both drivers accept, without arguments) in one
	// transaction of the driver's write path, then commits it, or rolls it
	// back when rollback is set. The change feed tests use it for what no
	// service method does: deleting rows and rolling back a transaction
	// that changed some. They are skipped when Exec is nil.
	Exec func(ctx context.Context, rollback bool, stmts ...string) error
}

// test is one named conformance test. Names read Entity/Operation/Outcome.
type test struct {
	name string
	fn   func(t *testing.T, e *env)
}

// Run runs every contract test against a fresh store returned by open. Each
// test calls open once and runs in parallel with the others.
func Run(t *testing.T, open func(tb testing.TB) Opened) {
	groups := [][]test{
		organizationTests,
		vendorTests,
		siteTests,
		teamTests,
		workerTests,
		scheduleTests,
		queueTests,
		taskTests,
		grantTests,
		sessionTests,
		alertTests,
		submissionTests,
		listTests(),
		ledgerTests,
		credentialTests,
		loginFailureTests,
		deviceTests,
		apiTokenTests,
		onboardingTests,
		changeTests,
	}
	seen := make(map[string]bool)
	for _, g := range groups {
		for _, tt := range g {
			if seen[tt.name] {
				t.Fatalf("storetest: duplicate test name %q", tt.name)
			}
			seen[tt.name] = true
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				tt.fn(t, newEnv(t, open(t)))
			})
		}
	}
}

// t0 is the clock every test starts at. It has nanoseconds so that tests
// see the store truncate to microseconds.
var t0 = time.Date(2025, time.March, 4, 5, 6, 7, 123456789, time.UTC)

// us returns t as a store returns it: UTC, truncated to microseconds.
func us(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// env is one test's store, clock and context.
type env struct {
	t *testing.T
	ward.Services
	ledger ward.LedgerStore
	exec   func(ctx context.Context, rollback bool, stmts ...string) error
	setNow func(time.Time)
	now    time.Time
	// ctx carries an admin principal whose subject is actor.
	ctx context.Context

	mu  sync.Mutex
	seq int
}

// actor is the principal subject in env.ctx.
const actor = "wkr_admin_actor"

func newEnv(t *testing.T, o Opened) *env {
	t.Helper()
	if o.SetNow == nil {
		t.Fatal("storetest: Opened.SetNow is nil")
	}
	e := &env{t: t, Services: o.Services, ledger: o.Ledger, exec: o.Exec, setNow: o.SetNow}
	e.ctx = ward.NewContextWithPrincipal(t.Context(), &ward.Principal{Subject: actor, Role: ward.RoleAdmin})
	e.setClock(t0)
	return e
}

// setClock sets the store's clock to tm.
func (e *env) setClock(tm time.Time) {
	e.now = tm
	e.setNow(tm)
}

// tick moves the clock forward by d plus a few nanoseconds (which the
// store must drop) and returns the new time as the store records it.
func (e *env) tick(d time.Duration) time.Time {
	e.setClock(e.now.Add(d).Truncate(time.Microsecond).Add(789))
	return us(e.now)
}

// uniq returns prefix followed by a number unique in this env.
func (e *env) uniq(prefix string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	return fmt.Sprintf("%s %d", prefix, e.seq)
}

// uniqLower is uniq for identifiers that must be lower case without spaces.
func (e *env) uniqLower(prefix string) string {
	return strings.ReplaceAll(strings.ToLower(e.uniq(prefix)), " ", "")
}

// Helpers. They fail with got before want.

func diff(t *testing.T, what string, got, want any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(got, want, opts...); d != "" {
		t.Fatalf("%s mismatch (-got +want):\n%s", what, d)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := ward.ErrorCode(err); got != code {
		t.Fatalf("ErrorCode=%q, want %q (err=%v)", got, code, err)
	}
}

// wantConflict checks that err is ECONFLICT naming field.
func wantConflict(t *testing.T, err error, field string) {
	t.Helper()
	if got := ward.ErrorCode(err); got != ward.ECONFLICT {
		t.Fatalf("ErrorCode=%q, want %q (err=%v)", got, ward.ECONFLICT, err)
	}
	if got := ward.ErrorField(err); got != field {
		t.Fatalf("ErrorField=%q, want %q (err=%v)", got, field, err)
	}
}

// wantField checks that err is EINVALID naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if got := ward.ErrorCode(err); got != ward.EINVALID {
		t.Fatalf("ErrorCode=%q, want %q (err=%v)", got, ward.EINVALID, err)
	}
	if got := ward.ErrorField(err); got != field {
		t.Fatalf("ErrorField=%q, want %q (err=%v)", got, field, err)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantID checks that id has the entity's prefix followed by a 26-character
// ULID.
func wantID(t *testing.T, id, prefix string) {
	t.Helper()
	rest, found := strings.CutPrefix(id, prefix+"_")
	if !found || len(rest) != 26 {
		t.Fatalf("ID=%q, want %s_ followed by 26 characters", id, prefix)
	}
}

// wantTime checks that got is want, in UTC.
func wantTime(t *testing.T, name string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s=%v, want %v", name, got, want)
	}
	if got.Location() != time.UTC {
		t.Fatalf("%s location=%v, want UTC", name, got.Location())
	}
}

// wantIDs checks that got lists exactly want, in that order.
func wantIDs(t *testing.T, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !cmp.Equal(got, want) {
		t.Fatalf("IDs=%q, want %q", got, want)
	}
}

// sorted returns ids sorted, as lists ordered by ID return them.
func sorted(ids ...string) []string {
	s := append([]string(nil), ids...)
	sort.Strings(s)
	return s
}

// ids returns the IDs of the items.
func ids[T any](items []*T, id func(*T) string) []string {
	s := make([]string, 0, len(items))
	for _, it := range items {
		s = append(s, id(it))
	}
	return s
}

func ptr[T any](v T) *T { return &v }
