package api

import (
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// keyLimiter is one token bucket per API key id. A bucket idle long enough to have filled
// up again is the same as a new one, so it is evicted: memory stays bounded by the keys
// active in the last refill period.
type keyLimiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time
	idle  time.Duration // a bucket unused this long is full: evict it

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newKeyLimiter(perSecond float64, burst int, now func() time.Time) *keyLimiter {
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	if refill < time.Second {
		refill = time.Second
	}
	return &keyLimiter{rate: rate.Limit(perSecond), burst: burst, now: now, idle: refill,
		buckets: make(map[string]*bucket)}
}

// allow takes one token from id's bucket, or fails with a 429 saying when to retry. A nil
// limiter allows everything.
func (l *keyLimiter) allow(id string) error {
	if l == nil {
		return nil
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= l.idle {
		l.sweep(now)
	}
	b := l.buckets[id]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[id] = b
	}
	b.last = now
	res := b.lim.ReserveN(now, 1)
	delay := res.DelayFrom(now)
	if delay == 0 {
		return nil
	}
	res.CancelAt(now)
	return &httpError{status: http.StatusTooManyRequests, code: codeRateLimited,
		message:    "this key's request rate is exceeded; retry after the delay in Retry-After",
		retryAfter: int(math.Min(math.Ceil(delay.Seconds()), 3600))}
}

// sweep evicts the idle buckets; l.mu is held.
func (l *keyLimiter) sweep(now time.Time) {
	for id, b := range l.buckets {
		if now.Sub(b.last) >= l.idle {
			delete(l.buckets, id)
		}
	}
	l.lastSweep = now
}

// size returns the number of buckets held.
func (l *keyLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
