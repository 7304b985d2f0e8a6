package model

// binStat sums the gradient, hessian and row count of the rows in one bin (or
// one node). Counts are whole numbers, exact in float64, so subtracting them
// is exact too.
type binStat struct{ g, h, n float64 }

func (s *binStat) add(o binStat) { s.g += o.g; s.h += o.h; s.n += o.n }

func (s binStat) sub(o binStat) binStat { return binStat{s.g - o.g, s.h - o.h, s.n - o.n} }

// hist is a node's histogram over every feature, flat: feature f's bins are
// h[offset[f]:offset[f+1]] (see binner.offset), so a feature with few
// distinct values costs few bins. Only the features sampled for the current
// tree are filled in.
type hist []binStat

// feature returns the histogram of feature f, one binStat per bin.
func (t *trainer) feature(h hist, f int) []binStat {
	off := t.binner.offset
	return h[off[f]:off[f+1]]
}

// gradPair is a row's gradient and hessian, gathered side by side so the
// histogram loop reads one stream.
type gradPair struct{ g, h float64 }

// histPool recycles node histograms; a tree needs at most one per open leaf.
type histPool struct {
	size int // binStats per histogram
	free []hist
}

func (p *histPool) get() hist {
	if n := len(p.free); n > 0 {
		h := p.free[n-1]
		p.free = p.free[:n-1]
		return h
	}
	return make(hist, p.size)
}

func (p *histPool) put(h hist) {
	if h != nil {
		p.free = append(p.free, h)
	}
}

// minParallelWork is the rows*features product below which a histogram is
// built on the calling goroutine: handing out tiny pieces costs more than it saves.
const minParallelWork = 1 << 15

// buildHist fills h, for the features in feats, from rows (a node's rows). It
// first gathers the rows' gradients into contiguous buffers, then each
// feature's histogram is accumulated in row order by exactly one goroutine,
// so the result is the same for any number of workers.
func (t *trainer) buildHist(h hist, rows []int32, feats []int) {
	gh := t.gh[:len(rows)]
	for i, r := range rows {
		gh[i] = gradPair{t.grad[r], t.hess[r]}
	}
	workers := t.workers
	if len(rows)*len(feats) < minParallelWork {
		workers = 1
	}
	n := t.rows
	parallelFor(len(feats), workers, func(k int) {
		f := feats[k]
		fh := t.feature(h, f)
		clear(fh)
		col := t.bins[f*n : (f+1)*n]
		for i, r := range rows {
			s, p := &fh[col[r]], gh[i]
			s.g += p.g
			s.h += p.h
			s.n++
		}
	})
}

// subtractHist turns parent into the histogram of its other child by
// subtracting the histogram of one child (the histogram subtraction trick:
// only the smaller child is ever built from rows).
func (t *trainer) subtractHist(parent, child hist, feats []int) {
	for _, f := range feats {
		p, c := t.feature(parent, f), t.feature(child, f)
		c = c[:len(p)]
		for b := range p {
			p[b] = p[b].sub(c[b])
		}
	}
}
