package postgres

import (
	"bytes"
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.CredentialService = (*CredentialService)(nil)

// CredentialService stores login factors in PostgreSQL.
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
	var c ward.Credentials
	err := s.db.view(ctx, func(tx *Tx) error {
		c = ward.Credentials{}
		err := tx.QueryRow(ctx, `SELECT worker_id, password_hash, totp_secret, totp_enrolled_at, totp_last_step, updated_at
			FROM credentials WHERE worker_id = $1`, workerID).Scan(&c.WorkerID, &c.PasswordHash, &c.TOTPSecret,
			&c.TOTPEnrolledAt, &c.TOTPLastStep, &c.UpdatedAt)
		if notFound(err) {
			return ward.Errorf(ward.ENOTFOUND, "Credentials not found.")
		} else if err != nil {
			return fmt.Errorf("find credentials: %w", err)
		}
		c.TOTPEnrolledAt, c.UpdatedAt = canon.TimePtr(c.TOTPEnrolledAt), c.UpdatedAt.UTC()
		rows, err := tx.Query(ctx, `SELECT id, public_key, aaguid, sign_count, transports, name, created_at
			FROM webauthn_credentials WHERE worker_id = $1 ORDER BY created_at, id`, workerID)
		if err != nil {
			return fmt.Errorf("find security keys: %w", err)
		}
		c.WebAuthn, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*ward.WebAuthnCredential, error) {
			var w ward.WebAuthnCredential
			var count int64
			if err := row.Scan(&w.ID, &w.PublicKey, &w.AAGUID, &count, &w.Transports, &w.Name, &w.CreatedAt); err != nil {
				return nil, err
			}
			w.SignCount, w.CreatedAt, w.Transports = uint32(count), w.CreatedAt.UTC(), canon.Slice(w.Transports)
			if len(w.AAGUID) == 0 {
				w.AAGUID = nil // absent, as given
			}
			return &w, nil
		})
		if err != nil {
			return fmt.Errorf("find security keys: %w", err)
		}
		c.WebAuthn = canon.Slice(c.WebAuthn)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// ensureCredentials creates the worker's credentials record unless it
// exists. Returns EINVALID naming worker_id when the worker does not exist.
func ensureCredentials(ctx context.Context, tx *Tx, workerID string) error {
	if err := checkWorker(ctx, tx, workerID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO credentials (worker_id, password_hash, totp_secret, totp_enrolled_at, totp_last_step, updated_at)
		VALUES ($1, '', '', NULL, 0, $2) ON CONFLICT (worker_id) DO NOTHING`, workerID, tx.now)
	if err != nil {
		return fmt.Errorf("create credentials: %w", err)
	}
	return nil
}

// checkWorker returns EINVALID naming worker_id unless the worker exists.
func checkWorker(ctx context.Context, tx *Tx, workerID string) error {
	if workerID == "" {
		return ward.FieldErrorf("worker_id", "worker_id is required.")
	}
	if ok, err := tx.exists(ctx, "workers", workerID); err != nil {
		return err
	} else if !ok {
		return ward.FieldErrorf("worker_id", "Worker %s does not exist.", workerID)
	}
	return nil
}

// SetPassword stores a password hash, creating the record if needed.
// Returns EINVALID naming worker_id when the worker does not exist, or
// naming password_hash when hash is empty.
func (s *CredentialService) SetPassword(ctx context.Context, workerID, hash string) error {
	if hash == "" {
		return ward.FieldErrorf("password_hash", "password_hash is required.")
	}
	return s.db.update(ctx, func(tx *Tx) error {
		if err := ensureCredentials(ctx, tx, workerID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE credentials SET password_hash = $2, updated_at = $3 WHERE worker_id = $1`,
			workerID, hash, tx.now); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		return nil
	})
}

// SetTOTP enrols (or, with an empty secret, removes) a TOTP secret and
// resets TOTPLastStep. Returns EINVALID naming worker_id when the worker
// does not exist. Removing from a worker without credentials creates none.
func (s *CredentialService) SetTOTP(ctx context.Context, workerID, secret string) error {
	return s.db.update(ctx, func(tx *Tx) error {
		if secret == "" {
			if err := checkWorker(ctx, tx, workerID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE credentials SET totp_secret = '', totp_enrolled_at = NULL, totp_last_step = 0,
				updated_at = $2 WHERE worker_id = $1`, workerID, tx.now); err != nil {
				return fmt.Errorf("remove totp: %w", err)
			}
			return nil
		}
		if err := ensureCredentials(ctx, tx, workerID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE credentials SET totp_secret = $2, totp_enrolled_at = $3, totp_last_step = 0,
			updated_at = $3 WHERE worker_id = $1`, workerID, secret, tx.now); err != nil {
			return fmt.Errorf("set totp: %w", err)
		}
		return nil
	})
}

// UseTOTPStep records step as the last accepted one. Returns ECONFLICT
// when step is not after the last accepted step, ENOTFOUND when the worker
// has no credentials. The check and the write are one statement, which
// takes the row lock, so of two replicas accepting one code one wins.
func (s *CredentialService) UseTOTPStep(ctx context.Context, workerID string, step int64) error {
	return s.db.update(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE credentials SET totp_last_step = $2 WHERE worker_id = $1 AND totp_last_step < $2`,
			workerID, step)
		if err != nil {
			return fmt.Errorf("use totp step: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM credentials WHERE worker_id = $1)`, workerID).Scan(&ok); err != nil {
			return fmt.Errorf("find credentials: %w", err)
		} else if !ok {
			return ward.Errorf(ward.ENOTFOUND, "Credentials not found.")
		}
		return ward.Errorf(ward.ECONFLICT, "This code was used already.")
	})
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
	err := s.db.update(ctx, func(tx *Tx) error {
		if err := ensureCredentials(ctx, tx, workerID); err != nil {
			return err
		}
		v.CreatedAt = tx.now
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO webauthn_credentials (id, worker_id, public_key, aaguid, sign_count, transports, name, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, v.ID, workerID, v.PublicKey, blob(v.AAGUID), int64(v.SignCount),
			v.Transports, v.Name, v.CreatedAt)
		b.Queue(`UPDATE credentials SET updated_at = $2 WHERE worker_id = $1`, workerID, tx.now)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("add security key: %w", err)
		}
		return nil
	})
	if err != nil {
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
	return s.db.update(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webauthn_credentials SET sign_count = $3 WHERE id = $1 AND worker_id = $2`,
			blob(credentialID), workerID, int64(count))
		if err != nil {
			return fmt.Errorf("update sign count: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return ward.Errorf(ward.ENOTFOUND, "Security key not found.")
		}
		return nil
	})
}
