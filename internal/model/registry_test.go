package model

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func TestRegistry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "models")
	r, err := OpenRegistry(dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := r.Active(); err != nil || v != "" {
		t.Fatalf("empty registry active %q %v", v, err)
	}
	gbdt := save(t, testFile(t, KindGBDT), nil)
	logit := save(t, testFile(t, KindLogistic), nil)
	g, err := r.Add(gbdt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Add(gbdt); err != nil {
		t.Fatalf("adding again: %v", err)
	}
	path := filepath.Join(t.TempDir(), "l.json")
	if err := os.WriteFile(path, logit, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := r.AddFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetActive(l.Version()); err != nil {
		t.Fatal(err)
	}
	entries, broken, err := r.List()
	if err != nil || len(entries) != 2 || len(broken) != 0 {
		t.Fatalf("list %+v %v %v", entries, broken, err)
	}
	active := 0
	for _, e := range entries {
		if e.Active {
			active++
			if e.Version != l.Version() {
				t.Errorf("active %s, want %s", e.Version, l.Version())
			}
		}
	}
	if active != 1 {
		t.Errorf("%d active entries", active)
	}
	got, err := r.Load(g.Version())
	if err != nil || got.SHA256 != g.SHA256 {
		t.Fatalf("load %v", err)
	}
	if st, err := os.Stat(filepath.Join(dir, g.Version()+".json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("model file mode %v %v", st.Mode(), err)
	}

	// Unknown, malformed and path-like versions are not found, never read.
	for _, v := range []string{"gbdt-000000000000", "../../etc/passwd", "", "gbdt-3F2A9C1B7D4E"} {
		if _, err := r.Load(v); !errors.Is(err, fraud.ErrNotFound) {
			t.Errorf("Load(%q): %v", v, err)
		}
		if err := r.SetActive(v); !errors.Is(err, fraud.ErrNotFound) {
			t.Errorf("SetActive(%q): %v", v, err)
		}
	}

	// A file changed on disk after it was added is refused and listed as broken.
	p := filepath.Join(dir, g.Version()+".json")
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 1
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Load(g.Version()); err == nil {
		t.Error("a tampered file loaded")
	}
	entries, broken, err = r.List()
	if err != nil || len(entries) != 1 || len(broken) != 1 || broken[0] != g.Version() {
		t.Errorf("after tampering: %+v %v %v", entries, broken, err)
	}
}

func TestRegistryRequiresSignatures(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenRegistry(t.TempDir(), LoadOptions{PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Add(save(t, testFile(t, KindGBDT), nil)); !errors.Is(err, ErrSignature) {
		t.Errorf("unsigned model with a public key set: %v", err)
	}
	if _, err := r.Add(save(t, testFile(t, KindGBDT), priv)); err != nil {
		t.Errorf("signed model: %v", err)
	}
}

// TestRegistryReAddReplacesUnloadableCopy: the signed copy of a model first registered
// unsigned replaces it once the registry wants signatures (they share a version), so the
// version still loads after a restart or a promote; an equal or still loadable copy is
// kept.
func TestRegistryReAddReplacesUnloadableCopy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "models")
	f := testFile(t, KindGBDT)
	unsigned, signed := save(t, f, nil), save(t, f, testKey)
	open, err := OpenRegistry(dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open.Add(unsigned); err != nil {
		t.Fatal(err)
	}
	strict, err := OpenRegistry(dir, LoadOptions{PublicKey: testKey.Public().(ed25519.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	g, err := strict.Add(signed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Load(g.Version()); err != nil {
		t.Fatalf("Add(signed) succeeded for %s but Load of that version fails: %v", g.Version(), err)
	}
	// Adding the unsigned copy to the permissive registry now keeps the signed file.
	if _, err := open.Add(unsigned); err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Load(g.Version()); err != nil {
		t.Fatalf("a loadable registered copy was replaced: %v", err)
	}
}
