package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/fraud/storetest"
	"github.com/vigil-fraud/vigil/internal/seal"
)

var ctx = context.Background()

func testSealer(t testing.TB) *seal.Sealer {
	t.Helper()
	s, err := seal.New(bytes.Repeat([]byte{0x5a}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// open opens a store at path and closes it when the test ends.
func open(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(ctx, Options{Path: path, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		s := open(t, filepath.Join(t.TempDir(), "vigil.db"))
		return storetest.Stores{Decisions: s, Labels: s, Keys: s, Audit: s, Cases: s, Lists: s, Retention: s}
	})
}

func TestOpenRefusesBadOptions(t *testing.T) {
	dir := t.TempDir()
	for name, o := range map[string]Options{
		"no path":   {Sealer: testSealer(t)},
		"no sealer": {Path: filepath.Join(dir, "a.db")},
		"query":     {Path: filepath.Join(dir, "a.db?mode=memory"), Sealer: testSealer(t)},
	} {
		if _, err := Open(ctx, o); !errors.Is(err, fraud.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

// saveFixture stores the suite's fixture transaction and decision "tx-"+id / "dec-"+id.
func saveFixture(t testing.TB, s *Store, id string) {
	t.Helper()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at),
		storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, at)); err != nil {
		t.Fatal(err)
	}
}

func TestMalformedCursorInvalid(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "vigil.db"))
	for _, c := range []string{"c1.", "c1.!!", "c1." + "bm9kb3Q", "c2.MTIzLmE", "c1.YWJjLmE"} {
		if _, err := s.Decisions(ctx, fraud.DecisionFilter{Cursor: c}); !errors.Is(err, fraud.ErrInvalid) {
			t.Errorf("Decisions cursor %q: err = %v, want ErrInvalid", c, err)
		}
		if _, err := s.Labels(ctx, fraud.LabelFilter{Cursor: c}); !errors.Is(err, fraud.ErrInvalid) {
			t.Errorf("Labels cursor %q: err = %v, want ErrInvalid", c, err)
		}
	}
}

// TestConnectionSettings checks the settings the durability and integrity claims rest on,
// on several pooled connections.
func TestConnectionSettings(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "vigil.db"))
	for range 3 {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for pragma, want := range map[string]string{
			"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "secure_delete": "1",
			"wal_autocheckpoint": "0", // the background checkpointer does it off the commit path
		} {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
			}
		}
	}
}

// TestBackgroundCheckpointKeepsTheLogSmall checks that, with SQLite's automatic checkpoint
// off, the background checkpointer copies the log into the database, and Close truncates it.
func TestBackgroundCheckpointKeepsTheLogSmall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := open(t, path)
	for i := range 300 {
		id := fmt.Sprint(i)
		if err := s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", time.Now()),
			storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var busy, logFrames, done int64
		if err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done); err != nil {
			t.Fatal(err)
		}
		if logFrames > 0 && done == logFrames {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("log of %d frames, %d checkpointed", logFrames, done)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() != 0 {
		t.Errorf("the log holds %d bytes after Close", st.Size())
	}
}

// A new database gets the package's page size and stays in WAL mode; a database an earlier
// version made with SQLite's default page size opens, keeps its size and its rows.
func TestPageSize(t *testing.T) {
	pragma := func(s *Store, name string) string {
		t.Helper()
		var v string
		if err := s.db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	s := open(t, filepath.Join(t.TempDir(), "new.db"))
	if got := pragma(s, "page_size"); got != fmt.Sprint(pageSize) {
		t.Errorf("new database: page size %s, want %d", got, pageSize)
	}
	if got := pragma(s, "journal_mode"); got != "wal" {
		t.Errorf("new database: journal mode %s, want wal", got)
	}

	// An older database: the default page size, the schema and one decision.
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	old, err := Open(ctx, Options{Path: path, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tx := storetest.Transaction("tx-old", "p1_c1", at)
	if err := old.SaveDecision(ctx, tx, storetest.Decision("dec-old", tx.ID, fraud.Approve, at)); err != nil {
		t.Fatal(err)
	}
	if got := pragma(old, "page_size"); got != "4096" {
		t.Errorf("older database: page size %s, want its own 4096", got)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	again := open(t, path)
	if _, err := again.Decision(ctx, "dec-old"); err != nil {
		t.Errorf("older database after reopening: %v", err)
	}
}
