package model

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// DayPrecision is card precision@k on one day.
type DayPrecision struct {
	Day       int     `json:"day"`
	Precision float64 `json:"precision"`
	// Detected is how many of the day's top k customers had a fraud.
	Detected int `json:"detected"`
	// Compromised is how many distinct customers had a fraud that day, not
	// counting those detected on earlier days (the handbook's
	// nb_compromised_cards_per_day).
	Compromised int `json:"compromised"`
}

// CardPrecisionAtK computes card precision@k as the Fraud Detection Handbook
// (Le Borgne et al., card_precision_top_k) defines it. Row i is a transaction
// of customer[i] on day[i] with score[i] and label[i] (true for fraud).
//
// Days are taken in increasing order. For each day: customers detected on an
// earlier day are dropped; each remaining customer gets the maximum score and
// the maximum label of its transactions that day; customers are ranked by
// score, highest first; precision is the number of frauded customers among
// the top k divided by k (by k even when fewer than k customers remain); the
// frauded customers of the top k join the detected list. The result is the
// mean over the days, and each day's figures in increasing day order.
//
// Ties in score are broken by customer identifier in increasing byte order,
// which is the order pandas' groupby leaves before its (unstable) sort, so
// the result is deterministic. Errors wrap ErrInvalidData.
func CardPrecisionAtK(day []int, customer []string, score []float64, label []bool, k int) (mean float64, perDay []DayPrecision, err error) {
	n := len(day)
	if len(customer) != n || len(score) != n || len(label) != n {
		return 0, nil, fmt.Errorf("%w: card precision inputs differ in length: %d days, %d customers, %d scores, %d labels",
			ErrInvalidData, n, len(customer), len(score), len(label))
	}
	if n == 0 {
		return 0, nil, fmt.Errorf("%w: no rows", ErrInvalidData)
	}
	if k < 1 {
		return 0, nil, fmt.Errorf("%w: k = %d, want >= 1", ErrInvalidData, k)
	}
	for i, s := range score {
		if math.IsNaN(s) {
			return 0, nil, fmt.Errorf("%w: score %d is NaN", ErrInvalidData, i)
		}
	}
	type card struct {
		id    string
		score float64
		fraud bool
	}
	detected := make(map[string]bool)
	var sum float64
	for _, rows := range rowsByDay(day) {
		d := day[rows[0]]
		byID := make(map[string]int)
		var cards []card
		for _, i := range rows {
			id := customer[i]
			if detected[id] {
				continue
			}
			c, ok := byID[id]
			if !ok {
				c = len(cards)
				byID[id] = c
				cards = append(cards, card{id: id, score: score[i]})
			}
			cards[c].score = max(cards[c].score, score[i])
			cards[c].fraud = cards[c].fraud || label[i]
		}
		dp := DayPrecision{Day: d}
		for _, c := range cards {
			if c.fraud {
				dp.Compromised++
			}
		}
		slices.SortFunc(cards, func(a, b card) int {
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		for _, c := range cards[:min(k, len(cards))] {
			if c.fraud {
				dp.Detected++
				detected[c.id] = true
			}
		}
		dp.Precision = float64(dp.Detected) / float64(k)
		sum += dp.Precision
		perDay = append(perDay, dp)
	}
	return sum / float64(len(perDay)), perDay, nil
}

// rowsByDay groups row indices by day, days increasing, rows in input order.
func rowsByDay(day []int) [][]int {
	idx := make([]int, len(day))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(day[a], day[b]) })
	var out [][]int
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && day[idx[j]] == day[idx[i]] {
			j++
		}
		out = append(out, idx[i:j])
		i = j
	}
	return out
}
