package identity

import "context"

// Flush writes pending last-seen times now instead of at the next tick.
func Flush(m *Manager, ctx context.Context) { m.flush(ctx) }
