package fraud

import "context"

// EntityKind says whose history an EntityKey names.
type EntityKind uint8

// The entities the feature state keeps a history for.
const (
	CustomerEntity EntityKind = 1
	TerminalEntity EntityKind = 2
)

func (k EntityKind) String() string {
	switch k {
	case CustomerEntity:
		return "customer"
	case TerminalEntity:
		return "terminal"
	}
	return "unknown"
}

// EntityKey names one history of the feature state: a customer's or a terminal's.
type EntityKey struct {
	Kind EntityKind
	ID   string
}

// FeatureState is the online feature engine's memory of the past: for each customer and each
// terminal, a compact, bounded history of its recent transactions and of the labels given to
// them. The engine reads the histories of a transaction's customer and terminal BEFORE the
// transaction is scored (point in time), and records the transaction with Observe after; a
// verdict on a past transaction reaches the state only through Label.
//
// A history travels as an opaque blob whose encoding belongs to the feature engine (package
// feature/window), so a networked implementation stores blobs by key and applies Observe and
// Label atomically per entity. Implementations: state/memory (embedded, also read in place by
// the engine without copying) and state/redis (shared by several instances). Every
// implementation passes the conformance suite in feature/statetest.
//
// Implementations are safe for concurrent use.
type FeatureState interface {
	// Load sets blobs[i] to the encoded history of keys[i], reusing its capacity
	// (blobs[i] = append(blobs[i][:0], ...)); len(blobs) must equal len(keys). An entity the
	// state does not know gets an empty blob: that is an empty history, not an error. Load
	// fails only when the state cannot be read; it changes nothing.
	Load(ctx context.Context, keys []EntityKey, blobs [][]byte) error

	// Observe records t in the histories of its customer and its terminal. It is not
	// idempotent: the caller applies each transaction once (the pipeline deduplicates by
	// transaction id first). It fails with an error wrapping ErrInvalid when t cannot be
	// represented (a timestamp outside 1970-2105), or when the state cannot be written; a
	// failed Observe changes nothing.
	Observe(ctx context.Context, t *Transaction) error

	// Label records whether the past transaction t was fraud. The label marks the event of t
	// in its terminal's history, found by t's timestamp (to the second) and transaction id,
	// so several transactions in the same second are told apart. It is idempotent, and the
	// last label given wins. A label for a transaction the state does not hold (never
	// observed, or already expired from every window) changes nothing and is not an error.
	Label(ctx context.Context, t *Transaction, isFraud bool) error
}
