package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/vigil-fraud/vigil/internal/apikey"
	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/store/sqlite"
)

// The data directory's layout, shared by every command (docs/OPERATIONS.md):
//
//	DIR/vigil.db           the SQLite store (and its -wal, -shm files)
//	DIR/state/             the feature state's snapshot and log (memory state; LOCK while open)
//	DIR/models/            the model registry
//	DIR/rules/             the archive of rule sets, by version
//	DIR/dev-secrets.json   development keys (development mode only)
const (
	storeFile  = "vigil.db"
	stateDir   = "state"
	modelsDir  = "models"
	rulesDir   = "rules"
	dataDirEnv = "VIGIL_DATA_DIR"
)

// keyCacheTTL is how long a process trusts an API key it looked up: a scoring client sends
// thousands of requests a second with one key, so `vigil serve` looks it up once per TTL.
// Keys revoked through the same process stop at once; by the CLI or another instance,
// within keyCacheTTL. (Commands that only create, list or revoke keys never authenticate.)
const keyCacheTTL = 2 * time.Second

// dataDir is an open data directory: its secrets, store, audit log and key manager.
type dataDir struct {
	Dir     string
	Secrets config.Secrets
	Store   *sqlite.Store
	Audit   *audit.Log
	Keys    *apikey.Manager
}

// openDataDir reads the secrets (config.LoadSecrets, in the mode VIGIL_ENV names) through
// e.getenv and opens the store in dir, creating both as needed. The caller logs
// d.Secrets.Warnings and closes d. It does not open the feature state (see StatePath): only
// one process may hold it.
func openDataDir(ctx context.Context, e env, dir string) (*dataDir, error) {
	if dir == "" {
		return nil, errors.New("no data directory: set --data-dir or " + dataDirEnv)
	}
	mode, err := config.ParseEnv(e.getenv(config.EnvVar))
	if err != nil {
		return nil, err
	}
	secrets, err := config.LoadSecrets(e.getenv, mode, dir)
	if err != nil {
		return nil, err
	}
	store, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dir, storeFile), Sealer: secrets.Sealer})
	if err != nil {
		return nil, fmt.Errorf("open the store in %s: %w", dir, err)
	}
	return &dataDir{
		Dir:     dir,
		Secrets: secrets,
		Store:   store,
		Audit:   audit.New(store, audit.Options{}),
		Keys:    apikey.New(store, apikey.Options{CacheTTL: keyCacheTTL}),
	}, nil
}

// Close closes the store.
func (d *dataDir) Close() error { return d.Store.Close() }

// StatePath is the feature state's directory, DIR/state.
func (d *dataDir) StatePath() string { return filepath.Join(d.Dir, stateDir) }

// ModelsPath is the model registry's directory, DIR/models.
func (d *dataDir) ModelsPath() string { return filepath.Join(d.Dir, modelsDir) }

// RulesPath is the rule-set archive's directory, DIR/rules.
func (d *dataDir) RulesPath() string { return filepath.Join(d.Dir, rulesDir) }

// warn prints the secrets' warnings of a command-line run to stderr.
func (d *dataDir) warn(e env, cmd string) {
	for _, w := range d.Secrets.Warnings {
		fmt.Fprintf(e.stderr, "vigil %s: warning: %s\n", cmd, w)
	}
}

// cliActor names the operator in audit entries: "cli:" and the OS user running the command
// (its uid when the user has no name).
func cliActor() string {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
		if name == "" {
			name = "uid-" + u.Uid
		}
	} else {
		name = "uid-" + fmt.Sprint(os.Getuid())
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	if len(name) > 64 {
		name = strings.ToValidUTF8(name[:64], "")
	}
	return "cli:" + name
}
