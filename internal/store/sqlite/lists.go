package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// PutList replaces a list's items if its version is l.Version; see fraud.ListStore.
func (s *Store) PutList(ctx context.Context, l fraud.List) (int64, error) {
	if l.Name == "" || l.UpdatedAt.IsZero() || !representable(l.UpdatedAt) || l.Version < 0 {
		return 0, invalid("list needs a name, a version >= 0 and an update time in range")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite store: put list: %w", err)
	}
	defer tx.Rollback()
	var stored int64
	err = tx.QueryRowContext(ctx, "SELECT version FROM lists WHERE name = ?", l.Name).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlite store: put list: %w", err)
	}
	if stored != l.Version {
		return 0, fmt.Errorf("list is at version %d, not %d: %w", stored, l.Version, fraud.ErrConflict)
	}
	next := stored + 1
	if _, err := tx.ExecContext(ctx, `INSERT INTO lists (name, version, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
		l.Name, next, l.UpdatedAt.UnixNano()); err != nil {
		return 0, fmt.Errorf("sqlite store: put list: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM list_items WHERE list = ?", l.Name); err != nil {
		return 0, fmt.Errorf("sqlite store: put list: %w", err)
	}
	for _, item := range l.Items {
		if _, err := tx.ExecContext(ctx, "INSERT INTO list_items (list, item) VALUES (?, ?) ON CONFLICT DO NOTHING",
			l.Name, item); err != nil {
			return 0, fmt.Errorf("sqlite store: put list: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite store: put list: %w", err)
	}
	return next, nil
}

// List returns the list named name with its items sorted, or an error wrapping
// fraud.ErrNotFound.
func (s *Store) List(ctx context.Context, name string) (*fraud.List, error) {
	// One read transaction, so the header and the items are of the same version.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: list: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return nil, fmt.Errorf("sqlite store: list: %w", err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	l := fraud.List{Name: name}
	var updated sql.NullInt64
	err = conn.QueryRowContext(ctx, "SELECT version, updated_at FROM lists WHERE name = ?", name).Scan(&l.Version, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list: %w", fraud.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite store: list: %w", err)
	}
	l.UpdatedAt = fromNanos(updated)
	rows, err := conn.QueryContext(ctx, "SELECT item FROM list_items WHERE list = ? ORDER BY item", name)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var item string
		if err := rows.Scan(&item); err != nil {
			return nil, fmt.Errorf("sqlite store: list: %w", err)
		}
		l.Items = append(l.Items, item)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: list: %w", err)
	}
	return &l, nil
}

// Lists returns every list by name, without items.
func (s *Store) Lists(ctx context.Context) ([]fraud.List, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT name, version, updated_at FROM lists ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("sqlite store: lists: %w", err)
	}
	defer rows.Close()
	var out []fraud.List
	for rows.Next() {
		var (
			l       fraud.List
			updated sql.NullInt64
		)
		if err := rows.Scan(&l.Name, &l.Version, &updated); err != nil {
			return nil, fmt.Errorf("sqlite store: lists: %w", err)
		}
		l.UpdatedAt = fromNanos(updated)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: lists: %w", err)
	}
	return out, nil
}
