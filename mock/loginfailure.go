package mock

import (
	"context"
	"time"

	"github.com/wardhq/ward"
)

var _ ward.LoginFailureService = (*LoginFailureService)(nil)

// LoginFailureService is a fake ward.LoginFailureService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type LoginFailureService struct {
	FindLoginFailuresFn  func(ctx context.Context, key string) (*ward.LoginFailures, error)
	AddLoginFailureFn    func(ctx context.Context, key string, window time.Duration, limit int, lockout time.Duration) (*ward.LoginFailures, error)
	ClearLoginFailuresFn func(ctx context.Context, key string) error
}

// FindLoginFailures calls FindLoginFailuresFn.
func (m *LoginFailureService) FindLoginFailures(ctx context.Context, key string) (*ward.LoginFailures, error) {
	return m.FindLoginFailuresFn(ctx, key)
}

// AddLoginFailure calls AddLoginFailureFn.
func (m *LoginFailureService) AddLoginFailure(ctx context.Context, key string, window time.Duration, limit int, lockout time.Duration) (*ward.LoginFailures, error) {
	return m.AddLoginFailureFn(ctx, key, window, limit, lockout)
}

// ClearLoginFailures calls ClearLoginFailuresFn.
func (m *LoginFailureService) ClearLoginFailures(ctx context.Context, key string) error {
	return m.ClearLoginFailuresFn(ctx, key)
}
