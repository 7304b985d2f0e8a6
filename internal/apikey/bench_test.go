package apikey

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// BenchmarkAuthenticate measures the per-request cost against the SQLite store: parse and
// checksum, SHA-256, one indexed lookup, the constant-time compare.
func BenchmarkAuthenticate(b *testing.B) {
	m := New(openSQLite(b), Options{})
	ctx := context.Background()
	secret, _, err := m.Create(ctx, fraud.RoleScorer, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Authenticate(ctx, secret); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateMalformed measures refusing a mistyped key, which never reaches the
// store.
func BenchmarkAuthenticateMalformed(b *testing.B) {
	secret, _, err := generate(defaultRand)
	if err != nil {
		b.Fatal(err)
	}
	bad := secret[:Len-1] + "a"
	if bad == secret {
		bad = secret[:Len-1] + "b"
	}
	m := New(&fakeStore{t: b}, Options{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Authenticate(ctx, bad); err != ErrMalformed {
			b.Fatal(err)
		}
	}
}
