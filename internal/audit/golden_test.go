package audit_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

// goldenHash is the hash of goldenEntry under encoding version 1. It must never change: every
// stored audit log depends on it. If this test fails, the encoding changed; a new encoding
// needs a new domain prefix and a migration plan, not a new golden value.
const goldenHash = "02f09ee71a8de830f633a7a8b0beb67db629550c882719b83d55237dc143800f"

var goldenEntry = fraud.AuditEntry{
	Seq:      2,
	Time:     time.Unix(0, 1764000000123456789).UTC(),
	Actor:    "key:k1",
	Action:   "key.revoke",
	Target:   "k2",
	Details:  `{"reason":"leaked"}`,
	PrevHash: bytes.Repeat([]byte{0xab}, 32),
}

// TestGoldenHash re-implements the encoding documented in doc.go byte by byte, and pins the
// resulting hash.
func TestGoldenHash(t *testing.T) {
	field := func(s string) string { // 8-byte big-endian length, then the bytes, in hex
		return hex.EncodeToString([]byte{0, 0, 0, 0, 0, 0, 0, byte(len(s))}) + hex.EncodeToString([]byte(s))
	}
	want := hex.EncodeToString([]byte("vigil-audit-v1\x00")) +
		"0000000000000002" + // Seq
		"187afca76f25cd15" + // Time: 1764000000123456789 ns, big-endian
		field("key:k1") + field("key.revoke") + field("k2") + field(`{"reason":"leaked"}`) +
		field(string(bytes.Repeat([]byte{0xab}, 32)))
	enc, err := hex.DecodeString(want)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(enc)
	got := audit.Hash(goldenEntry)
	if !bytes.Equal(got, sum[:]) {
		t.Errorf("Hash = %x, but the documented encoding hashes to %x", got, sum)
	}
	if hex.EncodeToString(got) != goldenHash {
		t.Errorf("Hash = %x, want the golden %s", got, goldenHash)
	}
	// Hash ignores the entry's own Hash field.
	e := goldenEntry
	e.Hash = []byte("anything")
	if !bytes.Equal(audit.Hash(e), got) {
		t.Error("Hash depends on the Hash field")
	}
}

// TestEncodingIsUnambiguous moves bytes across field boundaries, which a plain concatenation
// would not notice.
func TestEncodingIsUnambiguous(t *testing.T) {
	base := fraud.AuditEntry{Seq: 1, Time: time.Unix(0, 0), Actor: "ab", Action: "c", Target: "", Details: "d"}
	variants := []func(e *fraud.AuditEntry){
		func(e *fraud.AuditEntry) { e.Actor, e.Action = "a", "bc" },
		func(e *fraud.AuditEntry) { e.Actor, e.Action = "abc", "" },
		func(e *fraud.AuditEntry) { e.Action, e.Target = "", "c" },
		func(e *fraud.AuditEntry) { e.Target, e.Details = "d", "" },
		func(e *fraud.AuditEntry) { e.Details, e.PrevHash = "", []byte("d") },
	}
	seen := map[string]int{hex.EncodeToString(audit.Hash(base)): -1}
	for i, v := range variants {
		e := base
		v(&e)
		h := hex.EncodeToString(audit.Hash(e))
		if j, dup := seen[h]; dup {
			t.Errorf("variant %d hashes like %d", i, j)
		}
		seen[h] = i
	}
}
