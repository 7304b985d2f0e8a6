package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func runLists(t *testing.T, s Stores) {
	if s.Lists == nil {
		t.Skip("no ListStore")
	}
	ls := s.Lists
	_, err := ls.List(ctx, "blocked_cards")
	wantErr(t, "List unknown", err, fraud.ErrNotFound)
	v, err := ls.PutList(ctx, fraud.List{Name: "blocked_cards", Items: []string{"p1_b", "p1_a", "p1_b"}, UpdatedAt: base})
	must(t, "PutList new", err)
	if v != 1 {
		t.Errorf("first version = %d, want 1", v)
	}
	_, err = ls.PutList(ctx, fraud.List{Name: "blocked_cards", Items: []string{"p1_c"}, UpdatedAt: base})
	wantErr(t, "PutList stale version 0", err, fraud.ErrConflict)
	_, err = ls.PutList(ctx, fraud.List{Name: "blocked_cards", Version: 5, UpdatedAt: base})
	wantErr(t, "PutList future version", err, fraud.ErrConflict)
	_, err = ls.PutList(ctx, fraud.List{Name: "", UpdatedAt: base})
	wantErr(t, "PutList no name", err, fraud.ErrInvalid)
	l, err := ls.List(ctx, "blocked_cards")
	must(t, "List", err)
	if l.Version != 1 || !slices.Equal(l.Items, []string{"p1_a", "p1_b"}) || !l.UpdatedAt.Equal(base) {
		t.Errorf("List = %+v", l)
	}
	v, err = ls.PutList(ctx, fraud.List{Name: "blocked_cards", Version: 1, Items: []string{"p1_z"}, UpdatedAt: base.Add(time.Hour)})
	must(t, "PutList v2", err)
	if v != 2 {
		t.Errorf("second version = %d, want 2", v)
	}
	v, err = ls.PutList(ctx, fraud.List{Name: "allowed_terminals", UpdatedAt: base})
	must(t, "PutList empty list", err)
	l, err = ls.List(ctx, "blocked_cards")
	must(t, "List v2", err)
	if l.Version != 2 || !slices.Equal(l.Items, []string{"p1_z"}) {
		t.Errorf("List v2 = %+v", l)
	}
	all, err := ls.Lists(ctx)
	must(t, "Lists", err)
	if len(all) != 2 || all[0].Name != "allowed_terminals" || all[0].Version != v || all[1].Name != "blocked_cards" || all[1].Version != 2 {
		t.Errorf("Lists = %+v", all)
	}
}
