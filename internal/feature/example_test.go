package feature_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/history"
	"github.com/vigil-fraud/vigil/internal/state/memory"
)

// Scoring: compute from the state before the transaction, decide, then add it.
func ExampleEngine() {
	st, _ := memory.Open(memory.Options{}) // Dir set: survives restarts
	defer st.Close()
	e, _ := feature.New(feature.Options{State: st})
	ctx := context.Background()
	f := make([]float64, feature.NumFeatures)

	at := time.Date(2018, 4, 2, 9, 0, 0, 0, time.UTC)
	for i, amount := range []float64{20, 40, 90} {
		tx := fraud.Transaction{ID: fmt.Sprint(i), Timestamp: at.Add(time.Duration(i) * time.Hour),
			Amount: amount, Currency: "EUR", CustomerID: "c1", TerminalID: "t1"}
		if err := e.Compute(ctx, &tx, f); err != nil {
			fmt.Println(err)
			return
		}
		// ... score f, decide, persist the decision ...
		if err := e.Update(ctx, &tx); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s=%v %s=%v %s=%.2f\n", feature.CustomerTxCount1d, f[feature.CustomerTxCount1d],
			feature.CustomerMeanAmount1d, f[feature.CustomerMeanAmount1d],
			feature.CustomerAmountRatio30d, f[feature.CustomerAmountRatio30d])
	}
	// Output:
	// customer_tx_count_1d=1 customer_mean_amount_1d=20 customer_amount_ratio_30d=NaN
	// customer_tx_count_1d=2 customer_mean_amount_1d=30 customer_amount_ratio_30d=2.00
	// customer_tx_count_1d=3 customer_mean_amount_1d=50 customer_amount_ratio_30d=3.00
}

// Training data: replay a history through the same engine.
func ExampleReplay() {
	data := `TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO
0,2018-04-01 10:00:00,1,7,50.00,36000,0,1,2
1,2018-04-08 10:00:00,2,7,10.00,640800,7,0,0
`
	r, _ := history.NewReader(strings.NewReader(data))
	st, _ := memory.Open(memory.Options{})
	e, _ := feature.New(feature.Options{State: st})
	_, err := feature.Replay(context.Background(), r, e, feature.ReplayOptions{},
		func(rec *history.Record, f []float64) error {
			fmt.Printf("%s: %s=%v %s=%v\n", rec.ID, feature.TerminalTxCount7d, f[feature.TerminalTxCount7d],
				feature.TerminalRisk7d, f[feature.TerminalRisk7d])
			return nil
		})
	fmt.Println(err)
	// Output:
	// 0: terminal_tx_count_7d=0 terminal_risk_7d=0
	// 1: terminal_tx_count_7d=1 terminal_risk_7d=1
	// <nil>
}
