package rules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// DefaultInterval is how often a Watcher looks at its file when WatcherOptions.Interval is 0.
const DefaultInterval = 5 * time.Second

// Log keys of the Watcher.
const (
	logKeyPath    = "path"
	logKeyVersion = "rules_version"
	logKeyRules   = "rules"
	logKeyPrev    = "previous_rules_version"
	logKeyErrors  = "errors"
)

// WatcherOptions configure a Watcher.
type WatcherOptions struct {
	// Path is the rule file. Required.
	Path string
	// Interval is how often the file is checked; 0 means DefaultInterval.
	Interval time.Duration
	// Rules are the options every version of the file is parsed with.
	Rules Options
	// Logger receives a line per reload and per refused file; nil discards. Lines name the
	// file, the version and the bad paths with their lines, never a rule's contents.
	Logger *slog.Logger
	// OnReload, if set, is called with each newly loaded set, from the watching goroutine.
	OnReload func(*RuleSet)
	// OnError, if set, is called when a changed file cannot be read or is refused; the
	// running set stays. Called from the watching goroutine.
	OnError func(error)
}

// Watcher holds the running rule set and replaces it when its file changes. Current is safe
// for concurrent use and never blocks.
//
// Replace the file atomically (write a temporary file, rename it over the old one): a check
// that reads a half-written file refuses it, reports it and keeps the running set until the
// write completes and changes the file again.
type Watcher struct {
	opts    WatcherOptions
	log     *slog.Logger
	current atomic.Pointer[RuleSet]

	mu      sync.Mutex // serialises Check
	seen    fileStamp  // the file as last examined, loaded or refused
	failing bool       // the last Check failed: seen is a refused or missing file
}

// fileStamp is what the watcher compares to notice a change without reading the file.
type fileStamp struct {
	modTime time.Time
	size    int64
	sum     [sha256.Size]byte
}

// NewWatcher loads the file once. It fails, with the file's *fraud.ValidationError when the
// file is refused, if there is no valid set to start with.
func NewWatcher(opts WatcherOptions) (*Watcher, error) {
	if opts.Path == "" {
		return nil, errors.New("rules watcher: no path")
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	w := &Watcher{opts: opts, log: opts.Logger}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	src, stamp, err := w.read()
	if err != nil {
		return nil, err
	}
	rs, err := Parse(src, opts.Rules)
	if err != nil {
		return nil, fmt.Errorf("rules %s: %w", opts.Path, err)
	}
	w.seen = stamp
	w.current.Store(rs)
	w.log.Info("rules loaded", logKeyPath, opts.Path, logKeyVersion, rs.Version(), logKeyRules, len(rs.rules))
	return w, nil
}

// Current returns the running rule set; never nil.
func (w *Watcher) Current() *RuleSet { return w.current.Load() }

// Set replaces the running set, as when the API accepts a new one. The file is still
// watched: its next change replaces this set in turn.
func (w *Watcher) Set(rs *RuleSet) {
	if rs != nil {
		w.current.Store(rs)
	}
}

// Run checks the file every Interval until ctx is done, then returns ctx's error.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			_, _ = w.Check()
		}
	}
}

// Check looks at the file once. When its modification time or size changed and its bytes
// did too, it parses them and swaps the new set in, returning true. A file that cannot be
// read or is refused leaves the running set, is logged and passed to OnError, and is not
// reported again until it changes. Run calls Check; tests and signal handlers may too.
func (w *Watcher) Check() (reloaded bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fi, err := os.Stat(w.opts.Path)
	if err != nil {
		return false, w.fail(fmt.Errorf("rules %s: %w", w.opts.Path, err), fileStamp{})
	}
	if fi.ModTime().Equal(w.seen.modTime) && fi.Size() == w.seen.size {
		return false, nil
	}
	src, stamp, err := w.read()
	if err != nil {
		return false, w.fail(err, fileStamp{})
	}
	if stamp.sum == w.seen.sum {
		w.seen = stamp // touched, not changed
		return false, nil
	}
	rs, err := Parse(src, w.opts.Rules)
	if err != nil {
		return false, w.fail(fmt.Errorf("rules %s: %w", w.opts.Path, err), stamp)
	}
	w.seen, w.failing = stamp, false
	old := w.current.Swap(rs)
	w.log.Info("rules reloaded", logKeyPath, w.opts.Path, logKeyVersion, rs.Version(),
		logKeyPrev, old.Version(), logKeyRules, len(rs.rules))
	if w.opts.OnReload != nil {
		w.opts.OnReload(rs)
	}
	return true, nil
}

// fail reports a refused or unreadable file once per distinct file.
func (w *Watcher) fail(err error, stamp fileStamp) error {
	if w.failing && stamp == w.seen {
		return err
	}
	w.seen, w.failing = stamp, true
	w.log.Error("rules refused; keeping the running set", logKeyPath, w.opts.Path,
		logKeyVersion, w.current.Load().Version(), logKeyErrors, safeSummary(err))
	if w.opts.OnError != nil {
		w.opts.OnError(err)
	}
	return err
}

// read reads the file, bounded by MaxFileBytes (one more byte is read so Parse refuses a
// longer file rather than seeing a truncated one).
func (w *Watcher) read() ([]byte, fileStamp, error) {
	f, err := os.Open(w.opts.Path)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("rules %s: %w", w.opts.Path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("rules %s: %w", w.opts.Path, err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(f, MaxFileBytes+1)); err != nil {
		return nil, fileStamp{}, fmt.Errorf("rules %s: %w", w.opts.Path, err)
	}
	return buf.Bytes(), fileStamp{modTime: fi.ModTime(), size: fi.Size(), sum: sha256.Sum256(buf.Bytes())}, nil
}

// safeSummary describes err for a log line: for a refused file, the bad paths and their
// lines only, since a reason may quote an expression and an expression may hold a list entry.
func safeSummary(err error) string {
	var verr *fraud.ValidationError
	if !errors.As(err, &verr) {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return pe.Op + ": " + pe.Err.Error()
		}
		return "unreadable"
	}
	parts := make([]string, 0, len(verr.Fields))
	for _, f := range verr.Fields {
		p := f.Path
		if p == "" {
			p = "file"
		}
		if line, _, ok := strings.Cut(f.Reason, ":"); ok && strings.HasPrefix(line, "line ") {
			p += " (" + line + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}
