package model

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestImportXGBoost checks the import against predictions XGBoost 1.7 made
// (testdata/make_xgboost_fixture.py): every input must reach the very leaf
// XGBoost reached in every tree, and margins agree up to XGBoost's float32
// sums.
func TestImportXGBoost(t *testing.T) {
	raw, err := os.ReadFile("testdata/xgboost_model.json")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"amount", "ratio", "count", "bucket"}
	m, err := ImportXGBoost(bytes.NewReader(raw), names)
	if err != nil {
		t.Fatal(err)
	}
	if m.NumTrees() != 25 || !sameNames(m.FeatureNames(), names) {
		t.Fatalf("imported %d trees over %v", m.NumTrees(), m.FeatureNames())
	}
	// The same trees before compilation keep XGBoost's node numbering.
	var x xgbModel
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Fatal(err)
	}
	var specs []treeSpec
	for _, tree := range x.Learner.GradientBooster.Model.Trees {
		s, err := convertXGBTree(&tree)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}

	f, err := os.Open("testdata/xgboost_predictions.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) < 1000 {
		t.Fatalf("only %d fixture rows", len(records))
	}
	num := func(s string) float64 {
		t.Helper()
		v, err := strconv.ParseFloat(s, 64) // accepts "nan"
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	contrib := make([]float64, 4)
	for r, rec := range records[1:] {
		xs := []float64{num(rec[0]), num(rec[1]), num(rec[2]), num(rec[3])}
		margin, prob := num(rec[4]), num(rec[5])
		for k := range specs {
			want, _ := strconv.Atoi(rec[6+k])
			if got := specs[k].leafOf(xs); got != want {
				t.Fatalf("row %d %v: tree %d reaches node %d, XGBoost reached %d", r, xs, k, got, want)
			}
		}
		if got := m.Margin(xs); math.Abs(got-margin) > 1e-5 {
			t.Errorf("row %d: margin %v, XGBoost %v", r, got, margin)
		}
		if got := m.Predict(xs); math.Abs(got-prob) > 1e-6 {
			t.Errorf("row %d: probability %v, XGBoost %v", r, got, prob)
		}
		explained, bias := m.Explain(xs, contrib)
		for _, c := range contrib {
			bias += c
		}
		if explained != m.Margin(xs) || math.Abs(bias-explained) > 1e-9 {
			t.Errorf("row %d: reasons do not add up: %v vs %v", r, bias, explained)
		}
	}
}

// TestFloat32Threshold checks x < t ⇔ float32(x) < c around many conditions,
// at the exact ties between float32 neighbours and one float64 step away.
func TestFloat32Threshold(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	conds := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, 1e-45, -1e-45, 1.17549435e-38,
		math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), 16777216, 16777217, -0.2940803}
	for range 5000 {
		conds = append(conds, math.Float32frombits(rng.Uint32()))
	}
	for _, c := range conds {
		if c != c || math.IsInf(float64(c), -1) {
			if _, err := float32Threshold(c); !errors.Is(err, ErrUnsupported) {
				t.Errorf("condition %v: err = %v", c, err)
			}
			continue
		}
		th, err := float32Threshold(c)
		if err != nil {
			t.Fatal(err)
		}
		var probes []float64
		for _, v := range []float32{c, math.Nextafter32(c, float32(math.Inf(-1))), math.Nextafter32(c, float32(math.Inf(1)))} {
			probes = append(probes, float64(v))
		}
		probes = append(probes, th, math.Nextafter(th, math.Inf(1)), math.Nextafter(th, math.Inf(-1)),
			math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64)
		for _, x := range probes {
			if math.IsInf(x, 0) && math.IsInf(float64(c), 0) {
				continue
			}
			if got, want := x < th, float32(x) < c; got != want {
				t.Fatalf("condition %v (threshold %v): x = %v gives %v, float32 comparison %v", c, th, x, got, want)
			}
		}
	}
}

func TestImportXGBoostRefuses(t *testing.T) {
	raw, err := os.ReadFile("testdata/xgboost_model.json")
	if err != nil {
		t.Fatal(err)
	}
	good := string(raw)
	tests := []struct {
		name  string
		model string
		names []string
		want  error
	}{
		{"not JSON", "{", nil, ErrInvalidModel},
		{"softmax", strings.Replace(good, `"binary:logistic"`, `"multi:softprob"`, 1), nil, ErrUnsupported},
		{"dart", strings.Replace(good, `"name":"gbtree"`, `"name":"dart"`, 1), nil, ErrUnsupported},
		{"categorical", strings.Replace(good, `"categories":[]`, `"categories":[1]`, 1), nil, ErrUnsupported},
		{"names", good, []string{"a"}, ErrInvalidModel},
		{"base score", strings.Replace(good, `"base_score":"3E-1"`, `"base_score":"2"`, 1), nil, ErrInvalidModel},
		{"child out of range", strings.Replace(good, `"left_children":[1,`, `"left_children":[100,`, 1), nil, ErrInvalidModel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.model == good && tt.names == nil {
				t.Fatal("test case changes nothing")
			}
			if _, err := ImportXGBoost(strings.NewReader(tt.model), tt.names); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	m, err := ImportXGBoost(strings.NewReader(good), nil)
	if err != nil || m.FeatureNames()[3] != "f3" {
		t.Fatalf("default names: %v, %v", m, err)
	}
}
