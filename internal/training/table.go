package training

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/history"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/state/memory"
)

// Table is the feature table of one span of a history: one row per transaction whose time
// falls in the span, in history order.
type Table struct {
	Names    []string
	X        []float64 // row-major, len(Names) values per row
	ID       []string
	Day      []int // days since 1970-01-01 UTC
	Customer []string
	Fraud    []bool
	// Replay counts what the replay behind the table did.
	Replay feature.ReplayStats
	// Classification is the history's classification metadata (synthetic, production...;
	// "" when it said none), set by whoever read the history.
	Classification string
}

// Rows returns the number of rows.
func (t *Table) Rows() int { return len(t.ID) }

// Row returns the features of row i, sharing storage with the table.
func (t *Table) Row(i int) []float64 {
	n := len(t.Names)
	return t.X[i*n : (i+1)*n : (i+1)*n]
}

// DayNumber returns the day number of a time: whole days since 1970-01-01 UTC.
func DayNumber(t time.Time) int {
	return int(t.UTC().Truncate(24*time.Hour).Unix() / 86400)
}

// DayTime returns the UTC midnight of a day number.
func DayTime(day int) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

// CollectOptions configure Collect.
type CollectOptions struct {
	// From and To bound the rows kept: From <= time < To. The replay itself always starts at
	// the beginning of the history, so windows and labels before From are in the state.
	From, To time.Time
	// LabelDelay is passed to feature.Replay (default: the terminal delay, 7 days).
	LabelDelay time.Duration
	// Progress, when set, receives the number of records replayed so far.
	Progress func(records int64)
}

// Collect replays r through a fresh in-memory feature engine and returns the rows whose time
// is in [o.From, o.To). It fails on the first bad record (with its line) or when no row falls
// in the span.
func Collect(ctx context.Context, r feature.RecordReader, o CollectOptions) (*Table, error) {
	if !o.From.Before(o.To) {
		return nil, fmt.Errorf("empty period: %s .. %s", o.From.Format(time.DateOnly), o.To.Format(time.DateOnly))
	}
	st, err := memory.Open(memory.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	eng, err := feature.New(feature.Options{State: st})
	if err != nil {
		return nil, err
	}
	t := &Table{Names: feature.Names()}
	from, to := o.From.Unix(), o.To.Unix()
	stats, err := feature.Replay(ctx, r, eng, feature.ReplayOptions{LabelDelay: o.LabelDelay, Progress: o.Progress},
		func(rec *history.Record, f []float64) error {
			sec := rec.Timestamp.Unix()
			if sec < from || sec >= to {
				return nil
			}
			t.X = append(t.X, f...)
			t.ID = append(t.ID, rec.ID)
			t.Day = append(t.Day, DayNumber(rec.Timestamp))
			t.Customer = append(t.Customer, rec.CustomerID)
			t.Fraud = append(t.Fraud, rec.Fraud)
			return nil
		})
	if err != nil {
		return nil, err
	}
	t.Replay = stats
	if t.Rows() == 0 {
		return nil, fmt.Errorf("the history has no transaction between %s and %s (it has %d in all)",
			o.From.Format(time.DateOnly), o.To.Add(-time.Second).Format(time.DateOnly), stats.Records)
	}
	return t, nil
}

// Dataset returns the rows of t as a model dataset.
func (t *Table) Dataset(rows []int) *model.Dataset {
	n := len(t.Names)
	d := &model.Dataset{Names: t.Names, Rows: len(rows), X: make([]float64, 0, len(rows)*n), Y: make([]float64, len(rows))}
	for k, i := range rows {
		d.X = append(d.X, t.Row(i)...)
		if t.Fraud[i] {
			d.Y[k] = 1
		}
	}
	return d
}

// ModelFeatures describes the engine's features for a model file, with the version of each
// definition, so a model is never fed a feature computed differently.
func ModelFeatures() []model.Feature {
	defs := feature.Defs()
	out := make([]model.Feature, len(defs))
	for i, d := range defs {
		out[i] = model.Feature{Name: d.Name, Version: d.Version}
	}
	return out
}

// Projection maps a model's inputs to the engine's feature vector: model input j is engine
// feature Projection[j]. A model may use any subset of the features, named by vigil's name or
// by the handbook's (so a model trained on `vigil features --columns handbook` output works).
type Projection []int

// ProjectionFor resolves f's features against the engine's. It fails when a feature is
// unknown or its definition version differs from the engine's.
func ProjectionFor(f *model.File) (Projection, error) {
	byName := make(map[string]int)
	versions := ModelFeatures()
	for i, d := range feature.Defs() {
		byName[d.Name] = i
		if d.Handbook != "" {
			byName[d.Handbook] = i
		}
	}
	p := make(Projection, len(f.Features))
	for j, mf := range f.Features {
		i, ok := byName[mf.Name]
		if !ok {
			return nil, fmt.Errorf("model input %d (%s) is not a feature vigil computes", j, mf.Name)
		}
		if mf.Version != "" && mf.Version != versions[i].Version {
			return nil, fmt.Errorf("model input %s was trained on definition v%s; the engine computes v%s",
				mf.Name, mf.Version, versions[i].Version)
		}
		p[j] = i
	}
	return p, nil
}

// Identity reports whether p passes the engine's vector through unchanged.
func (p Projection) Identity() bool {
	if len(p) != feature.NumFeatures {
		return false
	}
	for j, i := range p {
		if i != j {
			return false
		}
	}
	return true
}

// Apply writes the model inputs of the engine vector x into dst and returns it; dst is
// grown when shorter than len(p), so pass a reused buffer to avoid allocating.
func (p Projection) Apply(x, dst []float64) []float64 {
	if cap(dst) < len(p) {
		dst = make([]float64, len(p))
	}
	dst = dst[:len(p)]
	for j, i := range p {
		dst[j] = x[i]
	}
	return dst
}
