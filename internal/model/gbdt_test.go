package model

import (
	"context"
	"errors"
	"math"
	"runtime"
	"testing"
)

func TestTrainGBDTSeparable(t *testing.T) {
	train, test := separable(4000, 1), separable(2000, 2)
	m, err := TrainGBDT(context.Background(), train, nil, GBDTOptions{MaxTrees: 60, MaxDepth: 3, LearningRate: 0.3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	auc, err := AUC(test.Labels(), predictAll(t, m, test))
	if err != nil {
		t.Fatal(err)
	}
	if auc < 0.999 {
		t.Errorf("AUC on separable data = %v, want ~1", auc)
	}
}

func TestPredictorMatchesTrainer(t *testing.T) {
	d := synthetic(5000, 6, 3)
	for _, o := range []GBDTOptions{
		{MaxTrees: 40},
		{MaxTrees: 40, Subsample: 0.7, ColSample: 0.5, MaxLeaves: 9, ScalePosWeight: 5, Seed: 9},
		{MaxTrees: 40, MaxDepth: 3, Gamma: 0.5, Lambda: 3, MinChildWeight: 5, MaxBins: 16},
		{MaxTrees: 40, MaxBins: 4096, Subsample: 0.8, Seed: 3}, // bin indices above 255
	} {
		m, margins, err := trainGBDT(context.Background(), d, nil, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m.NumTrees() != 40 {
			t.Fatalf("NumTrees = %d, want 40", m.NumTrees())
		}
		for i := range d.Rows {
			if got := m.Margin(d.Row(i)); got != margins[i] {
				t.Fatalf("%+v: row %d: predictor margin %v, trainer margin %v", o, i, got, margins[i])
			}
		}
	}
}

func TestTrainGBDTDeterministic(t *testing.T) {
	// Large enough that histograms and split searches run in parallel.
	d := synthetic(16000, 10, 5)
	v := synthetic(4000, 10, 6)
	for _, bins := range []int{255, 0} { // the former limit and the default
		o := GBDTOptions{MaxTrees: 15, Subsample: 0.8, ColSample: 0.7, Seed: 11, EarlyStoppingMetric: MetricAUC, MaxBins: bins}
		checkDeterministic(t, d, v, o)
	}
}

// checkDeterministic trains with o under several GOMAXPROCS and worker counts
// and fails unless every model is bit-identical.
func checkDeterministic(t *testing.T, d, v *Dataset, o GBDTOptions) {
	t.Helper()
	train := func(procs, workers int) []treeSpec {
		t.Helper()
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		o := o
		o.Workers = workers
		m, err := TrainGBDT(context.Background(), d, v, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m.specs()
	}
	want := train(2, 2)
	for _, c := range []struct{ procs, workers int }{{2, 2}, {1, 1}, {2, 1}} {
		if got := train(c.procs, c.workers); !sameSpecs(got, want) {
			t.Errorf("MaxBins %d, GOMAXPROCS %d, %d workers: model differs from the first run", o.MaxBins, c.procs, c.workers)
		}
	}
}

// sameSpecs compares trees bit for bit.
func sameSpecs(a, b []treeSpec) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		x, y := a[k], b[k]
		if len(x.Left) != len(y.Left) {
			return false
		}
		for i := range x.Left {
			if x.Feature[i] != y.Feature[i] || x.Left[i] != y.Left[i] || x.Right[i] != y.Right[i] ||
				x.MissingLeft[i] != y.MissingLeft[i] ||
				math.Float64bits(x.Threshold[i]) != math.Float64bits(y.Threshold[i]) ||
				math.Float64bits(x.Value[i]) != math.Float64bits(y.Value[i]) ||
				math.Float64bits(x.Cover[i]) != math.Float64bits(y.Cover[i]) {
				return false
			}
		}
	}
	return true
}

func TestTrainGBDTEarlyStopping(t *testing.T) {
	// Pure noise labels: validation loss stops improving almost at once.
	d, v := synthetic(4000, 5, 7), synthetic(4000, 5, 8)
	for i := range d.Y {
		d.Y[i] = float64(i % 2)
		v.Y[i] = float64((i / 2) % 2)
	}
	for _, metric := range []Metric{MetricLogLoss, MetricAUC} {
		var last Progress
		calls := 0
		m, err := TrainGBDT(context.Background(), d, v,
			GBDTOptions{MaxTrees: 300, EarlyStoppingRounds: 5, EarlyStoppingMetric: metric},
			func(p Progress) { last = p; calls++ })
		if err != nil {
			t.Fatal(err)
		}
		if !last.Stopped || calls >= 300 {
			t.Fatalf("%s: did not stop early: %d rounds, last %+v", metric, calls, last)
		}
		if calls != last.BestIteration+5 {
			t.Errorf("%s: stopped after %d rounds, want best %d + patience 5", metric, calls, last.BestIteration)
		}
		if m.NumTrees() != last.BestIteration {
			t.Errorf("%s: kept %d trees, want best iteration %d", metric, m.NumTrees(), last.BestIteration)
		}
	}
}

func TestTrainGBDTProgress(t *testing.T) {
	d, v := synthetic(3000, 5, 1), synthetic(3000, 5, 2)
	var got []Progress
	_, err := TrainGBDT(context.Background(), d, v, GBDTOptions{MaxTrees: 5, EarlyStoppingRounds: -1}, func(p Progress) { got = append(got, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("%d progress reports, want 5", len(got))
	}
	for i, p := range got {
		if p.Iteration != i+1 || p.MaxIterations != 5 || math.IsNaN(p.TrainLoss) || math.IsNaN(p.ValidLoss) || !math.IsNaN(p.ValidAUC) {
			t.Errorf("report %d = %+v", i, p)
		}
		if i > 0 && p.TrainLoss >= got[i-1].TrainLoss {
			t.Errorf("train loss did not fall: %v then %v", got[i-1].TrainLoss, p.TrainLoss)
		}
	}
}

func TestTrainGBDTCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := TrainGBDT(ctx, synthetic(1000, 5, 1), nil, GBDTOptions{}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestTrainGBDTRefusesBadInput(t *testing.T) {
	good := func() *Dataset { return synthetic(200, 5, 1) }
	tests := []struct {
		name  string
		train func() *Dataset
		valid *Dataset
		o     GBDTOptions
	}{
		{"nil", func() *Dataset { return nil }, nil, GBDTOptions{}},
		{"no rows", func() *Dataset { d := good(); d.Rows, d.X, d.Y = 0, nil, nil; return d }, nil, GBDTOptions{}},
		{"short X", func() *Dataset { d := good(); d.X = d.X[1:]; return d }, nil, GBDTOptions{}},
		{"label 2", func() *Dataset { d := good(); d.Y[3] = 2; return d }, nil, GBDTOptions{}},
		{"infinite value", func() *Dataset { d := good(); d.X[7] = math.Inf(1); return d }, nil, GBDTOptions{}},
		{"negative weight", func() *Dataset { d := good(); d.W = make([]float64, d.Rows); d.W[0] = -1; return d }, nil, GBDTOptions{}},
		{"duplicate name", func() *Dataset { d := good(); d.Names[1] = d.Names[0]; return d }, nil, GBDTOptions{}},
		{"one class", func() *Dataset { d := good(); clear(d.Y); return d }, nil, GBDTOptions{}},
		{"valid names differ", good, &Dataset{Names: []string{"x"}, Rows: 1, X: []float64{1}, Y: []float64{1}}, GBDTOptions{}},
		{"max bins", good, nil, GBDTOptions{MaxBins: MaxBinsLimit + 1}},
		{"one bin", good, nil, GBDTOptions{MaxBins: 1}},
		{"subsample", good, nil, GBDTOptions{Subsample: 1.5}},
		{"lambda", good, nil, GBDTOptions{Lambda: -1}},
		{"metric", good, nil, GBDTOptions{EarlyStoppingMetric: "f1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := TrainGBDT(context.Background(), tt.train(), tt.valid, tt.o, nil)
			if !errors.Is(err, ErrInvalidData) {
				t.Fatalf("err = %v, want ErrInvalidData", err)
			}
		})
	}
}

func TestTrainGBDTMissingValues(t *testing.T) {
	// The label is exactly "feature is missing": only the missing-vs-values
	// split can learn it. MinChildWeight 1: the default 5 rightly stops
	// refining the 80 positives' leaf once its hessian sum is that small.
	d := &Dataset{Names: []string{"x"}, Rows: 400, X: make([]float64, 400), Y: make([]float64, 400)}
	for i := range d.Rows {
		d.X[i] = float64(i % 17)
		if i%5 == 0 {
			d.X[i], d.Y[i] = math.NaN(), 1
		}
	}
	m, err := TrainGBDT(context.Background(), d, nil, GBDTOptions{MaxTrees: 30, MaxDepth: 1, LearningRate: 0.5, MinChildWeight: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Predict([]float64{math.NaN()}); p < 0.95 {
		t.Errorf("P(missing) = %v, want ~1", p)
	}
	for _, v := range []float64{0, 16, 1e9, -1e9} {
		if p := m.Predict([]float64{v}); p > 0.05 {
			t.Errorf("P(%v) = %v, want ~0", v, p)
		}
	}
}

func TestTrainGBDTRowWeights(t *testing.T) {
	// Weight 2 on a row is the same as the row twice.
	d := synthetic(3000, 5, 12)
	twice := &Dataset{Names: d.Names, Rows: 2 * d.Rows}
	d.W = make([]float64, d.Rows)
	for i := range d.Rows {
		d.W[i] = 2
		twice.X = append(twice.X, d.Row(i)...)
		twice.X = append(twice.X, d.Row(i)...)
		twice.Y = append(twice.Y, d.Y[i], d.Y[i])
	}
	o := GBDTOptions{MaxTrees: 10, MaxDepth: 4}
	a, err := TrainGBDT(context.Background(), d, nil, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := TrainGBDT(context.Background(), twice, nil, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.Rows {
		if x, y := a.Margin(d.Row(i)), b.Margin(d.Row(i)); math.Abs(x-y) > 1e-9 {
			t.Fatalf("row %d: weighted margin %v, duplicated %v", i, x, y)
		}
	}
}
