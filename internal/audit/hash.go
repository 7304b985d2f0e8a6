package audit

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// HashSize is the size of Hash and PrevHash: SHA-256.
const HashSize = sha256.Size

// domain separates the audit hash from any other SHA-256 use, and names the encoding version.
const domain = "vigil-audit-v1\x00"

// Hash returns the hash of e as the package documentation defines it: SHA-256 over the
// length-prefixed encoding of every field but e.Hash. It never fails.
func Hash(e fraud.AuditEntry) []byte {
	h := sha256.Sum256(encode(e))
	return h[:]
}

// encode returns the bytes that Hash hashes.
func encode(e fraud.AuditEntry) []byte {
	n := len(domain) + 8 + 8 + 5*8 + len(e.Actor) + len(e.Action) + len(e.Target) +
		len(e.Details) + len(e.PrevHash)
	b := make([]byte, 0, n)
	b = append(b, domain...)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = appendInt64(b, e.Time.UnixNano())
	b = appendField(b, e.Actor)
	b = appendField(b, e.Action)
	b = appendField(b, e.Target)
	b = appendField(b, e.Details)
	return appendField(b, e.PrevHash)
}

func appendField[S string | []byte](b []byte, s S) []byte {
	b = appendInt64(b, int64(len(s)))
	return append(b, s...)
}

// appendInt64 appends v in 8 bytes, big-endian two's complement. (binary.Append takes the
// signed value as it is, so no narrowing or sign-changing conversion is needed.)
func appendInt64(b []byte, v int64) []byte {
	out, err := binary.Append(b, binary.BigEndian, v)
	if err != nil { // unreachable: int64 is a fixed-size type
		panic("audit: encode int64: " + err.Error())
	}
	return out
}
