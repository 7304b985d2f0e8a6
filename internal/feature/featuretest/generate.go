// Package featuretest helps test the feature engine and whatever uses it: Generate makes a
// small synthetic history shaped like the Fraud Detection Handbook's (plus devices,
// countries and card-testing bursts), and Reference computes every feature of a history
// straight from the definitions, slowly, for comparison. Only tests import it.
package featuretest

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/history"
)

// Options shape a generated history. Zero fields take small defaults.
type Options struct {
	Customers int       // default 200
	Terminals int       // default 400
	Days      int       // default 45
	Start     time.Time // default 2018-04-01 UTC
	Seed      uint64
	// Extras adds devices, countries and card-testing bursts.
	Extras bool
	// Late moves some records (about 2%) later in the file than their time, by up to Late
	// (at most a day keeps every feature exact).
	Late time.Duration
	// Heavy makes the first customer and the first terminal take many transactions a day,
	// to overflow small Limits.MaxEvents.
	Heavy bool
}

func (o Options) withDefaults() Options {
	if o.Customers == 0 {
		o.Customers = 200
	}
	if o.Terminals == 0 {
		o.Terminals = 400
	}
	if o.Days == 0 {
		o.Days = 45
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2018, 4, 1, 0, 0, 0, 0, time.UTC)
	}
	return o
}

var countries = []string{"IE", "NL", "DE", "FR", "BE"}

// Generate returns a history sorted by time (except the records Late moves), with ids in
// file order and ground truth: amounts over 220 are fraud, and every day one terminal is
// compromised for 14 days (all its transactions fraud), as in the handbook's scenarios 1
// and 2, plus the extras' bursts when asked.
func Generate(o Options) []history.Record {
	o = o.withDefaults()
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	type customer struct {
		mean, rate float64
		terms      []int
		devices    []string
		country    string
	}
	cs := make([]customer, o.Customers)
	for i := range cs {
		c := &cs[i]
		c.mean = 5 + 95*rng.Float64()
		c.rate = 4 * rng.Float64()
		if o.Heavy && i == 0 {
			c.rate = 40
		}
		for range 2 + rng.IntN(10) {
			c.terms = append(c.terms, rng.IntN(o.Terminals))
		}
		if o.Heavy && i == 0 {
			c.terms = append(c.terms[:0], 0)
		}
		for k := range 1 + rng.IntN(2) {
			c.devices = append(c.devices, "dev_"+strconv.Itoa(i)+"_"+strconv.Itoa(k))
		}
		c.country = countries[rng.IntN(len(countries))]
	}
	type tx struct {
		sec      int64
		customer int
		terminal int
		cents    int64
		device   string
		country  string
		burst    bool
	}
	var txs []tx
	start := o.Start.UTC().Truncate(24 * time.Hour).Unix()
	for d := range o.Days {
		day0 := start + int64(d)*86400
		for ci := range cs {
			c := &cs[ci]
			for range poisson(rng, c.rate) {
				tod := int64(math.Round(43200 + 20000*rng.NormFloat64()))
				if tod <= 0 || tod >= 86400 {
					continue
				}
				amount := c.mean + c.mean/2*rng.NormFloat64()
				if amount < 0 {
					amount = 2 * c.mean * rng.Float64()
				}
				t := tx{sec: day0 + tod, customer: ci, terminal: c.terms[rng.IntN(len(c.terms))],
					cents: max(1, int64(math.Round(amount*100)))}
				if o.Extras {
					if rng.IntN(3) == 0 {
						t.device = c.devices[rng.IntN(len(c.devices))]
						if rng.IntN(50) == 0 {
							t.device = "dev_new_" + strconv.Itoa(rng.IntN(1000))
						}
					}
					t.country = c.country
					if rng.IntN(40) == 0 {
						t.country = countries[rng.IntN(len(countries))]
					} else if rng.IntN(10) == 0 {
						t.country = ""
					}
				}
				txs = append(txs, t)
			}
		}
		if o.Extras {
			for range poisson(rng, 0.5) { // a card-testing burst: tiny payments minutes apart
				ci := rng.IntN(len(cs))
				sec := day0 + 1 + int64(rng.IntN(80000))
				term := rng.IntN(o.Terminals)
				for range 3 + rng.IntN(6) {
					txs = append(txs, tx{sec: sec, customer: ci, terminal: term, cents: int64(10 + rng.IntN(290)),
						device: "dev_fraud", country: cs[ci].country, burst: true})
					sec += int64(rng.IntN(120)) // may repeat a second
				}
			}
		}
	}
	slices.SortStableFunc(txs, func(a, b tx) int { return int(a.sec - b.sec) })

	// Compromised terminals: from day d, one terminal for 14 days.
	compromised := make(map[int][]int) // terminal -> days compromised from
	for d := range o.Days {
		term := rng.IntN(o.Terminals)
		compromised[term] = append(compromised[term], d)
	}
	recs := make([]history.Record, len(txs))
	for i, t := range txs {
		r := &recs[i]
		r.Transaction = fraud.Transaction{
			ID:         strconv.Itoa(i),
			Timestamp:  time.Unix(t.sec, 0).UTC(),
			Amount:     float64(t.cents) / 100,
			Currency:   history.HandbookCurrency,
			CustomerID: strconv.Itoa(t.customer),
			TerminalID: strconv.Itoa(t.terminal),
			DeviceID:   t.device,
			Country:    t.country,
		}
		day := int((t.sec - start) / 86400)
		switch {
		case t.burst:
			r.Fraud, r.Scenario = true, history.ScenarioCardTesting
		case t.cents > 22000:
			r.Fraud, r.Scenario = true, history.ScenarioHighAmount
		default:
			for _, from := range compromised[t.terminal] {
				if day >= from && day < from+14 {
					r.Fraud, r.Scenario = true, history.ScenarioCompromisedTerminal
				}
			}
		}
	}
	if o.Late > 0 {
		late := int64(o.Late / time.Second)
		// Move about 2% of the records later in the file, to just before the first record
		// that is at most late seconds newer.
		for i := len(recs) - 1; i >= 0; i-- {
			if rng.IntN(50) != 0 {
				continue
			}
			limit := recs[i].Timestamp.Unix() + 1 + rng.Int64N(late)
			j := i
			for j+1 < len(recs) && recs[j+1].Timestamp.Unix() <= limit {
				j++
			}
			r := recs[i]
			copy(recs[i:j], recs[i+1:j+1])
			recs[j] = r
		}
	}
	return recs
}

// poisson draws from a Poisson distribution of mean lambda (Knuth; lambda is small here).
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
