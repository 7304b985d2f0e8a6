package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// Decisions name their features through feature_sets: each list is stored once, read back
// after a restart (nothing cached), and a decision written before the table existed (its
// names inside its sealed explanation) still reads with its names.
func TestFeatureSets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, Options{Path: path, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	lists := [][]string{{"amount", "customer_count_1d"}, {"amount", "terminal_risk_7d", "hour"}, nil}
	for i := range 9 {
		id := strconv.Itoa(i)
		d := storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, at)
		d.FeatureNames = lists[i%3]
		d.Features = make([]float64, len(d.FeatureNames))
		if d.FeatureNames == nil {
			d.Features = nil
		}
		if err := s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at), d); err != nil {
			t.Fatal(err)
		}
	}
	// A decision as version 1 wrote it.
	tx := storetest.Transaction("tx-v1", "c", at)
	if err := s.SaveDecision(ctx, tx, storetest.Decision("dec-v1", "tx-v1", fraud.Review, at)); err != nil {
		t.Fatal(err)
	}
	v1 := marshalV1(&explanation{FeatureNames: []string{"old_name"}, Features: []float64{2}})
	if _, err := s.db.Exec("UPDATE decisions SET sealed_explanation = ? WHERE id = 'dec-v1'",
		s.sealer.Seal(v1, ad(adDecisionExplanation, "dec-v1"))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	var sets int
	if err := s.db.QueryRow("SELECT count(*) FROM feature_sets").Scan(&sets); err != nil {
		t.Fatal(err)
	}
	if sets != 3 { // the two lists, and the fixture's own of dec-v1 before its rewrite
		t.Errorf("%d feature sets stored, want 3", sets)
	}
	for i := range 9 {
		d, err := s.Decision(ctx, "dec-"+strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		if want := lists[i%3]; !slices.Equal(d.FeatureNames, want) || (d.FeatureNames == nil) != (want == nil) {
			t.Errorf("decision %d: names %q, want %q", i, d.FeatureNames, want)
		}
	}
	d, err := s.Decision(ctx, "dec-v1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.FeatureNames, []string{"old_name"}) || !slices.Equal(d.Features, []float64{2}) {
		t.Errorf("version 1 decision: %q %v", d.FeatureNames, d.Features)
	}
	// The names handed out are the caller's to change.
	d, _ = s.Decision(ctx, "dec-0")
	d.FeatureNames[0] = "changed"
	if d, _ = s.Decision(ctx, "dec-3"); d.FeatureNames[0] != "amount" {
		t.Errorf("a caller's change reached the store's names: %q", d.FeatureNames)
	}
	// A decision naming a feature set the database does not have is an error, not a panic.
	bad := (&explanation{FeatureSet: 99}).marshal()
	if _, err := s.db.Exec("UPDATE decisions SET sealed_explanation = ? WHERE id = 'dec-1'",
		s.sealer.Seal(bad, ad(adDecisionExplanation, "dec-1"))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decision(ctx, "dec-1"); err == nil {
		t.Error("a decision naming an unknown feature set read without error")
	}
}
