package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.APITokenService = (*APITokenService)(nil)

// APITokenService is a fake ward.APITokenService for tests: each method
// calls the field of the same name with an Fn suffix, which the test sets.
// Calling a method whose field is nil panics.
type APITokenService struct {
	FindAPITokenByHashFn func(ctx context.Context, hash []byte) (*ward.APIToken, error)
	FindAPITokensFn      func(ctx context.Context, filter ward.APITokenFilter) ([]*ward.APIToken, int, error)
	CreateAPITokenFn     func(ctx context.Context, t *ward.APIToken) error
	RevokeAPITokenFn     func(ctx context.Context, id string) (*ward.APIToken, error)
}

// FindAPITokenByHash calls FindAPITokenByHashFn.
func (m *APITokenService) FindAPITokenByHash(ctx context.Context, hash []byte) (*ward.APIToken, error) {
	return m.FindAPITokenByHashFn(ctx, hash)
}

// FindAPITokens calls FindAPITokensFn.
func (m *APITokenService) FindAPITokens(ctx context.Context, filter ward.APITokenFilter) ([]*ward.APIToken, int, error) {
	return m.FindAPITokensFn(ctx, filter)
}

// CreateAPIToken calls CreateAPITokenFn.
func (m *APITokenService) CreateAPIToken(ctx context.Context, t *ward.APIToken) error {
	return m.CreateAPITokenFn(ctx, t)
}

// RevokeAPIToken calls RevokeAPITokenFn.
func (m *APITokenService) RevokeAPIToken(ctx context.Context, id string) (*ward.APIToken, error) {
	return m.RevokeAPITokenFn(ctx, id)
}
