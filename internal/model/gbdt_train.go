package model

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// trainer holds the state of one TrainGBDT call.
type trainer struct {
	o          GBDTOptions
	rows       int
	binner     *binner
	bins       []binIndex // column-major: bins[f*rows+i]
	grad, hess []float64
	gh         []gradPair // a node's gradients, gathered in row order
	work, tmp  []int32    // the rows growing the current tree, partitioned by node
	splitBuf   []split
	pool       histPool
	workers    int
}

// TrainGBDT trains gradient-boosted trees for binary log-loss on train.
//
// When valid is not nil (it must have the same feature names) its log-loss,
// or AUC, is tracked every round; with early stopping enabled, training stops
// after o.EarlyStoppingRounds rounds without improvement and the returned
// model keeps the trees of the best round. progress, when not nil, is called
// after every round on the calling goroutine.
//
// The result is bit-identical for the same data, options and Seed whatever
// o.Workers and GOMAXPROCS are. Errors wrap ErrInvalidData for bad input and
// ctx.Err() when ctx ends first.
func TrainGBDT(ctx context.Context, train, valid *Dataset, o GBDTOptions, progress func(Progress)) (*GBDT, error) {
	m, _, err := trainGBDT(ctx, train, valid, o, progress)
	return m, err
}

// trainGBDT is TrainGBDT that also returns the trainer's own margins of the
// training rows after the last round, which tests compare with the predictor.
func trainGBDT(ctx context.Context, train, valid *Dataset, o GBDTOptions, progress func(Progress)) (*GBDT, []float64, error) {
	o = o.WithDefaults()
	if err := o.validate(); err != nil {
		return nil, nil, err
	}
	if err := train.Validate(); err != nil {
		return nil, nil, fmt.Errorf("training set: %w", err)
	}
	if train.Rows > math.MaxInt32 {
		return nil, nil, fmt.Errorf("%w: %d training rows, at most %d", ErrInvalidData, train.Rows, math.MaxInt32)
	}
	var validLabels []bool
	if valid != nil {
		if err := valid.Validate(); err != nil {
			return nil, nil, fmt.Errorf("validation set: %w", err)
		}
		if !sameNames(train.Names, valid.Names) {
			return nil, nil, fmt.Errorf("%w: validation features differ from training features", ErrInvalidData)
		}
		validLabels = valid.Labels()
		if o.EarlyStoppingMetric == MetricAUC && !bothClasses(validLabels) {
			return nil, nil, fmt.Errorf("%w: validation set needs both classes for AUC", ErrInvalidData)
		}
	}
	n := train.Rows
	// Class-weighted row weights drive the gradients.
	cw := make([]float64, n)
	var sumW, sumWY float64
	for i := range cw {
		cw[i] = train.weight(i)
		if train.Y[i] == 1 {
			cw[i] *= o.ScalePosWeight
			sumWY += cw[i]
		}
		sumW += cw[i]
	}
	if !(sumWY > 0 && sumWY < sumW) {
		return nil, nil, fmt.Errorf("%w: training set needs weighted rows of both classes", ErrInvalidData)
	}
	base := logit(sumWY / sumW)

	t := &trainer{
		o:        o,
		rows:     n,
		workers:  o.Workers,
		grad:     make([]float64, n),
		hess:     make([]float64, n),
		gh:       make([]gradPair, n),
		work:     make([]int32, 0, n),
		tmp:      make([]int32, 0, n),
		splitBuf: make([]split, len(train.Names)),
	}
	t.binner = fitBinner(train, o.MaxBins, o.Seed, t.workers)
	t.pool = histPool{size: t.binner.histSize()}
	t.bins = t.binner.transform(train, t.workers)

	margin := make([]float64, n)
	for i := range margin {
		margin[i] = base
	}
	t.gradients(train, margin, cw)
	var vm []float64
	if valid != nil {
		vm = make([]float64, valid.Rows)
		for i := range vm {
			vm[i] = base
		}
	}

	var trees []treeSpec
	var rest []int32
	bestIter, bestScore := 0, math.Inf(-1)
	for it := range o.MaxTrees {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("train gbdt: %w", err)
		}
		rest = t.sampleRows(it, rest[:0])
		g := t.growTree(t.sampleFeatures(it, len(train.Names)))
		for _, lf := range g.leaves {
			v := g.spec.Value[lf.node]
			for _, r := range t.work[lf.start:lf.end] {
				margin[r] += v
			}
		}
		for _, r := range rest {
			margin[r] += g.spec.Value[g.leafOf(t, int(r))]
		}
		trees = append(trees, g.spec)
		p := Progress{
			Iteration:     it + 1,
			MaxIterations: o.MaxTrees,
			TrainLoss:     t.gradients(train, margin, cw),
			ValidLoss:     math.NaN(),
			ValidAUC:      math.NaN(),
			BestIteration: it + 1,
		}
		if valid != nil {
			p.ValidLoss = addTree(valid, vm, &g.spec, t.workers)
			score := -p.ValidLoss
			if o.EarlyStoppingMetric == MetricAUC {
				p.ValidAUC = aucOf(validLabels, vm)
				score = p.ValidAUC
			}
			if score > bestScore {
				bestIter, bestScore = it+1, score
			}
			p.BestIteration = bestIter
			p.Stopped = o.EarlyStoppingRounds > 0 && it+1-bestIter >= o.EarlyStoppingRounds
		}
		if progress != nil {
			progress(p)
		}
		if p.Stopped {
			break
		}
	}
	if valid != nil && o.EarlyStoppingRounds > 0 {
		trees = trees[:bestIter]
	}
	m, err := compileGBDT(train.Names, base, trees)
	if err != nil {
		return nil, nil, fmt.Errorf("train gbdt: compile: %w", err)
	}
	return m, margin, nil
}

// gradients sets t.grad and t.hess from the margins and returns the mean
// log-loss of the margins (data weights only). Rows are processed in fixed
// chunks whose partial sums are added in order, for determinism.
func (t *trainer) gradients(d *Dataset, margin, cw []float64) float64 {
	nc := chunks(t.rows)
	loss, wsum := make([]float64, nc), make([]float64, nc)
	parallelFor(nc, t.workers, func(c int) {
		lo, hi := chunkRange(c, t.rows)
		var l, ws float64
		for i := lo; i < hi; i++ {
			m, y := margin[i], d.Y[i]
			// One exponential serves both the probability and the loss.
			e := math.Exp(-math.Abs(m))
			p := 1 / (1 + e)
			if m < 0 {
				p = e / (1 + e)
			}
			t.grad[i] = cw[i] * (p - y)
			t.hess[i] = cw[i] * max(p*(1-p), 1e-16)
			w := d.weight(i)
			l += w * (max(m, 0) + math.Log1p(e) - y*m)
			ws += w
		}
		loss[c], wsum[c] = l, ws
	})
	return sumRatio(loss, wsum)
}

// addTree adds tree's outputs to the validation margins vm and returns their
// mean log-loss.
func addTree(d *Dataset, vm []float64, tree *treeSpec, workers int) float64 {
	nf := len(d.Names)
	nc := chunks(d.Rows)
	loss, wsum := make([]float64, nc), make([]float64, nc)
	parallelFor(nc, workers, func(c int) {
		lo, hi := chunkRange(c, d.Rows)
		var l, ws float64
		for i := lo; i < hi; i++ {
			vm[i] += tree.Value[tree.leafOf(d.X[i*nf:(i+1)*nf])]
			w := d.weight(i)
			l += w * logLossMargin(vm[i], d.Y[i])
			ws += w
		}
		loss[c], wsum[c] = l, ws
	})
	return sumRatio(loss, wsum)
}

func sumRatio(num, den []float64) float64 {
	var a, b float64
	for i := range num {
		a += num[i]
		b += den[i]
	}
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// logLossMargin is the log-loss of margin m for label y, computed stably:
// log(1+e^m) - y*m.
func logLossMargin(m, y float64) float64 {
	return max(m, 0) + math.Log1p(math.Exp(-math.Abs(m))) - y*m
}

// sampleRows fills t.work with the rows that grow tree it, in ascending
// order, and appends the others to rest.
func (t *trainer) sampleRows(it int, rest []int32) []int32 {
	t.work = t.work[:0]
	if t.o.Subsample >= 1 {
		for i := range t.rows {
			t.work = append(t.work, int32(i))
		}
		return rest
	}
	rng := rand.New(rand.NewPCG(t.o.Seed, uint64(it)<<1))
	for i := range t.rows {
		if rng.Float64() < t.o.Subsample {
			t.work = append(t.work, int32(i))
		} else {
			rest = append(rest, int32(i))
		}
	}
	return rest
}

// sampleFeatures returns the features tree it may split on, ascending.
func (t *trainer) sampleFeatures(it, nf int) []int {
	k := max(1, int(math.Round(t.o.ColSample*float64(nf))))
	if k >= nf {
		feats := make([]int, nf)
		for i := range feats {
			feats[i] = i
		}
		return feats
	}
	rng := rand.New(rand.NewPCG(t.o.Seed, uint64(it)<<1|1))
	feats := rng.Perm(nf)[:k]
	slices.Sort(feats)
	return feats
}

func bothClasses(labels []bool) bool {
	var pos, neg bool
	for _, l := range labels {
		pos, neg = pos || l, neg || !l
	}
	return pos && neg
}
