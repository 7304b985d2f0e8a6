package model

import (
	"math"
	"math/bits"
)

// perfectMaxDepth and perfectMaxFeatures bound the models laid out as a
// perfectForest; others keep the pointer layout, whose size does not grow as
// 2^depth.
const (
	perfectMaxDepth    = 8
	perfectMaxFeatures = 256
	// perfectMaxPadding bounds the padded layout's nodes against the trees' own.
	perfectMaxPadding = 16
)

// perfectForest is the fast layout of a GBDT. Every tree is padded to the
// depth of the deepest one as a perfect binary tree in level order, so the
// children of node i are 2i+1 and 2i+2 and every walk takes exactly depth
// steps (a leaf above the bottom is padded with splits whose both sides lead
// to copies of it). Comparisons are done on integer sort keys (sortKey), so a
// step is a subtraction whose borrow picks the child: no data-dependent
// branch, and the walks of eight trees interleave. A branchy walk
// mispredicts half its comparisons on real data and serialises the trees.
type perfectForest struct {
	depth  int
	trees  int
	nodes  []perfectNode // (1<<depth)-1 per tree
	leaves []float64     // 1<<depth per tree
	// For reason codes: the expected output of each root, and for every
	// other position j (2<<depth-2 per tree, at j-1) the change in expected
	// output from j's parent to j.
	rootMean []float64
	delta    []float64
}

type perfectNode struct {
	key  uint64 // sortKey of the threshold: x goes right when sortKey(x) >= key
	slot uint16 // index in the keyTable: the feature, +256 when NaN goes left
	_    [6]byte
}

// keyTable holds the sort keys of one input: entry f for nodes that send a
// missing feature f right (NaN → MaxUint64, above every key), entry 256+f for
// nodes that send it left (NaN → 0, below every key of a finite threshold).
type keyTable [2 * perfectMaxFeatures]uint64

// sortKey maps float64 to uint64 so that a >= b exactly when sortKey(a) >=
// sortKey(b), for non-NaN a and b, -0 and +0 being equal.
func sortKey(v float64) uint64 {
	if v == 0 {
		v = 0 // -0 → +0
	}
	b := math.Float64bits(v)
	return b ^ (uint64(int64(b)>>63) | 1<<63)
}

func (t *keyTable) fill(x []float64) {
	for j, v := range x {
		k, l := sortKey(v), sortKey(v)
		if v != v {
			k, l = math.MaxUint64, 0
		}
		t[j&(perfectMaxFeatures-1)] = k
		t[perfectMaxFeatures+j&(perfectMaxFeatures-1)] = l
	}
}

// step returns the child of node i (level-order index) that the input with
// keys t goes to.
func step(n *perfectNode, i int, t *keyTable) int {
	_, borrow := bits.Sub64(t[n.slot&(2*perfectMaxFeatures-1)], n.key, 0)
	return 2*i + 2 - int(borrow)
}

// newPerfectForest lays out m's trees, or returns nil when m is too deep or
// has too many features.
func newPerfectForest(m *GBDT) *perfectForest {
	if len(m.names) > perfectMaxFeatures {
		return nil
	}
	depth := 0
	for k := range m.roots {
		depth = max(depth, m.treeDepth(k))
	}
	if depth > perfectMaxDepth {
		return nil
	}
	ni, nl := 1<<depth-1, 1<<depth
	// Every tree is padded to the deepest one's full shape. A file of one deep tree and many
	// small ones would make that hundreds of times the model's size (a 2 MB file, 236 MB):
	// such a forest keeps the pointer layout.
	if (ni+nl)*len(m.roots) > perfectMaxPadding*len(m.nodes)+1<<16 {
		return nil
	}
	p := &perfectForest{
		depth:    depth,
		trees:    len(m.roots),
		nodes:    make([]perfectNode, ni*len(m.roots)),
		leaves:   make([]float64, nl*len(m.roots)),
		rootMean: make([]float64, len(m.roots)),
		delta:    make([]float64, (ni+nl-1)*len(m.roots)),
	}
	mean := make([]float64, ni+nl) // one tree's expected outputs, level order
	for k, root := range m.roots {
		p.fill(m, k, int(root), 0, 0, mean)
		p.rootMean[k] = mean[0]
		for j := 1; j < ni+nl; j++ {
			p.delta[k*(ni+nl-1)+j-1] = mean[j] - mean[(j-1)/2]
		}
	}
	return p
}

// fill places pointer-layout node src at level-order position pos of tree
// k, and its expected output at mean[pos].
func (p *perfectForest) fill(m *GBDT, k, src, pos, level int, mean []float64) {
	ni := 1<<p.depth - 1
	mean[pos] = m.mean[src]
	if level == p.depth {
		p.leaves[k*(ni+1)+pos-ni] = m.nodes[src].value
		return
	}
	nd := m.nodes[src]
	if nd.left == 0 { // a leaf above the bottom: pad with a split of no effect
		p.fill(m, k, src, 2*pos+1, level+1, mean)
		p.fill(m, k, src, 2*pos+2, level+1, mean)
		return
	}
	slot := uint16(nd.feature & featureMask)
	if nd.feature&missingLeftBit != 0 {
		slot += perfectMaxFeatures
	}
	p.nodes[k*ni+pos] = perfectNode{key: sortKey(nd.value), slot: slot}
	p.fill(m, k, int(nd.left), 2*pos+1, level+1, mean)
	p.fill(m, k, int(nd.left)+1, 2*pos+2, level+1, mean)
}

// treeDepth returns the depth of tree k (0 for a single leaf).
func (m *GBDT) treeDepth(k int) int {
	type item struct{ node, depth int }
	stack := []item{{int(m.roots[k]), 0}}
	deepest := 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		deepest = max(deepest, it.depth)
		if l := int(m.nodes[it.node].left); l != 0 {
			stack = append(stack, item{l, it.depth + 1}, item{l + 1, it.depth + 1})
		}
	}
	return deepest
}

// walk8 returns the level-order leaf positions (in [ni, 2ni]) that the
// input reaches in the eight trees whose nodes are n. The trees are walked
// side by side (a0..a7 are positions within the block) so that their
// independent loads and comparisons overlap.
func (p *perfectForest) walk8(n []perfectNode, t *keyTable) [8]int {
	ni := 1<<p.depth - 1
	n = n[:8*ni]
	a0, a1, a2, a3, a4, a5, a6, a7 := 0, ni, 2*ni, 3*ni, 4*ni, 5*ni, 6*ni, 7*ni
	for range p.depth {
		a0 = step(&n[a0], a0, t)
		a1 = step(&n[a1], a1-ni, t) + ni
		a2 = step(&n[a2], a2-2*ni, t) + 2*ni
		a3 = step(&n[a3], a3-3*ni, t) + 3*ni
		a4 = step(&n[a4], a4-4*ni, t) + 4*ni
		a5 = step(&n[a5], a5-5*ni, t) + 5*ni
		a6 = step(&n[a6], a6-6*ni, t) + 6*ni
		a7 = step(&n[a7], a7-7*ni, t) + 7*ni
	}
	return [8]int{a0, a1 - ni, a2 - 2*ni, a3 - 3*ni, a4 - 4*ni, a5 - 5*ni, a6 - 6*ni, a7 - 7*ni}
}

// walk1 returns the level-order leaf position the input reaches in tree k.
func (p *perfectForest) walk1(k int, t *keyTable) int {
	ni := 1<<p.depth - 1
	n := p.nodes[k*ni : (k+1)*ni]
	i := 0
	for range p.depth {
		i = step(&n[i], i, t)
	}
	return i
}

// margin returns base plus every tree's leaf for x, added in tree order.
// It is walk8 written out in place: the hot path, and about 10% faster so.
func (p *perfectForest) margin(base float64, x []float64) float64 {
	var t keyTable
	t.fill(x)
	ni, nl := 1<<p.depth-1, 1<<p.depth
	sum := base
	k := 0
	for ; k+8 <= p.trees; k += 8 {
		n := p.nodes[k*ni : (k+8)*ni]
		a0, a1, a2, a3, a4, a5, a6, a7 := 0, ni, 2*ni, 3*ni, 4*ni, 5*ni, 6*ni, 7*ni
		for range p.depth {
			a0 = step(&n[a0], a0, &t)
			a1 = step(&n[a1], a1-ni, &t) + ni
			a2 = step(&n[a2], a2-2*ni, &t) + 2*ni
			a3 = step(&n[a3], a3-3*ni, &t) + 3*ni
			a4 = step(&n[a4], a4-4*ni, &t) + 4*ni
			a5 = step(&n[a5], a5-5*ni, &t) + 5*ni
			a6 = step(&n[a6], a6-6*ni, &t) + 6*ni
			a7 = step(&n[a7], a7-7*ni, &t) + 7*ni
		}
		// a_b - b*ni is a level-order position in [ni, 2ni]: leaf a_b - (b+1)*ni.
		l := p.leaves[k*nl : (k+8)*nl]
		sum += l[a0-ni]
		sum += l[nl+a1-2*ni]
		sum += l[2*nl+a2-3*ni]
		sum += l[3*nl+a3-4*ni]
		sum += l[4*nl+a4-5*ni]
		sum += l[5*nl+a5-6*ni]
		sum += l[6*nl+a6-7*ni]
		sum += l[7*nl+a7-8*ni]
	}
	for ; k < p.trees; k++ {
		sum += p.leaves[k*nl+p.walk1(k, &t)-ni]
	}
	return sum
}

// explain is GBDT.Explain on this layout: it finds the leaves as margin
// does (adding them up in the same order, so the margin is identical), then
// climbs each path crediting the precomputed changes in expected output to
// the parents' features. Padding splits credit exactly 0. Consecutive trees
// credit separate accumulators, summed at the end: a single one would chain
// every credit to a feature through the previous one (the root features
// recur in nearly every tree), and that chain was the bottleneck.
func (p *perfectForest) explain(base float64, x, contrib []float64) (margin, bias float64) {
	var t keyTable
	t.fill(x)
	var acc [4][perfectMaxFeatures]float64
	ni, nl := 1<<p.depth-1, 1<<p.depth
	margin, bias = base, base
	k := 0
	for ; k+8 <= p.trees; k += 8 {
		pos := p.walk8(p.nodes[k*ni:], &t)
		for b, j := range pos {
			margin += p.leaves[(k+b)*nl+j-ni]
			p.credit(k+b, j, &acc[b&3])
		}
	}
	for ; k < p.trees; k++ {
		j := p.walk1(k, &t)
		margin += p.leaves[k*nl+j-ni]
		p.credit(k, j, &acc[k&3])
	}
	for f := range contrib {
		contrib[f] = (acc[0][f&(perfectMaxFeatures-1)] + acc[1][f&(perfectMaxFeatures-1)]) +
			(acc[2][f&(perfectMaxFeatures-1)] + acc[3][f&(perfectMaxFeatures-1)])
	}
	for _, m := range p.rootMean {
		bias += m
	}
	return margin, bias
}

// credit adds to acc the changes along the path of tree k to position j.
func (p *perfectForest) credit(k, j int, acc *[perfectMaxFeatures]float64) {
	ni := 1<<p.depth - 1
	n := p.nodes[k*ni : (k+1)*ni]
	delta := p.delta[k*2*ni : (k+1)*2*ni]
	for j > 0 {
		parent := int(uint(j-1) >> 1)
		acc[n[parent].slot%perfectMaxFeatures] += delta[j-1]
		j = parent
	}
}
