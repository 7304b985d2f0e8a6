package model

// Explain writes into contrib (len(FeatureNames()) elements) each feature's
// contribution to the margin of x by path attribution (Saabas): walking x's
// path in every tree, the change in the node's expected output at each split
// is credited to the split's feature. It returns Margin(x), exactly, and the
// bias: the base margin plus every root's expected output. bias + Σ contrib
// equals the margin up to floating-point rounding, since along a path the
// changes telescope to the leaf value minus the root's expected output.
// One call costs about as much as two Predict calls.
func (m *GBDT) Explain(x, contrib []float64) (margin, bias float64) {
	_ = x[len(m.names)-1]
	contrib = contrib[:len(m.names)]
	clear(contrib)
	if m.fast != nil {
		return m.fast.explain(m.base, x, contrib)
	}
	nodes, mean := m.nodes, m.mean
	margin, bias = m.base, m.base
	for _, root := range m.roots {
		i := root
		bias += mean[i]
		for nodes[i].left != 0 {
			j := next(&nodes[i], x)
			contrib[nodes[i].feature&featureMask] += mean[j] - mean[i]
			i = j
		}
		margin += nodes[i].value
	}
	return margin, bias
}

// Reason is one reason code: a feature and how much it moved the margin.
type Reason struct {
	Feature      int     `json:"feature"` // index in FeatureNames()
	Name         string  `json:"name"`
	Contribution float64 `json:"contribution"` // in log-odds
}

// TopReasons returns, in dst[:0], the at most k features with the largest
// positive contributions (those that pushed the score towards fraud),
// largest first, lower feature index first on ties; names[f] names feature f
// and must be as long as contrib. It does not allocate when cap(dst) >= k.
func TopReasons(names []string, contrib []float64, k int, dst []Reason) []Reason {
	dst = dst[:0]
	if k <= 0 {
		return dst
	}
	for f, c := range contrib {
		if !(c > 0) {
			continue
		}
		if len(dst) == k && c <= dst[k-1].Contribution {
			continue
		}
		if len(dst) < k {
			dst = append(dst, Reason{})
		}
		// insert keeping dst sorted, moving smaller ones down
		p := len(dst) - 1
		for p > 0 && dst[p-1].Contribution < c {
			dst[p] = dst[p-1]
			p--
		}
		dst[p] = Reason{Feature: f, Name: names[f], Contribution: c}
	}
	return dst
}
