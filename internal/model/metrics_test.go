package model

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
)

// Hand-computed cases; the comments show the arithmetic.
var metricCases = []struct {
	name   string
	label  []bool
	score  []float64
	auc    float64
	ap     float64
	roc    []ROCPoint
	noAUC  bool
	noAP   bool
	errors bool
}{
	{
		// scikit-learn's documentation example. Positive/negative pairs:
		// (0.35,0.1) (0.35,0.4✗) (0.8,0.1) (0.8,0.4) → 3/4.
		// AP: t=0.8 R=.5 P=1; t=0.4 R=.5; t=0.35 R=1 P=2/3 → .5·1 + .5·2/3.
		name:  "sklearn docs",
		label: []bool{false, false, true, true},
		score: []float64{0.1, 0.4, 0.35, 0.8},
		auc:   0.75,
		ap:    0.5 + 0.5*2.0/3,
		roc: []ROCPoint{
			{Threshold: 0.8, FPR: 0, TPR: 0.5},
			{Threshold: 0.4, FPR: 0.5, TPR: 0.5},
			{Threshold: 0.35, FPR: 0.5, TPR: 1},
			{Threshold: 0.1, FPR: 1, TPR: 1},
		},
	},
	{
		// Ties: pairs (0.9,0.9)=½ (0.9,0.1)=1 (0.5,0.9)=0 (0.5,0.1)=1 → 2.5/4.
		// AP: t=0.9 tp1 fp1 R=.5 P=.5; t=0.5 tp2 fp1 R=1 P=2/3.
		name:  "tied scores",
		label: []bool{true, false, true, false},
		score: []float64{0.9, 0.9, 0.5, 0.1},
		auc:   0.625,
		ap:    0.5*0.5 + 0.5*2.0/3,
	},
	{
		name:  "all tied",
		label: []bool{true, false, false},
		score: []float64{3, 3, 3},
		auc:   0.5,
		ap:    1.0 / 3,
	},
	{
		name:  "perfect",
		label: []bool{false, true, false, true},
		score: []float64{-2, 7, -1, 5},
		auc:   1,
		ap:    1,
	},
	{
		// AP: t=5 tp0 fp1 R=0; t=4 tp0 fp2; t=1 tp1 fp2 R=1 P=1/3.
		name:  "reversed",
		label: []bool{false, true, false},
		score: []float64{5, 1, 4},
		auc:   0,
		ap:    1.0 / 3,
	},
	{name: "only negatives", label: []bool{false, false}, score: []float64{1, 2}, noAUC: true, noAP: true},
	{name: "only positives", label: []bool{true, true}, score: []float64{1, 2}, noAUC: true, ap: 1},
	{name: "length mismatch", label: []bool{true}, score: []float64{1, 2}, errors: true},
	{name: "empty", errors: true},
	{name: "NaN score", label: []bool{true, false}, score: []float64{math.NaN(), 1}, errors: true},
}

func TestMetricsHandComputed(t *testing.T) {
	const eps = 1e-15
	for _, tt := range metricCases {
		t.Run(tt.name, func(t *testing.T) {
			auc, err := AUC(tt.label, tt.score)
			switch {
			case tt.errors:
				if !errors.Is(err, ErrInvalidData) {
					t.Errorf("AUC err = %v, want ErrInvalidData", err)
				}
			case tt.noAUC:
				if !errors.Is(err, ErrUndefined) {
					t.Errorf("AUC err = %v, want ErrUndefined", err)
				}
			case err != nil || math.Abs(auc-tt.auc) > eps:
				t.Errorf("AUC = %v, %v; want %v", auc, err, tt.auc)
			}
			ap, err := AveragePrecision(tt.label, tt.score)
			switch {
			case tt.errors:
				if !errors.Is(err, ErrInvalidData) {
					t.Errorf("AP err = %v, want ErrInvalidData", err)
				}
			case tt.noAP:
				if !errors.Is(err, ErrUndefined) {
					t.Errorf("AP err = %v, want ErrUndefined", err)
				}
			case err != nil || math.Abs(ap-tt.ap) > eps:
				t.Errorf("AP = %v, %v; want %v", ap, err, tt.ap)
			}
			if tt.roc != nil {
				roc, err := ROCCurve(tt.label, tt.score)
				if err != nil || len(roc) != len(tt.roc) {
					t.Fatalf("ROCCurve = %v, %v; want %v", roc, err, tt.roc)
				}
				for i := range roc {
					if roc[i] != tt.roc[i] {
						t.Errorf("ROC point %d = %+v, want %+v", i, roc[i], tt.roc[i])
					}
				}
			}
		})
	}
}

func TestPRCurve(t *testing.T) {
	pr, err := PRCurve([]bool{false, false, true, true}, []float64{0.1, 0.4, 0.35, 0.8})
	if err != nil {
		t.Fatal(err)
	}
	want := []PRPoint{{0.8, 0.5, 1}, {0.4, 0.5, 0.5}, {0.35, 1, 2.0 / 3}, {0.1, 1, 0.5}}
	if len(pr) != len(want) {
		t.Fatalf("PRCurve = %v, want %v", pr, want)
	}
	for i := range pr {
		if pr[i] != want[i] {
			t.Errorf("PR point %d = %+v, want %+v", i, pr[i], want[i])
		}
	}
}

func TestLogLoss(t *testing.T) {
	tests := []struct {
		name  string
		label []bool
		prob  []float64
		want  float64
		err   bool
	}{
		{"two rows", []bool{true, false}, []float64{0.8, 0.3}, -(math.Log(0.8) + math.Log(0.7)) / 2, false},
		{"clipped at 1e-15", []bool{true}, []float64{0}, -math.Log(1e-15), false},
		{"certain and right", []bool{false}, []float64{0}, -math.Log1p(-1e-15), false},
		{"probability above 1", []bool{true}, []float64{1.2}, 0, true},
		{"NaN", []bool{true}, []float64{math.NaN()}, 0, true},
		{"mismatch", []bool{true}, nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LogLoss(tt.label, tt.prob)
			if tt.err {
				if !errors.Is(err, ErrInvalidData) {
					t.Fatalf("err = %v, want ErrInvalidData", err)
				}
				return
			}
			if err != nil || math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("LogLoss = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestMetricsMatchScikitLearn checks AUC, AP and log-loss against values
// scikit-learn computed (testdata/make_metrics_fixture.py) on random data
// with many ties.
func TestMetricsMatchScikitLearn(t *testing.T) {
	raw, err := os.ReadFile("testdata/metrics_sklearn.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Label   []int     `json:"label"`
		Score   []float64 `json:"score"`
		AUC     float64   `json:"roc_auc"`
		AP      float64   `json:"average_precision"`
		LogLoss float64   `json:"log_loss"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for i, c := range cases {
		label := make([]bool, len(c.Label))
		for j, l := range c.Label {
			label[j] = l == 1
		}
		auc, err1 := AUC(label, c.Score)
		ap, err2 := AveragePrecision(label, c.Score)
		ll, err3 := LogLoss(label, c.Score)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		for _, m := range []struct {
			name      string
			got, want float64
		}{{"AUC", auc, c.AUC}, {"AP", ap, c.AP}, {"log-loss", ll, c.LogLoss}} {
			if math.Abs(m.got-m.want) > 1e-12 {
				t.Errorf("case %d (%d rows): %s = %.17g, scikit-learn %.17g", i, len(label), m.name, m.got, m.want)
			}
		}
	}
}
