package apikey

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/seal"
	"github.com/vigil-fraud/vigil/internal/store/sqlite"
)

var _ fraud.KeyStore = (*fakeStore)(nil)

// fakeStore is a fraud.KeyStore whose methods are its fields; a nil field fails the test
// when called.
type fakeStore struct {
	t         testing.TB
	createKey func(context.Context, fraud.APIKey) error
	keyByHash func(context.Context, []byte) (*fraud.APIKey, error)
	keys      func(context.Context) ([]fraud.APIKey, error)
	revokeKey func(context.Context, string, time.Time) error
}

func (f *fakeStore) CreateKey(ctx context.Context, k fraud.APIKey) error {
	f.t.Helper()
	if f.createKey == nil {
		f.t.Fatal("unexpected CreateKey")
	}
	return f.createKey(ctx, k)
}

func (f *fakeStore) KeyByHash(ctx context.Context, h []byte) (*fraud.APIKey, error) {
	f.t.Helper()
	if f.keyByHash == nil {
		f.t.Fatal("unexpected KeyByHash")
	}
	return f.keyByHash(ctx, h)
}

func (f *fakeStore) Keys(ctx context.Context) ([]fraud.APIKey, error) {
	f.t.Helper()
	if f.keys == nil {
		f.t.Fatal("unexpected Keys")
	}
	return f.keys(ctx)
}

func (f *fakeStore) RevokeKey(ctx context.Context, id string, at time.Time) error {
	f.t.Helper()
	if f.revokeKey == nil {
		f.t.Fatal("unexpected RevokeKey")
	}
	return f.revokeKey(ctx, id, at)
}

// openSQLite opens a SQLite store in a temporary directory, closed when the test ends.
func openSQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	sl, err := seal.New(bytes.Repeat([]byte{0x5a}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "vigil.db"), Sealer: sl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// clock is a settable Options.Now.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newClock() *clock { return &clock{now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)} }
