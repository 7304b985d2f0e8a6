package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"time"
)

// defaultWALRestartFrames is the size of the write-ahead log, in frames (pages), beyond which
// the checkpointer makes sure the log starts over (see checkpointer): 64 MiB with 1 KiB pages.
const defaultWALRestartFrames = 64 << 10

// walSizeLimit is the size the log file is cut back to when it starts over after having
// grown beyond it (journal_size_limit, set on the writer's connection, the one that starts
// it over).
const walSizeLimit = 64 << 20

// checkpointer copies the write-ahead log into the database every Options.CheckpointEvery,
// with PASSIVE checkpoints that never block a writer, until ctx ends. SQLite's own
// automatic checkpoint is off (wal_autocheckpoint=0): it would run inside the commit of
// whichever write crossed the threshold, which is usually the decision writer's, and stall
// every decision of the batch behind a copy of the log (12% of the server's time under
// load, measured). Done on its own connection it overlaps the writer instead.
//
// The log only starts over from its beginning when a writer begins after a checkpoint has
// copied all of it. Under steady load the decision writer commits during every checkpoint,
// so that never happened and the log grew without end (470 MB after 12 s at full speed, and
// every lookup of a page in it slower). So when the log holds more than defaultWALRestartFrames
// after a checkpoint, the checkpointer asks the decision writer to run one more itself
// between two batches (restartLog): it copies only what was committed since, and the
// writer's next commit starts the log over.
func (s *Store) checkpointer(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(s.opts.CheckpointEvery)
	defer t.Stop()
	var synced int64 // the log's frames in the database when it was last fsynced
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		logFrames, copied, err := walCheckpoint(ctx, s.db, "PASSIVE")
		if err == nil && copied != synced {
			// SQLite fsyncs the database only at the end of a checkpoint that copied the
			// whole log, which under steady load none does: the pages copied by every other
			// checkpoint waited in the page cache, and the first complete checkpoint (the
			// writer's, in restartLog, or any after a lull) flushed all of them in one fsync
			// of 40-60 ms with a 64 MiB log, 130-190 ms with a 256 MiB one, while decisions
			// waited. The checkpointer flushes what it copied each time instead, off the
			// decisions' path. Durability does not depend on it: until a complete
			// checkpoint, the log keeps every page. These fsyncs are the price of a bounded
			// log: they share the disk with the log's, and the p99 at half load is higher
			// than with a log that was never reused (docs/PERFORMANCE.md, "Embedded store").
			if err = fsyncFile(s.opts.Path); err == nil {
				synced = copied
			}
		}
		if err != nil && ctx.Err() == nil {
			s.log.Warn("checkpoint failed; the next one retries", logKeyError, err)
		}
		if err == nil && logFrames > s.opts.walRestartFrames {
			s.restartDue.Store(true)
		}
	}
}

// restartLog runs a PASSIVE checkpoint on the writer's connection, between two batches, so
// that it completes with nothing committed after it and the writer's next commit starts the
// log over. The checkpointer has just copied the rest, so this one copies about a batch.
// Holding the writer (Store.bulk) while the checkpointer's own goroutine ran that last
// checkpoint stalled decisions 6-80 ms each time under load, the checkpoint's every system
// call waiting for a processor behind the handlers, and raised the p99 at half load from
// 15-18 ms to 56-59 ms. When it cannot run (another checkpoint holds the log), the next
// tick asks again. Only the writer calls it.
func (s *Store) restartLog() {
	s.restartDue.Store(false)
	if _, _, err := walCheckpoint(context.Background(), s.wconn, "PASSIVE"); err != nil {
		s.log.Warn("checkpoint to start the log over failed; the next one retries", logKeyError, err)
	}
}

// rowQuerier is a *sql.DB or a *sql.Conn.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// walCheckpoint runs a checkpoint of mode (PASSIVE or TRUNCATE) on q, for at most 30 s, and
// returns the number of frames in the log and how many of them are now in the database.
func walCheckpoint(ctx context.Context, q rowQuerier, mode string) (logFrames, copied int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var busy int64
	err = q.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &logFrames, &copied)
	return logFrames, copied, err
}

// fsyncFile fsyncs the file at path, opened anew each time so that it is the file SQLite
// writes now whatever happened to earlier ones; a missing file is an error, never a silent
// success.
func fsyncFile(path string) error {
	f, err := os.Open(path) // #nosec G304 -- the store's own files
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}
