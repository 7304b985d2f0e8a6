package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
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

// committed is a batch whose transaction has committed but may not be on stable storage
// yet: the syncer answers its requests once it is.
type committed struct {
	batch   []*saveRequest
	results []error
}

// writer is the single goroutine that writes decisions, one batch per transaction, until
// the queue is closed and drained. It commits on its own connection, which does not fsync
// (synchronous=NORMAL), and hands each committed batch to the syncer; while the syncer
// waits for the disk, the writer already writes the next batch.
func (s *Store) writer() {
	defer close(s.synced)
	for {
		first, ok := <-s.queue
		if !ok {
			return
		}
		batch := make([]*saveRequest, 1, s.opts.MaxBatch)
		batch[0] = first
		batch = s.gather(batch)
		s.commit(batch)
		if s.restartDue.Load() {
			s.restartLog()
		}
	}
}

// syncer makes committed batches durable and answers their requests: it fsyncs the
// write-ahead log once for every batch committed since its last fsync, then answers each
// request with its result. An fsync that fails leaves the store failed (see Store.failed).
func (s *Store) syncer() {
	defer close(s.done)
	var pending []committed
	for c := range s.synced {
		pending = append(pending[:0], c)
	more:
		for {
			select {
			case c, ok := <-s.synced:
				if !ok {
					break more
				}
				pending = append(pending, c)
			default:
				break more
			}
		}
		// The write-ahead log holds every commit until a checkpoint has copied it into the
		// database; the writer's connection stays open for the store's life, so the log
		// exists after its first commit.
		err := fsyncFile(s.opts.Path + "-wal")
		if err != nil {
			err = fmt.Errorf("sqlite store: fsync of the write-ahead log failed, the store takes no more decisions: %w", err)
			s.fail(err)
			s.log.Error("decisions not known to be durable", logKeyError, err)
		} else if failed := s.failed.Load(); failed != nil {
			// An earlier fsync failed: the log may have lost pages before these, and
			// recovery stops at the first gap, so nothing committed since is known durable
			// whatever this fsync says.
			err = *failed
		}
		for _, c := range pending {
			for i, r := range c.batch {
				res := c.results[i]
				if err != nil && res == nil {
					res = err
				}
				r.result <- res
			}
		}
		clear(pending)
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

// commit writes batch in one transaction and hands it to the syncer, which answers every
// request once the commit is durable; a batch that fails to commit is answered at once.
func (s *Store) commit(batch []*saveRequest) {
	// The batch belongs to many callers: one caller's cancelled context must not abort the
	// others' transaction, so the writer uses its own.
	ctx := context.Background()
	results := make([]error, len(batch))
	s.bulk.Lock()
	err := s.writeBatch(ctx, batch, results, false)
	if errors.Is(err, errItemFailed) {
		// A statement failed in a way the fast path cannot undo for one request alone: write
		// the batch again, each request under its own savepoint.
		clear(results)
		err = s.writeBatch(ctx, batch, results, true)
	}
	s.bulk.Unlock()
	if err == nil {
		s.synced <- committed{batch: batch, results: results}
		return
	}
	for i, r := range batch {
		if results[i] == nil {
			results[i] = err
		}
		r.result <- results[i]
	}
	s.log.Error("decision batch not committed", logKeyBatch, len(batch), logKeyError, err)
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
	tx, err := s.wconn.BeginTx(ctx, nil)
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) {
		// The writer's connection is gone: take a new one (only the writer uses it).
		c, cerr := writerConn(ctx, s.db)
		if cerr != nil {
			return errors.Join(err, cerr)
		}
		s.wconn.Close()
		s.wconn = c
		tx, err = s.wconn.BeginTx(ctx, nil)
	}
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
