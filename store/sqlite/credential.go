package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"

	"github.com/wardhq/ward"
)

var _ ward.CredentialService = (*CredentialService)(nil)

// CredentialService implements ward.CredentialService on SQLite.
type CredentialService struct {
	db *DB
}

// NewCredentialService returns a CredentialService backed by db.
func NewCredentialService(db *DB) *CredentialService {
	return &CredentialService{db: db}
}

// FindCredentials returns the worker's credentials with their security
// keys (oldest first), or ENOTFOUND when none were ever set.
func (s *CredentialService) FindCredentials(ctx context.Context, workerID string) (*ward.Credentials, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	var c ward.Credentials
	err = tx.QueryRowContext(ctx, `SELECT worker_id, password_hash, totp_secret, totp_enrolled_at, totp_last_step, updated_at
		FROM credentials WHERE worker_id = ?`, workerID).Scan(&c.WorkerID, &c.PasswordHash, &c.TOTPSecret,
		timePtrDest{&c.TOTPEnrolledAt}, &c.TOTPLastStep, timeDest{&c.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Credentials not found.")
	} else if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, public_key, aaguid, sign_count, transports, name, created_at
		FROM webauthn_credentials WHERE worker_id = ? ORDER BY created_at, id`, workerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c.WebAuthn = make([]*ward.WebAuthnCredential, 0)
	for rows.Next() {
		var w ward.WebAuthnCredential
		var count int64
		if err := rows.Scan(&w.ID, &w.PublicKey, &w.AAGUID, &count, jsonDest{&w.Transports}, &w.Name,
			timeDest{&w.CreatedAt}); err != nil {
			return nil, err
		}
		w.SignCount = uint32(count)
		if len(w.AAGUID) == 0 {
			w.AAGUID = nil // absent, as given
		}
		c.WebAuthn = append(c.WebAuthn, &w)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return &c, nil
}

// ensureCredentials creates the worker's credentials record unless it
// exists. Returns EINVALID naming worker_id when the worker does not exist.
func ensureCredentials(ctx context.Context, tx *Tx, workerID string) error {
	if workerID == "" {
		return ward.FieldErrorf("worker_id", "worker_id is required.")
	}
	if err := tx.checkRef(ctx, "worker_id", "workers", "Worker", workerID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO credentials (worker_id, password_hash, totp_secret, totp_enrolled_at, totp_last_step, updated_at)
		VALUES (?, '', '', NULL, 0, ?) ON CONFLICT (worker_id) DO NOTHING`, workerID, formatTime(tx.now))
	return err
}

// SetPassword stores a password hash, creating the record if needed.
// Returns EINVALID naming worker_id when the worker does not exist, or
// naming password_hash when hash is empty.
func (s *CredentialService) SetPassword(ctx context.Context, workerID, hash string) error {
	if hash == "" {
		return ward.FieldErrorf("password_hash", "password_hash is required.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := ensureCredentials(ctx, tx, workerID); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE credentials SET password_hash = ?, updated_at = ? WHERE worker_id = ?`,
		hash, formatTime(tx.now), workerID); err != nil {
		return err
	}
	return tx.Commit()
}

// SetTOTP enrols (or, with an empty secret, removes) a TOTP secret and
// resets TOTPLastStep. Returns EINVALID naming worker_id when the worker
// does not exist. Removing from a worker without credentials creates none.
func (s *CredentialService) SetTOTP(ctx context.Context, workerID, secret string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if secret == "" {
		if workerID == "" {
			return ward.FieldErrorf("worker_id", "worker_id is required.")
		}
		if err := tx.checkRef(ctx, "worker_id", "workers", "Worker", workerID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE credentials SET totp_secret = '', totp_enrolled_at = NULL, totp_last_step = 0,
			updated_at = ? WHERE worker_id = ?`, formatTime(tx.now), workerID); err != nil {
			return err
		}
		return tx.Commit()
	}
	if err := ensureCredentials(ctx, tx, workerID); err != nil {
		return err
	}
	now := formatTime(tx.now)
	if _, err := tx.exec(ctx, `UPDATE credentials SET totp_secret = ?, totp_enrolled_at = ?, totp_last_step = 0,
		updated_at = ? WHERE worker_id = ?`, secret, now, now, workerID); err != nil {
		return err
	}
	return tx.Commit()
}

// UseTOTPStep records step as the last accepted one. Returns ECONFLICT
// when step is not after the last accepted step, ENOTFOUND when the worker
// has no credentials. The check and the write are one statement.
func (s *CredentialService) UseTOTPStep(ctx context.Context, workerID string, step int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `UPDATE credentials SET totp_last_step = ? WHERE worker_id = ? AND totp_last_step < ?`,
		step, workerID, step)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		var found int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM credentials WHERE worker_id = ?`, workerID).Scan(&found); err != nil {
			return err
		} else if found == 0 {
			return ward.Errorf(ward.ENOTFOUND, "Credentials not found.")
		}
		return ward.Errorf(ward.ECONFLICT, "This code was used already.")
	}
	return tx.Commit()
}

// AddWebAuthnCredential registers a key, creating the worker's credentials
// record if needed, and sets c.CreatedAt. Returns EINVALID (naming
// worker_id when the worker does not exist) or ECONFLICT when the
// credential ID is registered already, to anyone.
func (s *CredentialService) AddWebAuthnCredential(ctx context.Context, workerID string, c *ward.WebAuthnCredential) error {
	if err := validateWebAuthn(c); err != nil {
		return err
	}
	v := *c
	v.ID, v.PublicKey, v.AAGUID = bytes.Clone(v.ID), bytes.Clone(v.PublicKey), bytes.Clone(v.AAGUID)
	if len(v.AAGUID) == 0 {
		v.AAGUID = nil // read back as absent
	}
	v.Transports = append(make([]string, 0, len(v.Transports)), v.Transports...)
	transports, err := jsonText(v.Transports)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := ensureCredentials(ctx, tx, workerID); err != nil {
		return err
	}
	v.CreatedAt = tx.now
	if _, err := tx.exec(ctx, `INSERT INTO webauthn_credentials (id, worker_id, public_key, aaguid, sign_count, transports, name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, v.ID, workerID, v.PublicKey, blob(v.AAGUID), int64(v.SignCount), transports, v.Name,
		formatTime(v.CreatedAt)); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE credentials SET updated_at = ? WHERE worker_id = ?`, formatTime(tx.now), workerID); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*c = v
	return nil
}

// validateWebAuthn returns EINVALID for a key that cannot be stored.
func validateWebAuthn(c *ward.WebAuthnCredential) error {
	switch {
	case c == nil:
		return ward.Errorf(ward.EINVALID, "Security key required.")
	case len(c.ID) == 0 || len(c.ID) > 1023:
		return ward.FieldErrorf("id", "A credential ID is 1 to 1023 bytes.")
	case len(c.PublicKey) == 0:
		return ward.FieldErrorf("public_key", "public_key is required.")
	case len(c.Name) > 100:
		return ward.FieldErrorf("name", "name must be at most 100 bytes.")
	}
	return nil
}

// UpdateWebAuthnSignCount stores a key's new signature counter. Returns
// ENOTFOUND when the worker has no key with credentialID.
func (s *CredentialService) UpdateWebAuthnSignCount(ctx context.Context, workerID string, credentialID []byte, count uint32) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `UPDATE webauthn_credentials SET sign_count = ? WHERE id = ? AND worker_id = ?`,
		int64(count), credentialID, workerID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ward.Errorf(ward.ENOTFOUND, "Security key not found.")
	}
	return tx.Commit()
}
