package fraud

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"sync"
)

// MinPseudonymKeyLen is the shortest key NewPseudonymizer accepts (256 bits).
const MinPseudonymKeyLen = 32

// pseudonymPrefix marks a pseudonymised identifier and the scheme's version.
const pseudonymPrefix = "p1_"

// Pseudonymizer replaces personal identifiers with keyed HMAC-SHA256 digests. The same
// identifier always maps to the same pseudonym under one key, so features and joins still
// work, while the raw identifier cannot be recovered without the key.
//
// It is safe for concurrent use.
type Pseudonymizer struct {
	pool sync.Pool
}

// NewPseudonymizer returns a Pseudonymizer keyed by key, which must hold at least
// MinPseudonymKeyLen bytes. The key is copied.
func NewPseudonymizer(key []byte) (*Pseudonymizer, error) {
	if len(key) < MinPseudonymKeyLen {
		return nil, errors.New("pseudonymisation key must be at least 32 bytes")
	}
	k := append([]byte(nil), key...)
	p := &Pseudonymizer{}
	p.pool.New = func() any { return hmac.New(sha256.New, k) }
	return p, nil
}

// Pseudonym returns the pseudonym of id: "p1_" followed by the first 128 bits of
// HMAC-SHA256(key, id) in unpadded base64url. An empty id stays empty. Every other input is
// hashed, even one shaped like a pseudonym, so a client cannot pick another's pseudonym.
func (p *Pseudonymizer) Pseudonym(id string) string {
	if id == "" {
		return id
	}
	h := p.pool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(id))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	p.pool.Put(h)
	var out [len(pseudonymPrefix) + 22]byte
	copy(out[:], pseudonymPrefix)
	base64.RawURLEncoding.Encode(out[len(pseudonymPrefix):], sum[:16])
	return string(out[:])
}

// IsPseudonym reports whether id has the shape of a pseudonym made by a Pseudonymizer.
func IsPseudonym(id string) bool {
	if len(id) != len(pseudonymPrefix)+22 || id[:len(pseudonymPrefix)] != pseudonymPrefix {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(id[len(pseudonymPrefix):])
	return err == nil
}

// Apply pseudonymises the personal identifiers of t in place: customer, card, device and
// IP address. Apply it exactly once per transaction. The transaction id (the client's idempotency key) and the terminal id (a
// merchant's, not a person's) stay as they are.
func (p *Pseudonymizer) Apply(t *Transaction) {
	t.CustomerID = p.Pseudonym(t.CustomerID)
	t.Card = p.Pseudonym(t.Card)
	t.DeviceID = p.Pseudonym(t.DeviceID)
	t.IP = p.Pseudonym(t.IP)
}
