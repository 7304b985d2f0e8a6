package sqlite

import (
	"context"
	"time"
)

// checkpointer copies the write-ahead log into the database every Options.CheckpointEvery,
// with PASSIVE checkpoints that never block a writer, until ctx ends. SQLite's own
// automatic checkpoint is off (wal_autocheckpoint=0): it would run inside the commit of
// whichever write crossed the threshold, which is usually the decision writer's, and stall
// every decision of the batch behind a copy of the log (12% of the server's time under
// load, measured). Done on its own connection it overlaps the writer instead.
func (s *Store) checkpointer(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(s.opts.CheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		var busy, logFrames, done int64
		err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Warn("checkpoint failed; the next one retries", logKeyError, err)
		}
	}
}
