package api_test

import (
	"context"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/vigil-fraud/vigil/internal/api"
	"github.com/vigil-fraud/vigil/internal/apikey"
	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/monitor"
	"github.com/vigil-fraud/vigil/internal/score"
	"github.com/vigil-fraud/vigil/internal/state/memory"
	"github.com/vigil-fraud/vigil/internal/store/sqlite"
)

// Serving the API: the store, state, pipeline, registry and pseudonymizer are built as
// `vigil serve` builds them; the API adds keys, audit, metrics and the HTTP limits.
func Example() {
	var (
		store    *sqlite.Store        // sqlite.Open(...)
		state    *memory.State        // memory.Open(...)
		pipeline *score.Pipeline      // score.New(...) over an engine on state
		registry *model.Registry      // model.OpenRegistry(...)
		pseudo   *fraud.Pseudonymizer // fraud.NewPseudonymizer(VIGIL_PSEUDONYM_KEY)
		logger   = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	)
	metrics := monitor.New(monitor.Options{
		Entities: func() (int, int) { s := state.Stats(); return s.Customers, s.Terminals },
		PipelineErrors: func() (uint64, uint64) {
			s := pipeline.Stats()
			return s.StateErrors, s.CaseErrors
		},
	})
	srv, err := api.New(api.Options{
		Pipeline: pipeline, Store: store, Models: registry, Pseudonymizer: pseudo,
		Keys:    apikey.New(store, apikey.Options{}),
		Audit:   audit.New(store, audit.Options{Logger: logger}),
		Metrics: metrics, Logger: logger,
		Ready: func(ctx context.Context) error { _, err := store.Lists(ctx); return err },
		Rate:  200, Burst: 400, MaxInFlight: 512, MaxBody: 1 << 20,
	})
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Addr: ":8080", Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10}
	log.Fatal(hs.ListenAndServe())
}
