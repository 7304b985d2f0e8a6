package monitor

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsRecordWhatTheyAreTold(t *testing.T) {
	m := New(Options{})
	m.ObserveRequest("/v1/decisions/{id}", "GET", 200, 3*time.Millisecond)
	m.ObserveRequest("/v1/decisions/{id}", "GET", 200, time.Millisecond)
	m.ObserveRequest("/v1/score", "POST", 422, time.Millisecond)
	m.ObserveDecision("approve", 0.01, false)
	m.ObserveDecision("decline", 0.97, true)
	m.RateLimited()
	m.Rejected("invalid")
	m.Rejected("invalid")

	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"requests 200", testutil.ToFloat64(m.requests.WithLabelValues("/v1/decisions/{id}", "GET", "200")), 2},
		{"requests 422", testutil.ToFloat64(m.requests.WithLabelValues("/v1/score", "POST", "422")), 1},
		{"approve", testutil.ToFloat64(m.decisions.WithLabelValues("approve")), 1},
		{"decline", testutil.ToFloat64(m.decisions.WithLabelValues("decline")), 1},
		{"replayed", testutil.ToFloat64(m.replayed), 1},
		{"rate limited", testutil.ToFloat64(m.rateLimited), 1},
		{"rejected invalid", testutil.ToFloat64(m.rejected.WithLabelValues("invalid")), 2},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if n := testutil.CollectAndCount(m.duration); n != 2 {
		t.Errorf("%d duration series, want 2 (one per route and method)", n)
	}
	if n := testutil.CollectAndCount(m.score); n != 1 {
		t.Errorf("%d score series, want 1", n)
	}
}

func TestCallbacksAreReadAtScrapeTime(t *testing.T) {
	customers, terminals := 3, 5
	var stateErrs, caseErrs uint64 = 1, 0
	model, rules := "gbdt-0123456789ab", "rs-0123456789ab"
	m := New(Options{
		Entities:       func() (int, int) { return customers, terminals },
		PipelineErrors: func() (uint64, uint64) { return stateErrs, caseErrs },
		Versions:       func() (string, string) { return model, rules },
	})
	want := `
# HELP vigil_feature_state_entities Customers and terminals the feature state holds.
# TYPE vigil_feature_state_entities gauge
vigil_feature_state_entities{kind="customer"} 3
vigil_feature_state_entities{kind="terminal"} 5
# HELP vigil_model_info The model version in force (value 1).
# TYPE vigil_model_info gauge
vigil_model_info{version="gbdt-0123456789ab"} 1
# HELP vigil_pipeline_errors_total Decisions stored whose follow-up failed, by kind.
# TYPE vigil_pipeline_errors_total counter
vigil_pipeline_errors_total{kind="case"} 0
vigil_pipeline_errors_total{kind="state"} 1
# HELP vigil_rules_info The rule set version in force (value 1).
# TYPE vigil_rules_info gauge
vigil_rules_info{version="rs-0123456789ab"} 1
`
	names := []string{"vigil_feature_state_entities", "vigil_model_info", "vigil_pipeline_errors_total", "vigil_rules_info"}
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	customers, caseErrs, model = 4, 2, "gbdt-ba9876543210"
	want = strings.NewReplacer(`customer"} 3`, `customer"} 4`, `kind="case"} 0`, `kind="case"} 2`,
		"gbdt-0123456789ab", "gbdt-ba9876543210").Replace(want)
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
}

func TestNoVersionNoInfoSeries(t *testing.T) {
	m := New(Options{Versions: func() (string, string) { return "", "rs-0123456789ab" }})
	if n, err := testutil.GatherAndCount(m.Gatherer(), "vigil_model_info"); err != nil || n != 0 {
		t.Fatalf("vigil_model_info: %d series (%v), want none without a model", n, err)
	}
}

func TestHandlerServesTheRegistry(t *testing.T) {
	m := New(Options{})
	m.ObserveRequest("/healthz", "GET", 200, time.Millisecond)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`http_requests_total{method="GET",route="/healthz",status="200"} 1`, "go_goroutines", "process_"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("/x", "GET", 200, time.Millisecond)
	m.ObserveDecision("approve", 0.5, true)
	m.RateLimited()
	m.Rejected("invalid")
}
