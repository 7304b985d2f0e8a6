package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/google/renameio/v2"

	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/report"
	"github.com/vigil-fraud/vigil/internal/training"
)

func init() {
	register(command{
		name:    "evaluate",
		summary: "evaluate a model (or train and evaluate per fold) with the fraud handbook's protocol",
		run:     runEvaluate,
	})
}

const evaluateExample = `vigil evaluate --model model.json --data history.csv --test-start 2018-08-08 --test-days 7 --json
vigil evaluate --data history.csv --folds 4 --test-start 2018-08-08 --json --report report.html --scores-out scores.csv`

// handbookBaselines are the Fraud Detection Handbook's published test figures (mean of 4
// folds, tuned), shown beside vigil's.
var handbookBaselines = []report.Baseline{
	{Name: "XGBoost", Source: "handbook, published", Metrics: report.Metrics{AUCROC: 0.869, AveragePrecision: 0.687, CardPrecisionAt100: 0.303, HasCardPrecision: true}},
	{Name: "random forest", Source: "handbook, published", Metrics: report.Metrics{AUCROC: 0.870, AveragePrecision: 0.678, CardPrecisionAt100: 0.299, HasCardPrecision: true}},
	{Name: "logistic regression", Source: "handbook, published", Metrics: report.Metrics{AUCROC: 0.868, AveragePrecision: 0.623, CardPrecisionAt100: 0.297, HasCardPrecision: true}},
}

type foldReport struct {
	Fold         int    `json:"fold"`
	TrainPeriod  string `json:"train_period"`
	TestPeriod   string `json:"test_period"`
	ModelVersion string `json:"model_version,omitempty"`
	training.Metrics
}

type evaluateReport struct {
	Data           string           `json:"data"`
	Model          string           `json:"model,omitempty"`
	Folds          []foldReport     `json:"folds"`
	Mean           training.Metrics `json:"mean"`
	Std            training.Metrics `json:"std"`
	ElapsedSeconds float64          `json:"elapsed_seconds"`
}

func runEvaluate(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "evaluate", "--data FILE --test-start DATE [--model MODEL | --folds N] [flags]", evaluateExample)
	data := fs.String("data", "", "the history: vigil CSV, JSON Lines or the handbook's CSV (required)")
	modelPath := fs.String("model", "", "the model to evaluate; without it each fold trains one with the flags below")
	start := fs.String("test-start", "", "first test day of the first fold, YYYY-MM-DD (required)")
	folds := fs.Int("folds", 1, "number of folds; each next fold is a week later")
	testDays := fs.Int("test-days", 7, "test days per fold")
	trainDays := fs.Int("train-days", 7, "training days per fold (when training)")
	delayDays := fs.Int("delay-days", 7, "days between training and test whose labels are not known yet")
	scoresOut := fs.String("scores-out", "", "write fold,transaction_id,score for every transaction of every test period (before exclusions)")
	reportOut := fs.String("report", "", "write a self-contained HTML report (curves, histograms, importance, metrics)")
	tf := addTrainFlags(fs)
	asJSON := fs.Bool("json", false, "print the results as one JSON object on the last line")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(e.stderr, "vigil evaluate: "+format+"\n", a...)
		return errUsage
	}
	if *data == "" || *start == "" {
		return usageErr("--data and --test-start are required")
	}
	testStart, err := parseDay("test-start", *start)
	if err != nil {
		return usageErr("%v", err)
	}
	if *folds < 1 || *folds > 52 || *testDays < 1 || *trainDays < 1 || *delayDays < 0 {
		return usageErr("--folds must be 1-52, --test-days and --train-days >= 1, --delay-days >= 0")
	}
	progress, done := trainProgress(e.stderr, *tf.trees)
	opts, err := tf.options(*data, progress)
	if err != nil {
		return usageErr("%v", err)
	}
	var given *model.File
	if *modelPath != "" {
		if given, err = loadModel(e, *modelPath); err != nil {
			return err
		}
		if _, err := training.ProjectionFor(given); err != nil {
			return fmt.Errorf("%s: %w", *modelPath, err)
		}
	}
	began := time.Now()
	first := training.Period{TrainStart: testStart.AddDate(0, 0, -(*trainDays + *delayDays)),
		TrainDays: *trainDays, DelayDays: *delayDays, TestDays: *testDays}
	last := first.Shift(*folds - 1)
	table, err := collectTable(ctx, e.stderr, *data, first.TrainStart, last.TestEnd())
	if err != nil {
		return err
	}
	results, err := training.Folds(ctx, table, training.FoldsOptions{
		First: first, Folds: *folds, Model: given, Train: opts,
		OnFold: func(k int, f training.Fold) {
			done()
			m := f.Result.Metrics
			fmt.Fprintf(e.stderr, "fold %d: test %s  AUC ROC %.3f  AP %.3f  CP@100 %.3f\n",
				k+1, f.Result.Period.TestSpan(), m.AUCROC, m.AveragePrecision, m.CardPrecisionAt100)
			progress, done = trainProgress(e.stderr, *tf.trees)
			opts.Progress = progress
		},
	})
	if err != nil {
		return err
	}
	rep := evaluateReport{Data: *data, Model: *modelPath}
	rep.Mean, rep.Std = training.Summary(results)
	for k, f := range results {
		rep.Folds = append(rep.Folds, foldReport{Fold: k + 1, TrainPeriod: f.Result.Period.TrainSpan(),
			TestPeriod: f.Result.Period.TestSpan(), ModelVersion: modelVersion(f.Model), Metrics: f.Result.Metrics})
	}
	if *scoresOut != "" {
		if err := writeScores(*scoresOut, table, results); err != nil {
			return err
		}
	}
	if *reportOut != "" {
		if err := writeReport(*reportOut, *data, table, results, rep); err != nil {
			return err
		}
	}
	rep.ElapsedSeconds = time.Since(began).Seconds()
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(rep)
	}
	fmt.Fprintf(e.stdout, "%-6s %-24s %8s %8s %8s %8s\n", "fold", "test", "txns", "AUC", "AP", "CP@100")
	for _, f := range rep.Folds {
		fmt.Fprintf(e.stdout, "%-6d %-24s %8d %8.3f %8.3f %8.3f\n", f.Fold, f.TestPeriod, f.Transactions, f.AUCROC, f.AveragePrecision, f.CardPrecisionAt100)
	}
	fmt.Fprintf(e.stdout, "%-6s %-24s %8s %8.3f %8.3f %8.3f\n", "mean", "", "", rep.Mean.AUCROC, rep.Mean.AveragePrecision, rep.Mean.CardPrecisionAt100)
	fmt.Fprintf(e.stdout, "%-6s %-24s %8s %8.3f %8.3f %8.3f\n", "std", "", "", rep.Std.AUCROC, rep.Std.AveragePrecision, rep.Std.CardPrecisionAt100)
	fmt.Fprintf(e.stdout, "elapsed %.1fs\n", rep.ElapsedSeconds)
	return nil
}

func modelVersion(f *model.File) string {
	if f == nil {
		return ""
	}
	if v := f.Version(); v != "" {
		return v
	}
	return string(f.Kind()) + " (not saved)"
}

// loadModel reads and verifies a model file: its SHA-256 always, its signature when
// VIGIL_MODEL_PUBKEY (or VIGIL_MODEL_PUBKEY_FILE) is set.
func loadModel(e env, path string) (*model.File, error) {
	var lo model.LoadOptions
	s, err := config.Secret(e.getenv, config.ModelPublicKeyVar)
	if err != nil {
		return nil, err
	}
	if s != "" {
		pub, err := model.ParsePublicKey(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", config.ModelPublicKeyVar, err)
		}
		lo.PublicKey = pub
	}
	fh, err := os.Open(path) // #nosec G304 -- the operator names the model file
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, err := model.Load(fh, lo)
	if err != nil {
		return nil, fmt.Errorf("%s: refused: %w", path, err)
	}
	return f, nil
}

// writeScores writes every test transaction's score, before exclusions, atomically.
func writeScores(path string, t *training.Table, folds []training.Fold) error {
	pf, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o640))
	if err != nil {
		return err
	}
	defer pf.Cleanup()
	w := bufio.NewWriter(pf)
	w.WriteString("fold,transaction_id,score\n")
	for k, f := range folds {
		for j, i := range f.Result.AllRows {
			w.WriteString(strconv.Itoa(k + 1))
			w.WriteByte(',')
			w.WriteString(t.ID[i])
			w.WriteByte(',')
			w.WriteString(strconv.FormatFloat(f.Result.AllScores[j], 'g', 17, 64))
			w.WriteByte('\n')
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return pf.CloseAtomicallyReplace()
}

// writeReport renders the HTML model report atomically.
func writeReport(path, data string, t *training.Table, folds []training.Fold, rep evaluateReport) error {
	m := report.Model{
		Title:     "vigil model report",
		Generated: time.Now(),
		Synthetic: t.Classification == "synthetic",
		Mean:      toReportMetrics(rep.Mean),
		Std:       toReportMetrics(rep.Std),
		Baselines: handbookBaselines,
	}
	first := folds[0].Model
	m.ModelFields = append(m.ModelFields, report.Field{Name: "model", Value: rep.Folds[0].ModelVersion},
		report.Field{Name: "kind", Value: string(first.Kind())}, report.Field{Name: "features", Value: strconv.Itoa(len(first.Features))})
	if g, ok := first.Model.(*model.GBDT); ok {
		m.ModelFields = append(m.ModelFields, report.Field{Name: "trees (fold 1)", Value: strconv.Itoa(g.NumTrees())})
	}
	if o := first.GBDTOptions; o != nil {
		m.ModelFields = append(m.ModelFields, report.Field{Name: "hyper-parameters",
			Value: fmt.Sprintf("max trees %d, depth %d, learning rate %g, lambda %g, min child weight %g, subsample %g, colsample %g, early stopping %d",
				o.MaxTrees, o.MaxDepth, o.LearningRate, o.Lambda, o.MinChildWeight, o.Subsample, o.ColSample, o.EarlyStoppingRounds)})
	}
	m.DataFields = []report.Field{
		{Name: "history", Value: data}, {Name: "classification", Value: cmp.Or(t.Classification, "not stated")},
		{Name: "transactions replayed", Value: strconv.FormatInt(t.Replay.Records, 10)},
		{Name: "labels fed to the feature state", Value: strconv.FormatInt(t.Replay.Labels, 10)},
		{Name: "rows in the evaluated span", Value: strconv.Itoa(t.Rows())},
	}
	importance := make([]float64, len(folds[0].Result.Importance))
	for _, f := range folds {
		m.Folds = append(m.Folds, report.Fold{Name: fmt.Sprintf("fold %d", len(m.Folds)+1),
			TrainPeriod: f.Result.Period.TrainSpan(), TestPeriod: f.Result.Period.TestSpan(), Metrics: toReportMetrics(f.Result.Metrics)})
		roc := make([]report.Point, len(f.Result.ROC))
		for i, p := range f.Result.ROC {
			roc[i] = report.Point{X: p.FPR, Y: p.TPR}
		}
		pr := make([]report.Point, len(f.Result.PR))
		for i, p := range f.Result.PR {
			pr[i] = report.Point{X: p.Recall, Y: p.Precision}
		}
		name := fmt.Sprintf("fold %d", len(m.Folds))
		m.ROC = append(m.ROC, report.Curve{Name: name, Points: roc})
		m.PR = append(m.PR, report.Curve{Name: name, Points: pr})
		for k, i := range f.Result.Rows {
			if t.Fraud[i] {
				m.Fraud = append(m.Fraud, f.Result.Scores[k])
			} else {
				m.Legit = append(m.Legit, f.Result.Scores[k])
			}
		}
		if len(f.Result.Importance) == len(importance) {
			for j, v := range f.Result.Importance {
				importance[j] += v
			}
		}
	}
	var total float64
	for _, v := range importance {
		total += v
	}
	for j, v := range importance {
		if total > 0 {
			m.Importance = append(m.Importance, report.Bar{Name: first.Features[j].Name, Value: v / total})
		}
	}
	sort.SliceStable(m.Importance, func(a, b int) bool { return m.Importance[a].Value > m.Importance[b].Value })
	pf, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o640))
	if err != nil {
		return err
	}
	defer pf.Cleanup()
	if err := report.WriteModel(pf, m); err != nil {
		return err
	}
	return pf.CloseAtomicallyReplace()
}

func toReportMetrics(m training.Metrics) report.Metrics {
	return report.Metrics{AUCROC: m.AUCROC, AveragePrecision: m.AveragePrecision, CardPrecisionAt100: m.CardPrecisionAt100,
		Transactions: m.Transactions, Frauds: m.Frauds, HasCardPrecision: true}
}
