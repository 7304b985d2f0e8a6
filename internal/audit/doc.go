// Package audit keeps vigil's audit trail: every privileged action (an API key created,
// revoked or rotated, a rule set or list changed, a model promoted, a label or case change, a
// customer's data erased) is appended to a hash-chained log, and Verify checks the whole chain
// and names the first entry that is broken.
//
// The package owns the chain: the action vocabulary, the validation of an event, the exact
// byte encoding that is hashed, appending under concurrency, and verification. It does not own
// storage (any fraud.AuditStore: store/sqlite, store/postgres), nor deciding which actions to
// record (the HTTP handlers and CLI commands call Log.Append), nor the `vigil audit` command.
//
// # Appending
//
// Log.Append gives an event the next sequence number, the time from Options.Now, the previous
// entry's hash as PrevHash (32 zero bytes for entry 1), computes Hash and stores the entry.
// When another appender (another goroutine or another vigil instance on the same database)
// stored that sequence number first, the store answers fraud.ErrConflict and Append reads the
// head again and retries, a bounded number of times. A Log is safe for concurrent use.
//
// Actions come from a fixed vocabulary (the Action* constants); Append refuses any other. The
// audit log is never purged nor erased, so an event must hold neither a secret nor personal
// data: callers pass an API key's id, never the key; a rule set's or model's version, never
// its content; for customer.erase, the erasure request's reference, never the customer id.
// As a guard, Append refuses Details whose JSON has, at any depth, a member named like a
// secret (see ErrSecret).
//
// # The hashed encoding (version 1)
//
// An entry's Hash is SHA-256 over the following bytes, in this order, with no separators
// other than the ones listed:
//
//	"vigil-audit-v1" followed by one 0x00 byte       (15 bytes, domain separation)
//	Seq      8 bytes, big-endian unsigned
//	Time     8 bytes, big-endian two's complement: Unix time in nanoseconds (UTC)
//	Actor    8-byte big-endian length in bytes, then the UTF-8 bytes
//	Action   8-byte big-endian length, then the bytes
//	Target   8-byte big-endian length, then the bytes
//	Details  8-byte big-endian length, then the bytes exactly as stored (JSON, or empty)
//	PrevHash 8-byte big-endian length, then the bytes (32 of them, all zero for entry 1)
//
// Every variable field is length-prefixed, so two different entries never encode to the same
// bytes (moving a byte from Actor to Action changes both lengths). Hash itself is not part of
// the encoding. An auditor can re-implement the check in a few lines of any language: for
// each entry in Seq order, starting at 1 with no gap, recompute the hash and compare it with
// Hash, and compare PrevHash with the previous entry's Hash. TestGoldenHash pins the
// encoding of a fixed entry. In Python, for example:
//
//	def field(b): return struct.pack(">Q", len(b)) + b
//	enc = (b"vigil-audit-v1\x00" + struct.pack(">Q", seq) + struct.pack(">q", time_ns)
//	       + field(actor) + field(action) + field(target) + field(details) + field(prev_hash))
//	entry_hash = hashlib.sha256(enc).digest()
//
// # What verification proves
//
// Verify detects any change to any field of any entry, a deleted entry, and entries moved to
// other sequence numbers, provided the attacker cannot recompute the whole chain after the
// change (the hashes are not keyed: someone who can rewrite the database can rewrite every
// later hash too). A chain alone cannot detect a truncated tail: removing the last entries
// leaves a valid, shorter chain. An operator who noted the head (Report.Head, printed by
// `vigil audit verify`, or Log.Head) at some point, and keeps it elsewhere, passes it as
// VerifyOptions.ExpectHead to detect that. Anchoring the head outside the database regularly
// (a ticket, a log shipper, a signed note) is what makes truncation and wholesale rewriting
// detectable.
package audit
