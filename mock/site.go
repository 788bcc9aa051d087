package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.SiteService = (*SiteService)(nil)

// SiteService is a fake ward.SiteService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type SiteService struct {
	FindSiteByIDFn func(ctx context.Context, id string) (*ward.Site, error)
	FindSitesFn    func(ctx context.Context, filter ward.SiteFilter) ([]*ward.Site, int, error)
	CreateSiteFn   func(ctx context.Context, s *ward.Site) error
	UpdateSiteFn   func(ctx context.Context, id string, upd ward.SiteUpdate) (*ward.Site, error)
}

// FindSiteByID calls FindSiteByIDFn.
func (m *SiteService) FindSiteByID(ctx context.Context, id string) (*ward.Site, error) {
	return m.FindSiteByIDFn(ctx, id)
}

// FindSites calls FindSitesFn.
func (m *SiteService) FindSites(ctx context.Context, filter ward.SiteFilter) ([]*ward.Site, int, error) {
	return m.FindSitesFn(ctx, filter)
}

// CreateSite calls CreateSiteFn.
func (m *SiteService) CreateSite(ctx context.Context, s *ward.Site) error {
	return m.CreateSiteFn(ctx, s)
}

// UpdateSite calls UpdateSiteFn.
func (m *SiteService) UpdateSite(ctx context.Context, id string, upd ward.SiteUpdate) (*ward.Site, error) {
	return m.UpdateSiteFn(ctx, id, upd)
}
