package storetest

import (
	"bytes"
	"errors"
	"slices"
	"sync"
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

func runKeys(t *testing.T, s Stores) {
	if s.Keys == nil {
		t.Skip("no KeyStore")
	}
	ks := s.Keys
	admin := fraud.APIKey{ID: "k1", Name: "ops", Hash: bytes.Repeat([]byte{1}, 32), Role: fraud.RoleAdmin,
		CreatedAt: base}
	scorer := fraud.APIKey{ID: "k2", Name: "checkout", Hash: bytes.Repeat([]byte{2}, 32), Role: fraud.RoleScorer,
		CreatedAt: base.Add(time.Second), ExpiresAt: base.Add(24 * time.Hour)}
	must(t, "CreateKey admin", ks.CreateKey(ctx, admin))
	must(t, "CreateKey scorer", ks.CreateKey(ctx, scorer))

	dupID := scorer
	dupID.Hash = bytes.Repeat([]byte{3}, 32)
	dupID.ID = "k1"
	wantErr(t, "duplicate id", ks.CreateKey(ctx, dupID), fraud.ErrConflict)
	dupHash := admin
	dupHash.ID = "k3"
	wantErr(t, "duplicate hash", ks.CreateKey(ctx, dupHash), fraud.ErrConflict)
	for name, k := range map[string]fraud.APIKey{
		"no id":   {Hash: []byte{9}, Role: fraud.RoleAdmin, CreatedAt: base},
		"no hash": {ID: "k9", Role: fraud.RoleAdmin, CreatedAt: base},
		"role":    {ID: "k9", Hash: []byte{9}, Role: "root", CreatedAt: base},
		"no time": {ID: "k9", Hash: []byte{9}, Role: fraud.RoleAdmin},
		"revoked": {ID: "k9", Hash: []byte{9}, Role: fraud.RoleAdmin, CreatedAt: base, RevokedAt: base},
	} {
		wantErr(t, "CreateKey "+name, ks.CreateKey(ctx, k), fraud.ErrInvalid)
	}

	got, err := ks.KeyByHash(ctx, scorer.Hash)
	must(t, "KeyByHash", err)
	if got.ID != "k2" || got.Name != "checkout" || got.Role != fraud.RoleScorer || !bytes.Equal(got.Hash, scorer.Hash) ||
		!got.CreatedAt.Equal(scorer.CreatedAt) || !got.ExpiresAt.Equal(scorer.ExpiresAt) || !got.RevokedAt.IsZero() {
		t.Errorf("KeyByHash = %+v, want %+v", got, scorer)
	}
	if !got.Active(base.Add(time.Hour)) || got.Active(base.Add(24*time.Hour)) {
		t.Error("expiry not honoured by Active")
	}
	got, err = ks.KeyByHash(ctx, admin.Hash)
	must(t, "KeyByHash admin", err)
	if !got.ExpiresAt.IsZero() || !got.Active(base.Add(100*365*24*time.Hour)) {
		t.Errorf("key without expiry: %+v", got)
	}
	_, err = ks.KeyByHash(ctx, []byte("unknown"))
	wantErr(t, "KeyByHash unknown", err, fraud.ErrNotFound)

	revokedAt := base.Add(2 * time.Hour)
	must(t, "RevokeKey", ks.RevokeKey(ctx, "k2", revokedAt))
	must(t, "RevokeKey again", ks.RevokeKey(ctx, "k2", revokedAt.Add(time.Hour)))
	wantErr(t, "RevokeKey unknown", ks.RevokeKey(ctx, "nope", revokedAt), fraud.ErrNotFound)
	got, err = ks.KeyByHash(ctx, scorer.Hash)
	must(t, "KeyByHash revoked", err)
	if !got.RevokedAt.Equal(revokedAt) || got.Active(base) {
		t.Errorf("revoked key: RevokedAt %v (want the first revocation %v), active %v", got.RevokedAt, revokedAt, got.Active(base))
	}

	all, err := ks.Keys(ctx)
	must(t, "Keys", err)
	if len(all) != 2 || all[0].ID != "k1" || all[1].ID != "k2" || all[1].RevokedAt.IsZero() {
		t.Errorf("Keys = %+v", all)
	}
}

func runAudit(t *testing.T, s Stores) {
	if s.Audit == nil {
		t.Skip("no AuditStore")
	}
	as := s.Audit
	_, err := as.LastAudit(ctx)
	wantErr(t, "LastAudit of an empty log", err, fraud.ErrNotFound)
	entry := func(seq uint64) fraud.AuditEntry {
		return fraud.AuditEntry{Seq: seq, Time: base.Add(time.Duration(seq) * time.Second), Actor: "key:k1",
			Action: "key.create", Target: "key:k" + string(rune('0'+seq)), Details: `{"role":"analyst"}`,
			PrevHash: bytes.Repeat([]byte{byte(seq - 1)}, 32), Hash: bytes.Repeat([]byte{byte(seq)}, 32)}
	}
	wantErr(t, "first entry not 1", as.AppendAudit(ctx, entry(2)), fraud.ErrConflict)
	for seq := uint64(1); seq <= 5; seq++ {
		must(t, "AppendAudit", as.AppendAudit(ctx, entry(seq)))
	}
	wantErr(t, "repeat", as.AppendAudit(ctx, entry(5)), fraud.ErrConflict)
	wantErr(t, "rewrite", as.AppendAudit(ctx, entry(3)), fraud.ErrConflict)
	wantErr(t, "gap", as.AppendAudit(ctx, entry(7)), fraud.ErrConflict)
	wantErr(t, "seq 0", as.AppendAudit(ctx, fraud.AuditEntry{Time: base, Action: "x"}), fraud.ErrInvalid)
	wantErr(t, "no action", as.AppendAudit(ctx, fraud.AuditEntry{Seq: 6, Time: base}), fraud.ErrInvalid)

	last, err := as.LastAudit(ctx)
	must(t, "LastAudit", err)
	sameEntry(t, *last, entry(5))

	scan := func(from uint64) []fraud.AuditEntry {
		var out []fraud.AuditEntry
		must(t, "ScanAudit", as.ScanAudit(ctx, from, func(e fraud.AuditEntry) error {
			out = append(out, e)
			return nil
		}))
		return out
	}
	for _, from := range []uint64{0, 1, 3, 5, 6} {
		got := scan(from)
		first := max(from, 1)
		if want := 5 - int(first) + 1; len(got) != max(want, 0) {
			t.Fatalf("scan from %d: %d entries, want %d", from, len(got), max(want, 0))
		}
		for i, e := range got {
			sameEntry(t, e, entry(first+uint64(i)))
		}
	}
	stop := errors.New("stop")
	var n int
	err = as.ScanAudit(ctx, 1, func(fraud.AuditEntry) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Errorf("ScanAudit with a stopping fn: err %v after %d entries, want stop after 2", err, n)
	}

	// Concurrent appenders that read the last entry and retry on conflict all get in, in order.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				for {
					last, err := as.LastAudit(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					err = as.AppendAudit(ctx, entry(last.Seq+1))
					if err == nil {
						break
					}
					if !errors.Is(err, fraud.ErrConflict) {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	got := scan(1)
	if len(got) != 25 {
		t.Fatalf("%d entries after concurrent appends, want 25", len(got))
	}
	for i, e := range got {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
	}
}

func sameEntry(t *testing.T, got, want fraud.AuditEntry) {
	t.Helper()
	if got.Seq != want.Seq || !got.Time.Equal(want.Time) || got.Actor != want.Actor || got.Action != want.Action ||
		got.Target != want.Target || got.Details != want.Details || !bytes.Equal(got.PrevHash, want.PrevHash) ||
		!bytes.Equal(got.Hash, want.Hash) {
		t.Errorf("audit entry\n got %+v\nwant %+v", got, want)
	}
}

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
