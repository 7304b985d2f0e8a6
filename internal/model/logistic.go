package model

import (
	"context"
	"fmt"
	"math"
	"runtime"
)

// LogisticOptions are the settings of TrainLogistic; zero fields take defaults.
type LogisticOptions struct {
	// Lambda is the L2 penalty on the weights of the standardised inputs,
	// λ/2·‖w‖², added to the sum (not the mean) of row losses, so it matches
	// scikit-learn's LogisticRegression with C = 1/Lambda. The intercept is
	// not penalised. Default 1; it must be positive.
	Lambda float64 `json:"lambda"`
	// ScalePosWeight multiplies the weight of positive rows. Default 1.
	ScalePosWeight float64 `json:"scale_pos_weight"`
	// MaxIterations bounds the Newton steps. Default 100.
	MaxIterations int `json:"max_iterations"`
	// Tolerance stops the solver when every component of the gradient is
	// below Tolerance times the total row weight. Default 1e-10.
	Tolerance float64 `json:"tolerance"`
	// Workers is the number of goroutines; it never changes the model.
	// Default runtime.GOMAXPROCS(0).
	Workers int `json:"-"`
}

// WithDefaults returns o with every zero field replaced by its default.
func (o LogisticOptions) WithDefaults() LogisticOptions {
	if o.Lambda == 0 {
		o.Lambda = 1
	}
	if o.ScalePosWeight == 0 {
		o.ScalePosWeight = 1
	}
	if o.MaxIterations == 0 {
		o.MaxIterations = 100
	}
	if o.Tolerance == 0 {
		o.Tolerance = 1e-10
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Logistic is a logistic-regression model on standardised inputs:
// margin = intercept + Σ w_j·z_j with z_j = (x_j − mean_j)/std_j, where a
// missing (NaN) input counts as its training mean (z_j = 0) and z_j is
// clamped to ±1e6 (so ±Inf inputs give a finite margin). It is immutable and safe for concurrent
// use; Predict, Margin and Explain do not allocate.
type Logistic struct {
	names     []string
	mean, std []float64
	weights   []float64
	intercept float64
}

// FeatureNames returns the input names in the order Predict expects.
func (m *Logistic) FeatureNames() []string { return m.names }

// Predict returns the probability of fraud for x.
func (m *Logistic) Predict(x []float64) float64 { return sigmoid(m.Margin(x)) }

// maxStandardised bounds a standardised input, so that infinite or absurd
// values give an extreme but finite margin rather than ±Inf or NaN.
const maxStandardised = 1e6

// term returns feature j's term w_j·z_j of the margin for value v.
func (m *Logistic) term(j int, v float64) float64 {
	if v != v {
		return 0 // missing counts as the mean
	}
	z := (v - m.mean[j]) / m.std[j]
	z = min(max(z, -maxStandardised), maxStandardised) // also maps ±Inf
	return m.weights[j] * z
}

// Margin returns the log-odds of fraud for x.
func (m *Logistic) Margin(x []float64) float64 {
	x = x[:len(m.names)]
	margin := m.intercept
	for j, v := range x {
		margin += m.term(j, v)
	}
	return margin
}

// Explain writes w_j·(x_j − mean_j)/std_j into contrib[j] and returns
// Margin(x) and the intercept as the bias; the intercept plus the
// contributions, added in feature order, is the margin exactly.
func (m *Logistic) Explain(x, contrib []float64) (margin, bias float64) {
	x = x[:len(m.names)]
	contrib = contrib[:len(m.names)]
	margin = m.intercept
	for j, v := range x {
		contrib[j] = m.term(j, v)
		margin += contrib[j]
	}
	return margin, m.intercept
}

// TrainLogistic fits L2-regularised logistic regression to train by Newton's
// method with a backtracking line search. Inputs are standardised with the
// training mean and (population) standard deviation of each feature; a
// constant feature gets std 1. The solver is deterministic and its result
// does not depend on o.Workers. Errors wrap ErrInvalidData for bad input and
// ctx.Err() when ctx ends first.
func TrainLogistic(ctx context.Context, train *Dataset, o LogisticOptions) (*Logistic, error) {
	o = o.WithDefaults()
	if !(o.Lambda > 0) || math.IsInf(o.Lambda, 0) || !(o.ScalePosWeight > 0) || math.IsInf(o.ScalePosWeight, 0) ||
		o.MaxIterations < 1 || !(o.Tolerance > 0) {
		return nil, fmt.Errorf("%w: logistic options %+v", ErrInvalidData, o)
	}
	if err := train.Validate(); err != nil {
		return nil, fmt.Errorf("training set: %w", err)
	}
	nf := len(train.Names)
	m := &Logistic{
		names:   train.Names,
		mean:    make([]float64, nf),
		std:     make([]float64, nf),
		weights: make([]float64, nf),
	}
	standardisation(train, m.mean, m.std)
	s := &newton{d: train, m: m, o: o, dim: nf + 1}
	s.cw = make([]float64, train.Rows)
	var pos, all float64
	for i := range s.cw {
		s.cw[i] = train.weight(i)
		if train.Y[i] == 1 {
			s.cw[i] *= o.ScalePosWeight
			pos += s.cw[i]
		}
		all += s.cw[i]
	}
	if !(pos > 0 && pos < all) {
		return nil, fmt.Errorf("%w: training set needs weighted rows of both classes", ErrInvalidData)
	}
	m.intercept = logit(pos / all)
	if err := s.solve(ctx, all); err != nil {
		return nil, err
	}
	return m, nil
}

// standardisation sets the mean and population standard deviation of every
// feature over its non-missing values (0 and 1 when it has none, std 1 when
// it is constant).
func standardisation(d *Dataset, mean, std []float64) {
	nf := len(d.Names)
	for j := range nf {
		var n, sum float64
		for i := range d.Rows {
			if v := d.X[i*nf+j]; v == v {
				n++
				sum += v
			}
		}
		if n == 0 {
			mean[j], std[j] = 0, 1
			continue
		}
		mu := sum / n
		var ss float64
		for i := range d.Rows {
			if v := d.X[i*nf+j]; v == v {
				ss += (v - mu) * (v - mu)
			}
		}
		mean[j], std[j] = mu, math.Sqrt(ss/n)
		if !(std[j] > 0) || math.IsInf(std[j], 0) {
			std[j] = 1
		}
	}
}
