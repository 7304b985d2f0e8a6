package training

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature/featuretest"
	"github.com/vigil-fraud/vigil/internal/history"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/synth"
)

var start = time.Date(2018, 4, 1, 0, 0, 0, 0, time.UTC)

// smallHistory is a handbook-like history small enough for the race detector: 60 days.
func smallHistory(t *testing.T) []history.Record {
	t.Helper()
	g, err := synth.New(synth.Options{Customers: 600, Terminals: 1200, Days: 60, Start: start, Seed: 3, Scenarios: synth.Handbook})
	if err != nil {
		t.Fatal(err)
	}
	var recs []history.Record
	if _, err := g.Run(context.Background(), func(r *history.Record) error {
		recs = append(recs, *r)
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestCollectKeepsTheSpanAndReplaysEverything(t *testing.T) {
	recs := smallHistory(t)
	from, to := start.AddDate(0, 0, 30), start.AddDate(0, 0, 40)
	tab, err := Collect(context.Background(), featuretest.NewReader(recs), CollectOptions{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, r := range recs {
		if !r.Timestamp.Before(from) && r.Timestamp.Before(to) {
			want++
		}
	}
	if tab.Rows() != want || tab.Replay.Records != int64(len(recs)) {
		t.Fatalf("rows %d (want %d), replayed %d (want %d)", tab.Rows(), want, tab.Replay.Records, len(recs))
	}
	if len(tab.X) != tab.Rows()*len(tab.Names) {
		t.Fatalf("X has %d values for %d rows of %d features", len(tab.X), tab.Rows(), len(tab.Names))
	}
	for _, d := range tab.Day {
		if d < DayNumber(from) || d >= DayNumber(to) {
			t.Fatalf("row of day %d outside the span", d)
		}
	}
	if _, err := Collect(context.Background(), featuretest.NewReader(recs), CollectOptions{From: start.AddDate(1, 0, 0), To: start.AddDate(1, 0, 7)}); err == nil {
		t.Fatal("a span with no transaction must be an error")
	}
}

func TestTrainAndEvaluateFollowTheProtocol(t *testing.T) {
	recs := smallHistory(t)
	first := DefaultPeriod(start.AddDate(0, 0, 35))
	tab, err := Collect(context.Background(), featuretest.NewReader(recs), CollectOptions{From: first.TrainStart, To: first.Shift(1).TestEnd()})
	if err != nil {
		t.Fatal(err)
	}
	folds, err := Folds(context.Background(), tab, FoldsOptions{First: first, Folds: 2,
		Train: Options{GBDT: model.GBDTOptions{MaxTrees: 40, Seed: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	for k, f := range folds {
		r := f.Result
		if r.Period != first.Shift(k) {
			t.Errorf("fold %d period %+v", k, r.Period)
		}
		// Every test-day transaction is scored; the metrics' rows are the ones left after
		// excluding known-compromised customers, a subset.
		testDays := 0
		for _, d := range tab.Day {
			if d >= DayNumber(r.Period.TestStart()) && d < DayNumber(r.Period.TestEnd()) {
				testDays++
			}
		}
		if len(r.AllRows) != testDays || len(r.AllScores) != testDays {
			t.Errorf("fold %d scored %d of %d test-day rows", k, len(r.AllRows), testDays)
		}
		if len(r.Rows) >= len(r.AllRows) || len(r.Rows) == 0 {
			t.Errorf("fold %d: %d rows after exclusion of %d: known compromised customers must be excluded", k, len(r.Rows), len(r.AllRows))
		}
		m := r.Metrics
		// On the handbook's scenarios a trained model must beat chance (AUC 0.5, AP = fraud
		// rate ~0.03 here) by far, even on this small history.
		if m.AUCROC < 0.65 || m.AveragePrecision < 0.2 || m.CardPrecisionAt100 <= 0 {
			t.Errorf("fold %d metrics too weak to be a working model: %+v", k, m)
		}
		for _, s := range r.AllScores {
			if !(s >= 0 && s <= 1) {
				t.Fatalf("score %v outside [0,1]", s)
			}
		}
		if f.Model.Training.Rows == 0 || f.Model.Training.Positives == 0 {
			t.Errorf("fold %d training summary empty: %+v", k, f.Model.Training)
		}
	}
	mean, std := Summary(folds)
	wantMean := (folds[0].Result.Metrics.AUCROC + folds[1].Result.Metrics.AUCROC) / 2
	if math.Abs(mean.AUCROC-wantMean) > 1e-12 {
		t.Errorf("mean AUC %v, want %v", mean.AUCROC, wantMean)
	}
	wantStd := math.Abs(folds[0].Result.Metrics.AUCROC-folds[1].Result.Metrics.AUCROC) / math.Sqrt2
	if math.Abs(std.AUCROC-wantStd) > 1e-12 {
		t.Errorf("std AUC %v, want the sample std %v", std.AUCROC, wantStd)
	}

	// A model evaluated again on the same period gives the same figures (evaluation is
	// deterministic), and a logistic baseline trains on the same table.
	again, err := Evaluate(context.Background(), tab, first, folds[0].Model)
	if err != nil {
		t.Fatal(err)
	}
	if again.Metrics != folds[0].Result.Metrics {
		t.Errorf("re-evaluation differs: %+v vs %+v", again.Metrics, folds[0].Result.Metrics)
	}
	if _, err := Train(context.Background(), tab, first, Options{Kind: model.KindLogistic}); err != nil {
		t.Errorf("logistic: %v", err)
	}
}

func TestProjectionAcceptsHandbookNamesAndRefusesUnknown(t *testing.T) {
	f := &model.File{Features: []model.Feature{{Name: "TX_AMOUNT"}, {Name: "terminal_risk_7d", Version: "1"}}}
	p, err := ProjectionFor(f)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, len(ModelFeatures()))
	for i := range x {
		x[i] = float64(i)
	}
	got := p.Apply(x, nil)
	if len(got) != 2 || got[0] != 0 || got[1] != 12 { // amount is feature 0, terminal_risk_7d feature 12
		t.Fatalf("projection = %v", got)
	}
	if p.Identity() {
		t.Error("a two-feature projection is not the identity")
	}
	f.Features = append(f.Features, model.Feature{Name: "shoe_size"})
	if _, err := ProjectionFor(f); err == nil {
		t.Error("an unknown feature must be refused")
	}
	f.Features = []model.Feature{{Name: "amount", Version: "99"}}
	if _, err := ProjectionFor(f); err == nil {
		t.Error("a feature of another definition version must be refused")
	}
	full := &model.File{Features: ModelFeatures()}
	if p, err := ProjectionFor(full); err != nil || !p.Identity() {
		t.Errorf("the engine's own features must project to the identity: %v", err)
	}
}

func TestDayNumber(t *testing.T) {
	if DayNumber(start) != 17622 || !DayTime(17622).Equal(start) {
		t.Fatalf("DayNumber(2018-04-01) = %d", DayNumber(start))
	}
	if DayNumber(start.Add(23*time.Hour+59*time.Minute)) != 17622 {
		t.Fatal("same day, later hour")
	}
}
