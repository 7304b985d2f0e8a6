package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// Limits on an event's fields, so that one entry stays small and readable.
const (
	MaxActorLen     = 256      // bytes
	MaxTargetLen    = 256      // bytes
	MaxDetailsLen   = 16 << 10 // bytes of JSON
	DefaultAttempts = 32       // appends tried before Append gives up on a contended log
)

// ErrSecret is wrapped by the error Append returns when Details has a member named like a
// secret: "key", "secret", "password", "passwd", "token", "apikey", "privatekey",
// "credential", "credentials" or "authorization", compared case-insensitively with '_' and
// '-' removed ("api_key", "Private-Key"). Name the member after what it holds ("key_id").
// The check is a guard against mistakes, not a proof that Details holds no secret.
var ErrSecret = errors.New("audit details hold a member named like a secret")

var secretNames = []string{"key", "secret", "password", "passwd", "token", "apikey",
	"privatekey", "credential", "credentials", "authorization"}

// Log keys.
const (
	logKeySeq    = "seq"
	logKeyAction = "action"
	logKeyError  = "error"
)

// Options configure New. Zero values take the defaults named beside them.
type Options struct {
	// Now is the clock that stamps entries (default time.Now). Entries are stored in UTC to
	// the nanosecond; the clock need not be monotonic across instances.
	Now func() time.Time
	// Logger receives operational messages; nil discards them. It never receives an
	// event's actor, target or details, only sequence numbers and actions.
	Logger *slog.Logger
	// Attempts bounds how many times Append tries to store one event when other appenders
	// keep winning the race for the next sequence number (default DefaultAttempts).
	Attempts int
}

// Event is one privileged action to record.
type Event struct {
	// Actor is who acted: "key:<key id>" for an API caller, "cli:<user>" or "system" for
	// the command line and scheduled jobs. Required; valid UTF-8 with no control characters.
	Actor string
	// Action is one of the Action* constants.
	Action string
	// Target is what was acted on (see each Action* constant); may be empty. Valid UTF-8
	// with no control characters.
	Target string
	// Details are the action's parameters, marshalled with encoding/json (a json.RawMessage
	// is validated and compacted); nil stores no details. They must hold no secret and no
	// personal data: the audit log is never erased.
	Details any
}

// Log appends events to an audit store as a hash chain. It is safe for concurrent use, and
// several Logs (in several processes) may append to the same store.
type Log struct {
	store    fraud.AuditStore
	now      func() time.Time
	log      *slog.Logger
	attempts int

	mu   sync.Mutex // serialises appends from this Log, and guards head
	head *fraud.AuditEntry
}

// New returns a Log that appends to store.
func New(store fraud.AuditStore, o Options) *Log {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	return &Log{store: store, now: o.Now, log: o.Logger, attempts: o.Attempts}
}

// Append validates ev, chains it to the last entry and stores it, and returns the stored
// entry. It fails with an error wrapping fraud.ErrInvalid (and ErrSecret where it applies)
// when ev is not valid, with one wrapping fraud.ErrConflict when other appenders won the race
// for the next sequence number Options.Attempts times in a row, and otherwise with the
// store's error. Not idempotent: each successful call adds one entry.
func (l *Log) Append(ctx context.Context, ev Event) (fraud.AuditEntry, error) {
	details, err := validate(ev)
	if err != nil {
		return fraud.AuditEntry{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for range l.attempts {
		if l.head == nil {
			if err := l.readHead(ctx); err != nil {
				return fraud.AuditEntry{}, err
			}
		}
		e := fraud.AuditEntry{
			Seq:     1,
			Time:    l.now().Round(0).UTC(),
			Actor:   ev.Actor,
			Action:  ev.Action,
			Target:  ev.Target,
			Details: details,
		}
		if l.head.Seq == 0 {
			e.PrevHash = make([]byte, HashSize)
		} else {
			e.Seq, e.PrevHash = l.head.Seq+1, bytes.Clone(l.head.Hash)
		}
		e.Hash = Hash(e)
		err := l.store.AppendAudit(ctx, e)
		if err == nil {
			l.head = &e
			return e, nil
		}
		l.head = nil // whatever happened, read the head again before the next append
		if !errors.Is(err, fraud.ErrConflict) {
			return fraud.AuditEntry{}, fmt.Errorf("audit: append: %w", err)
		}
	}
	return fraud.AuditEntry{}, fmt.Errorf("audit: append: other appenders won %d times in a row: %w",
		l.attempts, fraud.ErrConflict)
}

// readHead loads the last stored entry into l.head (a zero entry for an empty log). A head
// whose hash does not match its content is logged as an error; Append still chains to it,
// so that privileged actions stay recorded, and Verify names the broken entry.
func (l *Log) readHead(ctx context.Context) error {
	last, err := l.store.LastAudit(ctx)
	switch {
	case errors.Is(err, fraud.ErrNotFound):
		l.head = &fraud.AuditEntry{}
		return nil
	case err != nil:
		return fmt.Errorf("audit: read head: %w", err)
	}
	if !bytes.Equal(Hash(*last), last.Hash) {
		l.log.Error("audit log head does not match its content; run vigil audit verify",
			logKeySeq, last.Seq, logKeyAction, last.Action)
	}
	l.head = last
	return nil
}

// Head returns the last entry's sequence number and hash (the zero Head for an empty log),
// for an operator to note outside the database and pass to VerifyOptions.ExpectHead later.
// Read-only.
func (l *Log) Head(ctx context.Context) (Head, error) {
	last, err := l.store.LastAudit(ctx)
	switch {
	case errors.Is(err, fraud.ErrNotFound):
		return Head{}, nil
	case err != nil:
		return Head{}, fmt.Errorf("audit: read head: %w", err)
	}
	return Head{Seq: last.Seq, Hash: last.Hash}, nil
}

// validate checks ev and returns its details as they will be stored.
func validate(ev Event) (string, error) {
	if !ValidAction(ev.Action) {
		return "", invalid("action %q is not in the audit vocabulary", ev.Action)
	}
	if ev.Actor == "" {
		return "", invalid("actor is required")
	}
	if err := checkText("actor", ev.Actor, MaxActorLen); err != nil {
		return "", err
	}
	if err := checkText("target", ev.Target, MaxTargetLen); err != nil {
		return "", err
	}
	if ev.Details == nil {
		return "", nil
	}
	if raw, ok := ev.Details.(json.RawMessage); ok && raw == nil {
		return "", nil
	}
	b, err := json.Marshal(ev.Details)
	if err != nil {
		return "", invalid("details are not valid JSON: %v", err)
	}
	if len(b) > MaxDetailsLen {
		return "", invalid("details are %d bytes, more than %d", len(b), MaxDetailsLen)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", invalid("details are not valid JSON: %v", err)
	}
	if name, ok := secretMember(v); ok {
		return "", fmt.Errorf("audit: details member %q: %w (%w)", name, ErrSecret, fraud.ErrInvalid)
	}
	return string(b), nil
}

// secretMember returns the first object member name in v that names a secret.
func secretMember(v any) (string, bool) {
	switch v := v.(type) {
	case map[string]any:
		for name, child := range v {
			norm := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
			for _, s := range secretNames {
				if norm == s {
					return name, true
				}
			}
			if n, ok := secretMember(child); ok {
				return n, true
			}
		}
	case []any:
		for _, child := range v {
			if n, ok := secretMember(child); ok {
				return n, true
			}
		}
	}
	return "", false
}

func checkText(field, s string, limit int) error {
	if len(s) > limit {
		return invalid("%s is %d bytes, more than %d", field, len(s), limit)
	}
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", field)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return invalid("%s holds a control character", field)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("audit: "+format+": %w", append(args, fraud.ErrInvalid)...)
}
