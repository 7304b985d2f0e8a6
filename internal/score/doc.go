// Package score is vigil's scoring pipeline: one transaction in, one durable decision out.
//
//	validate (the caller: fraud.DecodeTransaction)
//	  -> pseudonymise customer, card, device and IP
//	  -> features (point in time: the state before this transaction)
//	  -> model (score and reason codes)
//	  -> rules (CEL; may override the score's outcome)
//	  -> persist (transaction, decision with its feature values, model and rules versions)
//	  -> open a review case when the outcome is review
//	  -> update the feature state
//
// # Idempotency
//
// A transaction id is scored once. A repeat of an id already stored returns the stored
// decision (Result.Replayed) and does not touch the feature state again; a repeat with other
// content (amount, time, customer, terminal...) is refused with fraud.ErrConflict. The store
// decides, so concurrent repeats of one id are safe too: one SaveDecision wins and only its
// caller updates the state.
//
// # Durability and order
//
// Score returns only after the store reported the decision durable. The feature state is
// updated after that; should the update fail (a full disk for the state's log), the decision
// stands, the error is logged and counted (Stats.StateErrors), and the transaction is
// missing from later features. A case is opened after the decision is durable: a crash
// between the two loses the case, never the decision, and a repeat of the transaction opens
// it.
//
// # Versions
//
// The active model, rule set and lists are swapped atomically (SetModel, SetRules, PutList);
// a transaction is scored entirely with the versions it started with, and its decision
// records them. Explain recomputes a stored decision from its stored inputs and those
// versions.
package score
