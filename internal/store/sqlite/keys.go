package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// CreateKey stores k; see fraud.KeyStore.
func (s *Store) CreateKey(ctx context.Context, k fraud.APIKey) error {
	switch {
	case k.ID == "" || len(k.Hash) == 0:
		return invalid("key id and hash are required")
	case !k.Role.Valid():
		return invalid("unknown role")
	case k.CreatedAt.IsZero() || !representable(k.CreatedAt) || (!k.ExpiresAt.IsZero() && !representable(k.ExpiresAt)):
		return invalid("key times missing or out of range")
	case !k.RevokedAt.IsZero():
		return invalid("a new key cannot be revoked")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_keys (id, name, hash, role, created_at,
		expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)`,
		k.ID, k.Name, k.Hash, string(k.Role), nanos(k.CreatedAt), nanos(k.ExpiresAt))
	if isConstraint(err) {
		return fmt.Errorf("key with this id or hash exists: %w", fraud.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlite store: create key: %w", err)
	}
	return nil
}

const keyColumns = "id, name, hash, role, created_at, expires_at, revoked_at"

func scanKey(row scanner) (*fraud.APIKey, error) {
	var (
		k                         fraud.APIKey
		role                      string
		created, expires, revoked sql.NullInt64
	)
	if err := row.Scan(&k.ID, &k.Name, &k.Hash, &role, &created, &expires, &revoked); err != nil {
		return nil, err
	}
	k.Role = fraud.Role(role)
	k.CreatedAt, k.ExpiresAt, k.RevokedAt = fromNanos(created), fromNanos(expires), fromNanos(revoked)
	return &k, nil
}

// KeyByHash returns the key with hash; see fraud.KeyStore.
func (s *Store) KeyByHash(ctx context.Context, hash []byte) (*fraud.APIKey, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, "SELECT "+keyColumns+" FROM api_keys WHERE hash = ?", hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("key: %w", fraud.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite store: key: %w", err)
	}
	return k, nil
}

// Keys lists every key by creation time then id.
func (s *Store) Keys(ctx context.Context) ([]fraud.APIKey, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+keyColumns+" FROM api_keys ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("sqlite store: keys: %w", err)
	}
	defer rows.Close()
	var out []fraud.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite store: keys: %w", err)
		}
		out = append(out, *k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: keys: %w", err)
	}
	return out, nil
}

// RevokeKey revokes key id at at, keeping an earlier revocation; see fraud.KeyStore.
func (s *Store) RevokeKey(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() || !representable(at) {
		return invalid("revocation time missing or out of range")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite store: revoke key: %w", err)
	}
	defer tx.Rollback()
	var revoked sql.NullInt64
	err = tx.QueryRowContext(ctx, "SELECT revoked_at FROM api_keys WHERE id = ?", id).Scan(&revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("key: %w", fraud.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite store: revoke key: %w", err)
	}
	if revoked.Valid {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE api_keys SET revoked_at = ? WHERE id = ?", at.UnixNano(), id); err != nil {
		return fmt.Errorf("sqlite store: revoke key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: revoke key: %w", err)
	}
	return nil
}
