package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vigil-fraud/vigil/internal/apikey"
	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/monitor"
	"github.com/vigil-fraud/vigil/internal/score"
)

// Store is what the API reads and changes directly; the pipeline has its own view of it.
type Store interface {
	fraud.DecisionStore
	fraud.LabelStore
	fraud.CaseStore
	fraud.ListStore
	fraud.KeyStore
	fraud.Retention
}

// Defaults of Options.
const (
	DefaultRate        = 1000.0  // requests per second per API key
	DefaultBurst       = 2000    // requests
	DefaultMaxInFlight = 256     // requests served at once
	DefaultMaxBody     = 1 << 20 // bytes
	// MaxListBody is the body limit of PUT /v1/lists/{name}, which may carry
	// score.MaxListItems items: it applies when larger than Options.MaxBody.
	MaxListBody = 32 << 20
	// MaxBatch is the most transactions one POST /v1/score/batch may carry.
	MaxBatch = 1000
)

// Options configure New. Pipeline, Store, Keys, Audit and Pseudonymizer are required.
type Options struct {
	// Pipeline scores, labels, resolves cases and holds the model, rules and lists in force.
	Pipeline *score.Pipeline
	// Store reads decisions, labels, cases and lists, keeps the API keys (through Keys) and
	// erases customers.
	Store Store
	// Keys authenticates callers and manages keys.
	Keys *apikey.Manager
	// Audit records every privileged change.
	Audit *audit.Log
	// Models is the model registry; nil answers the model endpoints 503 and lets Explain
	// use only the model being served.
	Models *model.Registry
	// Pseudonymizer turns a raw customer id (decision filter, erasure) into the pseudonym
	// stored; it must be the pipeline's.
	Pseudonymizer *fraud.Pseudonymizer
	// Metrics records requests and decisions; nil records nothing.
	Metrics *monitor.Metrics
	// Logger receives one line per request (route pattern, status, duration, request id)
	// and internal errors; nil discards. It never receives a body, an identifier or a key.
	Logger *slog.Logger
	// Ready reports whether what the API depends on beyond the pipeline (the store...) can
	// serve; nil means always. It is called by GET /readyz with a 2-second deadline.
	Ready func(ctx context.Context) error
	// EraseState, when set, removes a pseudonymous customer from the feature state after
	// POST /v1/erasures erased it from the store.
	EraseState func(ctx context.Context, pseudonym string) error
	// RulesFile, when set, is the rule file PUT /v1/rules also writes (atomically), so that
	// the file stays the source of truth of the rules in force.
	RulesFile string
	// Rate and Burst are each API key's token bucket: Rate requests a second on average,
	// Burst at once (defaults DefaultRate, DefaultBurst). A negative Rate disables the limit.
	Rate  float64
	Burst int
	// MaxInFlight bounds the requests served at once (default DefaultMaxInFlight); more
	// are answered 503 with Retry-After: 1. GET /healthz is not counted.
	MaxInFlight int
	// MaxBody bounds request bodies in bytes (default DefaultMaxBody); larger ones are
	// answered 413.
	MaxBody int64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server serves the API. Create it with New; it is safe for concurrent use.
type Server struct {
	o       Options
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []route
	sem     chan struct{}
	limiter *keyLimiter

	rulesMu   sync.Mutex // serialises PUT /v1/rules: the pipeline and the file change together
	promoting sync.Mutex // serialises model promotions: the pipeline and the registry change together
}

// New returns a Server with o's defaults filled. It fails when a required option is
// missing.
func New(o Options) (*Server, error) {
	if o.Pipeline == nil || o.Store == nil || o.Keys == nil || o.Audit == nil || o.Pseudonymizer == nil {
		return nil, errors.New("api: pipeline, store, keys, audit and pseudonymizer are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	s := &Server{o: o, log: o.Logger, mux: http.NewServeMux(), sem: make(chan struct{}, o.MaxInFlight)}
	if o.Rate > 0 {
		s.limiter = newKeyLimiter(o.Rate, o.Burst, o.Now)
	}
	s.routes = s.table()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	return s, nil
}

// Handler returns the API's handler.
func (s *Server) Handler() http.Handler { return s }

// route is one endpoint and who may call it: anyone (public), a key whose role has perm,
// or a key of role.
type route struct {
	method, path string
	public       bool
	perm         apikey.Permission
	role         fraud.Role
	maxBody      int64 // 0: Options.MaxBody
	h            handlerFunc
}

// handlerFunc serves a request; a returned error is answered with errorFor's mapping.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// permits reports whether a key of role may call rt.
func (rt route) permits(role fraud.Role) bool {
	switch {
	case rt.public:
		return true
	case rt.perm != "":
		return apikey.Allowed(role, rt.perm)
	case rt.role != "":
		return role == rt.role
	}
	return false
}

// table lists every endpoint. A route must say who may call it: public, perm or role.
func (s *Server) table() []route {
	return []route{
		{method: "GET", path: "/healthz", public: true, h: s.healthz},
		{method: "GET", path: "/readyz", public: true, h: s.readyz},
		{method: "GET", path: "/v1/openapi.json", public: true, h: s.openapi},
		{method: "GET", path: "/metrics", role: fraud.RoleAdmin, h: s.metrics},

		{method: "POST", path: "/v1/score", perm: apikey.PermScore, h: s.score},
		{method: "POST", path: "/v1/score/batch", perm: apikey.PermScore, h: s.scoreBatch},

		{method: "GET", path: "/v1/decisions", perm: apikey.PermDecisionsRead, h: s.listDecisions},
		{method: "GET", path: "/v1/decisions/{id}", perm: apikey.PermDecisionsRead, h: s.getDecision},
		{method: "GET", path: "/v1/decisions/{id}/explain", perm: apikey.PermDecisionsRead, h: s.explain},

		{method: "POST", path: "/v1/labels", perm: apikey.PermLabelsWrite, h: s.createLabel},
		{method: "GET", path: "/v1/labels", perm: apikey.PermLabelsRead, h: s.listLabels},

		{method: "GET", path: "/v1/cases", perm: apikey.PermCasesRead, h: s.listCases},
		{method: "GET", path: "/v1/cases/{id}", perm: apikey.PermCasesRead, h: s.getCase},
		{method: "POST", path: "/v1/cases/{id}/assign", perm: apikey.PermCasesWrite, h: s.assignCase},
		{method: "POST", path: "/v1/cases/{id}/resolve", perm: apikey.PermCasesWrite, h: s.resolveCase},

		{method: "GET", path: "/v1/rules", perm: apikey.PermRulesRead, h: s.getRules},
		{method: "PUT", path: "/v1/rules", perm: apikey.PermRulesWrite, h: s.putRules},

		{method: "GET", path: "/v1/lists", perm: apikey.PermListsRead, h: s.listLists},
		{method: "GET", path: "/v1/lists/{name}", perm: apikey.PermListsRead, h: s.getList},
		{method: "PUT", path: "/v1/lists/{name}", perm: apikey.PermListsWrite, maxBody: MaxListBody, h: s.putList},

		{method: "GET", path: "/v1/models", perm: apikey.PermModelsManage, h: s.listModels},
		{method: "POST", path: "/v1/models/{version}/promote", perm: apikey.PermModelsManage, h: s.promoteModel},

		{method: "POST", path: "/v1/keys", perm: apikey.PermKeysManage, h: s.createKey},
		{method: "GET", path: "/v1/keys", perm: apikey.PermKeysManage, h: s.listKeys},
		{method: "POST", path: "/v1/keys/{id}/revoke", perm: apikey.PermKeysManage, h: s.revokeKey},
		{method: "POST", path: "/v1/keys/{id}/rotate", perm: apikey.PermKeysManage, h: s.rotateKey},

		{method: "POST", path: "/v1/erasures", perm: apikey.PermDataErase, h: s.erase},
	}
}

// routeLabel is the metric and log label of a matched pattern ("GET /v1/cases/{id}" ->
// "/v1/cases/{id}"); requests that match no route share one label, never their path.
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

// methodLabel keeps the method label to a fixed set whatever the client sends.
func methodLabel(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "other"
}
