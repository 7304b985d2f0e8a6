package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
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

// TestNoPlaintextOnDisk saves values that must be sealed and searches every byte of the
// database and its log for them.
func TestNoPlaintextOnDisk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.db")
	s, err := Open(ctx, Options{Path: path, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"CARDTOKEN-7f3a9c", "DEVICE-b81d77", "IP-203.0.113.77", "ATTRVAL-4242", "REASONTEXT-9911",
		"RULEREASON-5150", "FEATNAME-amount_zz", "NOTE-confirmed-theft"}
	tx := storetest.Transaction("tx-1", "p1_customer", time.Now())
	tx.Card, tx.DeviceID, tx.IP = secrets[0], secrets[1], secrets[2]
	tx.Attributes = map[string]string{"k": secrets[3]}
	d := storetest.Decision("dec-1", "tx-1", fraud.Review, time.Now())
	d.Reasons[0].Text = secrets[4]
	d.RuleHits[0].Reason = secrets[5]
	d.FeatureNames[0] = secrets[6]
	if err := s.SaveDecision(ctx, tx, d); err != nil {
		t.Fatal(err)
	}
	if err := s.OpenCase(ctx, fraud.Case{ID: "case-1", DecisionID: "dec-1", OpenedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.ResolveCase(ctx, "case-1", fraud.Decline, secrets[7], time.Now()); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		files, _ := filepath.Glob(path + "*")
		if len(files) == 0 {
			t.Fatal("no database files")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, sec := range secrets {
				if bytes.Contains(b, []byte(sec)) {
					t.Errorf("%s: %s holds %q in clear", when, filepath.Base(f), sec)
				}
			}
			// The pseudonymous customer id is stored in clear on purpose (it is indexed):
			// this checks the search itself works.
			if filepath.Base(f) == "vigil.db-wal" && !bytes.Contains(b, []byte("p1_customer")) {
				t.Error("the search found not even the clear customer pseudonym")
			}
		}
	}
	check("in the log")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check("after close")
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "vigil.db")
	s := open(t, path)
	storetestSave(t, s, "1")
	for _, f := range []string{dir, path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if info.IsDir() {
			want = 0o700
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(f), got, want)
		}
	}

	// A database file created loosely by someone else is tightened on open.
	loose := filepath.Join(t.TempDir(), "loose.db")
	if err := os.WriteFile(loose, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	open(t, loose)
	if info, _ := os.Stat(loose); info.Mode().Perm() != 0o600 {
		t.Errorf("loose database left at %v", info.Mode().Perm())
	}
}

func storetestSave(t testing.TB, s *Store, id string) {
	t.Helper()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at),
		storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, at)); err != nil {
		t.Fatal(err)
	}
}

// TestRestartKeepsAcknowledged saves from many goroutines, closes, reopens and finds every
// acknowledged decision.
func TestRestartKeepsAcknowledged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, Options{Path: path, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked []string
	)
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				id := string(rune('a'+w)) + "-" + time.Duration(i).String()
				at := time.Now()
				if err := s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at),
					storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, at)); err != nil {
					t.Error(err)
					continue
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveDecision(ctx, storetest.Transaction("tx-late", "c", time.Now()),
		storetest.Decision("dec-late", "tx-late", fraud.Approve, time.Now())); !errors.Is(err, ErrClosed) {
		t.Errorf("SaveDecision after Close: err = %v, want ErrClosed", err)
	}
	s2 := open(t, path)
	for _, id := range acked {
		if _, err := s2.DecisionByTransaction(ctx, "tx-"+id); err != nil {
			t.Fatalf("acknowledged decision %s lost across restart: %v", id, err)
		}
	}
	if len(acked) != 400 {
		t.Errorf("%d decisions acknowledged, want 400", len(acked))
	}
}

// TestCloseDrainsQueue closes while callers are waiting: each gets a result, and every nil
// result is a stored decision.
func TestCloseDrainsQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, Options{Path: path, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, 200)
	for i := range results {
		wg.Go(func() {
			id := time.Duration(i).String()
			at := time.Now()
			results[i] = s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at),
				storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, at))
		})
	}
	time.Sleep(time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	s2 := open(t, path)
	for i, err := range results {
		id := time.Duration(i).String()
		_, gerr := s2.DecisionByTransaction(ctx, "tx-"+id)
		switch {
		case err == nil && gerr != nil:
			t.Fatalf("decision %s acknowledged but not stored: %v", id, gerr)
		case err != nil && !errors.Is(err, ErrClosed):
			t.Fatalf("decision %s: unexpected error %v", id, err)
		case errors.Is(err, ErrClosed) && gerr == nil:
			t.Fatalf("decision %s refused but stored", id)
		}
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := open(t, path)
	storetestSave(t, s, "1")
	if err := migrate(ctx, s.db); err != nil {
		t.Fatal("second migrate:", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, path) // a third time, through Open
	var n int
	if err := s2.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Errorf("%d migrations recorded, want %d", n, len(ms))
	}
	if _, err := s2.Decision(ctx, "dec-1"); err != nil {
		t.Errorf("data lost across migrations: %v", err)
	}

	// A database from a newer binary is refused rather than misread.
	if _, err := s2.db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)"); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, s2.db); err == nil {
		t.Error("migrate accepted a schema newer than the binary")
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

func TestAuditLogRefusesChange(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "vigil.db"))
	if err := s.AppendAudit(ctx, fraud.AuditEntry{Seq: 1, Time: time.Now(), Action: "key.create"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"} {
		if _, err := s.db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
}

func TestSealedValueBoundToRow(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "vigil.db"))
	storetestSave(t, s, "1")
	storetestSave(t, s, "2")
	// Copy one row's sealed sensitive values into another: opening must fail, not mislead.
	if _, err := s.db.ExecContext(ctx, `UPDATE transactions SET sealed_sensitive =
		(SELECT sealed_sensitive FROM transactions WHERE id = 'tx-1') WHERE id = 'tx-2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transaction(ctx, "tx-2"); !errors.Is(err, seal.ErrAuth) {
		t.Errorf("moved sealed value: err = %v, want seal.ErrAuth", err)
	}
}

func TestCancelledBeforeTurnWritesNothing(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "vigil.db"))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	at := time.Now()
	err := s.SaveDecision(cctx, storetest.Transaction("tx-c", "c", at), storetest.Decision("dec-c", "tx-c", fraud.Approve, at))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The writer may or may not have seen it; give it time, then a cancelled request must
	// not have been written.
	storetestSave(t, s, "after")
	if _, err := s.DecisionByTransaction(ctx, "tx-c"); !errors.Is(err, fraud.ErrNotFound) && err != nil {
		t.Fatal(err)
	}
}

// TestConformanceSmallBatches runs the suite with batches of at most two decisions and a
// wait for more, so the writer's gathering paths are exercised too.
func TestConformanceSmallBatches(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "vigil.db"), Sealer: testSealer(t),
			MaxBatch: 2, MaxDelay: time.Millisecond, QueueSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return storetest.Stores{Decisions: s}
	})
}

// TestDuplicateInBatchFailsAlone gathers several decisions into one batch (the writer waits
// for them) with a duplicate among them: only the duplicate's caller gets ErrConflict.
func TestDuplicateInBatchFailsAlone(t *testing.T) {
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "vigil.db"), Sealer: testSealer(t),
		MaxBatch: 6, MaxDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	storetestSave(t, s, "stored")
	at := time.Now()
	ids := []string{"a", "b", "stored", "c", "d", "a"}
	results := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			results[i] = s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at),
				storetest.Decision(fmt.Sprintf("dec-%s-%d", id, i), "tx-"+id, fraud.Approve, at))
		})
	}
	wg.Wait()
	var ok, conflicts int
	for i, err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, fraud.ErrConflict):
			conflicts++
		default:
			t.Errorf("save %s: %v", ids[i], err)
		}
	}
	// "stored" conflicts with the earlier save; one of the two "a" conflicts with the other.
	if ok != 4 || conflicts != 2 {
		t.Errorf("%d saved and %d conflicts, want 4 and 2", ok, conflicts)
	}
	for _, id := range []string{"a", "b", "c", "d", "stored"} {
		if _, err := s.DecisionByTransaction(ctx, "tx-"+id); err != nil {
			t.Errorf("tx-%s: %v", id, err)
		}
	}
}

// TestErasureLeavesNoTrace erases a customer and searches the files for its pseudonym:
// secure_delete zeroes the deleted rows and index entries, and the checkpoint after the
// erasure empties the log that still held them.
func TestErasureLeavesNoTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, Options{Path: path, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	const erased, kept = "p1_ERASEDxERASEDxERASEDx", "p1_KEPTxxxKEPTxxxKEPTxxx"
	for i := range 20 {
		customer := erased
		if i%2 == 0 {
			customer = kept
		}
		id := fmt.Sprint(i)
		at := time.Now()
		if err := s.SaveDecision(ctx, storetest.Transaction("tx-"+id, customer, at),
			storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, at)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.EraseCustomer(ctx, erased); err != nil || n != 10 {
		t.Fatalf("EraseCustomer = %d, %v", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(path + "*")
	var keptFound bool
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(erased)) {
			t.Errorf("%s still holds the erased customer's pseudonym", filepath.Base(f))
		}
		keptFound = keptFound || bytes.Contains(b, []byte(kept))
	}
	if !keptFound {
		t.Error("the search found not even the kept customer's pseudonym")
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

// TestReseal rotates the data key: a store opened with the new key and the old one as
// previous reads old rows, Reseal rewrites them, and then the new key alone reads everything.
func TestReseal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	oldKey, newKey := bytes.Repeat([]byte{1}, seal.KeySize), bytes.Repeat([]byte{2}, seal.KeySize)
	openWith := func(keys ...[]byte) *Store {
		t.Helper()
		sl, err := seal.New(keys[0], keys[1:]...)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, Options{Path: path, Sealer: sl})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := openWith(oldKey)
	const n = resealBatch + 7 // more than one page
	for i := range n {
		storetestSave(t, s, fmt.Sprint(i))
	}
	if err := s.OpenCase(ctx, fraud.Case{ID: "case-1", DecisionID: "dec-1", OpenedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openWith(newKey, oldKey)
	if _, err := s.Transaction(ctx, "tx-3"); err != nil {
		t.Fatal("old row under rotated sealer:", err)
	}
	storetestSave(t, s, "new") // sealed under the new key already
	got, err := s.Reseal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(2*n + 1); got != want {
		t.Errorf("Reseal rewrote %d values, want %d", got, want)
	}
	if again, err := s.Reseal(ctx); err != nil || again != 0 {
		t.Errorf("second Reseal = %d, %v; want 0", again, err)
	}
	s.Close()

	s = openWith(newKey)
	defer s.Close()
	for _, id := range []string{"0", "3", fmt.Sprint(n - 1), "new"} {
		if _, err := s.Transaction(ctx, "tx-"+id); err != nil {
			t.Errorf("transaction %s under the new key alone: %v", id, err)
		}
		if _, err := s.Decision(ctx, "dec-"+id); err != nil {
			t.Errorf("decision %s under the new key alone: %v", id, err)
		}
	}
	if _, err := s.Case(ctx, "case-1"); err != nil {
		t.Errorf("case under the new key alone: %v", err)
	}
}

// TestFailingDecisionFailsAlone makes one decision of a batch fail for a reason other than
// a duplicate (a trigger refuses it): the writer falls back to savepoints, that caller alone
// gets the error, nothing of its request is stored, and the rest of the batch commits.
func TestFailingDecisionFailsAlone(t *testing.T) {
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "vigil.db"), Sealer: testSealer(t),
		MaxBatch: 5, MaxDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// TEMP triggers live on one connection: keep the pool to that one.
	s.db.SetMaxOpenConns(1)
	if _, err := s.db.ExecContext(ctx, `CREATE TEMP TRIGGER poison BEFORE INSERT ON main.decisions
		WHEN NEW.model_version = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END`); err != nil {
		t.Fatal(err)
	}
	storetestSave(t, s, "stored")
	at := time.Now()
	ids := []string{"a", "poison", "stored", "b", "c"}
	results := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			d := storetest.Decision("dec-"+id+"-new", "tx-"+id, fraud.Approve, at)
			if id == "poison" {
				d.ModelVersion = "poison"
			}
			results[i] = s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at), d)
		})
	}
	wg.Wait()
	for i, id := range ids {
		err := results[i]
		switch id {
		case "poison":
			if err == nil || errors.Is(err, fraud.ErrConflict) {
				t.Errorf("poisoned save: err = %v, want a storage error", err)
			}
			if _, err := s.Transaction(ctx, "tx-poison"); !errors.Is(err, fraud.ErrNotFound) {
				t.Errorf("poisoned transaction stored: %v", err)
			}
		case "stored":
			if !errors.Is(err, fraud.ErrConflict) {
				t.Errorf("duplicate: err = %v, want ErrConflict", err)
			}
		default:
			if err != nil {
				t.Errorf("save %s: %v", id, err)
			}
			if _, err := s.DecisionByTransaction(ctx, "tx-"+id); err != nil {
				t.Errorf("tx-%s: %v", id, err)
			}
		}
	}
}
