package apikey

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// fuzzSeedKeys adds well-formed keys at run time (the committed corpus holds only
// near-misses, so no file in the repository looks like a real key to a secret scanner).
func fuzzSeedKeys(f *testing.F) {
	f.Helper()
	for _, b := range []byte{0, 0x5a, 0xff} {
		key, _, err := generate(bytes.NewReader(bytes.Repeat([]byte{b}, idBytes+secretBytes)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(key)
		f.Add(key[:Len-1] + "a")
	}
}

func FuzzParse(f *testing.F) {
	fuzzSeedKeys(f)
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parse(s)
		if err != nil {
			if err != ErrMalformed {
				t.Fatalf("parse(%q): err = %v, want ErrMalformed itself", s, err)
			}
			return
		}
		body, derr := enc.DecodeString(s[len(Prefix)+IDLen+1:])
		if derr != nil || len(s) != Len || encode(id, body[:secretBytes]) != s {
			t.Fatalf("parse accepted %q, which does not re-encode to itself", s)
		}
	})
}

func FuzzAuthenticate(f *testing.F) {
	fuzzSeedKeys(f)
	f.Fuzz(func(t *testing.T, s string) {
		looked := false
		m := New(&fakeStore{t: t, keyByHash: func(context.Context, []byte) (*fraud.APIKey, error) {
			looked = true
			return nil, fraud.ErrNotFound
		}}, Options{})
		k, err := m.Authenticate(context.Background(), s)
		if k != nil || !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("Authenticate(%q) = %v, %v; want refused", s, k, err)
		}
		// The error is a sentinel, so it cannot carry any of s.
		if err != ErrMalformed && err != ErrUnknown {
			t.Fatalf("Authenticate(%q): err = %v, want ErrMalformed or ErrUnknown", s, err)
		}
		if looked != LooksLikeKey(s) {
			t.Fatalf("Authenticate(%q): store looked up = %v, well formed = %v", s, looked, !looked)
		}
	})
}

func FuzzParseBearer(f *testing.F) {
	f.Add("Bearer vgl_abc")
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := ParseBearer(h)
		if err != nil {
			if err != ErrMissing && err != ErrMalformed {
				t.Fatalf("ParseBearer(%q): err = %v", h, err)
			}
			return
		}
		if tok == "" || len(h) > MaxHeaderLen || !strings.EqualFold(h[:7], "bearer ") || h[7:] != tok ||
			strings.ContainsAny(tok, " \t\r\n") {
			t.Fatalf("ParseBearer(%q) = %q", h, tok)
		}
	})
}

func FuzzParseExpiry(f *testing.F) {
	f.Add("90d")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseExpiry(s)
		if err != nil {
			if !errors.Is(err, fraud.ErrInvalid) || d != 0 {
				t.Fatalf("ParseExpiry(%q) = %v, %v", s, d, err)
			}
			return
		}
		if d <= 0 || d > MaxExpiry || d%time.Minute != 0 {
			t.Fatalf("ParseExpiry(%q) = %v, outside (0, MaxExpiry] or not whole minutes", s, d)
		}
	})
}
