package apikey

import (
	"errors"
	"fmt"
)

// ErrUnauthenticated is wrapped by every error that means "the caller did not prove who it
// is"; the HTTP layer maps it to 401 with one body for all of them, so a caller cannot tell
// an unknown key from a revoked one. The finer errors are for logs and metrics.
var ErrUnauthenticated = errors.New("unauthenticated")

// The reasons a key is refused. None of their messages contains the presented key.
var (
	// ErrMissing: no Authorization header, or an empty one.
	ErrMissing = fmt.Errorf("no api key: %w", ErrUnauthenticated)
	// ErrMalformed: not a bearer header, or not a well-formed key (wrong length, prefix,
	// alphabet or checksum). Found without a store lookup.
	ErrMalformed = fmt.Errorf("malformed api key: %w", ErrUnauthenticated)
	// ErrUnknown: well formed but not stored (or stored under another id).
	ErrUnknown = fmt.Errorf("unknown api key: %w", ErrUnauthenticated)
	// ErrExpired: stored, not revoked, but past its expiry.
	ErrExpired = fmt.Errorf("expired api key: %w", ErrUnauthenticated)
	// ErrRevoked: stored and revoked (checked before expiry).
	ErrRevoked = fmt.Errorf("revoked api key: %w", ErrUnauthenticated)
)
