package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/vigil-fraud/vigil/internal/apikey"
	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

func init() {
	register(command{
		name:    "keys",
		summary: "API keys: create, list, revoke, rotate (each change is audited)",
		run:     runKeys,
	})
}

const keysUsage = `Usage: vigil keys SUBCOMMAND [flags]

Subcommands:
  create --role scorer|analyst|admin [--expires 90d] [--json]
                          make a key; it is printed once, alone on the last line of stdout
  list [--json]           every key: id, name, role, created, expires, status (never a hash)
  revoke ID               revoke a key at once
  rotate ID [--expires 90d] [--json]
                          make a key with the same role and revoke the old one at once;
                          the new key is printed like create's

Every subcommand takes --data-dir DIR (default data, or VIGIL_DATA_DIR), and every flag may
come from VIGIL_<FLAG> instead (VIGIL_DATA_DIR, VIGIL_EXPIRES, ...).

Example:
  KEY=$(vigil keys create --data-dir /var/lib/vigil/data --role scorer --expires 30d | tail -1)
  vigil keys list --data-dir /var/lib/vigil/data
  vigil keys rotate 3kx7m2qa9d4fzb6e --data-dir /var/lib/vigil/data > new-key.txt
  vigil keys revoke 3kx7m2qa9d4fzb6e --data-dir /var/lib/vigil/data`

func runKeys(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintln(e.stderr, keysUsage)
		if len(args) == 0 {
			return errUsage
		}
		return errHelp
	}
	switch args[0] {
	case "create":
		return keysCreate(ctx, e, args[1:])
	case "list":
		return keysList(ctx, e, args[1:])
	case "revoke":
		return keysRevoke(ctx, e, args[1:])
	case "rotate":
		return keysRotate(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "vigil keys: unknown subcommand %q\n\n%s\n", args[0], keysUsage)
	return errUsage
}

// keysFlags are the flags every keys subcommand shares.
type keysFlags struct {
	fs      *flag.FlagSet
	dataDir *string
	asJSON  *bool
}

func newKeysFlags(e env, sub, synopsis, example string) keysFlags {
	fs := newFlagSet(e, "keys "+sub, synopsis, example)
	return keysFlags{
		fs:      fs,
		dataDir: fs.String("data-dir", config.DefaultDataDir, "the data `directory`"),
		asJSON:  fs.Bool("json", false, "print JSON on one line"),
	}
}

// parse parses args (an ID may come first or after the flags when wantID) and fills the
// flags not given from the environment. It returns the ID.
func (k keysFlags) parse(e env, args []string, wantID bool) (string, error) {
	id, rest := "", args
	if wantID {
		id, rest = splitPositional(args)
	}
	if err := parseFlags(k.fs, rest, wantID && id == ""); err != nil {
		return "", err
	}
	if wantID && id == "" {
		id = k.fs.Arg(0)
		if k.fs.NArg() > 1 {
			fmt.Fprintf(e.stderr, "vigil %s: unexpected argument %q\n", k.fs.Name(), k.fs.Arg(1))
			return "", errUsage
		}
	}
	if wantID && id == "" {
		fmt.Fprintf(e.stderr, "vigil %s: name the key's ID (vigil keys list shows them)\n", k.fs.Name())
		return "", errUsage
	}
	if err := config.BindEnv(k.fs, e.getenv); err != nil {
		fmt.Fprintf(e.stderr, "vigil %s: %v\n", k.fs.Name(), err)
		return "", errUsage
	}
	return id, nil
}

// parseExpires reads --expires, printing the mistake.
func parseExpires(e env, cmd, s string) (time.Duration, error) {
	d, err := apikey.ParseExpiry(s)
	if err != nil {
		fmt.Fprintf(e.stderr, "vigil %s: --expires: %v\n", cmd, err)
		return 0, errUsage
	}
	return d, nil
}

// newKeyLine is what create and rotate print on stdout with --json.
type newKeyLine struct {
	Key       string     `json:"key"`
	ID        string     `json:"id"`
	Role      fraud.Role `json:"role"`
	ExpiresAt time.Time  `json:"expires_at"`
}

// printNewKey prints a new key: a note on stderr, the key alone on stdout (or one JSON line).
func printNewKey(e env, asJSON bool, verb, secret string, k fraud.APIKey) error {
	fmt.Fprintf(e.stderr, "%s %s key %s, expires %s. It is shown once: store it now.\n",
		verb, k.Role, k.ID, k.ExpiresAt.UTC().Format(time.RFC3339))
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(newKeyLine{Key: secret, ID: k.ID, Role: k.Role, ExpiresAt: k.ExpiresAt.UTC()})
	}
	_, err := fmt.Fprintln(e.stdout, secret)
	return err
}

func keysCreate(ctx context.Context, e env, args []string) error {
	k := newKeysFlags(e, "create", "--role scorer|analyst|admin [--expires 90d] [--name NAME] [--data-dir DIR] [--json]",
		"vigil keys create --data-dir /var/lib/vigil/data --role scorer --expires 30d")
	role := k.fs.String("role", "", "the key's `role`: scorer, analyst or admin (required)")
	expires := k.fs.String("expires", "90d", "lifetime: `N`d, Nh or Nm (at most 730d; every key expires)")
	name := k.fs.String("name", "", "a `name` to tell the key apart in listings (\"checkout-eu\"); not a secret")
	if _, err := k.parse(e, args, false); err != nil {
		return err
	}
	if !apikey.ValidName(*name) {
		fmt.Fprintf(e.stderr, "vigil keys create: --name must be at most %d printable characters\n", apikey.MaxNameBytes)
		return errUsage
	}
	if fraud.ContainsCardNumber(*name) {
		fmt.Fprintf(e.stderr, "vigil keys create: --name %s\n", fraud.ReasonCardInText)
		return errUsage
	}
	if !fraud.Role(*role).Valid() {
		fmt.Fprintf(e.stderr, "vigil keys create: --role must be scorer, analyst or admin, got %q\n", *role)
		return errUsage
	}
	lifetime, err := parseExpires(e, "keys create", *expires)
	if err != nil {
		return err
	}
	d, err := openDataDir(ctx, e, *k.dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.warn(e, "keys create")
	secret, key, err := d.Keys.CreateNamed(ctx, fraud.Role(*role), *name, lifetime)
	if err != nil {
		return err
	}
	_, err = d.Audit.Append(ctx, audit.Event{Actor: cliActor(), Action: audit.ActionKeyCreate, Target: key.ID,
		Details: map[string]any{"role": key.Role, "name": key.Name, "expires_at": key.ExpiresAt.UTC()}})
	if err != nil {
		// A key nobody can account for must not stay usable: revoke it, show nothing.
		undo := d.Keys.Revoke(context.WithoutCancel(ctx), key.ID)
		return fmt.Errorf("record the new key in the audit log: %w; the key was revoked and not shown",
			errors.Join(err, undo))
	}
	return printNewKey(e, *k.asJSON, "created", secret, key)
}

// keyView is one key as list shows it: what may be shown of it, and its status.
type keyView struct {
	apikey.Info
	Status string `json:"status"`
}

func keysList(ctx context.Context, e env, args []string) error {
	k := newKeysFlags(e, "list", "[--data-dir DIR] [--json]", "vigil keys list --data-dir /var/lib/vigil/data --json")
	if _, err := k.parse(e, args, false); err != nil {
		return err
	}
	d, err := openDataDir(ctx, e, *k.dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.warn(e, "keys list")
	infos, err := d.Keys.List(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	views := make([]keyView, 0, len(infos))
	for _, i := range infos {
		i.CreatedAt, i.ExpiresAt, i.RevokedAt = i.CreatedAt.UTC(), i.ExpiresAt.UTC(), i.RevokedAt.UTC()
		views = append(views, keyView{Info: i, Status: i.Status(now)})
	}
	if *k.asJSON {
		return json.NewEncoder(e.stdout).Encode(struct {
			Keys []keyView `json:"keys"`
		}{views})
	}
	if len(views) == 0 {
		fmt.Fprintln(e.stderr, "no API keys yet: vigil keys create --role admin")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tEXPIRES\tSTATUS")
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format("2006-01-02 15:04Z")
	}
	for _, v := range views {
		name := v.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, name, v.Role, day(v.CreatedAt), day(v.ExpiresAt), v.Status)
	}
	return tw.Flush()
}

// findKey returns the key id names, or an error saying there is none.
func findKey(ctx context.Context, d *dataDir, id string) (apikey.Info, error) {
	infos, err := d.Keys.List(ctx)
	if err != nil {
		return apikey.Info{}, err
	}
	for _, i := range infos {
		if i.ID == id {
			return i, nil
		}
	}
	return apikey.Info{}, fmt.Errorf("no API key with id %q (vigil keys list shows them)", id)
}

func keysRevoke(ctx context.Context, e env, args []string) error {
	k := newKeysFlags(e, "revoke", "ID [--data-dir DIR] [--json]", "vigil keys revoke 3kx7m2qa9d4fzb6e --data-dir /var/lib/vigil/data")
	id, err := k.parse(e, args, true)
	if err != nil {
		return err
	}
	d, err := openDataDir(ctx, e, *k.dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.warn(e, "keys revoke")
	info, err := findKey(ctx, d, id)
	if err != nil {
		return err
	}
	result := struct {
		ID      string `json:"id"`
		Revoked bool   `json:"revoked"` // false: it was revoked already
	}{ID: id}
	if info.RevokedAt.IsZero() {
		if err := d.Keys.Revoke(ctx, id); err != nil {
			return err
		}
		if _, err := d.Audit.Append(ctx, audit.Event{Actor: cliActor(), Action: audit.ActionKeyRevoke, Target: id}); err != nil {
			return fmt.Errorf("key %s is revoked, but recording it in the audit log failed: %w", id, err)
		}
		result.Revoked = true
	}
	if *k.asJSON {
		return json.NewEncoder(e.stdout).Encode(result)
	}
	if result.Revoked {
		fmt.Fprintf(e.stdout, "revoked key %s\n", id)
	} else {
		fmt.Fprintf(e.stdout, "key %s was already revoked on %s\n", id, info.RevokedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

func keysRotate(ctx context.Context, e env, args []string) error {
	k := newKeysFlags(e, "rotate", "ID [--expires 90d] [--data-dir DIR] [--json]",
		"vigil keys rotate 3kx7m2qa9d4fzb6e --data-dir /var/lib/vigil/data --expires 30d | tail -1")
	expires := k.fs.String("expires", "90d", "the new key's lifetime: `N`d, Nh or Nm (at most 730d)")
	id, err := k.parse(e, args, true)
	if err != nil {
		return err
	}
	lifetime, err := parseExpires(e, "keys rotate", *expires)
	if err != nil {
		return err
	}
	d, err := openDataDir(ctx, e, *k.dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.warn(e, "keys rotate")
	if _, err := findKey(ctx, d, id); err != nil {
		return err
	}
	secret, key, err := d.Keys.Rotate(ctx, id, lifetime)
	if errors.Is(err, fraud.ErrConflict) {
		return fmt.Errorf("key %s is revoked: create a new key instead", id)
	}
	if err != nil {
		return err
	}
	_, auditErr := d.Audit.Append(ctx, audit.Event{Actor: cliActor(), Action: audit.ActionKeyRotate, Target: id,
		Details: map[string]any{"new_key_id": key.ID, "role": key.Role, "expires_at": key.ExpiresAt.UTC()}})
	// The old key is revoked already: the new one must reach the operator even if the audit
	// append failed, or nobody could use the role's key.
	if err := printNewKey(e, *k.asJSON, "rotated "+id+" to", secret, key); err != nil {
		return err
	}
	if auditErr != nil {
		return fmt.Errorf("recording the rotation in the audit log failed: %w", auditErr)
	}
	return nil
}
