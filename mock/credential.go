package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.CredentialService = (*CredentialService)(nil)

// CredentialService is a fake ward.CredentialService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type CredentialService struct {
	FindCredentialsFn         func(ctx context.Context, workerID string) (*ward.Credentials, error)
	SetPasswordFn             func(ctx context.Context, workerID, hash string) error
	SetTOTPFn                 func(ctx context.Context, workerID, secret string) error
	UseTOTPStepFn             func(ctx context.Context, workerID string, step int64) error
	AddWebAuthnCredentialFn   func(ctx context.Context, workerID string, c *ward.WebAuthnCredential) error
	UpdateWebAuthnSignCountFn func(ctx context.Context, workerID string, credentialID []byte, count uint32) error
}

// FindCredentials calls FindCredentialsFn.
func (m *CredentialService) FindCredentials(ctx context.Context, workerID string) (*ward.Credentials, error) {
	return m.FindCredentialsFn(ctx, workerID)
}

// SetPassword calls SetPasswordFn.
func (m *CredentialService) SetPassword(ctx context.Context, workerID, hash string) error {
	return m.SetPasswordFn(ctx, workerID, hash)
}

// SetTOTP calls SetTOTPFn.
func (m *CredentialService) SetTOTP(ctx context.Context, workerID, secret string) error {
	return m.SetTOTPFn(ctx, workerID, secret)
}

// UseTOTPStep calls UseTOTPStepFn.
func (m *CredentialService) UseTOTPStep(ctx context.Context, workerID string, step int64) error {
	return m.UseTOTPStepFn(ctx, workerID, step)
}

// AddWebAuthnCredential calls AddWebAuthnCredentialFn.
func (m *CredentialService) AddWebAuthnCredential(ctx context.Context, workerID string, c *ward.WebAuthnCredential) error {
	return m.AddWebAuthnCredentialFn(ctx, workerID, c)
}

// UpdateWebAuthnSignCount calls UpdateWebAuthnSignCountFn.
func (m *CredentialService) UpdateWebAuthnSignCount(ctx context.Context, workerID string, credentialID []byte, count uint32) error {
	return m.UpdateWebAuthnSignCountFn(ctx, workerID, credentialID, count)
}
