package model

import (
	"context"
	"math"
	"testing"
)

func TestQuantileCutsBounds(t *testing.T) {
	vals := func(n, distinct int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64((i * 7919) % distinct)
		}
		return v
	}
	tests := []struct {
		name              string
		n, distinct, bins int
		wantCuts          int
	}{
		{"few distinct, few bins", 1000, 10, 255, 9},
		{"distinct above 255, 255 bins", 20000, 2000, 255, 254},
		{"distinct below 4096 bins: one bin each", 20000, 2000, 4096, 1999},
		{"distinct above 4096 bins", 200000, 50000, 4096, 4095},
		{"the limit", 200000, 100000, MaxBinsLimit, MaxBinsLimit - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cuts := quantileCuts(vals(tt.n, tt.distinct), tt.bins)
			if len(cuts) != tt.wantCuts {
				t.Fatalf("%d cuts, want %d", len(cuts), tt.wantCuts)
			}
			for k := 1; k < len(cuts); k++ {
				if !(cuts[k-1] < cuts[k]) {
					t.Fatalf("cuts[%d] = %v not above cuts[%d] = %v", k, cuts[k], k-1, cuts[k-1])
				}
			}
		})
	}
}

func TestBinnerAboveUint8(t *testing.T) {
	// 3000 distinct values and 4096 bins: bin indices run past 255 and each
	// must still satisfy the routing rule cuts[b-2] <= v < cuts[b-1].
	const n = 3000
	d := &Dataset{Names: []string{"x"}, Rows: n + 1, X: make([]float64, n+1), Y: make([]float64, n+1)}
	for i := range n {
		d.X[i] = float64(i) / 3
	}
	d.X[n] = math.NaN()
	b := fitBinner(d, 4096, 1, 1)
	if got := b.numBins(0); got != n+1 {
		t.Fatalf("numBins = %d, want %d (one per value and the missing bin)", got, n+1)
	}
	bins := b.transform(d, 2)
	if bins[n] != 0 {
		t.Errorf("NaN in bin %d, want 0", bins[n])
	}
	cuts := b.cuts[0]
	for i := range n {
		v, bin := d.X[i], int(bins[i])
		if bin != i+1 {
			t.Fatalf("value %v in bin %d, want %d", v, bin, i+1)
		}
		if bin >= 2 && !(cuts[bin-2] <= v) || bin-1 < len(cuts) && !(v < cuts[bin-1]) {
			t.Fatalf("value %v in bin %d breaks cuts[b-2] <= v < cuts[b-1]", v, bin)
		}
	}
}

// tailData returns rows whose label is exactly x >= 1990, where x takes the
// 2000 values 0..1999 ten times each: the decisive split lies in the top 0.5%
// of values. Every 97th row is missing x (label 0).
func tailData() *Dataset {
	const n = 20000
	d := &Dataset{Names: []string{"x"}, Rows: n, X: make([]float64, n), Y: make([]float64, n)}
	for i := range n {
		x := float64((i * 7919) % 2000)
		if i%97 == 0 {
			x = math.NaN()
		}
		d.X[i] = x
		if x >= 1990 {
			d.Y[i] = 1
		}
	}
	return d
}

func TestTrainGBDTSplitsTailExactly(t *testing.T) {
	// MinChildWeight is tiny because the 100 positive rows' hessians sum to
	// about 0.5, below the default of 1.
	d := tailData()
	train := func(bins int) *GBDT {
		t.Helper()
		m, err := TrainGBDT(context.Background(), d, nil, GBDTOptions{MaxTrees: 1, MaxDepth: 1, LearningRate: 1, MinChildWeight: 1e-6, MaxBins: bins}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// 255 bins of about 78 rows cannot place a cut at 1990 (this documents
	// why finer bins exist; the binning is deterministic).
	if th := train(255).specs()[0].Threshold[0]; th == 1989.5 {
		t.Fatalf("255 bins split at %v; the test no longer shows coarse bins missing the tail", th)
	}
	for _, bins := range []int{2048, 4096, MaxBinsLimit} {
		m := train(bins)
		s := m.specs()[0]
		if s.Feature[0] != 0 || s.Threshold[0] != 1989.5 {
			t.Errorf("%d bins: root splits feature %d at %v, want 1989.5", bins, s.Feature[0], s.Threshold[0])
		}
		for i := range d.Rows {
			x := d.X[i]
			if p := m.Predict([]float64{x}); (p > 0.5) != (d.Y[i] == 1) {
				t.Fatalf("%d bins: x = %v: P = %v, label %v", bins, x, p, d.Y[i])
			}
		}
	}
}
