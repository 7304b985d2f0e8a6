package model

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
)

// fullTrees returns a model of n complete trees of the given depth over nf
// features with random splits: every prediction walks depth nodes per tree,
// the worst case for that depth.
func fullTrees(n, depth, nf int, seed uint64) *GBDT {
	rng := rand.New(rand.NewPCG(seed, 1))
	names := make([]string, nf)
	for j := range names {
		names[j] = string(rune('a'+j%26)) + string(rune('a'+j/26))
	}
	specs := make([]treeSpec, n)
	for k := range specs {
		var s treeSpec
		size := 1<<(depth+1) - 1
		for i := range size {
			internal := i < 1<<depth-1
			s.Feature = append(s.Feature, rng.IntN(nf))
			s.Threshold = append(s.Threshold, rng.NormFloat64())
			s.MissingLeft = append(s.MissingLeft, rng.IntN(2) == 0)
			s.Cover = append(s.Cover, 1)
			if internal {
				s.Left, s.Right = append(s.Left, 2*i+1), append(s.Right, 2*i+2)
				s.Value = append(s.Value, 0)
			} else {
				s.Left, s.Right = append(s.Left, -1), append(s.Right, -1)
				s.Value = append(s.Value, rng.NormFloat64()*0.1)
			}
		}
		specs[k] = s
	}
	m, err := compileGBDT(names, -4.8, specs)
	if err != nil {
		panic(err)
	}
	return m
}

// benchRows returns standard-normal rows for benchmarks.
func benchRows(n, nf int) [][]float64 {
	rng := rand.New(rand.NewPCG(5, 5))
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = make([]float64, nf)
		for j := range rows[i] {
			rows[i][j] = rng.NormFloat64()
		}
	}
	return rows
}

func BenchmarkPredict(b *testing.B) {
	m := fullTrees(300, 6, 25, 1)
	rows := benchRows(1024, 25)
	b.ReportAllocs()
	var sink float64
	i := 0
	for b.Loop() {
		sink += m.Predict(rows[i&1023])
		i++
	}
	_ = sink
}

func BenchmarkPredictWithReasons(b *testing.B) {
	m := fullTrees(300, 6, 25, 1)
	rows := benchRows(1024, 25)
	contrib := make([]float64, 25)
	reasons := make([]Reason, 0, 5)
	b.ReportAllocs()
	var sink float64
	i := 0
	for b.Loop() {
		margin, _ := m.Explain(rows[i&1023], contrib)
		sink += Probability(margin)
		reasons = TopReasons(m.FeatureNames(), contrib, 5, reasons)
		i++
	}
	_ = sink
}

func BenchmarkPredictLogistic(b *testing.B) {
	m, err := TrainLogistic(context.Background(), synthetic(20_000, 25, 1), LogisticOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rows := benchRows(1024, 25)
	b.ReportAllocs()
	var sink float64
	i := 0
	for b.Loop() {
		sink += m.Predict(rows[i&1023])
		i++
	}
	_ = sink
}

// BenchmarkTrainGBDT trains the default model (300 trees, depth 6, 4096 bins,
// no early stopping) on 100,000 synthetic rows of 25 features.
func BenchmarkTrainGBDT(b *testing.B) {
	d := synthetic(100_000, 25, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := TrainGBDT(context.Background(), d, nil, GBDTOptions{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainGBDTMaxBins is BenchmarkTrainGBDT with coarser bins (the
// default is 4096). Every synthetic feature but one has 100,000 distinct
// values and so gets all its bins: for many bins, the worst case of histogram
// clearing, subtraction and split search.
func BenchmarkTrainGBDTMaxBins(b *testing.B) {
	d := synthetic(100_000, 25, 1)
	for _, bins := range []int{255, 1024} {
		b.Run(strconv.Itoa(bins), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := TrainGBDT(context.Background(), d, nil, GBDTOptions{MaxBins: bins}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTrainLogistic(b *testing.B) {
	d := synthetic(100_000, 25, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := TrainLogistic(context.Background(), d, LogisticOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
