package window

// foldDays is the span of the fold buckets: one per day, indexed by day number modulo
// foldDays. It exceeds every horizon, so a live slot never holds two days.
const foldDays = 40

// folded holds, per day, the events an entity could not keep individually (beyond
// Limits.MaxEvents): their number and the sum of one value (cents for a customer, frauds for
// a terminal). It exists only for the few entities that overflow.
type folded struct {
	day   [foldDays]uint32 // day number + 1; 0 marks an empty slot
	count [foldDays]uint32
	sum   [foldDays]uint64
}

// add folds one event of second sec with value v.
func (f *folded) add(sec uint32, v uint64) {
	d := sec / Day
	s := d % foldDays
	if f.day[s] != d+1 {
		f.day[s], f.count[s], f.sum[s] = d+1, 0, 0
	}
	f.count[s]++
	f.sum[s] += v
}

// slot returns the slot of the day holding sec, or -1 when that day has no folded event.
func (f *folded) slot(sec uint32) int {
	d := sec / Day
	s := d % foldDays
	if f.day[s] != d+1 {
		return -1
	}
	return int(s)
}

// expire empties the days entirely at or before cutoff (Unix seconds) and reports whether
// any slot is still in use.
func (f *folded) expire(cutoff int64) bool {
	used := false
	for s := range f.day {
		if f.day[s] == 0 {
			continue
		}
		end := int64(f.day[s]) * Day // (day+1)*Day: first second after the day
		if end-1 <= cutoff {
			f.day[s], f.count[s], f.sum[s] = 0, 0, 0
			continue
		}
		used = true
	}
	return used
}

// due reports, without changing f, whether expire(cutoff) would empty a slot (or drop f,
// which holds none in use) and whether a slot would still be in use. f may be nil.
func (f *folded) due(cutoff int64) (drops, used bool) {
	if f == nil {
		return false, false
	}
	for s := range f.day {
		if f.day[s] == 0 {
			continue
		}
		if int64(f.day[s])*Day-1 <= cutoff {
			drops = true
			continue
		}
		used = true
	}
	return drops || !used, used
}

// sweepDue is SweepDue for a history of n events kept individually, the oldest and newest at
// the given times, and folded days f: whether expiring everything at or before cutoff would
// drop anything, and whether nothing would be left.
func sweepDue(n int, oldest, newest uint32, f *folded, cutoff int64) (drops, empty bool) {
	fDrops, fUsed := f.due(cutoff)
	drops = n > 0 && int64(oldest) <= cutoff || fDrops
	empty = (n == 0 || int64(newest) <= cutoff) && !fUsed
	return drops, empty
}

// span returns the folded count and sum falling in the window (lo, hi] of Unix seconds,
// taking of a day cut by a bound the share of its seconds inside the window (events are
// assumed spread evenly over their day). Days fully inside count whole, so the error is
// less than the folded count (sum) of the at most two days the bounds cut.
func (f *folded) span(lo, hi int64) (count, sum float64) {
	for s := range f.day {
		if f.day[s] == 0 {
			continue
		}
		ds := int64(f.day[s]-1) * Day // first second of the day
		de := ds + Day - 1            // last second of the day
		a, b := max(lo+1, ds), min(hi, de)
		if a > b {
			continue
		}
		if a == ds && b == de {
			count += float64(f.count[s])
			sum += float64(f.sum[s])
			continue
		}
		frac := float64(b-a+1) / Day
		count += frac * float64(f.count[s])
		sum += frac * float64(f.sum[s])
	}
	return count, sum
}
