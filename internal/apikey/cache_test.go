package apikey

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// countingStore counts the lookups Authenticate makes of a real SQLite store.
type countingStore struct {
	fraud.KeyStore
	lookups int
}

func (c *countingStore) KeyByHash(ctx context.Context, h []byte) (*fraud.APIKey, error) {
	c.lookups++
	return c.KeyStore.KeyByHash(ctx, h)
}

func TestCacheSavesLookupsAndForgetsRevokedKeys(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{KeyStore: openSQLite(t)}
	clk := newClock()
	m := New(store, Options{Now: clk.Now, CacheTTL: 2 * time.Second})
	secret, key, err := m.Create(ctx, fraud.RoleScorer, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		k, err := m.Authenticate(ctx, secret)
		if err != nil || k.ID != key.ID || k.Role != fraud.RoleScorer || k.Hash != nil {
			t.Fatalf("authenticate: %+v %v", k, err)
		}
	}
	if store.lookups != 1 {
		t.Errorf("%d lookups for 5 calls within the TTL, want 1", store.lookups)
	}
	// The TTL passes: the store is asked again.
	clk.now = clk.now.Add(3 * time.Second)
	if _, err := m.Authenticate(ctx, secret); err != nil || store.lookups != 2 {
		t.Errorf("after the TTL: %v, %d lookups", err, store.lookups)
	}
	// A key revoked through this manager is refused at once, cached or not.
	if err := m.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Authenticate(ctx, secret); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoked key: %v", err)
	}
	// A cached key's expiry is still checked on every call.
	secret2, _, err := m.Create(ctx, fraud.RoleScorer, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Authenticate(ctx, secret2); err != nil {
		t.Fatal(err)
	}
	clk.now = clk.now.Add(1500 * time.Millisecond)
	if _, err := m.Authenticate(ctx, secret2); !errors.Is(err, ErrExpired) {
		t.Errorf("expired cached key: %v", err)
	}
}

func TestCreateNamed(t *testing.T) {
	ctx := context.Background()
	m := New(openSQLite(t), Options{})
	_, k, err := m.CreateNamed(ctx, fraud.RoleScorer, "checkout-eu", time.Hour)
	if err != nil || k.Name != "checkout-eu" {
		t.Fatalf("%+v %v", k, err)
	}
	_, rotated, err := m.Rotate(ctx, k.ID, time.Hour)
	if err != nil || rotated.Name != "checkout-eu" {
		t.Errorf("rotation lost the name: %+v %v", rotated, err)
	}
	for _, bad := range []string{"tab\there", string(make([]byte, MaxNameBytes+1)), "\xff"} {
		if _, _, err := m.CreateNamed(ctx, fraud.RoleScorer, bad, time.Hour); !errors.Is(err, fraud.ErrInvalid) {
			t.Errorf("name %q: %v", bad, err)
		}
	}
}
