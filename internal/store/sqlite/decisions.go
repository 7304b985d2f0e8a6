package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

const insertTransactionSQL = `INSERT INTO transactions (id, occurred_at, amount, currency,
	customer_id, terminal_id, merchant_category, channel, country, sealed_sensitive)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`

// insertDecisionSQL's first parameter is the transaction's seq, known once its row is
// inserted (saveOne); see migration 0003.
const insertDecisionSQL = `INSERT INTO decisions (tx_seq, id, transaction_id, customer_id, outcome,
	score, model_version, rules_version, created_at, latency_us, sealed_explanation)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`

const deleteTransactionSQL = "DELETE FROM transactions WHERE id = ?"

const (
	adTransactionSensitive = "transactions.sealed_sensitive"
	adDecisionExplanation  = "decisions.sealed_explanation"
)

// SaveDecision stores t and d with the guarantee described in the package documentation:
// it returns nil only once both are durable on disk.
func (s *Store) SaveDecision(ctx context.Context, t *fraud.Transaction, d *fraud.Decision) error {
	if err := checkDecision(t, d); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if failed := s.failed.Load(); failed != nil {
		return *failed
	}
	// Held until the request is queued: Close waits for it, so nothing below meets a
	// closed database.
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	set, err := s.featureSetID(ctx, d.FeatureNames)
	if err != nil {
		s.mu.RUnlock()
		return err
	}
	sens := (&sensitive{Card: t.Card, DeviceID: t.DeviceID, IP: t.IP, Attributes: t.Attributes}).marshal()
	expl := (&explanation{Reasons: d.Reasons, RuleHits: d.RuleHits,
		FeatureSet: set, Features: d.Features}).marshal()
	r := &saveRequest{
		ctx: ctx,
		txArgs: []any{t.ID, t.Timestamp.UnixNano(), t.Amount, t.Currency, t.CustomerID, t.TerminalID,
			t.MerchantCategory, t.Channel, t.Country, s.sealer.Seal(sens, ad(adTransactionSensitive, t.ID))},
		decArgs: []any{nil, d.ID, d.TransactionID, t.CustomerID, string(d.Outcome), d.Score, d.ModelVersion,
			d.RulesVersion, d.CreatedAt.UnixNano(), d.LatencyMicros, s.sealer.Seal(expl, ad(adDecisionExplanation, d.ID))},
		result: make(chan error, 1),
	}
	select {
	case s.queue <- r:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	select {
	case err := <-r.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func checkDecision(t *fraud.Transaction, d *fraud.Decision) error {
	switch {
	case t == nil || d == nil:
		return invalid("transaction and decision are required")
	case t.ID == "" || d.ID == "":
		return invalid("transaction id and decision id are required")
	case d.TransactionID != t.ID:
		return invalid("decision's transaction id differs from the transaction's")
	case d.Outcome.Severity() < 0:
		return invalid("unknown outcome")
	case t.Timestamp.IsZero() || !representable(t.Timestamp):
		return invalid("transaction timestamp missing or out of range")
	case d.CreatedAt.IsZero() || !representable(d.CreatedAt):
		return invalid("decision time missing or out of range")
	case math.IsNaN(d.Score) || math.IsNaN(t.Amount):
		return invalid("score and amount must be numbers")
	}
	return nil
}

const decisionColumns = `id, transaction_id, outcome, score, model_version, rules_version,
	created_at, latency_us, sealed_explanation`

// qualifiedDecisionColumns are decisionColumns with id named by its table, for queries that
// join transactions (which has an id too).
var qualifiedDecisionColumns = "decisions." + decisionColumns

type scanner interface{ Scan(dest ...any) error }

func (s *Store) scanDecision(ctx context.Context, row scanner) (*fraud.Decision, error) {
	var (
		d       fraud.Decision
		outcome string
		created sql.NullInt64
		sealed  []byte
	)
	if err := row.Scan(&d.ID, &d.TransactionID, &outcome, &d.Score, &d.ModelVersion,
		&d.RulesVersion, &created, &d.LatencyMicros, &sealed); err != nil {
		return nil, err
	}
	d.Outcome = fraud.Outcome(outcome)
	d.CreatedAt = fromNanos(created)
	plain, err := s.sealer.Open(sealed, ad(adDecisionExplanation, d.ID))
	if err != nil {
		return nil, fmt.Errorf("sqlite store: decision explanation: %w", err)
	}
	var e explanation
	if err := e.unmarshal(plain); err != nil {
		return nil, fmt.Errorf("sqlite store: decision explanation: %w", err)
	}
	if e.FeatureSet != 0 {
		if e.FeatureNames, err = s.featureNames(ctx, e.FeatureSet); err != nil {
			return nil, err
		}
	}
	d.Reasons, d.RuleHits, d.FeatureNames, d.Features = e.Reasons, e.RuleHits, e.FeatureNames, e.Features
	return &d, nil
}

// Decision returns the decision with id, or an error wrapping fraud.ErrNotFound.
func (s *Store) Decision(ctx context.Context, id string) (*fraud.Decision, error) {
	return s.oneDecision(ctx, "SELECT "+decisionColumns+" FROM decisions WHERE id = ?", id)
}

// DecisionByTransaction returns the decision on transaction txID, or an error wrapping
// fraud.ErrNotFound.
func (s *Store) DecisionByTransaction(ctx context.Context, txID string) (*fraud.Decision, error) {
	return s.oneDecision(ctx, "SELECT "+decisionColumns+
		" FROM decisions WHERE tx_seq = (SELECT seq FROM transactions WHERE id = ?)", txID)
}

func (s *Store) oneDecision(ctx context.Context, query, arg string) (*fraud.Decision, error) {
	d, err := s.scanDecision(ctx, s.db.QueryRowContext(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("decision: %w", fraud.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite store: decision: %w", err)
	}
	return d, nil
}

// Transaction returns the stored transaction with id, or an error wrapping fraud.ErrNotFound.
func (s *Store) Transaction(ctx context.Context, id string) (*fraud.Transaction, error) {
	var (
		t      fraud.Transaction
		at     sql.NullInt64
		sealed []byte
	)
	err := s.db.QueryRowContext(ctx, `SELECT id, occurred_at, amount, currency, customer_id,
		terminal_id, merchant_category, channel, country, sealed_sensitive
		FROM transactions WHERE id = ?`, id).Scan(&t.ID, &at, &t.Amount, &t.Currency,
		&t.CustomerID, &t.TerminalID, &t.MerchantCategory, &t.Channel, &t.Country, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("transaction: %w", fraud.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite store: transaction: %w", err)
	}
	t.Timestamp = fromNanos(at)
	plain, err := s.sealer.Open(sealed, ad(adTransactionSensitive, t.ID))
	if err != nil {
		return nil, fmt.Errorf("sqlite store: transaction: %w", err)
	}
	var sens sensitive
	if err := sens.unmarshal(plain); err != nil {
		return nil, fmt.Errorf("sqlite store: transaction: %w", err)
	}
	t.Card, t.DeviceID, t.IP, t.Attributes = sens.Card, sens.DeviceID, sens.IP, sens.Attributes
	return &t, nil
}

// Decisions lists decisions newest first with keyset pagination on (created_at, id). The
// query is assembled from constant fragments only; every value is a ? parameter.
func (s *Store) Decisions(ctx context.Context, f fraud.DecisionFilter) (fraud.Page[fraud.Decision], error) {
	var page fraud.Page[fraud.Decision]
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return page, err
	}
	q, err := decisionsQuery(f)
	if err != nil {
		return page, err
	}
	return queryPage(ctx, s.db, "decisions", q.String(), q.args, limit, func(r *sql.Rows) (fraud.Decision, string, error) {
		d, err := s.scanDecision(ctx, r)
		if err != nil {
			return fraud.Decision{}, "", err
		}
		return *d, encodeCursor(cursorDecisions, d.CreatedAt.UnixNano(), d.ID), nil
	})
}

// decisionsQuery builds the query of Decisions, up to its LIMIT ? (the page size).
func decisionsQuery(f fraud.DecisionFilter) (*query, error) {
	from := " FROM decisions"
	if f.CustomerID != "" {
		// A customer's decisions are found through the customer index of transactions (a
		// customer has few), then each by its transaction id; CROSS JOIN makes SQLite keep
		// that order instead of walking every decision by time. See migration 0002.
		from = " FROM transactions AS t CROSS JOIN decisions ON decisions.tx_seq = t.seq"
	}
	q := newQuery("SELECT " + qualifiedDecisionColumns + from)
	if f.CustomerID != "" {
		q.and("t.customer_id = ?", f.CustomerID)
	}
	if f.Outcome != "" {
		if f.Outcome.Severity() < 0 {
			return nil, invalid("unknown outcome")
		}
		q.and("outcome = ?", string(f.Outcome))
	}
	q.during("created_at", f.From, f.To)
	if f.Cursor != "" {
		at, id, err := decodeCursor(cursorDecisions, f.Cursor)
		if err != nil {
			return nil, err
		}
		q.and("(created_at < ? OR (created_at = ? AND decisions.id < ?))", at, at, id)
	}
	q.then(" ORDER BY created_at DESC, decisions.id DESC LIMIT ?")
	return q, nil
}

// pageLimit applies the domain's page size rules.
func pageLimit(n int) (int, error) {
	switch {
	case n < 0:
		return 0, invalid("negative page limit")
	case n == 0:
		return fraud.DefaultPageLimit, nil
	case n > fraud.MaxPageLimit:
		return fraud.MaxPageLimit, nil
	}
	return n, nil
}

// clampNanos converts a filter bound to nanoseconds, saturating outside int64's range.
func clampNanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// A cursor is "c2." then base64url of a 4-byte check (the start of SHA-256 over the rest)
// and "<kind>.<nanoseconds or sequence>.<key>": the listing it belongs to and the sort key of
// the last item of the previous page. It is opaque to callers; the check makes a damaged or
// hand-edited cursor an error instead of a silent jump to another position, and the kind
// makes one listing's cursor an error in another (c1 cursors, without it, are refused).
const cursorPrefix = "c2."

// cursorKind names the listing a cursor belongs to, so that one listing refuses another's.
type cursorKind byte

const (
	cursorDecisions cursorKind = 'd'
	cursorCases     cursorKind = 'c'
	cursorLabels    cursorKind = 'l'
)

func encodeCursor(kind cursorKind, n int64, key string) string {
	payload := string(kind) + "." + strconv.FormatInt(n, 10) + "." + key
	sum := sha256.Sum256([]byte(payload))
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(append(sum[:4:4], payload...))
}

func decodeCursor(kind cursorKind, c string) (int64, string, error) {
	bad := invalid("malformed cursor")
	rest, ok := strings.CutPrefix(c, cursorPrefix)
	if !ok {
		return 0, "", bad
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil || len(raw) < 4 {
		return 0, "", bad
	}
	payload := raw[4:]
	if sum := sha256.Sum256(payload); !bytes.Equal(sum[:4], raw[:4]) {
		return 0, "", bad
	}
	position, ok := strings.CutPrefix(string(payload), string(kind)+".")
	if !ok {
		return 0, "", bad // another listing's cursor
	}
	num, key, ok := strings.Cut(position, ".")
	if !ok {
		return 0, "", bad
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, "", bad
	}
	return n, key, nil
}
