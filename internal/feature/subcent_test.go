package feature_test

import (
	"math"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/feature/featuretest"
	"github.com/vigil-fraud/vigil/internal/feature/window"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/history"
	"github.com/vigil-fraud/vigil/internal/model"
)

// TestSubCentAmountsGiveNoInfiniteRatio: amounts are kept in cents, so a customer whose other
// payments are all below half a cent has a mean of 0: the ratio features are unknown (NaN),
// never +Inf, which no model input may be (training refused such a table), and the engine
// and the reference agree.
func TestSubCentAmountsGiveNoInfiniteRatio(t *testing.T) {
	base := time.Date(2018, 4, 2, 12, 0, 0, 0, time.UTC)
	rec := func(id string, at time.Duration, amount float64) history.Record {
		return history.Record{Transaction: fraud.Transaction{ID: id, Timestamp: base.Add(at), Amount: amount,
			Currency: "EUR", CustomerID: "c", TerminalID: "x"}}
	}
	recs := []history.Record{rec("a", 0, 0.004), rec("b", 15*24*time.Hour, 0.002), rec("c", 16*24*time.Hour, 10)}
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			t.Fatalf("record %d invalid: %v", i, err)
		}
	}
	got := replay(t, newEngine(t, window.Limits{}), recs, feature.ReplayOptions{})
	ref := featuretest.Reference(recs, feature.DefaultLabelDelay)
	for _, f := range []feature.Index{feature.CustomerAmountRatio30d, feature.CustomerAmountRatioOld, feature.CustomerMaxAmountRatio14d} {
		v, w := got[2][f], ref[2][f]
		if math.IsInf(v, 0) || !(math.IsNaN(v) && math.IsNaN(w) || v == w) {
			t.Errorf("%s: engine %v, reference %v; want both NaN", feature.Names()[f], v, w)
		}
	}
	d := &model.Dataset{Names: feature.Names(), Rows: 1, X: got[2], Y: []float64{0}}
	if err := d.Validate(); err != nil {
		t.Errorf("the features of a payment after sub-cent ones are not a valid training row: %v", err)
	}
}
