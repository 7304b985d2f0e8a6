package synth

import (
	"fmt"
	"math"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// The handbook's default dataset, which is also ours.
const (
	DefaultCustomers = 5000
	DefaultTerminals = 10000
	DefaultDays      = 183
	DefaultRadius    = 5.0
)

// DefaultStart is the first day of the handbook's dataset, 2018-04-01 (UTC).
var DefaultStart = time.Date(2018, 4, 1, 0, 0, 0, 0, time.UTC)

// Default daily rates of the extra scenarios (events per day, Poisson). A card-testing
// burst makes about 6.5 fraudulent transactions, a takeover about 3.5, an impossible
// journey one; at these rates the extras add about 380 frauds (0.02 percentage points) to
// the default 183-day dataset, which keeps its fraud rate in the handbook's 0.8-0.9% band
// (the handbook's scenarios alone give 0.81-0.85% over seeds 1-10; all of them 0.83-0.87%).
const (
	DefaultCardTestingPerDay     = 0.15
	DefaultAccountTakeoverPerDay = 0.2
	DefaultTravelPerDay          = 0.4
)

// Limits on Options: they bound memory (proportional to customers and terminals) and keep
// identifiers in 32 bits.
const (
	MaxCustomers = 10_000_000
	MaxTerminals = 10_000_000
	MaxDays      = 36_600
	gridSize     = 100.0 // the side of the square customers and terminals live on
)

// Options sets the size and content of a simulation. The zero value of each field takes
// its default (the handbook's dataset, every scenario); Seed 0 is a seed like any other.
type Options struct {
	Customers int       // number of customers (default 5,000)
	Terminals int       // number of terminals (default 10,000)
	Days      int       // number of days simulated (default 183)
	Start     time.Time // first day; only its UTC date is used (default 2018-04-01)
	Radius    float64   // a customer uses the terminals closer than this (default 5)
	Seed      uint64    // the same options and seed always give the same records

	// Scenarios selects the fraud scenarios (default DefaultScenarios).
	Scenarios ScenarioSet

	// Events per day of the extra scenarios, when they are selected (defaults above; to
	// switch one off, leave it out of Scenarios).
	CardTestingPerDay     float64
	AccountTakeoverPerDay float64
	TravelPerDay          float64
}

// withDefaults fills zero fields and checks the rest. Errors wrap fraud.ErrInvalid.
func (o Options) withDefaults() (Options, error) {
	if o.Customers == 0 {
		o.Customers = DefaultCustomers
	}
	if o.Terminals == 0 {
		o.Terminals = DefaultTerminals
	}
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	y, m, d := o.Start.UTC().Date()
	o.Start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if o.Radius == 0 {
		o.Radius = DefaultRadius
	}
	if o.CardTestingPerDay == 0 {
		o.CardTestingPerDay = DefaultCardTestingPerDay
	}
	if o.AccountTakeoverPerDay == 0 {
		o.AccountTakeoverPerDay = DefaultAccountTakeoverPerDay
	}
	if o.TravelPerDay == 0 {
		o.TravelPerDay = DefaultTravelPerDay
	}
	switch {
	case o.Customers < 1 || o.Customers > MaxCustomers:
		return o, fmt.Errorf("%w: customers must be between 1 and %d, got %d", fraud.ErrInvalid, MaxCustomers, o.Customers)
	case o.Terminals < 1 || o.Terminals > MaxTerminals:
		return o, fmt.Errorf("%w: terminals must be between 1 and %d, got %d", fraud.ErrInvalid, MaxTerminals, o.Terminals)
	case o.Days < 1 || o.Days > MaxDays:
		return o, fmt.Errorf("%w: days must be between 1 and %d, got %d", fraud.ErrInvalid, MaxDays, o.Days)
	case o.Start.Year() < 1970 || o.Start.AddDate(0, 0, o.Days).Year() > 9999:
		return o, fmt.Errorf("%w: start must be between 1970 and 9999 (the whole period too)", fraud.ErrInvalid)
	case !(o.Radius > 0) || math.IsInf(o.Radius, 0):
		return o, fmt.Errorf("%w: radius must be a positive number, got %v", fraud.ErrInvalid, o.Radius)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"card testing", o.CardTestingPerDay}, {"account takeover", o.AccountTakeoverPerDay}, {"travel", o.TravelPerDay}} {
		if !(r.v >= 0) || r.v > 1000 {
			return o, fmt.Errorf("%w: %s events per day must be between 0 and 1000, got %v", fraud.ErrInvalid, r.name, r.v)
		}
	}
	if o.Scenarios&^(All|NoScenarios) != 0 {
		return o, fmt.Errorf("%w: unknown scenario bits %#x", fraud.ErrInvalid, uint16(o.Scenarios&^(All|NoScenarios)))
	}
	return o, nil
}
