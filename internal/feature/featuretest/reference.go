package featuretest

import (
	"math"
	"sort"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/feature/window"
	"github.com/vigil-fraud/vigil/internal/history"
)

// Reference returns the features of every record of recs, computed straight from the
// definitions by scanning, for each record, every earlier record of its customer and
// terminal: slow (quadratic per entity) and obviously right, to check the engine against.
//
// It follows feature.Replay's semantics: records are processed in file order; record i sees
// the records before it (and itself for the customer windows); the ground truth of record j
// is known to record i when j's time + labelDelay <= the newest time among records 0..i
// (labelDelay < 0: never).
func Reference(recs []history.Record, labelDelay time.Duration) [][]float64 {
	const day = 86400
	delay := int64((labelDelay + time.Second - 1) / time.Second)
	byCustomer := map[string][]int{}
	byTerminal := map[string][]int{}
	// large[j]: record j's amount was more than window.LargeRatio times its customer's mean in
	// (tj-30d, tj-14d] over the records before it (in cents, so the comparison is exact).
	large := make([]bool, len(recs))
	out := make([][]float64, len(recs))
	var clock int64
	for i := range recs {
		r := &recs[i]
		t := r.Timestamp.Unix()
		if i == 0 || t > clock {
			clock = t
		}
		f := make([]float64, feature.NumFeatures)
		out[i] = f
		f[feature.Amount] = r.Amount
		weekday := r.Timestamp.UTC().Weekday()
		f[feature.Weekend] = b2f(weekday == time.Saturday || weekday == time.Sunday)
		f[feature.Night] = b2f(r.Timestamp.UTC().Hour() <= 6)
		f[feature.Hour] = float64(r.Timestamp.UTC().Hour())

		// Customer windows (t-N, t], this record included.
		past := byCustomer[r.CustomerID]
		for _, w := range []struct {
			n, mean feature.Index
			length  int64
		}{
			{feature.CustomerTxCount1d, feature.CustomerMeanAmount1d, day},
			{feature.CustomerTxCount7d, feature.CustomerMeanAmount7d, 7 * day},
			{feature.CustomerTxCount30d, feature.CustomerMeanAmount30d, 30 * day},
		} {
			n, sum := 1.0, r.Amount
			for _, j := range past {
				if tj := recs[j].Timestamp.Unix(); tj > t-w.length && tj <= t {
					n++
					sum += recs[j].Amount
				}
			}
			f[w.n], f[w.mean] = n, sum/n
		}
		n1h, small1h := 1.0, b2f(cents(r.Amount) < 500)
		terms := map[string]bool{r.TerminalID: true}
		others, othersSum := 0.0, 0.0
		var othersCents int64
		old, oldSum := 0.0, 0.0 // (t-30d, t-14d]
		var oldCents int64
		recent14, recentMax := 0, 0.0 // (t-14d, t]
		previous := int64(-1)
		for _, j := range past {
			tj := recs[j].Timestamp.Unix()
			if tj > t {
				continue
			}
			previous = max(previous, tj)
			if tj > t-3600 {
				n1h++
				small1h += b2f(cents(recs[j].Amount) < 500)
			}
			if tj > t-day {
				terms[recs[j].TerminalID] = true
			}
			if tj > t-30*day {
				others++
				othersSum += recs[j].Amount
				othersCents += cents(recs[j].Amount)
				if tj <= t-14*day {
					old++
					oldSum += recs[j].Amount
					oldCents += cents(recs[j].Amount)
				} else {
					recent14++
					recentMax = max(recentMax, recs[j].Amount)
				}
			}
		}
		f[feature.CustomerTxCount1h] = n1h
		f[feature.CustomerSmallTxCount1h] = small1h
		f[feature.CustomerDistinctTerminals1d] = float64(min(len(terms), 64))
		f[feature.CustomerSecondsSincePrevious] = math.NaN()
		if previous >= 0 {
			f[feature.CustomerSecondsSincePrevious] = float64(t - previous)
		}
		f[feature.CustomerAmountRatio30d] = math.NaN()
		// The engine keeps amounts in cents: where the others round to nothing, no ratio.
		if others > 0 && othersCents > 0 {
			f[feature.CustomerAmountRatio30d] = r.Amount / (othersSum / others)
		}
		f[feature.CustomerAmountRatioOld] = math.NaN()
		if old > 0 && oldCents > 0 {
			f[feature.CustomerAmountRatioOld] = r.Amount / (oldSum / old)
		}
		large[i] = old > 0 && oldCents > 0 && float64(cents(r.Amount))*old > window.LargeRatio*float64(oldCents)
		f[feature.CustomerMaxAmountRatio14d] = math.NaN()
		if old > 0 && oldCents > 0 && recent14 > 0 {
			f[feature.CustomerMaxAmountRatio14d] = recentMax / (oldSum / old)
		}

		// Devices: the 4 most recently used distinct ones, in arrival order.
		var recent []string
		for k := len(past) - 1; k >= 0 && len(recent) < 4; k-- {
			d := recs[past[k]].DeviceID
			if d != "" && !contains(recent, d) {
				recent = append(recent, d)
			}
		}
		f[feature.CustomerNewDevice] = b2f(r.DeviceID != "" && len(recent) > 0 && !contains(recent, r.DeviceID))

		// The newest earlier transaction: greatest time, the later arrival on a tie.
		newest := -1
		for _, j := range past {
			if newest < 0 || recs[j].Timestamp.Unix() >= recs[newest].Timestamp.Unix() {
				newest = j
			}
		}
		changed := newest >= 0 && r.Country != "" && recs[newest].Country != "" && recs[newest].Country != r.Country
		f[feature.CustomerCountryChanged] = b2f(changed)
		f[feature.CustomerTravelSeconds] = math.NaN()
		if changed {
			f[feature.CustomerTravelSeconds] = float64(max(0, t-recs[newest].Timestamp.Unix()))
		}

		// Terminal windows (t-7d-N, t-7d], frauds known by the clock.
		for _, w := range []struct {
			n, risk feature.Index
			length  int64
		}{
			{feature.TerminalTxCount1d, feature.TerminalRisk1d, day},
			{feature.TerminalTxCount7d, feature.TerminalRisk7d, 7 * day},
			{feature.TerminalTxCount30d, feature.TerminalRisk30d, 30 * day},
		} {
			end := t - 7*day
			n, frauds := 0.0, 0.0
			for _, j := range byTerminal[r.TerminalID] {
				tj := recs[j].Timestamp.Unix()
				if tj > end-w.length && tj <= end {
					n++
					if recs[j].Fraud && labelDelay >= 0 && tj+delay <= clock {
						frauds++
					}
				}
			}
			f[w.n] = n
			if n > 0 {
				f[w.risk] = frauds / n
			}
		}
		// The terminal's latest known outcomes within (t-37d, t]: its 5 newest transactions at
		// or before t-7d, its newest known fraud at or before t (time order, arrival order on
		// ties), and the unbroken run of known frauds ending with its newest transaction at or
		// before t-7d, with the transaction just before that run; the same two counting only the
		// known frauds that were not large for their customer (large[j]).
		seen := append([]int(nil), byTerminal[r.TerminalID]...)
		sort.SliceStable(seen, func(a, b int) bool { return recs[seen[a]].Timestamp.Before(recs[seen[b]].Timestamp) })
		last5n, last5f, lastFraud, firstFraud, lastOrdinary := 0.0, 0.0, int64(-1), int64(-1), int64(-1)
		runStart, beforeRun, runDone := int64(-1), int64(-1), false
		ordStart, beforeOrd, ordDone := int64(-1), int64(-1), false
		for k := len(seen) - 1; k >= 0; k-- {
			j := seen[k]
			tj := recs[j].Timestamp.Unix()
			if tj <= t-37*day {
				continue
			}
			known := recs[j].Fraud && labelDelay >= 0 && tj+delay <= clock
			if known && tj <= t {
				firstFraud = tj // walking back: the last one found is the oldest
				if lastFraud < 0 {
					lastFraud = tj
				}
				if lastOrdinary < 0 && !large[j] {
					lastOrdinary = tj
				}
			}
			if tj <= t-7*day && !runDone {
				if known {
					runStart = tj
				} else {
					runDone = true
					if runStart >= 0 {
						beforeRun = tj
					}
				}
			}
			if tj <= t-7*day && !ordDone {
				if known && !large[j] {
					ordStart = tj
				} else {
					ordDone = true
					if ordStart >= 0 {
						beforeOrd = tj
					}
				}
			}
			if tj <= t-7*day && last5n < 5 {
				last5n++
				if known {
					last5f++
				}
			}
		}
		f[feature.TerminalRiskLast5] = math.NaN()
		if last5n > 0 {
			f[feature.TerminalRiskLast5] = last5f / last5n
		}
		f[feature.TerminalSecondsSinceKnownFraud] = math.NaN()
		f[feature.TerminalSecondsSinceFirstKnownFraud] = math.NaN()
		if lastFraud >= 0 {
			f[feature.TerminalSecondsSinceKnownFraud] = float64(t - lastFraud)
			f[feature.TerminalSecondsSinceFirstKnownFraud] = float64(t - firstFraud)
		}

		f[feature.TerminalFraudRunSeconds] = math.NaN()
		f[feature.TerminalSecondsBeforeFraudRun] = math.NaN()
		if runStart >= 0 {
			f[feature.TerminalFraudRunSeconds] = float64(t - runStart)
		}
		if beforeRun >= 0 {
			f[feature.TerminalSecondsBeforeFraudRun] = float64(t - beforeRun)
		}
		f[feature.TerminalOrdinaryFraudRunSeconds] = math.NaN()
		f[feature.TerminalSecondsBeforeOrdinaryFraudRun] = math.NaN()
		f[feature.TerminalSecondsSinceOrdinaryFraud] = math.NaN()
		if ordStart >= 0 {
			f[feature.TerminalOrdinaryFraudRunSeconds] = float64(t - ordStart)
		}
		if beforeOrd >= 0 {
			f[feature.TerminalSecondsBeforeOrdinaryFraudRun] = float64(t - beforeOrd)
		}
		if lastOrdinary >= 0 {
			f[feature.TerminalSecondsSinceOrdinaryFraud] = float64(t - lastOrdinary)
		}

		byCustomer[r.CustomerID] = append(past, i)
		byTerminal[r.TerminalID] = append(byTerminal[r.TerminalID], i)
	}
	return out
}

func cents(amount float64) int64 { return int64(math.Round(amount * 100)) }

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Close reports whether two feature values agree to within tol, NaN agreeing with NaN only.
func Close(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}
