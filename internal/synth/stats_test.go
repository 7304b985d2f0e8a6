package synth

import (
	"context"
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/vigil-fraud/vigil/internal/history"
)

// midsize is large enough for the handbook's statistics to show, small enough for -race.
var midsize = Options{Customers: 1000, Terminals: 2000, Days: 60, Seed: 11, Scenarios: Handbook}

// pKept is the probability that int(N(43200, 20000)) falls inside (0, 86400), i.e. that a
// drawn transaction is kept: P(1 <= x < 86400) = 2*Phi(2.16) - 1, to 4 digits.
const pKept = 0.9692

// compromise is one handbook compromise seen through Generator.onCompromise.
type compromise struct{ id, from, to int }

// traced runs o and records the compromises as they are drawn.
func traced(t *testing.T, o Options) (g *Generator, recs []history.Record, terms, custs []compromise) {
	t.Helper()
	g = mustNew(t, o)
	g.onCompromise = func(s ScenarioSet, id, from, to int) {
		switch s {
		case CompromisedTerminal:
			terms = append(terms, compromise{id, from, to})
		case CompromisedCustomer:
			custs = append(custs, compromise{id, from, to})
		}
	}
	recs, _ = collect(t, g)
	return g, recs, terms, custs
}

func dayOf(o Options, r *history.Record) int { return history.DayOf(o.Start, r.Timestamp) }

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil || strconv.Itoa(n) != s {
		t.Fatalf("id %q is not a decimal integer", s)
	}
	return n
}

func TestHandbookStatistics(t *testing.T) {
	g, recs, _, _ := traced(t, midsize)
	o := g.Options()

	// Transactions per customer-day: Poisson(rate) draws, a fraction pKept kept. The
	// expectation given the customers drawn, with a 4-sigma Poisson tolerance; and the
	// handbook's design figure, 2 (the mean of U(0, 4)) x pKept, within the sampling error
	// of 1,000 rates (sd 1.155/sqrt(1000) = 0.037; 3 sd).
	var expected float64
	for _, c := range g.customers {
		expected += c.rate * pKept * float64(o.Days)
	}
	if d := float64(len(recs)) - expected; math.Abs(d) > 4*math.Sqrt(expected) {
		t.Errorf("%d transactions, expected %.0f +- %.0f", len(recs), expected, 4*math.Sqrt(expected))
	}
	perCustomerDay := float64(len(recs)) / float64(o.Customers*o.Days)
	if math.Abs(perCustomerDay-2*pKept) > 3*0.037 {
		t.Errorf("%.3f transactions per customer-day, want about %.3f", perCustomerDay, 2*pKept)
	}

	var amountSum float64
	for i := range recs {
		r := &recs[i]
		secs := r.Timestamp.Sub(o.Start.AddDate(0, 0, dayOf(o, r))).Seconds()
		if secs <= 0 || secs >= 86400 || secs != math.Trunc(secs) {
			t.Fatalf("record %s: time of day %v s, want whole seconds in (0, 86400)", r.ID, secs)
		}
		if cents := r.Amount * 100; r.Amount <= 0 || math.Abs(cents-math.Round(cents)) > 1e-6 {
			t.Fatalf("record %s: amount %v, want > 0 and whole cents", r.ID, r.Amount)
		}
		if r.Scenario != history.ScenarioCompromisedCustomer {
			amountSum += r.Amount
		}
		// Scenario 1: amount > 220 is fraud. Scenario 2 may overwrite its tag; scenario 3
		// multiplies amounts after it was applied, so its frauds are left out.
		switch {
		case r.Scenario == history.ScenarioHighAmount && r.Amount <= 220:
			t.Fatalf("record %s: high_amount with amount %v", r.ID, r.Amount)
		case r.Scenario != history.ScenarioCompromisedCustomer && r.Amount > 220 && !r.Fraud:
			t.Fatalf("record %s: amount %v > 220 but legitimate", r.ID, r.Amount)
		}
	}
	// The amount's mean: mean amounts are U(5, 100), so about 52.5 (the negative draws
	// replaced by U(0, 2*mean) keep the mean almost unchanged).
	if m := amountSum / float64(len(recs)); m < 47 || m > 58 {
		t.Errorf("mean amount %.2f, want about 52.5", m)
	}
}

func TestCompromisedTerminals(t *testing.T) {
	g, recs, terms, _ := traced(t, midsize)
	o := g.Options()
	if len(terms) != 2*(o.Days-1) {
		t.Fatalf("%d terminal compromises, want 2 a day on every day but the last: %d", len(terms), 2*(o.Days-1))
	}
	compromised := func(term, day int) bool {
		for _, c := range terms {
			if c.id == term && day >= c.from && day < c.to {
				return true
			}
		}
		return false
	}
	for _, c := range terms {
		if c.to != min(c.from+28, o.Days) {
			t.Fatalf("compromise %+v does not last 28 days", c)
		}
	}
	n := 0
	for i := range recs {
		r := &recs[i]
		in := compromised(atoi(t, r.TerminalID), dayOf(o, r))
		switch {
		case in && !r.Fraud:
			t.Fatalf("record %s on a compromised terminal is legitimate", r.ID)
		case in && r.Scenario != history.ScenarioCompromisedTerminal && r.Scenario != history.ScenarioCompromisedCustomer:
			t.Fatalf("record %s on a compromised terminal is tagged %q", r.ID, r.Scenario)
		case !in && r.Scenario == history.ScenarioCompromisedTerminal:
			t.Fatalf("record %s is tagged compromised_terminal outside any compromise", r.ID)
		}
		if r.Scenario == history.ScenarioCompromisedTerminal {
			n++
		}
	}
	if n == 0 {
		t.Fatal("no compromised_terminal frauds")
	}
}

func TestCompromisedCustomers(t *testing.T) {
	g, recs, _, custs := traced(t, midsize)
	o := g.Options()
	if len(custs) != 3*(o.Days-1) {
		t.Fatalf("%d customer compromises, want 3 a day on every day but the last", len(custs))
	}
	// Every scenario-3 fraud lies in a compromise of its customer.
	byCustomer := map[int][]compromise{}
	for _, c := range custs {
		byCustomer[c.id] = append(byCustomer[c.id], c)
	}
	for i := range recs {
		r := &recs[i]
		if r.Scenario != history.ScenarioCompromisedCustomer {
			continue
		}
		d, in := dayOf(o, r), false
		for _, c := range byCustomer[atoi(t, r.CustomerID)] {
			in = in || d >= c.from && d < c.to
		}
		if !in {
			t.Fatalf("record %s: compromised_customer outside its customer's compromises", r.ID)
		}
	}
	// A day's compromises that overlap no other of their customers pick exactly floor(n/3)
	// of the n transactions the day's customers make in the window, pooled, like the
	// handbook's random.sample over the three customers' transactions.
	ofCustomer := map[int][]*history.Record{}
	for i := range recs {
		if c := atoi(t, recs[i].CustomerID); len(byCustomer[c]) == 1 {
			ofCustomer[c] = append(ofCustomer[c], &recs[i])
		}
	}
	byDay := map[int][]compromise{}
	for _, c := range custs {
		byDay[c.from] = append(byDay[c.from], c)
	}
	checked := 0
	for _, day := range byDay {
		n, frauds, alone := 0, 0, true
		for _, c := range day {
			alone = alone && len(byCustomer[c.id]) == 1
			for _, r := range ofCustomer[c.id] {
				if d := dayOf(o, r); d >= c.from && d < c.to {
					n++
					if r.Scenario == history.ScenarioCompromisedCustomer {
						frauds++
					}
				}
			}
		}
		if !alone {
			continue
		}
		if frauds != n/3 {
			t.Fatalf("compromises %+v: %d frauds among %d pooled transactions, want %d", day, frauds, n, n/3)
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d days of compromises checked", checked)
	}
}

// TestScenarioSwitches runs the same seed with one scenario off: the transactions are the
// same, scenario 3's amounts are exactly 5 times (25 when picked twice) the others.
func TestScenarioSwitches(t *testing.T) {
	full, _ := collect(t, mustNew(t, midsize))
	without := midsize
	without.Scenarios = HighAmount | CompromisedTerminal
	plain, _ := collect(t, mustNew(t, without))
	if len(full) != len(plain) {
		t.Fatalf("%d records with scenario 3, %d without", len(full), len(plain))
	}
	picked := 0
	for i := range full {
		a, b := &full[i], &plain[i]
		if a.CustomerID != b.CustomerID || a.TerminalID != b.TerminalID || !a.Timestamp.Equal(b.Timestamp) {
			t.Fatalf("record %d differs beyond scenario 3:\n%+v\n%+v", i, a, b)
		}
		if b.Scenario == history.ScenarioCompromisedCustomer {
			t.Fatalf("record %d: scenario 3 is off but tagged", i)
		}
		if a.Scenario != history.ScenarioCompromisedCustomer {
			if a.Amount != b.Amount || a.Scenario != b.Scenario {
				t.Fatalf("record %d changed without scenario 3: %+v / %+v", i, a, b)
			}
			continue
		}
		picked++
		ratio := math.Round(a.Amount * 100 / math.Round(b.Amount*100))
		if ratio != 5 && ratio != 25 || math.Abs(a.Amount*100-ratio*math.Round(b.Amount*100)) > 1e-6 {
			t.Fatalf("record %d: scenario 3 amount %v from %v, want x5", i, a.Amount, b.Amount)
		}
	}
	if picked == 0 {
		t.Fatal("no scenario 3 frauds")
	}

	// Each scenario alone, and none: only its tag appears, and it does appear.
	for _, s := range scenarioNames {
		o := small
		o.Scenarios = s.set
		_, sum := collect(t, mustNew(t, o))
		if sum.ByScenario[s.name] == 0 || sum.ByScenario[s.name] != sum.Frauds {
			t.Errorf("%s alone: %v", s.name, sum.ByScenario)
		}
	}
	o := small
	o.Scenarios = NoScenarios
	if _, sum := collect(t, mustNew(t, o)); sum.Frauds != 0 || sum.Rows == 0 {
		t.Errorf("no scenarios: %+v", sum)
	}
}

// TestExtrasLeaveHandbookAlone checks that the extras only add transactions: without
// them, the records are those of a handbook-only run, ids apart.
func TestExtrasLeaveHandbookAlone(t *testing.T) {
	all, _ := collect(t, mustNew(t, small))
	hb := small
	hb.Scenarios = Handbook
	want, _ := collect(t, mustNew(t, hb))
	var got []history.Record
	extras := 0
	for _, r := range all {
		switch r.Scenario {
		case history.ScenarioCardTesting, history.ScenarioAccountTakeover, history.ScenarioImpossibleTravel:
			extras++
			continue
		}
		got = append(got, r)
	}
	if extras == 0 || len(got) != len(want) {
		t.Fatalf("%d extras; %d other records, handbook-only run %d", extras, len(got), len(want))
	}
	for i := range got {
		got[i].ID = want[i].ID
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("record %d differs:\n%+v\n%+v", i, got[i], want[i])
		}
	}
}

func TestExtraScenarios(t *testing.T) {
	recs, _ := collect(t, mustNew(t, small))
	// The devices each customer uses legitimately over the whole run.
	own := map[string]bool{}
	for _, r := range recs {
		if !r.Fraud && r.DeviceID != "" {
			own[r.CustomerID+"/"+r.DeviceID] = true
		}
	}
	bursts := map[string][]history.Record{} // card testing, by fraudster device
	seen := map[string]int{}
	for i, r := range recs {
		seen[r.Scenario]++
		switch r.Scenario {
		case history.ScenarioCardTesting:
			if r.Channel != "ecommerce" || r.DeviceID == "" || own[r.CustomerID+"/"+r.DeviceID] {
				t.Fatalf("card testing record %+v", r)
			}
			bursts[r.DeviceID] = append(bursts[r.DeviceID], r)
		case history.ScenarioAccountTakeover:
			if r.Channel != "ecommerce" || r.DeviceID == "" || own[r.CustomerID+"/"+r.DeviceID] {
				t.Fatalf("account takeover from a known device or not e-commerce: %+v", r)
			}
		case history.ScenarioImpossibleTravel:
			if r.Channel != "pos" || r.DeviceID != "" {
				t.Fatalf("impossible travel not card present: %+v", r)
			}
			// A card-present payment of the same customer in another country less than an
			// hour before.
			found := false
			for j := i - 1; j >= 0 && r.Timestamp.Sub(recs[j].Timestamp).Seconds() < 3600; j-- {
				p := recs[j]
				if p.CustomerID == r.CustomerID && p.Country != r.Country && p.Scenario != history.ScenarioImpossibleTravel &&
					(p.Channel == "pos" || p.Channel == "wallet") {
					found = true
				}
			}
			if !found {
				t.Fatalf("impossible travel %s without a payment at home in the hour before", r.ID)
			}
		}
	}
	for dev, b := range bursts {
		last := b[len(b)-1]
		if len(b) < 4 || last.Amount < 150 || last.Timestamp.Sub(b[0].Timestamp).Minutes() > 45 {
			t.Fatalf("burst %s: %d payments, last %v, lasting %v", dev, len(b), last.Amount, last.Timestamp.Sub(b[0].Timestamp))
		}
		for _, r := range b[:len(b)-1] {
			if r.Amount >= 3 || r.CustomerID != last.CustomerID {
				t.Fatalf("burst %s: test payment %v of customer %s", dev, r.Amount, r.CustomerID)
			}
		}
	}
	for _, s := range []string{history.ScenarioCardTesting, history.ScenarioAccountTakeover, history.ScenarioImpossibleTravel} {
		if seen[s] == 0 {
			t.Errorf("no %s records", s)
		}
	}
}

// TestDefaultDataset checks the figures the handbook's default dataset is known by: about
// 1.75 million transactions and a fraud rate of 0.8-0.9%, with the handbook's scenarios
// and with every scenario (the default).
func TestDefaultDataset(t *testing.T) {
	if testing.Short() {
		t.Skip("the default dataset is 1.8 million records")
	}
	for _, s := range []ScenarioSet{Handbook, DefaultScenarios} {
		sum, err := mustNew(t, Options{Seed: 1, Scenarios: s}).Run(context.Background(),
			func(*history.Record) error { return nil }, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: %d rows, %d frauds (%.3f%%) %v", s, sum.Rows, sum.Frauds, 100*sum.FraudRate(), sum.ByScenario)
		if sum.Rows < 1_700_000 || sum.Rows > 1_820_000 {
			t.Errorf("%v: %d rows, want about 1.75 million", s, sum.Rows)
		}
		if r := sum.FraudRate(); r < 0.008 || r > 0.009 {
			t.Errorf("%v: fraud rate %.4f%%, want 0.8-0.9%%", s, 100*r)
		}
	}
}
