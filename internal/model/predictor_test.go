package model

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
)

// handTree: x0 < 1.5 (NaN left) → leaf 10 (cover 4);
// else x1 < -2 (NaN right) → leaf 20 (cover 2) | leaf 30 (cover 4).
// The nodes are numbered out of breadth-first order on purpose.
func handTree() treeSpec {
	return treeSpec{
		Feature:     []int{0, 0, 0, 1, 0},
		Threshold:   []float64{1.5, 0, 0, -2, 0},
		Left:        []int{4, -1, -1, 2, -1},
		Right:       []int{3, -1, -1, 1, -1},
		MissingLeft: []bool{true, false, false, false, false},
		Value:       []float64{0, 30, 20, 0, 10},
		Cover:       []float64{10, 4, 2, 6, 4},
	}
}

func TestPredictComparisonSemantics(t *testing.T) {
	m, err := compileGBDT([]string{"x0", "x1"}, 0.5, []treeSpec{handTree()})
	if err != nil {
		t.Fatal(err)
	}
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		x    []float64
		leaf float64
	}{
		{[]float64{1, 0}, 10},
		{[]float64{math.Nextafter(1.5, 0), 0}, 10},
		{[]float64{1.5, 0}, 30}, // equal to the threshold goes right
		{[]float64{nan, -5}, 10},
		{[]float64{2, nan}, 30},
		{[]float64{2, -3}, 20},
		{[]float64{2, -2}, 30},
		{[]float64{inf, -inf}, 20},
		{[]float64{-inf, inf}, 10},
	}
	for _, tt := range tests {
		if got := m.Margin(tt.x); got != 0.5+tt.leaf {
			t.Errorf("Margin(%v) = %v, want %v", tt.x, got, 0.5+tt.leaf)
		}
		if got, want := m.Predict(tt.x), sigmoid(0.5+tt.leaf); got != want {
			t.Errorf("Predict(%v) = %v, want %v", tt.x, got, want)
		}
	}
}

func TestCompileRefusesMalformedTrees(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *treeSpec)
	}{
		{"cycle to root", func(s *treeSpec) { s.Left[3] = 0 }},
		{"shared child", func(s *treeSpec) { s.Left[3] = 4 }},
		{"same child twice", func(s *treeSpec) { s.Right[3] = 2 }},
		{"child out of range", func(s *treeSpec) { s.Right[0] = 5 }},
		{"negative right child", func(s *treeSpec) { s.Right[0] = -1 }},
		{"right child of a leaf", func(s *treeSpec) { s.Right[1] = 2 }},
		{"feature out of range", func(s *treeSpec) { s.Feature[3] = 2 }},
		{"negative feature", func(s *treeSpec) { s.Feature[0] = -1 }},
		{"NaN leaf", func(s *treeSpec) { s.Value[2] = math.NaN() }},
		{"infinite leaf", func(s *treeSpec) { s.Value[2] = math.Inf(-1) }},
		{"NaN threshold", func(s *treeSpec) { s.Threshold[0] = math.NaN() }},
		{"infinite threshold", func(s *treeSpec) { s.Threshold[0] = math.Inf(1) }},
		{"negative cover", func(s *treeSpec) { s.Cover[1] = -1 }},
		{"short array", func(s *treeSpec) { s.Cover = s.Cover[:4] }},
		{"empty", func(s *treeSpec) { *s = treeSpec{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := handTree()
			tt.change(&s)
			m, err := compileGBDT([]string{"x0", "x1"}, 0, []treeSpec{handTree(), s})
			if !errors.Is(err, ErrInvalidModel) || m != nil {
				t.Fatalf("compile = %v, %v; want nil, ErrInvalidModel", m, err)
			}
		})
	}
	if _, err := compileGBDT([]string{"x0", "x1"}, math.NaN(), nil); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("NaN base: err = %v", err)
	}
}

func TestSpecsRoundTrip(t *testing.T) {
	m, err := compileGBDT([]string{"x0", "x1"}, 0, []treeSpec{handTree(), handTree()})
	if err != nil {
		t.Fatal(err)
	}
	again, err := compileGBDT(m.names, m.base, m.specs())
	if err != nil {
		t.Fatal(err)
	}
	if !sameSpecs(m.specs(), again.specs()) {
		t.Error("specs do not survive a compile round trip")
	}
}

func TestPredictDoesNotAllocate(t *testing.T) {
	d := synthetic(2000, 6, 1)
	m, err := TrainGBDT(context.Background(), d, nil, GBDTOptions{MaxTrees: 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := d.Row(3)
	contrib := make([]float64, 6)
	reasons := make([]Reason, 0, 3)
	if n := testing.AllocsPerRun(100, func() {
		m.Predict(x)
		m.Explain(x, contrib)
		reasons = TopReasons(m.FeatureNames(), contrib, 3, reasons)
	}); n != 0 {
		t.Errorf("Predict+Explain+TopReasons allocate %v times per call", n)
	}
}

// TestLayoutsAgree checks the branch-free perfect layout against the pointer
// layout on inputs that probe the comparison semantics: values equal to
// thresholds and their neighbours, ±0, ±Inf and NaN.
func TestLayoutsAgree(t *testing.T) {
	d := synthetic(3000, 6, 8)
	for i := range d.Rows { // make some thresholds sit at 0
		if i%7 == 0 {
			d.X[i*6+3] = 0
		}
	}
	m, err := TrainGBDT(context.Background(), d, nil, GBDTOptions{MaxTrees: 37, MaxLeaves: 12}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.fast == nil {
		t.Fatal("model not laid out as perfect trees")
	}
	slow := *m
	slow.fast = nil
	var probes []float64
	for _, v := range m.nodes {
		if v.left != 0 {
			probes = append(probes, v.value, math.Nextafter(v.value, math.Inf(1)), math.Nextafter(v.value, math.Inf(-1)))
		}
	}
	probes = append(probes, 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, -math.MaxFloat64)
	x := make([]float64, 6)
	fast, ref := make([]float64, 6), make([]float64, 6)
	for i := range 20000 {
		for j := range x {
			x[j] = probes[(i*7919+j*104729+i*j)%len(probes)]
		}
		if a, b := m.Margin(x), slow.Margin(x); a != b {
			t.Fatalf("x = %v: perfect layout margin %v, pointer layout %v", x, a, b)
		}
		m1, b1 := m.Explain(x, fast)
		m2, b2 := slow.Explain(x, ref)
		if m1 != m2 || math.Abs(b1-b2) > 1e-12 {
			t.Fatalf("x = %v: Explain margin/bias %v/%v vs %v/%v", x, m1, b1, m2, b2)
		}
		for j := range fast {
			if math.Abs(fast[j]-ref[j]) > 1e-12 {
				t.Fatalf("x = %v: contribution %d: %v vs %v", x, j, fast[j], ref[j])
			}
		}
	}
}

func TestDeepTreesUsePointerLayout(t *testing.T) {
	d := synthetic(3000, 6, 9)
	m, margins, err := trainGBDT(context.Background(), d, nil, GBDTOptions{MaxTrees: 5, MaxDepth: 14, MinChildWeight: 0.001}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.fast != nil {
		t.Skip("trees did not grow deeper than perfectMaxDepth")
	}
	for i := range d.Rows {
		if got := m.Margin(d.Row(i)); got != margins[i] {
			t.Fatalf("row %d: predictor %v, trainer %v", i, got, margins[i])
		}
	}
}

func TestSingleLeafTrees(t *testing.T) {
	leaf := func(v float64) treeSpec {
		return treeSpec{Feature: []int{0}, Threshold: []float64{0}, Left: []int{-1}, Right: []int{-1},
			MissingLeft: []bool{false}, Value: []float64{v}, Cover: []float64{1}}
	}
	var specs []treeSpec
	want := -1.0
	for k := range 9 { // a block of eight and one more
		specs = append(specs, leaf(float64(k)))
		want += float64(k)
	}
	m, err := compileGBDT([]string{"a", "b"}, -1, specs)
	if err != nil {
		t.Fatal(err)
	}
	contrib := []float64{5, 5}
	x := []float64{1, math.NaN()}
	margin, bias := m.Explain(x, contrib)
	if got := m.Margin(x); got != want || margin != want || bias != want || contrib[0] != 0 || contrib[1] != 0 {
		t.Errorf("Margin %v, Explain %v/%v %v; want %v and no contributions", got, margin, bias, contrib, want)
	}
}

func TestPredictDataset(t *testing.T) {
	d := synthetic(40000, 5, 3)
	m, err := TrainGBDT(context.Background(), synthetic(2000, 5, 4), nil, GBDTOptions{MaxTrees: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := PredictDataset(m, d)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.Rows {
		if got[i] != m.Predict(d.Row(i)) {
			t.Fatalf("row %d: %v, Predict %v", i, got[i], m.Predict(d.Row(i)))
		}
	}
	d.Names = []string{"x", "y", "z", "u", "v"}
	if _, err := PredictDataset(m, d); !errors.Is(err, ErrInvalidData) {
		t.Errorf("other features: err = %v", err)
	}
}

// TestPaddedLayoutIsBounded: a small file of one deep tree and many one-leaf trees must not
// make the loader pad every tree to the deep one's shape (236 MB for a 2 MB file before).
func TestPaddedLayoutIsBounded(t *testing.T) {
	var f, th, l, r, ml, v, c []string
	for i := range 17 { // splits at 0, 2, .., 14 with children i+1 (a leaf) and i+2: depth 8
		f, th, ml, v, c = append(f, "0"), append(th, "0"), append(ml, "false"), append(v, "0.1"), append(c, "1")
		if i%2 == 0 && i < 16 {
			l, r = append(l, fmt.Sprint(i+1)), append(r, fmt.Sprint(i+2))
		} else {
			l, r = append(l, "-1"), append(r, "-1")
		}
	}
	j := func(a []string) string { return "[" + strings.Join(a, ",") + "]" }
	deep := fmt.Sprintf(`{"feature":%s,"threshold":%s,"left":%s,"right":%s,"missing_left":%s,"value":%s,"cover":%s}`,
		j(f), j(th), j(l), j(r), j(ml), j(v), j(c))
	leaf := `{"feature":[0],"threshold":[0],"left":[-1],"right":[-1],"missing_left":[false],"value":[0],"cover":[0]}`
	trees := []string{deep}
	for range 20000 {
		trees = append(trees, leaf)
	}
	content := `{"format_version":1,"kind":"gbdt","created_at":"2024-01-01T00:00:00Z","features":[{"name":"a","version":"1"}],` +
		`"training":{"rows":0,"positives":0},"gbdt":{"base_margin":0,"trees":[` + strings.Join(trees, ",") + `]}}`
	file := envelopeOf(content)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := Load(bytes.NewReader(file), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 50*uint64(len(file)) {
		t.Fatalf("a %d-byte model file made Load allocate %d bytes (%.0fx)", len(file), alloc, float64(alloc)/float64(len(file)))
	}
	// Still predicts: the deep tree's path for 0 goes right at every split (0 < 0 is false).
	x := []float64{0}
	if got := m.Model.(*GBDT).Margin(x); got == 0 {
		t.Errorf("margin %v", got)
	}
}
