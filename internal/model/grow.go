package model

import (
	"container/heap"
	"fmt"
)

// grownTree is a tree fresh from the trainer: the portable spec, plus the bin
// of each split (to route training rows without raw values) and the rows of
// each leaf.
type grownTree struct {
	spec   treeSpec
	bin    []int
	leaves []leafRows
}

// leafRows is a leaf and the rows of the growing sample that reached it.
type leafRows struct {
	node       int
	start, end int
}

func (g *grownTree) addNode() int {
	s := &g.spec
	s.Feature = append(s.Feature, 0)
	s.Threshold = append(s.Threshold, 0)
	s.Left = append(s.Left, -1)
	s.Right = append(s.Right, -1)
	s.MissingLeft = append(s.MissingLeft, false)
	s.Value = append(s.Value, 0)
	s.Cover = append(s.Cover, 0)
	g.bin = append(g.bin, 0)
	return len(g.bin) - 1
}

// leafOf returns the leaf that row r of the training data reaches, routing on
// bins, which is equivalent to routing on raw values by construction.
func (g *grownTree) leafOf(t *trainer, r int) int {
	s, i := &g.spec, 0
	for s.Left[i] >= 0 {
		b := t.bins[s.Feature[i]*t.rows+r]
		if (b == 0 && s.MissingLeft[i]) || (b != 0 && int(b) <= g.bin[i]) {
			i = s.Left[i]
		} else {
			i = s.Right[i]
		}
	}
	return i
}

// growNode is an open leaf during growth.
type growNode struct {
	id         int
	start, end int // its rows are t.work[start:end]
	depth      int
	sum        binStat
	hist       hist
	split      split
}

// openLeaves is a max-heap of splittable leaves by gain, lowest id first on
// ties, so growth order (and with MaxLeaves, the tree) is deterministic.
type openLeaves []*growNode

func (h openLeaves) Len() int { return len(h) }
func (h openLeaves) Less(i, j int) bool {
	if h[i].split.gain != h[j].split.gain {
		return h[i].split.gain > h[j].split.gain
	}
	return h[i].id < h[j].id
}
func (h openLeaves) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *openLeaves) Push(x any)   { *h = append(*h, x.(*growNode)) }
func (h *openLeaves) Pop() any {
	old := *h
	n := old[len(old)-1]
	*h = old[:len(old)-1]
	return n
}

// growTree grows one tree best-first on the rows in t.work (which it
// reorders) using the features in feats. Without MaxLeaves the result is the
// same as level-wise growth to MaxDepth, since each leaf's split depends only
// on its own rows.
func (t *trainer) growTree(feats []int) *grownTree {
	g := &grownTree{}
	rows := t.work
	var total binStat
	for _, r := range rows {
		total.g += t.grad[r]
		total.h += t.hess[r]
		total.n++
	}
	root := &growNode{id: g.addNode(), end: len(rows), sum: total}
	var open openLeaves
	if t.splittable(root) {
		root.hist = t.pool.get()
		t.buildHist(root.hist, rows, feats)
	}
	t.consider(g, &open, root, feats)
	leaves := 1
	for open.Len() > 0 && (t.o.MaxLeaves == 0 || leaves < t.o.MaxLeaves) {
		t.applySplit(g, &open, heap.Pop(&open).(*growNode), feats)
		leaves++
	}
	for _, nd := range open {
		t.pool.put(nd.hist)
		t.makeLeaf(g, nd)
	}
	return g
}

// splittable reports whether a leaf may still be split at all, before its
// histogram is worth building.
func (t *trainer) splittable(nd *growNode) bool {
	return nd.depth < t.o.MaxDepth && nd.sum.n >= 2 && nd.sum.h >= 2*t.o.MinChildWeight
}

// consider finds the best split of nd (whose histogram is built, or nil when
// it cannot split) and either opens it or closes it as a leaf.
func (t *trainer) consider(g *grownTree, open *openLeaves, nd *growNode, feats []int) {
	g.spec.Cover[nd.id] = nd.sum.h
	if nd.hist != nil {
		nd.split = t.findSplit(nd.hist, nd.sum, feats)
		if nd.split.valid() {
			heap.Push(open, nd)
			return
		}
		t.pool.put(nd.hist)
		nd.hist = nil
	}
	t.makeLeaf(g, nd)
}

func (t *trainer) makeLeaf(g *grownTree, nd *growNode) {
	g.spec.Value[nd.id] = t.leafValue(nd.sum)
	g.leaves = append(g.leaves, leafRows{node: nd.id, start: nd.start, end: nd.end})
}

// applySplit splits nd, partitioning its rows stably (so every child keeps
// rows in ascending order), builds the smaller child's histogram from rows and
// derives the larger one's by subtraction from the parent.
func (t *trainer) applySplit(g *grownTree, open *openLeaves, nd *growNode, feats []int) {
	s := nd.split
	id := nd.id
	g.spec.Feature[id] = s.feature
	g.spec.Threshold[id] = t.threshold(s)
	g.spec.MissingLeft[id] = s.missingLeft
	g.bin[id] = s.bin

	rows := t.work[nd.start:nd.end]
	col := t.bins[s.feature*t.rows : (s.feature+1)*t.rows]
	nl, tmp := 0, t.tmp[:0]
	for _, r := range rows {
		if s.goesLeft(col[r]) {
			rows[nl] = r
			nl++
		} else {
			tmp = append(tmp, r)
		}
	}
	copy(rows[nl:], tmp)
	if nl != int(s.left.n) {
		panic(fmt.Sprintf("model: split sent %d rows left, histogram said %v", nl, s.left.n))
	}

	l, r := g.addNode(), g.addNode()
	g.spec.Left[id], g.spec.Right[id] = l, r
	lc := &growNode{id: l, start: nd.start, end: nd.start + nl, depth: nd.depth + 1, sum: s.left}
	rc := &growNode{id: r, start: nd.start + nl, end: nd.end, depth: nd.depth + 1, sum: s.right}
	small, large := lc, rc
	if rc.end-rc.start < lc.end-lc.start {
		small, large = rc, lc
	}
	needSmall, needLarge := t.splittable(small), t.splittable(large)
	if needSmall || needLarge {
		small.hist = t.pool.get()
		t.buildHist(small.hist, t.work[small.start:small.end], feats)
		if needLarge {
			t.subtractHist(nd.hist, small.hist, feats)
			large.hist, nd.hist = nd.hist, nil
		}
		if !needSmall {
			t.pool.put(small.hist)
			small.hist = nil
		}
	}
	t.pool.put(nd.hist)
	nd.hist = nil
	t.consider(g, open, lc, feats)
	t.consider(g, open, rc, feats)
}
