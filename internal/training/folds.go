package training

import (
	"context"
	"fmt"
	"math"

	"github.com/vigil-fraud/vigil/internal/model"
)

// Fold is one fold of an evaluation: its model (trained or given) and its result.
type Fold struct {
	Model  *model.File
	Result *Result
}

// FoldsOptions configure Folds.
type FoldsOptions struct {
	// First is the first fold's period; fold k is First shifted by k weeks.
	First Period
	Folds int
	// Model, when set, is evaluated on every fold; otherwise each fold trains its own with
	// Train.
	Model *model.File
	Train Options
	// OnFold, when set, is called after each fold.
	OnFold func(k int, f Fold)
}

// Folds runs the handbook's model-selection protocol: for each of o.Folds consecutive weeks,
// train on the training period (unless a model is given) and evaluate on the test period.
func Folds(ctx context.Context, t *Table, o FoldsOptions) ([]Fold, error) {
	if o.Folds < 1 {
		return nil, fmt.Errorf("need at least one fold, got %d", o.Folds)
	}
	out := make([]Fold, 0, o.Folds)
	for k := range o.Folds {
		p := o.First.Shift(k)
		m := o.Model
		if m == nil {
			var err error
			if m, err = Train(ctx, t, p, o.Train); err != nil {
				return nil, fmt.Errorf("fold %d: %w", k+1, err)
			}
		}
		r, err := Evaluate(ctx, t, p, m)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", k+1, err)
		}
		f := Fold{Model: m, Result: r}
		out = append(out, f)
		if o.OnFold != nil {
			o.OnFold(k, f)
		}
	}
	return out, nil
}

// Summary returns the mean and the sample standard deviation (n-1, as pandas reports it)
// of the folds' metrics. With one fold the deviation is 0.
func Summary(folds []Fold) (mean, std Metrics) {
	n := float64(len(folds))
	if n == 0 {
		return
	}
	get := func(f func(Metrics) float64) (float64, float64) {
		var s float64
		for _, fd := range folds {
			s += f(fd.Result.Metrics)
		}
		mu := s / n
		if n < 2 {
			return mu, 0
		}
		var ss float64
		for _, fd := range folds {
			d := f(fd.Result.Metrics) - mu
			ss += d * d
		}
		return mu, math.Sqrt(ss / (n - 1))
	}
	mean.AUCROC, std.AUCROC = get(func(m Metrics) float64 { return m.AUCROC })
	mean.AveragePrecision, std.AveragePrecision = get(func(m Metrics) float64 { return m.AveragePrecision })
	mean.CardPrecisionAt100, std.CardPrecisionAt100 = get(func(m Metrics) float64 { return m.CardPrecisionAt100 })
	for _, fd := range folds {
		mean.Transactions += fd.Result.Metrics.Transactions
		mean.Frauds += fd.Result.Metrics.Frauds
	}
	mean.Transactions /= len(folds)
	mean.Frauds /= len(folds)
	return mean, std
}
