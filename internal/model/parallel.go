package model

import (
	"sync"
	"sync/atomic"
)

// parallelFor calls fn(i) for every i in [0, n) on up to workers goroutines
// and returns when all calls have returned. fn must only write state owned by
// its i; which goroutine runs which i is left to the scheduler, so results
// stay deterministic only when every i is computed the same way wherever it
// runs, which is how every caller here uses it.
func parallelFor(n, workers int, fn func(i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

// rowChunk is the fixed number of rows per unit of row-parallel work. Partial
// sums are kept per chunk and added in chunk order, so a sum does not depend
// on the number of workers.
const rowChunk = 16384

// chunks returns the number of rowChunk-sized pieces of n rows.
func chunks(n int) int { return (n + rowChunk - 1) / rowChunk }

// chunkRange returns the rows [lo, hi) of chunk c of n rows.
func chunkRange(c, n int) (lo, hi int) {
	lo = c * rowChunk
	return lo, min(lo+rowChunk, n)
}
