package model

import "math"

// split is a candidate split of a node: rows whose bin of feature is in
// 1..bin go left, bin 0 (missing) goes left when missingLeft. bin equal to
// the feature's last bin means "every value left, missing right".
type split struct {
	gain        float64
	feature     int
	bin         int
	missingLeft bool
	left, right binStat
}

func (s split) valid() bool { return s.feature >= 0 }

var noSplit = split{feature: -1}

// leafScore is the reduction in regularised loss a leaf with these sums
// achieves, G²/(H+λ); half of the difference of scores is a split's gain.
func (t *trainer) leafScore(s binStat) float64 {
	d := s.h + t.o.Lambda
	if d <= 0 {
		return 0
	}
	return s.g * s.g / d
}

// leafValue is the optimal leaf output -G/(H+λ), scaled by the learning rate.
func (t *trainer) leafValue(s binStat) float64 {
	d := s.h + t.o.Lambda
	if d <= 0 {
		return 0
	}
	return -s.g / d * t.o.LearningRate
}

// findSplit returns the best split of a node with histogram h and sums total
// over the features in feats, or noSplit. Features are searched in parallel
// into separate slots and compared in the order of feats, lowest index
// winning ties, so the choice never depends on scheduling.
func (t *trainer) findSplit(h hist, total binStat, feats []int) split {
	best := t.splitBuf[:len(feats)]
	workers := t.workers
	if int(total.n)*len(feats) < minParallelWork*4 {
		workers = 1
	}
	parentScore := t.leafScore(total)
	parallelFor(len(feats), workers, func(k int) {
		best[k] = t.bestSplitOf(feats[k], t.feature(h, feats[k]), total, parentScore)
	})
	out := noSplit
	for _, s := range best {
		if s.valid() && (!out.valid() || s.gain > out.gain) {
			out = s
		}
	}
	return out
}

// bestSplitOf scans the bins of feature f (histogram fh) once per direction
// of the missing values and returns the best admissible split or noSplit.
// Empty bins are skipped: a split after one sends the same rows each way as
// the split before it, which already won or lost; its sums could differ only
// by the rounding residue histogram subtraction leaves in an empty bin.
func (t *trainer) bestSplitOf(f int, fh []binStat, total binStat, parentScore float64) split {
	nb := len(fh)
	miss := fh[0]
	best := noSplit
	consider := func(left binStat, bin int, missingLeft bool) {
		right := total.sub(left)
		if left.n < 1 || right.n < 1 || left.h < t.o.MinChildWeight || right.h < t.o.MinChildWeight {
			return
		}
		gain := 0.5*(t.leafScore(left)+t.leafScore(right)-parentScore) - t.o.Gamma
		if gain > minGain && (!best.valid() || gain > best.gain) {
			best = split{gain: gain, feature: f, bin: bin, missingLeft: missingLeft, left: left, right: right}
		}
	}
	// Missing values right (or none in this node).
	var left binStat
	for b := 1; b <= nb-2; b++ {
		if fh[b].n == 0 {
			continue
		}
		left.add(fh[b])
		consider(left, b, false)
	}
	if miss.n > 0 {
		// Missing values left.
		left = miss
		for b := 1; b <= nb-2; b++ {
			if fh[b].n == 0 {
				continue
			}
			left.add(fh[b])
			consider(left, b, true)
		}
		// Every value left, missing right, with threshold MaxFloat64 so that
		// unseen large values go left too; every training value must be below it.
		if mx := t.binner.maxValue[f]; !math.IsNaN(mx) && mx < math.MaxFloat64 {
			consider(total.sub(miss), nb-1, false)
		}
	} else if best.valid() {
		// No missing value here to learn from: send future ones to the side
		// that holds more of the node's weight.
		best.missingLeft = best.left.h >= best.right.h
	}
	return best
}

// minGain is the smallest gain worth a split; below it, a "gain" is rounding
// noise between nearly identical children.
const minGain = 1e-12

// threshold returns the raw-value threshold equivalent to s: a value v goes
// left exactly when v < threshold, as it does in bins.
func (t *trainer) threshold(s split) float64 {
	cuts := t.binner.cuts[s.feature]
	if s.bin-1 < len(cuts) {
		return cuts[s.bin-1]
	}
	return math.MaxFloat64 // the missing-vs-values split
}

// goesLeft reports whether a row in bin b of the split feature goes left.
func (s split) goesLeft(b binIndex) bool {
	if b == 0 {
		return s.missingLeft
	}
	return int(b) <= s.bin
}
