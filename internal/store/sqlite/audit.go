package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// AppendAudit appends e if its Seq follows the last one; see fraud.AuditStore. Triggers in
// the schema refuse any UPDATE or DELETE of the audit_log table, whoever issues it.
func (s *Store) AppendAudit(ctx context.Context, e fraud.AuditEntry) error {
	switch {
	case e.Seq == 0 || e.Seq > math.MaxInt64:
		return invalid("audit sequence number out of range")
	case e.Time.IsZero() || !representable(e.Time):
		return invalid("audit time missing or out of range")
	case e.Action == "":
		return invalid("audit action is required")
	}
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: appenders are serialised
	if err != nil {
		return fmt.Errorf("sqlite store: append audit: %w", err)
	}
	defer tx.Rollback()
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM audit_log").Scan(&last); err != nil {
		return fmt.Errorf("sqlite store: append audit: %w", err)
	}
	if uint64(last)+1 != e.Seq {
		return fmt.Errorf("audit entry %d does not follow %d: %w", e.Seq, last, fraud.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, actor, action, target,
		details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		int64(e.Seq), e.Time.UnixNano(), e.Actor, e.Action, e.Target, e.Details,
		nonNil(e.PrevHash), nonNil(e.Hash)); err != nil {
		return fmt.Errorf("sqlite store: append audit: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: append audit: %w", err)
	}
	return nil
}

// nonNil stores a nil hash as an empty BLOB (the column is NOT NULL).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

const auditColumns = "seq, at, actor, action, target, details, prev_hash, hash"

func scanAudit(row scanner) (fraud.AuditEntry, error) {
	var (
		e   fraud.AuditEntry
		seq int64
		at  sql.NullInt64
	)
	err := row.Scan(&seq, &at, &e.Actor, &e.Action, &e.Target, &e.Details, &e.PrevHash, &e.Hash)
	e.Seq, e.Time = uint64(seq), fromNanos(at)
	return e, err
}

// LastAudit returns the newest audit entry, or an error wrapping fraud.ErrNotFound.
func (s *Store) LastAudit(ctx context.Context) (*fraud.AuditEntry, error) {
	e, err := scanAudit(s.db.QueryRowContext(ctx, "SELECT "+auditColumns+" FROM audit_log ORDER BY seq DESC LIMIT 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("audit log is empty: %w", fraud.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite store: last audit: %w", err)
	}
	return &e, nil
}

// auditScanPage is how many entries ScanAudit reads per query, so that fn never runs while
// a read transaction is held open for the whole log.
const auditScanPage = 500

// ScanAudit calls fn with every entry from fromSeq on, in order; see fraud.AuditStore.
func (s *Store) ScanAudit(ctx context.Context, fromSeq uint64, fn func(fraud.AuditEntry) error) error {
	if fromSeq > math.MaxInt64 {
		return nil
	}
	next := int64(fromSeq)
	for {
		rows, err := s.db.QueryContext(ctx, "SELECT "+auditColumns+
			" FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?", next, auditScanPage)
		if err != nil {
			return fmt.Errorf("sqlite store: scan audit: %w", err)
		}
		var page []fraud.AuditEntry
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("sqlite store: scan audit: %w", err)
			}
			page = append(page, e)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("sqlite store: scan audit: %w", err)
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < auditScanPage {
			return nil
		}
		next = int64(page[len(page)-1].Seq) + 1
	}
}
