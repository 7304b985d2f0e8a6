package synth

import (
	"math"
	"math/rand/v2"
)

// Stream tags: each kind of draw has its own random stream derived from the seed, so that
// switching one scenario on or off never changes what another one draws, and the handbook's
// columns are the same whatever else is generated.
const (
	tagCustomers uint64 = iota + 1
	tagTerminals
	tagCustomerAttrs
	tagTerminalAttrs
	tagTransactions
	tagRich
	tagCompromisedTerminal
	tagCompromisedCustomer
	tagCardTesting
	tagAccountTakeover
	tagImpossibleTravel
)

// mix is the SplitMix64 finaliser: a bijection of uint64 that scatters nearby inputs.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash combines a seed, a stream tag and up to two indices into 64 well-mixed bits.
func hash(seed, tag, a, b uint64) uint64 {
	return mix(mix(mix(seed^mix(tag))^a) ^ b)
}

// newStream returns a generator for one stream of one seed.
func newStream(seed, tag uint64) *rand.Rand {
	return rand.New(rand.NewPCG(hash(seed, tag, 0, 0), hash(seed, tag, 1, 0))) // #nosec G404 -- simulation needs a seeded, reproducible generator
}

// reseed points pcg at the stream of (tag, a, b) for seed: used for the per-customer-day
// streams, which can be replayed for any day without generating the days before it.
func reseed(pcg *rand.PCG, seed, tag, a, b uint64) {
	pcg.Seed(hash(seed, tag, a, b), hash(seed, tag, a, b+1<<63))
}

// poisson draws from a Poisson distribution of mean lambda by Knuth's product of uniforms,
// exact and fast for the small means (at most a few per day) the simulator uses. Means
// above 30 fall back to a rounded normal approximation.
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		n := math.Round(lambda + math.Sqrt(lambda)*r.NormFloat64())
		return int(max(n, 0))
	}
	limit := math.Exp(-lambda)
	k := 0
	for p := r.Float64(); p > limit; p *= r.Float64() {
		k++
	}
	return k
}

// uniform draws from U(lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// sampleDistinct appends k distinct integers of [0, n) to dst, in draw order (Floyd's
// algorithm would lose the order; k is tiny here, so a linear duplicate check is cheapest).
func sampleDistinct(r *rand.Rand, dst []int, n, k int) []int {
	k = min(k, n)
	start := len(dst)
	for len(dst)-start < k {
		x := r.IntN(n)
		dup := false
		for _, y := range dst[start:] {
			if y == x {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, x)
		}
	}
	return dst
}

// u64 converts an index or a day, never negative, for hashing.
func u64(x int) uint64 {
	if x < 0 {
		panic("synth: negative index")
	}
	return uint64(x)
}

// toCents rounds an amount to cents like numpy.round(amount, 2): half to even.
func toCents(amount float64) int64 { return int64(math.RoundToEven(amount * 100)) }
