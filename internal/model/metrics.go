package model

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// The metrics follow scikit-learn's definitions so that figures compare with
// the Fraud Detection Handbook's tables: a row is predicted positive when its
// score is >= a threshold, thresholds run over the distinct scores, and rows
// with tied scores always move together (so ties get half credit in AUC).

// ROCPoint is one point of a ROC curve.
type ROCPoint struct {
	Threshold float64 `json:"threshold"`
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
}

// PRPoint is one point of a precision-recall curve.
type PRPoint struct {
	Threshold float64 `json:"threshold"`
	Recall    float64 `json:"recall"`
	Precision float64 `json:"precision"`
}

// operatingPoint counts the positives and negatives scored >= threshold.
type operatingPoint struct {
	threshold float64
	tp, fp    float64
}

// sweep returns one operating point per distinct score, thresholds
// decreasing, and the totals of positives and negatives.
func sweep(label []bool, score []float64) (pts []operatingPoint, pos, neg float64, err error) {
	if len(label) != len(score) {
		return nil, 0, 0, fmt.Errorf("%w: %d labels but %d scores", ErrInvalidData, len(label), len(score))
	}
	if len(label) == 0 {
		return nil, 0, 0, fmt.Errorf("%w: no rows", ErrInvalidData)
	}
	type row struct {
		s float64
		y bool
	}
	rows := make([]row, len(score))
	for i, s := range score {
		if math.IsNaN(s) {
			return nil, 0, 0, fmt.Errorf("%w: score %d is NaN", ErrInvalidData, i)
		}
		rows[i] = row{s, label[i]}
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.s, a.s) })
	var tp, fp float64
	for i, r := range rows {
		if r.y {
			tp++
		} else {
			fp++
		}
		if i == len(rows)-1 || rows[i+1].s != r.s {
			pts = append(pts, operatingPoint{threshold: r.s, tp: tp, fp: fp})
		}
	}
	return pts, tp, fp, nil
}

// AUC returns the area under the ROC curve of score for label (true for
// fraud), as scikit-learn's roc_auc_score: the probability that a random
// positive scores above a random negative, ties counting one half. It fails
// with ErrUndefined unless both classes are present.
func AUC(label []bool, score []float64) (float64, error) {
	pts, pos, neg, err := sweep(label, score)
	if err != nil {
		return 0, err
	}
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("%w: AUC needs both classes (%v positives, %v negatives)", ErrUndefined, pos, neg)
	}
	return aucFromPoints(pts, pos, neg), nil
}

// aucFromPoints integrates the ROC curve by trapezoids on whole counts, so the
// only rounding is in the final division.
func aucFromPoints(pts []operatingPoint, pos, neg float64) float64 {
	var area, tp0, fp0 float64
	for _, p := range pts {
		area += (p.fp - fp0) * (p.tp + tp0)
		tp0, fp0 = p.tp, p.fp
	}
	return area / (2 * pos * neg)
}

// aucOf is AUC for internal use, NaN when undefined.
func aucOf(label []bool, score []float64) float64 {
	pts, pos, neg, err := sweep(label, score)
	if err != nil || pos == 0 || neg == 0 {
		return math.NaN()
	}
	return aucFromPoints(pts, pos, neg)
}

// AveragePrecision returns AP as scikit-learn's average_precision_score:
// Σ (R_n − R_{n−1}) P_n over the distinct thresholds in decreasing order,
// where R_n and P_n are the recall and precision at threshold n and R_0 = 0.
// It fails with ErrUndefined when there is no positive.
func AveragePrecision(label []bool, score []float64) (float64, error) {
	pts, pos, _, err := sweep(label, score)
	if err != nil {
		return 0, err
	}
	if pos == 0 {
		return 0, fmt.Errorf("%w: average precision needs a positive", ErrUndefined)
	}
	var ap, r0 float64
	for _, p := range pts {
		r := p.tp / pos
		ap += (r - r0) * (p.tp / (p.tp + p.fp))
		r0 = r
	}
	return ap, nil
}

// ROCCurve returns one point per distinct score, thresholds decreasing; a
// plot starts it at (0, 0). It fails with ErrUndefined unless both classes
// are present.
func ROCCurve(label []bool, score []float64) ([]ROCPoint, error) {
	pts, pos, neg, err := sweep(label, score)
	if err != nil {
		return nil, err
	}
	if pos == 0 || neg == 0 {
		return nil, fmt.Errorf("%w: ROC curve needs both classes", ErrUndefined)
	}
	out := make([]ROCPoint, len(pts))
	for i, p := range pts {
		out[i] = ROCPoint{Threshold: p.threshold, FPR: p.fp / neg, TPR: p.tp / pos}
	}
	return out, nil
}

// PRCurve returns one point per distinct score, thresholds decreasing (recall
// increasing); a plot starts it at recall 0, precision 1. It fails with
// ErrUndefined when there is no positive.
func PRCurve(label []bool, score []float64) ([]PRPoint, error) {
	pts, pos, _, err := sweep(label, score)
	if err != nil {
		return nil, err
	}
	if pos == 0 {
		return nil, fmt.Errorf("%w: precision-recall curve needs a positive", ErrUndefined)
	}
	out := make([]PRPoint, len(pts))
	for i, p := range pts {
		out[i] = PRPoint{Threshold: p.threshold, Recall: p.tp / pos, Precision: p.tp / (p.tp + p.fp)}
	}
	return out, nil
}

// logLossEps bounds probabilities away from 0 and 1 in LogLoss.
const logLossEps = 1e-15

// LogLoss returns the mean negative log-likelihood of the probabilities prob
// for label, each probability clipped to [1e-15, 1-1e-15]. Probabilities
// outside [0, 1] or NaN are refused.
func LogLoss(label []bool, prob []float64) (float64, error) {
	if len(label) != len(prob) {
		return 0, fmt.Errorf("%w: %d labels but %d probabilities", ErrInvalidData, len(label), len(prob))
	}
	if len(label) == 0 {
		return 0, fmt.Errorf("%w: no rows", ErrInvalidData)
	}
	var sum float64
	for i, p := range prob {
		if !(p >= 0 && p <= 1) {
			return 0, fmt.Errorf("%w: probability %d is %v", ErrInvalidData, i, p)
		}
		p = min(max(p, logLossEps), 1-logLossEps)
		if label[i] {
			sum -= math.Log(p)
		} else {
			sum -= math.Log1p(-p)
		}
	}
	return sum / float64(len(prob)), nil
}
