package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-fraud/vigil/internal/apikey"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

// TestEveryRouteEnforcesItsPermission calls every registered route with every kind of
// caller: no key, a garbage one, a revoked and an expired admin key are refused 401; each
// role gets 403 exactly where apikey.Allowed (or the route's role) says no. A route added
// without an access rule, or public by mistake, fails here.
func TestEveryRouteEnforcesItsPermission(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	public := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /v1/openapi.json": true}
	for _, rt := range f.api.routes {
		name := rt.method + " " + rt.path
		if rt.public != public[name] {
			t.Errorf("%s: public is %v; only health, readiness and the OpenAPI document are public", name, rt.public)
		}
		if !rt.public && rt.perm == "" && rt.role == "" {
			t.Errorf("%s: no permission and no role", name)
		}
		if rt.perm != "" && !contains(permNames(), string(rt.perm)) {
			t.Errorf("%s: permission %q is not in apikey.Permissions", name, rt.perm)
		}
		path := strings.NewReplacer("{id}", "x-1", "{name}", "blocked_cards", "{version}", "gbdt-000000000000").Replace(rt.path)
		t.Run(name, func(t *testing.T) {
			for _, caller := range []string{"", "garbage", "vgl_" + strings.Repeat("a", 75), "revoked", "expired"} {
				r := f.do(rt.method, path, caller, nil)
				if rt.public {
					if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
						t.Errorf("public route answered %d to caller %q", r.status, caller)
					}
					continue
				}
				if r.status != http.StatusUnauthorized || r.errorCode(t) != codeUnauthenticated {
					t.Errorf("caller %q: %d %s, want 401", caller, r.status, r.body)
				}
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("caller %q: 401 without WWW-Authenticate: Bearer", caller)
				}
			}
			for _, role := range []fraud.Role{fraud.RoleScorer, fraud.RoleAnalyst, fraud.RoleAdmin} {
				want := rt.public || rt.perm != "" && apikey.Allowed(role, rt.perm) || rt.role != "" && role == rt.role
				r := f.do(rt.method, path, string(role), nil)
				switch {
				case r.status == http.StatusUnauthorized:
					t.Errorf("%s: 401 for a valid key: %s", role, r.body)
				case want && r.status == http.StatusForbidden:
					t.Errorf("%s: 403, but the role may: %s", role, r.body)
				case !want && r.status != http.StatusForbidden:
					t.Errorf("%s: %d, want 403: %s", role, r.status, r.body)
				case !want && r.errorCode(t) != codeForbidden:
					t.Errorf("%s: code %s", role, r.errorCode(t))
				}
			}
		})
	}
}

func permNames() []string {
	var out []string
	for _, p := range apikey.Permissions {
		out = append(out, string(p))
	}
	return out
}

func TestUnknownRouteAndWrongMethodUseTheErrorShape(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := must(t, f.do("GET", "/v1/nothing-here", "admin", nil), http.StatusNotFound)
	if r.errorCode(t) != codeNotFound {
		t.Errorf("code %s", r.errorCode(t))
	}
	r = must(t, f.do("DELETE", "/v1/score", "scorer", nil), http.StatusMethodNotAllowed)
	if r.errorCode(t) != codeMethodNotAllowed || !strings.Contains(r.header.Get("Allow"), "POST") {
		t.Errorf("405: code %s, Allow %q", r.errorCode(t), r.header.Get("Allow"))
	}
	// Unmatched requests share one metric label: never their path.
	m := f.do("GET", "/metrics", "admin", nil)
	if strings.Contains(string(m.body), "nothing-here") || !strings.Contains(string(m.body), `route="unmatched"`) {
		t.Errorf("metrics label unmatched requests by path")
	}
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	must(t, f.do("GET", "/healthz", "", nil), http.StatusOK)
	if r := must(t, f.do("GET", "/readyz", "", nil), http.StatusOK); r.json(t)["status"] != "ready" {
		t.Errorf("readyz: %s", r.body)
	}
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-m1", nil)), http.StatusOK)
	r := must(t, f.do("GET", "/metrics", "admin", nil), http.StatusOK)
	for _, want := range []string{`http_requests_total{method="POST",route="/v1/score",status="200"} 1`,
		`vigil_decisions_total{outcome=`, `vigil_feature_state_entities{kind="customer"} 1`,
		`vigil_model_info{version="gbdt-`, `vigil_rules_info{version="rs-`, `vigil_pipeline_errors_total{kind="state"} 0`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	unready := newFixture(t, fixtureOptions{noModel: true, ready: func(ctx context_) error { return errStoreDown }})
	r = must(t, unready.do("GET", "/readyz", "", nil), http.StatusServiceUnavailable)
	if r.errorCode(t) != codeUnavailable {
		t.Fatal(string(r.body))
	}
	got := map[string]bool{}
	for _, fe := range r.fields(t) {
		got[fe.Path] = true
	}
	if !got["model"] || !got["dependencies"] || strings.Contains(string(r.body), errStoreDown.Error()) {
		t.Errorf("readyz must name the parts and hide the cause: %s", r.body)
	}
	r = must(t, unready.do("POST", "/v1/score", "scorer", txnJSON("tx-m2", nil)), http.StatusServiceUnavailable)
	if r.errorCode(t) != codeUnavailable {
		t.Errorf("score without a model: %s", r.body)
	}
}
