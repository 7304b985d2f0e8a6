package rules_test

import (
	"fmt"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/rules"
)

func ExampleParse() {
	src := []byte(`version: 1
thresholds: {review: 0.5, decline: 0.9}
rules:
  - name: blocked_card
    when: txn.card in lists.blocked_cards
    action: decline
    reason: card is on the blocked list
  - name: card_testing
    when: features.customer_small_tx_count_1h >= 3.0
    action: review
    reason: several small payments within an hour
`)
	rs, err := rules.Parse(src, rules.Options{ListNames: []string{"blocked_cards"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	features := make([]float64, feature.NumFeatures)
	features[feature.CustomerSmallTxCount1h] = 4
	res := rs.Evaluate(rules.Input{
		Transaction: &fraud.Transaction{ID: "tx_1", Timestamp: time.Now(), Amount: 1.2, Currency: "EUR",
			CustomerID: "cus_1", TerminalID: "term_1", Card: "card_1"},
		Features: features,
		Score:    0.07,
		Lists:    rules.NewLists(map[string][]string{"blocked_cards": {"card_9"}}),
	})
	fmt.Println(res.Outcome, res.Hits[0].Rule)
	// Output: review card_testing
}

func ExampleParse_refused() {
	src := []byte(`version: 1
thresholds: {review: 0.5, decline: 0.9}
rules:
  - name: card_testing
    when: features.customer_small_tx_count_1hour >= 3.0
    action: review
    reason: several small payments within an hour
`)
	_, err := rules.Parse(src, rules.Options{})
	fmt.Println(err)
	// Output: rules[0].when: line 5: undefined field 'customer_small_tx_count_1hour'
}
