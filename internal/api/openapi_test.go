package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestOpenAPIMatchesTheRoutes keeps the hand-written document and the routes in step:
// every route is documented with its method, and every documented operation is served.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := must(t, f.do("GET", "/v1/openapi.json", "", nil), http.StatusOK)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	served := map[string]bool{}
	for _, rt := range f.api.routes {
		served[rt.method+" "+rt.path] = true
		if _, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]; !ok {
			t.Errorf("%s %s is served but not documented", rt.method, rt.path)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !served[strings.ToUpper(method)+" "+path] {
				t.Errorf("%s %s is documented but not served", strings.ToUpper(method), path)
			}
		}
	}
	// Each operation's permission is the route's.
	for _, rt := range f.api.routes {
		var op struct {
			Perm     string            `json:"x-vigil-permission"`
			Security []json.RawMessage `json:"security"`
		}
		if err := json.Unmarshal(doc.Paths[rt.path][strings.ToLower(rt.method)], &op); err != nil {
			t.Fatal(err)
		}
		want := string(rt.perm)
		if rt.role != "" {
			want = "role " + string(rt.role)
		}
		if op.Perm != want || rt.public != (op.Security != nil && len(op.Security) == 0) {
			t.Errorf("%s %s documents permission %q (public %v), serves %q (public %v)", rt.method, rt.path,
				op.Perm, op.Security != nil, want, rt.public)
		}
	}
}
