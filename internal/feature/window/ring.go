package window

import "slices"

// ring is a growable circular buffer of events, oldest first. Its capacity follows what it
// holds (grown by a quarter, shrunk when a quarter full), so memory tracks the window's
// content; in a steady state (as many events expire as arrive) it does not allocate.
type ring[E any] struct {
	buf  []E
	head int32 // index in buf of the oldest event
	n    int32 // number of events
}

func (r *ring[E]) len() int { return int(r.n) }

// at returns the i-th event, 0 being the oldest.
func (r *ring[E]) at(i int) *E {
	j := int(r.head) + i
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return &r.buf[j]
}

// push appends e as the newest event.
func (r *ring[E]) push(e E) {
	if int(r.n) == len(r.buf) {
		r.resize(growCap(int(r.n) + 1))
	}
	*r.at(int(r.n)) = e
	r.n++
}

// insert puts e at position i (0 <= i <= len), shifting the events from i on by one.
func (r *ring[E]) insert(i int, e E) {
	if i == int(r.n) {
		r.push(e)
		return
	}
	if int(r.n) == len(r.buf) {
		r.resize(growCap(int(r.n) + 1))
	}
	r.n++
	for k := int(r.n) - 1; k > i; k-- {
		*r.at(k) = *r.at(k - 1)
	}
	*r.at(i) = e
}

// popFront removes and returns the oldest event.
func (r *ring[E]) popFront() E {
	e := r.buf[r.head]
	r.head++
	if int(r.head) == len(r.buf) {
		r.head = 0
	}
	r.n--
	if r.n == 0 {
		r.head = 0
	}
	return e
}

// shrink gives memory back when the ring is at most a quarter full.
func (r *ring[E]) shrink() {
	if r.n == 0 {
		r.buf, r.head = nil, 0
		return
	}
	if len(r.buf) > 8 && int(r.n) <= len(r.buf)/4 {
		r.resize(growCap(int(r.n)))
	}
}

// resize moves the events to a new buffer of at least c slots (c >= len), rounded up to the
// allocator's size class so no allocated byte is wasted.
func (r *ring[E]) resize(c int) {
	nb := slices.Grow([]E(nil), c)
	nb = nb[:cap(nb)]
	k := copy(nb, r.buf[r.head:min(len(r.buf), int(r.head)+int(r.n))])
	copy(nb[k:], r.buf[:int(r.n)-k])
	r.buf, r.head = nb, 0
}

// reset empties the ring, keeping its buffer.
func (r *ring[E]) reset() { r.head, r.n = 0, 0 }

// growCap is the capacity given to a ring that must hold n events: a quarter more, at least 4.
func growCap(n int) int { return n + n/4 + 4 }
