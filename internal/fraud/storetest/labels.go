package storetest

import (
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func runLabels(t *testing.T, s Stores) {
	if s.Labels == nil || s.Decisions == nil {
		t.Skip("no LabelStore")
	}
	ls := s.Labels
	l := fraud.Label{TransactionID: "tx-1", Fraud: true, Source: "analyst:ann", LabelledAt: base}
	wantErr(t, "label before the decision", ls.SaveLabel(ctx, l), fraud.ErrNotFound)
	save(t, s.Decisions, "1", "c", fraud.Review, base)
	save(t, s.Decisions, "2", "c", fraud.Approve, base)
	must(t, "SaveLabel", ls.SaveLabel(ctx, l))
	must(t, "SaveLabel repeat", ls.SaveLabel(ctx, l)) // idempotent
	later := fraud.Label{TransactionID: "tx-1", Fraud: false, Source: "chargeback", LabelledAt: base.Add(time.Hour)}
	must(t, "SaveLabel later", ls.SaveLabel(ctx, later))
	other := fraud.Label{TransactionID: "tx-2", Fraud: true, Source: "feed", LabelledAt: base.Add(time.Minute)}
	must(t, "SaveLabel other", ls.SaveLabel(ctx, other))

	wantErr(t, "no transaction id", ls.SaveLabel(ctx, fraud.Label{LabelledAt: base}), fraud.ErrInvalid)
	wantErr(t, "no time", ls.SaveLabel(ctx, fraud.Label{TransactionID: "tx-1"}), fraud.ErrInvalid)

	list := func(f fraud.LabelFilter) []fraud.Label {
		t.Helper()
		var all []fraud.Label
		for {
			p, err := ls.Labels(ctx, f)
			must(t, "Labels", err)
			all = append(all, p.Items...)
			if p.Next == "" {
				return all
			}
			f.Cursor = p.Next
		}
	}
	same := func(what string, got, want []fraud.Label) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d labels, want %d: %+v", what, len(got), len(want), got)
		}
		for i := range got {
			if got[i].TransactionID != want[i].TransactionID || got[i].Fraud != want[i].Fraud ||
				got[i].Source != want[i].Source || !got[i].LabelledAt.Equal(want[i].LabelledAt) {
				t.Errorf("%s[%d] = %+v, want %+v", what, i, got[i], want[i])
			}
		}
	}
	same("all, saving order", list(fraud.LabelFilter{}), []fraud.Label{l, later, other})
	same("all, pages of 1", list(fraud.LabelFilter{Limit: 1}), []fraud.Label{l, later, other})
	same("by transaction", list(fraud.LabelFilter{TransactionID: "tx-1"}), []fraud.Label{l, later})
	same("from", list(fraud.LabelFilter{From: base.Add(time.Minute)}), []fraud.Label{later, other})
	same("to", list(fraud.LabelFilter{To: base.Add(time.Minute)}), []fraud.Label{l})
	_, err := ls.Labels(ctx, fraud.LabelFilter{Cursor: "nonsense"})
	wantErr(t, "bad cursor", err, fraud.ErrInvalid)
	_, err = ls.Labels(ctx, fraud.LabelFilter{Limit: -1})
	wantErr(t, "negative limit", err, fraud.ErrInvalid)
}
