package postgres

import (
	"bytes"
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.APITokenService = (*APITokenService)(nil)

// APITokenService stores system tokens in PostgreSQL.
type APITokenService struct {
	db *DB
}

// NewAPITokenService returns an APITokenService backed by db.
func NewAPITokenService(db *DB) *APITokenService {
	return &APITokenService{db: db}
}

const apiTokenColumns = `id, name, kind, COALESCE(vendor_id, ''), token_hash, created_by, created_at, last_used_at, revoked_at`

func scanAPIToken(row pgx.Row) (*ward.APIToken, error) {
	var t ward.APIToken
	if err := row.Scan(&t.ID, &t.Name, &t.Kind, &t.VendorID, &t.TokenHash, &t.CreatedBy, &t.CreatedAt,
		&t.LastUsed, &t.RevokedAt); err != nil {
		return nil, err
	}
	t.CreatedAt, t.LastUsed, t.RevokedAt = t.CreatedAt.UTC(), canon.TimePtr(t.LastUsed), canon.TimePtr(t.RevokedAt)
	return &t, nil
}

// FindAPITokenByHash returns the unrevoked token with the hash, or
// ENOTFOUND.
func (s *APITokenService) FindAPITokenByHash(ctx context.Context, hash []byte) (*ward.APIToken, error) {
	var t *ward.APIToken
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		t, err = scanAPIToken(tx.QueryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens
			WHERE token_hash = $1 AND revoked_at IS NULL`, blob(hash)))
		if notFound(err) {
			return ward.Errorf(ward.ENOTFOUND, "Token not found.")
		} else if err != nil {
			return fmt.Errorf("find token: %w", err)
		}
		return nil
	})
	return t, err
}

// FindAPITokens returns matching tokens, revoked ones included, ordered by
// ID, and the total count. Returns EINVALID for a bad page.
func (s *APITokenService) FindAPITokens(ctx context.Context, filter ward.APITokenFilter) ([]*ward.APIToken, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "kind", filter.Kind)
	eqOptional(&q, "vendor_id", filter.VendorID)
	var list []*ward.APIToken
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "api_tokens", apiTokenColumns, &q, "id", filter.Page, scanAPIToken)
		return err
	})
	return list, total, err
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
	err := s.db.update(ctx, func(tx *Tx) error {
		if c.VendorID != "" {
			if ok, err := tx.exists(ctx, "vendors", c.VendorID); err != nil {
				return err
			} else if !ok {
				return ward.FieldErrorf("vendor_id", "Vendor %s does not exist.", c.VendorID)
			}
		}
		c.ID = ward.NewID(ward.PrefixAPIToken, tx.now)
		c.CreatedAt, c.CreatedBy = tx.now, ward.Actor(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, name, kind, vendor_id, token_hash, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, c.Name, c.Kind, nullString(c.VendorID), c.TokenHash, c.CreatedBy, c.CreatedAt); err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*t = c
	return nil
}

// RevokeAPIToken revokes the token now, keeping the first revocation.
// Returns ENOTFOUND.
func (s *APITokenService) RevokeAPIToken(ctx context.Context, id string) (*ward.APIToken, error) {
	var t *ward.APIToken
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		t, err = scanAPIToken(tx.QueryRow(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1
			RETURNING `+apiTokenColumns, id, tx.now))
		if notFound(err) {
			return ward.Errorf(ward.ENOTFOUND, "Token not found.")
		} else if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
