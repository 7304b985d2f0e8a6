// Package apikey owns vigil's API keys: their format, their creation (the secret is shown
// once, only its hash is stored), authentication of a presented key, revocation, rotation,
// listing, the role → permission table, and parsing of the `Authorization: Bearer` header and
// of `--expires` values. It does not own storage (fraud.KeyStore, e.g. store/sqlite), the
// HTTP middleware or its status mapping, the `vigil keys` CLI, the audit log entries for key
// changes, or rate limits: those call this package.
//
// # Key format
//
//	vgl_<id: 16 chars>_<secret and checksum: 58 chars>     (79 characters in all)
//
// Every character after the prefix is lowercase base32 (a-z, 2-7, no padding). The id is 10
// random bytes; it is public (shown by List, fit for logs after authentication). The body
// encodes 32 bytes (256 bits) from crypto/rand followed by a big-endian CRC-32 (IEEE) of
// "vgl_" + id + "_" + the secret bytes. The checksum lets Authenticate refuse a mistyped,
// truncated or made-up key with ErrMalformed without a store lookup (it is no protection
// against forgery: the 256 random bits are), and, with the fixed prefix and length, lets
// secret scanners recognise a leaked key with few false positives. For
// security/gitleaks.toml:
//
//	[[rules]]
//	id = "vigil-api-key"
//	description = "vigil API key"
//	regex = '''\bvgl_[a-z2-7]{16}_[a-z2-7]{58}\b'''
//	keywords = ["vgl_"]
//
// # Storage
//
// The store keeps SHA-256 of the whole key and nothing else of the secret. A slow KDF
// (bcrypt, scrypt, Argon2) exists to make guessing a low-entropy password from its hash
// expensive; a key with 256 random bits cannot be guessed from its hash at any hashing
// speed (2^256 tries), so a fast hash loses nothing and keeps Authenticate cheap on the
// scoring path — and, with no salt, one indexed lookup by hash finds the key. Authenticate
// compares the stored hash (and id) with the presented one again with
// crypto/subtle.ConstantTimeCompare; the store's indexed lookup compares hashes, which leaks
// at most something about a hash, never about a secret.
//
// # Roles
//
// Allowed holds the whole policy in one table. The roles are disjoint (least privilege):
// scorer may only score; analyst reads decisions, cases and labels, and writes cases and
// labels; admin manages rules, lists, keys, models, erasure and reads the audit log, and may
// not score or read decisions. An admin key is the one whose leak costs most, so it should
// never be the key a scoring client or a dashboard holds.
//
// # Expiry, revocation and rotation
//
// Every key expires, after at most MaxExpiry (two years; the CLI default is DefaultExpiry,
// 90 days); ParseExpiry has no "never". Revocation is immediate. Rotate has no grace period:
// it creates the new key and revokes the old one at once (the store can only revoke now).
// For a zero-downtime change, create a second key with the same role, deploy it, then
// revoke the old key.
//
// # Errors
//
// Every refusal of a presented key wraps ErrUnauthenticated, which the HTTP layer maps to 401
// with one body; ErrMalformed, ErrUnknown, ErrExpired and ErrRevoked are for logs and
// metrics. No error of this package contains a presented key or a secret.
package apikey
