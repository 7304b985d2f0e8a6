package memory

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/feature/featuretest"
	"github.com/vigil-fraud/vigil/internal/feature/statetest"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/history"
)

var ctx = context.Background()

func TestConformanceInMemory(t *testing.T) {
	statetest.Run(t, func(t *testing.T) fraud.FeatureState {
		s, err := Open(Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestConformancePersisted(t *testing.T) {
	statetest.Run(t, func(t *testing.T) fraud.FeatureState {
		s, err := Open(Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		return s
	})
}

// operation is one change applied to a state in these tests.
type operation struct {
	code  byte
	tx    fraud.Transaction
	fraud bool
	now   time.Time
}

func (o *operation) apply(s *State) error {
	switch o.code {
	case opObserve:
		return s.Observe(ctx, &o.tx)
	case opLabel:
		return s.Label(ctx, &o.tx, o.fraud)
	default:
		_, err := s.Sweep(ctx, o.now)
		return err
	}
}

// operations turns a generated history into observations, each record's label 7 days later,
// and a sweep every simulated week.
func operations(recs []history.Record) []operation {
	var ops []operation
	next := 0
	for i := range recs {
		r := &recs[i]
		for next < i && !recs[next].Timestamp.Add(7*24*time.Hour).After(r.Timestamp) {
			ops = append(ops, operation{code: opLabel, tx: recs[next].Transaction, fraud: recs[next].Fraud})
			next++
		}
		if i > 0 && r.Timestamp.Unix()/(7*86400) != recs[i-1].Timestamp.Unix()/(7*86400) {
			ops = append(ops, operation{code: opSweep, now: r.Timestamp})
		}
		ops = append(ops, operation{code: opObserve, tx: r.Transaction})
	}
	return ops
}

func testOps(t testing.TB, days int) []operation {
	t.Helper()
	return operations(featuretest.Generate(featuretest.Options{Seed: 5, Customers: 30, Terminals: 40, Days: days, Extras: true}))
}

// dump encodes every history of s, by kind and id.
func dump(s *State) map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := map[string]string{}
	for id, c := range s.customers {
		b, _ := c.AppendBinary(nil)
		m["c/"+id] = string(b)
	}
	for id, t := range s.terminals {
		b, _ := t.AppendBinary(nil)
		m["t/"+id] = string(b)
	}
	return m
}

func sameState(t *testing.T, got, want *State) {
	t.Helper()
	g, w := dump(got), dump(want)
	if !maps.Equal(g, w) {
		var diff []string
		for k := range w {
			if g[k] != w[k] {
				diff = append(diff, k)
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				diff = append(diff, k)
			}
		}
		slices.Sort(diff)
		t.Fatalf("states differ (%d vs %d histories) at %v", len(g), len(w), diff[:min(len(diff), 5)])
	}
	if got.seq != want.seq {
		t.Fatalf("sequence number %d, want %d", got.seq, want.seq)
	}
}

// reference applies ops to an in-memory state.
func reference(t testing.TB, ops []operation) *State {
	t.Helper()
	s, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range ops {
		if err := ops[i].apply(s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func open(t *testing.T, opts Options) *State {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func applyAll(t *testing.T, s *State, ops []operation) {
	t.Helper()
	for i := range ops {
		if err := ops[i].apply(s); err != nil {
			t.Fatal(err)
		}
	}
}

// crash stops s as a killed process would after its last write reached the file: no
// snapshot, nothing more written.
func crash(t *testing.T, s *State) {
	t.Helper()
	if err := s.close(false); err != nil {
		t.Fatal(err)
	}
}

// snapshotThenCrash applies ops[:half] to a state in dir, snapshots it, applies the rest and
// crashes.
func snapshotThenCrash(t *testing.T, dir string, ops []operation, half int) {
	t.Helper()
	s := open(t, Options{Dir: dir})
	applyAll(t, s, ops[:half])
	if err := s.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	applyAll(t, s, ops[half:])
	crash(t, s)
}

func TestRestart(t *testing.T) {
	ops := testOps(t, 30)
	want := reference(t, ops)
	half := len(ops) / 2
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, dir string)
	}{
		{"close", func(t *testing.T, dir string) {
			s := open(t, Options{Dir: dir})
			applyAll(t, s, ops)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}},
		{"crash", func(t *testing.T, dir string) {
			s := open(t, Options{Dir: dir})
			applyAll(t, s, ops)
			crash(t, s)
		}},
		{"snapshot then crash", func(t *testing.T, dir string) { snapshotThenCrash(t, dir, ops, half) }},
		{"crash, reopen, continue", func(t *testing.T, dir string) {
			s := open(t, Options{Dir: dir})
			applyAll(t, s, ops[:half])
			crash(t, s)
			s = open(t, Options{Dir: dir})
			applyAll(t, s, ops[half:])
			crash(t, s)
		}},
		{"sync always", func(t *testing.T, dir string) {
			s := open(t, Options{Dir: dir, Sync: SyncAlways})
			applyAll(t, s, ops[:200])
			crash(t, s)
			s = open(t, Options{Dir: dir, Sync: SyncNever})
			applyAll(t, s, ops[200:])
			crash(t, s)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.run(t, dir)
			s := open(t, Options{Dir: dir})
			defer s.Close()
			sameState(t, s, want)
		})
	}
}

// TestRestartFeatures checks that an engine over a restarted state computes exactly the
// features the original state gives.
func TestRestartFeatures(t *testing.T) {
	recs := featuretest.Generate(featuretest.Options{Seed: 8, Customers: 40, Terminals: 50, Days: 45, Extras: true})
	dir := t.TempDir()
	ops := operations(recs[:len(recs)*3/4])
	orig := open(t, Options{Dir: dir})
	applyAll(t, orig, ops[:len(ops)/2])
	if err := orig.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	applyAll(t, orig, ops[len(ops)/2:])
	if err := orig.sync(true); err != nil {
		t.Fatal(err)
	}
	// Copy the files as a crash would leave them, then recover from the copy.
	copyDir := t.TempDir()
	copyFiles(t, dir, copyDir)
	restarted := open(t, Options{Dir: copyDir})
	defer restarted.Close()
	defer orig.Close()

	e1, _ := feature.New(feature.Options{State: orig})
	e2, _ := feature.New(feature.Options{State: restarted})
	f1, f2 := make([]float64, feature.NumFeatures), make([]float64, feature.NumFeatures)
	for i := len(recs) * 3 / 4; i < len(recs); i++ {
		if err := e1.Compute(ctx, &recs[i].Transaction, f1); err != nil {
			t.Fatal(err)
		}
		if err := e2.Compute(ctx, &recs[i].Transaction, f2); err != nil {
			t.Fatal(err)
		}
		for k := range f1 {
			if !featuretest.Close(f1[k], f2[k], 0) {
				t.Fatalf("record %d: %s = %v after restart, %v before", i, feature.Index(k), f2[k], f1[k])
			}
		}
	}
}

func copyFiles(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// logFile returns the path of the only log segment in dir.
func logFile(t *testing.T, dir string) string {
	t.Helper()
	starts, err := segments(dir)
	if err != nil || len(starts) != 1 {
		t.Fatalf("segments %v, %v", starts, err)
	}
	return filepath.Join(dir, segmentName(starts[0]))
}

// boundaries returns the offsets where the records of a log file end.
func boundaries(t *testing.T, data []byte) []int {
	t.Helper()
	var ends []int
	for off := 0; off < len(data); {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		off += recordHeader + n
		ends = append(ends, off)
	}
	return ends
}

// TestTornLog truncates the log at every byte offset of its last records and checks that
// recovery gives exactly the state of the complete records before the cut.
func TestTornLog(t *testing.T) {
	// Without sweeps, which log one record per history they change: here every operation
	// is one record.
	ops := slices.DeleteFunc(testOps(t, 10), func(o operation) bool { return o.code == opSweep })
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	applyAll(t, s, ops)
	crash(t, s)
	path := logFile(t, dir)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ends := boundaries(t, data)
	if len(ends) != len(ops) {
		// Labels of terminals never seen are not logged; this history has none.
		t.Fatalf("%d records for %d operations", len(ends), len(ops))
	}
	const tail = 6
	first := ends[len(ends)-tail-1]
	// states[k] is the state after the first k operations.
	states := map[int]map[string]string{}
	for k := len(ops) - tail - 1; k <= len(ops); k++ {
		states[k] = dump(reference(t, ops[:k]))
	}
	for cut := first; cut <= len(data); cut++ {
		complete, _ := slices.BinarySearch(ends, cut+1) // records ending at or before cut
		tdir := t.TempDir()
		tpath := filepath.Join(tdir, filepath.Base(path))
		if err := os.WriteFile(tpath, data[:cut], 0o640); err != nil {
			t.Fatal(err)
		}
		r, err := Open(Options{Dir: tdir})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if got := dump(r); !maps.Equal(got, states[complete]) || r.seq != uint64(complete) {
			t.Fatalf("cut at %d: state differs from that of the %d complete records (seq %d)", cut, complete, r.seq)
		}
		// The torn bytes are gone: new records follow the complete ones.
		if complete < len(ops) {
			if err := ops[complete].apply(r); err != nil {
				t.Fatal(err)
			}
			crash(t, r)
			again := open(t, Options{Dir: tdir})
			if got := dump(again); !maps.Equal(got, states[complete+1]) {
				t.Fatalf("cut at %d: appending after recovery lost or mangled a record", cut)
			}
			crash(t, again)
		} else {
			crash(t, r)
		}
	}
}

func TestCorruption(t *testing.T) {
	ops := testOps(t, 10)
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	applyAll(t, s, ops)
	crash(t, s)
	path := logFile(t, dir)
	data, _ := os.ReadFile(path)
	ends := boundaries(t, data)
	mid := ends[len(ends)/2]

	for _, tc := range []struct {
		name    string
		mangle  func(b []byte) []byte
		corrupt bool
	}{
		{"flipped payload byte mid-log", func(b []byte) []byte { b[mid+recordHeader+3] ^= 0x40; return b }, true},
		{"flipped checksum mid-log", func(b []byte) []byte { b[mid+5] ^= 1; return b }, true},
		{"huge length mid-log", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[mid:], 1<<30); return b }, true},
		{"zero length mid-log", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[mid:], 0); return b }, true},
		{"zero-filled tail", func(b []byte) []byte { return append(b, make([]byte, 300)...) }, false},
		{"garbage tail", func(b []byte) []byte { return append(b, bytes.Repeat([]byte{0xAB}, 3)...) }, false},
		{"last record garbled", func(b []byte) []byte { b[len(b)-2] ^= 0xFF; return b }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tdir := t.TempDir()
			b := tc.mangle(append([]byte(nil), data...))
			os.WriteFile(filepath.Join(tdir, filepath.Base(path)), b, 0o640)
			r, err := Open(Options{Dir: tdir})
			if tc.corrupt {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Open: %v, want ErrCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			crash(t, r)
		})
	}

	t.Run("gap between segments", func(t *testing.T) {
		tdir := t.TempDir()
		os.WriteFile(filepath.Join(tdir, segmentName(1)), data[:ends[2]], 0o640)
		os.WriteFile(filepath.Join(tdir, segmentName(10)), nil, 0o640)
		if _, err := Open(Options{Dir: tdir}); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open: %v, want ErrCorrupt", err)
		}
	})
	t.Run("torn record in a sealed segment", func(t *testing.T) {
		tdir := t.TempDir()
		os.WriteFile(filepath.Join(tdir, segmentName(1)), data[:ends[2]+3], 0o640)
		os.WriteFile(filepath.Join(tdir, segmentName(4)), nil, 0o640)
		if _, err := Open(Options{Dir: tdir}); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open: %v, want ErrCorrupt", err)
		}
	})
	t.Run("corrupt snapshot", func(t *testing.T) {
		tdir := t.TempDir()
		s := open(t, Options{Dir: tdir})
		applyAll(t, s, ops[:50])
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(tdir, snapshotName)
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 1
		os.WriteFile(p, b, 0o640)
		if _, err := Open(Options{Dir: tdir}); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open: %v, want ErrCorrupt", err)
		}
	})
}

// TestCompaction checks that a snapshot deletes the log it covers, and that snapshots are
// taken automatically when the log grows past SnapshotBytes.
func TestCompaction(t *testing.T) {
	ops := testOps(t, 10)
	dir := t.TempDir()
	s := open(t, Options{Dir: dir, SnapshotBytes: 4096, SyncEvery: 10 * time.Millisecond})
	applyAll(t, s, ops)
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().LogBytes >= 4096 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := s.Stats(); st.LogBytes >= 4096 {
		t.Fatalf("no automatic snapshot: %+v", st)
	}
	seq := s.Stats().Seq
	if err := s.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	starts, _ := segments(dir)
	if len(starts) != 1 || starts[0] != seq+1 {
		t.Fatalf("segments after a snapshot: %v, want only log-%d", starts, seq+1)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := ops[0].apply(s); !errors.Is(err, ErrClosed) {
		t.Fatalf("Observe after Close: %v, want ErrClosed", err)
	}
	r := open(t, Options{Dir: dir})
	defer r.Close()
	sameState(t, r, reference(t, ops))
}

func TestSweep(t *testing.T) {
	s := open(t, Options{Retention: 45 * 24 * time.Hour})
	at := time.Date(2018, 4, 1, 12, 0, 0, 0, time.UTC)
	for i, c := range []string{"a", "b"} {
		x := fraud.Transaction{ID: c, Timestamp: at.Add(time.Duration(i) * 10 * 24 * time.Hour), Amount: 1, CustomerID: c, TerminalID: "t" + c}
		if err := s.Observe(ctx, &x); err != nil {
			t.Fatal(err)
		}
	}
	// 50 days on, a's and b's events are past every horizon; a's newest is older than the
	// retention (50 days), b's is not (40 days).
	removed, err := s.Sweep(ctx, at.Add(50*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if removed != 3 || st.Customers != 1 || st.Terminals != 0 || s.Customer("b") == nil {
		t.Fatalf("removed %d, left %+v", removed, st)
	}
	if c := s.Customer("b"); c.Len() != 0 {
		t.Fatalf("b kept %d events past the horizon", c.Len())
	}
}

func TestSyncPolicy(t *testing.T) {
	for _, p := range []SyncPolicy{SyncInterval, SyncAlways, SyncNever} {
		got, err := ParseSyncPolicy(p.String())
		if err != nil || got != p {
			t.Errorf("ParseSyncPolicy(%q) = %v, %v", p, got, err)
		}
	}
	if _, err := ParseSyncPolicy("sometimes"); err == nil {
		t.Error("ParseSyncPolicy accepted nonsense")
	}
}

func ExampleOpen() {
	s, err := Open(Options{Dir: os.TempDir() + "/vigil-example-state"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(os.TempDir() + "/vigil-example-state")
	e, _ := feature.New(feature.Options{State: s})
	tx := fraud.Transaction{ID: "1", Timestamp: time.Date(2018, 4, 1, 7, 0, 0, 0, time.UTC), Amount: 42,
		Currency: "EUR", CustomerID: "c1", TerminalID: "t1"}
	f := make([]float64, feature.NumFeatures)
	e.Compute(context.Background(), &tx, f) // features first: the state before tx
	e.Update(context.Background(), &tx)     // then tx joins the state
	fmt.Println(f[feature.CustomerTxCount1d], f[feature.Night])
	fmt.Println(s.Close())
	// Output:
	// 1 0
	// <nil>
}

// TestFileModes checks that the state's directory and files are private to the service: the
// log and the snapshot hold pseudonymous ids, amounts and times.
// A directory an earlier version left more open (0750, files 0640) is tightened on Open.
func TestOpenTightensModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX modes")
	}
	dir := filepath.Join(t.TempDir(), "state")
	s := open(t, Options{Dir: dir})
	applyAll(t, s, testOps(t, 5))
	if err := s.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if err := os.Chmod(filepath.Join(dir, e.Name()), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	open(t, Options{Dir: dir})
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("directory mode after Open: %v, %v", st.Mode().Perm(), err)
	}
	entries, _ = os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v after Open, want 0600", e.Name(), info.Mode().Perm())
		}
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := open(t, Options{Dir: dir})
	applyAll(t, s, testOps(t, 5))
	if err := s.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	applyAll(t, s, testOps(t, 5))
	if err := s.sync(true); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, %v", st.Mode().Perm(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) < 3 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
}
