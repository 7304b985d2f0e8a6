package window

// Event flags of a TerminalEvent.
const (
	flagFraud    = 1 << 0 // labelled fraud
	flagLabelled = 1 << 1 // a label was given (fraud or not)
	flagLarge    = 1 << 2 // the amount was large for its customer when observed (Observation.Large)
)

// TerminalEvent is one transaction in a terminal's history: 8 bytes.
type TerminalEvent struct {
	Time uint32 // Unix seconds
	aux  uint32 // transaction id hash (24 bits) << 8 | flags
}

// Fraud reports whether the event's transaction was labelled fraud (so far).
func (e *TerminalEvent) Fraud() bool { return e.aux&flagFraud != 0 }

// Labelled reports whether the event's transaction was given a label, fraud or not.
func (e *TerminalEvent) Labelled() bool { return e.aux&flagLabelled != 0 }

// Large reports whether the event's amount was large for its customer when it was observed
// (see Observation.Large). Events recorded before the flag existed report false.
func (e *TerminalEvent) Large() bool { return e.aux&flagLarge != 0 }

func (e *TerminalEvent) idHash() uint32 { return e.aux >> 8 }

// Terminal is one terminal's history. The zero value is an empty history.
type Terminal struct {
	events ring[TerminalEvent]
	frauds int32   // events kept that are labelled fraud
	folded *folded // frauds of the events beyond Limits.MaxEvents, by day
}

// Len returns the number of events kept individually.
func (t *Terminal) Len() int { return t.events.len() }

// At returns the i-th event kept, in time order (0 is the oldest; ties in arrival order).
func (t *Terminal) At(i int) *TerminalEvent { return t.events.at(i) }

// Frauds returns how many of the events kept are labelled fraud: with Len, the totals from
// which a window's aggregates follow by scanning only the events outside it.
func (t *Terminal) Frauds() int { return int(t.frauds) }

// Folded returns the count and frauds of the folded events in (lo, hi] (zero when none
// were folded); see the package documentation for the bound of this approximation.
func (t *Terminal) Folded(lo, hi int64) (count, frauds float64) {
	if t.folded == nil {
		return 0, 0
	}
	return t.folded.span(lo, hi)
}

// IsFolded reports whether some of the terminal's events are folded.
func (t *Terminal) IsFolded() bool { return t.folded != nil }

// Add records o in the history at its place in time order, with o.Large (so a state adds o
// to its customer's history first: Customer.Add sets it). Events older than the horizon
// before the newest are dropped; beyond lim.MaxEvents the oldest are folded.
func (t *Terminal) Add(o *Observation, lim *Limits) {
	r := &t.events
	newest := o.Time
	if r.n > 0 && r.at(int(r.n)-1).Time > newest {
		newest = r.at(int(r.n) - 1).Time
	}
	cutoff := int64(newest) - int64(lim.TerminalHorizon)
	if int64(o.Time) <= cutoff {
		return
	}
	e := TerminalEvent{Time: o.Time, aux: hash24(o.IDHash) << 8}
	if o.Large {
		e.aux |= flagLarge
	}
	p := int(r.n)
	for p > 0 && r.at(p-1).Time > o.Time {
		p--
	}
	if int(r.n) >= lim.MaxEvents {
		if p == 0 {
			t.fold(e)
			return
		}
		old := r.popFront()
		if old.Fraud() {
			t.frauds--
		}
		t.fold(old)
		p--
	}
	r.insert(p, e)
	t.expire(cutoff)
}

// Label marks the event of the transaction observed as o (same second, same id hash) fraud or
// not, and reports whether it found it. Among several matching events (a hash collision in
// the same second) the oldest unlabelled one is marked, else the oldest. A fraud label for
// an event already folded adds a fraud to its day (at most the day's count): repeating it
// counts it again, which is the one case where labels are not idempotent.
func (t *Terminal) Label(o *Observation, isFraud bool) bool {
	r := &t.events
	h := hash24(o.IDHash)
	p := int(r.n) - 1
	for p >= 0 && r.at(p).Time > o.Time {
		p--
	}
	match := -1
	for ; p >= 0 && r.at(p).Time == o.Time; p-- {
		e := r.at(p)
		if e.idHash() == h && (match < 0 || !e.Labelled() || r.at(match).Labelled()) {
			match = p
		}
	}
	if match >= 0 {
		e := r.at(match)
		if e.Fraud() {
			t.frauds--
		}
		e.aux = e.aux&^flagFraud | flagLabelled
		if isFraud {
			e.aux |= flagFraud
			t.frauds++
		}
		return true
	}
	if t.folded != nil && isFraud && (r.n == 0 || o.Time < r.at(0).Time) {
		if s := t.folded.slot(o.Time); s >= 0 {
			if t.folded.sum[s] < uint64(t.folded.count[s]) {
				t.folded.sum[s]++
			}
			return true
		}
	}
	return false
}

func (t *Terminal) fold(e TerminalEvent) {
	if t.folded == nil {
		t.folded = new(folded)
	}
	var f uint64
	if e.Fraud() {
		f = 1
	}
	t.folded.add(e.Time, f)
}

func (t *Terminal) expire(cutoff int64) {
	r := &t.events
	dropped := false
	for r.n > 0 && int64(r.buf[r.head].Time) <= cutoff {
		if old := r.popFront(); old.Fraud() {
			t.frauds--
		}
		dropped = true
	}
	if dropped {
		r.shrink()
	}
	if t.folded != nil && !t.folded.expire(cutoff) {
		t.folded = nil
	}
}

// SweepDue reports, without changing the history, what Sweep(now, lim) would do: whether it
// would drop anything and whether the history would then be empty (see Customer.SweepDue).
func (t *Terminal) SweepDue(now int64, lim *Limits) (drops, empty bool) {
	var oldest, newest uint32
	if n := t.events.len(); n > 0 {
		oldest, newest = t.events.at(0).Time, t.events.at(n-1).Time
	}
	return sweepDue(t.events.len(), oldest, newest, t.folded, now-int64(lim.TerminalHorizon))
}

// Sweep drops the events that are past the horizon at time now (Unix seconds) and reports
// whether the history is then empty.
func (t *Terminal) Sweep(now int64, lim *Limits) (empty bool) {
	t.expire(now - int64(lim.TerminalHorizon))
	return t.events.n == 0 && t.folded == nil
}
