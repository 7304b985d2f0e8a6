package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRateLimitPerKey(t *testing.T) {
	f := newFixture(t, fixtureOptions{rate: 0.5, burst: 2})
	for range 2 {
		must(t, f.do("GET", "/v1/rules", "admin", nil), http.StatusOK)
	}
	r := must(t, f.do("GET", "/v1/rules", "admin", nil), http.StatusTooManyRequests)
	if r.errorCode(t) != codeRateLimited {
		t.Fatal(string(r.body))
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 2 {
		t.Errorf("Retry-After %q, want 1-2 seconds at 0.5/s", r.header.Get("Retry-After"))
	}
	// Buckets are per key: another key is not limited by this one.
	must(t, f.do("GET", "/v1/cases", "analyst", nil), http.StatusOK)
	// Refused requests are not counted against a key that was never authenticated.
	must(t, f.do("GET", "/v1/rules", "garbage", nil), http.StatusUnauthorized)
	if !strings.Contains(f.metricsText(t), "vigil_rate_limited_total 1") {
		t.Error("the refusal was not counted")
	}
}

func (f *fixture) metricsText(t *testing.T) string {
	t.Helper()
	rec := newRecorder()
	f.metrics.Handler().ServeHTTP(rec, httptestRequest("GET", "/metrics"))
	return rec.Body.String()
}

func TestIdleBucketsAreEvicted(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := newKeyLimiter(10, 20, func() time.Time { return now })
	for _, id := range []string{"a", "b", "c"} {
		if err := l.allow(id); err != nil {
			t.Fatal(err)
		}
	}
	if l.size() != 3 {
		t.Fatalf("%d buckets", l.size())
	}
	now = now.Add(3 * time.Second) // 20 tokens at 10/s: full again after 2 s
	if err := l.allow("a"); err != nil {
		t.Fatal(err)
	}
	if l.size() != 1 {
		t.Errorf("%d buckets after the idle ones filled up, want 1", l.size())
	}
	for range 20 {
		_ = l.allow("a")
	}
	if err := l.allow("a"); err == nil {
		t.Error("an empty bucket allowed a request")
	}
}

func TestConcurrencyLimit(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	f := newFixture(t, fixtureOptions{maxInFlight: 1, ready: func(ctx context.Context) error {
		entered <- struct{}{}
		<-release
		return nil
	}})
	done := make(chan response)
	go func() { done <- f.do("GET", "/readyz", "", nil) }()
	<-entered
	r := must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusServiceUnavailable)
	if r.errorCode(t) != codeUnavailable || r.header.Get("Retry-After") != "1" {
		t.Errorf("over the limit: %s, Retry-After %q", r.body, r.header.Get("Retry-After"))
	}
	// Liveness is not counted: a busy server is alive.
	must(t, f.do("GET", "/healthz", "", nil), http.StatusOK)
	close(release)
	if r := <-done; r.status != http.StatusOK {
		t.Fatalf("the held request: %d", r.status)
	}
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK)
	if c := f.counts(); c.decisions != 1 {
		t.Errorf("%d decisions", c.decisions)
	}
}

func TestStoreFailureIsNotLeaked(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK)
	f.store.Close()
	r := f.do("POST", "/v1/score", "scorer", txnJSON("tx-2", nil))
	if r.status != http.StatusServiceUnavailable || r.errorCode(t) != codeUnavailable {
		t.Fatalf("keys unreadable: %d %s, want 503", r.status, r.body)
	}
	if strings.Contains(strings.ToLower(string(r.body)), "sql") || strings.Contains(string(r.body), f.dir) {
		t.Errorf("the answer leaks the store's error: %s", r.body)
	}
}

func TestPanicsAnswer500WithoutAStack(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.api.mux.Handle("GET /boom", f.api.wrap(route{method: "GET", path: "/boom", public: true,
		h: func(w http.ResponseWriter, r *http.Request) error { panic("kaboom at /secret/path") }}))
	r := must(t, f.do("GET", "/boom", "", nil), http.StatusInternalServerError)
	if r.errorCode(t) != codeInternal || strings.Contains(string(r.body), "kaboom") || strings.Contains(string(r.body), "goroutine") ||
		!strings.Contains(string(r.body), r.header.Get("X-Request-Id")) {
		t.Errorf("500: %s", r.body)
	}
	if !strings.Contains(f.logs.String(), r.header.Get("X-Request-Id")) {
		t.Error("the panic was not logged with the request id")
	}
}
