package model

import (
	"fmt"
	"math"
)

// node is one node of a compiled tree, 16 bytes so four fit a cache line.
type node struct {
	value   float64 // threshold of an internal node, output of a leaf
	left    int32   // index of the left child (the right child is left+1); 0 marks a leaf
	feature uint32  // feature index, with missingLeftBit set when NaN goes left
}

const (
	missingLeftBit = 1 << 31
	featureMask    = missingLeftBit - 1
)

// GBDT is a compiled ensemble of binary-classification trees: every tree laid
// out breadth-first in one contiguous array, siblings adjacent. It is
// immutable and safe for concurrent use; Predict, Margin and Explain do not
// allocate. See the package documentation for the comparison semantics.
type GBDT struct {
	names []string
	base  float64        // margin before any tree (log-odds of the base rate)
	nodes []node         // every tree, breadth-first
	roots []int32        // index of each tree's root; tree k is nodes[roots[k]:roots[k+1]]
	mean  []float64      // per node: the cover-weighted mean output of the leaves below
	cover []float64      // per node: hessian sum in training (kept for files)
	fast  *perfectForest // the same trees laid out for speed; nil when too deep
}

// compileGBDT checks every tree and flattens them into a GBDT. It never
// returns a partly built model.
func compileGBDT(names []string, base float64, trees []treeSpec) (*GBDT, error) {
	if len(names) == 0 || len(names) > featureMask {
		return nil, fmt.Errorf("%w: %d features", ErrInvalidModel, len(names))
	}
	if math.IsNaN(base) || math.IsInf(base, 0) {
		return nil, fmt.Errorf("%w: base margin %v", ErrInvalidModel, base)
	}
	m := &GBDT{names: names, base: base, roots: make([]int32, 0, len(trees))}
	for k := range trees {
		s := &trees[k]
		order, err := s.check(len(names))
		if err != nil {
			return nil, fmt.Errorf("tree %d: %w", k, err)
		}
		if len(m.nodes)+len(order) > math.MaxInt32 {
			return nil, fmt.Errorf("%w: more than %d nodes", ErrInvalidModel, math.MaxInt32)
		}
		root := len(m.nodes)
		m.roots = append(m.roots, int32(root))
		// order is breadth-first and lists both children of a node together,
		// so the node at position p of order goes to root+p and the children
		// of every internal node are adjacent.
		pos := make(map[int]int, len(order))
		for p, i := range order {
			pos[i] = root + p
		}
		for _, i := range order {
			nd := node{value: s.Value[i]}
			if s.Left[i] >= 0 {
				nd = node{value: s.Threshold[i], left: int32(pos[s.Left[i]]), feature: uint32(s.Feature[i])}
				if s.MissingLeft[i] {
					nd.feature |= missingLeftBit
				}
			}
			m.nodes = append(m.nodes, nd)
			m.cover = append(m.cover, s.Cover[i])
		}
	}
	m.mean = nodeMeans(m.nodes, m.cover)
	m.fast = newPerfectForest(m)
	return m, nil
}

// nodeMeans returns every node's expected output: a leaf's value, or the
// cover-weighted mean of its children's (a plain mean when both covers are 0).
// Children always sit after their parent, so one backward pass suffices.
func nodeMeans(nodes []node, cover []float64) []float64 {
	mean := make([]float64, len(nodes))
	for i := len(nodes) - 1; i >= 0; i-- {
		nd := nodes[i]
		if nd.left == 0 {
			mean[i] = nd.value
			continue
		}
		l, r := int(nd.left), int(nd.left)+1
		if w := cover[l] + cover[r]; w > 0 {
			mean[i] = (cover[l]*mean[l] + cover[r]*mean[r]) / w
		} else {
			mean[i] = (mean[l] + mean[r]) / 2
		}
	}
	return mean
}

// FeatureNames returns the input names in the order Predict expects.
func (m *GBDT) FeatureNames() []string { return m.names }

// NumTrees returns the number of trees.
func (m *GBDT) NumTrees() int { return len(m.roots) }

// BaseMargin returns the margin before any tree is added.
func (m *GBDT) BaseMargin() float64 { return m.base }

// Predict returns the probability of fraud for x.
func (m *GBDT) Predict(x []float64) float64 { return sigmoid(m.Margin(x)) }

// Margin returns the log-odds of fraud for x: the base margin plus the leaf
// value reached in every tree, added in tree order.
func (m *GBDT) Margin(x []float64) float64 {
	_ = x[len(m.names)-1]
	if m.fast != nil {
		return m.fast.margin(m.base, x)
	}
	nodes := m.nodes
	sum := m.base
	for _, root := range m.roots {
		i := root
		for nodes[i].left != 0 {
			i = next(&nodes[i], x)
		}
		sum += nodes[i].value
	}
	return sum
}

// next returns the child of internal node nd that x goes to. The common
// case compiles to a conditional add rather than a branch: with random-looking
// inputs a branch mispredicts half the time and stalls the walk of the next
// tree, which the processor could otherwise overlap with this one.
func next(nd *node, x []float64) int32 {
	v := x[nd.feature&featureMask]
	j := nd.left
	if v >= nd.value {
		j++
	}
	if v != v { // missing: rare, so this branch predicts well
		j = nd.left + int32(nd.feature>>31^1)
	}
	return j
}

// specs returns the trees back in portable form, breadth-first numbered.
func (m *GBDT) specs() []treeSpec {
	out := make([]treeSpec, len(m.roots))
	for k, root := range m.roots {
		end := len(m.nodes)
		if k+1 < len(m.roots) {
			end = int(m.roots[k+1])
		}
		n := end - int(root)
		s := treeSpec{
			Feature: make([]int, n), Threshold: make([]float64, n),
			Left: make([]int, n), Right: make([]int, n), MissingLeft: make([]bool, n),
			Value: make([]float64, n), Cover: make([]float64, n),
		}
		for j := range n {
			nd := m.nodes[int(root)+j]
			s.Cover[j] = m.cover[int(root)+j]
			if nd.left == 0 {
				s.Left[j], s.Right[j], s.Value[j] = -1, -1, nd.value
				continue
			}
			s.Feature[j] = int(nd.feature & featureMask)
			s.Threshold[j] = nd.value
			s.MissingLeft[j] = nd.feature&missingLeftBit != 0
			s.Left[j] = int(nd.left - root)
			s.Right[j] = s.Left[j] + 1
			s.Value[j] = m.mean[int(root)+j]
		}
		out[k] = s
	}
	return out
}
