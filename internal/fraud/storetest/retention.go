package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func runRetention(t *testing.T, s Stores) {
	if s.Retention == nil || s.Decisions == nil {
		t.Skip("no Retention")
	}
	r, ds := s.Retention, s.Decisions
	for i := range 10 {
		customer := "p1_alice"
		if i%2 == 1 {
			customer = "p1_bob"
		}
		save(t, ds, id("", i), customer, fraud.Review, base.Add(time.Duration(i)*time.Hour))
	}
	if s.Labels != nil {
		must(t, "SaveLabel", s.Labels.SaveLabel(ctx, fraud.Label{TransactionID: "tx-0000", Fraud: true, LabelledAt: base}))
	}
	if s.Cases != nil {
		must(t, "OpenCase", s.Cases.OpenCase(ctx, fraud.Case{ID: "case-1", DecisionID: "dec-0001", OpenedAt: base}))
	}

	n, err := r.Purge(ctx, base.Add(4*time.Hour)) // decisions 0-3
	must(t, "Purge", err)
	if n != 4 {
		t.Errorf("Purge removed %d transactions, want 4", n)
	}
	n, err = r.Purge(ctx, base.Add(4*time.Hour))
	must(t, "Purge again", err)
	if n != 0 {
		t.Errorf("second Purge removed %d, want 0", n)
	}
	for i := range 10 {
		_, errD := ds.DecisionByTransaction(ctx, id("tx-", i))
		_, errT := ds.Transaction(ctx, id("tx-", i))
		gone := i < 4
		if gone != errors.Is(errD, fraud.ErrNotFound) || gone != errors.Is(errT, fraud.ErrNotFound) {
			t.Errorf("after Purge, decision %d: %v / transaction: %v (want gone: %v)", i, errD, errT, gone)
		}
	}
	if s.Labels != nil {
		p, err := s.Labels.Labels(ctx, fraud.LabelFilter{})
		must(t, "Labels", err)
		if len(p.Items) != 0 {
			t.Errorf("labels of purged transactions remain: %+v", p.Items)
		}
	}
	if s.Cases != nil {
		_, err := s.Cases.Case(ctx, "case-1")
		wantErr(t, "case of a purged decision", err, fraud.ErrNotFound)
	}

	n, err = r.EraseCustomer(ctx, "p1_bob") // 5, 7, 9 remain of bob's
	must(t, "EraseCustomer", err)
	if n != 3 {
		t.Errorf("EraseCustomer removed %d, want 3", n)
	}
	n, err = r.EraseCustomer(ctx, "p1_bob")
	must(t, "EraseCustomer again", err)
	if n != 0 {
		t.Errorf("second EraseCustomer removed %d, want 0", n)
	}
	_, err = r.EraseCustomer(ctx, "")
	wantErr(t, "EraseCustomer empty", err, fraud.ErrInvalid)
	left := ids(walk(t, ds, fraud.DecisionFilter{}))
	if want := []string{"dec-0008", "dec-0006", "dec-0004"}; !slices.Equal(left, want) {
		t.Errorf("left after retention: %v, want %v", left, want)
	}
	bob := walk(t, ds, fraud.DecisionFilter{CustomerID: "p1_bob"})
	if len(bob) != 0 {
		t.Errorf("erased customer still has decisions: %v", ids(bob))
	}
}
