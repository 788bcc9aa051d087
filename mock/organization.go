package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.OrganizationService = (*OrganizationService)(nil)

// OrganizationService is a fake ward.OrganizationService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type OrganizationService struct {
	FindOrganizationFn func(ctx context.Context) (*ward.Organization, error)
	SetOrganizationFn  func(ctx context.Context, o *ward.Organization) error
}

// FindOrganization calls FindOrganizationFn.
func (m *OrganizationService) FindOrganization(ctx context.Context) (*ward.Organization, error) {
	return m.FindOrganizationFn(ctx)
}

// SetOrganization calls SetOrganizationFn.
func (m *OrganizationService) SetOrganization(ctx context.Context, o *ward.Organization) error {
	return m.SetOrganizationFn(ctx, o)
}
