package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/renameio/v2"

	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/training"
)

func init() {
	register(command{
		name:    "train",
		summary: "train a model on a period of a history (features replayed through the serving engine)",
		run:     runTrain,
	})
}

const trainExample = `vigil train --data history.csv --train-start 2018-07-25 --train-days 7 --delay-days 7 --out model.json
VIGIL_MODEL_SIGNING_KEY_FILE=signing.key vigil train --data history.csv --train-start 2018-07-25 --out model.json --json`

type trainReport struct {
	Out            string             `json:"out"`
	ModelVersion   string             `json:"model_version"`
	Kind           string             `json:"kind"`
	Trees          int                `json:"trees,omitempty"`
	TrainPeriod    string             `json:"train_period"`
	TrainRows      int                `json:"train_rows"`
	TrainFrauds    int                `json:"train_frauds"`
	TestPeriod     string             `json:"test_period,omitempty"`
	Metrics        map[string]float64 `json:"metrics,omitempty"`
	Signed         bool               `json:"signed"`
	ReplaySeconds  float64            `json:"replay_seconds"`
	TrainSeconds   float64            `json:"train_seconds"`
	ElapsedSeconds float64            `json:"elapsed_seconds"`
}

func runTrain(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "train", "--data FILE --train-start DATE --out MODEL [flags]", trainExample)
	data := fs.String("data", "", "the history: vigil CSV, JSON Lines or the handbook's CSV (required)")
	out := fs.String("out", "", "the model file to write (required)")
	start := fs.String("train-start", "", "first training day, YYYY-MM-DD (required)")
	trainDays := fs.Int("train-days", 7, "training days")
	delayDays := fs.Int("delay-days", 7, "days between training and test whose labels are not known yet")
	testDays := fs.Int("test-days", 7, "days after the delay on which the model is evaluated and its metrics recorded (0: none)")
	tf := addTrainFlags(fs)
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(e.stderr, "vigil train: "+format+"\n", a...)
		return errUsage
	}
	if *data == "" || *out == "" || *start == "" {
		return usageErr("--data, --train-start and --out are required")
	}
	trainStart, err := parseDay("train-start", *start)
	if err != nil {
		return usageErr("%v", err)
	}
	if *trainDays < 1 || *delayDays < 0 || *testDays < 0 {
		return usageErr("--train-days must be >= 1, --delay-days and --test-days >= 0")
	}
	signKey, err := signingKey(e)
	if err != nil {
		return err
	}
	progress, done := trainProgress(e.stderr, *tf.trees)
	opts, err := tf.options(*data, progress)
	if err != nil {
		return usageErr("%v", err)
	}
	began := time.Now()
	p := training.Period{TrainStart: trainStart, TrainDays: *trainDays, DelayDays: *delayDays, TestDays: max(*testDays, 1)}
	end := p.TrainEnd()
	if *testDays > 0 {
		end = p.TestEnd()
	}
	table, err := collectTable(ctx, e.stderr, *data, trainStart, end)
	if err != nil {
		return err
	}
	replayed := time.Now()
	f, err := training.Train(ctx, table, p, opts)
	done()
	if err != nil {
		return err
	}
	trained := time.Now()
	rep := trainReport{Out: *out, Kind: string(f.Kind()), TrainPeriod: p.TrainSpan(),
		TrainRows: f.Training.Rows, TrainFrauds: f.Training.Positives}
	if g, ok := f.Model.(*model.GBDT); ok {
		rep.Trees = g.NumTrees()
	}
	if *testDays > 0 {
		res, err := training.Evaluate(ctx, table, p, f)
		if err != nil {
			fmt.Fprintf(e.stderr, "vigil train: no metrics recorded: %v\n", err)
		} else {
			f.Metrics = map[string]float64{
				"auc_roc": res.Metrics.AUCROC, "average_precision": res.Metrics.AveragePrecision,
				"card_precision_at_100": res.Metrics.CardPrecisionAt100,
			}
			rep.TestPeriod, rep.Metrics = p.TestSpan(), f.Metrics
		}
	}
	if err := saveModel(*out, f, signKey); err != nil {
		return err
	}
	rep.ModelVersion, rep.Signed = f.Version(), f.Signed
	rep.ReplaySeconds = replayed.Sub(began).Seconds()
	rep.TrainSeconds = trained.Sub(replayed).Seconds()
	rep.ElapsedSeconds = time.Since(began).Seconds()
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(rep)
	}
	fmt.Fprintf(e.stdout, "model %s written to %s (%s", rep.ModelVersion, rep.Out, rep.Kind)
	if rep.Trees > 0 {
		fmt.Fprintf(e.stdout, ", %d trees", rep.Trees)
	}
	fmt.Fprintf(e.stdout, ", signed: %v)\n", rep.Signed)
	fmt.Fprintf(e.stdout, "trained on %s: %d transactions, %d frauds\n", rep.TrainPeriod, rep.TrainRows, rep.TrainFrauds)
	if rep.Metrics != nil {
		fmt.Fprintf(e.stdout, "test %s: AUC ROC %.3f  average precision %.3f  card precision@100 %.3f\n", rep.TestPeriod,
			rep.Metrics["auc_roc"], rep.Metrics["average_precision"], rep.Metrics["card_precision_at_100"])
	}
	fmt.Fprintf(e.stdout, "replay %.1fs, training %.1fs, total %.1fs\n", rep.ReplaySeconds, rep.TrainSeconds, rep.ElapsedSeconds)
	return nil
}

// signingKey reads the Ed25519 private key models are signed with, if one is configured.
func signingKey(e env) ([]byte, error) {
	s, err := secretFromEnv(e, "VIGIL_MODEL_SIGNING_KEY")
	if err != nil || s == "" {
		return nil, err
	}
	k, err := model.ParsePrivateKey(s)
	if err != nil {
		return nil, fmt.Errorf("VIGIL_MODEL_SIGNING_KEY: %w", err)
	}
	return k, nil
}

// saveModel writes f to path atomically, signed when key is set.
func saveModel(path string, f *model.File, key []byte) error {
	pf, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o640))
	if err != nil {
		return err
	}
	defer pf.Cleanup()
	if err := model.Save(pf, f, model.SaveOptions{PrivateKey: key}); err != nil {
		return err
	}
	return pf.CloseAtomicallyReplace()
}
