package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/seal"
)

// The store implements every store contract of the domain.
var (
	_ fraud.DecisionStore = (*Store)(nil)
	_ fraud.LabelStore    = (*Store)(nil)
	_ fraud.KeyStore      = (*Store)(nil)
	_ fraud.AuditStore    = (*Store)(nil)
	_ fraud.CaseStore     = (*Store)(nil)
	_ fraud.ListStore     = (*Store)(nil)
	_ fraud.Retention     = (*Store)(nil)
)

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("sqlite store: closed")

// Options configure Open. Path and Sealer are required; zero values of the rest take the
// defaults named beside them.
type Options struct {
	// Path is the database file; its directory is created (mode 0700) if missing.
	Path string
	// Sealer seals sensitive columns. Required: the store refuses to hold them in clear.
	Sealer *seal.Sealer
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// MaxBatch is the most decisions one group commit writes (default 256).
	MaxBatch int
	// MaxDelay is how long the writer waits for more decisions after the first one of a
	// batch (default 0: it takes what is queued and commits at once).
	MaxDelay time.Duration
	// QueueSize is how many SaveDecision calls may wait for the writer (default 4096);
	// more callers block until there is room.
	QueueSize int
	// BusyTimeout is how long a write waits for another connection's lock (default 10s).
	BusyTimeout time.Duration
	// MaxOpenConns bounds the connection pool (default 8).
	MaxOpenConns int
	// CheckpointEvery is how often a background checkpoint copies the write-ahead log into
	// the database (default defaultCheckpointEvery); see checkpointer.
	CheckpointEvery time.Duration

	// walRestartFrames overrides defaultWALRestartFrames (tests only).
	walRestartFrames int64
}

// Log keys.
const (
	logKeyBatch = "batch"
	logKeyError = "error"
)

// Store is the SQLite store. It is safe for concurrent use; Close it once.
type Store struct {
	db     *sql.DB
	sealer *seal.Sealer
	log    *slog.Logger
	opts   Options

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	// bulk is held by the decision writer for each batch it writes and by Purge for each
	// batch it deletes, so that the two take turns in this process instead of meeting on
	// SQLite's lock, whose busy handler would make the writer sleep and retry.
	bulk sync.Mutex
	// purgePause, when set (tests only), runs between two of Purge's batches.
	purgePause func()
	queue      chan *saveRequest
	wconn      *sql.Conn      // the writer's connection: synchronous=NORMAL, the syncer fsyncs
	synced     chan committed // from the writer to the syncer
	done       chan struct{}  // closed when the writer and the syncer have exited
	failed     atomic.Pointer[error]
	// restartDue asks the writer to checkpoint between two batches so that the log starts
	// over (see restartLog).
	restartDue atomic.Bool
	// truncateDue says that a purge or an erasure deleted rows whose old pages the log may
	// still hold: the checkpointer tries a TRUNCATE checkpoint on each tick until one
	// succeeds (checkpoint).
	truncateDue atomic.Bool
	// checkpointRuns counts the checkpointer's checkpoints (tests: it skips them when idle).
	checkpointRuns atomic.Int64

	stopCheckpoints context.CancelFunc // called by Close
	checkpointsDone chan struct{}      // closed when the checkpointer has exited

	saveTx, saveDecision, deleteTx *sql.Stmt

	features featureSets
}

// Open opens (creating if needed) the database at o.Path, applies pending migrations and
// starts the decision writer. It fails with an error wrapping fraud.ErrInvalid when an
// option is unusable.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Path == "" || strings.ContainsAny(o.Path, "?#") {
		return nil, fmt.Errorf("sqlite store: path must be set and hold no '?' or '#': %w", fraud.ErrInvalid)
	}
	if o.Sealer == nil {
		return nil, fmt.Errorf("sqlite store: a sealer is required: %w", fraud.ErrInvalid)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 4096
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 10 * time.Second
	}
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = 8
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = defaultCheckpointEvery
	}
	if o.walRestartFrames <= 0 {
		o.walRestartFrames = defaultWALRestartFrames
	}
	if err := createPrivate(o.Path); err != nil {
		return nil, err
	}
	// A file: URI: SQLite decodes %XX in it, so a '%' of the path is written %25, or the
	// database would land in another file than the one createPrivate made and the syncer
	// fsyncs.
	dsn := "file:" + strings.ReplaceAll(o.Path, "%", "%25") +
		"?_pragma=" + fmt.Sprintf("busy_timeout(%d)", o.BusyTimeout.Milliseconds()) +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)" +
		"&_pragma=secure_delete(1)&_pragma=wal_autocheckpoint(0)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: open: %w", err)
	}
	db.SetMaxOpenConns(o.MaxOpenConns)
	db.SetMaxIdleConns(o.MaxOpenConns)
	s := &Store{db: db, sealer: o.Sealer, log: o.Logger, opts: o,
		queue: make(chan *saveRequest, o.QueueSize), done: make(chan struct{}),
		checkpointsDone: make(chan struct{})}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if s.wconn, err = writerConn(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	s.synced = make(chan committed)
	go s.writer()
	go s.syncer()
	// The checkpointer lives as long as the store, not as the ctx Open was called with.
	cpCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopCheckpoints = cancel
	go s.checkpointer(cpCtx, s.checkpointsDone)
	return s, nil
}

// pageSize is the page size of the databases this package creates. A decision writes its
// rows at the end of their tables and one entry at a random place in each index whose key
// clients choose (the transaction id, the customer); each such entry costs a whole page in
// the log at commit and again at the checkpoint. With 1 KiB pages instead of SQLite's 4 KiB
// default a durable decision wrote 8.4 KB instead of 16.6 KB and used 53-57 µs of processor
// time instead of 64-66 (BenchmarkSaveDecisionRealistic, written-B/decision and
// cpu-µs/decision). A database made by an earlier version keeps its page size.
const pageSize = 1024

// setPageSize gives a database that holds nothing yet the page size pageSize. The
// connection's pragmas have already put it in WAL mode, where the page size is fixed, so it
// leaves WAL mode, sets the size, rebuilds the (empty) file and goes back.
func setPageSize(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	defer conn.Close()
	var objects, size int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&objects); err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	if objects > 0 || size == pageSize {
		return nil
	}
	for _, q := range []string{
		"PRAGMA journal_mode = DELETE",
		"PRAGMA page_size = " + strconv.Itoa(pageSize),
		"VACUUM",
		"PRAGMA journal_mode = WAL",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlite store: new database: %w", err)
		}
	}
	return nil
}

// writerConn returns the connection the decision writer commits on. Its commits do not
// fsync (synchronous=NORMAL): the syncer fsyncs the log after each commit and only then
// answers, so a decision is as durable when SaveDecision returns as under synchronous=FULL,
// while the writer writes the next batch during the fsync. Under NORMAL, SQLite still
// fsyncs the log before each checkpoint, the database after it, and the log's header when
// the log starts over after a checkpoint, so a crash loses at most what was not yet
// answered and never corrupts (https://sqlite.org/pragma.html#pragma_synchronous).
func writerConn(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: writer connection: %w", err)
	}
	for _, q := range []string{"PRAGMA synchronous = NORMAL", "PRAGMA journal_size_limit = " + strconv.Itoa(walSizeLimit)} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			c.Close()
			return nil, fmt.Errorf("sqlite store: writer connection: %w", err)
		}
	}
	return c, nil
}

// fail records err as the reason the store takes no more decisions.
func (s *Store) fail(err error) { s.failed.CompareAndSwap(nil, &err) }

func (s *Store) init(ctx context.Context) error {
	if err := setPageSize(ctx, s.db); err != nil {
		return err
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite store: journal mode is %q, not wal", mode)
	}
	if err := migrate(ctx, s.db); err != nil {
		return err
	}
	if err := s.loadFeatureSets(ctx); err != nil {
		return err
	}
	var err error
	if s.saveTx, err = s.db.PrepareContext(ctx, insertTransactionSQL); err != nil {
		return fmt.Errorf("sqlite store: prepare: %w", err)
	}
	if s.saveDecision, err = s.db.PrepareContext(ctx, insertDecisionSQL); err != nil {
		return fmt.Errorf("sqlite store: prepare: %w", err)
	}
	if s.deleteTx, err = s.db.PrepareContext(ctx, deleteTransactionSQL); err != nil {
		return fmt.Errorf("sqlite store: prepare: %w", err)
	}
	return nil
}

// createPrivate makes sure the database file exists with mode 0600 (tightening a looser
// mode) before SQLite opens it, so the file is never readable by others, even briefly.
func createPrivate(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("sqlite store: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("sqlite store: %w", err)
	}
	return f.Close()
}

// Close stops accepting decisions, waits until every queued one is written and answered,
// then closes the database. Calls after the first return nil.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.queue)
	s.mu.Unlock()
	<-s.done
	if err := s.wconn.Close(); err != nil {
		s.log.Warn("closing the writer's connection", logKeyError, err)
	}
	s.stopCheckpoints()
	<-s.checkpointsDone
	// Leave a small log behind: copy it all into the database and truncate it.
	if _, err := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		s.log.Warn("final checkpoint failed", logKeyError, err)
	}
	return s.db.Close()
}

// isConstraint reports whether err is an SQLite constraint violation (unique, primary key,
// foreign key, check).
func isConstraint(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == 19 // SQLITE_CONSTRAINT
}

// invalid returns an error wrapping fraud.ErrInvalid.
func invalid(what string) error {
	return fmt.Errorf("%s: %w", what, fraud.ErrInvalid)
}

// nanos encodes t for an INTEGER column; the zero time is NULL.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// fromNanos decodes an INTEGER time column; NULL is the zero time.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// representable reports whether t fits an int64 of nanoseconds (years 1678 to 2262).
func representable(t time.Time) bool {
	return t.Equal(time.Unix(0, t.UnixNano()))
}

// ad is the associated data that binds a sealed value to its table, column and row.
func ad(column, id string) []byte {
	b := make([]byte, 0, len(column)+1+len(id))
	b = append(b, column...)
	b = append(b, 0)
	return append(b, id...)
}
