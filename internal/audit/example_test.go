package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/seal"
	"github.com/vigil-fraud/vigil/internal/store/sqlite"
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "vigil-audit")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	sealer, err := seal.New(bytes.Repeat([]byte{0x5a}, seal.KeySize)) // from VIGIL_* in real use
	if err != nil {
		panic(err)
	}
	store, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dir, "vigil.db"), Sealer: sealer})
	if err != nil {
		panic(err)
	}
	defer store.Close()

	clock := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	log := audit.New(store, audit.Options{Now: func() time.Time { return clock }})

	// Record privileged actions: pass a key's id, never the key.
	for _, ev := range []audit.Event{
		{Actor: "cli:ops", Action: audit.ActionKeyCreate, Target: "k7", Details: map[string]string{"role": "analyst"}},
		{Actor: "key:k1", Action: audit.ActionModelPromote, Target: "gbdt-2026-11-24"},
		{Actor: "key:k1", Action: audit.ActionKeyRevoke, Target: "k7"},
	} {
		e, err := log.Append(ctx, ev)
		if err != nil {
			panic(err)
		}
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%d %s %s %s", e.Seq, e.Action, e.Target, e.Details)))
	}

	report, err := audit.Verify(ctx, store, nil)
	if err != nil {
		panic(err) // a *audit.BrokenError names the first broken entry
	}
	fmt.Println("verified", report.Entries, "entries; head", report.Head.String()[:10]+"…")
	// Output:
	// 1 key.create k7 {"role":"analyst"}
	// 2 model.promote gbdt-2026-11-24
	// 3 key.revoke k7
	// verified 3 entries; head 3:f0ea5168…
}
