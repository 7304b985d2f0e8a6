package sqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/fraud/storetest"
)

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := open(t, path)
	saveFixture(t, s, "1")
	if err := migrate(ctx, s.db); err != nil {
		t.Fatal("second migrate:", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, path) // a third time, through Open
	var n int
	if err := s2.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Errorf("%d migrations recorded, want %d", n, len(ms))
	}
	if _, err := s2.Decision(ctx, "dec-1"); err != nil {
		t.Errorf("data lost across migrations: %v", err)
	}

	// A database from a newer binary is refused rather than misread.
	if _, err := s2.db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)"); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, s2.db); err == nil {
		t.Error("migrate accepted a schema newer than the binary")
	}
}

// TestCustomerFilterUsesAnIndex checks the plan of the decisions-by-customer query, with and
// without statistics: it must start from the customer index of transactions, never walk
// every decision.
func TestCustomerFilterUsesAnIndex(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "vigil.db"))
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		id := fmt.Sprint(i)
		if err := s.SaveDecision(ctx, storetest.Transaction("tx-"+id, fmt.Sprint("c", i%40), at),
			storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, at.Add(time.Duration(i)))); err != nil {
			t.Fatal(err)
		}
	}
	f := fraud.DecisionFilter{CustomerID: "c1", Outcome: fraud.Approve, From: time.Unix(1, 0), Limit: 10}
	for _, analyze := range []bool{false, true} {
		if analyze {
			if _, err := s.db.ExecContext(ctx, "ANALYZE"); err != nil {
				t.Fatal(err)
			}
		}
		for _, outcome := range []fraud.Outcome{"", fraud.Approve} {
			f.Outcome = outcome
			plan := s.explainDecisionsQuery(t, f)
			if !strings.Contains(plan, "transactions_customer") || strings.Contains(plan, "SCAN decisions") {
				t.Errorf("customer filter (outcome %q, analyzed %v) plan: %s", outcome, analyze, plan)
			}
		}
	}
	// The filter still finds the right decisions.
	page, err := s.Decisions(ctx, fraud.DecisionFilter{CustomerID: "c1", Limit: 3})
	if err != nil || len(page.Items) != 3 || page.Next == "" {
		t.Fatalf("page %d items, next %q, %v", len(page.Items), page.Next, err)
	}
	rest, err := s.Decisions(ctx, fraud.DecisionFilter{CustomerID: "c1", Limit: 10, Cursor: page.Next})
	if err != nil || len(rest.Items) != 2 || rest.Next != "" {
		t.Fatalf("second page %d items, next %q, %v", len(rest.Items), rest.Next, err)
	}
	for _, d := range append(page.Items, rest.Items...) {
		var i int
		if _, err := fmt.Sscanf(d.TransactionID, "tx-%d", &i); err != nil || i%40 != 1 {
			t.Errorf("decision of transaction %s is not customer c1's", d.TransactionID)
		}
	}
}

// explainDecisionsQuery returns SQLite's plan of Decisions' query for f, its steps joined.
func (s *Store) explainDecisionsQuery(t *testing.T, f fraud.DecisionFilter) string {
	t.Helper()
	q, err := decisionsQuery(f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q.String(), append(q.args, 10)...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, " | ")
}
