// Package storetest is the conformance suite every implementation of the fraud store
// contracts passes: store/sqlite always, store/postgres when its server is configured. Only
// tests import it.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// Stores is what an adapter hands the suite: one empty store seen through each contract it
// implements. A nil field skips that contract's tests; Labels, Cases and Retention also need
// Decisions (they label, review and remove stored decisions). An adapter that implements
// everything sets every field to the same value.
type Stores struct {
	Decisions fraud.DecisionStore
	Labels    fraud.LabelStore
	Keys      fraud.KeyStore
	Audit     fraud.AuditStore
	Cases     fraud.CaseStore
	Lists     fraud.ListStore
	Retention fraud.Retention
}

// Run runs the suite. newStore returns new, empty stores on each call; Run does not close
// them (register a t.Cleanup in newStore).
func Run(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("Decisions", func(t *testing.T) { runDecisions(t, newStore) })
	t.Run("Labels", func(t *testing.T) { runLabels(t, newStore(t)) })
	t.Run("Keys", func(t *testing.T) { runKeys(t, newStore(t)) })
	t.Run("Audit", func(t *testing.T) { runAudit(t, newStore(t)) })
	t.Run("Cases", func(t *testing.T) { runCases(t, newStore(t)) })
	t.Run("Lists", func(t *testing.T) { runLists(t, newStore(t)) })
	t.Run("Retention", func(t *testing.T) { runRetention(t, newStore(t)) })
}

var ctx = context.Background()

// base is the time the fixtures are built around; UTC, with nanoseconds, as a store must
// keep them.
var base = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

// Transaction returns a complete, pseudonymised-looking transaction with id, for customer.
func Transaction(id, customer string, at time.Time) *fraud.Transaction {
	return &fraud.Transaction{
		ID: id, Timestamp: at, Amount: 123.45, Currency: "EUR",
		CustomerID: customer, TerminalID: "term-9", Card: "p1_cardcardcardcardcardc",
		MerchantCategory: "5411", Channel: fraud.ChannelEcommerce, Country: "FR",
		DeviceID: "p1_devicedevicedevicedev", IP: "p1_ipipipipipipipipipipi",
		Attributes: map[string]string{"email_domain": "example.org", "3ds": "true"},
	}
}

// Decision returns a complete decision with id on transaction txID.
func Decision(id, txID string, outcome fraud.Outcome, at time.Time) *fraud.Decision {
	return &fraud.Decision{
		ID: id, TransactionID: txID, Outcome: outcome, Score: 0.8125,
		Reasons: []fraud.Reason{
			{Feature: "amount_to_mean_30d", Value: 7.5, Contribution: 1.25, Text: "amount is 7.5 times the usual"},
		},
		RuleHits:     []fraud.RuleHit{{Rule: "high_amount", Action: "review", Reason: "amount above 1000"}},
		ModelVersion: "gbdt-2026-02-28", RulesVersion: "rules-7",
		FeatureNames: []string{"amount", "customer_count_1d", "terminal_risk_7d"},
		Features:     []float64{123.45, 3, math.NaN()},
		CreatedAt:    at, LatencyMicros: 850,
	}
}

// save stores a fixture transaction and decision and fails the test on error.
func save(t *testing.T, s fraud.DecisionStore, id, customer string, outcome fraud.Outcome, at time.Time) *fraud.Decision {
	t.Helper()
	d := Decision("dec-"+id, "tx-"+id, outcome, at)
	if err := s.SaveDecision(ctx, Transaction("tx-"+id, customer, at.Add(-time.Millisecond)), d); err != nil {
		t.Fatalf("SaveDecision %s: %v", id, err)
	}
	return d
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// must fails the test now on a non-nil error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// normalized returns a copy of d fit for reflect.DeepEqual: times in UTC, empty slices nil,
// feature values as their bit patterns (so NaN equals NaN).
func normalized(d fraud.Decision) any {
	d.CreatedAt = d.CreatedAt.UTC()
	bits := make([]uint64, len(d.Features))
	for i, f := range d.Features {
		bits[i] = math.Float64bits(f)
	}
	d.Features = nil
	if len(d.Reasons) == 0 {
		d.Reasons = nil
	}
	if len(d.RuleHits) == 0 {
		d.RuleHits = nil
	}
	if len(d.FeatureNames) == 0 {
		d.FeatureNames = nil
	}
	return struct {
		D    fraud.Decision
		Bits []uint64
	}{d, bits}
}

func sameDecision(t *testing.T, what string, got, want *fraud.Decision) {
	t.Helper()
	if !reflect.DeepEqual(normalized(*got), normalized(*want)) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, *got, *want)
	}
}

func sameTransaction(t *testing.T, what string, got, want *fraud.Transaction) {
	t.Helper()
	g, w := *got, *want
	g.Timestamp, w.Timestamp = g.Timestamp.UTC(), w.Timestamp.UTC()
	if len(g.Attributes) == 0 {
		g.Attributes = nil
	}
	if len(w.Attributes) == 0 {
		w.Attributes = nil
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func id(prefix string, i int) string { return fmt.Sprintf("%s%04d", prefix, i) }
