package rules

import (
	"errors"
	"math"
	"sync"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// Input is what the rules of a set see of one transaction.
type Input struct {
	// Transaction is txn, validated (fraud.Transaction.Validate): the static cost bounds
	// assume its fields' limits. Nil reads as a transaction with every field empty.
	Transaction *fraud.Transaction
	// Features are the feature values in the order of Options.FeatureNames (feature.Names()
	// by default). A missing feature is NaN, and every comparison with NaN is false. A rule
	// that reads a feature beyond the end of the slice does not match and reports an error.
	Features []float64
	// Score is the model's score in [0, 1]. NaN (no model answer) gives at least review.
	Score float64
	// Lists are the named lists; a declared list the caller does not give is empty.
	Lists *Lists
}

// RuleError is a rule whose evaluation failed: it did not match.
type RuleError struct {
	Rule string
	Err  error
}

// Error names the rule and the kind of failure only, so it is safe to log: CEL's own message
// can quote an input value (a string that is not a timestamp, a list entry used as a
// pattern). That message stays in Err, for a caller entitled to see it.
func (e RuleError) Error() string {
	var cancelled interpreter.EvalCancelledError
	if errors.As(e.Err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded {
		return "rule " + e.Rule + ": cost limit exceeded"
	}
	return "rule " + e.Rule + ": evaluation failed"
}

// Unwrap returns the cause.
func (e RuleError) Unwrap() error { return e.Err }

// Result is the rules' verdict on one transaction.
type Result struct {
	// Outcome is the decision: the score's, overridden by the rules (see the package doc).
	Outcome fraud.Outcome
	// ScoreOutcome is what the thresholds alone give.
	ScoreOutcome fraud.Outcome
	// Hits are the matching rules of every action, tags included, in file order.
	Hits []fraud.RuleHit
	// Tags are the names of the matching tag rules, in file order.
	Tags []string
	// Errors are the rules whose evaluation failed, in file order. They did not match.
	Errors []RuleError
}

// Reset empties r, keeping its slices' storage for reuse.
func (r *Result) Reset() {
	*r = Result{Hits: r.Hits[:0], Tags: r.Tags[:0], Errors: r.Errors[:0]}
}

// activation resolves the rules' variables from one Input without building a map. It is
// pooled: Evaluate borrows one per transaction.
type activation struct {
	txn      *fraud.Transaction
	features []float64
	score    float64
	scoreVal ref.Val // score boxed once, on first use
	lists    *Lists
}

var _ interpreter.Activation = (*activation)(nil)

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "txn":
		return (*txnView)(a), true
	case "features":
		return (*featuresView)(a), true
	case "lists":
		return (*listsView)(a), true
	case "score":
		if a.scoreVal == nil {
			a.scoreVal = types.Double(a.score)
		}
		return a.scoreVal, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }

var activations = sync.Pool{New: func() any { return new(activation) }}

// errNotBool is reported when a rule's result is not a bool, which type-checking should
// already have made impossible.
var errNotBool = errors.New("result is not a bool")

// Evaluate runs every rule of the set on in and decides. It never panics: a rule whose
// evaluation fails (a missing map key, the cost limit, a feature not computed) does not match
// and is listed in Result.Errors. Safe for concurrent use.
func (rs *RuleSet) Evaluate(in Input) Result {
	var r Result
	rs.EvaluateInto(in, &r)
	return r
}

// EvaluateInto is Evaluate writing into res, which it resets first. A caller that reuses one
// Result per goroutine avoids allocating its slices for every transaction.
func (rs *RuleSet) EvaluateInto(in Input, res *Result) {
	res.Reset()
	a := activations.Get().(*activation)
	*a = activation{txn: in.Transaction, features: in.Features, score: in.Score, lists: in.Lists}

	var decline, approve, review bool
	for i, prog := range rs.progs {
		rule := &rs.rules[i]
		out, _, err := prog.Eval(a)
		if err != nil {
			res.Errors = append(res.Errors, RuleError{Rule: rule.Name, Err: err})
			continue
		}
		matched, ok := out.(types.Bool)
		if !ok {
			res.Errors = append(res.Errors, RuleError{Rule: rule.Name, Err: errNotBool})
			continue
		}
		if !matched {
			continue
		}
		res.Hits = append(res.Hits, fraud.RuleHit{Rule: rule.Name, Action: string(rule.Action), Reason: rule.Reason})
		switch rule.Action {
		case ActionDecline:
			decline = true
		case ActionApprove:
			approve = true
		case ActionReview:
			review = true
		case ActionTag:
			res.Tags = append(res.Tags, rule.Name)
		}
	}
	*a = activation{}
	activations.Put(a)

	res.ScoreOutcome = rs.thresholds.outcome(in.Score)
	switch {
	case decline:
		res.Outcome = fraud.Decline
	case approve:
		res.Outcome = fraud.Approve
	case review && res.ScoreOutcome == fraud.Approve:
		res.Outcome = fraud.Review
	default:
		res.Outcome = res.ScoreOutcome
	}
}

// outcome maps a score to an outcome: decline from Decline, review from Review, approve
// below. A NaN score gives review, so that a transaction the model could not score is
// looked at rather than waved through.
func (t Thresholds) outcome(score float64) fraud.Outcome {
	switch {
	case math.IsNaN(score):
		return fraud.Review
	case score >= t.Decline:
		return fraud.Decline
	case score >= t.Review:
		return fraud.Review
	}
	return fraud.Approve
}
