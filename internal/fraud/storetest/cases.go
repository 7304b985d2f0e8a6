package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func runCases(t *testing.T, s Stores) {
	if s.Cases == nil || s.Decisions == nil {
		t.Skip("no CaseStore")
	}
	cs := s.Cases
	wantErr(t, "case on unknown decision", cs.OpenCase(ctx, fraud.Case{ID: "case-0", DecisionID: "dec-0", OpenedAt: base}), fraud.ErrNotFound)
	for i := range 5 {
		save(t, s.Decisions, id("", i), "c", fraud.Review, base)
		must(t, "OpenCase", cs.OpenCase(ctx, fraud.Case{ID: id("case-", i), DecisionID: "dec-" + id("", i),
			OpenedAt: base.Add(time.Duration(i%2) * time.Minute)}))
	}
	wantErr(t, "second case on a decision", cs.OpenCase(ctx, fraud.Case{ID: "case-x", DecisionID: "dec-0000", OpenedAt: base}), fraud.ErrConflict)
	wantErr(t, "case id reused", cs.OpenCase(ctx, fraud.Case{ID: "case-0000", DecisionID: "dec-0001", OpenedAt: base}), fraud.ErrConflict)
	wantErr(t, "case without id", cs.OpenCase(ctx, fraud.Case{DecisionID: "dec-0001", OpenedAt: base}), fraud.ErrInvalid)

	c, err := cs.Case(ctx, "case-0002")
	must(t, "Case", err)
	if c.Status != fraud.CaseOpen || c.TransactionID != "tx-0002" || c.DecisionID != "dec-0002" || !c.OpenedAt.Equal(base) ||
		!c.UpdatedAt.Equal(base) || c.Assignee != "" || c.Resolution != "" {
		t.Errorf("opened case = %+v", c)
	}
	_, err = cs.Case(ctx, "case-9")
	wantErr(t, "Case unknown", err, fraud.ErrNotFound)

	at := base.Add(time.Hour)
	must(t, "AssignCase", cs.AssignCase(ctx, "case-0002", "ann", at))
	must(t, "AssignCase again", cs.AssignCase(ctx, "case-0002", "ann", at))
	must(t, "AssignCase other", cs.AssignCase(ctx, "case-0003", "bob", at))
	wantErr(t, "AssignCase unknown", cs.AssignCase(ctx, "case-9", "ann", at), fraud.ErrNotFound)
	wantErr(t, "AssignCase nobody", cs.AssignCase(ctx, "case-0002", "", at), fraud.ErrInvalid)
	must(t, "ResolveCase", cs.ResolveCase(ctx, "case-0002", fraud.Decline, "customer confirmed theft", at.Add(time.Minute)))
	wantErr(t, "ResolveCase again", cs.ResolveCase(ctx, "case-0002", fraud.Approve, "", at), fraud.ErrConflict)
	wantErr(t, "AssignCase resolved", cs.AssignCase(ctx, "case-0002", "bob", at), fraud.ErrConflict)
	wantErr(t, "ResolveCase review", cs.ResolveCase(ctx, "case-0001", fraud.Review, "", at), fraud.ErrInvalid)
	wantErr(t, "ResolveCase unknown", cs.ResolveCase(ctx, "case-9", fraud.Approve, "", at), fraud.ErrNotFound)
	c, err = cs.Case(ctx, "case-0002")
	must(t, "Case resolved", err)
	if c.Status != fraud.CaseResolved || c.Assignee != "ann" || c.Resolution != fraud.Decline ||
		c.Note != "customer confirmed theft" || !c.UpdatedAt.Equal(at.Add(time.Minute)) {
		t.Errorf("resolved case = %+v", c)
	}

	list := func(f fraud.CaseFilter) []string {
		var out []string
		for {
			p, err := cs.Cases(ctx, f)
			must(t, "Cases", err)
			for _, c := range p.Items {
				out = append(out, c.ID)
			}
			if p.Next == "" {
				return out
			}
			f.Cursor = p.Next
		}
	}
	// Oldest opened first: cases 0, 2, 4 were opened at base, 1 and 3 a minute later.
	for _, tc := range []struct {
		name string
		f    fraud.CaseFilter
		want []string
	}{
		{"all", fraud.CaseFilter{}, []string{"case-0000", "case-0002", "case-0004", "case-0001", "case-0003"}},
		{"pages of 2", fraud.CaseFilter{Limit: 2}, []string{"case-0000", "case-0002", "case-0004", "case-0001", "case-0003"}},
		{"open", fraud.CaseFilter{Status: fraud.CaseOpen, Limit: 1}, []string{"case-0000", "case-0004", "case-0001"}},
		{"assigned", fraud.CaseFilter{Status: fraud.CaseAssigned}, []string{"case-0003"}},
		{"ann's", fraud.CaseFilter{Assignee: "ann"}, []string{"case-0002"}},
	} {
		if got := list(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("Cases %s = %v, want %v", tc.name, got, tc.want)
		}
	}
	_, err = cs.Cases(ctx, fraud.CaseFilter{Cursor: "nonsense"})
	wantErr(t, "bad cursor", err, fraud.ErrInvalid)
}
