package training

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/vigil-fraud/vigil/internal/model"
)

// Period places one train/test split in days, as the handbook does: TrainDays of training
// from TrainStart, then DelayDays whose labels are not known yet, then TestDays of test.
type Period struct {
	TrainStart time.Time
	TrainDays  int
	DelayDays  int
	TestDays   int
}

// DefaultPeriod returns the handbook's 7/7/7 split whose test starts on testStart.
func DefaultPeriod(testStart time.Time) Period {
	return Period{TrainStart: testStart.AddDate(0, 0, -14), TrainDays: 7, DelayDays: 7, TestDays: 7}
}

// TestStart returns the first test day.
func (p Period) TestStart() time.Time { return p.TrainStart.AddDate(0, 0, p.TrainDays+p.DelayDays) }

// TestEnd returns the day after the last test day.
func (p Period) TestEnd() time.Time { return p.TestStart().AddDate(0, 0, p.TestDays) }

// TrainEnd returns the day after the last training day.
func (p Period) TrainEnd() time.Time { return p.TrainStart.AddDate(0, 0, p.TrainDays) }

// Shift returns p moved by weeks weeks.
func (p Period) Shift(weeks int) Period {
	p.TrainStart = p.TrainStart.AddDate(0, 0, 7*weeks)
	return p
}

func (p Period) validate() error {
	if p.TrainDays < 1 || p.DelayDays < 0 || p.TestDays < 1 {
		return fmt.Errorf("period needs at least 1 training day, 0 delay days and 1 test day, got %d/%d/%d",
			p.TrainDays, p.DelayDays, p.TestDays)
	}
	return nil
}

func span(from, to time.Time) string {
	return from.Format(time.DateOnly) + " .. " + to.AddDate(0, 0, -1).Format(time.DateOnly)
}

// TrainSpan and TestSpan describe the periods in words ("2018-07-25 .. 2018-07-31").
func (p Period) TrainSpan() string { return span(p.TrainStart, p.TrainEnd()) }

// TestSpan describes the test period.
func (p Period) TestSpan() string { return span(p.TestStart(), p.TestEnd()) }

// split returns the handbook's training rows and test rows (after excluding customers known
// to be compromised) of p within t.
func (t *Table) split(p Period) (train, test []int, err error) {
	if err := p.validate(); err != nil {
		return nil, nil, err
	}
	train, test, err = model.TrainTestSplit(t.Day, t.Customer, t.Fraud, model.TrainTestOptions{
		StartDay: DayNumber(p.TrainStart), TrainDays: p.TrainDays, DelayDays: p.DelayDays, TestDays: p.TestDays,
	})
	if err != nil {
		return nil, nil, err
	}
	if len(train) == 0 {
		return nil, nil, fmt.Errorf("no transaction in the training period %s", p.TrainSpan())
	}
	return train, test, nil
}

// Options configure Train.
type Options struct {
	Kind     model.Kind // gbdt (default) or logistic
	GBDT     model.GBDTOptions
	Logistic model.LogisticOptions
	// ValidFraction is the share of training customers held out for early stopping
	// (default 0.2; negative: none). The split is by customer so one compromised card's
	// transactions never sit on both sides.
	ValidFraction float64
	// Progress receives the GBDT's progress.
	Progress func(model.Progress)
	Source   string // the history's name, recorded in the model file
}

// Train fits a model on the training period of p and returns it as a model file (not yet
// saved). The file records the features with their versions, the data summary and the
// hyper-parameters.
func Train(ctx context.Context, t *Table, p Period, o Options) (*model.File, error) {
	rows, _, err := t.split(p)
	if err != nil {
		return nil, err
	}
	if o.Kind == "" {
		o.Kind = model.KindGBDT
	}
	frac := o.ValidFraction
	if frac == 0 {
		frac = 0.2
	}
	fitRows, validRows := rows, []int(nil)
	if frac > 0 && o.Kind == model.KindGBDT {
		fitRows, validRows = splitByCustomer(t, rows, frac, o.GBDT.Seed)
	}
	train := t.Dataset(fitRows)
	positives := 0
	for _, y := range train.Y {
		positives += int(y)
	}
	if positives == 0 {
		return nil, fmt.Errorf("no fraud in the training period %s: nothing to learn from", p.TrainSpan())
	}
	f := &model.File{
		Features: ModelFeatures(),
		Training: model.TrainingSummary{Rows: len(rows), Positives: countFraud(t, rows),
			From: p.TrainStart, To: p.TrainEnd(), Source: o.Source},
	}
	switch o.Kind {
	case model.KindGBDT:
		var valid *model.Dataset
		if len(validRows) > 0 {
			valid = t.Dataset(validRows)
		}
		m, err := model.TrainGBDT(ctx, train, valid, o.GBDT, o.Progress)
		if err != nil {
			return nil, err
		}
		opts := o.GBDT.WithDefaults()
		f.Model, f.GBDTOptions = m, &opts
	case model.KindLogistic:
		m, err := model.TrainLogistic(ctx, t.Dataset(rows), o.Logistic)
		if err != nil {
			return nil, err
		}
		opts := o.Logistic.WithDefaults()
		f.Model, f.LogisticOptions = m, &opts
	default:
		return nil, fmt.Errorf("unknown model kind %q (want gbdt or logistic)", o.Kind)
	}
	return f, nil
}

func countFraud(t *Table, rows []int) int {
	n := 0
	for _, i := range rows {
		if t.Fraud[i] {
			n++
		}
	}
	return n
}

// splitByCustomer holds out about frac of the customers of rows, chosen by a seeded hash.
func splitByCustomer(t *Table, rows []int, frac float64, seed uint64) (fit, valid []int) {
	cut := uint64(frac * float64(math.MaxUint32))
	var s [8]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	for _, i := range rows {
		h := fnv.New64a()
		h.Write(s[:])
		h.Write([]byte(t.Customer[i]))
		if h.Sum64()&math.MaxUint32 < cut {
			valid = append(valid, i)
		} else {
			fit = append(fit, i)
		}
	}
	return fit, valid
}

// Result is the evaluation of one model on one test period.
type Result struct {
	Period  Period
	Metrics Metrics
	// Rows and Scores are the test rows after the handbook's exclusion and their scores:
	// what the metrics are computed on.
	Rows   []int
	Scores []float64
	// AllRows and AllScores are every transaction of the test days, before exclusion (what
	// --scores-out writes, so anyone can recompute the metrics).
	AllRows   []int
	AllScores []float64
	ROC       []model.ROCPoint
	PR        []model.PRPoint
	// Importance is the mean absolute contribution of each model input on the test rows.
	Importance []float64
}

// Metrics are the handbook's figures for one test period.
type Metrics struct {
	AUCROC             float64 `json:"auc_roc"`
	AveragePrecision   float64 `json:"average_precision"`
	CardPrecisionAt100 float64 `json:"card_precision_at_100"`
	Transactions       int     `json:"transactions"`
	Frauds             int     `json:"frauds"`
}

// Evaluate scores the test period of p with f's model and computes the handbook's metrics
// on its test set.
func Evaluate(ctx context.Context, t *Table, p Period, f *model.File) (*Result, error) {
	proj, err := ProjectionFor(f)
	if err != nil {
		return nil, err
	}
	_, test, err := t.split(p)
	if err != nil {
		return nil, err
	}
	from, to := DayNumber(p.TestStart()), DayNumber(p.TestEnd())
	var all []int
	for i, d := range t.Day {
		if d >= from && d < to {
			all = append(all, i)
		}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no transaction in the test period %s", p.TestSpan())
	}
	r := &Result{Period: p, AllRows: all}
	r.AllScores, r.Importance, err = score(ctx, t, all, f.Model, proj)
	if err != nil {
		return nil, err
	}
	pos := make(map[int]int, len(all))
	for k, i := range all {
		pos[i] = k
	}
	r.Rows = test
	r.Scores = make([]float64, len(test))
	labels := make([]bool, len(test))
	days := make([]int, len(test))
	customers := make([]string, len(test))
	for k, i := range test {
		at, ok := pos[i]
		if !ok { // the split and the period disagree on the test days: never score a stranger
			return nil, fmt.Errorf("test row %d (day %d) lies outside the test period %s", i, t.Day[i], p.TestSpan())
		}
		r.Scores[k] = r.AllScores[at]
		labels[k], days[k], customers[k] = t.Fraud[i], t.Day[i], t.Customer[i]
		if t.Fraud[i] {
			r.Metrics.Frauds++
		}
	}
	r.Metrics.Transactions = len(test)
	if r.Metrics.Frauds == 0 || r.Metrics.Frauds == len(test) {
		return nil, fmt.Errorf("the test period %s has %d frauds among %d transactions: AUC is undefined",
			p.TestSpan(), r.Metrics.Frauds, len(test))
	}
	if r.Metrics.AUCROC, err = model.AUC(labels, r.Scores); err != nil {
		return nil, err
	}
	if r.Metrics.AveragePrecision, err = model.AveragePrecision(labels, r.Scores); err != nil {
		return nil, err
	}
	if r.Metrics.CardPrecisionAt100, _, err = model.CardPrecisionAtK(days, customers, r.Scores, labels, 100); err != nil {
		return nil, err
	}
	if r.ROC, err = model.ROCCurve(labels, r.Scores); err != nil {
		return nil, err
	}
	if r.PR, err = model.PRCurve(labels, r.Scores); err != nil {
		return nil, err
	}
	return r, nil
}

// score predicts rows on GOMAXPROCS goroutines and sums |contribution| per input.
func score(ctx context.Context, t *Table, rows []int, m model.Model, proj Projection) ([]float64, []float64, error) {
	scores := make([]float64, len(rows))
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(rows) + workers - 1) / workers
	imp := make([][]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(rows))
		imp[w] = make([]float64, len(proj))
		if lo >= hi {
			continue
		}
		wg.Go(func() {
			x := make([]float64, len(proj))
			contrib := make([]float64, len(proj))
			for k := lo; k < hi; k++ {
				x = proj.Apply(t.Row(rows[k]), x)
				margin, _ := m.Explain(x, contrib)
				scores[k] = model.Probability(margin)
				for j, c := range contrib {
					imp[w][j] += math.Abs(c)
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	total := make([]float64, len(proj))
	for _, part := range imp {
		for j, v := range part {
			total[j] += v / float64(len(rows))
		}
	}
	return scores, total, nil
}
