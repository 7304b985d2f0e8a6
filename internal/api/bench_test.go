package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// BenchmarkScoreHandler is POST /v1/score in process: every layer (the key, cached for 2 s
// as vigil serve does; rate limit, decoding, the pipeline with its durable SQLite write,
// encoding) for a new transaction each time, one request at a time.
func BenchmarkScoreHandler(b *testing.B) {
	f := newFixture(b, fixtureOptions{rate: 1e9, burst: 1 << 30, keyCache: 2 * time.Second})
	h := f.api.Handler()
	auth := "Bearer " + f.key["scorer"]
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i], _ = json.Marshal(txnJSON(fmt.Sprintf("tx-%d", i), map[string]any{
			"customer_id": fmt.Sprintf("c-%d", i%500), "terminal_id": fmt.Sprintf("t-%d", i%1000)}))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest("POST", "/v1/score", bytes.NewReader(bodies[i]))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkBareHandler is the floor BenchmarkScoreHandler is compared with: a bare handler
// that reads and decodes the same JSON with fraud.DecodeTransaction and writes a fixed answer.
func BenchmarkBareHandler(b *testing.B) {
	answer := []byte(`{"decision":"approve","score":0.01}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(r.Body); err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		if _, err := fraud.DecodeTransaction(buf.Bytes()); err != nil {
			http.Error(w, "invalid", http.StatusUnprocessableEntity)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i], _ = json.Marshal(txnJSON(fmt.Sprintf("tx-%d", i), map[string]any{
			"customer_id": fmt.Sprintf("c-%d", i%500), "terminal_id": fmt.Sprintf("t-%d", i%1000)}))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest("POST", "/v1/score", bytes.NewReader(bodies[i]))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkScoreHandlerParallel is BenchmarkScoreHandler with 32 requests in flight per
// CPU, as a busy server sees them: SQLite group-commits the decisions in flight together,
// so throughput (decisions/s) is not 1/latency.
func BenchmarkScoreHandlerParallel(b *testing.B) {
	f := newFixture(b, fixtureOptions{rate: 1e9, burst: 1 << 30, maxInFlight: 1 << 16, keyCache: 2 * time.Second})
	h := f.api.Handler()
	auth := "Bearer " + f.key["scorer"]
	var seq atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	began := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			body, _ := json.Marshal(txnJSON(fmt.Sprintf("tx-%d", i), map[string]any{
				"customer_id": fmt.Sprintf("c-%d", i%500), "terminal_id": fmt.Sprintf("t-%d", i%1000)}))
			req := httptest.NewRequest("POST", "/v1/score", bytes.NewReader(body))
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("%d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "decisions/s")
}
