// Package feature is vigil's online feature engine: it turns a transaction and the recent
// history of its customer and terminal into the fixed vector of features the model scores.
//
// # Point in time
//
// Compute reads the state as it is before the transaction: the transaction itself enters the
// state only with Update, a separate call made after scoring, and a verdict on a past
// transaction only with Label. The customer windows (t-N days, t] include the transaction
// being scored, as the Fraud Detection Handbook's do; everything else is strictly from the
// past. Training data is made by Replay, which runs a history through the same engine in
// file order, so training and serving compute features with the same code.
//
// # The default feature set
//
// The first fifteen features are the handbook's inputs with exactly its definitions
// (Chapter 3, "Baseline feature transformation"): the amount; weekend (Saturday or Sunday)
// and night (hour <= 6), timestamps read as UTC; the customer's number of transactions and
// mean amount over (t-N days, t] for N = 1, 7, 30, this transaction included (pandas'
// rolling "Nd" window); the terminal's number of transactions and risk (known frauds /
// transactions, 0 when none) over (t-7-N days, t-7 days], the handbook's 7-day delay. Then
// vigil's own, for the simulator's other scenarios: hour, seconds since the customer's
// previous transaction, amount / the customer's 30-day mean of its other transactions,
// distinct terminals in a day, transactions and small (< 5.00) transactions in an hour
// (card testing), a device new to the customer (account takeover), a country change and
// the seconds since the previous transaction when it changed (impossible travel). Defs lists
// each with its definition and version; Version identifies the whole set. Undefined values
// (no previous transaction) are NaN, the model's "missing".
//
// Times are kept to the second. Amounts are kept in cents for the window means (exact for
// amounts given to the cent). Windows are exact while an entity has at most
// window.Limits.MaxEvents events in its horizon and transactions arrive at most a day late
// relative to their entity's newest; see package window for the bound beyond.
//
// # Speed
//
// On an in-process state (state/memory) Compute reads the histories in place and does not
// allocate: one pass over each history. BenchmarkFeatures measures Compute + Update.
//
// The package does not store histories (state/memory, state/redis do), score, or read files
// (history does; Replay takes any RecordReader).
package feature
