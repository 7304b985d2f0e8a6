package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

var ctx = context.Background()

var epoch = time.Date(2026, 11, 24, 9, 0, 0, 123456789, time.UTC)

// clock returns a Now that advances by one second, one nanosecond on every call; safe for
// concurrent use.
func clock() func() time.Time {
	var n atomic.Int64
	return func() time.Time {
		i := n.Add(1)
		return epoch.Add(time.Duration(i) * (time.Second + time.Nanosecond))
	}
}

// events returns n valid events using every action of the vocabulary in turn.
func events(n int) []audit.Event {
	actions := audit.Actions()
	out := make([]audit.Event, n)
	for i := range out {
		out[i] = audit.Event{
			Actor:   fmt.Sprintf("key:k%d", i%3),
			Action:  actions[i%len(actions)],
			Target:  fmt.Sprintf("target-%d", i),
			Details: map[string]any{"n": i, "role": "analyst"},
		}
		if i%4 == 3 {
			out[i].Details, out[i].Target = nil, ""
		}
	}
	return out
}

// chain appends n events to a fresh memStore and returns it.
func chain(t *testing.T, n int) *memStore {
	t.Helper()
	s := &memStore{}
	l := audit.New(s, audit.Options{Now: clock()})
	for _, ev := range events(n) {
		if _, err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// wantBroken fails unless err is a *BrokenError at seq.
func wantBroken(t *testing.T, err error, seq uint64) {
	t.Helper()
	var b *audit.BrokenError
	if !errors.As(err, &b) || !errors.Is(err, audit.ErrBroken) {
		t.Fatalf("got error %v, want a *BrokenError at entry %d", err, seq)
	}
	if b.Seq != seq {
		t.Fatalf("got %v, want it at entry %d", err, seq)
	}
}

func TestChainVerifies(t *testing.T) {
	for _, n := range []int{0, 1, 2, 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := chain(t, n)
			r, err := audit.Verify(ctx, s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Entries != uint64(n) {
				t.Errorf("Entries = %d, want %d", r.Entries, n)
			}
			if n == 0 {
				if r.Head.Seq != 0 || r.Head.Hash != nil || !r.HeadTime.IsZero() {
					t.Errorf("report of an empty log = %+v, want zero", r)
				}
				return
			}
			last := s.entries[n-1]
			if r.Head.Seq != last.Seq || !bytes.Equal(r.Head.Hash, last.Hash) || !r.HeadTime.Equal(last.Time) {
				t.Errorf("report %+v does not name the last entry %+v", r, last)
			}
			if !bytes.Equal(s.entries[0].PrevHash, make([]byte, audit.HashSize)) {
				t.Errorf("first PrevHash = %x, want 32 zero bytes", s.entries[0].PrevHash)
			}
			for i, e := range s.entries {
				if e.Seq != uint64(i+1) || e.Time.Location() != time.UTC || len(e.Hash) != audit.HashSize {
					t.Errorf("entry %d = %+v", i, e)
				}
			}
		})
	}
}

func TestAppendStoresEvent(t *testing.T) {
	s := &memStore{}
	l := audit.New(s, audit.Options{Now: func() time.Time { return epoch.In(time.FixedZone("x", 3600)) }})
	type params struct {
		KeyID string `json:"key_id"`
		Role  string `json:"role"`
	}
	for _, tc := range []struct {
		name    string
		details any
		want    string
	}{
		{"nil", nil, ""},
		{"nil raw", json.RawMessage(nil), ""},
		{"raw compacted", json.RawMessage(" {\"b\": 1,\n \"a\": [1, 2]} "), `{"b":1,"a":[1,2]}`},
		{"struct", params{KeyID: "k1", Role: "admin"}, `{"key_id":"k1","role":"admin"}`},
		{"map sorted", map[string]int{"z": 1, "a": 2}, `{"a":2,"z":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := l.Append(ctx, audit.Event{Actor: "cli:ops", Action: audit.ActionKeyCreate, Target: "k1", Details: tc.details})
			if err != nil {
				t.Fatal(err)
			}
			if e.Details != tc.want {
				t.Errorf("Details = %q, want %q", e.Details, tc.want)
			}
			if !e.Time.Equal(epoch) || e.Time.Location() != time.UTC {
				t.Errorf("Time = %v, want %v in UTC", e.Time, epoch)
			}
			if stored := s.entries[len(s.entries)-1]; stored.Details != tc.want || !bytes.Equal(stored.Hash, audit.Hash(stored)) {
				t.Errorf("stored %+v", stored)
			}
		})
	}
	if _, err := audit.Verify(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
}

func TestAppendRefusesBadEvents(t *testing.T) {
	ok := audit.Event{Actor: "key:k1", Action: audit.ActionRulesUpdate, Target: "v2"}
	with := func(f func(*audit.Event)) audit.Event { e := ok; f(&e); return e }
	for _, tc := range []struct {
		name   string
		ev     audit.Event
		secret bool
	}{
		{"unknown action", with(func(e *audit.Event) { e.Action = "rules.delete" }), false},
		{"empty action", with(func(e *audit.Event) { e.Action = "" }), false},
		{"empty actor", with(func(e *audit.Event) { e.Actor = "" }), false},
		{"long actor", with(func(e *audit.Event) { e.Actor = strings.Repeat("a", audit.MaxActorLen+1) }), false},
		{"long target", with(func(e *audit.Event) { e.Target = strings.Repeat("a", audit.MaxTargetLen+1) }), false},
		{"actor not UTF-8", with(func(e *audit.Event) { e.Actor = "key:\xff" }), false},
		{"target with newline", with(func(e *audit.Event) { e.Target = "v2\nforged line" }), false},
		{"target with escape", with(func(e *audit.Event) { e.Target = "\x1b[2J" }), false},
		{"details not JSON", with(func(e *audit.Event) { e.Details = json.RawMessage("{") }), false},
		{"details unmarshallable", with(func(e *audit.Event) { e.Details = make(chan int) }), false},
		{"details too long", with(func(e *audit.Event) { e.Details = strings.Repeat("a", audit.MaxDetailsLen) }), false},
		{"api key", with(func(e *audit.Event) { e.Details = map[string]string{"api_key": "vk_live_x"} }), true},
		{"key", with(func(e *audit.Event) { e.Details = map[string]string{"Key": "x"} }), true},
		{"nested secret", with(func(e *audit.Event) {
			e.Details = json.RawMessage(`{"a":[{"b":{"Private-Key":"x"}}]}`)
		}), true},
		{"password", with(func(e *audit.Event) { e.Details = map[string]any{"PASSWORD": 1} }), true},
		{"token", with(func(e *audit.Event) { e.Details = map[string]any{"token": nil} }), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &memStore{}
			_, err := audit.New(s, audit.Options{}).Append(ctx, tc.ev)
			if !errors.Is(err, fraud.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			if errors.Is(err, audit.ErrSecret) != tc.secret {
				t.Errorf("got %v; ErrSecret wanted: %v", err, tc.secret)
			}
			if strings.Contains(err.Error(), "vk_live_x") {
				t.Errorf("error %q echoes the secret", err)
			}
			if len(s.entries) != 0 {
				t.Errorf("stored %d entries", len(s.entries))
			}
		})
	}
	// Key ids are fine.
	_, err := audit.New(&memStore{}, audit.Options{}).Append(ctx, audit.Event{Actor: "cli:ops",
		Action: audit.ActionKeyRotate, Target: "k1", Details: map[string]string{"key_id": "k2", "keyId": "k2"}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestActions(t *testing.T) {
	got := audit.Actions()
	if len(got) < 10 {
		t.Fatalf("Actions() = %v", got)
	}
	seen := map[string]bool{}
	for _, a := range got {
		if seen[a] || !audit.ValidAction(a) || strings.ContainsFunc(a, func(r rune) bool { return r != '.' && (r < 'a' || r > 'z') }) {
			t.Errorf("action %q duplicated, invalid or not lowercase dotted", a)
		}
		seen[a] = true
	}
	got[0] = "changed"
	if audit.ValidAction("changed") {
		t.Error("Actions returned the package's own slice")
	}
}

// mutation changes one stored entry.
type mutation struct {
	name string
	f    func(*fraud.AuditEntry)
}

// byteMutations returns, for every byte of a field, a flip of its low and its high bit, plus
// one byte more and one byte less.
func byteMutations(field string, get func(*fraud.AuditEntry) []byte, set func(*fraud.AuditEntry, []byte), e fraud.AuditEntry) []mutation {
	var out []mutation
	n := len(get(&e))
	for i := range n {
		for _, bit := range []byte{0x01, 0x80} {
			out = append(out, mutation{fmt.Sprintf("%s[%d]^%#x", field, i, bit), func(e *fraud.AuditEntry) {
				b := bytes.Clone(get(e))
				b[i] ^= bit
				set(e, b)
			}})
		}
	}
	out = append(out, mutation{field + "+byte", func(e *fraud.AuditEntry) { set(e, append(bytes.Clone(get(e)), 'x')) }})
	if n > 0 {
		out = append(out, mutation{field + "-byte", func(e *fraud.AuditEntry) { set(e, bytes.Clone(get(e))[:n-1]) }})
	}
	return out
}

func mutations(e fraud.AuditEntry) []mutation {
	str := func(field string, p func(*fraud.AuditEntry) *string) []mutation {
		return byteMutations(field,
			func(e *fraud.AuditEntry) []byte { return []byte(*p(e)) },
			func(e *fraud.AuditEntry, b []byte) { *p(e) = string(b) }, e)
	}
	var out []mutation
	out = append(out, str("Actor", func(e *fraud.AuditEntry) *string { return &e.Actor })...)
	out = append(out, str("Action", func(e *fraud.AuditEntry) *string { return &e.Action })...)
	out = append(out, str("Target", func(e *fraud.AuditEntry) *string { return &e.Target })...)
	out = append(out, str("Details", func(e *fraud.AuditEntry) *string { return &e.Details })...)
	out = append(out, byteMutations("PrevHash",
		func(e *fraud.AuditEntry) []byte { return e.PrevHash },
		func(e *fraud.AuditEntry, b []byte) { e.PrevHash = b }, e)...)
	out = append(out, byteMutations("Hash",
		func(e *fraud.AuditEntry) []byte { return e.Hash },
		func(e *fraud.AuditEntry, b []byte) { e.Hash = b }, e)...)
	for _, d := range []time.Duration{time.Nanosecond, -time.Nanosecond, time.Second, -time.Hour} {
		out = append(out, mutation{fmt.Sprintf("Time%+v", d), func(e *fraud.AuditEntry) { e.Time = e.Time.Add(d) }})
	}
	out = append(out,
		mutation{"Time zero", func(e *fraud.AuditEntry) { e.Time = time.Time{} }},
		mutation{"Seq+1", func(e *fraud.AuditEntry) { e.Seq++ }},
		mutation{"Seq-1", func(e *fraud.AuditEntry) { e.Seq-- }},
		mutation{"Seq+1000", func(e *fraud.AuditEntry) { e.Seq += 1000 }},
		mutation{"PrevHash nil", func(e *fraud.AuditEntry) { e.PrevHash = nil }},
		mutation{"Hash nil", func(e *fraud.AuditEntry) { e.Hash = nil }},
	)
	return out
}

// TestEveryChangeIsDetected changes every byte of every field of every entry, one at a
// time, and checks that Verify names that entry.
func TestEveryChangeIsDetected(t *testing.T) {
	const n = 5
	orig := chain(t, n)
	var cases int
	for i := range n {
		for _, m := range mutations(orig.entries[i]) {
			s := orig.copyStore()
			before := s.entries[i]
			m.f(&s.entries[i])
			_, err := audit.Verify(ctx, s, nil)
			var b *audit.BrokenError
			if !errors.As(err, &b) || b.Seq != uint64(i+1) {
				t.Errorf("entry %d, %s (%+v -> %+v): got %v, want a break at entry %d", i+1, m.name, before, s.entries[i], err, i+1)
			}
			cases++
		}
	}
	t.Logf("%d single changes, all detected", cases)
	if cases < 1000 {
		t.Errorf("only %d cases", cases)
	}
}

func TestSameInstantInAnotherZoneIsNoChange(t *testing.T) {
	s := chain(t, 3)
	s.entries[1].Time = s.entries[1].Time.In(time.FixedZone("x", -7*3600))
	if _, err := audit.Verify(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
}

func TestStructuralTampering(t *testing.T) {
	const n = 6
	orig := chain(t, n)
	head := audit.Head{Seq: n, Hash: orig.entries[n-1].Hash}
	rehash := func(e *fraud.AuditEntry) { e.Hash = audit.Hash(*e) }
	for _, tc := range []struct {
		name   string
		tamper func(s *memStore)
		want   uint64 // 0: Verify passes without a head
		// wantHead is where Verify with ExpectHead breaks (0: it passes).
		wantHead uint64
		reason   string
	}{
		{"delete first", func(s *memStore) { s.entries = s.entries[1:] }, 1, 1, "missing"},
		{"delete middle", func(s *memStore) { s.entries = append(s.entries[:2], s.entries[3:]...) }, 3, 3, "missing"},
		{"truncate tail", func(s *memStore) { s.entries = s.entries[:n-2] }, 0, n - 1, "tail was removed"},
		{"truncate all", func(s *memStore) { s.entries = nil }, 0, 1, "tail was removed"},
		{"swap rows", func(s *memStore) { s.entries[2], s.entries[3] = s.entries[3], s.entries[2] }, 3, 3, "missing"},
		{"swap contents, keep seqs", func(s *memStore) {
			s.entries[2], s.entries[3] = s.entries[3], s.entries[2]
			s.entries[2].Seq, s.entries[3].Seq = 3, 4
		}, 3, 3, "hash does not match"},
		{"duplicate row", func(s *memStore) {
			s.entries = append(s.entries[:3], append([]fraud.AuditEntry{s.entries[2]}, s.entries[3:]...)...)
		}, 4, 4, "out of order"},
		{"change and rehash middle", func(s *memStore) {
			s.entries[2].Actor = "key:attacker"
			rehash(&s.entries[2])
		}, 4, 4, "previous hash does not match entry 3"},
		{"change and rehash first, prev not zero", func(s *memStore) {
			s.entries[0].PrevHash = bytes.Repeat([]byte{1}, audit.HashSize)
			rehash(&s.entries[0])
		}, 1, 1, "first entry is not zero"},
		{"change and rehash last", func(s *memStore) {
			s.entries[n-1].Target = "elsewhere"
			rehash(&s.entries[n-1])
		}, 0, n, "expected head"},
		{"append after the head", func(s *memStore) {
			if _, err := audit.New(s, audit.Options{Now: clock()}).Append(ctx, events(1)[0]); err != nil {
				panic(err)
			}
		}, 0, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := orig.copyStore()
			tc.tamper(s)
			_, err := audit.Verify(ctx, s, nil)
			if tc.want == 0 {
				if err != nil {
					t.Fatalf("without a head: %v", err)
				}
			} else {
				wantBroken(t, err, tc.want)
			}
			_, err = audit.VerifyWith(ctx, s, audit.VerifyOptions{ExpectHead: &head})
			if tc.wantHead == 0 {
				if err != nil {
					t.Fatalf("with the head: %v", err)
				}
				return
			}
			wantBroken(t, err, tc.wantHead)
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not say %q", err, tc.reason)
			}
		})
	}
}

func TestVerifyProgressAndCancel(t *testing.T) {
	s := chain(t, 2*audit.ProgressEvery+5)
	var got []uint64
	r, err := audit.Verify(ctx, s, func(p audit.Progress) { got = append(got, p.Entries) })
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{audit.ProgressEvery, 2 * audit.ProgressEvery, r.Entries}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("progress %v, want %v", got, want)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = audit.Verify(cctx, s, nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, audit.ErrBroken) {
		t.Errorf("cancelled verify: %v", err)
	}
}

func TestHeadStringParse(t *testing.T) {
	s := chain(t, 3)
	h, err := audit.New(s, audit.Options{}).Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Seq != 3 || !bytes.Equal(h.Hash, s.entries[2].Hash) {
		t.Fatalf("Head = %v", h)
	}
	back, err := audit.ParseHead(" " + h.String() + "\n")
	if err != nil || back.String() != h.String() {
		t.Fatalf("ParseHead(%q) = %v, %v", h.String(), back, err)
	}
	if h, err := audit.New(&memStore{}, audit.Options{}).Head(ctx); err != nil || h.Seq != 0 {
		t.Errorf("head of an empty log = %v, %v", h, err)
	}
	for _, bad := range []string{"", "3", "0:" + strings.Repeat("00", 32), "x:00", "3:zz", "3:" + strings.Repeat("00", 31)} {
		if _, err := audit.ParseHead(bad); !errors.Is(err, fraud.ErrInvalid) {
			t.Errorf("ParseHead(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// TestConcurrentAppenders runs several Logs (as several vigil instances would) on one
// store, each used by several goroutines, and checks that one gap-free chain results.
func TestConcurrentAppenders(t *testing.T) {
	s := &memStore{beforeAppend: runtime.Gosched}
	testConcurrent(t, func() fraud.AuditStore { return s }, 3, 4, 25)
}

func testConcurrent(t *testing.T, store func() fraud.AuditStore, logs, goroutines, each int) {
	t.Helper()
	now := clock()
	var wg sync.WaitGroup
	var mu sync.Mutex
	seqs := map[uint64]bool{}
	for range logs {
		l := audit.New(store(), audit.Options{Now: now, Attempts: 1000})
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					e, err := l.Append(ctx, audit.Event{Actor: fmt.Sprintf("key:g%d", g),
						Action: audit.ActionLabelCreate, Target: fmt.Sprintf("tx-%d", i)})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if seqs[e.Seq] {
						t.Errorf("sequence number %d given twice", e.Seq)
					}
					seqs[e.Seq] = true
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	r, err := audit.Verify(ctx, store(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(logs * goroutines * each); r.Entries != want || uint64(len(seqs)) != want {
		t.Fatalf("%d entries, %d returned, want %d", r.Entries, len(seqs), want)
	}
}

// scriptedStore answers AppendAudit with the errors of a script, then defers to memStore.
type scriptedStore struct {
	memStore
	appendErrs []error
	appends    int
}

func (s *scriptedStore) AppendAudit(ctx context.Context, e fraud.AuditEntry) error {
	s.appends++
	if len(s.appendErrs) > 0 {
		err := s.appendErrs[0]
		s.appendErrs = s.appendErrs[1:]
		return err
	}
	return s.memStore.AppendAudit(ctx, e)
}

func TestAppendRetries(t *testing.T) {
	conflict := fmt.Errorf("raced: %w", fraud.ErrConflict)
	down := errors.New("disk on fire")
	ev := events(1)[0]
	for _, tc := range []struct {
		name     string
		errs     []error
		attempts int
		wantErr  error
		appends  int
	}{
		{"no conflict", nil, 3, nil, 1},
		{"two conflicts", []error{conflict, conflict}, 3, nil, 3},
		{"gives up", []error{conflict, conflict, conflict}, 3, fraud.ErrConflict, 3},
		{"store error is not retried", []error{down}, 3, down, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scriptedStore{appendErrs: tc.errs}
			_, err := audit.New(s, audit.Options{Attempts: tc.attempts}).Append(ctx, ev)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
			if s.appends != tc.appends {
				t.Errorf("%d appends, want %d", s.appends, tc.appends)
			}
		})
	}
}

// TestAppendAfterAnotherWriter checks that a Log whose cached head went stale (another
// instance appended) rereads it and still extends the one chain.
func TestAppendAfterAnotherWriter(t *testing.T) {
	s := &memStore{}
	a := audit.New(s, audit.Options{Now: clock()})
	b := audit.New(s, audit.Options{Now: clock()})
	for i, ev := range events(6) {
		l := a
		if i%3 == 1 {
			l = b
		}
		if _, err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := audit.Verify(ctx, s, nil); err != nil || r.Entries != 6 {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
}

func TestBrokenHeadIsLogged(t *testing.T) {
	s := chain(t, 2)
	s.entries[1].Actor = "key:attacker"
	var logged bytes.Buffer
	l := audit.New(s, audit.Options{Now: clock(), Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if _, err := l.Append(ctx, events(1)[0]); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "does not match its content") || strings.Contains(logged.String(), "attacker") {
		t.Errorf("log %q: want the broken head reported, without its actor", logged.String())
	}
	_, err := audit.Verify(ctx, s, nil)
	wantBroken(t, err, 2)
}
