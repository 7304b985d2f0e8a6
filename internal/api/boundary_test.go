package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/rules"
	"github.com/vigil-fraud/vigil/internal/score"
	"github.com/vigil-fraud/vigil/internal/store/sqlite"
)

// TestMalformedQueryIsRefused: a query string with a bad %-escape or a ';' is refused
// whole; url.Values would drop the pair and turn a filter into no filter.
func TestMalformedQueryIsRefused(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-a", map[string]any{"customer_id": "alice"})), http.StatusOK)
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-b", map[string]any{"customer_id": "bob"})), http.StatusOK)
	for _, q := range []string{"customer_id=al%zzice", "customer_id=alice;x", "limit=1&cursor=%zz", "outcome=decline%"} {
		r := f.do("GET", "/v1/decisions?"+q, "analyst", nil)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("?%s: %d, want 422: %.200s", q, r.status, r.body)
			continue
		}
		if fs := r.fields(t); len(fs) == 0 || fs[0].Path != "(query)" {
			t.Errorf("?%s: fields %+v, want (query)", q, fs)
		}
	}
	// The same filter, well formed, still works.
	items := must(t, f.do("GET", "/v1/decisions?customer_id=alice", "analyst", nil), http.StatusOK).json(t)["items"].([]any)
	if len(items) != 1 {
		t.Errorf("customer_id=alice: %d decisions, want 1", len(items))
	}
}

// TestCardNumberInFreeTextIsRefused: a label's source, a case's assignee and note, and a
// key's name are answered back, listed and audited: a card number there is refused (422,
// with its field), never stored, echoed or audited.
func TestCardNumberInFreeTextIsRefused(t *testing.T) {
	f := newFixture(t, fixtureOptions{rules: reviewRules})
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK)
	id := must(t, f.do("GET", "/v1/cases", "analyst", nil), http.StatusOK).json(t)["items"].([]any)[0].(map[string]any)["id"].(string)
	spaced := "4111 1111 1111 1111"
	for _, c := range []struct {
		method, path, role string
		body               map[string]any
		field              string
	}{
		{"POST", "/v1/labels", "analyst", map[string]any{"transaction_id": "tx-1", "fraud": true, "source": pan}, "source"},
		{"POST", "/v1/cases/" + id + "/assign", "analyst", map[string]any{"assignee": "x" + pan}, "assignee"},
		{"POST", "/v1/cases/" + id + "/resolve", "analyst", map[string]any{"fraud": true, "note": "card " + spaced}, "note"},
		{"POST", "/v1/keys", "admin", map[string]any{"role": "scorer", "name": "pos " + spaced}, "name"},
	} {
		before := f.auditCount()
		r := f.do(c.method, c.path, c.role, c.body)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s %s: %d, want 422: %s", c.method, c.path, r.status, r.body)
			continue
		}
		if fs := r.fields(t); len(fs) != 1 || fs[0].Path != c.field {
			t.Errorf("%s %s: fields %+v, want %s", c.method, c.path, fs, c.field)
		}
		if strings.Contains(string(r.body), pan) || strings.Contains(string(r.body), spaced) {
			t.Errorf("%s %s: the answer echoes the card number: %s", c.method, c.path, r.body)
		}
		if f.auditCount() != before {
			t.Errorf("%s %s: a refused request was audited", c.method, c.path)
		}
	}
	labels := must(t, f.do("GET", "/v1/labels?transaction_id=tx-1", "analyst", nil), http.StatusOK).json(t)["items"].([]any)
	c := must(t, f.do("GET", "/v1/cases/"+id, "analyst", nil), http.StatusOK).json(t)
	if len(labels) != 0 || c["status"] != "open" || c["assignee"] != nil {
		t.Errorf("a refused request changed something: labels %v, case %v", labels, c)
	}
}

// TestLabelRetryIsIdempotent: the same label sent again answers 200 replayed with the label
// first stored, and stores and audits nothing.
func TestLabelRetryIsIdempotent(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK)
	label := map[string]any{"transaction_id": "tx-1", "fraud": true}
	first := must(t, f.do("POST", "/v1/labels", "analyst", label), http.StatusCreated).json(t)
	n := f.auditCount()
	again := must(t, f.do("POST", "/v1/labels", "analyst", label), http.StatusOK).json(t)
	if again["replayed"] != true || again["labelled_at"] != first["labelled_at"] || again["fraud"] != true {
		t.Errorf("retry answered %v, want the first label (%v) replayed", again, first)
	}
	items := must(t, f.do("GET", "/v1/labels?transaction_id=tx-1", "analyst", nil), http.StatusOK).json(t)["items"].([]any)
	if len(items) != 1 || f.auditCount() != n {
		t.Errorf("a retried label stored %d labels and %d more audit entries; want 1 and 0", len(items), f.auditCount()-n)
	}
	// The other verdict is a change: stored, audited, and in force.
	must(t, f.do("POST", "/v1/labels", "analyst", map[string]any{"transaction_id": "tx-1", "fraud": false}), http.StatusCreated)
	if f.auditCount() != n+1 || f.terminalFrauds("t-4") != 0 {
		t.Errorf("the changed verdict: %d audit entries more, terminal frauds %d; want 1 and 0", f.auditCount()-n, f.terminalFrauds("t-4"))
	}
}

// TestArrayElementTypeErrorNamesTheElement: a list item of the wrong type is named by its
// index, and nothing changes.
func TestArrayElementTypeErrorNamesTheElement(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for body, want := range map[string]string{
		`{"items":["tok_a", 7]}`:         "items[1]",
		`{"items":[null]}`:               "items[0]",
		`{"items":["a", "b", {"c": 1}]}`: "items[2]",
	} {
		r := must(t, f.do("PUT", "/v1/lists/blocked_cards", "admin", body), http.StatusUnprocessableEntity)
		if fs := r.fields(t); len(fs) != 1 || fs[0].Path != want {
			t.Errorf("%s: fields %+v, want path %s", body, fs, want)
		}
	}
	if r := f.do("GET", "/v1/lists/blocked_cards", "admin", nil); r.status != http.StatusNotFound {
		t.Errorf("a refused list was stored: %d %s", r.status, r.body)
	}
}

// hangUpAfterResolve cancels the request's context as soon as the case's resolution is
// committed: a client that hangs up at the worst moment.
type hangUpAfterResolve struct {
	*sqlite.Store
	cancel context.CancelFunc
}

func (s *hangUpAfterResolve) ResolveCase(ctx context.Context, id string, res fraud.Outcome, note string, at time.Time) error {
	err := s.Store.ResolveCase(ctx, id, res, note, at)
	s.cancel()
	return err
}

// TestResolveCaseClientHangUp: a client hanging up once the resolution is committed leaves
// the case resolved, labelled and audited, not resolved alone.
func TestResolveCaseClientHangUp(t *testing.T) {
	f := newFixture(t, fixtureOptions{rules: reviewRules})
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK)
	cases, err := f.store.Cases(context.Background(), fraud.CaseFilter{})
	if err != nil || len(cases.Items) != 1 {
		t.Fatalf("cases: %v %v", cases, err)
	}
	id := cases.Items[0].ID
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eng, err := feature.New(feature.Options{State: f.state})
	if err != nil {
		t.Fatal(err)
	}
	p, err := score.New(score.Options{Engine: eng, Store: &hangUpAfterResolve{Store: f.store, cancel: cancel},
		Pseudonymizer: f.pseudo, Model: f.p.Model(), Rules: []byte(reviewRules)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Pipeline: p, Store: f.store, Keys: f.keys, Audit: audit.New(f.store, audit.Options{}),
		Pseudonymizer: f.pseudo, Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	before := f.auditCount()
	req := httptest.NewRequest("POST", "/v1/cases/"+id+"/resolve", strings.NewReader(`{"fraud":true}`)).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+f.key["analyst"])
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	c, err := f.store.Case(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	labels, err := f.store.Labels(context.Background(), fraud.LabelFilter{TransactionID: "tx-1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != fraud.CaseResolved || f.auditCount() != before+1 || len(labels.Items) != 1 {
		t.Errorf("answer %d; case %s, %d audit entries, %d labels; want resolved, 1, 1",
			rec.Code, c.Status, f.auditCount()-before, len(labels.Items))
	}
}

// TestFutureTimestampRefused: a transaction dated far ahead of the server's clock is 422 on
// its timestamp, alone or in a batch (with its index), and changes nothing.
func TestFutureTimestampRefused(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ahead := time.Now().UTC().AddDate(20, 0, 0).Format(time.RFC3339)
	before := f.counts()
	r := must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-future", map[string]any{"timestamp": ahead})), http.StatusUnprocessableEntity)
	if fs := r.fields(t); len(fs) != 1 || fs[0].Path != "timestamp" {
		t.Errorf("fields %+v, want timestamp", fs)
	}
	batch := map[string]any{"transactions": []any{txnJSON("tx-ok", nil), txnJSON("tx-future", map[string]any{"timestamp": ahead})}}
	res := must(t, f.do("POST", "/v1/score/batch", "scorer", batch), http.StatusOK).json(t)["results"].([]any)
	item := res[1].(map[string]any)["error"].(map[string]any)
	if fs, _ := item["fields"].([]any); len(fs) != 1 || fs[0].(map[string]any)["path"] != "transactions[1].timestamp" {
		t.Errorf("batch item: %v, want transactions[1].timestamp", item)
	}
	if after := f.counts(); after.decisions != before.decisions+1 {
		t.Errorf("decisions %d -> %d, want only tx-ok stored", before.decisions, after.decisions)
	}
}

// TestConcurrentPromotionsAgree: promotions racing each other leave the pipeline serving the
// version the registry records as active (which a restart serves).
func TestConcurrentPromotionsAgree(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var versions []string
	for _, m := range must(t, f.do("GET", "/v1/models", "admin", nil), http.StatusOK).json(t)["models"].([]any) {
		versions = append(versions, m.(map[string]any)["version"].(string))
	}
	for round := range 10 {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if r := f.do("POST", "/v1/models/"+versions[i%2]+"/promote", "admin", nil); r.status != http.StatusOK {
					t.Errorf("promote: %d %s", r.status, r.body)
				}
			})
		}
		wg.Wait()
		active, err := f.registry.Active()
		if err != nil {
			t.Fatal(err)
		}
		if serving := f.p.Model().Version(); serving != active {
			t.Fatalf("round %d: serving %s, registry active %s", round, serving, active)
		}
	}
}

// TestPutRunningRulesRestoresTheFile: after an edit of the rules file the hot reload refused,
// PUT of the set in force answers changed false and puts the file back to that set, so the
// file holds what runs (and the next start does not fail on it); the rewrite is audited.
func TestPutRunningRulesRestoresTheFile(t *testing.T) {
	f := newFixture(t, fixtureOptions{rulesFile: true})
	broken := "version: 1\nthresholds: {review: 0.5, decline: 0.9}\nrules:\n  - name: x\n    when: txn.amout > 1\n    action: review\n    reason: r\n"
	if err := os.WriteFile(f.rules, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	before := f.auditCount()
	got := must(t, f.do("PUT", "/v1/rules", "admin", string(f.p.RuleSet().Source()), "Content-Type", "application/yaml"), http.StatusOK).json(t)
	if got["changed"] != false {
		t.Errorf("changed = %v, want false", got["changed"])
	}
	src, err := os.ReadFile(f.rules)
	if err != nil {
		t.Fatal(err)
	}
	if rules.Version(src) != f.p.RuleSet().Version() {
		t.Fatalf("after a 200, the rules file is not the set in force:\n%s", src)
	}
	if f.auditCount() != before+1 {
		t.Errorf("the file's restoration was not audited")
	}
}
