package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-fraud/vigil/internal/history"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/synth"
	"github.com/vigil-fraud/vigil/internal/training"
)

func init() {
	register(command{
		name:    "demo",
		summary: "run vigil end to end on the embedded default: synthetic history, features, model, report",
		run:     runDemo,
	})
}

const demoExample = `vigil demo
vigil demo --data-dir /tmp/vigil-demo --customers 5000 --days 90`

func runDemo(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "demo", "[flags]", demoExample)
	dir := fs.String("data-dir", "data/demo", "where the demo writes its history, model and report")
	customers := fs.Int("customers", 2000, "synthetic customers")
	terminals := fs.Int("terminals", 4000, "synthetic terminals")
	days := fs.Int("days", 60, "synthetic days (at least 36: some history, then a 7-day train, 7-day delay and 7-day test split)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic data and the model")
	addr := fs.String("addr", "127.0.0.1:8080", "where the demo serves the API (port 0: any free port)")
	rate := fs.Int("rate", 300, "live transactions sent per second")
	serveFor := fs.Duration("serve-for", -1, "how long to keep serving after the live traffic (negative: until interrupted; 0: stop at once)")
	noServe := fs.Bool("no-serve", false, "stop after the report: do not serve live traffic")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *days < 36 {
		fmt.Fprintln(e.stderr, "vigil demo: --days must be at least 36 (a month of history, then a 7-day test)")
		return errUsage
	}
	if err := os.MkdirAll(*dir, 0o750); err != nil {
		return err
	}
	began := time.Now()
	// The history ends today, so that the live day's decisions are recent and the demo's
	// 7-day retention keeps them.
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -*days)
	historyPath := filepath.Join(*dir, "history.csv")
	modelPath := filepath.Join(*dir, "model.json")
	reportPath := filepath.Join(*dir, "report.html")

	// 1. Synthetic history (classification=synthetic), written atomically.
	fmt.Fprintf(e.stdout, "1/5 generating %d days of synthetic payments for %d customers...\n", *days, *customers)
	g, err := synth.New(synth.Options{Customers: *customers, Terminals: *terminals, Days: *days, Start: start, Seed: *seed})
	if err != nil {
		return err
	}
	meta := history.Meta{"classification": "synthetic", "generator": "vigil-demo", "seed": fmt.Sprint(*seed),
		"start": start.Format(time.DateOnly), "days": fmt.Sprint(*days)}
	hf, err := history.Create(historyPath, history.LayoutCSV, meta)
	if err != nil {
		return err
	}
	defer hf.Abort()
	bar := newProgress(e.stderr, "generate", int64(*days), "days")
	sum, err := g.Run(ctx, func(r *history.Record) error { return hf.Write(r) }, func(day, _ int) { bar.Set(int64(day)) })
	if err != nil {
		return err
	}
	bar.Finish(int64(*days))
	if err := hf.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "    %d transactions, %d frauds (%.2f%%) -> %s\n", sum.Rows, sum.Frauds, 100*sum.FraudRate(), historyPath)

	// 2. Features: replay the history through the serving engine, keeping the last 21 days.
	testStart := start.AddDate(0, 0, *days-7)
	p := training.DefaultPeriod(testStart)
	fmt.Fprintln(e.stdout, "2/5 replaying the history through the feature engine...")
	table, err := collectTable(ctx, e.stderr, historyPath, p.TrainStart, p.TestEnd())
	if err != nil {
		return err
	}

	// 3. Train on the training week, evaluate on the test week (the handbook's protocol).
	fmt.Fprintf(e.stdout, "3/5 training gradient-boosted trees on %s...\n", p.TrainSpan())
	progress, done := trainProgress(e.stderr, model.GBDTOptions{}.WithDefaults().MaxTrees)
	f, err := training.Train(ctx, table, p, training.Options{GBDT: model.GBDTOptions{Seed: *seed}, Progress: progress, Source: historyPath})
	done()
	if err != nil {
		return err
	}
	res, err := training.Evaluate(ctx, table, p, f)
	if err != nil {
		return err
	}
	f.Metrics = map[string]float64{"auc_roc": res.Metrics.AUCROC, "average_precision": res.Metrics.AveragePrecision,
		"card_precision_at_100": res.Metrics.CardPrecisionAt100}
	key, err := signingKey(e)
	if err != nil {
		return err
	}
	if err := saveModel(modelPath, f, key); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "    model %s -> %s\n", f.Version(), modelPath)

	// 4. The report people read.
	fmt.Fprintf(e.stdout, "4/5 evaluating on %s...\n", p.TestSpan())
	folds := []training.Fold{{Model: f, Result: res}}
	rep := evaluateReport{Data: historyPath, Model: modelPath}
	rep.Mean, rep.Std = training.Summary(folds)
	rep.Folds = []foldReport{{Fold: 1, TrainPeriod: p.TrainSpan(), TestPeriod: p.TestSpan(), ModelVersion: f.Version(), Metrics: res.Metrics}}
	if err := writeReport(reportPath, historyPath, table, folds, rep); err != nil {
		return err
	}
	m := res.Metrics
	fmt.Fprintf(e.stdout, "    %d test transactions, %d frauds: AUC ROC %.3f, average precision %.3f, card precision@100 %.3f\n",
		m.Transactions, m.Frauds, m.AUCROC, m.AveragePrecision, m.CardPrecisionAt100)
	fmt.Fprintf(e.stdout, "    open %s to see the curves, score distributions and feature importance\n", reportPath)
	if *noServe {
		fmt.Fprintf(e.stdout, "\nDone in %.1fs.\n", time.Since(began).Seconds())
		fmt.Fprintln(e.stdout, "Next: vigil evaluate --data "+historyPath+" --test-start "+testStart.AddDate(0, 0, -7).Format(time.DateOnly)+" --folds 2")
		return nil
	}

	// 5. Serve the model and replay the last day as live traffic.
	return serveDemo(ctx, e, liveOptions{dir: *dir, history: historyPath, model: modelPath,
		liveStart: start.AddDate(0, 0, *days-1), addr: *addr, rate: *rate, serveFor: *serveFor})
}
