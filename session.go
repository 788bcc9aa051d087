package ward

import (
	"context"
	"time"
)

// Session is one login of one worker, bound to a device and a network
// origin. Only a hash of its bearer token is stored.
type Session struct {
	ID         string `json:"id"`
	WorkerID   string `json:"worker_id"`
	TokenHash  []byte `json:"-"` // SHA-256 of the bearer token
	DeviceID   string `json:"device_id,omitempty"`
	ClientAddr string `json:"client_addr"`
	Country    string `json:"country,omitempty"`
	SiteID     string `json:"site_id,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`
	// Method is how the worker proved who they are: "password+totp",
	// "webauthn" or "oidc".
	Method       string     `json:"method,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	LastSeenAt   time.Time  `json:"last_seen_at"`
	ExpiresAt    time.Time  `json:"expires_at"` // absolute end
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
}

// Validate returns an EINVALID error naming the first invalid field.
func (s *Session) Validate() error {
	if s.WorkerID == "" {
		return FieldErrorf("worker_id", "worker_id is required.")
	}
	if len(s.TokenHash) != 32 {
		return FieldErrorf("token_hash", "token_hash must be a SHA-256 digest.")
	}
	if s.ExpiresAt.IsZero() {
		return FieldErrorf("expires_at", "expires_at is required.")
	}
	if s.Country != "" && !ValidCountry(s.Country) {
		return FieldErrorf("country", "%q is not an ISO 3166-1 alpha-2 country code.", s.Country)
	}
	return nil
}

// Live reports whether the session is in force at t, ignoring idle time.
func (s *Session) Live(t time.Time) bool {
	return s.RevokedAt == nil && t.Before(s.ExpiresAt)
}

// SessionFilter selects sessions. Zero fields match all.
type SessionFilter struct {
	ID       *string
	WorkerID *string
	LiveAt   *time.Time
	Page
}

// SessionService stores sessions.
type SessionService interface {
	// FindSessionByID returns ENOTFOUND if the session does not exist.
	FindSessionByID(ctx context.Context, id string) (*Session, error)
	// FindSessionByTokenHash returns ENOTFOUND if no session has the hash.
	FindSessionByTokenHash(ctx context.Context, hash []byte) (*Session, error)
	// FindSessions returns matching sessions ordered by ID and the total count.
	FindSessions(ctx context.Context, filter SessionFilter) ([]*Session, int, error)
	// CreateSession stores a new, unrevoked session. Returns EINVALID (also
	// naming worker_id or site_id when unknown) or ECONFLICT naming
	// token_hash if the hash exists.
	CreateSession(ctx context.Context, s *Session) error
	// TouchSession sets LastSeenAt to t. Returns ENOTFOUND.
	TouchSession(ctx context.Context, id string, t time.Time) error
	// RevokeSession ends the session now, keeping the first revocation.
	// Returns ENOTFOUND.
	RevokeSession(ctx context.Context, id, reason string) (*Session, error)
	// RevokeWorkerSessions ends every live session of the worker and
	// returns how many it ended.
	RevokeWorkerSessions(ctx context.Context, workerID, reason string) (int, error)
}
