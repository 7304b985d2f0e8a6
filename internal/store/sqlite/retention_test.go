package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/fraud/storetest"
)

// saveAt stores a fixture decision made at at, for transaction "tx-"+id.
func saveAt(t testing.TB, s *Store, id string, at time.Time) {
	t.Helper()
	tx := storetest.Transaction("tx-"+id, "c-"+strconv.Itoa(len(id)), at)
	if err := s.SaveDecision(ctx, tx, storetest.Decision("dec-"+id, tx.ID, fraud.Approve, at)); err != nil {
		t.Fatal(err)
	}
}

// countDecisions returns the number of stored decisions.
func countDecisions(t testing.TB, s *Store) int {
	t.Helper()
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM decisions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPurgeLetsDecisionsThrough checks that a purge deletes in batches between which
// decisions are stored: each pause between two batches stores one (it would wait for the
// purge to end, and past the busy timeout fail, if the purge held the write lock), and the
// purge still removes exactly the old transactions. A purge that ends early (its context
// cancelled) reports what it removed and the next one removes the rest.
func TestPurgeLetsDecisionsThrough(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "vigil.db"))
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const olds = 3*purgeBatch + 7
	var wg sync.WaitGroup
	for i := range olds {
		wg.Go(func() { saveAt(t, s, "old-"+strconv.Itoa(i), old.Add(time.Duration(i)*time.Second)) })
	}
	wg.Wait()
	recent := old.Add(30 * 24 * time.Hour)
	pauses := 0
	s.purgePause = func() {
		pauses++
		saveAt(t, s, "during-"+strconv.Itoa(pauses), recent)
	}
	n, err := s.Purge(ctx, old.Add(24*time.Hour))
	if err != nil || n != olds {
		t.Fatalf("Purge: %d, %v; want %d", n, err, olds)
	}
	if pauses != 3 {
		t.Fatalf("%d pauses between batches, want 3: the purge did not run in batches", pauses)
	}
	if got := countDecisions(t, s); got != pauses {
		t.Fatalf("%d decisions left, want the %d stored during the purge", got, pauses)
	}

	t.Run("cancelled", func(t *testing.T) {
		for i := range olds {
			saveAt(t, s, "again-"+strconv.Itoa(i), old.Add(time.Duration(i)*time.Second))
		}
		cctx, cancel := context.WithCancel(ctx)
		s.purgePause = cancel
		n, err := s.Purge(cctx, old.Add(24*time.Hour))
		if !errors.Is(err, context.Canceled) || n != purgeBatch {
			t.Fatalf("cancelled Purge: %d, %v; want %d, context.Canceled", n, err, purgeBatch)
		}
		s.purgePause = nil
		if n, err = s.Purge(ctx, old.Add(24*time.Hour)); err != nil || n != olds-purgeBatch {
			t.Fatalf("next Purge: %d, %v; want %d", n, err, olds-purgeBatch)
		}
	})
}

// TestLogStartsOverUnderLoad checks that the write-ahead log stays bounded while decisions
// are written without a pause: SQLite starts it over only when a checkpoint has copied all
// of it before the next commit, which a busy writer never allows by itself. About 8,000
// decisions write ~32,000 log pages (33 MB with 1 KiB pages); with the log started over
// beyond 512 pages, the file stays a fraction of that.
func TestLogStartsOverUnderLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, Options{Path: path, Sealer: testSealer(t), CheckpointEvery: 5 * time.Millisecond,
		walRestartFrames: 512})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var mu sync.Mutex
	largest := int64(0)
	for w := range 32 {
		wg.Go(func() {
			for i := range 250 {
				saveAt(t, s, strconv.Itoa(w)+"-"+strconv.Itoa(i), at)
				if fi, err := os.Stat(path + "-wal"); err == nil {
					mu.Lock()
					largest = max(largest, fi.Size())
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if got := countDecisions(t, s); got != 8000 {
		t.Fatalf("%d decisions stored, want 8000", got)
	}
	if largest > 10<<20 {
		t.Fatalf("the log grew to %d bytes while decisions were written: it never started over", largest)
	}
	t.Logf("largest log: %d bytes", largest)
}

// TestCheckpointerIdles checks that the checkpointer skips its checkpoints while nothing is
// written (waiting longer each time: a wake-up costs ~300 µs of processor time here, 1.5% of
// a core at the default cadence) and checkpoints the next write, copying it into the
// database.
func TestCheckpointerIdles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, Options{Path: path, Sealer: testSealer(t), CheckpointEvery: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// waitRuns waits until the checkpointer has run more than n checkpoints.
	waitRuns := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); s.checkpointRuns.Load() <= n; {
			if time.Now().After(deadline) {
				t.Fatalf("no checkpoint after a write (%d so far)", n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	saveAt(t, s, "first", at)
	waitRuns(0)
	time.Sleep(50 * time.Millisecond) // the first write checkpointed, then 25 ticks at most
	idle := s.checkpointRuns.Load()
	time.Sleep(600 * time.Millisecond) // longer than the longest idle wait
	if n := s.checkpointRuns.Load(); n != idle {
		t.Fatalf("%d checkpoints while nothing was written", n-idle)
	}
	saveAt(t, s, "second", at)
	waitRuns(idle)
	// The write reached the database file: a copy of that file alone, without the log,
	// holds both decisions (once the checkpoint that just started has copied them).
	dir := t.TempDir()
	inFile := func(try int) (int, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, err
		}
		only := filepath.Join(dir, strconv.Itoa(try)+".db")
		if err := os.WriteFile(only, b, 0o600); err != nil {
			return 0, err
		}
		db, err := sql.Open("sqlite", "file:"+only+"?mode=ro")
		if err != nil {
			return 0, err
		}
		defer db.Close()
		var n int
		err = db.QueryRow("SELECT count(*) FROM decisions").Scan(&n)
		return n, err
	}
	for try, deadline := 0, time.Now().Add(10*time.Second); ; try++ {
		n, err := inFile(try)
		if err == nil && n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("decisions in the database file: %d, %v; want 2", n, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
