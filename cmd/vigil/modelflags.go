package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/vigil-fraud/vigil/internal/history"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/training"
)

// trainFlags are the model-fitting flags train and evaluate share.
type trainFlags struct {
	kind                                          *string
	trees, depth, leaves, bins, earlyStop         *int
	eta, lambda, gamma, minChild, sub, col, scale *float64
	seed                                          *uint64
	validFrac                                     *float64
}

func addTrainFlags(fs *flag.FlagSet) *trainFlags {
	d := model.GBDTOptions{}.WithDefaults()
	return &trainFlags{
		kind:      fs.String("kind", "gbdt", "model family: gbdt (gradient-boosted trees) or logistic (the baseline)"),
		trees:     fs.Int("trees", d.MaxTrees, "GBDT: boosting rounds at most"),
		depth:     fs.Int("depth", d.MaxDepth, "GBDT: maximum tree depth"),
		leaves:    fs.Int("leaves", 0, "GBDT: maximum leaves per tree (0: depth only)"),
		bins:      fs.Int("bins", d.MaxBins, "GBDT: histogram bins per feature, 2-65535 (finer bins split sparse tails exactly)"),
		earlyStop: fs.Int("early-stopping", d.EarlyStoppingRounds, "GBDT: stop after this many rounds without validation gain (negative: never)"),
		eta:       fs.Float64("learning-rate", d.LearningRate, "GBDT: learning rate (eta)"),
		lambda:    fs.Float64("lambda", d.Lambda, "GBDT: L2 regularisation of leaf values"),
		gamma:     fs.Float64("gamma", d.Gamma, "GBDT: minimum split gain"),
		minChild:  fs.Float64("min-child-weight", d.MinChildWeight, "GBDT: minimum hessian sum of a child"),
		sub:       fs.Float64("subsample", d.Subsample, "GBDT: share of rows drawn per tree"),
		col:       fs.Float64("colsample", d.ColSample, "GBDT: share of features drawn per tree"),
		scale:     fs.Float64("scale-pos-weight", d.ScalePosWeight, "GBDT: weight of fraud rows"),
		seed:      fs.Uint64("seed", 1, "seed of sampling and of the validation split: same data and seed, same model"),
		validFrac: fs.Float64("valid-fraction", 0.2, "GBDT: share of training customers held out for early stopping (0: none)"),
	}
}

func (f *trainFlags) options(source string, progress func(model.Progress)) (training.Options, error) {
	kind := model.Kind(*f.kind)
	if kind != model.KindGBDT && kind != model.KindLogistic {
		return training.Options{}, fmt.Errorf("--kind must be gbdt or logistic, got %q", *f.kind)
	}
	valid := *f.validFrac
	if valid == 0 {
		valid = -1
	}
	if valid >= 1 {
		return training.Options{}, fmt.Errorf("--valid-fraction must be below 1, got %v", *f.validFrac)
	}
	return training.Options{
		Kind: kind,
		GBDT: model.GBDTOptions{
			MaxTrees: *f.trees, MaxDepth: *f.depth, MaxLeaves: *f.leaves, MaxBins: *f.bins,
			EarlyStoppingRounds: *f.earlyStop, LearningRate: *f.eta, Lambda: *f.lambda, Gamma: *f.gamma,
			MinChildWeight: *f.minChild, Subsample: *f.sub, ColSample: *f.col, ScalePosWeight: *f.scale, Seed: *f.seed,
		},
		ValidFraction: valid,
		Progress:      progress,
		Source:        source,
	}, nil
}

// parseDay reads a YYYY-MM-DD flag value as a UTC midnight.
func parseDay(name, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s must be a date like 2018-08-08, got %q", name, s)
	}
	return t, nil
}

// collectTable replays the history at path and keeps the rows of [from, to), showing progress.
func collectTable(ctx context.Context, stderr io.Writer, path string, from, to time.Time) (*training.Table, error) {
	r, err := history.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	bar := newProgress(stderr, "replay ", 0, "transactions")
	t, err := training.Collect(ctx, r, training.CollectOptions{From: from, To: to, Progress: bar.Set})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	bar.Finish(t.Replay.Records)
	t.Classification = r.Meta().Classification()
	return t, nil
}

// trainProgress draws the boosting rounds as a bar.
func trainProgress(stderr io.Writer, maxTrees int) (func(model.Progress), func()) {
	bar := newProgress(stderr, "train  ", int64(maxTrees), "trees")
	last := int64(0)
	return func(p model.Progress) {
			last = int64(p.Iteration)
			bar.Set(last)
		}, func() {
			bar.Finish(last)
		}
}
