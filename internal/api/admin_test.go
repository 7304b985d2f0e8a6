package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
)

// audited runs fn and checks that it appended exactly n audit entries (the last of which
// has action) and that the log still verifies.
func (f *fixture) audited(t *testing.T, n uint64, action string, fn func()) fraud.AuditEntry {
	t.Helper()
	before := f.auditCount()
	fn()
	if got := f.auditCount() - before; got != n {
		t.Fatalf("%d audit entries, want %d", got, n)
	}
	last, err := f.store.LastAudit(context.Background())
	if n > 0 && (err != nil || last.Action != action) {
		t.Fatalf("last audit entry %+v (%v), want action %s", last, err, action)
	}
	if last == nil {
		return fraud.AuditEntry{}
	}
	if n > 0 && !strings.HasPrefix(last.Actor, "key:") {
		t.Errorf("audit actor %q, want key:<id>", last.Actor)
	}
	return *last
}

func TestRules(t *testing.T) {
	f := newFixture(t, fixtureOptions{rulesFile: true})
	old := must(t, f.do("GET", "/v1/rules", "admin", nil), http.StatusOK).json(t)
	if old["version"] == "" || old["source"] == "" || len(old["rules"].([]any)) == 0 || old["thresholds"] == nil {
		t.Fatalf("GET /v1/rules: %v", old)
	}
	bad := "version: 1\nthresholds: {review: 0.5, decline: 0.9}\nrules:\n  - name: broken\n    when: txn.amount >>> 1\n    action: decline\n    reason: x\n"
	f.audited(t, 0, "", func() {
		r := must(t, f.do("PUT", "/v1/rules", "admin", bad, "Content-Type", "application/yaml"), http.StatusUnprocessableEntity)
		fs := r.fields(t)
		if len(fs) == 0 || !strings.Contains(fs[0].Reason, "line 5") {
			t.Errorf("fields %+v: want the problem's line", fs)
		}
	})
	if now := must(t, f.do("GET", "/v1/rules", "admin", nil), http.StatusOK).json(t); now["version"] != old["version"] {
		t.Fatal("a refused rule set replaced the running one")
	}
	if _, err := os.Stat(f.rules); !os.IsNotExist(err) {
		t.Errorf("a refused rule set was written to the rules file (%v)", err)
	}
	entry := f.audited(t, 1, audit.ActionRulesUpdate, func() {
		r := must(t, f.do("PUT", "/v1/rules", "admin", reviewRules, "Content-Type", "application/yaml"), http.StatusOK).json(t)
		if r["changed"] != true || r["version"] == old["version"] {
			t.Fatalf("PUT: %v", r)
		}
	})
	if entry.Target != f.p.RuleSet().Version() || !strings.Contains(entry.Details, old["version"].(string)) {
		t.Errorf("audit entry %+v", entry)
	}
	if src, err := os.ReadFile(f.rules); err != nil || string(src) != reviewRules {
		t.Errorf("rules file not written: %v", err)
	}
	// The same set again changes nothing and records nothing; JSON is accepted too.
	f.audited(t, 0, "", func() {
		r := must(t, f.do("PUT", "/v1/rules", "admin", map[string]any{"source": reviewRules}), http.StatusOK).json(t)
		if r["changed"] != false {
			t.Errorf("same set: %v", r)
		}
	})
	f.audited(t, 0, "", func() {
		must(t, f.do("PUT", "/v1/rules", "admin", "x", "Content-Type", "text/html"), http.StatusUnsupportedMediaType)
		must(t, f.do("PUT", "/v1/rules", "admin", map[string]any{"src": "x"}), http.StatusUnprocessableEntity)
	})
	// Every transaction is now reviewed.
	d := must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK).json(t)
	if d["decision"] != "review" {
		t.Errorf("decision %v under the review-everything rules", d["decision"])
	}
}

func TestListsReachTheRules(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	entry := f.audited(t, 1, audit.ActionListUpdate, func() {
		r := must(t, f.do("PUT", "/v1/lists/blocked_cards", "admin", map[string]any{"items": []string{"tok_stolen", "tok_lost"}}), http.StatusOK).json(t)
		if r["version"] != 1.0 || len(r["items"].([]any)) != 2 || r["pseudonymous"] != true {
			t.Fatalf("PUT list: %v", r)
		}
	})
	if strings.Contains(entry.Details, "tok_") || !strings.Contains(entry.Details, `"added":2`) {
		t.Errorf("audit details must count, never list, the items: %s", entry.Details)
	}
	got := must(t, f.do("GET", "/v1/lists/blocked_cards", "admin", nil), http.StatusOK)
	if strings.Contains(string(got.body), "tok_stolen") || !strings.Contains(string(got.body), f.pseudo.Pseudonym("tok_stolen")) {
		t.Errorf("a card list shows pseudonyms as stored: %s", got.body)
	}
	all := must(t, f.do("GET", "/v1/lists", "admin", nil), http.StatusOK).json(t)
	if items := all["items"].([]any); len(items) != 1 || items[0].(map[string]any)["count"] != 2.0 {
		t.Errorf("lists: %v", all)
	}
	must(t, f.do("GET", "/v1/lists/nothing", "admin", nil), http.StatusNotFound)
	must(t, f.do("GET", "/v1/lists/Bad-Name", "admin", nil), http.StatusNotFound)
	f.audited(t, 0, "", func() {
		r := must(t, f.do("PUT", "/v1/lists/blocked_cards", "admin", map[string]any{"items": []string{"ok", pan}}), http.StatusUnprocessableEntity)
		if fs := r.fields(t); len(fs) != 1 || fs[0].Path != "items[1]" || strings.Contains(string(r.body), pan) {
			t.Errorf("a PAN in a list: %s", r.body)
		}
		must(t, f.do("PUT", "/v1/lists/blocked_cards", "admin", map[string]any{}), http.StatusUnprocessableEntity)
	})

	d := must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", map[string]any{"card": "tok_stolen"})), http.StatusOK).json(t)
	hits, _ := json.Marshal(d["rule_hits"])
	if d["decision"] != "decline" || !strings.Contains(string(hits), "blocked_card") {
		t.Errorf("a blocked card: %v", d)
	}

	// Replacing a list that exists.
	must(t, f.do("PUT", "/v1/lists/blocked_cards", "admin", map[string]any{"items": []string{"tok_lost"}}), http.StatusOK)
}

func TestLabels(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK)
	if n := f.terminalFrauds("t-4"); n != 0 {
		t.Fatalf("%d frauds before the label", n)
	}
	entry := f.audited(t, 1, audit.ActionLabelCreate, func() {
		must(t, f.do("POST", "/v1/labels", "analyst", map[string]any{"transaction_id": "tx-1", "fraud": true}), http.StatusCreated)
	})
	if entry.Target != "tx-1" || !strings.Contains(entry.Details, `"fraud":true`) {
		t.Errorf("audit entry %+v", entry)
	}
	if n := f.terminalFrauds("t-4"); n != 1 {
		t.Errorf("the label did not reach the terminal's history: %d frauds", n)
	}
	l := must(t, f.do("GET", "/v1/labels?transaction_id=tx-1", "analyst", nil), http.StatusOK).json(t)
	if items := l["items"].([]any); len(items) != 1 || items[0].(map[string]any)["fraud"] != true {
		t.Errorf("labels: %v", l)
	}
	f.audited(t, 0, "", func() {
		must(t, f.do("POST", "/v1/labels", "analyst", map[string]any{"transaction_id": "tx-never", "fraud": true}), http.StatusNotFound)
		r := must(t, f.do("POST", "/v1/labels", "analyst", map[string]any{"transaction_id": "tx-1"}), http.StatusUnprocessableEntity)
		if fs := r.fields(t); len(fs) != 1 || fs[0].Path != "fraud" {
			t.Errorf("fields %+v", fs)
		}
		must(t, f.do("POST", "/v1/labels", "analyst", `{"transaction_id": "tx-1", "fraud": "yes"}`), http.StatusUnprocessableEntity)
	})
}

func TestCaseFlow(t *testing.T) {
	f := newFixture(t, fixtureOptions{rules: reviewRules})
	d := must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK).json(t)
	if d["decision"] != "review" {
		t.Fatalf("decision %v", d["decision"])
	}
	cases := must(t, f.do("GET", "/v1/cases?status=open", "analyst", nil), http.StatusOK).json(t)["items"].([]any)
	if len(cases) != 1 {
		t.Fatalf("%d open cases, want 1", len(cases))
	}
	id := cases[0].(map[string]any)["id"].(string)
	if got := must(t, f.do("GET", "/v1/cases/"+id, "analyst", nil), http.StatusOK).json(t); got["decision_id"] != d["decision_id"] {
		t.Errorf("case %v", got)
	}
	f.audited(t, 1, audit.ActionCaseAssign, func() {
		c := must(t, f.do("POST", "/v1/cases/"+id+"/assign", "analyst", map[string]any{"assignee": "ana"}), http.StatusOK).json(t)
		if c["status"] != "assigned" || c["assignee"] != "ana" {
			t.Errorf("assigned case %v", c)
		}
	})
	if n := len(must(t, f.do("GET", "/v1/cases?assignee=ana", "analyst", nil), http.StatusOK).json(t)["items"].([]any)); n != 1 {
		t.Errorf("%d cases assigned to ana", n)
	}
	const note = "customer confirmed on the phone"
	entry := f.audited(t, 1, audit.ActionCaseResolve, func() {
		c := must(t, f.do("POST", "/v1/cases/"+id+"/resolve", "analyst", map[string]any{"fraud": true, "note": note}), http.StatusOK).json(t)
		if c["status"] != "resolved" || c["resolution"] != "decline" {
			t.Errorf("resolved case %v", c)
		}
	})
	if strings.Contains(entry.Details, "phone") || entry.Target != id {
		t.Errorf("audit entry %+v must hold the case id and never the note", entry)
	}
	l := must(t, f.do("GET", "/v1/labels?transaction_id=tx-1", "analyst", nil), http.StatusOK).json(t)["items"].([]any)
	if len(l) != 1 || l[0].(map[string]any)["source"] != "case" || l[0].(map[string]any)["fraud"] != true {
		t.Errorf("resolution label: %v", l)
	}
	f.audited(t, 0, "", func() {
		must(t, f.do("POST", "/v1/cases/"+id+"/resolve", "analyst", map[string]any{"fraud": false}), http.StatusConflict)
		must(t, f.do("POST", "/v1/cases/"+id+"/assign", "analyst", map[string]any{"assignee": "bob"}), http.StatusConflict)
		must(t, f.do("POST", "/v1/cases/case_nope/assign", "analyst", map[string]any{"assignee": "bob"}), http.StatusNotFound)
		must(t, f.do("POST", "/v1/cases/"+id+"/assign", "analyst", map[string]any{"assignee": ""}), http.StatusUnprocessableEntity)
		must(t, f.do("GET", "/v1/cases?status=lost", "analyst", nil), http.StatusUnprocessableEntity)
	})
}

// incompatibleModel registers a model whose only feature vigil does not compute.
func incompatibleModel(t *testing.T, reg *model.Registry) string {
	t.Helper()
	d := &model.Dataset{Names: []string{"shoe_size"}, Rows: 40}
	for i := range 40 {
		d.X = append(d.X, float64(i))
		d.Y = append(d.Y, float64(i%2))
	}
	g, err := model.TrainGBDT(context.Background(), d, nil, model.GBDTOptions{MaxTrees: 2, Workers: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := model.Save(&b, &model.File{Model: g, Features: []model.Feature{{Name: "shoe_size", Version: "1"}}}, model.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := reg.Add(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f.Version()
}

func TestModels(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	serving := f.p.Model().Version()
	d := must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK).json(t)
	list := must(t, f.do("GET", "/v1/models", "admin", nil), http.StatusOK).json(t)
	models := list["models"].([]any)
	if list["serving"] != serving || list["active"] != serving || len(models) != 2 {
		t.Fatalf("models: %v", list)
	}
	var other string
	for _, m := range models {
		if v := m.(map[string]any)["version"].(string); v != serving {
			other = v
		}
	}
	entry := f.audited(t, 1, audit.ActionModelPromote, func() {
		p := must(t, f.do("POST", "/v1/models/"+other+"/promote", "admin", nil), http.StatusOK).json(t)
		if p["version"] != other || p["previous"] != serving {
			t.Errorf("promotion %v", p)
		}
	})
	if entry.Target != other || f.p.Model().Version() != other {
		t.Errorf("audit %+v, serving %s", entry, f.p.Model().Version())
	}
	if active, _ := f.registry.Active(); active != other {
		t.Errorf("registry active %s, want %s", active, other)
	}
	// A decision of the previous model still explains itself with that model.
	e := must(t, f.do("GET", "/v1/decisions/"+d["decision_id"].(string)+"/explain", "analyst", nil), http.StatusOK).json(t)
	if e["matches"] != true {
		t.Errorf("explain after a promotion: %v", e)
	}
	bad := incompatibleModel(t, f.registry)
	f.audited(t, 0, "", func() {
		must(t, f.do("POST", "/v1/models/gbdt-000000000000/promote", "admin", nil), http.StatusNotFound)
		must(t, f.do("POST", "/v1/models/not-a-version/promote", "admin", nil), http.StatusNotFound)
		r := must(t, f.do("POST", "/v1/models/"+bad+"/promote", "admin", nil), http.StatusUnprocessableEntity)
		if strings.Contains(string(r.body), "shoe_size") || strings.Contains(string(r.body), f.dir) {
			t.Errorf("422 leaks internals: %s", r.body)
		}
	})
	if f.p.Model().Version() != other {
		t.Error("a refused promotion changed the model in force")
	}
}

func TestKeys(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var created map[string]any
	entry := f.audited(t, 1, audit.ActionKeyCreate, func() {
		created = must(t, f.do("POST", "/v1/keys", "admin", map[string]any{"role": "scorer", "expires": "30d"}), http.StatusCreated).json(t)
	})
	secret, id := created["secret"].(string), created["id"].(string)
	if !strings.HasPrefix(secret, "vgl_") || created["role"] != "scorer" || entry.Target != id || strings.Contains(entry.Details, secret) {
		t.Fatalf("created %v, audit %+v", created, entry)
	}
	f.key["new"] = secret
	must(t, f.do("POST", "/v1/score", "new", txnJSON("tx-1", nil)), http.StatusOK)

	list := must(t, f.do("GET", "/v1/keys", "admin", nil), http.StatusOK)
	if strings.Contains(string(list.body), secret) || strings.Contains(string(list.body), "hash") {
		t.Error("the key list shows a secret or a hash")
	}
	if !strings.Contains(string(list.body), `"status":"revoked"`) || !strings.Contains(string(list.body), `"status":"expired"`) {
		t.Errorf("key list: %s", list.body)
	}

	var rotated map[string]any
	entry = f.audited(t, 1, audit.ActionKeyRotate, func() {
		rotated = must(t, f.do("POST", "/v1/keys/"+id+"/rotate", "admin", nil), http.StatusCreated).json(t)
	})
	if entry.Target != id || !strings.Contains(entry.Details, rotated["id"].(string)) {
		t.Errorf("rotate audit %+v", entry)
	}
	must(t, f.do("POST", "/v1/score", "new", txnJSON("tx-2", nil)), http.StatusUnauthorized)
	f.key["rotated"] = rotated["secret"].(string)
	must(t, f.do("POST", "/v1/score", "rotated", txnJSON("tx-2", nil)), http.StatusOK)

	f.audited(t, 1, audit.ActionKeyRevoke, func() {
		must(t, f.do("POST", "/v1/keys/"+rotated["id"].(string)+"/revoke", "admin", nil), http.StatusOK)
	})
	must(t, f.do("POST", "/v1/score", "rotated", txnJSON("tx-3", nil)), http.StatusUnauthorized)

	f.audited(t, 0, "", func() {
		must(t, f.do("POST", "/v1/keys", "admin", map[string]any{"role": "root"}), http.StatusUnprocessableEntity)
		must(t, f.do("POST", "/v1/keys", "admin", map[string]any{"role": "scorer", "expires": "never"}), http.StatusUnprocessableEntity)
		must(t, f.do("POST", "/v1/keys/"+id+"/rotate", "admin", nil), http.StatusConflict)
		must(t, f.do("POST", "/v1/keys/nokey/revoke", "admin", nil), http.StatusNotFound)
	})
	for _, s := range []string{secret, rotated["secret"].(string)} {
		if strings.Contains(f.logs.String(), s) {
			t.Error("a key secret reached the log")
		}
	}
}

func TestErasure(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", map[string]any{"customer_id": "alice-1984"})), http.StatusOK)
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-2", map[string]any{"customer_id": "bob"})), http.StatusOK)
	var out map[string]any
	entry := f.audited(t, 1, audit.ActionCustomerErase, func() {
		out = must(t, f.do("POST", "/v1/erasures", "admin", map[string]any{"customer_id": "alice-1984"}), http.StatusOK).json(t)
	})
	pseudonym := f.pseudo.Pseudonym("alice-1984")
	if out["transactions_removed"] != 1.0 || out["state_erased"] != true || entry.Target != out["reference"] {
		t.Errorf("erasure %v, audit %+v", out, entry)
	}
	for _, where := range []string{entry.Details, entry.Target, f.logs.String()} {
		if strings.Contains(where, "alice") || strings.Contains(where, pseudonym) {
			t.Errorf("the customer's id was kept: %s", where)
		}
	}
	if len(f.erased) != 1 || f.erased[0] != pseudonym {
		t.Errorf("EraseState got %v", f.erased)
	}
	if c := f.counts(); c.decisions != 1 {
		t.Errorf("%d decisions left, want bob's 1", c.decisions)
	}
	must(t, f.do("GET", "/v1/decisions/missing", "analyst", nil), http.StatusNotFound)
	f.audited(t, 0, "", func() {
		must(t, f.do("POST", "/v1/erasures", "admin", map[string]any{}), http.StatusUnprocessableEntity)
	})
}

// TestAuditFailureKeepsTheChange: the change happened, so it is answered as done, and the
// failed append is logged at error level with the action (never the details).
func TestAuditFailureKeepsTheChange(t *testing.T) {
	f := newFixture(t, fixtureOptions{failAudit: true})
	must(t, f.do("PUT", "/v1/lists/blocked_cards", "admin", map[string]any{"items": []string{"tok_stolen"}}), http.StatusOK)
	if got := f.p.Lists()["blocked_cards"]; len(got) != 1 {
		t.Fatalf("list in force: %v", got)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"level":"ERROR","msg":"audit append failed`) || !strings.Contains(logs, audit.ActionListUpdate) {
		t.Errorf("the failed append was not logged: %s", logs)
	}
	if strings.Contains(logs, "tok_stolen") || strings.Contains(logs, f.pseudo.Pseudonym("tok_stolen")) {
		t.Error("the log holds the list's items")
	}
}
