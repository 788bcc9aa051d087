package identity

import (
	"context"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	"github.com/wardhq/ward"
)

// TOTP parameters: RFC 6238 defaults, what every authenticator app
// supports. A code is accepted one step either side of now, for clock skew.
const (
	totpPeriod = 30 // seconds
	totpSkew   = 1
	// minTOTPSecret is RFC 4226's minimum shared secret length, in bytes.
	minTOTPSecret = 16
)

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTPSecret returns a new random TOTP secret (base32, 160 bits) and the
// otpauth:// URL an authenticator app reads from a QR code.
func NewTOTPSecret(username, issuer string) (secret, otpauthURL string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: username, SecretSize: 20})
	if err != nil {
		return "", "", fmt.Errorf("generate totp secret: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// normalizeSecret upper-cases a base32 secret and drops spaces and
// padding, as people type them; ok is false unless it decodes to at least
// minTOTPSecret bytes.
func normalizeSecret(s string) (string, bool) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "=", "", "-", "").Replace(s))
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	return s, err == nil && len(b) >= minTOTPSecret
}

// totpStep returns the time step whose code is code, within the skew
// around now. All candidate steps are computed, so the time taken does not
// depend on which one matched.
func totpStep(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	cur := now.Unix() / totpPeriod
	var step int64
	found := false
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		s := cur + d
		if s < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, found = s, true
		}
	}
	return step, found
}

// EnrolTOTP enrols secret (from NewTOTPSecret) as the worker's TOTP
// factor once code shows that the worker's authenticator produces it. The
// code is spent: it cannot then be used to log in. It emits mfa.enrolled.
// Returns EINVALID naming secret or code, or ENOTFOUND.
func (m *Manager) EnrolTOTP(ctx context.Context, workerID, secret, code string) error {
	secret, ok := normalizeSecret(secret)
	if !ok {
		return ward.FieldErrorf("secret", "The secret must be base32 and at least %d bytes long.", minTOTPSecret)
	}
	w, err := m.svc.Workers.FindWorkerByID(ctx, workerID)
	if err != nil {
		return err
	}
	now := m.now()
	step, ok := totpStep(secret, strings.TrimSpace(code), now)
	if !ok {
		return ward.FieldErrorf("code", "The code does not match; check the authenticator's clock and enter the current code.")
	}
	if err := m.svc.Credentials.SetTOTP(ctx, w.ID, secret); err != nil {
		return err
	}
	if err := m.svc.Credentials.UseTOTPStep(ctx, w.ID, step); err != nil {
		return err
	}
	e := m.adminEvent(ctx, "mfa.enrolled", w, now)
	e.Details = map[string]string{"factor": "totp"}
	if _, err := m.auditor.Audit(ctx, e); err != nil {
		return unavailable("audit ledger", err)
	}
	return nil
}

// SetPassword sets the worker's password: at least MinPasswordLength
// characters and not the username. It emits password.changed. Returns
// EINVALID naming password, or ENOTFOUND.
func (m *Manager) SetPassword(ctx context.Context, workerID, password string) error {
	w, err := m.svc.Workers.FindWorkerByID(ctx, workerID)
	if err != nil {
		return err
	}
	if err := checkPasswordPolicy(w.Username, password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if err := m.svc.Credentials.SetPassword(ctx, w.ID, hash); err != nil {
		return err
	}
	if _, err := m.auditor.Audit(ctx, m.adminEvent(ctx, "password.changed", w, m.now())); err != nil {
		return unavailable("audit ledger", err)
	}
	return nil
}
