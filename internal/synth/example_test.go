package synth_test

import (
	"context"
	"fmt"
	"log"

	"github.com/vigil-fraud/vigil/internal/history"
	"github.com/vigil-fraud/vigil/internal/synth"
)

// A small simulation with the handbook's scenarios only, counted as it streams. (With so
// few terminals many customers have none within the radius and make no transaction, and
// the two compromised terminals a day weigh much more: the default size is what gives the
// handbook's figures.)
func Example() {
	g, err := synth.New(synth.Options{
		Customers: 100, Terminals: 200, Days: 30, Seed: 1, Scenarios: synth.Handbook,
	})
	if err != nil {
		log.Fatal(err)
	}
	first := true
	sum, err := g.Run(context.Background(), func(r *history.Record) error {
		if first {
			fmt.Println("first:", r.ID, r.Timestamp.Format("2006-01-02"), r.Currency, r.Channel != "")
			first = false
		}
		return nil
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum.Rows, "rows,", sum.Frauds, "frauds in", sum.Days, "days")
	// Output:
	// first: 0 2018-04-01 EUR true
	// 3985 rows, 829 frauds in 30 days
}

func ExampleParseScenarios() {
	s, err := synth.ParseScenarios("handbook,card_testing")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Has(synth.CompromisedTerminal), s.Has(synth.ImpossibleTravel))
	fmt.Println(s)
	// Output:
	// true false
	// high_amount,compromised_terminal,compromised_customer,card_testing
}
