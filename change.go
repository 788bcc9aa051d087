package ward

// Change names one stored record that was created, changed or deleted.
// In-memory indexes (sessions, grants, the worker directory) subscribe to
// changes so that a revocation or a suspension is honoured on the very next
// request, by every replica, without the hot path reading the database.
type Change struct {
	// Table is the store's name for the kind of record: "sessions",
	// "grants", "workers", "vendors", "sites", "teams", "schedules",
	// "tasks", "devices", "api_tokens", "credentials", "onboarding_records".
	// ChangeAll means "anything may have changed": reload everything
	// (sent after a replica's change listener reconnects, since changes
	// made while it was away were not delivered).
	Table string
	// ID is the changed record's ID (for credentials and onboarding
	// steps, the worker's ID).
	ID string
}

// ChangeAll is the Table of a Change that asks subscribers to reload
// everything.
const ChangeAll = "*"

// ChangeFeed delivers committed changes.
//
// A change committed by this process is delivered before the call that
// made it returns, so the process's next request sees it. A change
// committed by another replica sharing the store (PostgreSQL) is delivered
// as soon as the store reports it; docs/operations.md states the bound.
type ChangeFeed interface {
	// Subscribe calls fn for every change committed after Subscribe
	// returns, until cancel is called. fn must be quick and must not call
	// back into the store: it runs on the committing goroutine or on the
	// feed's listener.
	Subscribe(fn func(Change)) (cancel func())
}
