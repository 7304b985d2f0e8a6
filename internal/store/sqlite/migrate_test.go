package sqlite

import (
	"database/sql"
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

// TestMigrationFromVersion2KeepsEverything builds the database a binary with migrations 1-2
// left behind (transactions, decisions, labels, cases), opens it with this binary (which
// rebuilds both tables in 0003) and reads everything back through the store.
func TestMigrationFromVersion2KeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	sealer := testSealer(t)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(ctx, db, 2); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 30 {
		id, dec := fmt.Sprint("tx-", i), fmt.Sprint("dec-", i)
		sens := (&sensitive{Card: "p1_card", IP: "p1_ip"}).marshal()
		expl := (&explanation{FeatureNames: []string{"amount"}, Features: []float64{float64(i)}}).marshal()
		mustExec(t, db, `INSERT INTO transactions (id, occurred_at, amount, currency, customer_id, terminal_id,
			merchant_category, channel, country, sealed_sensitive) VALUES (?, ?, ?, 'EUR', ?, 't-1', '', '', '', ?)`,
			id, at.UnixNano(), float64(i), fmt.Sprint("c", i%3), sealer.Seal(sens, ad(adTransactionSensitive, id)))
		mustExec(t, db, `INSERT INTO decisions (id, transaction_id, customer_id, outcome, score, model_version,
			rules_version, created_at, latency_us, sealed_explanation) VALUES (?, ?, ?, 'review', 0.5, 'm', 'r', ?, 7, ?)`,
			dec, id, fmt.Sprint("c", i%3), at.Add(time.Duration(i)*time.Second).UnixNano(), sealer.Seal(expl, ad(adDecisionExplanation, dec)))
		mustExec(t, db, `INSERT INTO labels (transaction_id, fraud, source, labelled_at) VALUES (?, 1, 'api', ?)`, id, at.UnixNano())
		mustExec(t, db, `INSERT INTO cases (id, decision_id, transaction_id, status, assignee, resolution, sealed_note,
			opened_at, updated_at) VALUES (?, ?, ?, 'open', '', '', ?, ?, ?)`,
			"case-"+dec, dec, id, sealer.Seal(nil, ad(adCaseNote, "case-"+dec)), at.UnixNano(), at.UnixNano())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := open(t, path) // applies 0003
	for i := range 30 {
		id, dec := fmt.Sprint("tx-", i), fmt.Sprint("dec-", i)
		d, err := s.DecisionByTransaction(ctx, id)
		if err != nil || d.ID != dec || d.Features[0] != float64(i) {
			t.Fatalf("decision of %s after the migration: %+v %v", id, d, err)
		}
		if tx, err := s.Transaction(ctx, id); err != nil || tx.Card != "p1_card" || tx.Amount != float64(i) {
			t.Fatalf("transaction %s: %+v %v", id, tx, err)
		}
		if c, err := s.Case(ctx, "case-"+dec); err != nil || c.TransactionID != id {
			t.Fatalf("case of %s: %+v %v", dec, c, err)
		}
	}
	labels, err := s.Labels(ctx, fraud.LabelFilter{Limit: 100})
	if err != nil || len(labels.Items) != 30 {
		t.Fatalf("%d labels, %v", len(labels.Items), err)
	}
	page, err := s.Decisions(ctx, fraud.DecisionFilter{CustomerID: "c1", Limit: 100})
	if err != nil || len(page.Items) != 10 {
		t.Fatalf("customer c1: %d decisions, %v", len(page.Items), err)
	}
	// New writes take the next row numbers, and the cascades still reach every table.
	saveFixture(t, s, "new")
	if n, err := s.EraseCustomer(ctx, "c1"); err != nil || n != 10 {
		t.Fatalf("erase: %d, %v", n, err)
	}
	var left int
	if err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM decisions WHERE customer_id = 'c1') +
		(SELECT COUNT(*) FROM cases WHERE transaction_id IN ('tx-1', 'tx-4')) +
		(SELECT COUNT(*) FROM labels WHERE transaction_id IN ('tx-1', 'tx-4'))`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d rows of an erased customer left, %v", left, err)
	}
	if n, err := s.Purge(ctx, at.Add(time.Hour)); err != nil || n != 21 { // 20 left and the new one
		t.Fatalf("purge: %d, %v", n, err)
	}
	var fkOn int
	if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fkOn); err != nil || fkOn != 1 {
		t.Fatalf("foreign keys %d after the migration, %v", fkOn, err)
	}
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(ctx, query, args...); err != nil {
		t.Fatal(err)
	}
}
