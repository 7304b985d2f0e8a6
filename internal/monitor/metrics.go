// Package monitor owns vigil's Prometheus metrics: the HTTP server's requests, the decisions
// it answers, what it refuses, and the state of the pipeline behind it. Every metric is
// registered on the Metrics' own registry (never the global one) and served by Handler.
//
// It does not compute anything itself: the API observes requests and decisions, and
// callbacks given in Options read the feature state and the pipeline at scrape time. Drift
// (PSI) and alert webhooks are not here yet.
//
// Labels never carry identifiers: routes are route patterns ("/v1/decisions/{id}"), never
// request paths, so that the series stay few and no transaction or customer id ever reaches
// the monitoring system.
package monitor

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure New. Every callback is optional: a nil one leaves its metric out. The
// callbacks are called at scrape time, concurrently with everything else, and must be cheap.
type Options struct {
	// Entities returns how many customers and terminals the feature state holds
	// (memory.State.Stats), exported as vigil_feature_state_entities{kind}.
	Entities func() (customers, terminals int)
	// PipelineErrors returns the pipeline's error counters (score.Pipeline.Stats: decisions
	// whose state update failed, review decisions whose case could not be opened), exported
	// as vigil_pipeline_errors_total{kind="state"|"case"}.
	PipelineErrors func() (state, cases uint64)
	// Versions returns the model version and rule set version in force (empty when none),
	// exported as vigil_model_info{version} and vigil_rules_info{version} set to 1. Reading
	// them at scrape time keeps them right whoever changes them (API, hot reload, CLI).
	Versions func() (model, rules string)
}

// Metrics are vigil's metrics over their own registry. A nil *Metrics is valid and records
// nothing, so components may be used without monitoring (in tests, in the CLI).
type Metrics struct {
	reg *prometheus.Registry

	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	decisions   *prometheus.CounterVec
	score       prometheus.Histogram
	replayed    prometheus.Counter
	rateLimited prometheus.Counter
	rejected    *prometheus.CounterVec
}

// New returns Metrics registered on a new registry, with the Go runtime and process
// collectors.
func New(o Options) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_decisions_total",
			Help: "Decisions answered, by outcome (replayed ones included).",
		}, []string{"outcome"}),
		score: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigil_score",
			Help:    "Model scores of the decisions answered.",
			Buckets: []float64{0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1},
		}),
		replayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_replayed_total",
			Help: "Repeated transactions answered with their stored decision.",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_rate_limited_total",
			Help: "Requests refused because their API key exceeded its rate.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_rejected_total",
			Help: "Requests refused, by reason (the error code answered).",
		}, []string{"reason"}),
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.decisions, m.score, m.replayed, m.rateLimited, m.rejected)
	if o.Entities != nil {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "vigil_feature_state_entities", Help: "Customers and terminals the feature state holds.",
				ConstLabels: prometheus.Labels{"kind": "customer"},
			}, func() float64 { c, _ := o.Entities(); return float64(c) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "vigil_feature_state_entities", Help: "Customers and terminals the feature state holds.",
				ConstLabels: prometheus.Labels{"kind": "terminal"},
			}, func() float64 { _, t := o.Entities(); return float64(t) }))
	}
	if o.PipelineErrors != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "vigil_pipeline_errors_total", Help: "Decisions stored whose follow-up failed, by kind.",
				ConstLabels: prometheus.Labels{"kind": "state"},
			}, func() float64 { s, _ := o.PipelineErrors(); return float64(s) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "vigil_pipeline_errors_total", Help: "Decisions stored whose follow-up failed, by kind.",
				ConstLabels: prometheus.Labels{"kind": "case"},
			}, func() float64 { _, c := o.PipelineErrors(); return float64(c) }))
	}
	if o.Versions != nil {
		reg.MustRegister(&versions{fn: o.Versions,
			model: prometheus.NewDesc("vigil_model_info", "The model version in force (value 1).", []string{"version"}, nil),
			rules: prometheus.NewDesc("vigil_rules_info", "The rule set version in force (value 1).", []string{"version"}, nil),
		})
	}
	return m
}

// Registerer is the registry other components register their metrics on.
func (m *Metrics) Registerer() prometheus.Registerer { return m.reg }

// Gatherer is the registry, for tests and for pushing elsewhere.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest records one answered request. route must be a route pattern
// ("/v1/decisions/{id}") or a fixed placeholder, never a request path.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// ObserveDecision records one decision answered: its outcome, its score, and whether it
// was a replay of a stored one.
func (m *Metrics) ObserveDecision(outcome string, score float64, replayed bool) {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(outcome).Inc()
	m.score.Observe(score)
	if replayed {
		m.replayed.Inc()
	}
}

// RateLimited records one request refused for its key's rate.
func (m *Metrics) RateLimited() {
	if m == nil {
		return
	}
	m.rateLimited.Inc()
}

// Rejected records one request refused, by reason: the error code answered ("invalid",
// "unauthenticated", "too_large"...). Reasons must come from a fixed set.
func (m *Metrics) Rejected(reason string) {
	if m == nil {
		return
	}
	m.rejected.WithLabelValues(reason).Inc()
}

// versions exports the model and rule set versions read at scrape time.
type versions struct {
	fn           func() (model, rules string)
	model, rules *prometheus.Desc
}

func (v *versions) Describe(ch chan<- *prometheus.Desc) {
	ch <- v.model
	ch <- v.rules
}

func (v *versions) Collect(ch chan<- prometheus.Metric) {
	model, rules := v.fn()
	if model != "" {
		ch <- prometheus.MustNewConstMetric(v.model, prometheus.GaugeValue, 1, model)
	}
	if rules != "" {
		ch <- prometheus.MustNewConstMetric(v.rules, prometheus.GaugeValue, 1, rules)
	}
}
