// Package rules is vigil's rules engine: rule sets written in YAML whose conditions are CEL
// expressions, compiled and type-checked on load, evaluated on every transaction after the
// model has scored it, and reloaded without a restart.
//
// It owns the rule file's format, its validation, the sandbox the expressions run in, the
// decision semantics below and the hot reload of a file (Watcher). It does not store rule
// sets or lists, nor audit their changes: the API and the store do, and hand this package
// bytes (Parse) and list contents (NewLists).
//
// # The file
//
//	version: 1
//	thresholds: {review: 0.5, decline: 0.9}
//	rules:
//	  - name: blocked_card
//	    when: txn.card in lists.blocked_cards
//	    action: decline
//	    reason: card is on the blocked list
//
// A rule's `when` is a CEL expression of type bool over four variables:
//
//   - txn: the transaction's fields by their JSON names (id, amount, currency, customer_id,
//     terminal_id, card, merchant_category, channel, country, device_id, ip: strings, amount
//     a double; attributes a map of strings; timestamp a timestamp). has(txn.card) is false
//     when the field is empty.
//   - features: the feature values by name (features.customer_tx_count_1h), doubles. Only the
//     names of Options.FeatureNames exist, so a misspelt feature is a compile error. A missing
//     feature is NaN, and every comparison with NaN is false.
//   - score: the model's score, a double in [0, 1].
//   - lists: the named lists of strings (lists.blocked_cards). Only Options.ListNames exist.
//     Membership (x in lists.NAME) is a hash lookup.
//
// # Decisions
//
// The thresholds give the score's outcome: decline from thresholds.decline, review from
// thresholds.review, approve below (a NaN score gives review). Then the matching rules
// override it:
//
//  1. any matching decline rule: decline;
//  2. otherwise any matching approve rule (an allow-list): approve, whatever the score;
//  3. otherwise any matching review rule: at least review (a score's decline stays decline);
//  4. tag rules only annotate.
//
// Evaluate returns the outcome, every matching rule in file order (tags included) and the
// names of the matching tag rules.
//
// # The sandbox
//
// Expressions have CEL's standard library and nothing more: no extension library, so no
// function that could reach the network, the clock or a file (beyond the time zone database
// the standard timestamp functions read). Each rule's static worst-case cost is estimated on
// load, assuming a validated transaction and lists of Options.MaxListEntries, and a rule above
// Options.MaxEstimatedCost is refused. At evaluation every rule whose worst case could reach
// Options.CostLimit (any scan of a named list) is cost-tracked and stopped at the limit; the
// others are proven cheap and run untracked, which keeps the hot path free of the tracker's
// allocations. A rule whose evaluation fails (a missing map key, the cost limit) does not
// match; the failure is reported in Result.Errors and never panics.
//
// # Reloading
//
// Parse compiles bytes from anywhere (the API's PUT /v1/rules); a Watcher polls a file and
// swaps the running set atomically when it changes, keeping the running set when the new file
// is refused. A RuleSet is immutable and identified by Version, a digest of its bytes.
//
// A file that fails anywhere is refused as a whole with a *fraud.ValidationError naming each
// problem by path and YAML line ("rules[2].when: line 14: undeclared reference to 'x'"); the
// caller keeps the set it runs. Errors and logs name rules and lines, never list entries.
package rules
