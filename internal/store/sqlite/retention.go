package sqlite

import (
	"context"
	"fmt"
	"time"
)

// Purge removes transactions whose decision is older than olderThan, with everything that
// hangs off them (decisions, labels, cases, by ON DELETE CASCADE); see fraud.Retention.
func (s *Store) Purge(ctx context.Context, olderThan time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM transactions WHERE seq IN
		(SELECT tx_seq FROM decisions WHERE created_at < ?)`, clampNanos(olderThan))
	if err != nil {
		return 0, fmt.Errorf("sqlite store: purge: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite store: purge: %w", err)
	}
	if n > 0 {
		s.checkpoint(ctx)
	}
	return n, nil
}

// EraseCustomer removes every transaction of customerID with everything that hangs off
// them; see fraud.Retention.
func (s *Store) EraseCustomer(ctx context.Context, customerID string) (int64, error) {
	if customerID == "" {
		return 0, invalid("customer id is required")
	}
	res, err := s.db.ExecContext(ctx, "DELETE FROM transactions WHERE customer_id = ?", customerID)
	if err != nil {
		return 0, fmt.Errorf("sqlite store: erase customer: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite store: erase customer: %w", err)
	}
	if n > 0 {
		s.checkpoint(ctx)
	}
	return n, nil
}

// checkpoint copies the log into the database and truncates it, so the pre-deletion pages
// do not linger in the -wal file. It is best effort: readers in progress can keep the log
// from being truncated, and the next checkpoint finishes the job.
func (s *Store) checkpoint(ctx context.Context) {
	if _, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		s.log.Warn("checkpoint after deletion failed", logKeyError, err)
	}
}
