package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/apikey"
	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/monitor"
	"github.com/vigil-fraud/vigil/internal/score"
	"github.com/vigil-fraud/vigil/internal/score/scoretest"
	"github.com/vigil-fraud/vigil/internal/state/memory"
	"github.com/vigil-fraud/vigil/internal/store/sqlite"
)

// trainedModels returns two small trained GBDT files with different versions (scoretest).
func trainedModels(t testing.TB) [2][]byte {
	t.Helper()
	return [2][]byte{scoretest.ModelFile(t, 20), scoretest.ModelFile(t, 10)}
}

// reviewRules sends every transaction to review (so each opens a case) and keeps the
// default lists' rules.
const reviewRules = `version: 1
thresholds: {review: 0.5, decline: 0.9}
rules:
  - name: blocked_card
    when: txn.card != "" && txn.card in lists.blocked_cards
    action: decline
    reason: card is on the blocked list
  - name: always_review
    when: txn.amount > 0.0
    action: review
    reason: every payment is reviewed in this test
`

type fixtureOptions struct {
	rules       string
	rate        float64
	burst       int
	maxInFlight int
	maxBody     int64
	ready       func(ctx context.Context) error
	noModel     bool
	rulesFile   bool
	failAudit   bool // every audit append fails
	keyCache    time.Duration
}

// failingAudit is an audit store whose appends fail.
type failingAudit struct {
	fraud.AuditStore
}

func (failingAudit) AppendAudit(context.Context, fraud.AuditEntry) error {
	return errors.New("disk full at /var/lib/vigil")
}

type fixture struct {
	t        testing.TB
	srv      *httptest.Server
	api      *Server
	p        *score.Pipeline
	store    *sqlite.Store
	state    *memory.State
	keys     *apikey.Manager
	registry *model.Registry
	pseudo   *fraud.Pseudonymizer
	metrics  *monitor.Metrics
	logs     *syncBuffer
	dir      string
	rules    string // the rules file, when fixtureOptions.rulesFile
	erased   []string
	// key holds a secret per role, plus "revoked", "expired".
	key map[string]string
	ids map[string]string // key ids by the same names
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newFixture(t testing.TB, o fixtureOptions) *fixture {
	t.Helper()
	ctx := context.Background()
	stack := scoretest.NewStack(t)
	dir, st, state, eng, pseudo := stack.Dir, stack.Store, stack.State, stack.Engine, stack.Pseudonymizer
	reg, err := model.OpenRegistry(filepath.Join(dir, "models"), model.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files := trainedModels(t)
	first, err := reg.Add(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Add(files[1]); err != nil {
		t.Fatal(err)
	}
	popts := score.Options{Engine: eng, Store: st, Pseudonymizer: pseudo, Archive: score.DirArchive(filepath.Join(dir, "rules"))}
	if !o.noModel {
		popts.Model = first
		if err := reg.SetActive(first.Version()); err != nil {
			t.Fatal(err)
		}
	}
	if o.rules != "" {
		popts.Rules = []byte(o.rules)
	}
	p, err := score.New(popts)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, p: p, store: st, state: state, registry: reg, pseudo: pseudo, dir: dir,
		keys: apikey.New(st, apikey.Options{CacheTTL: o.keyCache}), logs: &syncBuffer{},
		key: map[string]string{}, ids: map[string]string{}}
	f.metrics = monitor.New(monitor.Options{
		Entities: func() (int, int) { s := state.Stats(); return s.Customers, s.Terminals },
		PipelineErrors: func() (uint64, uint64) {
			s := p.Stats()
			return s.StateErrors, s.CaseErrors
		},
		Versions: func() (string, string) {
			m := ""
			if f := p.Model(); f != nil {
				m = f.Version()
			}
			return m, p.RuleSet().Version()
		},
	})
	var auditStore fraud.AuditStore = st
	if o.failAudit {
		auditStore = failingAudit{st}
	}
	opts := Options{Pipeline: p, Store: st, Keys: f.keys, Audit: audit.New(auditStore, audit.Options{}), Models: reg,
		Pseudonymizer: pseudo, Metrics: f.metrics,
		Logger:     slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Ready:      o.ready,
		EraseState: func(ctx context.Context, pseudonym string) error { f.erased = append(f.erased, pseudonym); return nil },
		Rate:       o.rate, Burst: o.burst, MaxInFlight: o.maxInFlight, MaxBody: o.maxBody}
	if o.rate == 0 {
		opts.Rate = -1 // unlimited unless the test asks
	}
	if o.rulesFile {
		f.rules = filepath.Join(dir, "rules.yaml")
		opts.RulesFile = f.rules
	}
	f.api, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.api.Handler())
	t.Cleanup(f.srv.Close)

	for _, role := range []fraud.Role{fraud.RoleScorer, fraud.RoleAnalyst, fraud.RoleAdmin} {
		f.newKey(string(role), role, f.keys)
	}
	f.newKey("revoked", fraud.RoleAdmin, f.keys)
	if err := f.keys.Revoke(ctx, f.ids["revoked"]); err != nil {
		t.Fatal(err)
	}
	// A key made two hours ago that lived one hour.
	past := apikey.New(st, apikey.Options{Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }})
	f.newKey("expired", fraud.RoleAdmin, past)
	return f
}

func (f *fixture) newKey(name string, role fraud.Role, m *apikey.Manager) {
	f.t.Helper()
	exp := apikey.DefaultExpiry
	if name == "expired" {
		exp = time.Hour
	}
	secret, k, err := m.Create(context.Background(), role, exp)
	if err != nil {
		f.t.Fatal(err)
	}
	f.key[name], f.ids[name] = secret, k.ID
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v: %s", r.status, err, r.body)
	}
	return m
}

// errorCode returns the error shape's code, failing the test when the body is not the
// error shape.
func (r response) errorCode(t testing.TB) string {
	t.Helper()
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("answer %d is not the error shape (%v): %s", r.status, err, r.body)
	}
	return e.Error.Code
}

func (r response) fields(t testing.TB) []fraud.FieldError {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("not the error shape: %s", r.body)
	}
	return e.Error.Fields
}

// do sends a request with the named key ("" for none); body may be a string, []byte or a
// value to encode as JSON.
func (f *fixture) do(method, path, key string, body any, header ...string) response {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if key != "" {
		secret, ok := f.key[key]
		if !ok {
			secret = key // a literal header value
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	checkHeaders(f.t, path, resp.Header)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// checkHeaders asserts the security headers every answer carries.
func checkHeaders(t testing.TB, path string, h http.Header) {
	t.Helper()
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		"Content-Type":            "application/json; charset=utf-8",
	}
	if path == "/metrics" {
		delete(want, "Content-Type") // the Prometheus exposition format
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: header %s = %q, want %q", path, k, got, v)
		}
	}
	if len(h.Get("X-Request-Id")) != 16 {
		t.Errorf("%s: no request id", path)
	}
}

// must fails the test unless r has status want.
func must(t testing.TB, r response, want int) response {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	return r
}

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// txnJSON is a valid transaction body; over replaces fields (nil deletes one).
func txnJSON(id string, over map[string]any) map[string]any {
	m := map[string]any{"id": id, "timestamp": t0.Format(time.RFC3339), "amount": 42.5, "currency": "EUR",
		"customer_id": "c-17", "terminal_id": "t-4", "card": "tok_9f2c", "channel": "ecommerce",
		"country": "FR", "device_id": "d-1", "ip": "203.0.113.7"}
	for k, v := range over {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// counts are what a refused request must not change.
type counts struct {
	decisions int
	seq       uint64
	entities  int
}

func (f *fixture) counts() counts {
	f.t.Helper()
	p, err := f.store.Decisions(context.Background(), fraud.DecisionFilter{Limit: fraud.MaxPageLimit})
	if err != nil {
		f.t.Fatal(err)
	}
	s := f.state.Stats()
	return counts{decisions: len(p.Items), seq: s.Seq, entities: s.Customers + s.Terminals}
}

// auditCount returns the number of audit entries, after checking the chain.
func (f *fixture) auditCount() uint64 {
	f.t.Helper()
	rep, err := audit.Verify(context.Background(), f.store, nil)
	if err != nil {
		f.t.Fatalf("audit log does not verify: %v", err)
	}
	return rep.Entries
}

type context_ = context.Context

var errStoreDown = errors.New("sqlite: database is locked at /var/lib/vigil/vigil.db")

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func httptestRequest(method, target string) *http.Request {
	return httptest.NewRequest(method, target, nil)
}
