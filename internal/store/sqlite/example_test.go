package sqlite_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/seal"
	"github.com/vigil-fraud/vigil/internal/store/sqlite"
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "vigil-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	key := make([]byte, seal.KeySize) // in vigil: the 32 bytes of VIGIL_DATA_KEY
	rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		log.Fatal(err)
	}
	store, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dir, "vigil.db"), Sealer: sealer})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	now := time.Now()
	tx := &fraud.Transaction{ID: "tx-1", Timestamp: now, Amount: 42.5, Currency: "EUR",
		CustomerID: "p1_AAAAAAAAAAAAAAAAAAAAAA", TerminalID: "t-7"}
	d := &fraud.Decision{ID: "dec-1", TransactionID: "tx-1", Outcome: fraud.Approve, Score: 0.02, CreatedAt: now}
	if err := store.SaveDecision(ctx, tx, d); err != nil { // durable when it returns nil
		log.Fatal(err)
	}
	// A retried request for the same transaction gets the first decision back.
	retry := &fraud.Decision{ID: "dec-2", TransactionID: "tx-1", Outcome: fraud.Decline, CreatedAt: now}
	if err := store.SaveDecision(ctx, tx, retry); errors.Is(err, fraud.ErrConflict) {
		first, err := store.DecisionByTransaction(ctx, "tx-1")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(first.ID, first.Outcome)
	}
	// Output: dec-1 approve
}
