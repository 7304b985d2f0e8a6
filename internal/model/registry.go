package model

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/renameio/v2"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// Registry keeps the model files a server may serve, one file per version in a directory
// (DIR/<version>.json, as Save wrote it), and which version is active (DIR/active). Every
// file is checked (SHA-256, and the signature when LoadOptions.PublicKey is set) when it is
// added and again whenever it is loaded, so a file changed on disk after it was added is
// refused, never served. A Registry is safe for concurrent use; several processes may share
// the directory (each write is an atomic rename).
type Registry struct {
	dir  string
	opts LoadOptions
	mu   sync.Mutex // serialises Add and SetActive of this process
}

// RegistryEntry describes one registered model.
type RegistryEntry struct {
	Version   string             `json:"version"`
	Kind      Kind               `json:"kind"`
	CreatedAt time.Time          `json:"created_at"`
	Signed    bool               `json:"signed"`
	Features  int                `json:"features"`
	Training  TrainingSummary    `json:"training"`
	Metrics   map[string]float64 `json:"metrics,omitempty"`
	Active    bool               `json:"active"`
}

// activeFile names the file holding the active version.
const activeFile = "active"

// versionPattern is what File.Version returns: the kind, a dash and 12 hex digits. Versions
// name files, so nothing else is accepted as one.
var versionPattern = regexp.MustCompile(`^[a-z]{1,16}-[0-9a-f]{12}$`)

// ValidVersion reports whether v has the form of a model version ("gbdt-3f2a9c1b7d4e").
func ValidVersion(v string) bool { return versionPattern.MatchString(v) }

// OpenRegistry opens (creating it with mode 0700 if needed) the registry in dir. Files are
// loaded with o.
func OpenRegistry(dir string, o LoadOptions) (*Registry, error) {
	if dir == "" {
		return nil, errors.New("model registry: no directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("model registry: %w", err)
	}
	return &Registry{dir: dir, opts: o}, nil
}

// Dir returns the registry's directory.
func (r *Registry) Dir() string { return r.dir }

func (r *Registry) path(version string) string { return filepath.Join(r.dir, version+".json") }

// Add checks data as a model file and registers it under its version. Adding a version
// that is already registered keeps the registered file if it still loads under the
// registry's options, and replaces it with data otherwise (a signed copy of a model first
// registered unsigned, once a public key is set; a damaged file). It returns the loaded
// model.
func (r *Registry) Add(data []byte) (*File, error) {
	f, err := Load(bytes.NewReader(data), r.opts)
	if err != nil {
		return nil, err
	}
	v := f.Version()
	if !ValidVersion(v) {
		return nil, fmt.Errorf("model registry: %w: unusable version %q", ErrInvalidModel, v)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, err := os.ReadFile(r.path(v)); err == nil {
		if bytes.Equal(old, data) {
			return f, nil
		}
		if _, err := Load(bytes.NewReader(old), r.opts); err == nil {
			return f, nil
		}
	}
	if err := renameio.WriteFile(r.path(v), data, 0o600); err != nil {
		return nil, fmt.Errorf("model registry: %w", err)
	}
	return f, nil
}

// AddFile registers the model file at path (see Add).
func (r *Registry) AddFile(path string) (*File, error) {
	limit := r.opts.MaxSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("model %s: %w: larger than %d bytes", path, ErrInvalidModel, limit)
	}
	data, err := os.ReadFile(path) // #nosec G304 -- the operator names the model file
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	f, err := r.Add(data)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	return f, nil
}

// Load reads and checks the registered model version. An unknown or malformed version
// wraps fraud.ErrNotFound.
func (r *Registry) Load(version string) (*File, error) {
	if !ValidVersion(version) {
		return nil, fmt.Errorf("model %q: %w", version, fraud.ErrNotFound)
	}
	fh, err := os.Open(r.path(version))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("model %s: %w", version, fraud.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", version, err)
	}
	defer fh.Close()
	f, err := Load(fh, r.opts)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", version, err)
	}
	if f.Version() != version {
		return nil, fmt.Errorf("model %s: %w: the file holds %s", version, ErrChecksum, f.Version())
	}
	return f, nil
}

// Active returns the active version, "" when none was set.
func (r *Registry) Active() (string, error) {
	b, err := os.ReadFile(filepath.Join(r.dir, activeFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("model registry: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if !ValidVersion(v) {
		return "", fmt.Errorf("model registry: %w: active file holds no version", ErrInvalidModel)
	}
	return v, nil
}

// SetActive records version, which must be registered, as the active one.
func (r *Registry) SetActive(version string) error {
	if !ValidVersion(version) {
		return fmt.Errorf("model %q: %w", version, fraud.ErrNotFound)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := os.Stat(r.path(version)); err != nil {
		return fmt.Errorf("model %s: %w", version, fraud.ErrNotFound)
	}
	if err := renameio.WriteFile(filepath.Join(r.dir, activeFile), []byte(version+"\n"), 0o600); err != nil {
		return fmt.Errorf("model registry: %w", err)
	}
	return nil
}

// List describes every registered model that loads, newest first. A file that fails its
// checks is skipped (and never served); its version is returned in broken.
func (r *Registry) List() (entries []RegistryEntry, broken []string, err error) {
	names, err := filepath.Glob(filepath.Join(r.dir, "*.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("model registry: %w", err)
	}
	active, err := r.Active()
	if err != nil {
		return nil, nil, err
	}
	for _, name := range names {
		v := strings.TrimSuffix(filepath.Base(name), ".json")
		if !ValidVersion(v) {
			continue
		}
		f, err := r.Load(v)
		if err != nil {
			broken = append(broken, v)
			continue
		}
		entries = append(entries, RegistryEntry{Version: v, Kind: f.Kind(), CreatedAt: f.CreatedAt,
			Signed: f.Signed, Features: len(f.Features), Training: f.Training, Metrics: f.Metrics,
			Active: v == active})
	}
	slices.SortFunc(entries, func(a, b RegistryEntry) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	return entries, broken, nil
}
