package apikey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

var ctx = context.Background()

func TestRoundTripSQLite(t *testing.T) {
	clk := newClock()
	m := New(openSQLite(t), Options{Now: clk.Now})
	for _, role := range []fraud.Role{fraud.RoleScorer, fraud.RoleAnalyst, fraud.RoleAdmin} {
		t.Run(string(role), func(t *testing.T) {
			secret, k, err := m.Create(ctx, role, DefaultExpiry)
			if err != nil {
				t.Fatal(err)
			}
			if len(secret) != Len || !strings.HasPrefix(secret, Prefix+k.ID+"_") || k.Hash != nil {
				t.Fatalf("Create: len %d, id %q, hash %x", len(secret), k.ID, k.Hash)
			}
			if !k.ExpiresAt.Equal(clk.now.Add(DefaultExpiry)) || k.Role != role {
				t.Errorf("Create: %+v", k)
			}
			got, err := m.Authenticate(ctx, secret)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != k.ID || got.Role != role || got.Hash != nil {
				t.Errorf("Authenticate = %+v, want id %s role %s and no hash", got, k.ID, role)
			}
		})
	}
}

func TestRevokeAndRotateSQLite(t *testing.T) {
	clk := newClock()
	m := New(openSQLite(t), Options{Now: clk.Now})
	old, k, err := m.Create(ctx, fraud.RoleAnalyst, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clk.now = clk.now.Add(time.Minute)
	fresh, nk, err := m.Rotate(ctx, k.ID, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if nk.Role != fraud.RoleAnalyst || nk.ID == k.ID || fresh == old {
		t.Errorf("Rotate = %+v", nk)
	}
	if _, err := m.Authenticate(ctx, old); !errors.Is(err, ErrRevoked) {
		t.Errorf("old key after rotate: err = %v, want ErrRevoked", err)
	}
	if _, err := m.Authenticate(ctx, fresh); err != nil {
		t.Errorf("new key after rotate: %v", err)
	}
	if _, _, err := m.Rotate(ctx, k.ID, time.Hour); !errors.Is(err, fraud.ErrConflict) {
		t.Errorf("rotate revoked key: err = %v, want ErrConflict", err)
	}
	if _, _, err := m.Rotate(ctx, "nokey", time.Hour); !errors.Is(err, fraud.ErrNotFound) {
		t.Errorf("rotate unknown key: err = %v, want ErrNotFound", err)
	}
	if err := m.Revoke(ctx, nk.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.Revoke(ctx, nk.ID); err != nil {
		t.Errorf("second revoke: %v, want nil (idempotent)", err)
	}
	if err := m.Revoke(ctx, "nokey"); !errors.Is(err, fraud.ErrNotFound) {
		t.Errorf("revoke unknown: err = %v, want ErrNotFound", err)
	}
	if _, err := m.Authenticate(ctx, fresh); !errors.Is(err, ErrRevoked) || !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("revoked key: err = %v, want ErrRevoked wrapping ErrUnauthenticated", err)
	}
	list, err := m.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != k.ID || list[1].ID != nk.ID {
		t.Fatalf("List = %+v", list)
	}
	for _, i := range list {
		if i.Status(clk.now) != "revoked" || i.RevokedAt.IsZero() {
			t.Errorf("List: %+v, want revoked", i)
		}
	}
	js, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(string(js)), "hash") {
		t.Errorf("List JSON has a hash: %s", js)
	}
}

func TestExpiry(t *testing.T) {
	clk := newClock()
	m := New(openSQLite(t), Options{Now: clk.Now})
	secret, k, err := m.Create(ctx, fraud.RoleScorer, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clk.now = clk.now.Add(time.Hour - time.Nanosecond)
	if _, err := m.Authenticate(ctx, secret); err != nil {
		t.Errorf("just before expiry: %v", err)
	}
	clk.now = clk.now.Add(time.Nanosecond)
	if _, err := m.Authenticate(ctx, secret); !errors.Is(err, ErrExpired) || !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("at expiry: err = %v, want ErrExpired", err)
	}
	list, err := m.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Status(clk.now) != "expired" || list[0].ID != k.ID {
		t.Errorf("List = %+v", list)
	}
	// An expired, unrevoked key may be rotated: the admin renews it.
	if _, _, err := m.Rotate(ctx, k.ID, time.Hour); err != nil {
		t.Errorf("rotate expired key: %v", err)
	}
}

func TestUnknownKeySQLite(t *testing.T) {
	m := New(openSQLite(t), Options{})
	m2 := New(openSQLite(t), Options{})
	secret, _, err := m2.Create(ctx, fraud.RoleScorer, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Authenticate(ctx, secret); !errors.Is(err, ErrUnknown) || !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("key of another store: err = %v, want ErrUnknown", err)
	}
}

func TestCreateRefuses(t *testing.T) {
	m := New(&fakeStore{t: t}, Options{})
	for _, tc := range []struct {
		name string
		role fraud.Role
		exp  time.Duration
	}{
		{"no role", "", time.Hour},
		{"unknown role", "root", time.Hour},
		{"zero expiry", fraud.RoleScorer, 0},
		{"negative expiry", fraud.RoleScorer, -time.Hour},
		{"too long", fraud.RoleScorer, MaxExpiry + time.Nanosecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := m.Create(ctx, tc.role, tc.exp); !errors.Is(err, fraud.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

// tampered returns variants of key that must all be refused as malformed: each character
// replaced, cut short, lengthened, case changed, wrapped in spaces.
func tampered(key string) []string {
	var out []string
	for i := 0; i < len(key); i++ {
		c := byte('a')
		if key[i] == 'a' {
			c = 'b'
		}
		out = append(out, key[:i]+string(c)+key[i+1:])
	}
	for n := 0; n < len(key); n += 7 {
		out = append(out, key[:n])
	}
	return append(out, key[:len(key)-1], key+"a", strings.ToUpper(key), " "+key, key+"\n",
		key[:40]+"\n"+key[40:len(key)-1], "vgl_", "")
}

func TestMalformedRefusedWithoutLookup(t *testing.T) {
	secret, _, err := generate(defaultRand)
	if err != nil {
		t.Fatal(err)
	}
	m := New(&fakeStore{t: t}, Options{}) // any store call fails the test
	for _, bad := range tampered(secret) {
		_, err := m.Authenticate(ctx, bad)
		if !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("Authenticate(%q): err = %v, want ErrMalformed", bad, err)
		}
		if LooksLikeKey(bad) {
			t.Errorf("LooksLikeKey(%q) = true", bad)
		}
	}
	if !LooksLikeKey(secret) {
		t.Error("LooksLikeKey(a fresh key) = false")
	}
}

// TestComparesStoredHash proves Authenticate does not trust the store's match: a row with
// another hash or another id is refused (the comparison is subtle.ConstantTimeCompare).
func TestComparesStoredHash(t *testing.T) {
	secret, id, err := generate(defaultRand)
	if err != nil {
		t.Fatal(err)
	}
	good := hash(secret)
	otherHash := append([]byte(nil), good...)
	otherHash[31] ^= 1
	for _, tc := range []struct {
		name string
		row  fraud.APIKey
		want error
	}{
		{"match", fraud.APIKey{ID: id, Hash: good, Role: fraud.RoleScorer}, nil},
		{"other hash", fraud.APIKey{ID: id, Hash: otherHash, Role: fraud.RoleScorer}, ErrUnknown},
		{"short hash", fraud.APIKey{ID: id, Hash: good[:16], Role: fraud.RoleScorer}, ErrUnknown},
		{"other id", fraud.APIKey{ID: "aaaaaaaaaaaaaaaa", Hash: good, Role: fraud.RoleScorer}, ErrUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			m := New(&fakeStore{t: t, keyByHash: func(_ context.Context, h []byte) (*fraud.APIKey, error) {
				calls++
				if string(h) != string(good) {
					t.Errorf("KeyByHash(%x), want SHA-256 of the key", h)
				}
				row := tc.row
				return &row, nil
			}}, Options{})
			_, err := m.Authenticate(ctx, secret)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) || calls != 1 {
				t.Errorf("err = %v, want %v (calls %d)", err, tc.want, calls)
			}
		})
	}
	src, err := os.ReadFile("manager.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "subtle.ConstantTimeCompare(k.Hash, want)") {
		t.Error("manager.go no longer compares hashes with subtle.ConstantTimeCompare")
	}
}

func TestStoreFailureIsNotUnauthenticated(t *testing.T) {
	secret, _, err := generate(defaultRand)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	m := New(&fakeStore{t: t, keyByHash: func(context.Context, []byte) (*fraud.APIKey, error) { return nil, boom }}, Options{})
	_, err = m.Authenticate(ctx, secret)
	if !errors.Is(err, boom) || errors.Is(err, ErrUnauthenticated) {
		t.Errorf("err = %v, want the store error, not ErrUnauthenticated", err)
	}
}

func TestRotateUndoesOnRevokeFailure(t *testing.T) {
	boom := errors.New("revoke failed")
	var created string
	var revoked []string
	m := New(&fakeStore{t: t,
		keys: func(context.Context) ([]fraud.APIKey, error) {
			return []fraud.APIKey{{ID: "old", Role: fraud.RoleAdmin, Name: "ci"}}, nil
		},
		createKey: func(_ context.Context, k fraud.APIKey) error {
			if k.Role != fraud.RoleAdmin || k.Name != "ci" {
				t.Errorf("CreateKey(%+v), want the old role and name", k)
			}
			created = k.ID
			return nil
		},
		revokeKey: func(_ context.Context, id string, _ time.Time) error {
			revoked = append(revoked, id)
			if id == "old" {
				return boom
			}
			return nil
		},
	}, Options{})
	secret, _, err := m.Rotate(ctx, "old", time.Hour)
	if !errors.Is(err, boom) || secret != "" {
		t.Errorf("Rotate: secret %q, err %v, want no secret and the revoke error", secret, err)
	}
	if len(revoked) != 2 || revoked[1] != created {
		t.Errorf("revoked %v, want old then the new key %s", revoked, created)
	}
}

// TestSecretNeverLeaks checks every error and printed form reachable with a key for the key
// or its secret part.
func TestSecretNeverLeaks(t *testing.T) {
	clk := newClock()
	m := New(openSQLite(t), Options{Now: clk.Now})
	secret, k, err := m.Create(ctx, fraud.RoleAdmin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	body := secret[len(Prefix)+IDLen+1:]
	check := func(what, s string) {
		t.Helper()
		if strings.Contains(s, body) || strings.Contains(s, secret[:Len-8]) {
			t.Errorf("%s contains the secret: %s", what, s)
		}
	}
	check("Create key %+v", fmt.Sprintf("%+v", k))
	check("Create key %#v", fmt.Sprintf("%#v", k))
	got, err := m.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	check("Authenticate key", fmt.Sprintf("%+v %#v", *got, got))
	list, err := m.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("List", fmt.Sprintf("%+v %#v", list, list))
	for _, bad := range append(tampered(secret), secret[:Len-1]+"?") {
		if _, err := m.Authenticate(ctx, bad); err != nil {
			check("Authenticate error", err.Error())
		}
		if _, err := ParseBearer("Bearer " + bad); err != nil {
			check("ParseBearer error", err.Error())
		}
	}
	clk.now = clk.now.Add(2 * time.Hour)
	_, err = m.Authenticate(ctx, secret)
	check("expired error", fmt.Sprint(err))
	if err := m.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	_, err = m.Authenticate(ctx, secret)
	check("revoked error", fmt.Sprint(err))
}
