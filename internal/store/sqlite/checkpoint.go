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

// defaultCheckpointEvery is how often the checkpointer runs unless Options say otherwise.
// Each run copies what the log gained since the last and fsyncs the database, and while that
// fsync flushes the copied pages the log's own fsyncs wait behind it on the disk: at 250 ms,
// under 4,000 decisions/s, a run copied for 9-10 ms and fsynced for 6-7 ms (p50; up to 17 ms),
// and 38-64% of the slowest 1% of decisions had waited through such an fsync, against 4-5%
// of all decisions. Every 20 ms a run copies and fsyncs for about 1.5 ms each, and the p99 of
// /v1/score at 4,000/s on a filled store fell from 13.6-17.9 ms to 6.7-10.1 ms (eight
// alternating runs each); at full speed, copying the same hot pages more often costs 7% of
// throughput on average (2-17% per run). Every 10 ms was erratic (p99 6.7-34.9 ms).
// docs/PERFORMANCE.md, "Embedded store".
const defaultCheckpointEvery = 20 * time.Millisecond

// truncateRetryEvery is how often the checkpointer tries a pending truncation of the log
// (Store.truncateDue): each try may hold the decision writer for up to truncateWait.
const truncateRetryEvery = time.Second

// idleCheckpointEvery is the longest the checkpointer waits while nothing is written.
const idleCheckpointEvery = 250 * time.Millisecond

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
	every := s.opts.CheckpointEvery
	wait := every
	t := time.NewTimer(wait)
	defer t.Stop()
	var (
		synced       int64     // the log's frames in the database when it was last fsynced
		idle         walMark   // the log file when a checkpoint last copied all of it; zero: none did
		lastTruncate time.Time // the last try at a pending truncation (truncateDue)
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.truncateDue.Load() && time.Since(lastTruncate) >= truncateRetryEvery {
			// A purge or an erasure could not cut the log: its deleted pages may linger.
			lastTruncate = time.Now()
			s.truncateLog(ctx)
		}
		// With nothing written since a checkpoint that copied the whole log there is nothing
		// to do, and the checkpointer waits longer each time, up to idleCheckpointEvery: on
		// this machine every wake-up of an otherwise idle Go process costs ~300 µs of
		// processor time, 1.5% of a core at 20 ms. The first write seen brings the cadence
		// back.
		mark, markErr := markWAL(s.opts.Path + "-wal")
		if markErr == nil && mark == idle {
			wait = min(2*wait, max(every, idleCheckpointEvery))
			t.Reset(wait)
			continue
		}
		wait = every
		s.checkpointRuns.Add(1)
		logFrames, copied, err := walCheckpoint(ctx, s.db, "PASSIVE")
		idle = walMark{}
		if err == nil && markErr == nil && copied == logFrames {
			idle = mark
		}
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
		t.Reset(wait)
	}
}

// walMark is what a stat of the log file tells of whether it was written: its size and
// modification time. Any commit changes one of them, except in the rare case where a write
// lands within the file system's timestamp granularity of the stat and does not grow the
// file: then its pages wait in the log (where they are durable already) for the next write's
// checkpoint.
type walMark struct {
	size, modified int64
}

func markWAL(path string) (walMark, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return walMark{}, err
	}
	return walMark{size: fi.Size(), modified: fi.ModTime().UnixNano()}, nil
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
// A TRUNCATE that could not finish (a reader's snapshot or another checkpoint in the way:
// SQLite says so without an error) fails with errCheckpointBusy.
func walCheckpoint(ctx context.Context, q rowQuerier, mode string) (logFrames, copied int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var busy int64
	err = q.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &logFrames, &copied)
	if err == nil && busy != 0 && mode == "TRUNCATE" {
		err = errCheckpointBusy
	}
	return logFrames, copied, err
}

// errCheckpointBusy: a TRUNCATE checkpoint could not copy and cut the whole log.
var errCheckpointBusy = errors.New("sqlite store: the write-ahead log could not be truncated yet (readers or a checkpoint in the way)")

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
