package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.DeviceService = (*DeviceService)(nil)

// DeviceService is a fake ward.DeviceService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type DeviceService struct {
	FindDevicesFn  func(ctx context.Context, filter ward.DeviceFilter) ([]*ward.Device, int, error)
	CreateDeviceFn func(ctx context.Context, d *ward.Device) error
	RevokeDeviceFn func(ctx context.Context, id string) (*ward.Device, error)
}

// FindDevices calls FindDevicesFn.
func (m *DeviceService) FindDevices(ctx context.Context, filter ward.DeviceFilter) ([]*ward.Device, int, error) {
	return m.FindDevicesFn(ctx, filter)
}

// CreateDevice calls CreateDeviceFn.
func (m *DeviceService) CreateDevice(ctx context.Context, d *ward.Device) error {
	return m.CreateDeviceFn(ctx, d)
}

// RevokeDevice calls RevokeDeviceFn.
func (m *DeviceService) RevokeDevice(ctx context.Context, id string) (*ward.Device, error) {
	return m.RevokeDeviceFn(ctx, id)
}
