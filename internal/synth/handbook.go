package synth

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

// Durations of the handbook's compromises, in days.
const (
	terminalCompromiseDays = 28
	customerCompromiseDays = 14
	terminalsPerDay        = 2
	customersPerDay        = 3
	highAmountCents        = 22000 // scenario 1: amount > 220
)

// handbookState is what the handbook's add_frauds needs, kept day by day: until which day
// each terminal is compromised, and the transactions already chosen for each customer
// compromise that is still running.
type handbookState struct {
	on        ScenarioSet
	until     []int // per terminal: compromised on days < until
	terminals *rand.Rand
	customers *rand.Rand
	events    []customerEvent // running customer compromises
	active    []uint8         // per customer: how many of events are its
	drawn     []int           // scratch: the terminals or customers drawn today
	picked    []int           // scratch: the transactions a customer compromise picks
	counts    []int           // scratch: transactions per day of a window
}

// customerEvent is one compromise of one customer (scenario 3): the transactions it turns
// into frauds, as (day, index among the customer's transactions of that day), sorted.
type customerEvent struct {
	customer int
	end      int // first day after the window
	picks    []txRef
}

// txRef is the k-th transaction of a customer on a day.
type txRef struct{ day, k int }

func comparePicks(a, b txRef) int {
	if a.day != b.day {
		return cmp.Compare(a.day, b.day)
	}
	return cmp.Compare(a.k, b.k)
}

func (h *handbookState) init(g *Generator) {
	h.on = g.scenarios
	if h.on&CompromisedTerminal != 0 {
		h.until = make([]int, len(g.terminals))
		h.terminals = newStream(g.opts.Seed, tagCompromisedTerminal)
	}
	if h.on&CompromisedCustomer != 0 {
		h.active = make([]uint8, len(g.customers))
		h.customers = newStream(g.opts.Seed, tagCompromisedCustomer)
	}
}

// startDay ends the customer compromises whose window is over and draws day d's new
// compromises. Like the handbook's loops over range(TX_TIME_DAYS.max()), no compromise
// starts on the last day.
func (h *handbookState) startDay(r *run, d int) {
	h.events = slices.DeleteFunc(h.events, func(e customerEvent) bool {
		if e.end <= d {
			h.active[e.customer]--
			return true
		}
		return false
	})
	days := r.g.opts.Days
	if d >= days-1 {
		return
	}
	if h.on&CompromisedTerminal != 0 {
		h.drawn = sampleDistinct(h.terminals, h.drawn[:0], len(r.g.terminals), terminalsPerDay)
		for _, t := range h.drawn {
			end := min(d+terminalCompromiseDays, days)
			h.until[t] = max(h.until[t], end)
			if r.g.onCompromise != nil {
				r.g.onCompromise(CompromisedTerminal, t, d, end)
			}
		}
	}
	if h.on&CompromisedCustomer != 0 {
		h.drawn = sampleDistinct(h.customers, h.drawn[:0], len(r.g.customers), customersPerDay)
		h.compromiseCustomers(r, h.drawn, d)
	}
}

// compromiseCustomers starts the compromise of the day's customers cs on day d. As the
// handbook's add_frauds does, the transactions all of them make in the 14-day window are
// pooled and exactly floor(n/3) of those n are picked (one customer may get more or less than
// a third of its own, a customer with one or two transactions may get some). The window is in
// the future, but each customer-day has its own stream, so the days are replayed here to
// count them, then the picks are drawn and remembered, per customer, until the window ends.
func (h *handbookState) compromiseCustomers(r *run, cs []int, d int) {
	end := min(d+customerCompromiseDays, r.g.opts.Days)
	span := end - d
	h.counts = h.counts[:0] // per customer of cs, per day of the window, in that order
	n := 0
	for _, c := range cs {
		for day := d; day < end; day++ {
			r.scr = r.customerDay(c, day, r.scr[:0])
			h.counts = append(h.counts, len(r.scr))
			n += len(r.scr)
		}
	}
	events := make([]customerEvent, len(cs))
	for j, c := range cs {
		events[j] = customerEvent{customer: c, end: end}
	}
	h.picked = sampleDistinct(h.customers, h.picked[:0], n, n/3)
	for _, i := range h.picked {
		k := i
		for slot, cnt := range h.counts {
			if k < cnt {
				j := slot / span
				events[j].picks = append(events[j].picks, txRef{d + slot%span, k})
				break
			}
			k -= cnt
		}
	}
	for j, e := range events {
		slices.SortFunc(e.picks, comparePicks)
		h.events = append(h.events, e)
		h.active[cs[j]]++
		if r.g.onCompromise != nil {
			r.g.onCompromise(CompromisedCustomer, cs[j], d, end)
		}
	}
}

// label applies the handbook's scenarios to the k-th transaction of its customer on day d,
// in the handbook's order, a later scenario overwriting an earlier one's tag: 1, amount >
// 220 (before any x5); 2, a compromised terminal; 3, a transaction a compromise of its
// customer picked, whose amount is multiplied by 5 (once per compromise that picked it,
// as in the handbook, where overlapping windows can pick a transaction twice).
func (h *handbookState) label(t *tx, d, k int) {
	if h.on&HighAmount != 0 && t.cents > highAmountCents {
		t.scenario = codeHighAmount
	}
	if h.on&CompromisedTerminal != 0 && h.until[t.terminal] > d {
		t.scenario = codeCompromisedTerminal
	}
	if h.on&CompromisedCustomer != 0 && h.active[t.customer] > 0 {
		key := txRef{d, k}
		for i := range h.events {
			e := &h.events[i]
			if e.customer != t.customer {
				continue
			}
			if _, ok := slices.BinarySearchFunc(e.picks, key, comparePicks); ok {
				t.cents *= 5
				t.scenario = codeCompromisedCustomer
			}
		}
	}
}
