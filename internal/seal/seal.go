// Package seal encrypts sensitive column values at rest with AES-256-GCM.
//
// It owns the sealed format and key identification; it does not read keys from the
// environment (the caller reads VIGIL_DATA_KEY and passes its 32 bytes) and it does not know
// which columns are sensitive (the stores decide).
//
// A sealed value is
//
//	version (1 byte, 1) | key id (4 bytes) | nonce (12 bytes, random) | ciphertext | tag (16 bytes)
//
// The version byte and key id are authenticated too (they are part of GCM's associated data,
// with the caller's associated data), so neither can be changed unnoticed. Callers pass the
// value's place as associated data (a table, a column and the row id), so a sealed value
// copied into another row or column does not open.
//
// # Rotating keys
//
// The key id is derived from the key (the first 4 bytes of SHA-256 over a fixed label and the
// key), so it names a key without revealing it. To rotate: start vigil with the new key as
// the current one and the old key as a previous one (New(newKey, oldKey)); Seal always uses
// the current key, Open picks the key named by the value's key id, so old and new values both
// open. Re-seal the stored values (a store finds those under an old key with SealedKeyID,
// opens and seals them again: store/sqlite's Reseal), then drop the old key. A value
// whose key id names no configured key fails to open with ErrUnknownKey.
//
// With random 96-bit nonces, one key should seal fewer than 2^32 values; rotate well before.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// KeySize is the only key length New accepts: 32 bytes, AES-256.
const KeySize = 32

// Version is the format version written as the first byte of every sealed value.
const Version byte = 1

const (
	nonceSize  = 12
	tagSize    = 16
	headerSize = 1 + 4 + nonceSize
	// Overhead is how many bytes Seal adds to the plaintext.
	Overhead = headerSize + tagSize
)

var (
	// ErrMalformed means the value is not a sealed value of a known version.
	ErrMalformed = errors.New("seal: malformed sealed value")
	// ErrUnknownKey means the value was sealed under a key that is not configured.
	ErrUnknownKey = errors.New("seal: sealed under an unknown key")
	// ErrAuth means the value, its associated data or the key does not match: it was
	// tampered with, moved, or sealed under another key with a colliding id.
	ErrAuth = errors.New("seal: authentication failed")
)

type keyed struct {
	id   uint32
	aead cipher.AEAD
}

// Sealer seals and opens values. It is safe for concurrent use.
type Sealer struct {
	current keyed
	byID    map[uint32]cipher.AEAD
}

// New returns a Sealer that seals with key and opens values sealed with key or any of
// previous. Every key must be exactly KeySize bytes; keys are not retained beyond the
// ciphers built from them.
func New(key []byte, previous ...[]byte) (*Sealer, error) {
	cur, err := newKeyed(key)
	if err != nil {
		return nil, err
	}
	s := &Sealer{current: cur, byID: map[uint32]cipher.AEAD{cur.id: cur.aead}}
	for i, p := range previous {
		k, err := newKeyed(p)
		if err != nil {
			return nil, fmt.Errorf("previous key %d: %w", i, err)
		}
		if _, dup := s.byID[k.id]; dup {
			return nil, fmt.Errorf("previous key %d: same key id as another key", i)
		}
		s.byID[k.id] = k.aead
	}
	return s, nil
}

func newKeyed(key []byte) (keyed, error) {
	if len(key) != KeySize {
		return keyed{}, fmt.Errorf("seal: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return keyed{}, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return keyed{}, fmt.Errorf("seal: %w", err)
	}
	return keyed{id: KeyID(key), aead: aead}, nil
}

// KeyID returns the id under which key's sealed values are written.
func KeyID(key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte("vigil seal key id v1\x00"))
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// CurrentKeyID returns the id of the key Seal uses.
func (s *Sealer) CurrentKeyID() uint32 { return s.current.id }

// SealedKeyID returns the id of the key a sealed value was sealed under, without opening
// it, so a store can find the values still sealed under a previous key. ok is false for a
// value that is not a sealed value of a known version.
func SealedKeyID(sealed []byte) (id uint32, ok bool) {
	if len(sealed) < Overhead || sealed[0] != Version {
		return 0, false
	}
	return binary.BigEndian.Uint32(sealed[1:5]), true
}

// Seal encrypts plaintext under the current key with a fresh random nonce, binding
// associatedData (which is not stored), and returns a new slice of len(plaintext)+Overhead
// bytes. It panics only if the system's random source fails.
func (s *Sealer) Seal(plaintext, associatedData []byte) []byte {
	out := make([]byte, headerSize, headerSize+len(plaintext)+tagSize)
	out[0] = Version
	binary.BigEndian.PutUint32(out[1:5], s.current.id)
	if _, err := rand.Read(out[5:headerSize]); err != nil {
		panic("seal: random source failed: " + err.Error())
	}
	ad := additional(out[:5], associatedData)
	return s.current.aead.Seal(out, out[5:headerSize], plaintext, ad)
}

// Open authenticates and decrypts a value made by Seal with the same associatedData. It
// fails with ErrMalformed, ErrUnknownKey or ErrAuth, never returning partial plaintext.
func (s *Sealer) Open(sealed, associatedData []byte) ([]byte, error) {
	if len(sealed) < Overhead || sealed[0] != Version {
		return nil, ErrMalformed
	}
	aead, ok := s.byID[binary.BigEndian.Uint32(sealed[1:5])]
	if !ok {
		return nil, ErrUnknownKey
	}
	ad := additional(sealed[:5], associatedData)
	plain, err := aead.Open(nil, sealed[5:headerSize], sealed[headerSize:], ad)
	if err != nil {
		return nil, ErrAuth
	}
	return plain, nil
}

// additional is GCM's associated data: the header (version and key id) then the caller's.
func additional(header, associatedData []byte) []byte {
	ad := make([]byte, 0, len(header)+len(associatedData))
	ad = append(ad, header...)
	return append(ad, associatedData...)
}
