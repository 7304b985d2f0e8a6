package model

import (
	"fmt"
	"math"
	"runtime"
)

// Model is what the scoring pipeline needs from a trained model. *GBDT and
// *Logistic implement it. All methods are safe for concurrent use and do not
// allocate.
type Model interface {
	// FeatureNames returns the names of the inputs, in the order Predict
	// expects them. The caller must not modify the slice.
	FeatureNames() []string
	// Predict returns the probability of fraud for x, which must hold
	// len(FeatureNames()) values; NaN means missing. It panics if x is shorter.
	Predict(x []float64) float64
	// Margin returns the raw score (log-odds) of x; Predict is its sigmoid.
	Margin(x []float64) float64
	// Explain writes each feature's contribution to the margin of x into
	// contrib, which must have len(FeatureNames()) elements, and returns
	// Margin(x) exactly and the bias (the part of the margin that belongs to
	// no feature). bias + Σ contrib equals the margin up to floating-point
	// rounding. Scoring with reasons needs only this call:
	// the probability is sigmoid(margin), see Probability.
	Explain(x, contrib []float64) (margin, bias float64)
}

// Kind names a model family in model files.
type Kind string

// The model kinds.
const (
	KindGBDT     Kind = "gbdt"
	KindLogistic Kind = "logistic"
)

var (
	_ Model = (*GBDT)(nil)
	_ Model = (*Logistic)(nil)
)

// Probability converts a margin (log-odds) to a probability, as Predict does.
func Probability(margin float64) float64 { return sigmoid(margin) }

// sigmoid is the logistic function, computed without overflow for large |m|.
func sigmoid(m float64) float64 {
	if m >= 0 {
		return 1 / (1 + math.Exp(-m))
	}
	e := math.Exp(m)
	return e / (1 + e)
}

// logit is the inverse of sigmoid.
func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// PredictDataset returns m's probability for every row of d, computed on
// GOMAXPROCS goroutines. d's feature names must equal m's, in order; the
// error wraps ErrInvalidData otherwise.
func PredictDataset(m Model, d *Dataset) ([]float64, error) {
	if d == nil || !sameNames(m.FeatureNames(), d.Names) {
		return nil, fmt.Errorf("%w: dataset features differ from the model's", ErrInvalidData)
	}
	if d.Rows < 0 || len(d.X) != d.Rows*len(d.Names) {
		return nil, fmt.Errorf("%w: X has %d values, want rows*features = %d*%d", ErrInvalidData, len(d.X), d.Rows, len(d.Names))
	}
	out := make([]float64, d.Rows)
	parallelFor(chunks(d.Rows), runtime.GOMAXPROCS(0), func(c int) {
		lo, hi := chunkRange(c, d.Rows)
		for i := lo; i < hi; i++ {
			out[i] = m.Predict(d.Row(i))
		}
	})
	return out, nil
}
