package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.Auditor = (*Auditor)(nil)

// Auditor is a fake ward.Auditor: Audit calls AuditFn.
type Auditor struct {
	AuditFn func(ctx context.Context, e *ward.Event) (uint64, error)
}

// Audit calls AuditFn.
func (m *Auditor) Audit(ctx context.Context, e *ward.Event) (uint64, error) {
	return m.AuditFn(ctx, e)
}
