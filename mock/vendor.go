package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.VendorService = (*VendorService)(nil)

// VendorService is a fake ward.VendorService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type VendorService struct {
	FindVendorByIDFn func(ctx context.Context, id string) (*ward.Vendor, error)
	FindVendorsFn    func(ctx context.Context, filter ward.VendorFilter) ([]*ward.Vendor, int, error)
	CreateVendorFn   func(ctx context.Context, v *ward.Vendor) error
	UpdateVendorFn   func(ctx context.Context, id string, upd ward.VendorUpdate) (*ward.Vendor, error)
}

// FindVendorByID calls FindVendorByIDFn.
func (m *VendorService) FindVendorByID(ctx context.Context, id string) (*ward.Vendor, error) {
	return m.FindVendorByIDFn(ctx, id)
}

// FindVendors calls FindVendorsFn.
func (m *VendorService) FindVendors(ctx context.Context, filter ward.VendorFilter) ([]*ward.Vendor, int, error) {
	return m.FindVendorsFn(ctx, filter)
}

// CreateVendor calls CreateVendorFn.
func (m *VendorService) CreateVendor(ctx context.Context, v *ward.Vendor) error {
	return m.CreateVendorFn(ctx, v)
}

// UpdateVendor calls UpdateVendorFn.
func (m *VendorService) UpdateVendor(ctx context.Context, id string, upd ward.VendorUpdate) (*ward.Vendor, error) {
	return m.UpdateVendorFn(ctx, id, upd)
}
