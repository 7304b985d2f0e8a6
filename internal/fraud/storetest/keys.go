package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func runKeys(t *testing.T, s Stores) {
	if s.Keys == nil {
		t.Skip("no KeyStore")
	}
	ks := s.Keys
	admin := fraud.APIKey{ID: "k1", Name: "ops", Hash: bytes.Repeat([]byte{1}, 32), Role: fraud.RoleAdmin,
		CreatedAt: base}
	scorer := fraud.APIKey{ID: "k2", Name: "checkout", Hash: bytes.Repeat([]byte{2}, 32), Role: fraud.RoleScorer,
		CreatedAt: base.Add(time.Second), ExpiresAt: base.Add(24 * time.Hour)}
	must(t, "CreateKey admin", ks.CreateKey(ctx, admin))
	must(t, "CreateKey scorer", ks.CreateKey(ctx, scorer))

	dupID := scorer
	dupID.Hash = bytes.Repeat([]byte{3}, 32)
	dupID.ID = "k1"
	wantErr(t, "duplicate id", ks.CreateKey(ctx, dupID), fraud.ErrConflict)
	dupHash := admin
	dupHash.ID = "k3"
	wantErr(t, "duplicate hash", ks.CreateKey(ctx, dupHash), fraud.ErrConflict)
	for name, k := range map[string]fraud.APIKey{
		"no id":   {Hash: []byte{9}, Role: fraud.RoleAdmin, CreatedAt: base},
		"no hash": {ID: "k9", Role: fraud.RoleAdmin, CreatedAt: base},
		"role":    {ID: "k9", Hash: []byte{9}, Role: "root", CreatedAt: base},
		"no time": {ID: "k9", Hash: []byte{9}, Role: fraud.RoleAdmin},
		"revoked": {ID: "k9", Hash: []byte{9}, Role: fraud.RoleAdmin, CreatedAt: base, RevokedAt: base},
	} {
		wantErr(t, "CreateKey "+name, ks.CreateKey(ctx, k), fraud.ErrInvalid)
	}

	got, err := ks.KeyByHash(ctx, scorer.Hash)
	must(t, "KeyByHash", err)
	if got.ID != "k2" || got.Name != "checkout" || got.Role != fraud.RoleScorer || !bytes.Equal(got.Hash, scorer.Hash) ||
		!got.CreatedAt.Equal(scorer.CreatedAt) || !got.ExpiresAt.Equal(scorer.ExpiresAt) || !got.RevokedAt.IsZero() {
		t.Errorf("KeyByHash = %+v, want %+v", got, scorer)
	}
	if !got.Active(base.Add(time.Hour)) || got.Active(base.Add(24*time.Hour)) {
		t.Error("expiry not honoured by Active")
	}
	got, err = ks.KeyByHash(ctx, admin.Hash)
	must(t, "KeyByHash admin", err)
	if !got.ExpiresAt.IsZero() || !got.Active(base.Add(100*365*24*time.Hour)) {
		t.Errorf("key without expiry: %+v", got)
	}
	_, err = ks.KeyByHash(ctx, []byte("unknown"))
	wantErr(t, "KeyByHash unknown", err, fraud.ErrNotFound)

	revokedAt := base.Add(2 * time.Hour)
	must(t, "RevokeKey", ks.RevokeKey(ctx, "k2", revokedAt))
	must(t, "RevokeKey again", ks.RevokeKey(ctx, "k2", revokedAt.Add(time.Hour)))
	wantErr(t, "RevokeKey unknown", ks.RevokeKey(ctx, "nope", revokedAt), fraud.ErrNotFound)
	got, err = ks.KeyByHash(ctx, scorer.Hash)
	must(t, "KeyByHash revoked", err)
	if !got.RevokedAt.Equal(revokedAt) || got.Active(base) {
		t.Errorf("revoked key: RevokedAt %v (want the first revocation %v), active %v", got.RevokedAt, revokedAt, got.Active(base))
	}

	all, err := ks.Keys(ctx)
	must(t, "Keys", err)
	if len(all) != 2 || all[0].ID != "k1" || all[1].ID != "k2" || all[1].RevokedAt.IsZero() {
		t.Errorf("Keys = %+v", all)
	}
}
