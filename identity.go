package ward

import (
	"context"
	"time"
)

// Credentials are a worker's built-in login factors. Secrets are stored
// as they must be used: the password only as an argon2id hash (PHC string
// form), the TOTP secret as base32 because verifying a code needs it.
type Credentials struct {
	WorkerID     string `json:"worker_id"`
	PasswordHash string `json:"-"`
	// TOTPSecret is empty until TOTP is enrolled.
	TOTPSecret     string     `json:"-"`
	TOTPEnrolledAt *time.Time `json:"totp_enrolled_at,omitempty"`
	// TOTPLastStep is the time step of the last accepted code: a code is
	// accepted once, so a code seen over a shoulder cannot be replayed.
	TOTPLastStep int64                 `json:"-"`
	WebAuthn     []*WebAuthnCredential `json:"webauthn,omitempty"`
	UpdatedAt    time.Time             `json:"updated_at"`
}

// MFAEnrolled reports whether the worker has a second factor.
func (c *Credentials) MFAEnrolled() bool {
	return c != nil && (c.TOTPEnrolledAt != nil || len(c.WebAuthn) > 0)
}

// WebAuthnCredential is one registered security key.
type WebAuthnCredential struct {
	ID         []byte    `json:"id"` // the authenticator's credential ID
	PublicKey  []byte    `json:"-"`  // COSE key
	AAGUID     []byte    `json:"aaguid,omitempty"`
	SignCount  uint32    `json:"sign_count"`
	Transports []string  `json:"transports,omitempty"`
	Name       string    `json:"name,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// CredentialService stores login factors.
type CredentialService interface {
	// FindCredentials returns the worker's credentials, or ENOTFOUND when
	// none were ever set.
	FindCredentials(ctx context.Context, workerID string) (*Credentials, error)
	// SetPassword stores a password hash, creating the record if needed.
	// Returns EINVALID naming worker_id when the worker does not exist.
	SetPassword(ctx context.Context, workerID, hash string) error
	// SetTOTP enrols (or, with an empty secret, removes) a TOTP secret and
	// resets TOTPLastStep.
	SetTOTP(ctx context.Context, workerID, secret string) error
	// UseTOTPStep records step as the last accepted one. Returns ECONFLICT
	// when step is not after TOTPLastStep (a replayed code), atomically,
	// so two replicas cannot both accept one code.
	UseTOTPStep(ctx context.Context, workerID string, step int64) error
	// AddWebAuthnCredential registers a key. Returns ECONFLICT when the
	// credential ID is registered already (to anyone).
	AddWebAuthnCredential(ctx context.Context, workerID string, c *WebAuthnCredential) error
	// UpdateWebAuthnSignCount stores a key's new signature counter.
	// Returns ENOTFOUND.
	UpdateWebAuthnSignCount(ctx context.Context, workerID string, credentialID []byte, count uint32) error
}

// LoginFailures counts recent failed logins for one key: an account seen
// from one origin ("acct:joy.santos|site:S1"), or a source address
// ("addr:203.0.113.9").
type LoginFailures struct {
	Key         string     `json:"key"`
	Count       int        `json:"count"`
	WindowStart time.Time  `json:"window_start"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
}

// Locked reports whether the key is locked out at t.
func (f *LoginFailures) Locked(t time.Time) bool {
	return f != nil && f.LockedUntil != nil && t.Before(*f.LockedUntil)
}

// LoginFailureService keeps failure counts where every replica sees them.
type LoginFailureService interface {
	// FindLoginFailures returns the key's record, or ENOTFOUND.
	FindLoginFailures(ctx context.Context, key string) (*LoginFailures, error)
	// AddLoginFailure atomically counts one failure. A window that began
	// more than window ago restarts at one. When the count reaches limit,
	// LockedUntil is set to now plus lockout. Returns the record after.
	AddLoginFailure(ctx context.Context, key string, window time.Duration, limit int, lockout time.Duration) (*LoginFailures, error)
	// ClearLoginFailures forgets the key (after a successful login, or an
	// administrator's unlock). Clearing an unknown key is not an error.
	ClearLoginFailures(ctx context.Context, key string) error
}

// Device is a workstation a worker may use: in practice a VDI host,
// identified by its client certificate's SHA-256 fingerprint or by the
// host identity a trusted VDI gateway asserts.
type Device struct {
	ID         string     `json:"id"`
	WorkerID   string     `json:"worker_id"`
	Identity   string     `json:"identity"` // "sha256:<hex>" or "vdi:<host>"
	Name       string     `json:"name,omitempty"`
	EnrolledBy string     `json:"enrolled_by"`
	EnrolledAt time.Time  `json:"enrolled_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Validate returns an EINVALID error naming the first invalid field.
func (d *Device) Validate() error {
	if d.WorkerID == "" {
		return FieldErrorf("worker_id", "worker_id is required.")
	}
	if err := validateName("identity", d.Identity, 200); err != nil {
		return err
	}
	if len(d.Name) > 100 {
		return FieldErrorf("name", "name must be at most 100 bytes.")
	}
	return nil
}

// DeviceFilter selects devices. Zero fields match all.
type DeviceFilter struct {
	ID       *string
	WorkerID *string
	Identity *string
	Active   *bool // only unrevoked (true) or revoked (false) devices
	Page
}

// DeviceService stores enrolled devices.
type DeviceService interface {
	// FindDevices returns matching devices ordered by ID and the count.
	FindDevices(ctx context.Context, filter DeviceFilter) ([]*Device, int, error)
	// CreateDevice enrols a device, setting ID, EnrolledAt and EnrolledBy
	// (from the context's principal). Returns EINVALID, or ECONFLICT when
	// the worker has this identity enrolled already.
	CreateDevice(ctx context.Context, d *Device) error
	// RevokeDevice returns ENOTFOUND; revoking twice keeps the first time.
	RevokeDevice(ctx context.Context, id string) (*Device, error)
}

// Token kinds.
const (
	TokenSCIM    = "scim"    // a vendor's HR system provisioning its own staff
	TokenSignals = "signals" // a VDI or DLP system posting signals
)

// APIToken is a bearer token for a system rather than a person. Only a
// hash of the token is stored; the token itself is shown once.
type APIToken struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	VendorID  string     `json:"vendor_id,omitempty"` // required for SCIM tokens
	TokenHash []byte     `json:"-"`                   // SHA-256 of the token
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	LastUsed  *time.Time `json:"last_used_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Validate returns an EINVALID error naming the first invalid field.
func (t *APIToken) Validate() error {
	if err := validateName("name", t.Name, 100); err != nil {
		return err
	}
	switch t.Kind {
	case TokenSCIM:
		if t.VendorID == "" {
			return FieldErrorf("vendor_id", "A SCIM token belongs to one vendor.")
		}
	case TokenSignals:
	default:
		return FieldErrorf("kind", "kind must be scim or signals.")
	}
	if len(t.TokenHash) != 32 {
		return FieldErrorf("token_hash", "token_hash must be a SHA-256 digest.")
	}
	return nil
}

// APITokenFilter selects tokens. Zero fields match all.
type APITokenFilter struct {
	Kind     *string
	VendorID *string
	Page
}

// APITokenService stores system tokens.
type APITokenService interface {
	// FindAPITokenByHash returns ENOTFOUND (also for a revoked token).
	FindAPITokenByHash(ctx context.Context, hash []byte) (*APIToken, error)
	FindAPITokens(ctx context.Context, filter APITokenFilter) ([]*APIToken, int, error)
	// CreateAPIToken sets ID, CreatedAt and CreatedBy. Returns EINVALID
	// (also naming vendor_id when unknown).
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// RevokeAPIToken returns ENOTFOUND.
	RevokeAPIToken(ctx context.Context, id string) (*APIToken, error)
}

// OnboardingStep is one item of the onboarding checklist.
type OnboardingStep string

// Onboarding steps. A worker becomes active only when each is done (and,
// for training, not expired) and the vendor's BAA is in force.
const (
	StepIdentityVerified   OnboardingStep = "identity_verified"
	StepHIPAATraining      OnboardingStep = "hipaa_training"
	StepDeviceEnrolled     OnboardingStep = "device_enrolled"
	StepMFAEnrolled        OnboardingStep = "mfa_enrolled"
	StepSupervisorApproval OnboardingStep = "supervisor_approval"
)

// OnboardingSteps lists the recorded steps in checklist order.
var OnboardingSteps = []OnboardingStep{
	StepIdentityVerified, StepHIPAATraining, StepDeviceEnrolled, StepMFAEnrolled, StepSupervisorApproval,
}

// Valid reports whether s is a known step.
func (s OnboardingStep) Valid() bool {
	for _, v := range OnboardingSteps {
		if s == v {
			return true
		}
	}
	return false
}

// OnboardingRecord is one completed step: who recorded it, when, and what
// shows it (a document checked, a training certificate, a device ID).
type OnboardingRecord struct {
	ID       string         `json:"id"`
	WorkerID string         `json:"worker_id"`
	Step     OnboardingStep `json:"step"`
	Actor    string         `json:"actor"`
	At       time.Time      `json:"at"`
	Evidence string         `json:"evidence,omitempty"`
	// CompletedOn is when the step happened in the world, when that
	// differs from when it was recorded (the training's date).
	CompletedOn *Date `json:"completed_on,omitempty"`
	// ExpiresOn is set for steps that lapse (training, yearly).
	ExpiresOn *Date `json:"expires_on,omitempty"`
}

// OnboardingService stores the steps workers have completed. Records are
// never changed; a step done again (yearly training) is a new record.
type OnboardingService interface {
	// FindOnboardingRecords returns the worker's records, oldest first.
	FindOnboardingRecords(ctx context.Context, workerID string) ([]*OnboardingRecord, error)
	// CreateOnboardingRecord sets ID, At and Actor (from the context's
	// principal). Returns EINVALID (also naming worker_id when unknown).
	CreateOnboardingRecord(ctx context.Context, r *OnboardingRecord) error
}

// Validate returns an EINVALID error naming the first invalid field.
func (r *OnboardingRecord) Validate() error {
	if r.WorkerID == "" {
		return FieldErrorf("worker_id", "worker_id is required.")
	}
	if !r.Step.Valid() {
		return FieldErrorf("step", "step must be one of identity_verified, hipaa_training, device_enrolled, mfa_enrolled, supervisor_approval.")
	}
	if len(r.Evidence) > 500 {
		return FieldErrorf("evidence", "evidence must be at most 500 bytes.")
	}
	if r.CompletedOn != nil && r.ExpiresOn != nil && r.ExpiresOn.Before(*r.CompletedOn) {
		return FieldErrorf("expires_on", "expires_on must not be before completed_on.")
	}
	return nil
}
