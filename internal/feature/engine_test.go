package feature_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/feature/featuretest"
	"github.com/vigil-fraud/vigil/internal/feature/window"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/history"
	"github.com/vigil-fraud/vigil/internal/state/memory"
	"github.com/vigil-fraud/vigil/internal/synth"
)

// newEngine returns an engine over a fresh in-memory state with limits lim.
func newEngine(t testing.TB, lim window.Limits) *feature.Engine {
	t.Helper()
	st, err := memory.Open(memory.Options{Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	e, err := feature.New(feature.Options{State: st})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// replay runs recs through e and returns every feature vector.
func replay(t testing.TB, e *feature.Engine, recs []history.Record, opts feature.ReplayOptions) [][]float64 {
	t.Helper()
	var rows [][]float64
	_, err := feature.Replay(context.Background(), featuretest.NewReader(recs), e, opts, func(_ *history.Record, f []float64) error {
		rows = append(rows, append([]float64(nil), f...))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// compare fails the test for each feature of got that differs from want by more than 1e-6.
func compare(t *testing.T, recs []history.Record, got, want [][]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	bad := 0
	for i := range want {
		for k := range want[i] {
			if !featuretest.Close(got[i][k], want[i][k], 1e-6) {
				if bad < 10 {
					t.Errorf("record %d (id %s, customer %s, terminal %s, %s): %s = %v, want %v", i, recs[i].ID,
						recs[i].CustomerID, recs[i].TerminalID, recs[i].Timestamp.Format(time.RFC3339),
						feature.Index(k), got[i][k], want[i][k])
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d feature values differ", bad)
	}
}

func TestFeaturesMatchReference(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		name  string
		gen   featuretest.Options
		delay time.Duration // ReplayOptions.LabelDelay; < 0 means NoLabels
	}{
		{"handbook", featuretest.Options{Seed: 1}, 7 * day},
		{"extras", featuretest.Options{Seed: 2, Extras: true}, 7 * day},
		{"late arrivals", featuretest.Options{Seed: 3, Extras: true, Late: 20 * time.Hour}, 7 * day},
		{"short label delay", featuretest.Options{Seed: 4}, 2 * day},
		{"long label delay", featuretest.Options{Seed: 5}, 10 * day},
		{"no labels", featuretest.Options{Seed: 6}, -1},
		{"all labels", featuretest.Options{Seed: 12, Extras: true}, 0},
		{"busy", featuretest.Options{Seed: 7, Customers: 50, Terminals: 40, Days: 45, Extras: true}, 7 * day},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := featuretest.Generate(tc.gen)
			opts := feature.ReplayOptions{LabelDelay: tc.delay, NoLabels: tc.delay < 0}
			want := featuretest.Reference(recs, tc.delay)
			if tc.delay == 0 { // legitimate labels too: the same features
				opts.AllLabels = true
				want = featuretest.Reference(recs, feature.DefaultLabelDelay)
			}
			got := replay(t, newEngine(t, window.Limits{}), recs, opts)
			compare(t, recs, got, want)
			if tc.delay >= 0 {
				runs, since := ordinaryDiffers(want)
				t.Logf("ordinary differs: run %d, since %d of %d", runs, since, len(want))
				if runs == 0 || since == 0 {
					t.Errorf("the ordinary-fraud features equal the plain ones on every row (run %d, since %d): "+
						"the history does not exercise the large flag", runs, since)
				}
			}
		})
	}
}

// ordinaryDiffers counts the rows whose ordinary-fraud run (or newest ordinary fraud) differs
// from the plain one: those where a known fraud flagged large decides the value.
func ordinaryDiffers(rows [][]float64) (runs, since int) {
	for _, f := range rows {
		if !featuretest.Close(f[feature.TerminalOrdinaryFraudRunSeconds], f[feature.TerminalFraudRunSeconds], 0) ||
			!featuretest.Close(f[feature.TerminalSecondsBeforeOrdinaryFraudRun], f[feature.TerminalSecondsBeforeFraudRun], 0) {
			runs++
		}
		if !featuretest.Close(f[feature.TerminalSecondsSinceOrdinaryFraud], f[feature.TerminalSecondsSinceKnownFraud], 0) {
			since++
		}
	}
	return runs, since
}

// TestHandbookFile replays a file in the handbook's layout, read back by package history.
func TestHandbookFile(t *testing.T) {
	recs := featuretest.Generate(featuretest.Options{Seed: 11, Days: 50})
	path := filepath.Join(t.TempDir(), "handbook.csv")
	f, err := history.Create(path, history.LayoutHandbook, history.Meta{"classification": "synthetic", "start": "2018-04-01"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := f.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	r, err := history.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Layout() != history.LayoutHandbook {
		t.Fatalf("layout %v", r.Layout())
	}
	var read []history.Record
	var rows [][]float64
	st, err := feature.Replay(context.Background(), r, newEngine(t, window.Limits{}), feature.ReplayOptions{},
		func(rec *history.Record, f []float64) error {
			read = append(read, *rec)
			rows = append(rows, append([]float64(nil), f...))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != int64(len(recs)) || st.Labels == 0 {
		t.Fatalf("stats %+v for %d records", st, len(recs))
	}
	compare(t, read, rows, featuretest.Reference(read, feature.DefaultLabelDelay))
}

// TestPointInTime checks that a transaction's features depend only on what came before it:
// replaying only a prefix gives the prefix's last row unchanged, and changing the ground
// truth of transactions whose labels are not yet due changes nothing.
func TestPointInTime(t *testing.T) {
	recs := featuretest.Generate(featuretest.Options{Seed: 21, Customers: 60, Terminals: 30, Days: 40, Extras: true})
	opts := feature.ReplayOptions{LabelDelay: 3 * 24 * time.Hour}
	full := replay(t, newEngine(t, window.Limits{}), recs, opts)
	for _, i := range []int{0, 1, len(recs) / 3, len(recs) / 2, len(recs) - 1} {
		prefix := replay(t, newEngine(t, window.Limits{}), recs[:i+1], opts)
		compare(t, recs[i:i+1], prefix[i:i+1], full[i:i+1])

		// Flip the truth of every record whose label is not due when record i is computed,
		// and of every later record: row i must not move.
		flipped := append([]history.Record(nil), recs...)
		due := recs[i].Timestamp.Add(-opts.LabelDelay)
		for j := range flipped {
			if j > i || flipped[j].Timestamp.After(due) {
				flipped[j].Fraud = !flipped[j].Fraud
			}
		}
		rows := replay(t, newEngine(t, window.Limits{}), flipped[:i+1], opts)
		compare(t, recs[i:i+1], rows[i:i+1], full[i:i+1])
	}
}

// blobState hides the memory state's in-place reading, so the engine takes the path a
// networked state takes: Load, then decode.
type blobState struct{ fraud.FeatureState }

func TestBlobPathMatchesInPlace(t *testing.T) {
	recs := featuretest.Generate(featuretest.Options{Seed: 31, Extras: true, Days: 45})
	st, err := memory.Open(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := feature.New(feature.Options{State: blobState{st}})
	if err != nil {
		t.Fatal(err)
	}
	got := replay(t, e, recs, feature.ReplayOptions{})
	compare(t, recs, got, featuretest.Reference(recs, feature.DefaultLabelDelay))
}

// TestFoldedBound overflows small histories and checks the documented bound: a window's
// count (and sum) is off by less than the events of the at most two days its bounds cut;
// windows of entities that did not overflow stay exact.
func TestFoldedBound(t *testing.T) {
	const day = 86400
	recs := featuretest.Generate(featuretest.Options{Seed: 41, Customers: 60, Terminals: 200, Days: 50, Heavy: true})
	lim := window.Limits{MaxEvents: 32}
	got := replay(t, newEngine(t, lim), recs, feature.ReplayOptions{})
	want := featuretest.Reference(recs, feature.DefaultLabelDelay)

	// onDay[entity, day] counts (and sums the amounts of) an entity's records on a day: a
	// bound on what a window cutting that day can miscount.
	type key struct {
		entity string
		day    int64
	}
	onDay := map[key][2]float64{}
	for i := range recs {
		for _, e := range []string{"c" + recs[i].CustomerID, "t" + recs[i].TerminalID} {
			k := key{e, recs[i].Timestamp.Unix() / day}
			v := onDay[k]
			onDay[k] = [2]float64{v[0] + 1, v[1] + recs[i].Amount}
		}
	}
	dayEvents := func(entity string, sec int64, amount bool) float64 {
		v := onDay[key{entity, sec / day}]
		if amount {
			return v[1]
		}
		return v[0]
	}
	type window struct {
		count, value feature.Index
		length       int64
		terminal     bool
	}
	windows := []window{
		{feature.CustomerTxCount1d, feature.CustomerMeanAmount1d, day, false},
		{feature.CustomerTxCount7d, feature.CustomerMeanAmount7d, 7 * day, false},
		{feature.CustomerTxCount30d, feature.CustomerMeanAmount30d, 30 * day, false},
		{feature.TerminalTxCount1d, feature.TerminalRisk1d, day, true},
		{feature.TerminalTxCount7d, feature.TerminalRisk7d, 7 * day, true},
		{feature.TerminalTxCount30d, feature.TerminalRisk30d, 30 * day, true},
	}
	// Entities with at most MaxEvents events in all never overflow: they must stay exact.
	total := map[string]int{}
	for i := range recs {
		total["c"+recs[i].CustomerID]++
		total["t"+recs[i].TerminalID]++
	}
	approximate, exact := 0, 0
	for i := range recs {
		r := &recs[i]
		if total["c"+r.CustomerID] <= lim.MaxEvents && total["t"+r.TerminalID] <= lim.MaxEvents {
			exact++
			for k := range want[i] {
				if !featuretest.Close(got[i][k], want[i][k], 1e-6) {
					t.Fatalf("record %d of entities that never overflow: %s = %v, want %v", i, feature.Index(k), got[i][k], want[i][k])
				}
			}
		}
		for _, w := range windows {
			if !featuretest.Close(got[i][w.count], want[i][w.count], 1e-6) {
				approximate++
			}
			entity := "c" + r.CustomerID
			hi := r.Timestamp.Unix()
			if w.terminal {
				entity = "t" + r.TerminalID
				hi -= 7 * day
			}
			lo := hi - w.length
			bound := dayEvents(entity, lo+1, false) + dayEvents(entity, hi, false)
			if d := math.Abs(got[i][w.count] - want[i][w.count]); d > bound+1e-9 {
				t.Errorf("record %d: %s = %v, want %v: off by %v, bound %v", i, w.count, got[i][w.count], want[i][w.count], d, bound)
			}
			// Sums: amounts (customers) or frauds (terminals, bounded by the same count).
			gs, ws := got[i][w.count]*got[i][w.value], want[i][w.count]*want[i][w.value]
			sumBound := bound
			if !w.terminal {
				sumBound = dayEvents(entity, lo+1, true) + dayEvents(entity, hi, true)
			}
			if d := math.Abs(gs - ws); d > sumBound+1e-6 {
				t.Errorf("record %d: sum of %s = %v, want %v: off by %v, bound %v", i, w.value, gs, ws, d, sumBound)
			}
		}
	}
	if approximate == 0 || exact == 0 {
		t.Fatalf("%d approximate windows, %d records checked exact: the test does not exercise both", approximate, exact)
	}
	t.Logf("%d approximate windows; %d records of entities that never overflowed are exact", approximate, exact)
}

func TestComputeErrors(t *testing.T) {
	e := newEngine(t, window.Limits{})
	tx := fraud.Transaction{ID: "1", Timestamp: time.Date(2018, 4, 1, 0, 0, 0, 0, time.UTC), Amount: 10, CustomerID: "c", TerminalID: "t"}
	if err := e.Compute(context.Background(), &tx, make([]float64, feature.NumFeatures-1)); !errors.Is(err, fraud.ErrInvalid) {
		t.Errorf("short vector: %v, want ErrInvalid", err)
	}
	tx.Timestamp = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := e.Compute(context.Background(), &tx, make([]float64, feature.NumFeatures)); !errors.Is(err, fraud.ErrInvalid) {
		t.Errorf("year 2200: %v, want ErrInvalid", err)
	}
	if err := e.Update(context.Background(), &tx); !errors.Is(err, fraud.ErrInvalid) {
		t.Errorf("update year 2200: %v, want ErrInvalid", err)
	}
	if _, err := feature.New(feature.Options{}); err == nil {
		t.Error("New without a state: no error")
	}
}

func TestDefinitions(t *testing.T) {
	defs := feature.Defs()
	if len(defs) != feature.NumFeatures || len(feature.Names()) != feature.NumFeatures {
		t.Fatalf("%d definitions, want %d", len(defs), feature.NumFeatures)
	}
	seen := map[string]bool{}
	for i, d := range defs {
		if d.Name == "" || d.Version == "" || d.Doc == "" {
			t.Errorf("feature %d: incomplete definition %+v", i, d)
		}
		if seen[d.Name] {
			t.Errorf("feature %d: duplicate name %q", i, d.Name)
		}
		seen[d.Name] = true
		if (i < feature.HandbookCount) != (d.Handbook != "") {
			t.Errorf("feature %d (%s): handbook name %q", i, d.Name, d.Handbook)
		}
	}
	want := []string{"TX_AMOUNT", "TX_DURING_WEEKEND", "TX_DURING_NIGHT",
		"CUSTOMER_ID_NB_TX_1DAY_WINDOW", "CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW",
		"CUSTOMER_ID_NB_TX_7DAY_WINDOW", "CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW",
		"CUSTOMER_ID_NB_TX_30DAY_WINDOW", "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW",
		"TERMINAL_ID_NB_TX_1DAY_WINDOW", "TERMINAL_ID_RISK_1DAY_WINDOW",
		"TERMINAL_ID_NB_TX_7DAY_WINDOW", "TERMINAL_ID_RISK_7DAY_WINDOW",
		"TERMINAL_ID_NB_TX_30DAY_WINDOW", "TERMINAL_ID_RISK_30DAY_WINDOW"}
	got := feature.HandbookNames()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("handbook input %d = %q, want %q", i, got[i], want[i])
		}
	}
	if feature.CustomerTravelSeconds.String() != "customer_travel_seconds" || feature.Index(-1).String() != "unknown" {
		t.Error("Index.String")
	}
	if len(feature.Version) != len("fs1-")+12 {
		t.Errorf("Version %q", feature.Version)
	}
}

// TestSynthMatchesReference checks the engine on the project's simulator (the handbook's
// design plus card testing, takeovers and impossible travel), not only on featuretest's.
func TestSynthMatchesReference(t *testing.T) {
	g, err := synth.New(synth.Options{Customers: 150, Terminals: 300, Days: 45, Seed: 3})
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
	got := replay(t, newEngine(t, window.Limits{}), recs, feature.ReplayOptions{})
	compare(t, recs, got, featuretest.Reference(recs, feature.DefaultLabelDelay))
}
