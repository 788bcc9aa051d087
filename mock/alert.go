package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.AlertService = (*AlertService)(nil)

// AlertService is a fake ward.AlertService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type AlertService struct {
	FindAlertByIDFn  func(ctx context.Context, id string) (*ward.Alert, error)
	FindAlertsFn     func(ctx context.Context, filter ward.AlertFilter) ([]*ward.Alert, int, error)
	CreateAlertFn    func(ctx context.Context, a *ward.Alert) error
	SetAlertStatusFn func(ctx context.Context, id string, status ward.AlertStatus, note string) (*ward.Alert, error)
}

// FindAlertByID calls FindAlertByIDFn.
func (m *AlertService) FindAlertByID(ctx context.Context, id string) (*ward.Alert, error) {
	return m.FindAlertByIDFn(ctx, id)
}

// FindAlerts calls FindAlertsFn.
func (m *AlertService) FindAlerts(ctx context.Context, filter ward.AlertFilter) ([]*ward.Alert, int, error) {
	return m.FindAlertsFn(ctx, filter)
}

// CreateAlert calls CreateAlertFn.
func (m *AlertService) CreateAlert(ctx context.Context, a *ward.Alert) error {
	return m.CreateAlertFn(ctx, a)
}

// SetAlertStatus calls SetAlertStatusFn.
func (m *AlertService) SetAlertStatus(ctx context.Context, id string, status ward.AlertStatus, note string) (*ward.Alert, error) {
	return m.SetAlertStatusFn(ctx, id, status, note)
}
