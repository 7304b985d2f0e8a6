package rules

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// writeRules writes a rule file and moves its modification time forward, so that a rewrite
// within the file system's timestamp granularity is still seen as a change.
func writeRules(t *testing.T, path, src string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	next := time.Now().Add(time.Hour)
	if fi, err := os.Stat(path); err == nil && !fi.ModTime().Before(next) {
		next = fi.ModTime().Add(time.Second)
	}
	if err := os.Chtimes(path, next, next); err != nil {
		t.Fatal(err)
	}
}

var (
	goodV1 = header + rule("a", "score > 0.1", "review")
	goodV2 = header + rule("a", "score > 0.1", "review") + rule("b", "txn.card in lists.blocked_cards", "decline")
	// broken holds a list entry in a string literal: it must not reach the log.
	broken = header + rule("a", `txn.card == "card_secret_entry" && nope`, "decline")
)

func TestWatcherCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, goodV1)
	var logs bytes.Buffer
	var reported []error
	var reloaded []string
	w, err := NewWatcher(WatcherOptions{
		Path: path, Rules: testOptions(),
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
		OnError:  func(err error) { reported = append(reported, err) },
		OnReload: func(rs *RuleSet) { reloaded = append(reloaded, rs.Version()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	v1 := w.Current().Version()
	if v1 != Version([]byte(goodV1)) {
		t.Fatalf("version %s, want the file's", v1)
	}

	steps := []struct {
		name        string
		write       string // "" leaves the file as it is
		wantReload  bool
		wantErr     bool
		wantVersion string
	}{
		{"unchanged", "", false, false, v1},
		{"touched, same bytes", goodV1, false, false, v1},
		{"changed", goodV2, true, false, Version([]byte(goodV2))},
		{"broken", broken, false, true, Version([]byte(goodV2))},
		{"still broken, not reported again", "", false, false, Version([]byte(goodV2))},
		{"fixed", goodV1, true, false, v1},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.write != "" {
				writeRules(t, path, s.write)
			}
			n := len(reported)
			got, err := w.Check()
			if got != s.wantReload || (err != nil) != s.wantErr {
				t.Errorf("Check() = %v, %v; want reload %v, error %v", got, err, s.wantReload, s.wantErr)
			}
			if s.wantErr {
				if !errors.Is(err, fraud.ErrInvalid) || len(reported) != n+1 {
					t.Errorf("error %v, reported %d times; want an ErrInvalid reported once", err, len(reported)-n)
				}
			} else if len(reported) != n {
				t.Errorf("reported %v", reported[n:])
			}
			if v := w.Current().Version(); v != s.wantVersion {
				t.Errorf("running version %s, want %s", v, s.wantVersion)
			}
		})
	}
	if len(reloaded) != 2 {
		t.Errorf("OnReload called for %v, want the two reloads", reloaded)
	}
	if strings.Contains(logs.String(), "card_secret_entry") {
		t.Errorf("the log holds a rule's contents:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "rules[0].when (line 5)") {
		t.Errorf("the log does not name the bad rule and line:\n%s", logs.String())
	}
}

func TestWatcherMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if _, err := NewWatcher(WatcherOptions{Path: path}); err == nil {
		t.Error("NewWatcher started without a file")
	}
	writeRules(t, path, broken)
	if _, err := NewWatcher(WatcherOptions{Path: path, Rules: testOptions()}); !errors.Is(err, fraud.ErrInvalid) {
		t.Errorf("NewWatcher on a broken file: %v, want ErrInvalid", err)
	}
	writeRules(t, path, goodV1)
	reported := 0
	w, err := NewWatcher(WatcherOptions{Path: path, Rules: testOptions(), OnError: func(error) { reported++ }})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := w.Check(); err == nil {
			t.Error("Check on a removed file returned no error")
		}
	}
	if reported != 1 || w.Current().Version() != Version([]byte(goodV1)) {
		t.Errorf("reported %d times, running %s; want once and the old set", reported, w.Current().Version())
	}
	writeRules(t, path, goodV2)
	if ok, err := w.Check(); !ok || err != nil {
		t.Errorf("Check after the file came back: %v, %v", ok, err)
	}
}

// TestWatcherRun checks the ticking goroutine picks up a change and ignores a broken file.
func TestWatcherRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, goodV1)
	reloads, failures := make(chan *RuleSet, 4), make(chan error, 4)
	w, err := NewWatcher(WatcherOptions{
		Path: path, Interval: 5 * time.Millisecond, Rules: testOptions(),
		// A tick may catch a file half written and refuse it: never block the watcher on that.
		OnReload: func(rs *RuleSet) {
			select {
			case reloads <- rs:
			default:
			}
		},
		OnError: func(err error) {
			select {
			case failures <- err:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- w.Run(ctx) }()

	writeRules(t, path, broken)
	if err := <-failures; !errors.Is(err, fraud.ErrInvalid) {
		t.Errorf("failure %v, want ErrInvalid", err)
	}
	if w.Current().Version() != Version([]byte(goodV1)) {
		t.Error("a broken file replaced the running set")
	}
	writeRules(t, path, goodV2)
	if rs := <-reloads; rs.Version() != Version([]byte(goodV2)) || w.Current() != rs {
		t.Errorf("reloaded %s, running %s; want %s", rs.Version(), w.Current().Version(), Version([]byte(goodV2)))
	}
	cancel()
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

func TestWatcherSet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, goodV1)
	w, err := NewWatcher(WatcherOptions{Path: path, Rules: testOptions()})
	if err != nil {
		t.Fatal(err)
	}
	rs := mustParse(t, goodV2, testOptions())
	w.Set(rs)
	if ok, _ := w.Check(); ok || w.Current() != rs {
		t.Error("an unchanged file replaced the set given to Set")
	}
}
