package apikey

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// TestRevokeDuringLookupIsNotCached: a lookup that read the key's row before a revocation
// through this Manager must not cache that stale row after it; once Revoke returns the key
// is refused, not accepted for another CacheTTL.
func TestRevokeDuringLookupIsNotCached(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	var (
		mu      sync.Mutex
		stored  fraud.APIKey
		lookup  = make(chan struct{}) // KeyByHash has read the row
		release = make(chan struct{}) // let KeyByHash return
		first   = true
	)
	store := &fakeStore{t: t}
	store.createKey = func(_ context.Context, k fraud.APIKey) error {
		mu.Lock()
		defer mu.Unlock()
		stored = k
		return nil
	}
	store.keyByHash = func(_ context.Context, h []byte) (*fraud.APIKey, error) {
		mu.Lock()
		k := stored
		k.Hash = bytes.Clone(stored.Hash)
		wait := first
		first = false
		mu.Unlock()
		if !bytes.Equal(k.Hash, h) {
			return nil, fraud.ErrNotFound
		}
		if wait { // the row is read (not revoked yet); the answer is slow
			close(lookup)
			<-release
		}
		return &k, nil
	}
	store.revokeKey = func(_ context.Context, id string, at time.Time) error {
		mu.Lock()
		defer mu.Unlock()
		stored.RevokedAt = at
		return nil
	}
	m := New(store, Options{Now: clk.Now, CacheTTL: 2 * time.Second})
	secret, key, err := m.Create(ctx, fraud.RoleAdmin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := m.Authenticate(ctx, secret); done <- err }()
	<-lookup
	if err := m.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	close(release)
	<-done // the request in flight during the revocation may pass either way
	if _, err := m.Authenticate(ctx, secret); !errors.Is(err, ErrRevoked) {
		t.Errorf("a key revoked through this Manager was still accepted after Revoke returned: %v", err)
	}
}
