package model

import (
	"math"
	"math/rand/v2"
	"slices"
)

// binSampleRows is how many rows at most are used to place the bin
// boundaries of each feature; more rows cost time and barely move quantiles.
const binSampleRows = 200_000

// binIndex is the bin of one value. uint16 holds up to 65536 bins (MaxBins
// 65535 plus the missing bin) at twice the memory of uint8; measured on the
// benchmark, one uint16 path is no slower than the former uint8 one, so there
// is only one.
type binIndex = uint16

// binner maps raw feature values to the bins the trainer works on.
//
// Bin 0 holds missing values (NaN). Value v goes to bin 1+#{k : cuts[k] <= v},
// so bin 1 holds v < cuts[0] and bin b holds cuts[b-2] <= v < cuts[b-1].
// Hence "bin <= b goes left" is exactly "v < cuts[b-1]", the predictor's rule,
// and a trained tree converts to raw thresholds without any loss.
type binner struct {
	cuts     [][]float64 // per feature: strictly increasing, finite
	maxValue []float64   // per feature: largest finite value seen (NaN if none)
	offset   []int       // feature f's histogram is hist[offset[f]:offset[f+1]]
}

// numBins returns the number of bins of feature f, the missing bin included.
func (b *binner) numBins(f int) int { return len(b.cuts[f]) + 2 }

// histSize is the number of binStats of a histogram over every feature.
func (b *binner) histSize() int { return b.offset[len(b.offset)-1] }

// bin returns the bin of value v of feature f.
func (b *binner) bin(f int, v float64) binIndex {
	if v != v {
		return 0
	}
	cuts := b.cuts[f]
	lo, hi := 0, len(cuts) // find the first cut > v
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cuts[m] <= v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return binIndex(lo + 1)
}

// fitBinner places at most maxBins-1 cuts per feature at quantiles of the
// finite values of d (of a seeded sample of rows when d is large).
func fitBinner(d *Dataset, maxBins int, seed uint64, workers int) *binner {
	nf := len(d.Names)
	b := &binner{
		cuts:     make([][]float64, nf),
		maxValue: make([]float64, nf),
	}
	rows := sampleRows(d.Rows, binSampleRows, seed)
	parallelFor(nf, workers, func(f int) {
		vals := make([]float64, 0, len(rows))
		for _, i := range rows {
			if v := d.X[i*nf+f]; v == v {
				vals = append(vals, v)
			}
		}
		b.cuts[f] = quantileCuts(vals, maxBins)
		maxV := math.NaN()
		for i := 0; i < d.Rows; i++ {
			if v := d.X[i*nf+f]; v == v && (maxV != maxV || v > maxV) {
				maxV = v
			}
		}
		b.maxValue[f] = maxV
	})
	b.offset = make([]int, nf+1)
	for f := range nf {
		b.offset[f+1] = b.offset[f] + b.numBins(f)
	}
	return b
}

// sampleRows returns all row indices when n <= limit, and otherwise a sorted
// seeded Bernoulli sample of about limit of them.
func sampleRows(n, limit int, seed uint64) []int {
	if n <= limit {
		rows := make([]int, n)
		for i := range rows {
			rows[i] = i
		}
		return rows
	}
	rng := rand.New(rand.NewPCG(seed, 0x62696e73)) // stream "bins"
	p := float64(limit) / float64(n)
	rows := make([]int, 0, limit+limit/10)
	for i := 0; i < n; i++ {
		if rng.Float64() < p {
			rows = append(rows, i)
		}
	}
	return rows
}

// quantileCuts sorts vals (finite values) in place and returns at most
// maxBins-1 strictly increasing cuts that split them into groups of roughly
// equal size. Every cut lies strictly above the largest value to its left and
// at or below the smallest value to its right, so a value that occurs often
// gets a bin of its own and distinct values are never merged needlessly.
func quantileCuts(vals []float64, maxBins int) []float64 {
	if len(vals) == 0 {
		return nil
	}
	slices.Sort(vals)
	// distinct values and their counts
	distinct := vals[:0:0]
	var counts []int
	for i, v := range vals {
		if i == 0 || v != vals[i-1] {
			distinct = append(distinct, v)
			counts = append(counts, 0)
		}
		counts[len(counts)-1]++
	}
	var cuts []float64
	if len(distinct) <= maxBins {
		cuts = make([]float64, 0, len(distinct)-1)
		for i := 1; i < len(distinct); i++ {
			cuts = append(cuts, cutBetween(distinct[i-1], distinct[i]))
		}
		return cuts
	}
	// Greedy equal-frequency binning: close a bin once it holds its share of
	// the values not yet binned, so one heavy value does not starve the rest.
	remaining, binsLeft, acc := len(vals), maxBins, 0
	for i := 0; i < len(distinct)-1 && binsLeft > 1; i++ {
		acc += counts[i]
		if float64(acc) >= float64(remaining)/float64(binsLeft) {
			cuts = append(cuts, cutBetween(distinct[i], distinct[i+1]))
			remaining -= acc
			acc = 0
			binsLeft--
		}
	}
	return cuts
}

// cutBetween returns a threshold t with a < t <= b, the midpoint when it is
// representable; a < b are finite.
func cutBetween(a, b float64) float64 {
	t := a/2 + b/2
	if !(t > a) || t > b {
		return b
	}
	return t
}

// transform returns d's values as bins, column-major: out[f*d.Rows+i] is the
// bin of feature f in row i.
func (b *binner) transform(d *Dataset, workers int) []binIndex {
	nf, n := len(d.Names), d.Rows
	out := make([]binIndex, nf*n)
	parallelFor(nf, workers, func(f int) {
		col := out[f*n : (f+1)*n]
		for i := range col {
			col[i] = b.bin(f, d.X[i*nf+f])
		}
	})
	return out
}
