package fraud

import (
	"testing"
	"time"
)

func TestRoleValid(t *testing.T) {
	for _, tc := range []struct {
		role Role
		want bool
	}{
		{RoleScorer, true}, {RoleAnalyst, true}, {RoleAdmin, true},
		{"", false}, {"root", false}, {"Admin", false},
	} {
		if got := tc.role.Valid(); got != tc.want {
			t.Errorf("Role(%q).Valid() = %v, want %v", tc.role, got, tc.want)
		}
	}
}

func TestAPIKeyActive(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		key  APIKey
		want bool
	}{
		{"no expiry", APIKey{}, true},
		{"expires later", APIKey{ExpiresAt: now.Add(time.Nanosecond)}, true},
		{"expires now", APIKey{ExpiresAt: now}, false},
		{"expired", APIKey{ExpiresAt: now.Add(-time.Hour)}, false},
		{"revoked", APIKey{RevokedAt: now.Add(-time.Hour)}, false},
		{"revoked in the future", APIKey{RevokedAt: now.Add(time.Hour)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.key.Active(now); got != tc.want {
				t.Errorf("Active = %v, want %v", got, tc.want)
			}
		})
	}
}
