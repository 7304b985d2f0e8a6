package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/history"
)

// liveOptions configure the demo's serving phase.
type liveOptions struct {
	dir       string        // the demo directory; the server's data goes to dir/serve, fresh
	history   string        // the synthetic history
	model     string        // the trained model
	liveStart time.Time     // records from here on are sent through the API, earlier ones prime the state
	addr      string        // where to serve
	rate      int           // transactions per second sent
	serveFor  time.Duration // how long to keep serving after the traffic; <0 until interrupted
}

// primeReader reads a history up to liveStart, pseudonymising each record as the API would,
// and keeps the records from liveStart on for the live traffic.
type primeReader struct {
	r      feature.RecordReader
	pseudo *fraud.Pseudonymizer
	until  time.Time
	live   []history.Record
	done   bool
}

func (p *primeReader) Read(rec *history.Record) error {
	for !p.done {
		if err := p.r.Read(rec); err != nil {
			return err
		}
		if rec.Timestamp.Before(p.until) {
			p.pseudo.Apply(&rec.Transaction)
			return nil
		}
		p.live = append(p.live, *rec)
		p.done = true
	}
	var r history.Record
	for {
		err := p.r.Read(&r)
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		if err != nil {
			return err
		}
		p.live = append(p.live, r)
	}
}

// serveDemo starts `vigil serve` on a fresh data directory with the demo's model, primes the
// feature state with the history before the live day, prints an admin and an analyst key,
// and replays the live day through the API as a client would, resolving review cases with
// the ground truth as an analyst would.
func serveDemo(ctx context.Context, e env, o liveOptions) error {
	serveDir := filepath.Join(o.dir, "serve")
	if err := os.RemoveAll(serveDir); err != nil {
		return err
	}
	var cfg config.Serve
	cfg.Register(flag.NewFlagSet("demo", flag.ContinueOnError))
	env, err := config.ParseEnv(e.getenv(config.EnvVar))
	if err != nil {
		return err
	}
	cfg.Env, cfg.Addr, cfg.DataDir, cfg.Model = env, o.addr, serveDir, o.model
	cfg.Retention = 7 * 24 * time.Hour
	cfg.ShutdownTimeout = 5 * time.Second
	logPath := filepath.Join(o.dir, "serve.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600) // #nosec G304 -- under the demo directory
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := slog.New(slog.NewJSONHandler(logFile, nil))

	s, err := startServer(ctx, e, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()

	// Prime the feature state with the history before the live day, through the same
	// engine and pseudonymiser as the API.
	fmt.Fprintln(e.stdout, "5/5 serving: priming the feature state with the history before the live day...")
	hr, err := history.Open(o.history)
	if err != nil {
		return err
	}
	defer hr.Close()
	pr := &primeReader{r: hr, pseudo: s.data.Secrets.Pseudonymizer, until: o.liveStart}
	engine, err := feature.New(feature.Options{State: s.state})
	if err != nil {
		return err
	}
	if _, err := feature.Replay(ctx, pr, engine, feature.ReplayOptions{}, func(*history.Record, []float64) error { return nil }); err != nil {
		return fmt.Errorf("priming the feature state: %w", err)
	}

	// Keys: made the way `vigil keys create` makes them, and audited.
	keys := map[fraud.Role]string{}
	for _, role := range []fraud.Role{fraud.RoleAdmin, fraud.RoleAnalyst, fraud.RoleScorer} {
		secret, k, err := s.data.Keys.Create(ctx, role, 7*24*time.Hour)
		if err != nil {
			return err
		}
		if _, err := s.data.Audit.Append(ctx, audit.Event{Actor: "cli:demo", Action: audit.ActionKeyCreate, Target: k.ID,
			Details: map[string]string{"role": string(role)}}); err != nil {
			return err
		}
		keys[role] = secret
	}
	url := s.URL()
	fmt.Fprintf(e.stdout, "    vigil is serving on %s (log: %s)\n", url, logPath)
	fmt.Fprintln(e.stdout, "    These keys are shown once (they expire in 7 days):")
	fmt.Fprintf(e.stdout, "      admin   (rules, lists, models, keys, audit): %s\n", keys[fraud.RoleAdmin])
	fmt.Fprintf(e.stdout, "      analyst (decisions, cases, labels):          %s\n", keys[fraud.RoleAnalyst])

	// The live day, through the API.
	fmt.Fprintf(e.stdout, "    replaying %d live transactions through POST /v1/score at %d/s...\n", len(pr.live), o.rate)
	c := &demoClient{http: &http.Client{Timeout: 10 * time.Second}, url: url}
	st, err := c.replay(ctx, e, pr.live, keys[fraud.RoleScorer], o.rate)
	if err != nil {
		return err
	}
	resolved, confirmed, err := c.resolveCases(ctx, keys[fraud.RoleAnalyst], pr.live)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "    %d decisions: %d approve, %d review, %d decline; of %d frauds sent, %d were declined and %d sent to review\n",
		st.total(), st.outcomes[fraud.Approve], st.outcomes[fraud.Review], st.outcomes[fraud.Decline],
		st.frauds, st.caught[fraud.Decline], st.caught[fraud.Review])
	fmt.Fprintf(e.stdout, "    an analyst resolved %d review cases (%d confirmed fraud); their labels now feed the terminal risk features\n", resolved, confirmed)
	fmt.Fprintln(e.stdout, "\nTry it (the analyst key reads decisions and cases; the admin key reads metrics, rules and lists):")
	fmt.Fprintf(e.stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/decisions?outcome=decline&limit=5'\n", keys[fraud.RoleAnalyst], url)
	fmt.Fprintf(e.stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/cases?status=resolved&limit=5'\n", keys[fraud.RoleAnalyst], url)
	fmt.Fprintf(e.stdout, "  curl -H 'Authorization: Bearer %s' %s/metrics\n", keys[fraud.RoleAdmin], url)
	// Close the client's idle connections: a connection the transport dialled but never used
	// would hold the server's shutdown for 5 seconds.
	c.http.CloseIdleConnections()
	switch {
	case o.serveFor < 0:
		fmt.Fprintln(e.stdout, "Serving until interrupted (Ctrl-C).")
		<-ctx.Done()
	case o.serveFor > 0:
		fmt.Fprintf(e.stdout, "Serving for %s.\n", o.serveFor)
		select {
		case <-ctx.Done():
		case <-time.After(o.serveFor):
		}
	}
	return s.Close()
}

// demoClient is the demo's API client.
type demoClient struct {
	http *http.Client
	url  string
}

type replayStats struct {
	mu       sync.Mutex
	outcomes map[fraud.Outcome]int
	caught   map[fraud.Outcome]int
	frauds   int
}

func (s *replayStats) total() int {
	return s.outcomes[fraud.Approve] + s.outcomes[fraud.Review] + s.outcomes[fraud.Decline]
}

// replay sends recs through POST /v1/score at about rate per second, from 8 workers.
func (c *demoClient) replay(ctx context.Context, e env, recs []history.Record, key string, rate int) (*replayStats, error) {
	st := &replayStats{outcomes: map[fraud.Outcome]int{}, caught: map[fraud.Outcome]int{}}
	bar := newProgress(e.stderr, "live", int64(len(recs)), "transactions")
	var sent atomic.Int64
	jobs := make(chan *history.Record)
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range 8 {
		wg.Go(func() {
			for rec := range jobs {
				var d struct {
					Decision fraud.Outcome `json:"decision"`
				}
				if err := c.do(ctx, http.MethodPost, "/v1/score", key, rec.Transaction, &d); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					continue
				}
				st.mu.Lock()
				st.outcomes[d.Decision]++
				if rec.Fraud {
					st.frauds++
					st.caught[d.Decision]++
				}
				st.mu.Unlock()
				bar.Set(sent.Add(1))
			}
		})
	}
	interval := time.Second / time.Duration(max(rate, 1))
	tick := time.NewTicker(interval)
	defer tick.Stop()
feed:
	for i := range recs {
		select {
		case <-ctx.Done():
			break feed
		case <-tick.C:
		}
		select {
		case jobs <- &recs[i]:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	bar.Finish(sent.Load())
	if firstErr != nil {
		return nil, firstErr
	}
	return st, ctx.Err()
}

// resolveCases resolves every open review case with the ground truth of recs, as an analyst
// would after looking.
func (c *demoClient) resolveCases(ctx context.Context, key string, recs []history.Record) (resolved, confirmed int, err error) {
	truth := make(map[string]bool, len(recs))
	for i := range recs {
		truth[recs[i].ID] = recs[i].Fraud
	}
	for {
		var page struct {
			Items []struct {
				ID            string `json:"id"`
				TransactionID string `json:"transaction_id"`
			} `json:"items"`
		}
		if err := c.do(ctx, http.MethodGet, "/v1/cases?status=open&limit=100", key, nil, &page); err != nil {
			return resolved, confirmed, err
		}
		if len(page.Items) == 0 {
			return resolved, confirmed, nil
		}
		for _, cs := range page.Items {
			isFraud := truth[cs.TransactionID]
			body := map[string]any{"fraud": isFraud, "note": "demo analyst: ground truth of the simulator"}
			if err := c.do(ctx, http.MethodPost, "/v1/cases/"+cs.ID+"/resolve", key, body, nil); err != nil {
				return resolved, confirmed, err
			}
			resolved++
			if isFraud {
				confirmed++
			}
		}
	}
}

// do sends one JSON request and decodes a 2xx answer into out; anything else is an error
// carrying the API's error message.
func (c *demoClient) do(ctx context.Context, method, path, key string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}
