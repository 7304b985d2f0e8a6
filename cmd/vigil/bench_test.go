package main

import (
	"encoding/json"
	"regexp"
	"testing"

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
	r := sh(t, dir, "VIGIL_BENCH_KEY="+scorer+" vigil bench --json --ids random --duration 1s --connections 4 --url "+s.url+"/v1/score")
	var rep benchReport
	if r.code != 0 || json.Unmarshal([]byte(lastLine(r.stdout)), &rep) != nil {
		t.Fatalf("bench: code %d %s %s", r.code, r.stdout, r.stderr)
	}
	if rep.Requests == 0 || rep.OK != rep.Requests || rep.Statuses["200"] != int(rep.OK) || rep.IDs != "random" {
		t.Fatalf("bench report: %+v", rep)
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
	if r := sh(t, dir, "VIGIL_BENCH_KEY="+scorer+" vigil bench --ids sorted --url "+s.url+"/v1/score"); r.code != 2 {
		t.Errorf("--ids sorted: code %d, want 2 (usage)", r.code)
	}
}
