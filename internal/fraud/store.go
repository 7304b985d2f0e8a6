package fraud

import (
	"context"
	"time"
)

// This file holds the durable stores' contracts: decisions with their transactions, labels,
// API keys, the audit log, the review queue, lists, and retention. Adapters (store/sqlite,
// store/postgres) implement them and pass the conformance suite in fraud/storetest.
//
// Common to every method: ctx cancels the call; errors wrap ErrInvalid (bad argument),
// ErrNotFound or ErrConflict where the method's doc says so, and anything else is a storage
// failure that the caller may retry. Times are stored to the nanosecond and returned in UTC.

// Page is one page of a listing, in the listing's order. Next is the opaque cursor of the
// following page, empty on the last page; pass it back unchanged as the filter's Cursor.
type Page[T any] struct {
	Items []T
	Next  string
}

// DefaultPageLimit and MaxPageLimit bound a listing's page size: a Limit of zero means
// DefaultPageLimit, a larger Limit than MaxPageLimit is lowered to it.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// DecisionFilter selects decisions. Zero fields do not filter. From is inclusive and To
// exclusive, both on Decision.CreatedAt. CustomerID is the pseudonymous customer id as stored.
type DecisionFilter struct {
	Outcome    Outcome
	From, To   time.Time
	CustomerID string
	Limit      int
	Cursor     string
}

// DecisionStore keeps every decision together with the (already pseudonymised) transaction it
// was taken on, so a decision can be explained and replayed later.
//
// Implementations are safe for concurrent use.
type DecisionStore interface {
	// SaveDecision stores t and d atomically; d.TransactionID must equal t.ID, and both ids
	// must be non-empty, or it fails with ErrInvalid and stores nothing. When it returns nil
	// the pair is durable (see the adapter's documentation for the exact guarantee).
	//
	// It is idempotent by transaction id, first write wins: if a decision for t.ID (or one
	// with d.ID) is already stored, it stores nothing and fails with an error wrapping
	// ErrConflict, whatever the content. A retried request therefore reads the stored decision
	// with DecisionByTransaction and answers with it, so the client sees the first answer.
	//
	// If ctx ends first, SaveDecision returns ctx.Err() and the pair may or may not have been
	// stored; retrying is safe because of the idempotency above.
	SaveDecision(ctx context.Context, t *Transaction, d *Decision) error

	// Decision returns the decision with id, or fails with ErrNotFound. Read-only.
	Decision(ctx context.Context, id string) (*Decision, error)

	// DecisionByTransaction returns the decision taken on transaction txID, or fails with
	// ErrNotFound. Read-only.
	DecisionByTransaction(ctx context.Context, txID string) (*Decision, error)

	// Transaction returns the stored transaction with id, as it was saved (pseudonymised),
	// or fails with ErrNotFound. Read-only.
	Transaction(ctx context.Context, id string) (*Transaction, error)

	// Decisions lists the decisions f selects, newest first (by CreatedAt, then by id
	// descending). Walking the pages from an empty cursor visits every matching decision
	// stored before the walk began exactly once, even while new ones are saved. A cursor that
	// was not returned by Decisions, a negative Limit or an unknown Outcome fails with
	// ErrInvalid. Read-only.
	Decisions(ctx context.Context, f DecisionFilter) (Page[Decision], error)
}

// LabelFilter selects labels. Zero fields do not filter. From is inclusive and To exclusive,
// both on Label.LabelledAt.
type LabelFilter struct {
	TransactionID string
	From, To      time.Time
	Limit         int
	Cursor        string
}

// LabelStore keeps analysts' and feeds' labels. A transaction may be labelled several times
// (a chargeback may overturn an analyst); all labels are kept and the latest by LabelledAt
// is the verdict.
//
// Implementations are safe for concurrent use.
type LabelStore interface {
	// SaveLabel stores l. It fails with ErrInvalid when l.TransactionID is empty or
	// l.LabelledAt is zero, and with ErrNotFound when no decision was stored for the
	// transaction. It is idempotent: saving a label equal to a stored one (same transaction,
	// verdict, source and time) stores nothing and returns nil.
	SaveLabel(ctx context.Context, l Label) error

	// Labels lists the labels f selects in the order they were saved, oldest first. A cursor
	// not returned by Labels, or a negative Limit, fails with ErrInvalid. Read-only.
	Labels(ctx context.Context, f LabelFilter) (Page[Label], error)
}

// Role is what an API key may do. Roles do not nest: a scorer only scores; an analyst reads
// decisions, cases and labels and works the review queue; an admin manages rules, lists, keys
// and models but neither scores nor reads decisions (an admin key is the costliest to leak,
// so it opens nothing else). Someone who does two jobs holds two keys. The table that pins
// every role's permissions is internal/apikey's Allowed.
type Role string

// The roles; see Role for what each may do.
const (
	RoleScorer  Role = "scorer"
	RoleAnalyst Role = "analyst"
	RoleAdmin   Role = "admin"
)

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool {
	return r == RoleScorer || r == RoleAnalyst || r == RoleAdmin
}

// APIKey is a stored API key. Only a hash of the secret is kept (Hash, e.g. SHA-256 of the
// secret, computed by the caller): the secret itself is shown once and never stored.
// A zero ExpiresAt means no expiry; a zero RevokedAt means not revoked.
type APIKey struct {
	ID        string
	Name      string
	Hash      []byte
	Role      Role
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// Active reports whether k may be used at now: not revoked and not expired.
func (k *APIKey) Active(now time.Time) bool {
	if !k.RevokedAt.IsZero() {
		return false
	}
	return k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt)
}

// KeyStore keeps API keys.
//
// Implementations are safe for concurrent use.
type KeyStore interface {
	// CreateKey stores k. It fails with ErrInvalid when the id or hash is empty, the role is
	// not valid, CreatedAt is zero or RevokedAt is set, and with ErrConflict when a key with
	// the same id or hash exists. Not idempotent: a repeat is a conflict.
	CreateKey(ctx context.Context, k APIKey) error

	// KeyByHash returns the key whose hash is hash, revoked and expired keys included (check
	// Active), or fails with ErrNotFound. Read-only.
	KeyByHash(ctx context.Context, hash []byte) (*APIKey, error)

	// Keys lists every key, revoked and expired ones included, by CreatedAt then id.
	// Read-only.
	Keys(ctx context.Context) ([]APIKey, error)

	// RevokeKey marks key id revoked at at. It is idempotent: revoking a revoked key keeps
	// the first revocation time and returns nil. It fails with ErrNotFound for an unknown id.
	RevokeKey(ctx context.Context, id string, at time.Time) error
}

// AuditEntry is one record of the audit log. The store keeps entries exactly as given; the
// hash chain (PrevHash, Hash) is computed and verified by the audit package. Details is
// the caller's canonical encoding of the action's parameters; it must not hold personal data
// or secrets, because the audit log is never purged nor erased.
type AuditEntry struct {
	Seq      uint64
	Time     time.Time
	Actor    string
	Action   string
	Target   string
	Details  string
	PrevHash []byte
	Hash     []byte
}

// AuditStore is the append-only storage of the audit log: entries are never changed or
// removed, by this interface or by retention.
//
// Implementations are safe for concurrent use.
type AuditStore interface {
	// AppendAudit stores e at the end of the log. e.Seq must be exactly one more than the
	// last stored Seq (1 for the first entry), otherwise it fails with ErrConflict and stores
	// nothing: concurrent appenders that raced read LastAudit again and retry. It fails with
	// ErrInvalid when Seq is 0, Time is zero or Action is empty. Not idempotent.
	AppendAudit(ctx context.Context, e AuditEntry) error

	// LastAudit returns the entry with the highest Seq, or fails with ErrNotFound when the
	// log is empty. Read-only.
	LastAudit(ctx context.Context) (*AuditEntry, error)

	// ScanAudit calls fn with each entry whose Seq >= fromSeq, in Seq order. It stops at the
	// first error fn returns and returns that error unchanged. Read-only.
	ScanAudit(ctx context.Context, fromSeq uint64, fn func(AuditEntry) error) error
}

// CaseStatus is where a case stands in the review queue.
type CaseStatus string

// The case statuses: open (nobody has it), assigned (an analyst works on it), resolved.
const (
	CaseOpen     CaseStatus = "open"
	CaseAssigned CaseStatus = "assigned"
	CaseResolved CaseStatus = "resolved"
)

// Case is one decision under review. Resolution says what the analyst concluded
// (Approve: legitimate, Decline: fraud); the label itself is saved separately.
type Case struct {
	ID            string
	DecisionID    string
	TransactionID string
	Status        CaseStatus
	Assignee      string
	Resolution    Outcome
	Note          string
	OpenedAt      time.Time
	UpdatedAt     time.Time
}

// CaseFilter selects cases. Zero fields do not filter.
type CaseFilter struct {
	Status   CaseStatus
	Assignee string
	Limit    int
	Cursor   string
}

// CaseStore is the review queue.
//
// Implementations are safe for concurrent use.
type CaseStore interface {
	// OpenCase stores c with status open. It fails with ErrInvalid when the id, decision id or
	// OpenedAt is missing, with ErrNotFound when the decision is not stored, and with
	// ErrConflict when a case with that id or for that decision exists (one case per
	// decision: a repeat is a conflict, the first case stands). The stored case takes its
	// TransactionID from the decision; c's Status, Assignee, Resolution, Note and UpdatedAt
	// are ignored (a new case is open, unassigned, and updated when opened).
	OpenCase(ctx context.Context, c Case) error

	// Case returns the case with id, or fails with ErrNotFound. Read-only.
	Case(ctx context.Context, id string) (*Case, error)

	// AssignCase gives an open or assigned case to assignee at at. It fails with ErrNotFound
	// for an unknown id, with ErrInvalid for an empty assignee and with ErrConflict when the
	// case is resolved. Idempotent: assigning to the current assignee again changes only
	// UpdatedAt.
	AssignCase(ctx context.Context, id, assignee string, at time.Time) error

	// ResolveCase closes a case with resolution (Approve or Decline) and a note. It fails
	// with ErrNotFound for an unknown id, ErrInvalid for another resolution, and ErrConflict
	// when the case is already resolved. Not idempotent.
	ResolveCase(ctx context.Context, id string, resolution Outcome, note string, at time.Time) error

	// Cases lists the cases f selects, oldest opened first. A cursor not returned by Cases,
	// or a negative Limit, fails with ErrInvalid. Read-only.
	Cases(ctx context.Context, f CaseFilter) (Page[Case], error)
}

// List is a named, versioned list of strings (blocked cards, allowed terminals...) that
// rules read. Version starts at 1 and grows by one on every change.
type List struct {
	Name      string
	Version   int64
	Items     []string
	UpdatedAt time.Time
}

// ListStore keeps the lists rules use.
//
// Implementations are safe for concurrent use.
type ListStore interface {
	// PutList replaces the items of list l.Name (creating it) if its stored version is
	// l.Version (0 for a list that does not exist yet), and returns the new version. Any
	// other stored version fails with ErrConflict (optimistic concurrency: re-read and
	// retry). It fails with ErrInvalid for an empty name or a zero UpdatedAt. Items are
	// stored sorted and without duplicates.
	PutList(ctx context.Context, l List) (int64, error)

	// List returns the list named name, or fails with ErrNotFound. Read-only.
	List(ctx context.Context, name string) (*List, error)

	// Lists returns every list by name, without its items. Read-only.
	Lists(ctx context.Context) ([]List, error)
}

// Retention removes personal data: old data by age, one customer's on request.
// The audit log is not touched by either.
//
// Implementations are safe for concurrent use.
type Retention interface {
	// Purge removes every transaction whose decision was created before olderThan, together
	// with its decision, labels and case, and returns how many transactions it removed.
	// Idempotent: a repeat removes nothing more.
	Purge(ctx context.Context, olderThan time.Time) (int64, error)

	// EraseCustomer removes every transaction of the pseudonymous customer id, together with
	// its decisions, labels and cases, and returns how many transactions it removed. It fails
	// with ErrInvalid for an empty id. Idempotent: erasing an unknown or erased customer
	// removes nothing and returns 0, nil.
	EraseCustomer(ctx context.Context, customerID string) (int64, error)
}
