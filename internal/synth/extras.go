package synth

import (
	"math"
	"math/rand/v2"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// extrasState draws vigil's scenarios beyond the handbook. Each adds its own fraudulent
// transactions to the day (it never alters the handbook's), from its own stream, so the
// handbook's transactions and labels are the same whichever extras are on.
type extrasState struct {
	on                            ScenarioSet
	cardTesting, takeover, travel *rand.Rand
}

func (x *extrasState) init(g *Generator) {
	x.on = g.scenarios
	x.cardTesting = newStream(g.opts.Seed, tagCardTesting)
	x.takeover = newStream(g.opts.Seed, tagAccountTakeover)
	x.travel = newStream(g.opts.Seed, tagImpossibleTravel)
}

// addDay appends day d's extra frauds to r.day, after its handbook transactions.
func (x *extrasState) addDay(r *run, d int) {
	handbook := len(r.day)
	if x.on&CardTesting != 0 {
		for range poisson(x.cardTesting, r.g.opts.CardTestingPerDay) {
			x.addCardTesting(r)
		}
	}
	if x.on&AccountTakeover != 0 {
		for range poisson(x.takeover, r.g.opts.AccountTakeoverPerDay) {
			x.addTakeover(r)
		}
	}
	if x.on&ImpossibleTravel != 0 {
		for range poisson(x.travel, r.g.opts.TravelPerDay) {
			x.addTravel(r, handbook)
		}
	}
}

// addCardTesting simulates a stolen card being tested: 3 to 8 tiny e-commerce payments
// (0.10 to 2.99) at one merchant, 20 s to 3 min apart, then 2 to 20 minutes later a large
// one (150 to 900) at another, all from the fraudster's device and address.
func (x *extrasState) addCardTesting(r *run) {
	rng, g := x.cardTesting, r.g
	c := rng.IntN(len(g.customers))
	if len(g.ecommerce) == 0 {
		return
	}
	tests := 3 + rng.IntN(6)
	tester := g.ecommerce[rng.IntN(len(g.ecommerce))]
	cashout := g.ecommerce[rng.IntN(len(g.ecommerce))]
	dev, ip := token(rng, "dev_"), randomIP(rng)
	secs := 1 + rng.IntN(secondsPerDay-3600) // the burst lasts under 45 minutes
	for range tests {
		r.day = append(r.day, tx{secs: secs, customer: c, terminal: tester,
			cents: 10 + rng.Int64N(290), scenario: codeCardTesting, device: dev, ip: ip})
		secs += 20 + rng.IntN(161)
	}
	secs += 120 + rng.IntN(1081)
	r.day = append(r.day, tx{secs: secs, customer: c, terminal: cashout,
		cents: 15000 + rng.Int64N(75001), scenario: codeCardTesting, device: dev, ip: ip})
}

// addTakeover simulates an account takeover: 2 to 5 e-commerce payments with the
// customer's card, 5 to 60 minutes apart, from a device and address the customer has
// never used, each of 3 to 8 times the customer's mean amount.
func (x *extrasState) addTakeover(r *run) {
	rng, g := x.takeover, r.g
	c := rng.IntN(len(g.customers))
	if len(g.ecommerce) == 0 {
		return
	}
	n := 2 + rng.IntN(4)
	dev, ip := token(rng, "dev_"), randomIP(rng)
	secs := 1 + rng.IntN(secondsPerDay-5*3600) // at most 4 gaps of under an hour
	for range n {
		t := g.ecommerce[rng.IntN(len(g.ecommerce))]
		cents := max(toCents(g.customers[c].mean*uniform(rng, 3, 8)), 1)
		r.day = append(r.day, tx{secs: secs, customer: c, terminal: t,
			cents: cents, scenario: codeAccountTakeover, device: dev, ip: ip})
		secs += 300 + rng.IntN(3301)
	}
}

// Impossible travel: the fraudulent payment is at least this far (on the 100 x 100 grid)
// from the legitimate one, in another country, 5 to 60 minutes after it.
const (
	travelMinDistance = gridSize / 2
	travelMaxGap      = 3600
	travelTries       = 200
)

// addTravel simulates a cloned card used in person far away: it picks one of the day's
// card-present handbook transactions (among the first n of r.day) and adds, 5 to 60
// minutes later, a card-present payment of 2 to 6 times the customer's mean amount at a
// terminal in another country at least half the grid away. It adds nothing when it finds
// no such pair in a few tries (tiny simulations).
func (x *extrasState) addTravel(r *run, n int) {
	rng, g := x.travel, r.g
	if n == 0 || len(g.present) == 0 {
		return
	}
	home := -1
	for range travelTries {
		i := rng.IntN(n)
		ch := g.terminals[r.day[i].terminal].channel
		if (ch == fraud.ChannelPOS || ch == fraud.ChannelWallet) && r.day[i].secs < secondsPerDay-travelMaxGap {
			home = i
			break
		}
	}
	if home < 0 {
		return
	}
	h := r.day[home]
	ht, hc := &g.terminals[h.terminal], &g.customers[h.customer]
	for range travelTries {
		t := g.present[rng.IntN(len(g.present))]
		ft := &g.terminals[t]
		if ft.country == ht.country || ft.country == hc.country ||
			math.Hypot(ft.x-ht.x, ft.y-ht.y) < travelMinDistance {
			continue
		}
		secs := h.secs + 300 + rng.IntN(travelMaxGap-300)
		cents := max(toCents(hc.mean*uniform(rng, 2, 6)), 1)
		r.day = append(r.day, tx{secs: secs, customer: h.customer, terminal: t,
			cents: cents, scenario: codeImpossibleTravel})
		return
	}
}
