package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

const adCaseNote = "cases.sealed_note"

// OpenCase opens a case on a stored decision; see fraud.CaseStore.
func (s *Store) OpenCase(ctx context.Context, c fraud.Case) error {
	if c.ID == "" || c.DecisionID == "" || c.OpenedAt.IsZero() || !representable(c.OpenedAt) {
		return invalid("case needs an id, a decision id and an opening time in range")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite store: open case: %w", err)
	}
	defer tx.Rollback()
	var txID string
	err = tx.QueryRowContext(ctx, "SELECT transaction_id FROM decisions WHERE id = ?", c.DecisionID).Scan(&txID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("case: decision: %w", fraud.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite store: open case: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO cases (id, decision_id, transaction_id, status,
		assignee, resolution, sealed_note, opened_at, updated_at) VALUES (?, ?, ?, ?, '', '', ?, ?, ?)`,
		c.ID, c.DecisionID, txID, string(fraud.CaseOpen), s.sealer.Seal(nil, ad(adCaseNote, c.ID)),
		c.OpenedAt.UnixNano(), c.OpenedAt.UnixNano())
	if isConstraint(err) {
		return fmt.Errorf("case with this id or for this decision exists: %w", fraud.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlite store: open case: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: open case: %w", err)
	}
	return nil
}

const caseColumns = `id, decision_id, transaction_id, status, assignee, resolution, sealed_note,
	opened_at, updated_at`

func (s *Store) scanCase(row scanner) (*fraud.Case, error) {
	var (
		c                  fraud.Case
		status, resolution string
		note               []byte
		opened, updated    sql.NullInt64
	)
	if err := row.Scan(&c.ID, &c.DecisionID, &c.TransactionID, &status, &c.Assignee, &resolution,
		&note, &opened, &updated); err != nil {
		return nil, err
	}
	c.Status, c.Resolution = fraud.CaseStatus(status), fraud.Outcome(resolution)
	c.OpenedAt, c.UpdatedAt = fromNanos(opened), fromNanos(updated)
	plain, err := s.sealer.Open(note, ad(adCaseNote, c.ID))
	if err != nil {
		return nil, fmt.Errorf("case note: %w", err)
	}
	c.Note = string(plain)
	return &c, nil
}

// Case returns the case with id, or an error wrapping fraud.ErrNotFound.
func (s *Store) Case(ctx context.Context, id string) (*fraud.Case, error) {
	c, err := s.scanCase(s.db.QueryRowContext(ctx, "SELECT "+caseColumns+" FROM cases WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("case: %w", fraud.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite store: case: %w", err)
	}
	return c, nil
}

// caseStatus reads a case's status inside tx, mapping a missing case to ErrNotFound.
func caseStatus(ctx context.Context, tx *sql.Tx, id string) (fraud.CaseStatus, error) {
	var status string
	err := tx.QueryRowContext(ctx, "SELECT status FROM cases WHERE id = ?", id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("case: %w", fraud.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("sqlite store: case: %w", err)
	}
	return fraud.CaseStatus(status), nil
}

// AssignCase gives an unresolved case to assignee; see fraud.CaseStore.
func (s *Store) AssignCase(ctx context.Context, id, assignee string, at time.Time) error {
	if assignee == "" || at.IsZero() || !representable(at) {
		return invalid("assignment needs an assignee and a time in range")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite store: assign case: %w", err)
	}
	defer tx.Rollback()
	status, err := caseStatus(ctx, tx, id)
	if err != nil {
		return err
	}
	if status == fraud.CaseResolved {
		return fmt.Errorf("case is resolved: %w", fraud.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE cases SET status = ?, assignee = ?, updated_at = ? WHERE id = ?",
		string(fraud.CaseAssigned), assignee, at.UnixNano(), id); err != nil {
		return fmt.Errorf("sqlite store: assign case: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: assign case: %w", err)
	}
	return nil
}

// ResolveCase closes an unresolved case; see fraud.CaseStore.
func (s *Store) ResolveCase(ctx context.Context, id string, resolution fraud.Outcome, note string, at time.Time) error {
	if (resolution != fraud.Approve && resolution != fraud.Decline) || at.IsZero() || !representable(at) {
		return invalid("resolution must be approve or decline, at a time in range")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite store: resolve case: %w", err)
	}
	defer tx.Rollback()
	status, err := caseStatus(ctx, tx, id)
	if err != nil {
		return err
	}
	if status == fraud.CaseResolved {
		return fmt.Errorf("case is already resolved: %w", fraud.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = ?, resolution = ?, sealed_note = ?,
		updated_at = ? WHERE id = ?`, string(fraud.CaseResolved), string(resolution),
		s.sealer.Seal([]byte(note), ad(adCaseNote, id)), at.UnixNano(), id); err != nil {
		return fmt.Errorf("sqlite store: resolve case: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: resolve case: %w", err)
	}
	return nil
}

// Cases lists cases oldest opened first, with keyset pagination on (opened_at, id).
func (s *Store) Cases(ctx context.Context, f fraud.CaseFilter) (fraud.Page[fraud.Case], error) {
	var page fraud.Page[fraud.Case]
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return page, err
	}
	q := newQuery("SELECT " + caseColumns + " FROM cases")
	if f.Status != "" {
		q.and("status = ?", string(f.Status))
	}
	if f.Assignee != "" {
		q.and("assignee = ?", f.Assignee)
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(cursorCases, f.Cursor)
		if err != nil {
			return page, err
		}
		q.and("(opened_at > ? OR (opened_at = ? AND id > ?))", at, at, id)
	}
	q.then(" ORDER BY opened_at, id LIMIT ?")
	return queryPage(ctx, s.db, "cases", q.String(), q.args, limit, func(r *sql.Rows) (fraud.Case, string, error) {
		c, err := s.scanCase(r)
		if err != nil {
			return fraud.Case{}, "", err
		}
		return *c, encodeCursor(cursorCases, c.OpenedAt.UnixNano(), c.ID), nil
	})
}
