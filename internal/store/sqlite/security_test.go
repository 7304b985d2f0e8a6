package sqlite

import (
	"bytes"
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
		"RULEREASON-5150", "NOTE-confirmed-theft"}
	tx := storetest.Transaction("tx-1", "p1_customer", time.Now())
	tx.Card, tx.DeviceID, tx.IP = secrets[0], secrets[1], secrets[2]
	tx.Attributes = map[string]string{"k": secrets[3]}
	d := storetest.Decision("dec-1", "tx-1", fraud.Review, time.Now())
	d.Reasons[0].Text = secrets[4]
	d.RuleHits[0].Reason = secrets[5]
	// Feature names are the engine's vocabulary, stored in clear once in feature_sets
	// (migration 0004), not data about anyone; the model file holds them in clear too.
	d.FeatureNames[0] = "FEATNAME-amount_zz"
	if err := s.SaveDecision(ctx, tx, d); err != nil {
		t.Fatal(err)
	}
	if err := s.OpenCase(ctx, fraud.Case{ID: "case-1", DecisionID: "dec-1", OpenedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.ResolveCase(ctx, "case-1", fraud.Decline, secrets[6], time.Now()); err != nil {
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
	saveFixture(t, s, "1")
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
	saveFixture(t, s, "1")
	saveFixture(t, s, "2")
	// Copy one row's sealed sensitive values into another: opening must fail, not mislead.
	if _, err := s.db.ExecContext(ctx, `UPDATE transactions SET sealed_sensitive =
		(SELECT sealed_sensitive FROM transactions WHERE id = 'tx-1') WHERE id = 'tx-2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transaction(ctx, "tx-2"); !errors.Is(err, seal.ErrAuth) {
		t.Errorf("moved sealed value: err = %v, want seal.ErrAuth", err)
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
		saveFixture(t, s, fmt.Sprint(i))
	}
	if err := s.OpenCase(ctx, fraud.Case{ID: "case-1", DecisionID: "dec-1", OpenedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openWith(newKey, oldKey)
	if _, err := s.Transaction(ctx, "tx-3"); err != nil {
		t.Fatal("old row under rotated sealer:", err)
	}
	saveFixture(t, s, "new") // sealed under the new key already
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
