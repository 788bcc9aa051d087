package identity

import (
	"context"

	"github.com/wardhq/ward"
)

// The lookups below serve the in-memory directory to the FHIR gateway's
// hot path (gateway.Directory). A record not yet cached is read from the
// store once; a change delivered by the feed replaces it.

// Worker returns a worker from the directory.
func (m *Manager) Worker(id string) (*ward.Worker, bool) {
	return lookup(m.ctx, m.dir.workers, id)
}

// Team returns a team from the directory.
func (m *Manager) Team(id string) (*ward.Team, bool) { return lookup(m.ctx, m.dir.teams, id) }

// Vendor returns a vendor from the directory.
func (m *Manager) Vendor(id string) (*ward.Vendor, bool) { return lookup(m.ctx, m.dir.vendors, id) }

// Schedule returns a schedule from the directory.
func (m *Manager) Schedule(id string) (*ward.Schedule, bool) {
	return lookup(m.ctx, m.dir.schedules, id)
}

func lookup[T any](ctx context.Context, t *table[T], id string) (*T, bool) {
	if id == "" {
		return nil, false
	}
	v, err := t.get(ctx, id)
	return v, err == nil
}
