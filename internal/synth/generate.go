package synth

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/history"
)

// Version names the simulation algorithm. It changes whenever the same options and seed
// would give different records, and is written in the files' metadata.
const Version = "1"

// Currency is the currency of every simulated transaction.
const Currency = "EUR"

// secondsPerDay is the length of a simulated day; a time of day is in (0, secondsPerDay).
const secondsPerDay = 86400

// Generator simulates one dataset. Create it with New; Run may be called any number of
// times, concurrently too, and always emits the same records.
type Generator struct {
	opts      Options
	scenarios ScenarioSet // effective: never zero-means-default, never NoScenarios
	customers []customer
	terminals []terminal
	nearby    *nearby
	ecommerce []int // e-commerce terminals, for card testing and takeovers
	present   []int // card-present (pos) terminals, for impossible travel

	// onCompromise, when set (by tests), is told each handbook compromise as it is drawn:
	// the scenario, the terminal or customer, and its first and last+1 day.
	onCompromise func(s ScenarioSet, id, from, to int)
}

// Summary counts what a run emitted.
type Summary struct {
	Rows       int            // records emitted
	Frauds     int            // records with Fraud set
	ByScenario map[string]int // frauds by fraud_scenario name (only the scenarios that occurred)
	Customers  int
	Terminals  int
	Days       int // days fully emitted
}

// FraudRate returns Frauds / Rows (0 when there are no rows).
func (s Summary) FraudRate() float64 {
	if s.Rows == 0 {
		return 0
	}
	return float64(s.Frauds) / float64(s.Rows)
}

// New draws the customers and terminals of a simulation and pairs them. It fails with an
// error wrapping fraud.ErrInvalid when an option is out of range.
func New(o Options) (*Generator, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &Generator{opts: o, scenarios: o.Scenarios.effective()}
	g.customers = newCustomers(o.Customers, o.Seed)
	g.terminals = newTerminals(o.Terminals, o.Seed)
	g.nearby = newNearby(g.customers, g.terminals, o.Radius)
	for i, t := range g.terminals {
		switch t.channel {
		case fraud.ChannelEcommerce:
			g.ecommerce = append(g.ecommerce, i)
		case fraud.ChannelPOS:
			g.present = append(g.present, i)
		}
	}
	return g, nil
}

// Options returns the options in effect, defaults filled in.
func (g *Generator) Options() Options { return g.opts }

// tx is one simulated transaction of the day being built.
type tx struct {
	secs     int // time of day, in (0, 86400)
	customer int
	terminal int
	cents    int64
	scenario uint8 // 1 + index in scenarioNames; 0 when legitimate
	device   string
	ip       string
}

// Scenario codes of tx.scenario.
const (
	codeHighAmount uint8 = 1 + iota
	codeCompromisedTerminal
	codeCompromisedCustomer
	codeCardTesting
	codeAccountTakeover
	codeImpossibleTravel
)

// Run simulates the days in order and calls emit with every record, sorted by time, with
// transaction ids "0", "1", ... in that order. The record passed to emit is reused: it is
// valid only during the call (copying the struct keeps it; its strings are immutable).
// progress, if not nil, is called after each day with the number of days done.
//
// Memory stays proportional to the customers and terminals plus one day's transactions,
// whatever the number of days. Run stops at the first error emit returns, or when ctx is
// done (checked before each day), and returns that error unwrapped with the summary of
// what was emitted until then.
func (g *Generator) Run(ctx context.Context, emit func(*history.Record) error, progress func(day, days int)) (Summary, error) {
	r := g.newRun()
	sum := Summary{ByScenario: map[string]int{}, Customers: len(g.customers), Terminals: len(g.terminals)}
	var rec history.Record
	row := 0
	for d := range g.opts.Days {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		day := r.simulateDay(d)
		dayStart := g.opts.Start.AddDate(0, 0, d)
		for _, o := range r.order {
			t := &day[o%len(day)]
			cu, te := &g.customers[t.customer], &g.terminals[t.terminal]
			rec = history.Record{
				Transaction: fraud.Transaction{
					ID:               strconv.Itoa(row),
					Timestamp:        dayStart.Add(time.Duration(t.secs) * time.Second),
					Amount:           float64(t.cents) / 100,
					Currency:         Currency,
					CustomerID:       cu.id,
					TerminalID:       te.id,
					Card:             cu.card,
					MerchantCategory: te.mcc,
					Channel:          te.channel,
					Country:          te.country,
					DeviceID:         t.device,
					IP:               t.ip,
				},
			}
			if t.scenario != 0 {
				rec.Fraud = true
				rec.Scenario = scenarioNames[t.scenario-1].name
				sum.Frauds++
				sum.ByScenario[rec.Scenario]++
			}
			if err := emit(&rec); err != nil {
				return sum, err
			}
			row++
			sum.Rows++
		}
		sum.Days++
		if progress != nil {
			progress(d+1, g.opts.Days)
		}
	}
	return sum, nil
}

// run is the state of one Run: the streams, the compromised terminals and customers, and
// the day being built.
type run struct {
	g     *Generator
	pcg   rand.PCG   // reseeded for each customer-day
	rng   *rand.Rand // reads pcg
	day   []tx       // the day being built, in creation order
	order []int      // the day's transactions in time order: secs*len(day) + index in day
	scr   []tx       // scratch for look-ahead
	hand  handbookState
	ext   extrasState
}

func (g *Generator) newRun() *run {
	r := &run{g: g}
	r.rng = rand.New(&r.pcg) // #nosec G404 -- simulation needs a seeded, reproducible generator
	r.hand.init(g)
	r.ext.init(g)
	return r
}

// customerDay appends customer c's transactions of day d to dst, following the handbook's
// generate_transactions_table: a Poisson number of draws; each a time of day
// int(N(43200, 20000)) kept only inside (0, 86400), an amount N(mean, std) (a negative one
// replaced by U(0, 2*mean)) rounded to cents, and a terminal drawn uniformly among the
// customer's (none when it has none). Each customer-day has its own stream, so the same
// day can be replayed for looking ahead, and the result never depends on anything else.
func (r *run) customerDay(c, d int, dst []tx) []tx {
	g := r.g
	reseed(&r.pcg, g.opts.Seed, tagTransactions, u64(c), u64(d))
	cu := &g.customers[c]
	terms := g.nearby.of(c)
	n := poisson(r.rng, cu.rate)
	for range n {
		secs := int(secondsPerDay/2 + 20000*r.rng.NormFloat64()) // int() truncates like Python's
		if secs <= 0 || secs >= secondsPerDay {
			continue
		}
		amount := cu.mean + cu.std*r.rng.NormFloat64()
		if amount < 0 {
			amount = uniform(r.rng, 0, 2*cu.mean)
		}
		// vigil refuses non-positive amounts; the handbook keeps the rare 0.00 draws.
		cents := max(toCents(amount), 1)
		if len(terms) == 0 {
			continue
		}
		t := terms[r.rng.IntN(len(terms))]
		dst = append(dst, tx{secs: secs, customer: c, terminal: t, cents: cents})
	}
	return dst
}

// simulateDay builds day d: the handbook's transactions labelled by its scenarios, then
// the extra scenarios' transactions, all sorted by time.
func (r *run) simulateDay(d int) []tx {
	g := r.g
	r.hand.startDay(r, d)
	r.day = r.day[:0]
	for c := range g.customers {
		from := len(r.day)
		r.day = r.customerDay(c, d, r.day)
		for k := from; k < len(r.day); k++ {
			t := &r.day[k]
			r.hand.label(t, d, k-from)
			r.enrich(t, d, k-from)
		}
	}
	r.ext.addDay(r, d)
	// Sort by time, ties in creation order: sorting integer keys (time, index) is much
	// cheaper than moving the transactions.
	r.order = r.order[:0]
	for i := range r.day {
		r.order = append(r.order, r.day[i].secs*len(r.day)+i)
	}
	slices.Sort(r.order)
	return r.day
}

// enrich gives a handbook transaction the device and address of a card-not-present or
// wallet payment: one of the customer's own devices (the first four times in five when it
// has two). It draws from a hash, not from the transaction stream, so the handbook's
// columns are the same as without it.
func (r *run) enrich(t *tx, d, k int) {
	ch := r.g.terminals[t.terminal].channel
	if ch != fraud.ChannelEcommerce && ch != fraud.ChannelWallet {
		return
	}
	devs := r.g.customers[t.customer].devices
	dv := devs[0]
	if len(devs) > 1 && hash(r.g.opts.Seed, tagRich, u64(t.customer)<<32|u64(d), u64(k))%5 == 0 {
		dv = devs[1]
	}
	t.device = dv.id
	if ch == fraud.ChannelEcommerce {
		t.ip = dv.ip
	}
}
