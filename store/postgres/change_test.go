package postgres_test

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/postgres"
)

// deadline bounds waits for changes from another connection. It is not a
// timing assertion: a healthy run takes milliseconds.
const deadline = 30 * time.Second

// changes subscribes to db's feed and returns the channel it delivers to.
func changes(t *testing.T, db *postgres.DB) <-chan ward.Change {
	t.Helper()
	c := make(chan ward.Change, 1024)
	t.Cleanup(db.Changes().Subscribe(func(ch ward.Change) { c <- ch }))
	return c
}

// waitFor receives from c until want arrives, failing after deadline.
func waitFor(t *testing.T, c <-chan ward.Change, want ward.Change) {
	t.Helper()
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	for {
		select {
		case got := <-c:
			if got == want {
				return
			}
		case <-timer.C:
			t.Fatalf("no change %+v within %v", want, deadline)
		}
	}
}

// mustSession creates a worker and a session through s.
func mustSession(t *testing.T, s ward.Services, name string) *ward.Session {
	t.Helper()
	w := &ward.Worker{Username: name, GivenName: "A", FamilyName: "B", Role: ward.RoleAdmin}
	if err := s.Workers.CreateWorker(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(name))
	sess := &ward.Session{WorkerID: w.ID, TokenHash: h[:], ExpiresAt: time.Now().Add(time.Hour)}
	if err := s.Sessions.CreateSession(t.Context(), sess); err != nil {
		t.Fatal(err)
	}
	return sess
}

// TestChanges_OtherReplica checks that a change committed by one replica
// reaches the subscribers of another sharing the schema, and not those of a
// replica on another schema.
func TestChanges_OtherReplica(t *testing.T) {
	skipWithoutDSN(t)
	t.Parallel()
	schemaDSN := MustCreateSchema(t)
	a, b := MustOpenSchema(t, schemaDSN), MustOpenSchema(t, schemaDSN)
	elsewhere := MustOpenDB(t)
	fromB, fromElsewhere := changes(t, b), changes(t, elsewhere)

	sess := mustSession(t, a.Services(), "joy")
	if _, err := a.Services().Sessions.RevokeSession(t.Context(), sess.ID, "offboarded"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, fromB, ward.Change{Table: "sessions", ID: sess.ID})

	// The other schema heard nothing. Its own change, made now, must be
	// the first thing its subscriber sees.
	mustSession(t, elsewhere.Services(), "other")
	select {
	case got := <-fromElsewhere:
		if got.Table != "workers" {
			t.Fatalf("other schema's first change=%+v, want its own worker", got)
		}
	default:
		t.Fatal("other schema's own change was not delivered before CreateWorker returned")
	}
}

// TestChanges_Reconnect checks that when the listener's connection is
// lost, the feed reconnects, asks subscribers to reload everything, and
// delivers later changes again.
func TestChanges_Reconnect(t *testing.T) {
	skipWithoutDSN(t)
	t.Parallel()
	db := MustOpenDB(t)
	c := changes(t, db)
	pid := postgres.ListenerPID(db)
	if pid == 0 {
		t.Fatal("ListenerPID=0")
	}
	if got := MustQueryStrings(t, db, fmt.Sprintf(`SELECT pg_terminate_backend(%d)::text`, pid)); len(got) != 1 || got[0] != "true" {
		t.Fatalf("pg_terminate_backend(%d)=%q, want true", pid, got)
	}
	waitFor(t, c, ward.Change{Table: ward.ChangeAll})
	if got := postgres.ListenerPID(db); got == pid {
		t.Fatalf("ListenerPID=%d after reconnect, want a new backend", got)
	}

	// Same-process changes are again delivered before the call returns.
	sess := mustSession(t, db.Services(), "after")
	drained := map[ward.Change]bool{}
	for len(c) > 0 {
		drained[<-c] = true
	}
	if want := (ward.Change{Table: "sessions", ID: sess.ID}); !drained[want] {
		t.Fatalf("changes=%v, want %+v delivered before CreateSession returned", drained, want)
	}
}

// TestChanges_Close checks that Close stops the listener (it waits for the
// listener's goroutine) and may be called twice.
func TestChanges_Close(t *testing.T) {
	skipWithoutDSN(t)
	t.Parallel()
	db := postgres.NewDB(MustCreateSchema(t))
	if err := db.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := changes(t, db)
	mustSession(t, db.Services(), "before-close")
	if len(c) == 0 {
		t.Fatal("no change delivered before Close")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
