package feature

import "github.com/vigil-fraud/vigil/internal/feature/window"

// Customer windows, in the order of inputs.cust.
const (
	w1h = iota
	w1d
	w7d
	w30d
	numCustomerWindows
)

var customerWindows = [numCustomerWindows]int64{hour, day, 7 * day, 30 * day}

// terminalWindows are the lengths of the delayed terminal windows, in the order of inputs.term.
var terminalWindows = [3]int64{day, 7 * day, 30 * day}

// agg is a count and a sum over a window: cents for a customer, frauds for a terminal. Both
// are whole numbers unless folded events made them approximate.
type agg struct{ n, sum float64 }

// mean returns the mean amount (sum is in cents); NaN when the window is empty.
func (a agg) mean() float64 {
	if a.n == 0 {
		return nan
	}
	return a.sum / a.n / 100
}

// risk returns frauds / transactions, 0 when the window is empty (as the handbook does).
func (a agg) risk() float64 {
	if a.n == 0 {
		return 0
	}
	return a.sum / a.n
}

// inputs are the aggregates the feature definitions read, gathered in one pass over the
// customer's and the terminal's histories.
type inputs struct {
	t        int64 // the transaction's time, Unix seconds
	amount   float64
	hour     int
	weekday  int                     // 0 Sunday .. 6 Saturday
	cust     [numCustomerWindows]agg // customer windows, this transaction included
	others   agg                     // customer's (t-30d, t] without this transaction
	recent14 agg                     // customer's (t-14d, t] without this transaction
	max14    float64                 // the largest amount (cents) in recent14's kept events
	small1h  float64
	distinct int
	previous int64 // time of the customer's latest transaction at or before t; -1 when none

	newDevice      bool
	countryChanged bool
	newest         int64 // time of the customer's newest earlier transaction (countryChanged)

	term       [3]agg   // terminal windows (t-7d-N, t-7d]
	termLast5  agg      // the terminal's 5 newest events at or before t-7d
	lastFraud  int64    // time of the terminal's newest known fraud at or before t; -1 when none
	firstFraud int64    // time of its oldest known fraud in (t-37d, t]; -1 when none
	run        fraudRun // the run of known frauds ending with the newest event in (t-37d, t-7d]
	// ordinaryRun is the same run of ordinary known frauds: an event flagged large
	// (window.Observation.Large) breaks it as a genuine one does.
	ordinaryRun       fraudRun
	lastOrdinaryFraud int64 // time of the newest known fraud at or before t not flagged large; -1 when none
}

// lastKnown is how many of a terminal's newest known-outcome events terminal_risk_last5 reads.
const lastKnown = 5

// riskOrNaN is risk, but missing (NaN) rather than 0 when the window is empty.
func (a agg) riskOrNaN() float64 {
	if a.n == 0 {
		return nan
	}
	return a.sum / a.n
}

func (in *inputs) sinceKnownFraud() float64 {
	if in.lastFraud < 0 {
		return nan
	}
	return float64(in.t - in.lastFraud)
}

func (in *inputs) sinceFirstKnownFraud() float64 {
	if in.firstFraud < 0 {
		return nan
	}
	return float64(in.t - in.firstFraud)
}

// since returns the seconds from time u to the transaction; NaN when u < 0 (none).
func (in *inputs) since(u int64) float64 {
	if u < 0 {
		return nan
	}
	return float64(in.t - u)
}

func (in *inputs) sincePrevious() float64 {
	if in.previous < 0 {
		return nan
	}
	return float64(in.t - in.previous)
}

func (in *inputs) amountRatio() float64 {
	// Amounts are kept in cents: sub-cent payments alone sum to 0, and the ratio is unknown
	// (not +Inf, which no model input may be).
	if in.others.n == 0 || in.others.sum <= 0 {
		return nan
	}
	return in.amount / in.others.mean()
}

// amountRatioOld is the amount over the customer's mean in (t-30d, t-14d]: a baseline that two
// weeks of fraudulent spending (a compromised card, a taken-over account) cannot inflate.
func (in *inputs) amountRatioOld() float64 {
	n, s := in.others.n-in.recent14.n, in.others.sum-in.recent14.sum
	if n <= 0 || s <= 0 {
		return nan
	}
	return in.amount / (s / n / 100)
}

// maxAmountRatio14d is the largest of the customer's other amounts in (t-14d, t] over its mean
// in (t-30d, t-14d], the baseline of amountRatioOld.
func (in *inputs) maxAmountRatio14d() float64 {
	n, s := in.others.n-in.recent14.n, in.others.sum-in.recent14.sum
	if in.recent14.n == 0 || n <= 0 || s <= 0 {
		return nan
	}
	return in.max14 / (s / n)
}

func (in *inputs) travelSeconds() float64 {
	if !in.countryChanged {
		return nan
	}
	return float64(max(0, in.t-in.newest))
}

// gather fills in from the transaction o (amount as given) and the histories before it; c
// and tm may be nil (unknown entities).
func (in *inputs) gather(o *window.Observation, amount float64, c *window.Customer, tm *window.Terminal) {
	t := int64(o.Time)
	*in = inputs{t: t, amount: amount, previous: -1, lastFraud: -1, firstFraud: -1, lastOrdinaryFraud: -1,
		run: noRun, ordinaryRun: noRun}
	in.hour = int(t % day / hour)
	in.weekday = int((t/day + 4) % 7) // 1970-01-01 was a Thursday
	in.scanCustomer(o, c)
	in.scanTerminal(o, tm)
}

// scanCustomer gathers the customer windows. It walks the events back from the newest only
// as far as 14 days back (the 7-day window and the recent part of the old baseline); the
// 30-day window follows from the history's totals minus the events after t and the (few)
// oldest ones at or before t-30d.
func (in *inputs) scanCustomer(o *window.Observation, c *window.Customer) {
	t := in.t
	var n [numCustomerWindows]int64
	var s [numCustomerWindows]uint64
	var small, n14 int64
	var s14, max14 uint64
	var terms [maxDistinct]uint32
	nt := 0
	if c != nil {
		var futureN int64
		var futureS uint64
		i := c.Len() - 1
		for ; i >= 0; i-- {
			e := c.At(i)
			et := int64(e.Time)
			if et > t { // arrived earlier but later in time: not in the past of t
				futureN++
				futureS += e.Cents()
				continue
			}
			if in.previous < 0 {
				in.previous = et
			}
			age := t - et
			if age >= 14*day {
				break
			}
			cents := e.Cents()
			n14++
			s14 += cents
			max14 = max(max14, cents)
			if age >= 7*day {
				continue
			}
			n[w7d]++
			s[w7d] += cents
			if age >= day {
				continue
			}
			n[w1d]++
			s[w1d] += cents
			nt = addDistinct(&terms, nt, e.TerminalHash())
			if age >= hour {
				continue
			}
			n[w1h]++
			s[w1h] += cents
			if cents < smallCents {
				small++
			}
		}
		n[w30d], s[w30d] = int64(c.Len())-futureN, c.Cents()-futureS
		for j := 0; j <= i; j++ {
			e := c.At(j)
			if int64(e.Time) > t-30*day {
				break
			}
			n[w30d]--
			s[w30d] -= e.Cents()
		}
		if last, ok := c.Last(); ok {
			if in.previous < 0 && int64(last) <= t {
				in.previous = int64(last)
			}
			in.newest = int64(last)
			prev := c.Country()
			in.countryChanged = o.Country != [2]byte{} && prev != [2]byte{} && prev != o.Country
		}
		in.newDevice = o.DeviceHash != 0 && c.HasDevices() && !c.KnowsDevice(o.DeviceHash)
	}
	for w := range in.cust {
		in.cust[w] = agg{float64(n[w]), float64(s[w])}
	}
	in.small1h = float64(small)
	if c != nil && c.IsFolded() {
		for w, length := range customerWindows {
			fn, fs := c.Folded(t-length, t)
			in.cust[w].n += fn
			in.cust[w].sum += fs
		}
	}
	in.others = in.cust[w30d]
	in.recent14 = agg{float64(n14), float64(s14)}
	in.max14 = float64(max14)
	// This transaction is in every customer window.
	for w := range in.cust {
		in.cust[w].n++
		in.cust[w].sum += float64(o.Cents)
	}
	if o.Cents < smallCents {
		in.small1h++
	}
	in.distinct = addDistinct(&terms, nt, window.TerminalHash24(o.TerminalHash))
}

// addDistinct adds h to the first nt entries of terms unless present (or terms is full) and
// returns the new count.
func addDistinct(terms *[maxDistinct]uint32, nt int, h uint32) int {
	for i := 0; i < nt; i++ {
		if terms[i] == h {
			return nt
		}
	}
	if nt == maxDistinct {
		return nt
	}
	terms[nt] = h
	return nt + 1
}

// scanTerminal gathers the delayed terminal windows, walking back from the newest event only
// as far as the 7-day window reaches; the 30-day window follows from the totals.
func (in *inputs) scanTerminal(o *window.Observation, tm *window.Terminal) {
	if tm == nil {
		return
	}
	end := in.t - terminalDelay
	var n, f [3]int64
	var skipN, skipF int64
	recent := recentScan{seekLast: tm.Frauds() > 0, walkAll: tm.Frauds() > 0}
	recentDone := false
	i := tm.Len() - 1
	for ; i >= 0; i-- {
		e := tm.At(i)
		var fr int64
		if e.Fraud() {
			fr = 1
		}
		et := int64(e.Time)
		if !recentDone {
			recentDone = recent.visit(in, e, et, end)
		}
		if et > end {
			skipN++
			skipF += fr
			continue
		}
		age := end - et
		if age >= 7*day {
			break
		}
		n[1]++
		f[1] += fr
		if age >= day {
			continue
		}
		n[0]++
		f[0] += fr
	}
	n[2], f[2] = int64(tm.Len())-skipN, int64(tm.Frauds())-skipF
	for j := 0; j <= i; j++ {
		e := tm.At(j)
		if int64(e.Time) > end-30*day {
			break
		}
		n[2]--
		if e.Fraud() {
			f[2]--
		}
	}
	for w := range in.term {
		in.term[w] = agg{float64(n[w]), float64(f[w])}
	}
	if tm.IsFolded() {
		for w, length := range terminalWindows {
			fn, ff := tm.Folded(end-length, end)
			in.term[w].n += fn
			in.term[w].sum += ff
		}
	}
	// The latest-outcome features may need events older than the windows' walk reached.
	for j := i - 1; j >= 0 && !recentDone; j-- {
		e := tm.At(j)
		recentDone = recent.visit(in, e, int64(e.Time), end)
	}
}

// recentHorizon bounds how far back the latest-outcome features look: the longest terminal
// window (t-37d), which the history's horizon always keeps.
const recentHorizon = terminalDelay + 30*day

// recentScan gathers the latest known outcomes of a terminal within (t-37d, t] as its events
// are visited newest first, in the same walk as the delayed windows: the lastKnown newest
// events at or before t-7d, the newest and oldest known frauds at or before t (and the newest
// not flagged large), and the runs of known frauds ending with the newest event at or before
// t-7d. Most terminals have no known fraud, so it is done after lastKnown events; a terminal
// with frauds is walked to the horizon for its oldest one.
type recentScan struct {
	k        int
	seekLast bool // the newest known fraud is not found yet
	walkAll  bool // the terminal has known frauds: the oldest needs the walk to the horizon
}

// fraudRun follows the run of known frauds among a terminal's events at or before t-7d, visited
// newest first: start is its oldest event, before the newest event older than it; -1 when none.
type fraudRun struct {
	start, before int64
	state         runState
}

var noRun = fraudRun{start: -1, before: -1}

// runState is where the walk is in a fraudRun.
type runState uint8

const (
	runNotStarted runState = iota // no event at or before t-7d visited yet
	runOpen                       // every such event visited so far is a known fraud
	runClosed                     // the run (possibly empty) has ended
)

// visit takes the next event (newest first) and reports whether the scan is done.
func (r *recentScan) visit(in *inputs, e *window.TerminalEvent, et, end int64) (done bool) {
	if et <= in.t-recentHorizon {
		return true
	}
	if r.walkAll && et <= in.t && e.Fraud() {
		in.firstFraud = et
		if r.seekLast {
			in.lastFraud, r.seekLast = et, false
		}
		if in.lastOrdinaryFraud < 0 && !e.Large() {
			in.lastOrdinaryFraud = et
		}
	}
	if et <= end {
		in.run.visit(e.Fraud(), et)
		in.ordinaryRun.visit(e.Fraud() && !e.Large(), et)
	}
	if et <= end && r.k < lastKnown {
		r.k++
		in.termLast5.n++
		if e.Fraud() {
			in.termLast5.sum++
		}
	}
	return r.k == lastKnown && !r.walkAll
}

// visit takes the next event at or before t-7d (newest first), fraud telling whether it
// continues the run.
func (r *fraudRun) visit(fraud bool, et int64) {
	switch {
	case r.state == runClosed:
	case fraud:
		r.start, r.state = et, runOpen
	case r.state == runOpen:
		r.before, r.state = et, runClosed
	default:
		r.state = runClosed
	}
}
