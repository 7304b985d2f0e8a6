// Package window keeps the compact, bounded per-entity histories that vigil's feature engine
// reads, and encodes them as the blobs a feature state stores (see fraud.FeatureState).
//
// A Customer history holds the customer's recent transactions (time to the second, amount in
// cents, a 24-bit hash of the terminal) plus what its newest transaction was like (time,
// country) and its recently used devices. A Terminal history holds the terminal's recent
// transactions (time, a 24-bit hash of the transaction id, whether the amount was large for its
// customer when it was made: Observation.Large) and the labels given to them.
// Events are kept in time order in a ring sized to what is in the window: 12 bytes per
// customer event, 8 per terminal event.
//
// # Bounds and exactness
//
// Events older than the horizon (Limits: 31 days for customers, 38 for terminals by default:
// the longest window plus one day of lateness) are dropped as newer ones arrive, so windows
// with arbitrary bounds (t-N, t] are computed exactly from the individual events. An entity
// keeps at most Limits.MaxEvents events (default 256); beyond that its oldest events are
// folded into per-day buckets (count, amount or frauds). A window whose lower or upper bound
// cuts a folded day takes the part of the day's bucket proportional to the overlap, so its
// count (and sum) is off by less than the number of folded events of the at most two days
// its bounds cut; windows that start and end outside folded days stay exact. With the default
// cap, every customer and terminal of the handbook's dataset stays exact.
//
// The package does not decide what a feature is (package feature does), nor where histories
// live (state/memory, state/redis do). Histories are not safe for concurrent use: the state
// holding them serialises access.
package window
