package training

import (
	"context"
	"fmt"
	"testing"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/model"
)

// periodTable is a table of days days (but the skipped ones), 40 customers a day, one in
// nine payments a fraud that the first feature gives away.
func periodTable(days int, skip map[int]bool) *Table {
	names := feature.Names()
	t := &Table{Names: names}
	d0 := DayNumber(start)
	for d := range days {
		if skip[d] {
			continue
		}
		for c := range 40 {
			fraud := (c+d)%9 == 0
			x := make([]float64, len(names))
			x[0] = float64(c % 7)
			if fraud {
				x[0] = 100 + float64(c)
			}
			t.X = append(t.X, x...)
			t.ID = append(t.ID, "tx")
			t.Day = append(t.Day, d0+d)
			t.Customer = append(t.Customer, fmt.Sprintf("c%d-%d", d, c))
			t.Fraud = append(t.Fraud, fraud)
		}
	}
	return t
}

// TestEvaluateScoresItsTestDays: the rows the metrics use are the test period's, for a
// period without a delay and for one whose first training day has no payment (the split
// used to default a zero delay to 7 and to anchor the test at the first day with rows, and
// Evaluate then gave rows it never scored the score of another).
func TestEvaluateScoresItsTestDays(t *testing.T) {
	for name, c := range map[string]struct {
		tab *Table
		p   Period
	}{
		"no delay":                 {periodTable(28, nil), Period{TrainStart: start, TrainDays: 7, DelayDays: 0, TestDays: 7}},
		"empty first training day": {periodTable(28, map[int]bool{0: true}), DefaultPeriod(start.AddDate(0, 0, 14))},
	} {
		f, err := Train(context.Background(), c.tab, c.p, Options{Kind: model.KindLogistic})
		if err != nil {
			t.Fatal(name, err)
		}
		r, err := Evaluate(context.Background(), c.tab, c.p, f)
		if err != nil {
			t.Fatal(name, err)
		}
		from, to := DayNumber(c.p.TestStart()), DayNumber(c.p.TestEnd())
		if len(r.Rows) == 0 {
			t.Fatalf("%s: no test row", name)
		}
		for k, i := range r.Rows {
			if d := c.tab.Day[i]; d < from || d >= to {
				t.Fatalf("%s: test row %d is on day %d, outside the test period [%d, %d); score %v", name, i, d, from, to, r.Scores[k])
			}
		}
	}
}
