package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// synthetic returns a reproducible fraud-like dataset: rows x nf standard
// normal features (feature 1 missing 5% of the time, feature 4 taking few
// distinct values) and labels drawn from a non-linear logistic model with a
// positive rate around 1-3%.
func synthetic(rows, nf int, seed uint64) *Dataset {
	if nf < 5 {
		panic("synthetic needs at least 5 features")
	}
	rng := rand.New(rand.NewPCG(seed, 42))
	d := &Dataset{Rows: rows, X: make([]float64, rows*nf), Y: make([]float64, rows)}
	for j := range nf {
		d.Names = append(d.Names, fmt.Sprintf("f%02d", j))
	}
	for i := range rows {
		x := d.X[i*nf : (i+1)*nf]
		for j := range x {
			x[j] = rng.NormFloat64()
		}
		x[4] = math.Floor(x[4] * 2) // few distinct values
		m := -5 + 1.5*x[0] + 1.2*x[2]*x[3] + 0.5*x[4]
		if x[1] > 1 {
			m += 2
		}
		if rng.Float64() < 0.05 {
			x[1] = math.NaN()
			m += 1
		}
		if rng.Float64() < sigmoid(m) {
			d.Y[i] = 1
		}
	}
	return d
}

// separable returns data whose label is exactly x0 > 0.3 || x1 < -1.
func separable(rows int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := &Dataset{Names: []string{"a", "b", "noise"}, Rows: rows, X: make([]float64, rows*3), Y: make([]float64, rows)}
	for i := range rows {
		a, b := rng.Float64()*2-1, rng.Float64()*4-2
		d.X[i*3], d.X[i*3+1], d.X[i*3+2] = a, b, rng.NormFloat64()
		if a > 0.3 || b < -1 {
			d.Y[i] = 1
		}
	}
	return d
}

// predictAll returns m's probabilities for every row of d.
func predictAll(t testing.TB, m Model, d *Dataset) []float64 {
	t.Helper()
	out := make([]float64, d.Rows)
	for i := range out {
		out[i] = m.Predict(d.Row(i))
	}
	return out
}
