package apikey

import (
	"testing"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// TestAllowedEveryCell pins the whole policy: each (role, permission) pair is listed with its
// answer, so any change to the table fails here and is reviewed.
func TestAllowedEveryCell(t *testing.T) {
	const (
		S = fraud.RoleScorer
		A = fraud.RoleAnalyst
		D = fraud.RoleAdmin
	)
	want := map[Permission]map[fraud.Role]bool{
		PermScore:         {S: true, A: false, D: false},
		PermDecisionsRead: {S: false, A: true, D: false},
		PermCasesRead:     {S: false, A: true, D: false},
		PermCasesWrite:    {S: false, A: true, D: false},
		PermLabelsRead:    {S: false, A: true, D: false},
		PermLabelsWrite:   {S: false, A: true, D: false},
		PermRulesRead:     {S: false, A: false, D: true},
		PermRulesWrite:    {S: false, A: false, D: true},
		PermListsRead:     {S: false, A: false, D: true},
		PermListsWrite:    {S: false, A: false, D: true},
		PermKeysManage:    {S: false, A: false, D: true},
		PermModelsManage:  {S: false, A: false, D: true},
		PermDataErase:     {S: false, A: false, D: true},
		PermAuditRead:     {S: false, A: false, D: true},
	}
	if len(want) != len(Permissions) {
		t.Fatalf("the test pins %d permissions, the package has %d", len(want), len(Permissions))
	}
	for _, p := range Permissions {
		row, ok := want[p]
		if !ok || len(row) != 3 {
			t.Fatalf("permission %q is not pinned for all three roles", p)
		}
		for role, allowed := range row {
			t.Run(string(role)+"/"+string(p), func(t *testing.T) {
				if got := Allowed(role, p); got != allowed {
					t.Errorf("Allowed(%s, %s) = %v, want %v", role, p, got, allowed)
				}
			})
		}
		for _, role := range []fraud.Role{"", "root", "Admin"} {
			if Allowed(role, p) {
				t.Errorf("Allowed(%q, %s) = true for an unknown role", role, p)
			}
		}
	}
	for role := range grants {
		if !role.Valid() {
			t.Errorf("grants has unknown role %q", role)
		}
		for p := range grants[role] {
			if _, ok := want[p]; !ok {
				t.Errorf("grants gives %s the unlisted permission %q", role, p)
			}
		}
		if Allowed(role, "") || Allowed(role, "everything") {
			t.Errorf("role %s allowed an unknown permission", role)
		}
	}
}
