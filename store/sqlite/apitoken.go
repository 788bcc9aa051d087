package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"

	"github.com/wardhq/ward"
)

var _ ward.APITokenService = (*APITokenService)(nil)

// APITokenService implements ward.APITokenService on SQLite.
type APITokenService struct {
	db *DB
}

// NewAPITokenService returns an APITokenService backed by db.
func NewAPITokenService(db *DB) *APITokenService {
	return &APITokenService{db: db}
}

const apiTokenCols = `id, name, kind, vendor_id, token_hash, created_by, created_at, last_used_at, revoked_at`

func scanAPIToken(s scanner) (*ward.APIToken, error) {
	var t ward.APIToken
	if err := s.Scan(&t.ID, &t.Name, &t.Kind, refDest{&t.VendorID}, &t.TokenHash, &t.CreatedBy,
		timeDest{&t.CreatedAt}, timePtrDest{&t.LastUsed}, timePtrDest{&t.RevokedAt}); err != nil {
		return nil, err
	}
	return &t, nil
}

// FindAPITokenByHash returns the unrevoked token with the hash, or
// ENOTFOUND.
func (s *APITokenService) FindAPITokenByHash(ctx context.Context, hash []byte) (*ward.APIToken, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// A nil hash binds as NULL, which matches nothing.
	t, err := scanAPIToken(tx.QueryRowContext(ctx, `SELECT `+apiTokenCols+` FROM api_tokens
		WHERE token_hash = ? AND revoked_at IS NULL`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Token not found.")
	}
	return t, err
}

// FindAPITokens returns matching tokens, revoked ones included, ordered by
// ID, and the total count.
func (s *APITokenService) FindAPITokens(ctx context.Context, filter ward.APITokenFilter) ([]*ward.APIToken, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "kind", filter.Kind)
	eqRef(&w, "vendor_id", filter.VendorID)
	return find(ctx, tx, apiTokenCols, "api_tokens", &w, "id", filter.Page, scanAPIToken)
}

// CreateAPIToken sets ID, CreatedAt and CreatedBy (the context's
// principal). Returns EINVALID (naming vendor_id when the vendor does not
// exist) or ECONFLICT naming token_hash when the hash exists.
func (s *APITokenService) CreateAPIToken(ctx context.Context, t *ward.APIToken) error {
	c := *t
	c.TokenHash = bytes.Clone(c.TokenHash)
	c.LastUsed, c.RevokedAt = nil, nil
	if err := c.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.checkRef(ctx, "vendor_id", "vendors", "Vendor", c.VendorID); err != nil {
		return err
	}
	c.ID = ward.NewID(ward.PrefixAPIToken, tx.now)
	c.CreatedAt, c.CreatedBy = tx.now, ward.Actor(ctx)
	if _, err := tx.exec(ctx, `INSERT INTO api_tokens (`+apiTokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
		c.ID, c.Name, c.Kind, nullString(c.VendorID), c.TokenHash, c.CreatedBy, formatTime(c.CreatedAt)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*t = c
	return nil
}

// RevokeAPIToken revokes the token now, keeping the first revocation.
// Returns ENOTFOUND.
func (s *APITokenService) RevokeAPIToken(ctx context.Context, id string) (*ward.APIToken, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := findOne(ctx, tx, apiTokenCols, "api_tokens", id, scanAPIToken, "Token not found.")
	if err != nil {
		return nil, err
	}
	if t.RevokedAt != nil {
		return t, nil
	}
	now := tx.now
	t.RevokedAt = &now
	if _, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, formatTime(now), id); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return t, nil
}
