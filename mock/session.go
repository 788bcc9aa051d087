package mock

import (
	"context"
	"time"

	"github.com/wardhq/ward"
)

var _ ward.SessionService = (*SessionService)(nil)

// SessionService is a fake ward.SessionService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type SessionService struct {
	FindSessionByIDFn        func(ctx context.Context, id string) (*ward.Session, error)
	FindSessionByTokenHashFn func(ctx context.Context, hash []byte) (*ward.Session, error)
	FindSessionsFn           func(ctx context.Context, filter ward.SessionFilter) ([]*ward.Session, int, error)
	CreateSessionFn          func(ctx context.Context, s *ward.Session) error
	TouchSessionFn           func(ctx context.Context, id string, t time.Time) error
	RevokeSessionFn          func(ctx context.Context, id string, reason string) (*ward.Session, error)
	RevokeWorkerSessionsFn   func(ctx context.Context, workerID string, reason string) (int, error)
}

// FindSessionByID calls FindSessionByIDFn.
func (m *SessionService) FindSessionByID(ctx context.Context, id string) (*ward.Session, error) {
	return m.FindSessionByIDFn(ctx, id)
}

// FindSessionByTokenHash calls FindSessionByTokenHashFn.
func (m *SessionService) FindSessionByTokenHash(ctx context.Context, hash []byte) (*ward.Session, error) {
	return m.FindSessionByTokenHashFn(ctx, hash)
}

// FindSessions calls FindSessionsFn.
func (m *SessionService) FindSessions(ctx context.Context, filter ward.SessionFilter) ([]*ward.Session, int, error) {
	return m.FindSessionsFn(ctx, filter)
}

// CreateSession calls CreateSessionFn.
func (m *SessionService) CreateSession(ctx context.Context, s *ward.Session) error {
	return m.CreateSessionFn(ctx, s)
}

// TouchSession calls TouchSessionFn.
func (m *SessionService) TouchSession(ctx context.Context, id string, t time.Time) error {
	return m.TouchSessionFn(ctx, id, t)
}

// RevokeSession calls RevokeSessionFn.
func (m *SessionService) RevokeSession(ctx context.Context, id string, reason string) (*ward.Session, error) {
	return m.RevokeSessionFn(ctx, id, reason)
}

// RevokeWorkerSessions calls RevokeWorkerSessionsFn.
func (m *SessionService) RevokeWorkerSessions(ctx context.Context, workerID string, reason string) (int, error) {
	return m.RevokeWorkerSessionsFn(ctx, workerID, reason)
}
