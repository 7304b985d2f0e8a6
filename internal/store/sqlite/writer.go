package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// saveRequest is one SaveDecision waiting for the writer: the arguments of its two INSERTs,
// already sealed, and where to send its result.
type saveRequest struct {
	ctx     context.Context
	txArgs  []any
	decArgs []any
	result  chan error // buffered: the writer never blocks on a caller that gave up
}

// writer is the single goroutine that writes decisions, one batch per transaction, until
// the queue is closed and drained.
func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*saveRequest, 0, s.opts.MaxBatch)
	for {
		first, ok := <-s.queue
		if !ok {
			return
		}
		batch = append(batch[:0], first)
		batch = s.gather(batch)
		s.commit(batch)
		clear(batch)
	}
}

// gather adds to batch what is queued, up to MaxBatch, waiting up to MaxDelay for more.
func (s *Store) gather(batch []*saveRequest) []*saveRequest {
	var deadline <-chan time.Time
	if s.opts.MaxDelay > 0 {
		t := time.NewTimer(s.opts.MaxDelay)
		defer t.Stop()
		deadline = t.C
	}
	for len(batch) < s.opts.MaxBatch {
		if deadline == nil {
			select {
			case r, ok := <-s.queue:
				if !ok {
					return batch
				}
				batch = append(batch, r)
			default:
				return batch
			}
			continue
		}
		select {
		case r, ok := <-s.queue:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		case <-deadline:
			return batch
		}
	}
	return batch
}

// commit writes batch in one transaction and sends every request its result once the
// commit is durable (or has failed).
func (s *Store) commit(batch []*saveRequest) {
	// The batch belongs to many callers: one caller's cancelled context must not abort the
	// others' transaction, so the writer uses its own.
	ctx := context.Background()
	results := make([]error, len(batch))
	err := s.writeBatch(ctx, batch, results, false)
	if errors.Is(err, errItemFailed) {
		// A statement failed in a way the fast path cannot undo for one request alone: write
		// the batch again, each request under its own savepoint.
		clear(results)
		err = s.writeBatch(ctx, batch, results, true)
	}
	for i, r := range batch {
		if err != nil && results[i] == nil {
			results[i] = err
		}
		r.result <- results[i]
	}
	if err != nil {
		s.log.Error("decision batch not committed", logKeyBatch, len(batch), logKeyError, err)
	}
}

// errItemFailed says that the fast path met an error it cannot isolate to one request.
var errItemFailed = errors.New("sqlite store: a decision of the batch failed")

// writeBatch fills results with each request's own failure (nil when it was written) and
// returns the failure of the whole transaction, if any.
//
// Duplicates are the expected per-request failure, and they cost no savepoint: both INSERTs
// say ON CONFLICT DO NOTHING, so a transaction id already stored inserts no row (nothing to
// undo), and a decision id already stored leaves only the new transaction row, deleted again
// at once. Savepoints (three more statements per request, a third of the writer's time)
// are used only when savepoints is true: after the fast path met any other error, it
// returns errItemFailed and the batch is written again with them, so that error reaches
// its own caller alone.
func (s *Store) writeBatch(ctx context.Context, batch []*saveRequest, results []error, savepoints bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite store: begin: %w", err)
	}
	defer tx.Rollback()
	insTx, insDec := tx.StmtContext(ctx, s.saveTx), tx.StmtContext(ctx, s.saveDecision)
	delTx := tx.StmtContext(ctx, s.deleteTx)
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err // the caller gave up before its turn: write nothing
			continue
		}
		if savepoints {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT decision"); err != nil {
				return fmt.Errorf("sqlite store: savepoint: %w", err)
			}
		}
		conflict, err := saveOne(ctx, insTx, insDec, delTx, r)
		switch {
		case err != nil && !savepoints:
			return errItemFailed
		case err != nil:
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO decision"); rerr != nil {
				return fmt.Errorf("sqlite store: rollback to savepoint: %w", rerr)
			}
			results[i] = fmt.Errorf("sqlite store: save decision: %w", err)
		case conflict:
			results[i] = fmt.Errorf("decision for transaction already stored: %w", fraud.ErrConflict)
		}
		if savepoints {
			if _, err := tx.ExecContext(ctx, "RELEASE decision"); err != nil {
				return fmt.Errorf("sqlite store: release savepoint: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: commit: %w", err)
	}
	return nil
}

// saveOne inserts one request's transaction and decision. conflict is true when the
// transaction id or the decision id was already stored; then nothing of r remains written.
func saveOne(ctx context.Context, insTx, insDec, delTx *sql.Stmt, r *saveRequest) (conflict bool, err error) {
	res, err := insTx.ExecContext(ctx, r.txArgs...)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err == nil, err
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return false, err
	}
	r.decArgs[0] = seq
	res, err = insDec.ExecContext(ctx, r.decArgs...)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return false, err
	}
	// The decision id is taken: take back the transaction row inserted a moment ago.
	if _, err := delTx.ExecContext(ctx, r.txArgs[0]); err != nil {
		return false, err
	}
	return true, nil
}
