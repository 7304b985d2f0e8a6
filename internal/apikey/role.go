package apikey

import "github.com/vigil-fraud/vigil/internal/fraud"

// Permission is one operation an endpoint needs; the HTTP layer asks Allowed before serving.
type Permission string

// The permissions, one per kind of endpoint.
const (
	PermScore         Permission = "score"          // POST a transaction for a decision
	PermDecisionsRead Permission = "decisions.read" // read decisions and their explanations
	PermCasesRead     Permission = "cases.read"     // list and read review cases
	PermCasesWrite    Permission = "cases.write"    // assign and resolve cases
	PermLabelsRead    Permission = "labels.read"    // read fraud labels
	PermLabelsWrite   Permission = "labels.write"   // label a transaction fraud or genuine
	PermRulesRead     Permission = "rules.read"     // read the rule set
	PermRulesWrite    Permission = "rules.write"    // change the rule set
	PermListsRead     Permission = "lists.read"     // read allow/deny lists
	PermListsWrite    Permission = "lists.write"    // change allow/deny lists
	PermKeysManage    Permission = "keys.manage"    // create, list, revoke, rotate API keys
	PermModelsManage  Permission = "models.manage"  // train, promote, roll back models
	PermDataErase     Permission = "data.erase"     // erase one customer (GDPR), retention
	PermAuditRead     Permission = "audit.read"     // read and verify the audit log
)

// Permissions lists every permission, in the order of the table.
var Permissions = []Permission{
	PermScore, PermDecisionsRead, PermCasesRead, PermCasesWrite, PermLabelsRead,
	PermLabelsWrite, PermRulesRead, PermRulesWrite, PermListsRead, PermListsWrite,
	PermKeysManage, PermModelsManage, PermDataErase, PermAuditRead,
}

// grants is the whole authorisation policy. The roles are disjoint, not nested: a scoring
// client's key cannot read cases, an analyst's cannot change rules, and an admin key — the
// most dangerous to leak — cannot score or read transactions' decisions, so it need never sit
// on a scoring client or an analyst's laptop. Someone with two jobs holds two keys.
var grants = map[fraud.Role]map[Permission]bool{
	fraud.RoleScorer: {PermScore: true},
	fraud.RoleAnalyst: {
		PermDecisionsRead: true, PermCasesRead: true, PermCasesWrite: true,
		PermLabelsRead: true, PermLabelsWrite: true,
	},
	fraud.RoleAdmin: {
		PermRulesRead: true, PermRulesWrite: true, PermListsRead: true, PermListsWrite: true,
		PermKeysManage: true, PermModelsManage: true, PermDataErase: true, PermAuditRead: true,
	},
}

// Allowed reports whether a key with role may do perm. An unknown role or permission is
// never allowed.
func Allowed(role fraud.Role, perm Permission) bool {
	return grants[role][perm]
}
