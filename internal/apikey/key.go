package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

// The key format: Prefix, IDLen characters of key id, "_", then BodyLen characters that
// encode the 32-byte secret followed by a big-endian CRC-32 (IEEE) of everything before the
// body plus the secret. All characters after the prefix are lowercase RFC 4648 base32
// (a-z, 2-7) without padding; a key that does not re-encode to itself is refused, so each
// key has exactly one spelling.
const (
	// Prefix starts every key, so people and secret scanners recognise one.
	Prefix = "vgl_"
	// IDLen is the length of the public key id (10 random bytes).
	IDLen = 16
	// BodyLen is the length of the encoded secret and checksum (32 + 4 bytes).
	BodyLen = 58
	// Len is the length of every key.
	Len = len(Prefix) + IDLen + 1 + BodyLen

	idBytes     = 10
	secretBytes = 32
	sumBytes    = 4
)

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// generate returns a new key and its id, reading randomness from r.
func generate(r io.Reader) (key, id string, err error) {
	var raw [idBytes + secretBytes]byte
	if _, err := io.ReadFull(r, raw[:]); err != nil {
		return "", "", fmt.Errorf("apikey: read random: %w", err)
	}
	id = enc.EncodeToString(raw[:idBytes])
	return encode(id, raw[idBytes:]), id, nil
}

// encode spells the key with id and secret, appending its checksum.
func encode(id string, secret []byte) string {
	var body [secretBytes + sumBytes]byte
	copy(body[:], secret)
	binary.BigEndian.PutUint32(body[secretBytes:], checksum(id, secret))
	var b strings.Builder
	b.Grow(Len)
	b.WriteString(Prefix)
	b.WriteString(id)
	b.WriteByte('_')
	b.WriteString(enc.EncodeToString(body[:]))
	return b.String()
}

func checksum(id string, secret []byte) uint32 {
	var buf [len(Prefix) + IDLen + 1 + secretBytes]byte
	b := append(append(append(append(buf[:0], Prefix...), id...), '_'), secret...)
	return crc32.ChecksumIEEE(b)
}

// parse checks the shape and checksum of key without any lookup and returns its id. It
// fails with ErrMalformed for anything that is not a key this package could have made: a
// wrong length or prefix, a character outside the alphabet, a non-canonical spelling or a
// checksum that does not match (a typo or a truncated copy).
func parse(key string) (id string, err error) {
	if len(key) != Len || !strings.HasPrefix(key, Prefix) || key[len(Prefix)+IDLen] != '_' {
		return "", ErrMalformed
	}
	id = key[len(Prefix) : len(Prefix)+IDLen]
	rawID, err := enc.DecodeString(id)
	if err != nil || len(rawID) != idBytes || enc.EncodeToString(rawID) != id {
		return "", ErrMalformed
	}
	text := key[len(Prefix)+IDLen+1:]
	body, err := enc.DecodeString(text)
	// Re-encoding refuses the spellings the decoder tolerates (line breaks, set trailing
	// bits), so one secret has one key and one hash.
	if err != nil || len(body) != secretBytes+sumBytes || enc.EncodeToString(body) != text {
		return "", ErrMalformed
	}
	if binary.BigEndian.Uint32(body[secretBytes:]) != checksum(id, body[:secretBytes]) {
		return "", ErrMalformed
	}
	return id, nil
}

// hash is what the store keeps of key: SHA-256 of its full spelling.
func hash(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// LooksLikeKey reports whether s has the shape and a valid checksum of a vigil API key. It
// does not say whether the key exists; use it to refuse typos early (e.g. in the CLI) or to
// find keys pasted where they should not be.
func LooksLikeKey(s string) bool {
	_, err := parse(s)
	return err == nil
}

var defaultRand io.Reader = rand.Reader
