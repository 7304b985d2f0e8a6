package model

import (
	"fmt"
	"math"
)

// treeSpec is one tree in the portable form that model files, the trainer
// and the XGBoost importer share. Node 0 is the root; node i is a leaf when
// Left[i] < 0. An internal node sends x[Feature[i]] < Threshold[i] to
// Left[i], a larger or equal value to Right[i], and NaN to Left[i] when
// MissingLeft[i], else to Right[i]. Value holds leaf outputs (it is ignored
// for internal nodes); Cover holds each node's hessian sum, which weights the
// expected values used for reason codes.
type treeSpec struct {
	Feature     []int     `json:"feature"`
	Threshold   []float64 `json:"threshold"`
	Left        []int     `json:"left"`
	Right       []int     `json:"right"`
	MissingLeft []bool    `json:"missing_left"`
	Value       []float64 `json:"value"`
	Cover       []float64 `json:"cover"`
}

// leafOf returns the leaf that x reaches. The tree must be valid.
func (s *treeSpec) leafOf(x []float64) int {
	i := 0
	for s.Left[i] >= 0 {
		v, t := x[s.Feature[i]], s.Threshold[i]
		if v < t || (v != v && s.MissingLeft[i]) {
			i = s.Left[i]
		} else {
			i = s.Right[i]
		}
	}
	return i
}

// check reports whether s is a well-formed tree over nf features: equal array
// lengths, children in range, every node the child of at most one parent and
// the root of none (so no cycles), features in range, finite thresholds,
// leaf values and non-negative covers. It returns the nodes reachable from
// the root in breadth-first order; unreachable nodes are ignored.
func (s *treeSpec) check(nf int) ([]int, error) {
	n := len(s.Left)
	if n == 0 {
		return nil, fmt.Errorf("%w: empty tree", ErrInvalidModel)
	}
	if len(s.Feature) != n || len(s.Threshold) != n || len(s.Right) != n ||
		len(s.MissingLeft) != n || len(s.Value) != n || len(s.Cover) != n {
		return nil, fmt.Errorf("%w: tree arrays differ in length", ErrInvalidModel)
	}
	seen := make([]bool, n)
	seen[0] = true
	order := []int{0}
	for k := 0; k < len(order); k++ {
		i := order[k]
		if c := s.Cover[i]; !(c >= 0) || math.IsInf(c, 1) {
			return nil, fmt.Errorf("%w: node %d cover %v", ErrInvalidModel, i, c)
		}
		l, r := s.Left[i], s.Right[i]
		if l < 0 {
			if r >= 0 {
				return nil, fmt.Errorf("%w: node %d has a right child but no left child", ErrInvalidModel, i)
			}
			if v := s.Value[i]; math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: leaf %d value %v", ErrInvalidModel, i, v)
			}
			continue
		}
		if l >= n || r < 0 || r >= n {
			return nil, fmt.Errorf("%w: node %d children %d, %d out of range [0, %d)", ErrInvalidModel, i, l, r, n)
		}
		if seen[l] || seen[r] || l == r {
			return nil, fmt.Errorf("%w: node %d children %d, %d already in the tree", ErrInvalidModel, i, l, r)
		}
		if f := s.Feature[i]; f < 0 || f >= nf {
			return nil, fmt.Errorf("%w: node %d feature %d out of range [0, %d)", ErrInvalidModel, i, f, nf)
		}
		if t := s.Threshold[i]; math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("%w: node %d threshold %v", ErrInvalidModel, i, t)
		}
		seen[l], seen[r] = true, true
		order = append(order, l, r)
	}
	return order, nil
}
