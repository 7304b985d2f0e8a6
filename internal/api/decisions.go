package api

import (
	"errors"
	"net/http"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/score"
)

func errorIsInvalid(err error) bool { return errors.Is(err, fraud.ErrInvalid) }

// listDecisions lists decisions, newest first. customer_id is the raw id: it is
// pseudonymised before the query, as it was when the transactions were scored.
func (s *Server) listDecisions(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "outcome", "from", "to", "customer_id", "limit", "cursor")
	f := fraud.DecisionFilter{Outcome: fraud.Outcome(q.str("outcome")), From: q.time("from"), To: q.time("to"),
		Limit: q.limit(), Cursor: q.str("cursor")}
	if f.Outcome != "" && f.Outcome.Severity() < 0 {
		q.errs.Add("outcome", "must be approve, review or decline")
	}
	if c := q.identifier("customer_id"); c != "" {
		f.CustomerID = s.o.Pseudonymizer.Pseudonym(c)
	}
	if err := q.err(); err != nil {
		return err
	}
	p, err := s.o.Store.Decisions(r.Context(), f)
	if err != nil {
		return cursorError(err, f.Cursor)
	}
	out := page[decisionJSON]{Items: make([]decisionJSON, len(p.Items)), NextCursor: p.Next}
	for i := range p.Items {
		out.Items[i] = newDecisionJSON(&p.Items[i])
	}
	return writeJSON(w, http.StatusOK, out)
}

// getDecision returns one stored decision.
func (s *Server) getDecision(w http.ResponseWriter, r *http.Request) error {
	d, err := s.o.Store.Decision(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newDecisionJSON(d))
}

type explanationJSON struct {
	Stored     decisionJSON    `json:"stored"`
	Score      float64         `json:"score"`
	Outcome    fraud.Outcome   `json:"outcome"`
	Reasons    []fraud.Reason  `json:"reasons"`
	RuleHits   []fraud.RuleHit `json:"rule_hits"`
	ScoreMatch bool            `json:"score_matches"`
	RulesMatch bool            `json:"rules_match"`
	Match      bool            `json:"matches"`
	Notes      []string        `json:"notes"`
}

// explain recomputes a stored decision from its stored inputs and versions.
func (s *Server) explain(w http.ResponseWriter, r *http.Request) error {
	var models score.ModelSource
	if s.o.Models != nil {
		models = s.o.Models
	}
	e, err := s.o.Pipeline.Explain(r.Context(), r.PathValue("id"), models)
	if err != nil {
		if errors.Is(err, model.ErrInvalidModel) {
			// The decision's model no longer fits the engine: nothing wrong with the request.
			return &httpError{status: http.StatusConflict, code: codeConflict,
				message: "the decision's model cannot be loaded by this build"}
		}
		return err
	}
	re := newScoreResult(score.Result{Decision: &fraud.Decision{Score: e.Score, Reasons: e.Reasons, RuleHits: e.RuleHits}})
	out := explanationJSON{Stored: newDecisionJSON(e.Stored), Score: re.Score, Outcome: e.Outcome, Reasons: re.Reasons,
		RuleHits: re.RuleHits, ScoreMatch: e.ScoreMatch, RulesMatch: e.RulesMatch, Match: e.Match, Notes: e.Notes}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	return writeJSON(w, http.StatusOK, out)
}

func errorIsConflict(err error) bool { return errors.Is(err, fraud.ErrConflict) }
