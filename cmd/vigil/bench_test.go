package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// TestBenchBody checks the load generator's transactions: valid for the API, ids distinct,
// and with --ids random in no order (an index on them takes inserts all over).
func TestBenchBody(t *testing.T) {
	for _, random := range []bool{false, true} {
		seen := map[string]bool{}
		firstDigits := map[byte]bool{}
		prev, ascending := "", 0
		const n = 5000
		for i := range uint64(n) {
			tx, err := fraud.DecodeTransaction(benchBody("run1", i, random))
			if err != nil {
				t.Fatalf("random %v, body %d: %v", random, i, err)
			}
			if seen[tx.ID] {
				t.Fatalf("random %v: id %s repeats", random, tx.ID)
			}
			seen[tx.ID] = true
			firstDigits[tx.ID[0]] = true
			if tx.ID > prev {
				ascending++
			}
			prev = tx.ID
		}
		switch {
		case random && (len(firstDigits) < 16 || ascending > n*6/10):
			t.Errorf("random ids: %d distinct first digits, %d of %d ascending", len(firstDigits), ascending, n)
		case !random && ascending < n*9/10:
			t.Errorf("ordered ids: only %d of %d ascending", ascending, n)
		}
	}
}

// TestShellBench drives `vigil bench` from a shell against the real `vigil serve`.
func TestShellBench(t *testing.T) {
	dir := t.TempDir()
	keys := demoWithKeys(t, dir, "scorer", "analyst")
	scorer, analyst := keys[0], keys[1]
	s := startServe(t, dir, "--data-dir", "data", "--model", "demo/model.json")
	r := sh(t, dir, "VIGIL_BENCH_KEY="+scorer+" vigil bench --json --verify --ids random --duration 1s --connections 4 --url "+s.url+"/v1/score")
	var rep benchReport
	if r.code != 0 || json.Unmarshal([]byte(lastLine(r.stdout)), &rep) != nil {
		t.Fatalf("bench: code %d %s %s", r.code, r.stdout, r.stderr)
	}
	if rep.Requests == 0 || rep.OK != rep.Requests || rep.Statuses["200"] != int(rep.OK) || rep.IDs != "random" {
		t.Fatalf("bench report: %+v", rep)
	}
	// Every sampled decision came back from the store as first answered.
	if rep.Verified == 0 || rep.VerifyFailed != 0 {
		t.Fatalf("bench --verify: %d verified, %d failed", rep.Verified, rep.VerifyFailed)
	}
	got := call(t, "GET", s.url+"/v1/decisions?limit=20", analyst, "")
	items, _ := got.body["items"].([]any)
	if got.status != 200 || len(items) == 0 {
		t.Fatalf("decisions: %d %s", got.status, got.raw)
	}
	randomID := regexp.MustCompile(`^[0-9a-f]{16}-[0-9a-z]+$`)
	for _, it := range items {
		if id, _ := it.(map[string]any)["transaction_id"].(string); !randomID.MatchString(id) {
			t.Errorf("transaction id %q is not a random bench id", id)
		}
	}
	// The open loop, as a person reads it: the rate is kept and the senders' own lateness
	// is reported beside the latency.
	// 50/s for 1 s schedules 50 requests: an open loop never sends more (a closed loop
	// would send hundreds); on a loaded machine late senders may send fewer.
	r = sh(t, dir, "VIGIL_BENCH_KEY="+scorer+" vigil bench --rate 50 --duration 1s --connections 4 --url "+s.url+"/v1/score")
	m := regexp.MustCompile(` (\d+) requests in .*, (\d+) ok,`).FindStringSubmatch(r.stdout)
	if r.code != 0 || !strings.Contains(r.stdout, "woke late by up to") || m == nil || m[1] != m[2] || len(m[1]) > 2 || m[1] == "0" ||
		(len(m[1]) == 2 && m[1] > "51") {
		t.Errorf("bench --rate 50 for 1s: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := sh(t, dir, "VIGIL_BENCH_KEY="+scorer+" vigil bench --ids sorted --url "+s.url+"/v1/score"); r.code != 2 {
		t.Errorf("--ids sorted: code %d, want 2 (usage)", r.code)
	}
}

// TestBenchVerifyCatchesUnstored: against a server that answers every request and stores
// nothing (a new decision id each time, never a replay), --verify fails the run.
func TestBenchVerifyCatchesUnstored(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, `{"decision":"approve","decision_id":"dec_%d","replayed":false}`, n.Add(1))
	}))
	defer srv.Close()
	rep, err := loadTest(context.Background(), srv.URL, "k", 2, 0, 300*time.Millisecond, "ordered", true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verified == 0 || rep.VerifyFailed != rep.Verified {
		t.Fatalf("a server that stores nothing: %d verified, %d failed; want all failed", rep.Verified, rep.VerifyFailed)
	}
	// The same through the command: a failed verification is a failed run.
	dir := t.TempDir()
	r := sh(t, dir, "VIGIL_BENCH_KEY=k vigil bench --verify --duration 300ms --connections 2 --url "+srv.URL)
	if r.code == 0 || !strings.Contains(r.stderr+r.stdout, "did not come back as stored") {
		t.Fatalf("vigil bench --verify against a server that stores nothing: code %d, %s %s", r.code, r.stdout, r.stderr)
	}
}

// TestPacerSlot checks where the open loop's latency counts from: the scheduled time when
// the sender is behind (all connections were busy: the server's delay stays in the
// figure), the actual send when the sender slept and woke late (the client's delay stays
// out, and is reported as such).
func TestPacerSlot(t *testing.T) {
	base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := base
	var slept time.Duration
	p := pacer{
		now: func() time.Time { return clock },
		after: func(d time.Duration) <-chan time.Time {
			slept = d
			clock = clock.Add(d + 700*time.Microsecond) // wakes 700 µs late
			c := make(chan time.Time, 1)
			c <- clock
			return c
		},
	}
	ctx := context.Background()

	// Free before its slot: sleeps until due, wakes late, counts from the wake-up.
	due := base.Add(2 * time.Millisecond)
	from, late, ok := p.slot(ctx, due)
	if !ok || slept != 2*time.Millisecond || !from.Equal(due.Add(700*time.Microsecond)) || late != 700*time.Microsecond {
		t.Fatalf("early sender: slept %v, from %v, late %v, ok %v; want 2ms, due+700µs, 700µs, true",
			slept, from.Sub(base), late, ok)
	}

	// Behind its slot (the previous answer came after due): no sleep, counts from due.
	slept = 0
	due = clock.Add(-3 * time.Millisecond)
	from, late, ok = p.slot(ctx, due)
	if !ok || slept != 0 || !from.Equal(due) || late != -1 {
		t.Fatalf("late sender: slept %v, from %v, late %v, ok %v; want 0, due, -1, true", slept, from.Sub(due), late, ok)
	}

	// The run ends while waiting: no request.
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	p.after = func(time.Duration) <-chan time.Time { return nil }
	if _, _, ok := p.slot(ctx, clock.Add(time.Second)); ok {
		t.Fatal("a sender waiting when the run ended still sent")
	}
}
