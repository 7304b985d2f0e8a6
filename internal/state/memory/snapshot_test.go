package memory

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature/window"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

// checkUnlocked fails the test unless s's lock is free (between the chunks of what).
func checkUnlocked(t *testing.T, s *State, what string) {
	t.Helper()
	if !s.mu.TryLock() {
		t.Errorf("%s holds the state's lock between chunks", what)
		return
	}
	s.mu.Unlock()
}

// eraseNoSnapshot erases customer id as EraseCustomer does, without the snapshot that
// follows it (one is already in progress where the tests call it).
func eraseNoSnapshot(t *testing.T, s *State, id string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.customers[id] == nil {
		return
	}
	if err := s.append(encodeErase(s.rec[:0], s.seq+1, id)); err != nil {
		t.Fatal(err)
	}
	s.erase(id)
}

// TestSnapshotWhileChanging takes snapshots while every kind of operation goes on between
// the chunks they encode, then crashes, and checks that recovery gives exactly the state of
// the same operations applied without any snapshot. Histories are encoded in chunks of
// three, so each snapshot lets changes in many times; between chunks the lock must be free.
func TestSnapshotWhileChanging(t *testing.T) {
	ops := testOps(t, 40)
	third := len(ops) / 3
	for _, tc := range []struct {
		name  string
		erase bool
	}{{"observe, label, sweep", false}, {"with erasures", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, Options{Dir: dir})
			s.chunk = 3
			ref := reference(t, nil)
			next, pauses := 0, 0
			// apply one operation to both states, and every seventh pause an erasure of a
			// customer that the next operations may bring back.
			step := func() {
				if next >= len(ops) {
					return
				}
				o := &ops[next]
				next++
				if err := o.apply(s); err != nil {
					t.Fatal(err)
				}
				if err := o.apply(ref); err != nil {
					t.Fatal(err)
				}
				if tc.erase && pauses%7 == 0 && o.code == opObserve {
					id := o.tx.CustomerID
					eraseNoSnapshot(t, s, id)
					if _, err := ref.EraseCustomer(ctx, id); err != nil {
						t.Fatal(err)
					}
				}
			}
			s.snapshotPause = func() {
				checkUnlocked(t, s, "a snapshot")
				pauses++
				step()
				step()
			}
			for next < third {
				step()
			}
			for range 3 {
				if err := s.Snapshot(ctx); err != nil {
					t.Fatal(err)
				}
				for range 100 {
					step()
				}
			}
			for next < len(ops) {
				step()
			}
			if pauses < 30 {
				t.Fatalf("only %d pauses: the snapshots did not run in chunks", pauses)
			}
			crash(t, s)
			got := open(t, Options{Dir: dir})
			defer got.Close()
			sameState(t, got, ref)
			if got.customersAt != nil || got.terminalsAt != nil {
				t.Error("recovery left its per-history sequence numbers behind")
			}
		})
	}
}

// encodeSnapshotV1 is the version-1 encoder, kept to check that its files still load.
func encodeSnapshotV1(s *State) []byte {
	b := []byte(snapshotMagicV1)
	b = binary.LittleEndian.AppendUint64(b, s.seq)
	b = binary.AppendUvarint(b, uint64(len(s.customers)))
	for id, c := range s.customers {
		b = appendString(b, id)
		b = appendBlob(b, c)
	}
	b = binary.AppendUvarint(b, uint64(len(s.terminals)))
	for id, t := range s.terminals {
		b = appendString(b, id)
		b = appendBlob(b, t)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// TestSnapshotVersion1Loads checks that a state directory whose snapshot an earlier version
// wrote recovers to the same state.
func TestSnapshotVersion1Loads(t *testing.T) {
	ops := testOps(t, 30)
	half := len(ops) / 2
	dir := t.TempDir()
	snapshotThenCrash(t, dir, ops, half)
	// The snapshot just taken, written as version 1 would have written it.
	v1 := encodeSnapshotV1(reference(t, ops[:half]))
	if err := os.WriteFile(filepath.Join(dir, snapshotName), v1, 0o600); err != nil {
		t.Fatal(err)
	}
	got := open(t, Options{Dir: dir})
	defer got.Close()
	sameState(t, got, reference(t, ops))
}

// TestSnapshotDuplicateHistory checks that when a snapshot holds a history twice (deleted
// and created again while it was encoded), the one encoded later is kept, in either order.
func TestSnapshotDuplicateHistory(t *testing.T) {
	ops := testOps(t, 10)
	early, late := reference(t, ops[:20]), reference(t, ops)
	var id string
	for k := range late.customers {
		if early.customers[k] != nil {
			id = k
			break
		}
	}
	if id == "" {
		t.Fatal("no customer in both states")
	}
	entry := func(s *State, after uint64) []byte {
		b := append([]byte{kindCustomer}, appendString(nil, id)...)
		b = binary.AppendUvarint(b, after)
		return appendBlob(b, s.customers[id])
	}
	for _, order := range []string{"older first", "newer first"} {
		t.Run(order, func(t *testing.T) {
			const start = 20
			b := binary.LittleEndian.AppendUint64([]byte(snapshotMagic), start)
			older, newer := entry(early, 0), entry(late, uint64(len(ops)-start))
			if order == "older first" {
				b = append(append(b, older...), newer...)
			} else {
				b = append(append(b, newer...), older...)
			}
			b = append(b, kindEnd)
			b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
			s := &State{customers: map[string]*window.Customer{}, terminals: map[string]*window.Terminal{},
				opts: Options{Dir: t.TempDir()}}
			if err := os.WriteFile(filepath.Join(s.opts.Dir, snapshotName), b, 0o600); err != nil {
				t.Fatal(err)
			}
			seq, err := s.loadSnapshot()
			if err != nil || seq != start {
				t.Fatalf("loadSnapshot: %d, %v", seq, err)
			}
			got, _ := s.customers[id].AppendBinary(nil)
			want, _ := late.customers[id].AppendBinary(nil)
			if string(got) != string(want) {
				t.Error("kept the history encoded first, want the one encoded later")
			}
			if s.customersAt[id] != uint64(len(ops)) {
				t.Errorf("history holds operations up to %d, want %d", s.customersAt[id], len(ops))
			}
		})
	}
}

// TestSnapshotOrder checks that a snapshot with a customer after a terminal is refused:
// recovery needs every customer encoded no later than any terminal.
func TestSnapshotOrder(t *testing.T) {
	ref := reference(t, testOps(t, 10))
	var b []byte
	b = binary.LittleEndian.AppendUint64([]byte(snapshotMagic), ref.seq)
	for id, h := range ref.terminals {
		b = append(b, kindTerminal)
		b = binary.AppendUvarint(appendString(b, id), 0)
		b = appendBlob(b, h)
		break
	}
	for id, h := range ref.customers {
		b = append(b, kindCustomer)
		b = binary.AppendUvarint(appendString(b, id), 0)
		b = appendBlob(b, h)
		break
	}
	b = append(b, kindEnd)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, snapshotName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Dir: dir}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open: %v, want ErrCorrupt", err)
	}
}

// TestSnapshotCorruptV2 checks that damage inside a version-2 snapshot is refused.
func TestSnapshotCorruptV2(t *testing.T) {
	ops := testOps(t, 10)
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	applyAll(t, s, ops)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, snapshotName)
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	reseal := func(body []byte) []byte {
		return binary.LittleEndian.AppendUint32(body, crc32.Checksum(body, castagnoli))
	}
	body := good[:len(good)-4]
	for name, data := range map[string][]byte{
		"no end":       reseal(body[:len(body)-1]),
		"unknown kind": reseal(append(append([]byte{}, body[:16]...), append([]byte{9}, body[17:]...)...)),
		"trailing":     reseal(append(append([]byte{}, body...), 0)),
		"bad checksum": append(append([]byte{}, body...), 0, 0, 0, 0),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(Options{Dir: dir}); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want ErrCorrupt", err)
			}
		})
	}
}

// BenchmarkSnapshotPause takes snapshots of 400,000 histories while a writer observes
// transactions, and reports the longest an Observe waited (max-observe-wait-µs): how long
// the state stops taking changes during a snapshot.
func BenchmarkSnapshotPause(b *testing.B) {
	benchmarkPause(b, func(s *State, _ time.Time) error { return s.Snapshot(ctx) })
}

// BenchmarkSweepPause does the same for sweeps that change every history (a day after the
// newest transaction: each customer's and terminal's oldest events expire, none is removed).
func BenchmarkSweepPause(b *testing.B) {
	benchmarkPause(b, func(s *State, newest time.Time) error {
		_, err := s.Sweep(ctx, newest.Add(31*24*time.Hour))
		return err
	})
}

// benchmarkPause runs action on a state of 400,000 histories (300,000 customers, 100,000
// terminals, 1 M transactions over 12 days) while a writer observes transactions, and
// reports the longest an Observe waited.
func benchmarkPause(b *testing.B, action func(s *State, newest time.Time) error) {
	s, err := Open(Options{Dir: b.TempDir(), SnapshotBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tx := func(i int) *fraud.Transaction {
		return &fraud.Transaction{ID: "tx" + strconv.Itoa(i), Timestamp: at.Add(time.Duration(i) * time.Second),
			Amount: 10, Currency: "EUR", CustomerID: "c" + strconv.Itoa(i%300_000), TerminalID: "t" + strconv.Itoa(i%100_000)}
	}
	const n = 1_000_000
	for i := range n {
		if err := s.Observe(ctx, tx(i)); err != nil {
			b.Fatal(err)
		}
	}
	var worst time.Duration
	b.ResetTimer()
	for range b.N {
		stop, done := make(chan struct{}), make(chan time.Duration)
		go func() {
			var w time.Duration
			for i := n; ; i++ {
				select {
				case <-stop:
					done <- w
					return
				default:
				}
				t0 := time.Now()
				if err := s.Observe(ctx, tx(i)); err != nil {
					b.Error(err)
				}
				w = max(w, time.Since(t0))
			}
		}()
		time.Sleep(time.Millisecond)
		if err := action(s, tx(n).Timestamp); err != nil {
			b.Fatal(err)
		}
		close(stop)
		worst = max(worst, <-done)
	}
	b.ReportMetric(float64(worst.Microseconds()), "max-observe-wait-µs")
}

// TestSweepWhileChanging sweeps while observations, labels and erasures run between the
// chunks it sweeps, then crashes, and checks that recovery reproduces the state exactly as
// it was, and that the lock is free between chunks.
func TestSweepWhileChanging(t *testing.T) {
	ops := slices.DeleteFunc(testOps(t, 40), func(o operation) bool { return o.code == opSweep })
	half := len(ops) / 2
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	s.chunk = 3
	applyAll(t, s, ops[:half])
	next, pauses := half, 0
	s.sweepPause = func() {
		checkUnlocked(t, s, "a sweep")
		pauses++
		for range 3 {
			if next < len(ops) {
				if err := ops[next].apply(s); err != nil {
					t.Fatal(err)
				}
				next++
			}
		}
		if pauses%5 == 0 {
			eraseNoSnapshot(t, s, ops[next-1].tx.CustomerID)
		}
	}
	// 100 days after the first half: past every horizon and the retention of customers, so
	// histories the sweep reaches before the operations in between touch them go, the others
	// stay.
	now := ops[half].tx.Timestamp.Add(100 * 24 * time.Hour)
	removed, err := s.Sweep(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if removed == 0 || pauses < 10 {
		t.Fatalf("sweep removed %d histories in %d pauses: the test exercises nothing", removed, pauses)
	}
	s.sweepPause = nil
	applyAll(t, s, ops[next:])
	want := dump(s)
	wantSeq := s.Stats().Seq
	crash(t, s)
	got := open(t, Options{Dir: dir})
	defer got.Close()
	if g := dump(got); !maps.Equal(g, want) {
		t.Fatalf("recovered state differs from the state before the crash (%d vs %d histories)", len(g), len(want))
	}
	if got.seq != wantSeq {
		t.Fatalf("sequence number %d, want %d", got.seq, wantSeq)
	}
}

// TestOldSweepRecordReplays checks that a log holding a whole-state sweep record, as
// earlier versions wrote, still recovers to the state it described.
func TestOldSweepRecordReplays(t *testing.T) {
	ops := testOps(t, 30)
	half := len(ops) / 2
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	applyAll(t, s, ops[:half])
	now := ops[half].tx.Timestamp.Add(100 * 24 * time.Hour).Unix()
	s.mu.Lock()
	if err := s.append(encodeSweep(s.rec[:0], s.seq+1, now)); err != nil {
		t.Fatal(err)
	}
	removed := s.sweep(now)
	s.mu.Unlock()
	if removed == 0 {
		t.Fatal("the old sweep removed nothing: the test exercises nothing")
	}
	applyAll(t, s, ops[half:])
	want := dump(s)
	crash(t, s)
	got := open(t, Options{Dir: dir})
	defer got.Close()
	if !maps.Equal(dump(got), want) {
		t.Fatal("a log with an old sweep record recovered to another state")
	}
}
