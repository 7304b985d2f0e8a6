package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func runDecisions(t *testing.T, newStore func(t *testing.T) Stores) {
	get := func(t *testing.T) fraud.DecisionStore {
		t.Helper()
		s := newStore(t).Decisions
		if s == nil {
			t.Skip("no DecisionStore")
		}
		return s
	}
	t.Run("RoundTrip", func(t *testing.T) { testDecisionRoundTrip(t, get(t)) })
	t.Run("Invalid", func(t *testing.T) { testDecisionInvalid(t, get(t)) })
	t.Run("NotFound", func(t *testing.T) { testDecisionNotFound(t, get(t)) })
	t.Run("Idempotent", func(t *testing.T) { testDecisionIdempotent(t, get(t)) })
	t.Run("Pagination", func(t *testing.T) { testDecisionPagination(t, get(t)) })
	t.Run("Filters", func(t *testing.T) { testDecisionFilters(t, get(t)) })
	t.Run("BadCursor", func(t *testing.T) { testDecisionBadCursor(t, get(t)) })
	t.Run("Concurrent", func(t *testing.T) { testDecisionConcurrent(t, get(t)) })
	t.Run("ConcurrentDuplicates", func(t *testing.T) { testDecisionConcurrentDuplicates(t, get(t)) })
}

func testDecisionRoundTrip(t *testing.T, s fraud.DecisionStore) {
	at := base.In(time.FixedZone("CET", 3600))
	tx := Transaction("tx-1", "p1_customer1", at.Add(-time.Second))
	d := Decision("dec-1", "tx-1", fraud.Review, at)
	must(t, "SaveDecision", s.SaveDecision(ctx, tx, d))

	got, err := s.Decision(ctx, "dec-1")
	must(t, "Decision", err)
	sameDecision(t, "Decision", got, d)
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt is in %v, want UTC", got.CreatedAt.Location())
	}
	got, err = s.DecisionByTransaction(ctx, "tx-1")
	must(t, "DecisionByTransaction", err)
	sameDecision(t, "DecisionByTransaction", got, d)
	gotTx, err := s.Transaction(ctx, "tx-1")
	must(t, "Transaction", err)
	sameTransaction(t, "Transaction", gotTx, tx)

	// A minimal decision: no reasons, rule hits, features or optional transaction fields.
	min := &fraud.Transaction{ID: "tx-2", Timestamp: base, Amount: 1, Currency: "EUR", CustomerID: "c", TerminalID: "t"}
	minD := &fraud.Decision{ID: "dec-2", TransactionID: "tx-2", Outcome: fraud.Approve, CreatedAt: base}
	must(t, "SaveDecision minimal", s.SaveDecision(ctx, min, minD))
	got, err = s.Decision(ctx, "dec-2")
	must(t, "Decision minimal", err)
	sameDecision(t, "minimal", got, minD)
	gotTx, err = s.Transaction(ctx, "tx-2")
	must(t, "Transaction minimal", err)
	sameTransaction(t, "minimal", gotTx, min)
}

func testDecisionInvalid(t *testing.T, s fraud.DecisionStore) {
	ok := func() (*fraud.Transaction, *fraud.Decision) {
		return Transaction("tx-1", "c", base), Decision("dec-1", "tx-1", fraud.Approve, base)
	}
	cases := []struct {
		name   string
		mutate func(*fraud.Transaction, *fraud.Decision) (*fraud.Transaction, *fraud.Decision)
	}{
		{"nil transaction", func(_ *fraud.Transaction, d *fraud.Decision) (*fraud.Transaction, *fraud.Decision) { return nil, d }},
		{"nil decision", func(tx *fraud.Transaction, _ *fraud.Decision) (*fraud.Transaction, *fraud.Decision) { return tx, nil }},
		{"empty transaction id", func(tx *fraud.Transaction, d *fraud.Decision) (*fraud.Transaction, *fraud.Decision) {
			tx.ID, d.TransactionID = "", ""
			return tx, d
		}},
		{"empty decision id", func(tx *fraud.Transaction, d *fraud.Decision) (*fraud.Transaction, *fraud.Decision) {
			d.ID = ""
			return tx, d
		}},
		{"other transaction", func(tx *fraud.Transaction, d *fraud.Decision) (*fraud.Transaction, *fraud.Decision) {
			d.TransactionID = "tx-other"
			return tx, d
		}},
		{"unknown outcome", func(tx *fraud.Transaction, d *fraud.Decision) (*fraud.Transaction, *fraud.Decision) {
			d.Outcome = "maybe"
			return tx, d
		}},
		{"no decision time", func(tx *fraud.Transaction, d *fraud.Decision) (*fraud.Transaction, *fraud.Decision) {
			d.CreatedAt = time.Time{}
			return tx, d
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx, d := tc.mutate(ok())
			wantErr(t, "SaveDecision", s.SaveDecision(ctx, tx, d), fraud.ErrInvalid)
		})
	}
	_, err := s.Decision(ctx, "dec-1")
	wantErr(t, "nothing stored", err, fraud.ErrNotFound)
	_, err = s.Transaction(ctx, "tx-1")
	wantErr(t, "nothing stored", err, fraud.ErrNotFound)
}

func testDecisionNotFound(t *testing.T, s fraud.DecisionStore) {
	save(t, s, "1", "c", fraud.Approve, base)
	_, err := s.Decision(ctx, "dec-2")
	wantErr(t, "Decision", err, fraud.ErrNotFound)
	_, err = s.DecisionByTransaction(ctx, "tx-2")
	wantErr(t, "DecisionByTransaction", err, fraud.ErrNotFound)
	_, err = s.Transaction(ctx, "tx-2")
	wantErr(t, "Transaction", err, fraud.ErrNotFound)
	_, err = s.Decision(ctx, "tx-1") // ids are not interchangeable
	wantErr(t, "Decision by transaction id", err, fraud.ErrNotFound)
}

func testDecisionIdempotent(t *testing.T, s fraud.DecisionStore) {
	first := save(t, s, "1", "c", fraud.Decline, base)

	// The same transaction again, with another decision id and outcome: the first stands.
	again := Decision("dec-1-retry", "tx-1", fraud.Approve, base.Add(time.Second))
	wantErr(t, "repeat transaction", s.SaveDecision(ctx, Transaction("tx-1", "c", base), again), fraud.ErrConflict)
	got, err := s.DecisionByTransaction(ctx, "tx-1")
	must(t, "DecisionByTransaction", err)
	sameDecision(t, "first write wins", got, first)
	_, err = s.Decision(ctx, "dec-1-retry")
	wantErr(t, "retry's decision", err, fraud.ErrNotFound)

	// An identical repeat is a conflict too.
	wantErr(t, "identical repeat", s.SaveDecision(ctx, Transaction("tx-1", "c", base.Add(-time.Millisecond)), first), fraud.ErrConflict)

	// A new transaction reusing a stored decision id: conflict, and atomically nothing of it
	// is stored, not even the transaction.
	reuse := Decision("dec-1", "tx-2", fraud.Approve, base)
	wantErr(t, "decision id reused", s.SaveDecision(ctx, Transaction("tx-2", "c", base), reuse), fraud.ErrConflict)
	_, err = s.Transaction(ctx, "tx-2")
	wantErr(t, "transaction of a refused pair", err, fraud.ErrNotFound)

	// The store still works after conflicts.
	save(t, s, "3", "c", fraud.Approve, base)
}

// walk reads every page of f and returns the decisions in order, checking page sizes.
func walk(t *testing.T, s fraud.DecisionStore, f fraud.DecisionFilter) []fraud.Decision {
	t.Helper()
	var all []fraud.Decision
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("pagination does not end")
		}
		p, err := s.Decisions(ctx, f)
		must(t, "Decisions", err)
		if f.Limit > 0 && len(p.Items) > f.Limit {
			t.Fatalf("page of %d items, limit %d", len(p.Items), f.Limit)
		}
		if p.Next != "" && len(p.Items) == 0 {
			t.Fatal("empty page with a next cursor")
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		f.Cursor = p.Next
	}
}

func ids(ds []fraud.Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func testDecisionPagination(t *testing.T, s fraud.DecisionStore) {
	const n = 57
	var want []string
	for i := range n {
		// Groups of three share a creation time, so ties are broken by id.
		save(t, s, id("", i), "c", fraud.Approve, base.Add(time.Duration(i/3)*time.Second))
		want = append(want, "dec-"+id("", i))
	}
	slices.Reverse(want) // newest first, ties by id descending
	for _, limit := range []int{1, 3, 10, 56, 57, 58, 0} {
		got := ids(walk(t, s, fraud.DecisionFilter{Limit: limit}))
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: walked\n%v\nwant\n%v", limit, got, want)
		}
	}

	// Decisions saved during a walk do not make it repeat or skip one stored before.
	p, err := s.Decisions(ctx, fraud.DecisionFilter{Limit: 10})
	must(t, "Decisions", err)
	seen := ids(p.Items)
	for i := n; i < n+5; i++ {
		save(t, s, id("", i), "c", fraud.Approve, base.Add(time.Duration(i)*time.Hour))
	}
	save(t, s, "late-old", "c", fraud.Approve, base.Add(-time.Hour)) // older than all: seen at the end
	rest := ids(walk(t, s, fraud.DecisionFilter{Limit: 10, Cursor: p.Next}))
	seen = append(seen, rest...)
	wantAfter := append(slices.Clone(want), "dec-late-old")
	if !slices.Equal(seen, wantAfter) {
		t.Errorf("walk during writes:\n%v\nwant\n%v", seen, wantAfter)
	}
}

func testDecisionFilters(t *testing.T, s fraud.DecisionStore) {
	outcomes := []fraud.Outcome{fraud.Approve, fraud.Review, fraud.Decline}
	customers := []string{"p1_alice", "p1_bob"}
	type row struct {
		id       string
		outcome  fraud.Outcome
		customer string
		at       time.Time
	}
	var rows []row
	for i := range 30 {
		r := row{id("", i), outcomes[i%3], customers[i%2], base.Add(time.Duration(i) * time.Minute)}
		save(t, s, r.id, r.customer, r.outcome, r.at)
		rows = append(rows, r)
	}
	from, to := base.Add(10*time.Minute), base.Add(20*time.Minute)
	cases := []struct {
		name string
		f    fraud.DecisionFilter
		keep func(row) bool
	}{
		{"all", fraud.DecisionFilter{}, func(row) bool { return true }},
		{"outcome", fraud.DecisionFilter{Outcome: fraud.Review}, func(r row) bool { return r.outcome == fraud.Review }},
		{"customer", fraud.DecisionFilter{CustomerID: "p1_bob"}, func(r row) bool { return r.customer == "p1_bob" }},
		{"from", fraud.DecisionFilter{From: from}, func(r row) bool { return !r.at.Before(from) }},
		{"to", fraud.DecisionFilter{To: to}, func(r row) bool { return r.at.Before(to) }},
		{"window", fraud.DecisionFilter{From: from, To: to}, func(r row) bool { return !r.at.Before(from) && r.at.Before(to) }},
		{"everything", fraud.DecisionFilter{Outcome: fraud.Decline, CustomerID: "p1_alice", From: from, To: to, Limit: 1},
			func(r row) bool {
				return r.outcome == fraud.Decline && r.customer == "p1_alice" && !r.at.Before(from) && r.at.Before(to)
			}},
		{"no match", fraud.DecisionFilter{CustomerID: "p1_nobody"}, func(row) bool { return false }},
		{"empty window", fraud.DecisionFilter{From: to, To: from}, func(row) bool { return false }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for i := len(rows) - 1; i >= 0; i-- {
				if tc.keep(rows[i]) {
					want = append(want, "dec-"+rows[i].id)
				}
			}
			got := ids(walk(t, s, tc.f))
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func testDecisionBadCursor(t *testing.T, s fraud.DecisionStore) {
	for i := range 3 {
		save(t, s, id("", i), "c", fraud.Approve, base.Add(time.Duration(i)*time.Second))
	}
	p, err := s.Decisions(ctx, fraud.DecisionFilter{Limit: 1})
	must(t, "Decisions", err)
	for _, c := range []string{"x", "!!!", p.Next + "x", p.Next[:len(p.Next)-2], "' OR 1=1 --"} {
		_, err := s.Decisions(ctx, fraud.DecisionFilter{Cursor: c})
		wantErr(t, "cursor "+c, err, fraud.ErrInvalid)
	}
	_, err = s.Decisions(ctx, fraud.DecisionFilter{Limit: -1})
	wantErr(t, "negative limit", err, fraud.ErrInvalid)
	_, err = s.Decisions(ctx, fraud.DecisionFilter{Outcome: "maybe"})
	wantErr(t, "unknown outcome", err, fraud.ErrInvalid)
}

func testDecisionConcurrent(t *testing.T, s fraud.DecisionStore) {
	const writers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				k := w*each + i
				tx := Transaction(id("tx-", k), "c", base)
				d := Decision(id("dec-", k), tx.ID, fraud.Approve, base.Add(time.Duration(k)*time.Millisecond))
				if err := s.SaveDecision(ctx, tx, d); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error("concurrent SaveDecision:", err)
	}
	got := walk(t, s, fraud.DecisionFilter{Limit: fraud.MaxPageLimit})
	if len(got) != writers*each {
		t.Fatalf("%d decisions stored, want %d", len(got), writers*each)
	}
	for k := range writers * each {
		if _, err := s.DecisionByTransaction(ctx, id("tx-", k)); err != nil {
			t.Fatalf("decision %d lost: %v", k, err)
		}
	}
}

func testDecisionConcurrentDuplicates(t *testing.T, s fraud.DecisionStore) {
	const racers = 12
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ok, confl int
	)
	for r := range racers {
		wg.Go(func() {
			d := Decision(id("dec-", r), "tx-same", fraud.Approve, base)
			err := s.SaveDecision(ctx, Transaction("tx-same", "c", base), d)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, fraud.ErrConflict):
				confl++
			default:
				t.Error("racing SaveDecision:", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || confl != racers-1 {
		t.Fatalf("%d saves succeeded and %d conflicted, want 1 and %d", ok, confl, racers-1)
	}
	if _, err := s.DecisionByTransaction(ctx, "tx-same"); err != nil {
		t.Fatal(err)
	}
}
