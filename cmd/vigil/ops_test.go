package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/score"
	"github.com/vigil-fraud/vigil/internal/score/scoretest"
	"github.com/vigil-fraud/vigil/internal/state/memory"
)

// stopAfterFirstBatch is a context that ends at the second of Purge's per-batch checks: a
// shutdown in the middle of a purge.
type stopAfterFirstBatch struct {
	context.Context
	mu     sync.Mutex
	checks int
}

func (c *stopAfterFirstBatch) Err() error {
	pc := make([]uintptr, 1)
	runtime.Callers(2, pc)
	if fn := runtime.FuncForPC(pc[0]); fn != nil && strings.HasSuffix(fn.Name(), "(*Store).Purge") {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.checks++; c.checks > 1 {
			return context.Canceled
		}
	}
	return nil
}

// TestInterruptedPurgeIsAudited: a purge stopped after some batches has deleted them; the
// audit log records what it removed.
func TestInterruptedPurgeIsAudited(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	d, err := openDataDir(ctx, env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	old := time.Now().UTC().Add(-60 * 24 * time.Hour)
	var wg sync.WaitGroup
	for i := range 700 {
		wg.Go(func() {
			id := fmt.Sprintf("old-%d", i)
			tx := fraud.Transaction{ID: id, Timestamp: old, Amount: 5, Currency: "EUR", CustomerID: "p1_c", TerminalID: "t"}
			if err := d.Store.SaveDecision(ctx, &tx, &fraud.Decision{ID: "dec-" + id, TransactionID: id,
				Outcome: fraud.Approve, Score: 0.1, ModelVersion: "m", RulesVersion: "r", CreatedAt: old}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	s := &server{cfg: config.Serve{Retention: 30 * 24 * time.Hour}, log: slog.New(slog.DiscardHandler), data: d}
	s.purge(&stopAfterFirstBatch{Context: ctx})
	removed := 0
	for i := range 700 {
		if _, err := d.Store.Transaction(ctx, fmt.Sprintf("old-%d", i)); err != nil {
			removed++
		}
	}
	if removed == 0 || removed == 700 {
		t.Fatalf("setup: the purge removed %d of 700, want it stopped part-way", removed)
	}
	for _, row := range auditRows(t, dir) {
		if row.Action == "data.purge" && strings.Contains(row.Detail, fmt.Sprintf(`"removed":%d`, removed)) {
			return
		}
	}
	t.Fatalf("the purge removed %d transactions and left no data.purge audit entry saying so", removed)
}

// TestExplainAfterRefusedRulesEdit: an edit of the rules file the server refused (it keeps
// its running set) does not stop vigil explain, which takes each decision's rule set from
// the archive.
func TestExplainAfterRefusedRulesEdit(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	noEnv := func(string) string { return "" }
	d, err := openDataDir(ctx, env{stdout: io.Discard, stderr: io.Discard, getenv: noEnv}, dir)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := model.OpenRegistry(d.ModelsPath(), model.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := reg.Add(scoretest.ModelFile(t, 10))
	if err != nil {
		t.Fatal(err)
	}
	state, err := memory.Open(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := feature.New(feature.Options{State: state})
	if err != nil {
		t.Fatal(err)
	}
	p, err := score.New(score.Options{Engine: engine, Store: d.Store, Pseudonymizer: d.Secrets.Pseudonymizer,
		Model: f, Archive: score.DirArchive(d.RulesPath())})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Score(ctx, &fraud.Transaction{ID: "tx-1", Timestamp: time.Now().UTC().Add(-time.Minute),
		Amount: 42.5, Currency: "EUR", CustomerID: "c-17", TerminalID: "t-4"})
	if err != nil {
		t.Fatal(err)
	}
	state.Close()
	d.Close()
	broken := "version: 1\nthresholds: {review: 0.5, decline: 0.9}\nrules:\n  - name: x\n    when: txn.amout > 1\n    action: review\n    reason: r\n"
	if err := os.WriteFile(filepath.Join(dir, rulesFile), []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := run(ctx, env{stdout: &out, stderr: &out, getenv: noEnv},
		[]string{"explain", "--data-dir", dir, r.Decision.ID}); code != 0 {
		t.Fatalf("explain fails after a refused rules edit: %d\n%s", code, &out)
	}
}
