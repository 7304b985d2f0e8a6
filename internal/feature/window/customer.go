package window

// CustomerEvent is one transaction in a customer's history: 12 bytes.
type CustomerEvent struct {
	Time uint32 // Unix seconds
	lo   uint32 // amount in cents, low 32 bits
	hi   uint32 // amount in cents bits 32-39 in the top byte; terminal hash in the low 24 bits
}

// Cents returns the event's amount in cents.
func (e *CustomerEvent) Cents() uint64 { return uint64(e.hi>>24)<<32 | uint64(e.lo) }

// TerminalHash returns the 24-bit hash of the event's terminal (see TerminalHash24).
func (e *CustomerEvent) TerminalHash() uint32 { return e.hi & 0xFFFFFF }

// TerminalHash24 returns the 24-bit form of an Observation's TerminalHash, as events keep it.
func TerminalHash24(h uint32) uint32 { return hash24(h) }

func customerEvent(o *Observation) CustomerEvent {
	c := min(o.Cents, maxCents)
	return CustomerEvent{Time: o.Time, lo: uint32(c), hi: uint32(c>>32)<<24 | hash24(o.TerminalHash)}
}

// maxDevices is how many distinct devices a customer's history remembers.
const maxDevices = 4

// Customer is one customer's history. The zero value is an empty history.
type Customer struct {
	events  ring[CustomerEvent]
	cents   uint64             // sum of the amounts of the events kept
	last    uint32             // time of the newest transaction observed (valid when seen)
	seen    bool               // a transaction was observed (possibly expired since)
	country [2]byte            // country of the newest transaction; zero when it had none
	devices [maxDevices]uint32 // distinct device hashes, most recently used first; 0 = empty
	folded  *folded            // cents of the events beyond Limits.MaxEvents, by day
}

// Len returns the number of events kept individually.
func (c *Customer) Len() int { return c.events.len() }

// At returns the i-th event kept, in time order (0 is the oldest; ties in arrival order).
func (c *Customer) At(i int) *CustomerEvent { return c.events.at(i) }

// Cents returns the sum of the amounts (in cents) of the events kept: with Len, the totals
// from which a window's aggregates follow by scanning only the events outside it.
func (c *Customer) Cents() uint64 { return c.cents }

// Last returns the time of the newest transaction the customer was seen with (even if it has
// expired from the windows since), and whether there was one.
func (c *Customer) Last() (sec uint32, ok bool) { return c.last, c.seen }

// Country returns the country of the customer's newest transaction (zero when it had none).
func (c *Customer) Country() [2]byte { return c.country }

// HasDevices reports whether the customer was seen with any device.
func (c *Customer) HasDevices() bool { return c.devices[0] != 0 }

// KnowsDevice reports whether h (an Observation's DeviceHash) is one of the customer's
// maxDevices most recently used devices.
func (c *Customer) KnowsDevice(h uint32) bool {
	for _, d := range c.devices {
		if d == h {
			return h != 0
		}
	}
	return false
}

// Folded returns the count and cents of the folded events in (lo, hi] (zero when none were
// folded); see the package documentation for the bound of this approximation.
func (c *Customer) Folded(lo, hi int64) (count, cents float64) {
	if c.folded == nil {
		return 0, 0
	}
	return c.folded.span(lo, hi)
}

// IsFolded reports whether some of the customer's events are folded (windows over them are
// approximate).
func (c *Customer) IsFolded() bool { return c.folded != nil }

// Add records o in the history: the newest-transaction facts when o is not older than the
// newest, the device, and the event at its place in time order. Events older than the
// horizon before the newest are dropped; beyond lim.MaxEvents the oldest are folded. Before
// anything else it sets o.Large from the history as it is before o, for the Terminal.Add that
// follows.
func (c *Customer) Add(o *Observation, lim *Limits) {
	o.Large = c.large(o)
	if !c.seen || o.Time >= c.last {
		c.last, c.country, c.seen = o.Time, o.Country, true
	}
	if o.DeviceHash != 0 {
		c.useDevice(o.DeviceHash)
	}
	r := &c.events
	newest := o.Time
	if r.n > 0 && r.at(int(r.n)-1).Time > newest {
		newest = r.at(int(r.n) - 1).Time
	}
	cutoff := int64(newest) - int64(lim.CustomerHorizon)
	if int64(o.Time) <= cutoff {
		return // already outside every window
	}
	e := customerEvent(o)
	p := int(r.n)
	for p > 0 && r.at(p-1).Time > o.Time {
		p--
	}
	if int(r.n) >= lim.MaxEvents {
		if p == 0 {
			c.fold(e)
			return
		}
		old := r.popFront()
		c.cents -= old.Cents()
		c.fold(old)
		p--
	}
	r.insert(p, e)
	c.cents += e.Cents()
	c.expire(cutoff)
}

// large reports whether o's amount (in cents) is more than LargeRatio times the mean amount of
// the customer's transactions in (t-30d, t-14d], t being o's time: the events kept in that
// span plus the folded ones in (t-30d, t], exactly the baseline package feature computes for
// customer_amount_ratio_old. It is false when the baseline is empty or zero. Like the
// feature engine, it takes the kept events' totals and walks only the events after t-14d and
// the few at or before t-30d: the ones the engine has just read to score o.
func (c *Customer) large(o *Observation) bool {
	lo, hi := int64(o.Time)-30*Day, int64(o.Time)-14*Day
	k, sum := uint64(c.events.n), c.cents
	i := c.Len() - 1
	for ; i >= 0; i-- {
		e := c.At(i)
		if int64(e.Time) <= hi {
			break
		}
		k--
		sum -= e.Cents()
	}
	for j := 0; j <= i; j++ {
		e := c.At(j)
		if int64(e.Time) > lo {
			break
		}
		k--
		sum -= e.Cents()
	}
	n, cents := float64(k), float64(sum)
	if c.folded != nil {
		fn, fc := c.folded.span(lo, int64(o.Time))
		n += fn
		cents += fc
	}
	return n > 0 && cents > 0 && float64(o.Cents)*n > LargeRatio*cents
}

func (c *Customer) fold(e CustomerEvent) {
	if c.folded == nil {
		c.folded = new(folded)
	}
	c.folded.add(e.Time, e.Cents())
}

// expire drops the events at or before cutoff (Unix seconds).
func (c *Customer) expire(cutoff int64) {
	r := &c.events
	dropped := false
	for r.n > 0 && int64(r.buf[r.head].Time) <= cutoff {
		old := r.popFront()
		c.cents -= old.Cents()
		dropped = true
	}
	if dropped {
		r.shrink()
	}
	if c.folded != nil && !c.folded.expire(cutoff) {
		c.folded = nil
	}
}

// Sweep drops the events that are past the horizon at time now (Unix seconds) and reports
// whether the history then holds no event. The newest-transaction facts stay.
func (c *Customer) Sweep(now int64, lim *Limits) (empty bool) {
	c.expire(now - int64(lim.CustomerHorizon))
	return c.events.n == 0 && c.folded == nil
}

// SweepDue reports, without changing the history, what Sweep(now, lim) would do: whether it
// would drop anything (an event or a folded day) and whether the history would then hold no
// event. A state that logs each history's sweep on its own uses it to skip the histories
// Sweep would leave as they are.
func (c *Customer) SweepDue(now int64, lim *Limits) (drops, empty bool) {
	var oldest, newest uint32
	if n := c.events.len(); n > 0 {
		oldest, newest = c.events.at(0).Time, c.events.at(n-1).Time
	}
	return sweepDue(c.events.len(), oldest, newest, c.folded, now-int64(lim.CustomerHorizon))
}

func (c *Customer) useDevice(h uint32) {
	i := 0
	for i < maxDevices-1 && c.devices[i] != h && c.devices[i] != 0 {
		i++
	}
	copy(c.devices[1:i+1], c.devices[:i])
	c.devices[0] = h
}
