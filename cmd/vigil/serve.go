package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/google/renameio/v2"

	"github.com/vigil-fraud/vigil/internal/api"
	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/monitor"
	"github.com/vigil-fraud/vigil/internal/rules"
	"github.com/vigil-fraud/vigil/internal/score"
	"github.com/vigil-fraud/vigil/internal/state/memory"
)

func init() {
	register(command{
		name:    "serve",
		summary: "serve the scoring API on the embedded default (SQLite, in-memory feature state)",
		run:     runServe,
	})
}

const serveExample = `vigil serve --data-dir data --model model.json
VIGIL_ENV=production vigil serve --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem --model model.json`

// rulesFile is the rules file in the data directory when --rules is not given.
const rulesFile = "rules.yaml"

func runServe(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "serve", "[flags]", serveExample)
	var cfg config.Serve
	cfg.Register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := cfg.FromEnv(fs, e.getenv); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := startServer(ctx, e, cfg, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "vigil serving on %s (model %s, rules %s)\n", s.URL(), orNone(s.pipeline.Model()), s.pipeline.RuleSet().Version())
	select {
	case <-ctx.Done():
	case err := <-s.failed:
		s.Close()
		return err
	}
	log.Info("shutting down")
	return s.Close()
}

func orNone(f *model.File) string {
	if f == nil {
		return "none: /readyz answers 503 until one is promoted"
	}
	return f.Version()
}

// server is a running `vigil serve`: everything it opened, to close in order.
type server struct {
	cfg      config.Serve
	log      *slog.Logger
	data     *dataDir
	state    *memory.State
	registry *model.Registry
	pipeline *score.Pipeline
	metrics  *monitor.Metrics
	http     *http.Server
	listener net.Listener
	tls      bool

	cancel    context.CancelFunc // stops the background jobs
	jobs      sync.WaitGroup
	failed    chan error // the HTTP server stopped by itself
	closeOnce sync.Once
	closeErr  error
}

// startServer opens the data directory, loads the model and rules, and starts serving cfg.Addr
// in the background. It refuses what config.Serve.Check refuses, and in production a store
// without any active API key.
func startServer(ctx context.Context, e env, cfg config.Serve, log *slog.Logger) (s *server, err error) {
	warnings, err := cfg.Check()
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		log.Warn(w)
	}
	s = &server{cfg: cfg, log: log, failed: make(chan error, 1)}
	// The server being built, not the result: every `return nil, err` sets the result to nil
	// before this runs.
	defer func(started *server) {
		if err != nil {
			started.Close()
		}
	}(s)
	if s.data, err = openDataDir(ctx, e, cfg.DataDir); err != nil {
		return nil, err
	}
	for _, w := range s.data.Secrets.Warnings {
		log.Warn(w)
	}
	keys, err := s.data.Keys.List(ctx)
	if err != nil {
		return nil, err
	}
	active := 0
	for _, k := range keys {
		if k.Status(time.Now()) == "active" {
			active++
		}
	}
	if err := config.RequireKeys(cfg.Env, active); err != nil {
		return nil, err
	}
	if active == 0 {
		log.Warn("no active API key: every endpoint but health answers 401; create one with `vigil keys create --role scorer`")
	}

	s.state, err = memory.Open(memory.Options{Dir: s.data.StatePath(), Sync: cfg.StateSync, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("feature state: %w", err)
	}
	engine, err := feature.New(feature.Options{State: s.state})
	if err != nil {
		return nil, err
	}
	s.registry, err = model.OpenRegistry(s.data.ModelsPath(), model.LoadOptions{PublicKey: s.data.Secrets.ModelPublicKey})
	if err != nil {
		return nil, err
	}
	f, err := s.loadModel()
	if err != nil {
		return nil, err
	}
	rulesPath := s.rulesPath()
	src, err := s.loadRules(rulesPath)
	if err != nil {
		return nil, err
	}
	lists, err := s.data.Store.Lists(ctx)
	if err != nil {
		return nil, err
	}
	s.pipeline, err = score.New(score.Options{
		Engine: engine, Store: s.data.Store, Pseudonymizer: s.data.Secrets.Pseudonymizer,
		Model: f, Rules: src, Lists: lists, Archive: score.DirArchive(s.data.RulesPath()), Logger: log,
		OnRulesReload: func(prev, v string) {
			s.audit(audit.Event{Actor: "system", Action: audit.ActionRulesUpdate, Target: v,
				Details: map[string]string{"previous": prev, "source": "file"}})
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rulesPath, err)
	}
	s.metrics = monitor.New(monitor.Options{
		Entities: func() (int, int) { st := s.state.Stats(); return st.Customers, st.Terminals },
		PipelineErrors: func() (uint64, uint64) {
			st := s.pipeline.Stats()
			return st.StateErrors, st.CaseErrors
		},
		Versions: func() (string, string) {
			m := ""
			if f := s.pipeline.Model(); f != nil {
				m = f.Version()
			}
			return m, s.pipeline.RuleSet().Version()
		},
	})
	handler, err := api.New(api.Options{
		Pipeline: s.pipeline, Store: s.data.Store, Keys: s.data.Keys, Audit: s.data.Audit,
		Models: s.registry, Pseudonymizer: s.data.Secrets.Pseudonymizer, Metrics: s.metrics,
		Logger: log, Ready: s.ready, RulesFile: rulesPath,
		EraseState: func(ctx context.Context, customer string) error {
			_, err := s.state.EraseCustomer(ctx, customer)
			return err
		},
		Rate: cfg.Rate, Burst: cfg.Burst, MaxInFlight: cfg.MaxInFlight, MaxBody: cfg.MaxBody,
	})
	if err != nil {
		return nil, err
	}
	s.http = &http.Server{
		Handler:           handler.Handler(),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.TLS() {
		if s.http.TLSConfig, err = cfg.TLSConfig(); err != nil {
			return nil, err
		}
		s.tls = true
	}
	if s.listener, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, err
	}
	if s.tls {
		s.listener = tls.NewListener(s.listener, s.http.TLSConfig)
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.background(bg, rulesPath)
	go func() {
		if err := s.http.Serve(s.listener); !errors.Is(err, http.ErrServerClosed) {
			s.failed <- err
		}
	}()
	log.Info("serving", "addr", s.listener.Addr().String(), "tls", s.tls, "model_version", orNone(f),
		"rules_version", s.pipeline.RuleSet().Version(), "env", cfg.Env)
	return s, nil
}

// loadModel registers --model and makes it active, or loads the registry's active model. No
// model at all is not an error: the server starts unready.
func (s *server) loadModel() (*model.File, error) {
	if s.cfg.Model != "" {
		f, err := s.registry.AddFile(s.cfg.Model)
		if err != nil {
			return nil, err
		}
		if err := s.registry.SetActive(f.Version()); err != nil {
			return nil, err
		}
		return f, nil
	}
	v, err := s.registry.Active()
	if err != nil || v == "" {
		if err == nil {
			s.log.Warn("no model: give --model FILE or promote one; /readyz answers 503 until then")
		}
		return nil, err
	}
	return s.registry.Load(v)
}

// rulesPath is --rules, or rules.yaml in the data directory.
func (s *server) rulesPath() string {
	if s.cfg.Rules != "" {
		return s.cfg.Rules
	}
	return filepath.Join(s.cfg.DataDir, rulesFile)
}

// loadRules reads the rules file; the data directory's own file is created with vigil's
// default rule set on the first start. A --rules file must exist.
func (s *server) loadRules(path string) ([]byte, error) {
	src, err := score.LoadRulesFile(path)
	if errors.Is(err, os.ErrNotExist) && s.cfg.Rules == "" {
		src = rules.DefaultSource()
		if err := renameio.WriteFile(path, src, 0o600); err != nil {
			return nil, err
		}
		return src, nil
	}
	return src, err
}

// ready is /readyz's check of the store (the pipeline's model is checked by the API).
func (s *server) ready(ctx context.Context) error {
	_, err := s.data.Store.Lists(ctx)
	return err
}

func (s *server) audit(ev audit.Event) {
	if _, err := s.data.Audit.Append(context.Background(), ev); err != nil {
		s.log.Error("audit append failed", "action", ev.Action, "error", err)
	}
}

// background starts the jobs that run while serving: the rules file's hot reload, the
// retention purge and the feature state's sweep.
func (s *server) background(ctx context.Context, rulesPath string) {
	s.jobs.Go(func() { s.pipeline.WatchRules(ctx, rulesPath, rules.DefaultInterval) })
	s.jobs.Go(func() { s.every(ctx, s.cfg.PurgeEvery, s.purge) })
	s.jobs.Go(func() { s.every(ctx, time.Hour, s.sweep) })
}

// every runs fn now and then every interval until ctx ends.
func (s *server) every(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// purge removes the transactions and decisions older than --retention, and records it.
func (s *server) purge(ctx context.Context) {
	cutoff := time.Now().Add(-s.cfg.Retention).UTC()
	n, err := s.data.Store.Purge(ctx, cutoff)
	if err != nil && ctx.Err() == nil {
		s.log.Error("retention purge failed", "error", err)
	}
	// A purge stopped part-way (shutdown, an error) has still deleted whole batches: what it
	// removed is recorded all the same.
	if n > 0 {
		s.log.Info("retention purge", "removed", n, "cutoff", cutoff, "complete", err == nil)
		s.audit(audit.Event{Actor: "system", Action: audit.ActionDataPurge,
			Details: map[string]any{"cutoff": cutoff, "removed": n, "complete": err == nil}})
	}
}

// sweep frees the feature histories no window can see any more.
func (s *server) sweep(ctx context.Context) {
	if n, err := s.state.Sweep(ctx, time.Now()); err != nil {
		if ctx.Err() == nil {
			s.log.Error("feature state sweep failed", "error", err)
		}
	} else if n > 0 {
		s.log.Info("feature state sweep", "removed", n)
	}
}

// URL is the server's base URL.
func (s *server) URL() string {
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	return scheme + "://" + s.listener.Addr().String()
}

// Close stops accepting requests, lets those in flight finish (up to --shutdown-timeout),
// stops the background jobs, then closes the feature state (writing a snapshot) and the store
// (draining its queue).
func (s *server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
			if err := s.http.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("shutdown: %w", err))
			}
			cancel()
		} else if s.listener != nil {
			s.listener.Close()
		}
		if s.cancel != nil {
			s.cancel()
		}
		s.jobs.Wait()
		if s.state != nil {
			if err := s.state.Close(); err != nil {
				errs = append(errs, fmt.Errorf("feature state: %w", err))
			}
		}
		if s.data != nil {
			if err := s.data.Close(); err != nil {
				errs = append(errs, fmt.Errorf("store: %w", err))
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
