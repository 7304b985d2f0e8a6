package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/score"
)

// scoreResult is the answer to a scored transaction.
type scoreResult struct {
	Decision      fraud.Outcome   `json:"decision"`
	Score         float64         `json:"score"`
	Reasons       []fraud.Reason  `json:"reasons"`
	RuleHits      []fraud.RuleHit `json:"rule_hits"`
	ModelVersion  string          `json:"model_version"`
	RulesVersion  string          `json:"rules_version"`
	DecisionID    string          `json:"decision_id"`
	TransactionID string          `json:"transaction_id"`
	LatencyMicros int64           `json:"latency_us"`
	Replayed      bool            `json:"replayed"`
}

func newScoreResult(res score.Result) scoreResult {
	d := res.Decision
	out := scoreResult{Decision: d.Outcome, Score: finite(d.Score), Reasons: make([]fraud.Reason, len(d.Reasons)),
		RuleHits: d.RuleHits, ModelVersion: d.ModelVersion, RulesVersion: d.RulesVersion, DecisionID: d.ID,
		TransactionID: d.TransactionID, LatencyMicros: d.LatencyMicros, Replayed: res.Replayed}
	for i, r := range d.Reasons {
		r.Value, r.Contribution = finite(r.Value), finite(r.Contribution)
		out.Reasons[i] = r
	}
	if out.RuleHits == nil {
		out.RuleHits = []fraud.RuleHit{}
	}
	return out
}

// score decides on one transaction. A repeat of a scored id is answered with the stored
// decision (replayed: true); a repeat with other content is 409.
func (s *Server) score(w http.ResponseWriter, r *http.Request) error {
	body, _, err := readBody(r, "application/json")
	if err != nil {
		return err
	}
	t, err := fraud.DecodeTransaction(body)
	if err != nil {
		return err
	}
	res, err := s.o.Pipeline.Score(r.Context(), &t)
	if err != nil {
		return scoreError(err)
	}
	s.o.Metrics.ObserveDecision(string(res.Decision.Outcome), res.Decision.Score, res.Replayed)
	out := newScoreResult(res)
	return writeScoreResult(w, &out)
}

// scoreError gives the pipeline's conflict its meaning for a client.
func scoreError(err error) error {
	if errors.Is(err, fraud.ErrConflict) {
		return &httpError{status: http.StatusConflict, code: codeConflict,
			message: "this transaction id was already scored with other content"}
	}
	return err
}

type batchRequest struct {
	Transactions []json.RawMessage `json:"transactions"`
}

// batchItem is one result of a batch: a decision or an error, with the item's index.
type batchItem struct {
	Index int `json:"index"`
	*scoreResult
	Error *errorDetail `json:"error,omitempty"`
}

type batchResponse struct {
	Results []batchItem `json:"results"`
}

// scoreBatch scores up to MaxBatch transactions together (score.Pipeline.ScoreBatch). Each
// item succeeds or fails alone; an invalid item does not fail the batch.
func (s *Server) scoreBatch(w http.ResponseWriter, r *http.Request) error {
	var req batchRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	switch {
	case req.Transactions == nil:
		return invalid("transactions", "required")
	case len(req.Transactions) == 0:
		return invalid("transactions", "at least one transaction")
	case len(req.Transactions) > MaxBatch:
		return invalid("transactions", fmt.Sprintf("at most %d transactions", MaxBatch))
	}
	out := batchResponse{Results: make([]batchItem, len(req.Transactions))}
	valid := make([]*fraud.Transaction, 0, len(req.Transactions))
	at := make([]int, 0, len(req.Transactions))
	for i, raw := range req.Transactions {
		out.Results[i].Index = i
		t, err := fraud.DecodeTransaction(raw)
		if err != nil {
			out.Results[i].Error = s.itemError(r, itemPaths(err, i))
			continue
		}
		valid = append(valid, &t)
		at = append(at, i)
	}
	if len(valid) > 0 {
		for k, item := range s.o.Pipeline.ScoreBatch(r.Context(), valid) {
			i := at[k]
			if item.Err != nil {
				out.Results[i].Error = s.itemError(r, scoreError(itemPaths(item.Err, i)))
				continue
			}
			res := newScoreResult(item.Result)
			out.Results[i].scoreResult = &res
			s.o.Metrics.ObserveDecision(string(item.Decision.Outcome), item.Decision.Score, item.Replayed)
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// itemPaths puts a batch item's field errors under its path in the request
// (transactions[i].amount); other errors pass unchanged.
func itemPaths(err error, i int) error {
	var verr *fraud.ValidationError
	if errors.As(err, &verr) {
		return verr.Prefixed(fmt.Sprintf("transactions[%d].", i))
	}
	return err
}

// decisionJSON is a stored decision as the API shows it: features by name, null when
// unknown.
type decisionJSON struct {
	ID            string              `json:"decision_id"`
	TransactionID string              `json:"transaction_id"`
	Outcome       fraud.Outcome       `json:"decision"`
	Score         float64             `json:"score"`
	Reasons       []fraud.Reason      `json:"reasons"`
	RuleHits      []fraud.RuleHit     `json:"rule_hits"`
	ModelVersion  string              `json:"model_version"`
	RulesVersion  string              `json:"rules_version"`
	Features      map[string]*float64 `json:"features"`
	CreatedAt     time.Time           `json:"created_at"`
	LatencyMicros int64               `json:"latency_us"`
}

func newDecisionJSON(d *fraud.Decision) decisionJSON {
	res := newScoreResult(score.Result{Decision: d})
	out := decisionJSON{ID: d.ID, TransactionID: d.TransactionID, Outcome: d.Outcome, Score: res.Score,
		Reasons: res.Reasons, RuleHits: res.RuleHits, ModelVersion: d.ModelVersion, RulesVersion: d.RulesVersion,
		Features: make(map[string]*float64, len(d.FeatureNames)), CreatedAt: d.CreatedAt, LatencyMicros: d.LatencyMicros}
	for i, name := range d.FeatureNames {
		if i < len(d.Features) {
			out.Features[name] = nullable(d.Features[i])
		}
	}
	return out
}
