package apikey

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// Expiry limits.
const (
	// DefaultExpiry is the lifetime the CLI should use when --expires is not given.
	DefaultExpiry = 90 * 24 * time.Hour
	// MaxExpiry is the longest lifetime a key may be given: every key expires.
	MaxExpiry = 2 * 365 * 24 * time.Hour
)

// Options configures a Manager. The zero value is ready to use.
type Options struct {
	// Now returns the current time (default time.Now); tests pin it.
	Now func() time.Time
	// Rand is the source of key ids and secrets (default crypto/rand.Reader). Only tests
	// should set it.
	Rand io.Reader
	// CacheTTL, when positive, keeps a key found by Authenticate in memory for that long, so
	// that a busy client costs one store lookup per TTL instead of one per request. A key
	// revoked or rotated through this Manager leaves the cache at once; one revoked by
	// another process (the CLI, another instance) is refused at most CacheTTL later. Expiry
	// is checked on every call. Zero caches nothing.
	CacheTTL time.Duration
}

// maxCached bounds the cache; when full it is emptied (keys are few: this only stops an
// attacker's stream of distinct valid-looking keys from growing it, and unknown keys are
// never cached anyway).
const maxCached = 10_000

type cached struct {
	key   fraud.APIKey
	until time.Time
}

// Manager creates, authenticates, lists, revokes and rotates API keys kept in a
// fraud.KeyStore. It never stores, logs or puts in an error the secret of a key. It is safe
// for concurrent use when the store is.
type Manager struct {
	store fraud.KeyStore
	now   func() time.Time
	rand  io.Reader
	ttl   time.Duration

	mu    sync.RWMutex
	cache map[[sha256.Size]byte]cached // by the presented key's hash
	gen   uint64                       // bumped by forget
}

// New returns a Manager over store with opts' defaults filled. It panics when store is nil,
// which is a programming error.
func New(store fraud.KeyStore, opts Options) *Manager {
	if store == nil {
		panic("apikey: New with a nil store")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = defaultRand
	}
	return &Manager{store: store, now: opts.Now, rand: opts.Rand, ttl: opts.CacheTTL,
		cache: make(map[[sha256.Size]byte]cached)}
}

// Create makes a key for role that expires expiresIn from now, stores its hash and returns
// the secret — the only time it is available: show it once and forget it. The returned key
// has a nil Hash. It fails with an error wrapping fraud.ErrInvalid for an unknown role or an
// expiresIn outside (0, MaxExpiry], and with the store's error otherwise. Not idempotent.
func (m *Manager) Create(ctx context.Context, role fraud.Role, expiresIn time.Duration) (secret string, key fraud.APIKey, err error) {
	return m.create(ctx, role, "", expiresIn)
}

// CreateNamed is Create with a name for people to tell keys apart ("checkout-eu", "alice");
// rotation keeps it. A name is at most MaxNameBytes of printable text; it is not a secret and
// appears in listings.
func (m *Manager) CreateNamed(ctx context.Context, role fraud.Role, name string, expiresIn time.Duration) (secret string, key fraud.APIKey, err error) {
	if !ValidName(name) {
		return "", fraud.APIKey{}, fmt.Errorf("apikey: name must be at most %d printable characters: %w", MaxNameBytes, fraud.ErrInvalid)
	}
	return m.create(ctx, role, name, expiresIn)
}

// MaxNameBytes bounds a key's name.
const MaxNameBytes = 64

// ValidName reports whether name can name a key: empty, or up to MaxNameBytes of valid UTF-8
// without control characters.
func ValidName(name string) bool {
	if len(name) > MaxNameBytes || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func (m *Manager) create(ctx context.Context, role fraud.Role, name string, expiresIn time.Duration) (string, fraud.APIKey, error) {
	if !role.Valid() {
		return "", fraud.APIKey{}, fmt.Errorf("apikey: unknown role %q: %w", role, fraud.ErrInvalid)
	}
	if expiresIn <= 0 || expiresIn > MaxExpiry {
		return "", fraud.APIKey{}, fmt.Errorf("apikey: expiry must be more than 0 and at most %s: %w", MaxExpiry, fraud.ErrInvalid)
	}
	secret, id, err := generate(m.rand)
	if err != nil {
		return "", fraud.APIKey{}, err
	}
	now := m.now().UTC()
	k := fraud.APIKey{ID: id, Name: name, Hash: hash(secret), Role: role, CreatedAt: now, ExpiresAt: now.Add(expiresIn)}
	if err := m.store.CreateKey(ctx, k); err != nil {
		return "", fraud.APIKey{}, fmt.Errorf("apikey: create: %w", err)
	}
	k.Hash = nil
	return secret, k, nil
}

// Authenticate returns the stored key that presented is, when it is well formed, stored,
// not revoked and not expired. Otherwise it fails with ErrMalformed (checked before any
// store lookup), ErrUnknown, ErrRevoked or ErrExpired, all wrapping ErrUnauthenticated; a
// store failure is returned wrapped and does not wrap ErrUnauthenticated (the HTTP layer
// answers 503, not 401). No error contains presented. The returned key has a nil Hash.
// Read-only.
func (m *Manager) Authenticate(ctx context.Context, presented string) (*fraud.APIKey, error) {
	id, err := parse(presented)
	if err != nil {
		return nil, err
	}
	want := hash(presented)
	now := m.now()
	if m.ttl > 0 {
		var h [sha256.Size]byte
		copy(h[:], want)
		m.mu.RLock()
		c, ok := m.cache[h]
		m.mu.RUnlock()
		if ok && now.Before(c.until) {
			if !c.key.Active(now) {
				return nil, ErrExpired
			}
			k := c.key
			return &k, nil
		}
	}
	// A revocation that lands while the row is read must not be undone by caching the row
	// read before it: the cache is filled only if nothing was forgotten since.
	m.mu.RLock()
	gen := m.gen
	m.mu.RUnlock()
	k, err := m.store.KeyByHash(ctx, want)
	if errors.Is(err, fraud.ErrNotFound) {
		return nil, ErrUnknown
	}
	if err != nil {
		return nil, fmt.Errorf("apikey: authenticate: %w", err)
	}
	// The store found the row by hash; compare again here, in constant time, so a store
	// that matched loosely (or a fake) cannot let another key in, and check the id the key
	// names is the id stored with that hash.
	if subtle.ConstantTimeCompare(k.Hash, want) != 1 || subtle.ConstantTimeCompare([]byte(k.ID), []byte(id)) != 1 {
		return nil, ErrUnknown
	}
	if !k.RevokedAt.IsZero() {
		return nil, ErrRevoked
	}
	if !k.Active(now) {
		return nil, ErrExpired
	}
	k.Hash = nil
	if m.ttl > 0 {
		var h [sha256.Size]byte
		copy(h[:], want)
		m.mu.Lock()
		if m.gen == gen {
			if len(m.cache) >= maxCached {
				clear(m.cache)
			}
			m.cache[h] = cached{key: *k, until: now.Add(m.ttl)}
		}
		m.mu.Unlock()
	}
	return k, nil
}

// forget drops key id from the cache, and keeps lookups in flight from caching what they
// read before (Manager.gen).
func (m *Manager) forget(id string) {
	m.mu.Lock()
	m.gen++
	for h, c := range m.cache {
		if c.key.ID == id {
			delete(m.cache, h)
		}
	}
	m.mu.Unlock()
}

// Revoke revokes key id now. It is idempotent (a revoked key keeps its first revocation
// time) and fails with an error wrapping fraud.ErrNotFound for an unknown id.
func (m *Manager) Revoke(ctx context.Context, id string) error {
	defer m.forget(id)
	if err := m.store.RevokeKey(ctx, id, m.now().UTC()); err != nil {
		return fmt.Errorf("apikey: revoke: %w", err)
	}
	return nil
}

// Rotate replaces key id: it creates a key with the same role and name that expires
// expiresIn from now, then revokes the old key at once — there is no grace period (see the
// package documentation for a zero-downtime procedure). It returns the new key's secret, shown
// once. It fails with an error wrapping fraud.ErrNotFound for an unknown id, fraud.ErrConflict
// for a revoked key (create a new key instead), fraud.ErrInvalid for a bad expiresIn. When
// revoking the old key fails, it tries to revoke the new one and returns the error: the old key
// then stays usable and nobody knows the new secret. Not idempotent.
func (m *Manager) Rotate(ctx context.Context, id string, expiresIn time.Duration) (secret string, key fraud.APIKey, err error) {
	old, err := m.find(ctx, id)
	if err != nil {
		return "", fraud.APIKey{}, err
	}
	if !old.RevokedAt.IsZero() {
		return "", fraud.APIKey{}, fmt.Errorf("apikey: rotate a revoked key: %w", fraud.ErrConflict)
	}
	secret, key, err = m.create(ctx, old.Role, old.Name, expiresIn)
	if err != nil {
		return "", fraud.APIKey{}, err
	}
	defer m.forget(old.ID)
	if err := m.store.RevokeKey(ctx, old.ID, m.now().UTC()); err != nil {
		undo := m.store.RevokeKey(context.WithoutCancel(ctx), key.ID, m.now().UTC())
		return "", fraud.APIKey{}, fmt.Errorf("apikey: rotate: revoke old key: %w", errors.Join(err, undo))
	}
	return secret, key, nil
}

func (m *Manager) find(ctx context.Context, id string) (fraud.APIKey, error) {
	keys, err := m.store.Keys(ctx)
	if err != nil {
		return fraud.APIKey{}, fmt.Errorf("apikey: keys: %w", err)
	}
	for _, k := range keys {
		if k.ID == id {
			return k, nil
		}
	}
	return fraud.APIKey{}, fmt.Errorf("apikey: key: %w", fraud.ErrNotFound)
}

// Info is what may be shown of a key: never its hash or secret.
type Info struct {
	ID        string     `json:"id"`
	Name      string     `json:"name,omitempty"`
	Role      fraud.Role `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at,omitzero"`
	RevokedAt time.Time  `json:"revoked_at,omitzero"`
}

// Status is "revoked", "expired" or "active" at now.
func (i Info) Status(now time.Time) string {
	switch {
	case !i.RevokedAt.IsZero():
		return "revoked"
	case !i.ExpiresAt.IsZero() && !now.Before(i.ExpiresAt):
		return "expired"
	}
	return "active"
}

// List returns every key, revoked and expired ones included, by creation time then id,
// without hashes. Read-only.
func (m *Manager) List(ctx context.Context) ([]Info, error) {
	keys, err := m.store.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("apikey: list: %w", err)
	}
	out := make([]Info, 0, len(keys))
	for _, k := range keys {
		out = append(out, Info{ID: k.ID, Name: k.Name, Role: k.Role, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt})
	}
	return out, nil
}
