package model

import (
	"context"
	"math"
	"slices"
	"testing"
)

func TestExplainHandTree(t *testing.T) {
	m, err := compileGBDT([]string{"x0", "x1"}, 0.5, []treeSpec{handTree()})
	if err != nil {
		t.Fatal(err)
	}
	// Expected outputs: right node (2·20+4·30)/6 = 80/3; root (4·10+6·80/3)/10 = 20.
	// x = (2, -3) goes root → right node → leaf 20:
	// x0 gets 80/3 − 20, x1 gets 20 − 80/3; bias = 0.5 + 20.
	contrib := make([]float64, 2)
	margin, bias := m.Explain([]float64{2, -3}, contrib)
	if bias != 20.5 || margin != 20.5 {
		t.Errorf("margin, bias = %v, %v; want 20.5, 20.5", margin, bias)
	}
	if want := 80.0/3 - 20; math.Abs(contrib[0]-want) > 1e-12 || math.Abs(contrib[1]+want) > 1e-12 {
		t.Errorf("contributions = %v, want [%v %v]", contrib, want, -want)
	}
}

func TestExplainSumsToMargin(t *testing.T) {
	d := synthetic(5000, 8, 21)
	gbdt, err := TrainGBDT(context.Background(), d, nil, GBDTOptions{MaxTrees: 100, Subsample: 0.8, ColSample: 0.8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	logistic, err := TrainLogistic(context.Background(), d, LogisticOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Model{gbdt, logistic} {
		contrib := make([]float64, 8)
		for i := range 500 {
			x := d.Row(i)
			margin := m.Margin(x)
			explained, sum := m.Explain(x, contrib)
			if explained != margin {
				t.Fatalf("%T row %d: Explain margin %v, Margin %v", m, i, explained, margin)
			}
			for _, c := range contrib {
				sum += c
			}
			// The same terms added in another order: equal up to rounding.
			if math.Abs(sum-margin) > 1e-9*max(1, math.Abs(margin)) {
				t.Fatalf("%T row %d: bias + contributions = %v, margin = %v", m, i, sum, margin)
			}
		}
	}
}

func TestTopReasons(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e", "f"}
	contrib := []float64{0.5, -1, 2, 0.5, 0, 3}
	tests := []struct {
		k    int
		want []int
	}{
		{0, nil},
		{1, []int{5}},
		{3, []int{5, 2, 0}}, // a and d tie at 0.5: lower index first
		{10, []int{5, 2, 0, 3}},
	}
	for _, tt := range tests {
		got := TopReasons(names, contrib, tt.k, nil)
		var idx []int
		for _, r := range got {
			idx = append(idx, r.Feature)
			if r.Name != names[r.Feature] || r.Contribution != contrib[r.Feature] {
				t.Errorf("reason %+v does not match its feature", r)
			}
		}
		if !slices.Equal(idx, tt.want) {
			t.Errorf("k=%d: features %v, want %v", tt.k, idx, tt.want)
		}
	}
}
