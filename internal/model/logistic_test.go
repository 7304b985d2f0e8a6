package model

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// logisticData draws rows from a known logistic model on raw inputs:
// margin = -3 + 0.8·x0 − 0.5·x1 + 0·x2, x0 ~ N(2, 3²), x1 ~ N(-1, 0.5²), x2 ~ N(0, 1).
func logisticData(rows int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 3))
	d := &Dataset{Names: []string{"x0", "x1", "x2"}, Rows: rows, X: make([]float64, rows*3), Y: make([]float64, rows)}
	for i := range rows {
		x0, x1, x2 := 2+3*rng.NormFloat64(), -1+0.5*rng.NormFloat64(), rng.NormFloat64()
		d.X[i*3], d.X[i*3+1], d.X[i*3+2] = x0, x1, x2
		if rng.Float64() < sigmoid(-3+0.8*x0-0.5*x1) {
			d.Y[i] = 1
		}
	}
	return d
}

func TestTrainLogisticRecoversKnownModel(t *testing.T) {
	d := logisticData(200_000, 1)
	m, err := TrainLogistic(context.Background(), d, LogisticOptions{Lambda: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	// Back to raw-input coefficients: w_j/std_j, intercept − Σ w_j·mean_j/std_j.
	raw := make([]float64, 3)
	b := m.intercept
	for j := range raw {
		raw[j] = m.weights[j] / m.std[j]
		b -= raw[j] * m.mean[j]
	}
	want := []float64{0.8, -0.5, 0}
	for j := range raw {
		if math.Abs(raw[j]-want[j]) > 0.05 {
			t.Errorf("coefficient %d = %v, want %v ± 0.05", j, raw[j], want[j])
		}
	}
	if math.Abs(b+3) > 0.1 {
		t.Errorf("intercept = %v, want -3 ± 0.1", b)
	}
}

func TestTrainLogisticOptimality(t *testing.T) {
	d := synthetic(5000, 6, 2)
	d.W = make([]float64, d.Rows)
	for i := range d.W {
		d.W[i] = float64(1 + i%3)
	}
	o := LogisticOptions{Lambda: 2, ScalePosWeight: 3}
	m, err := TrainLogistic(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	// At the optimum the gradient of the penalised objective vanishes.
	s := &newton{d: d, m: m, o: o.WithDefaults(), dim: 7, cw: make([]float64, d.Rows)}
	for i := range s.cw {
		s.cw[i] = d.W[i]
		if d.Y[i] == 1 {
			s.cw[i] *= 3
		}
	}
	theta := append([]float64{m.intercept}, m.weights...)
	_, g, _ := s.eval(theta, true)
	if maxAbs(g) > 1e-6 {
		t.Errorf("gradient at the solution = %v, want ~0", g)
	}
}

func TestTrainLogisticDeterministicAndMissing(t *testing.T) {
	d := synthetic(40_000, 6, 4)
	a, err := TrainLogistic(context.Background(), d, LogisticOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := TrainLogistic(context.Background(), d, LogisticOptions{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	for j := range a.weights {
		if math.Float64bits(a.weights[j]) != math.Float64bits(b.weights[j]) {
			t.Fatalf("weight %d differs between 1 and 3 workers: %v, %v", j, a.weights[j], b.weights[j])
		}
	}
	// A missing input counts as its training mean.
	x := []float64{0, math.NaN(), 0, 0, 0, 0}
	y := []float64{0, a.mean[1], 0, 0, 0, 0}
	if a.Margin(x) != a.Margin(y) {
		t.Errorf("Margin with NaN = %v, with the mean = %v", a.Margin(x), a.Margin(y))
	}
	contrib := make([]float64, 6)
	margin, sum := a.Explain(x, contrib)
	for _, c := range contrib {
		sum += c
	}
	if sum != a.Margin(x) || margin != a.Margin(x) {
		t.Errorf("intercept + contributions = %v, Explain margin %v, Margin = %v", sum, margin, a.Margin(x))
	}
}

func TestTrainLogisticRefusesBadInput(t *testing.T) {
	d := synthetic(100, 5, 1)
	if _, err := TrainLogistic(context.Background(), d, LogisticOptions{Lambda: -1}); !errors.Is(err, ErrInvalidData) {
		t.Errorf("negative lambda: err = %v", err)
	}
	clear(d.Y)
	if _, err := TrainLogistic(context.Background(), d, LogisticOptions{}); !errors.Is(err, ErrInvalidData) {
		t.Errorf("one class: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TrainLogistic(ctx, synthetic(100, 5, 1), LogisticOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v", err)
	}
}
