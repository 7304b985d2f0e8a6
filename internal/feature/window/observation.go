package window

import (
	"fmt"
	"math"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// Day is the length of a day in seconds, the unit of window bounds.
const Day = 86400

// maxCents is the largest amount in cents an event can hold (40 bits); fraud.MaxAmount fits.
const maxCents = 1<<40 - 1

// Observation is what the histories keep of one transaction, in compact form: the same
// transaction always gives the same Observation (Large aside), in every process (the hashes
// are FNV-1a, not seeded per process), so it can be logged and replayed.
type Observation struct {
	Time         uint32  // Unix seconds, UTC, truncated to the second
	Cents        uint64  // amount in hundredths of the currency unit, rounded to the nearest
	IDHash       uint32  // hash of the transaction id (tells same-second events apart)
	TerminalHash uint32  // hash of the terminal id
	DeviceHash   uint32  // hash of the device id; 0 when the transaction carries none
	Country      [2]byte // ISO 3166-1 alpha-2 country; zero when none
	Customer     string  // customer id
	Terminal     string  // terminal id

	// Large is not read from the transaction: Customer.Add sets it, from the customer's
	// history before o, when o's amount is more than LargeRatio times the mean amount of the
	// customer's transactions in (t-30d, t-14d] (the baseline of the feature
	// customer_amount_ratio_old), and Terminal.Add records it with the terminal's event. A
	// state therefore adds an observation to its customer before its terminal. Observe leaves
	// it false.
	Large bool
}

// LargeRatio is the ratio of an amount to its customer's old mean (see Observation.Large)
// above which a terminal event is flagged large: an inflated payment, as a compromised card
// makes. Changing it changes the terminal features that read the flag.
const LargeRatio = 2

// Observe returns the compact form of t. It fails with an error wrapping fraud.ErrInvalid when
// t's timestamp is outside 1970-01-01 .. 2106-02-07 (Unix seconds in 32 bits) or its amount is
// negative, not finite or above fraud.MaxAmount. It does not allocate.
func Observe(t *fraud.Transaction) (Observation, error) {
	sec := t.Timestamp.Unix()
	if sec < 0 || sec > math.MaxUint32 {
		return Observation{}, fmt.Errorf("%w: timestamp outside 1970-2105", fraud.ErrInvalid)
	}
	if !(t.Amount >= 0 && t.Amount <= fraud.MaxAmount) {
		return Observation{}, fmt.Errorf("%w: amount must be between 0 and 1e9", fraud.ErrInvalid)
	}
	o := Observation{
		Time:         uint32(sec),
		Cents:        uint64(math.Round(t.Amount * 100)),
		IDHash:       Hash(t.ID),
		TerminalHash: Hash(t.TerminalID),
		Customer:     t.CustomerID,
		Terminal:     t.TerminalID,
	}
	if t.DeviceID != "" {
		o.DeviceHash = Hash(t.DeviceID) | 1 // never 0, which means "no device"
	}
	if len(t.Country) == 2 {
		o.Country = [2]byte{t.Country[0], t.Country[1]}
	}
	return o, nil
}

// Hash is the 32-bit FNV-1a hash of s: stable across processes and versions, so hashes can be
// stored. It does not allocate.
func Hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// hash24 folds a 32-bit hash to the 24 bits an event keeps.
func hash24(h uint32) uint32 { return (h ^ h>>24) & 0xFFFFFF }

// Limits bound the histories: how long events are kept and how many.
type Limits struct {
	// MaxEvents is the most events one entity keeps individually; older ones are folded into
	// day buckets (approximate windows). Default 256, at least 8.
	MaxEvents int
	// CustomerHorizon and TerminalHorizon, in seconds, are how far before an entity's newest
	// event its events are kept. They must cover the longest window read plus the lateness
	// tolerated (a transaction arriving later than that, relative to its entity's newest,
	// may miss events). Defaults: 31 days (30-day windows, 1 day late) and 38 days
	// (30-day windows delayed 7 days, 1 day late). At most 39 days (the fold buckets' span).
	CustomerHorizon uint32
	TerminalHorizon uint32
}

// DefaultLimits are the limits the default feature set needs.
var DefaultLimits = Limits{MaxEvents: 256, CustomerHorizon: 31 * Day, TerminalHorizon: 38 * Day}

// WithDefaults returns l with zero fields set to DefaultLimits' and out-of-range ones clamped.
func (l Limits) WithDefaults() Limits {
	if l.MaxEvents == 0 {
		l.MaxEvents = DefaultLimits.MaxEvents
	}
	l.MaxEvents = min(max(l.MaxEvents, 8), 1<<20)
	if l.CustomerHorizon == 0 {
		l.CustomerHorizon = DefaultLimits.CustomerHorizon
	}
	if l.TerminalHorizon == 0 {
		l.TerminalHorizon = DefaultLimits.TerminalHorizon
	}
	l.CustomerHorizon = min(l.CustomerHorizon, (foldDays-1)*Day)
	l.TerminalHorizon = min(l.TerminalHorizon, (foldDays-1)*Day)
	return l
}

// Local is implemented by a feature state held in this process (state/memory). The feature
// engine then reads the histories in place under the state's read lock: no copy, no
// decoding, no allocation. Customer and Terminal return nil for an entity the state does not
// know, and their results are valid only until RUnlock.
type Local interface {
	RLock()
	RUnlock()
	Customer(id string) *Customer
	Terminal(id string) *Terminal
}
