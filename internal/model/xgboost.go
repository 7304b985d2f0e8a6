package model

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// xgbModel is the part of XGBoost's JSON model format (save_model("m.json"),
// version 1.7) that a binary classifier needs.
type xgbModel struct {
	Learner struct {
		FeatureNames      []string `json:"feature_names"`
		LearnerModelParam struct {
			BaseScore  string `json:"base_score"`
			NumClass   string `json:"num_class"`
			NumFeature string `json:"num_feature"`
		} `json:"learner_model_param"`
		Objective struct {
			Name string `json:"name"`
		} `json:"objective"`
		GradientBooster struct {
			Name  string `json:"name"`
			Model struct {
				TreeInfo []int     `json:"tree_info"`
				Trees    []xgbTree `json:"trees"`
			} `json:"model"`
		} `json:"gradient_booster"`
	} `json:"learner"`
}

type xgbTree struct {
	LeftChildren    []int         `json:"left_children"`
	RightChildren   []int         `json:"right_children"`
	SplitIndices    []int         `json:"split_indices"`
	SplitConditions []json.Number `json:"split_conditions"`
	DefaultLeft     []int         `json:"default_left"`
	SumHessian      []json.Number `json:"sum_hessian"`
	SplitType       []int         `json:"split_type"`
	Categories      []int         `json:"categories"`
}

// ImportXGBoost reads a binary:logistic gbtree model saved by XGBoost in its
// JSON format (save_model("m.json"), as of version 1.7) and compiles it into
// a GBDT whose Predict matches XGBoost's predict.
//
// names are the feature names in XGBoost's column order; when nil, the names
// stored in the model are used, or "f0", "f1", ... when it has none.
//
// XGBoost stores inputs as float32 and sends x left when float32(x) <
// condition (a float32). Each condition c is converted to the float64
// threshold t for which x < t holds exactly when float32(x) < c, so the
// import routes every float64 input, NaN included (default_left), as XGBoost
// does. Margins may differ from XGBoost's in the last float32 digits because
// vigil adds leaf values in float64. Leaf values are split_conditions of
// leaves; covers (for reason codes) are sum_hessian.
//
// Errors wrap ErrUnsupported (other objectives, boosters, categorical splits,
// several classes) or ErrInvalidModel.
func ImportXGBoost(r io.Reader, names []string) (*GBDT, error) {
	var x xgbModel
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("import xgboost: %w: %v", ErrInvalidModel, err)
	}
	l := &x.Learner
	switch l.Objective.Name {
	case "binary:logistic", "reg:logistic":
	default:
		return nil, fmt.Errorf("import xgboost: %w: objective %q (want binary:logistic)", ErrUnsupported, l.Objective.Name)
	}
	if l.GradientBooster.Name != "gbtree" {
		return nil, fmt.Errorf("import xgboost: %w: booster %q (want gbtree)", ErrUnsupported, l.GradientBooster.Name)
	}
	if c := l.LearnerModelParam.NumClass; c != "" && c != "0" && c != "1" {
		return nil, fmt.Errorf("import xgboost: %w: %s classes", ErrUnsupported, c)
	}
	nf, err := strconv.Atoi(l.LearnerModelParam.NumFeature)
	if err != nil || nf < 1 {
		return nil, fmt.Errorf("import xgboost: %w: num_feature %q", ErrInvalidModel, l.LearnerModelParam.NumFeature)
	}
	switch {
	case names != nil:
	case len(l.FeatureNames) > 0:
		names = l.FeatureNames
	default:
		names = make([]string, nf)
		for i := range names {
			names[i] = "f" + strconv.Itoa(i)
		}
	}
	if len(names) != nf {
		return nil, fmt.Errorf("import xgboost: %w: %d feature names for %d features", ErrInvalidModel, len(names), nf)
	}
	// base_score is a probability; 2.x writes it as "[5E-1]".
	bs, err := strconv.ParseFloat(strings.Trim(l.LearnerModelParam.BaseScore, "[]"), 32)
	if err != nil || !(bs > 0 && bs < 1) {
		return nil, fmt.Errorf("import xgboost: %w: base_score %q", ErrInvalidModel, l.LearnerModelParam.BaseScore)
	}
	for i, g := range l.GradientBooster.Model.TreeInfo {
		if g != 0 {
			return nil, fmt.Errorf("import xgboost: %w: tree %d belongs to output group %d", ErrUnsupported, i, g)
		}
	}
	specs := make([]treeSpec, len(l.GradientBooster.Model.Trees))
	for k := range specs {
		if specs[k], err = convertXGBTree(&l.GradientBooster.Model.Trees[k]); err != nil {
			return nil, fmt.Errorf("import xgboost: tree %d: %w", k, err)
		}
	}
	m, err := compileGBDT(names, logit(bs), specs)
	if err != nil {
		return nil, fmt.Errorf("import xgboost: %w", err)
	}
	return m, nil
}

func convertXGBTree(t *xgbTree) (treeSpec, error) {
	n := len(t.LeftChildren)
	if len(t.RightChildren) != n || len(t.SplitIndices) != n || len(t.SplitConditions) != n ||
		len(t.DefaultLeft) != n || len(t.SumHessian) != n {
		return treeSpec{}, fmt.Errorf("%w: node arrays differ in length", ErrInvalidModel)
	}
	if len(t.Categories) > 0 {
		return treeSpec{}, fmt.Errorf("%w: categorical splits", ErrUnsupported)
	}
	for _, st := range t.SplitType {
		if st != 0 {
			return treeSpec{}, fmt.Errorf("%w: categorical splits", ErrUnsupported)
		}
	}
	s := treeSpec{
		Feature: t.SplitIndices, Left: make([]int, n), Right: t.RightChildren,
		Threshold: make([]float64, n), MissingLeft: make([]bool, n),
		Value: make([]float64, n), Cover: make([]float64, n),
	}
	for i := range n {
		c, err := strconv.ParseFloat(t.SplitConditions[i].String(), 32)
		if err != nil {
			return treeSpec{}, fmt.Errorf("%w: node %d split condition %q", ErrInvalidModel, i, t.SplitConditions[i])
		}
		if s.Cover[i], err = t.SumHessian[i].Float64(); err != nil {
			return treeSpec{}, fmt.Errorf("%w: node %d sum_hessian %q", ErrInvalidModel, i, t.SumHessian[i])
		}
		s.Left[i] = t.LeftChildren[i]
		s.MissingLeft[i] = t.DefaultLeft[i] != 0
		if s.Left[i] < 0 { // leaf: the condition holds the (scaled) leaf value
			s.Left[i], s.Right[i] = -1, -1
			s.Value[i] = c
			continue
		}
		if s.Threshold[i], err = float32Threshold(float32(c)); err != nil {
			return treeSpec{}, fmt.Errorf("node %d: %w", i, err)
		}
	}
	return s, nil
}

// float32Threshold returns the float64 t such that, for every non-NaN
// float64 x, x < t exactly when float32(x) < c (float32(x) rounding to
// nearest, ties to even, as XGBoost's conversion does).
//
// float32(x) < c means float32(x) <= p, where p is the float32 just below c.
// The float64 values rounding to p or lower are those below the midpoint m of
// p and c, and m itself when the tie goes to p, that is when c's significand
// is odd. m is exact in float64 (float32 needs 24 significand bits, m 25).
// Below -MaxFloat32 and above MaxFloat32 the neighbours are ±2^128, where
// rounding overflows to ±Inf.
func float32Threshold(c float32) (float64, error) {
	if c != c || math.IsInf(float64(c), -1) {
		return 0, fmt.Errorf("%w: split condition %v", ErrUnsupported, c)
	}
	const edge = 0x1p128 // where float32 rounding overflows
	hi := float64(c)
	if math.IsInf(hi, 1) {
		hi = edge
	}
	p := math.Nextafter32(c, float32(math.Inf(-1)))
	lo := float64(p)
	if math.IsInf(lo, -1) {
		lo = -edge
	}
	m := lo/2 + hi/2
	if math.Float32bits(c)&1 == 0 {
		return m, nil // a tie rounds to c: m goes right
	}
	return math.Nextafter(m, math.Inf(1)), nil // a tie rounds to p: m goes left
}
