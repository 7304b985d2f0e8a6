package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestScoreAnswersTheDecision(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK)
	var got scoreResult
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.TransactionID != "tx-1" || !strings.HasPrefix(got.DecisionID, "dec_") || got.Replayed ||
		got.Decision.Severity() < 0 || got.Score < 0 || got.Score > 1 || got.ModelVersion == "" ||
		got.RulesVersion == "" || len(got.Reasons) == 0 {
		t.Fatalf("decision %+v", got)
	}
	m := r.json(t)
	for _, k := range []string{"decision", "score", "reasons", "rule_hits", "model_version", "rules_version",
		"decision_id", "transaction_id", "latency_us", "replayed"} {
		if _, ok := m[k]; !ok {
			t.Errorf("answer lacks %q: %s", k, r.body)
		}
	}
	if m["rule_hits"] == nil {
		t.Error("rule_hits must be an array, never null")
	}
	// The stored decision reads back with its features by name.
	d := must(t, f.do("GET", "/v1/decisions/"+got.DecisionID, "analyst", nil), http.StatusOK).json(t)
	feats, ok := d["features"].(map[string]any)
	if !ok || len(feats) == 0 || d["decision_id"] != got.DecisionID {
		t.Fatalf("decision read back: %v", d)
	}
	nulls := 0
	for _, v := range feats {
		if v == nil {
			nulls++
		}
	}
	if nulls == 0 {
		t.Error("a first transaction has unknown features (NaN), which must read as null")
	}
	must(t, f.do("GET", "/v1/decisions/dec_unknown", "analyst", nil), http.StatusNotFound)
}

func TestScoreIsIdempotent(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	first := must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK).json(t)
	before := f.counts()
	again := must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK).json(t)
	if again["decision_id"] != first["decision_id"] || again["replayed"] != true || first["replayed"] != false {
		t.Fatalf("repeat: first %v, again %v", first, again)
	}
	if after := f.counts(); after != before {
		t.Fatalf("a repeat changed the store or the state: %+v -> %+v", before, after)
	}
	r := must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", map[string]any{"amount": 43.5})), http.StatusConflict)
	if r.errorCode(t) != codeConflict {
		t.Fatal(string(r.body))
	}
	if after := f.counts(); after != before {
		t.Fatalf("a conflict changed the store or the state: %+v -> %+v", before, after)
	}
	if st := f.p.Stats(); st.Scored != 1 || st.Replayed != 1 {
		t.Errorf("pipeline stats %+v", st)
	}
}

const pan = "4111111111111111"

// TestRefusedTransactionsChangeNothing sends bad bodies: each is refused with its status,
// code and exact field paths, and leaves the store and the feature state as they were.
func TestRefusedTransactionsChangeNothing(t *testing.T) {
	f := newFixture(t, fixtureOptions{maxBody: 4096})
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-0", nil)), http.StatusOK)
	valid, _ := json.Marshal(txnJSON("tx-x", nil))
	tests := []struct {
		name   string
		body   any
		header []string
		status int
		code   string
		paths  []string
	}{
		{"malformed JSON", `{"id": "tx-1", `, nil, 400, codeMalformed, nil},
		{"not an object", `[1, 2]`, nil, 400, codeMalformed, nil},
		{"empty body", ``, nil, 400, codeMalformed, nil},
		{"trailing data", string(valid) + ` {}`, nil, 400, codeMalformed, nil},
		{"unknown field", txnJSON("tx-2", map[string]any{"colour": "red"}), nil, 422, codeInvalid, []string{"colour"}},
		{"missing fields", `{}`, nil, 422, codeInvalid,
			[]string{"id", "timestamp", "amount", "currency", "customer_id", "terminal_id"}},
		{"wrong types", txnJSON("tx-3", map[string]any{"amount": "12", "timestamp": "yesterday"}), nil, 422, codeInvalid,
			[]string{"timestamp", "amount"}},
		{"raw card number", txnJSON("tx-4", map[string]any{"card": pan}), nil, 422, codeInvalid, []string{"card"}},
		{"oversized", txnJSON("tx-5", map[string]any{"attributes": map[string]string{"note": strings.Repeat("x", 5000)}}),
			nil, 413, codeTooLarge, nil},
		{"not JSON content", string(valid), []string{"Content-Type", "text/plain"}, 415, codeUnsupportedMedia, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.counts()
			r := f.do("POST", "/v1/score", "scorer", tt.body, tt.header...)
			if r.status != tt.status || r.errorCode(t) != tt.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
			var paths []string
			for _, fe := range r.fields(t) {
				paths = append(paths, fe.Path)
			}
			if !slices.Equal(paths, tt.paths) {
				t.Errorf("field paths %q, want %q", paths, tt.paths)
			}
			if after := f.counts(); after != before {
				t.Errorf("a refused transaction changed the store or state: %+v -> %+v", before, after)
			}
		})
	}
	if strings.Contains(f.logs.String(), pan) {
		t.Error("the card number reached the log")
	}
}

func TestRawCardNumberIsNeverEchoed(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, body := range []any{
		txnJSON("tx-1", map[string]any{"card": pan}),
		map[string]any{"transactions": []any{txnJSON("tx-2", map[string]any{"card": pan, "device_id": pan})}},
		`{"id": "` + pan + `", "card": "` + pan + `"`,
		txnJSON("tx-3", map[string]any{pan: pan}),
	} {
		for _, path := range []string{"/v1/score", "/v1/score/batch"} {
			r := f.do("POST", path, "scorer", body)
			if strings.Contains(string(r.body), pan) {
				t.Errorf("%s echoed the card number: %s", path, r.body)
			}
		}
	}
	if strings.Contains(f.logs.String(), pan) {
		t.Error("the card number reached the log")
	}
	if c := f.counts(); c.decisions != 0 || c.entities != 0 {
		t.Errorf("refused transactions were stored: %+v", c)
	}
}

func TestScoreBatch(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-0", nil)), http.StatusOK)
	body := map[string]any{"transactions": []any{
		txnJSON("tx-1", nil),
		txnJSON("tx-2", map[string]any{"amount": -1, "colour": "red"}),
		txnJSON("tx-0", nil), // a repeat of a scored one
		7,
		txnJSON("tx-0", map[string]any{"amount": 99.0}), // same id, other content
	}}
	r := must(t, f.do("POST", "/v1/score/batch", "scorer", body), http.StatusOK)
	var got struct {
		Results []struct {
			Index      int             `json:"index"`
			DecisionID string          `json:"decision_id"`
			Replayed   bool            `json:"replayed"`
			Error      *errorDetail    `json:"error"`
			Reasons    json.RawMessage `json:"reasons"`
		} `json:"results"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil || len(got.Results) != 5 {
		t.Fatalf("%v: %s", err, r.body)
	}
	for i, res := range got.Results {
		if res.Index != i {
			t.Errorf("result %d has index %d", i, res.Index)
		}
	}
	if got.Results[0].DecisionID == "" || got.Results[0].Error != nil || got.Results[0].Replayed {
		t.Errorf("item 0: %+v", got.Results[0])
	}
	if e := got.Results[1].Error; e == nil || e.Code != codeInvalid || len(e.Fields) != 2 ||
		e.Fields[0].Path != "transactions[1].colour" || e.Fields[1].Path != "transactions[1].amount" {
		t.Errorf("item 1: %+v", got.Results[1].Error)
	}
	if !got.Results[2].Replayed || got.Results[2].DecisionID == "" {
		t.Errorf("item 2 must be the stored decision, replayed: %+v", got.Results[2])
	}
	if e := got.Results[3].Error; e == nil || e.Code != codeMalformed {
		t.Errorf("item 3: %+v", got.Results[3].Error)
	}
	if e := got.Results[4].Error; e == nil || e.Code != codeConflict {
		t.Errorf("item 4: %+v", got.Results[4].Error)
	}
	if c := f.counts(); c.decisions != 2 {
		t.Errorf("%d decisions stored, want 2", c.decisions)
	}

	var many []any
	for i := range MaxBatch + 1 {
		many = append(many, txnJSON(fmt.Sprintf("tx-many-%d", i), nil))
	}
	before := f.counts()
	big := f.do("POST", "/v1/score/batch", "scorer", map[string]any{"transactions": many})
	if big.status != http.StatusRequestEntityTooLarge && (big.status != 422 || big.fields(t)[0].Path != "transactions") {
		t.Errorf("a batch of %d: %d %s", MaxBatch+1, big.status, big.body)
	}
	for _, bad := range []any{`{}`, `{"transactions": []}`, `{"transactions": 3}`, `{"transactions": [], "x": 1}`} {
		r := f.do("POST", "/v1/score/batch", "scorer", bad)
		if r.status != 422 && r.status != 400 {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
		r.errorCode(t)
	}
	if after := f.counts(); after != before {
		t.Errorf("refused batches changed the store: %+v -> %+v", before, after)
	}
}

func TestDecisionListing(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for i, c := range []string{"c-1", "c-1", "c-2"} {
		must(t, f.do("POST", "/v1/score", "scorer", txnJSON(fmt.Sprintf("tx-%d", i), map[string]any{"customer_id": c})), http.StatusOK)
	}
	list := func(q string) map[string]any {
		return must(t, f.do("GET", "/v1/decisions"+q, "analyst", nil), http.StatusOK).json(t)
	}
	if n := len(list("")["items"].([]any)); n != 3 {
		t.Errorf("%d decisions, want 3", n)
	}
	if n := len(list("?customer_id=c-1")["items"].([]any)); n != 2 {
		t.Errorf("customer c-1 (raw id): %d decisions, want 2", n)
	}
	if n := len(list("?customer_id=" + f.pseudo.Pseudonym("c-1"))["items"].([]any)); n != 0 {
		t.Errorf("a pseudonym given as the id must not match (it is pseudonymised again): %d", n)
	}
	page1 := list("?limit=2")
	if len(page1["items"].([]any)) != 2 || page1["next_cursor"] == "" {
		t.Fatalf("page 1: %v", page1)
	}
	page2 := list("?limit=2&cursor=" + page1["next_cursor"].(string))
	if len(page2["items"].([]any)) != 1 || page2["next_cursor"] != "" {
		t.Errorf("page 2: %v", page2)
	}
	if n := len(list("?from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z")["items"].([]any)); n != 0 {
		t.Errorf("a period with no decision listed %d", n)
	}
	for q, path := range map[string]string{"?outcome=maybe": "outcome", "?limit=0": "limit", "?limit=1001": "limit",
		"?from=yesterday": "from", "?cursor=bogus": "cursor", "?customer=c-1": "customer"} {
		r := must(t, f.do("GET", "/v1/decisions"+q, "analyst", nil), http.StatusUnprocessableEntity)
		if fs := r.fields(t); len(fs) != 1 || fs[0].Path != path {
			t.Errorf("%s: fields %+v, want %s", q, fs, path)
		}
	}
}

func TestExplainReproducesTheDecision(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	d := must(t, f.do("POST", "/v1/score", "scorer", txnJSON("tx-1", nil)), http.StatusOK).json(t)
	e := must(t, f.do("GET", "/v1/decisions/"+d["decision_id"].(string)+"/explain", "analyst", nil), http.StatusOK).json(t)
	if e["matches"] != true || e["score"] != d["score"] {
		t.Fatalf("explain: %v", e)
	}
	must(t, f.do("GET", "/v1/decisions/dec_nope/explain", "analyst", nil), http.StatusNotFound)
}

// stateOf returns how many fraud labels terminal id holds in the feature state.
func (f *fixture) terminalFrauds(id string) int {
	f.state.RLock()
	defer f.state.RUnlock()
	if term := f.state.Terminal(id); term != nil {
		return term.Frauds()
	}
	return 0
}
