package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

func init() {
	register(command{
		name:    "audit",
		summary: "audit log: verify its hash chain end to end",
		run:     runAudit,
	})
}

const auditUsage = `Usage: vigil audit verify [--data-dir DIR] [--expect-head SEQ:HASH] [--json]

verify checks every entry of the hash-chained audit log, from the first: sequence numbers
without a gap, each hash matching its entry, each entry chained to the one before. It prints
how many entries it checked and the head (SEQ:HASH of the last entry): note the head outside
the database and pass it back as --expect-head later to detect a removed tail. On a broken
chain it names the first broken entry and exits 1.

Example:
  vigil audit verify --data-dir /var/lib/vigil/data
  vigil audit verify --data-dir /var/lib/vigil/data --expect-head "$(cat audit-head.txt)" --json`

func runAudit(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintln(e.stderr, auditUsage)
		if len(args) == 0 {
			return errUsage
		}
		return errHelp
	}
	if args[0] != "verify" {
		fmt.Fprintf(e.stderr, "vigil audit: unknown subcommand %q\n\n%s\n", args[0], auditUsage)
		return errUsage
	}
	return auditVerify(ctx, e, args[1:])
}

// auditVerifyResult is what audit verify prints with --json.
type auditVerifyResult struct {
	OK        bool      `json:"ok"`
	Entries   uint64    `json:"entries"`
	Head      string    `json:"head,omitempty"`
	HeadTime  time.Time `json:"head_time,omitzero"`
	BrokenSeq uint64    `json:"broken_seq,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}

func auditVerify(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "audit verify", "[--data-dir DIR] [--expect-head SEQ:HASH] [--json]",
		"vigil audit verify --data-dir /var/lib/vigil/data")
	dir := fs.String("data-dir", config.DefaultDataDir, "the data `directory`")
	expect := fs.String("expect-head", "", "a head noted earlier (`SEQ:HASH`): the log must still hold it")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := config.BindEnv(fs, e.getenv); err != nil {
		fmt.Fprintf(e.stderr, "vigil audit verify: %v\n", err)
		return errUsage
	}
	var o audit.VerifyOptions
	if *expect != "" {
		h, err := audit.ParseHead(*expect)
		if err != nil {
			fmt.Fprintf(e.stderr, "vigil audit verify: --expect-head: %v\n", err)
			return errUsage
		}
		o.ExpectHead = &h
	}
	// Verify what is there, never a store made on the spot: a wrong path or an unmounted
	// volume must fail the check, not pass it as an empty log.
	if _, err := os.Stat(filepath.Join(*dir, storeFile)); err != nil {
		return fmt.Errorf("no vigil store at %s: %w", *dir, err)
	}
	d, err := openDataDir(ctx, e, *dir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.warn(e, "audit verify")

	var total int64
	last, err := d.Store.LastAudit(ctx)
	switch {
	case errors.Is(err, fraud.ErrNotFound):
	case err != nil:
		return err
	default:
		total = clampInt64(last.Seq)
	}
	p := newProgress(e.stderr, "verifying audit log", total, "entries")
	var done int64
	o.Progress = func(pr audit.Progress) {
		done = clampInt64(pr.Entries)
		p.Set(done)
	}
	rep, err := audit.VerifyWith(ctx, d.Store, o)
	p.Finish(done)

	var broken *audit.BrokenError
	if errors.As(err, &broken) {
		if *asJSON {
			json.NewEncoder(e.stdout).Encode(auditVerifyResult{BrokenSeq: broken.Seq, Reason: broken.Reason})
		}
		return fmt.Errorf("audit log BROKEN at entry %d: %s", broken.Seq, broken.Reason)
	}
	if err != nil {
		return err
	}
	res := auditVerifyResult{OK: true, Entries: rep.Entries}
	if rep.Entries > 0 {
		res.Head, res.HeadTime = rep.Head.String(), rep.HeadTime.UTC()
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	if rep.Entries == 0 {
		fmt.Fprintln(e.stdout, "audit log verified: it is empty")
		return nil
	}
	fmt.Fprintf(e.stdout, "audit log verified: %d entries, the last on %s\nhead %s\n",
		rep.Entries, res.HeadTime.Format(time.RFC3339), res.Head)
	return nil
}

// clampInt64 converts a count for the progress display, which counts in int64.
func clampInt64(u uint64) int64 {
	if u > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(u)
}
