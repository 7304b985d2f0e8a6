package audit

import "slices"

// The action vocabulary. Log.Append refuses any other action, so that a reader of the log
// (or a query over it) can rely on the names. Add a constant here, with its Target
// convention, before recording a new kind of action; never rename one, because old entries
// keep the old name and their hashes cover it.
const (
	ActionKeyCreate = "key.create" // Target: the new key's id; Details: role, name, expiry.
	ActionKeyRevoke = "key.revoke" // Target: the key id.
	ActionKeyRotate = "key.rotate" // Target: the old key id; Details: the new key's id.

	ActionRulesUpdate = "rules.update" // Target: the rule set's new version or digest.
	ActionListUpdate  = "list.update"  // Target: the list name; Details: counts added/removed.

	ActionModelPromote  = "model.promote"  // Target: the promoted model's version.
	ActionModelRollback = "model.rollback" // Target: the model version now serving.

	ActionLabelCreate = "label.create" // Target: the transaction id; Details: the label.

	ActionCaseAssign  = "case.assign"  // Target: the case id; Details: the assignee's id.
	ActionCaseResolve = "case.resolve" // Target: the case id; Details: the resolution.

	// Target: the erasure request's reference (never the customer id, which the log would
	// keep forever); Details: how many transactions were removed.
	ActionCustomerErase = "customer.erase"
	ActionDataPurge     = "data.purge" // Target: empty; Details: cutoff time and count removed.
)

var actions = []string{
	ActionKeyCreate, ActionKeyRevoke, ActionKeyRotate,
	ActionRulesUpdate, ActionListUpdate,
	ActionModelPromote, ActionModelRollback,
	ActionLabelCreate,
	ActionCaseAssign, ActionCaseResolve,
	ActionCustomerErase, ActionDataPurge,
}

// Actions returns the action vocabulary, a fresh slice the caller may keep.
func Actions() []string { return slices.Clone(actions) }

// ValidAction reports whether a is in the action vocabulary.
func ValidAction(a string) bool { return slices.Contains(actions, a) }
