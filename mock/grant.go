package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.GrantService = (*GrantService)(nil)

// GrantService is a fake ward.GrantService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type GrantService struct {
	FindGrantByIDFn func(ctx context.Context, id string) (*ward.Grant, error)
	FindGrantsFn    func(ctx context.Context, filter ward.GrantFilter) ([]*ward.Grant, int, error)
	CreateGrantFn   func(ctx context.Context, g *ward.Grant) error
	RevokeGrantFn   func(ctx context.Context, id string, reason string) (*ward.Grant, error)
}

// FindGrantByID calls FindGrantByIDFn.
func (m *GrantService) FindGrantByID(ctx context.Context, id string) (*ward.Grant, error) {
	return m.FindGrantByIDFn(ctx, id)
}

// FindGrants calls FindGrantsFn.
func (m *GrantService) FindGrants(ctx context.Context, filter ward.GrantFilter) ([]*ward.Grant, int, error) {
	return m.FindGrantsFn(ctx, filter)
}

// CreateGrant calls CreateGrantFn.
func (m *GrantService) CreateGrant(ctx context.Context, g *ward.Grant) error {
	return m.CreateGrantFn(ctx, g)
}

// RevokeGrant calls RevokeGrantFn.
func (m *GrantService) RevokeGrant(ctx context.Context, id string, reason string) (*ward.Grant, error) {
	return m.RevokeGrantFn(ctx, id, reason)
}
