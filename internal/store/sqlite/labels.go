package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// SaveLabel stores l unless an equal label is stored; see fraud.LabelStore.
func (s *Store) SaveLabel(ctx context.Context, l fraud.Label) error {
	if l.TransactionID == "" || l.LabelledAt.IsZero() || !representable(l.LabelledAt) {
		return invalid("label needs a transaction id and a time in range")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite store: save label: %w", err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, "SELECT 1 FROM transactions WHERE id = ?", l.TransactionID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("label: no decision for the transaction: %w", fraud.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite store: save label: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO labels (transaction_id, fraud, source, labelled_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		l.TransactionID, l.Fraud, l.Source, l.LabelledAt.UnixNano()); err != nil {
		return fmt.Errorf("sqlite store: save label: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: save label: %w", err)
	}
	return nil
}

// Labels lists labels in the order they were saved, with keyset pagination on the row
// sequence. The query is assembled from constant fragments; every value is a parameter.
func (s *Store) Labels(ctx context.Context, f fraud.LabelFilter) (fraud.Page[fraud.Label], error) {
	var page fraud.Page[fraud.Label]
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return page, err
	}
	q := newQuery("SELECT seq, transaction_id, fraud, source, labelled_at FROM labels")
	if f.TransactionID != "" {
		q.and("transaction_id = ?", f.TransactionID)
	}
	q.during("labelled_at", f.From, f.To)
	if f.Cursor != "" {
		seq, key, err := decodeCursor(cursorLabels, f.Cursor)
		if err != nil || key != "" {
			return page, invalid("malformed cursor")
		}
		q.and("seq > ?", seq)
	}
	q.then(" ORDER BY seq LIMIT ?")
	return queryPage(ctx, s.db, "labels", q.String(), q.args, limit, func(r *sql.Rows) (fraud.Label, string, error) {
		var (
			l   fraud.Label
			seq int64
			at  sql.NullInt64
		)
		if err := r.Scan(&seq, &l.TransactionID, &l.Fraud, &l.Source, &at); err != nil {
			return l, "", err
		}
		l.LabelledAt = fromNanos(at)
		return l, encodeCursor(cursorLabels, seq, ""), nil
	})
}
