package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/state/memory"
)

func init() {
	register(command{
		name:    "erase",
		summary: "erase one customer's data on request (GDPR): store and feature state, audited",
		run:     runErase,
	})
}

const eraseExample = `vigil erase --customer C-10492 --data-dir /var/lib/vigil/data --reference DSR-2026-0117`

func runErase(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "erase", "--customer ID [--reference REF] [--data-dir DIR] [--json]", eraseExample)
	customer := fs.String("customer", "", "the customer's `id` as clients send it (required; pseudonymised here, never recorded)")
	reference := fs.String("reference", "", "the erasure request's `reference`, recorded in the audit log (default: a random one, printed)")
	dir := fs.String("data-dir", config.DefaultDataDir, "the data `directory`")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := config.BindEnv(fs, e.getenv); err != nil {
		fmt.Fprintf(e.stderr, "vigil erase: %v\n", err)
		return errUsage
	}
	if *customer == "" {
		fmt.Fprintln(e.stderr, "vigil erase: --customer ID is required")
		return errUsage
	}
	ref := *reference
	if ref == "" {
		var err error
		if ref, err = erasureReference(); err != nil {
			return err
		}
	} else if strings.Contains(ref, *customer) {
		// The audit log is never erased: a reference holding the id would keep it forever.
		fmt.Fprintln(e.stderr, "vigil erase: --reference must not contain the customer id")
		return errUsage
	}

	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		return fmt.Errorf("no data directory at %s", *dir)
	}
	// The feature state first: while a server holds it, touch nothing.
	state, err := memory.Open(memory.Options{Dir: filepath.Join(*dir, stateDir), Sync: memory.SyncAlways})
	if errors.Is(err, memory.ErrLocked) {
		return fmt.Errorf("the feature state in %s is in use by a running server: erase through its admin API instead "+
			"(nothing was changed)", filepath.Join(*dir, stateDir))
	}
	if err != nil {
		return fmt.Errorf("open the feature state: %w", err)
	}
	defer state.Close()
	d, err := openDataDir(ctx, e, *dir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.warn(e, "erase")

	pseudonym := d.Secrets.Pseudonymizer.Pseudonym(*customer)
	removed, err := d.Store.EraseCustomer(ctx, pseudonym)
	if err != nil {
		return fmt.Errorf("erase from the store: %w", err)
	}
	hadHistory, err := state.EraseCustomer(ctx, pseudonym)
	if err != nil {
		return fmt.Errorf("erased %d transactions from the store; erase from the feature state: %w", removed, err)
	}
	if err := state.Close(); err != nil {
		return fmt.Errorf("erased; close the feature state: %w", err)
	}
	details := map[string]any{"transactions": removed, "feature_history": hadHistory}
	_, auditErr := d.Audit.Append(ctx, audit.Event{Actor: cliActor(), Action: audit.ActionCustomerErase,
		Target: ref, Details: details})

	if *asJSON {
		if err := json.NewEncoder(e.stdout).Encode(struct {
			Reference      string `json:"reference"`
			Transactions   int64  `json:"transactions"`
			FeatureHistory bool   `json:"feature_history"`
		}{ref, removed, hadHistory}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "erased the customer: %d transactions (with their decisions, labels and cases) from the store; feature history: %s\nreference %s\n",
			removed, map[bool]string{true: "removed", false: "none held"}[hadHistory], ref)
	}
	if auditErr != nil {
		return fmt.Errorf("the customer is erased, but recording it in the audit log failed: %w", auditErr)
	}
	return nil
}

// erasureReference returns a random reference for an erasure request: "erasure-" and 16
// base32 characters.
func erasureReference() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "erasure-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}
