package config

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Test keys, made at run time: nothing that looks like a secret is committed.
func testKeys(t *testing.T) (pseudonym, data, previous, pub string) {
	t.Helper()
	b := make([]byte, 96)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	pk, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b[:32]), base64.StdEncoding.EncodeToString(b[32:64]),
		base64.StdEncoding.EncodeToString(b[64:]), base64.StdEncoding.EncodeToString(pk)
}

func TestLoadSecrets(t *testing.T) {
	pseudonym, data, previous, pub := testKeys(t)
	weakPseudonym := strings.Repeat("a", 40)
	phrasePseudonym := strings.Repeat("abcdefgh", 5) // 8 distinct bytes
	shortPseudonym := "Xy7#kQ2!mN9$pL4@"             // 16 bytes
	weakData := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	shortData := base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqrst")) // 30 bytes
	secrets := []string{pseudonym, data, previous, weakPseudonym, phrasePseudonym, shortPseudonym, weakData, shortData}

	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr []string // substrings the error must hold; nil: no error
		devFile bool     // dev-secrets.json must exist afterwards
	}{
		{name: "production with both keys", env: map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym, "VIGIL_DATA_KEY": data}},
		{name: "production with a previous key and a model key", env: map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym,
			"VIGIL_DATA_KEY": data, "VIGIL_DATA_KEY_PREVIOUS": previous, "VIGIL_MODEL_PUBKEY": pub}},
		{name: "production without keys", env: map[string]string{},
			wantErr: []string{"VIGIL_PSEUDONYM_KEY", "VIGIL_DATA_KEY", "production"}},
		{name: "production without a data key", env: map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym},
			wantErr: []string{"VIGIL_DATA_KEY"}},
		{name: "production with a repeated-character key", env: map[string]string{"VIGIL_PSEUDONYM_KEY": weakPseudonym, "VIGIL_DATA_KEY": data},
			wantErr: []string{"VIGIL_PSEUDONYM_KEY", "weak"}},
		{name: "production with a low-entropy key", env: map[string]string{"VIGIL_PSEUDONYM_KEY": phrasePseudonym, "VIGIL_DATA_KEY": data},
			wantErr: []string{"VIGIL_PSEUDONYM_KEY", "weak"}},
		{name: "production with a short key", env: map[string]string{"VIGIL_PSEUDONYM_KEY": shortPseudonym, "VIGIL_DATA_KEY": data},
			wantErr: []string{"VIGIL_PSEUDONYM_KEY", "short"}},
		{name: "production with a weak data key", env: map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym, "VIGIL_DATA_KEY": weakData},
			wantErr: []string{"VIGIL_DATA_KEY", "weak"}},
		{name: "production with a 30-byte data key", env: map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym, "VIGIL_DATA_KEY": shortData},
			wantErr: []string{"VIGIL_DATA_KEY", "32"}},
		{name: "production with a data key not in base64", env: map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym, "VIGIL_DATA_KEY": pseudonym + "!"},
			wantErr: []string{"VIGIL_DATA_KEY", "base64"}},
		{name: "production with a bad previous key", env: map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym, "VIGIL_DATA_KEY": data, "VIGIL_DATA_KEY_PREVIOUS": shortData},
			wantErr: []string{"VIGIL_DATA_KEY_PREVIOUS"}},
		{name: "production with the previous key equal to the current one", env: map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym, "VIGIL_DATA_KEY": data, "VIGIL_DATA_KEY_PREVIOUS": data},
			wantErr: []string{"VIGIL_DATA_KEY_PREVIOUS"}},
		{name: "production with a bad model key", env: map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym, "VIGIL_DATA_KEY": data, "VIGIL_MODEL_PUBKEY": "nope"},
			wantErr: []string{"VIGIL_MODEL_PUBKEY"}},
		{name: "development without keys generates them", env: map[string]string{"VIGIL_ENV": "development"}, devFile: true},
		{name: "development with a weak key", env: map[string]string{"VIGIL_ENV": "development", "VIGIL_PSEUDONYM_KEY": weakPseudonym},
			wantErr: []string{"VIGIL_PSEUDONYM_KEY", "weak"}},
		{name: "development with both keys writes nothing", env: map[string]string{"VIGIL_ENV": "development", "VIGIL_PSEUDONYM_KEY": pseudonym, "VIGIL_DATA_KEY": data}},
		{name: "unknown mode", env: map[string]string{"VIGIL_ENV": "staging"}, wantErr: []string{"VIGIL_ENV"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			env, ok := tc.env["VIGIL_ENV"]
			if !ok {
				env = Production
			}
			s, err := LoadSecrets(envMap(tc.env), env, dir)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				for _, sec := range secrets {
					if strings.Contains(err.Error(), sec) {
						t.Errorf("error %q holds a secret", err)
					}
				}
			} else if err != nil {
				t.Fatal(err)
			} else if s.Pseudonymizer == nil || s.Sealer == nil {
				t.Fatalf("incomplete secrets: %+v", s)
			}
			_, statErr := os.Stat(filepath.Join(dir, DevKeysFile))
			if exists := statErr == nil; exists != tc.devFile {
				t.Errorf("dev-secrets.json exists: %v, want %v", exists, tc.devFile)
			}
			if tc.env["VIGIL_MODEL_PUBKEY"] == pub && err == nil && len(s.ModelPublicKey) != ed25519.PublicKeySize {
				t.Errorf("model public key not loaded")
			}
		})
	}
}

func TestDevelopmentKeysPersist(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	dev := envMap(nil)
	first, err := LoadSecrets(dev, Development, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Warnings) != 1 || !strings.Contains(first.Warnings[0], "VIGIL_PSEUDONYM_KEY and VIGIL_DATA_KEY in production") {
		t.Fatalf("warnings = %q", first.Warnings)
	}
	path := filepath.Join(dir, DevKeysFile)
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("dev-secrets.json: %v, mode %v", err, st.Mode().Perm())
	}
	if dst, _ := os.Stat(dir); dst.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v, want 0700", dst.Mode().Perm())
	}
	var onDisk devSecrets
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &onDisk); err != nil || onDisk.PseudonymKey == "" || onDisk.DataKey == "" {
		t.Fatalf("dev-secrets.json: %s (%v)", b, err)
	}
	for _, w := range first.Warnings {
		if strings.Contains(w, onDisk.PseudonymKey) || strings.Contains(w, onDisk.DataKey) {
			t.Fatalf("a warning holds a key: %q", w)
		}
	}

	// The next start reuses the keys: same pseudonyms, and values sealed before open.
	second, err := LoadSecrets(dev, Development, dir)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := first.Pseudonymizer.Pseudonym("C42"), second.Pseudonymizer.Pseudonym("C42"); a != b {
		t.Fatalf("pseudonyms differ across starts: %s, %s", a, b)
	}
	sealed := first.Sealer.Seal([]byte("card"), []byte("ad"))
	if _, err := second.Sealer.Open(sealed, []byte("ad")); err != nil {
		t.Fatalf("a value sealed before the restart does not open: %v", err)
	}

	// A key set in the environment wins over the file; the file is left alone.
	pseudonym, _, _, _ := testKeys(t)
	third, err := LoadSecrets(envMap(map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym}), Development, dir)
	if err != nil {
		t.Fatal(err)
	}
	if third.Pseudonymizer.Pseudonym("C42") == first.Pseudonymizer.Pseudonym("C42") {
		t.Errorf("the environment's key did not win over the file's")
	}
	if b2, _ := os.ReadFile(path); !bytes.Equal(b, b2) {
		t.Errorf("dev-secrets.json changed")
	}

	// A file others can read is refused.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSecrets(dev, Development, dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable dev-secrets.json: err = %v", err)
	}
}

func TestProductionNeverReadsDevelopmentKeys(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSecrets(envMap(nil), Development, dir); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, DevKeysFile))
	_, err := LoadSecrets(envMap(nil), Production, dir)
	if err == nil {
		t.Fatal("production started on the development keys")
	}
	pseudonym, data, _, _ := testKeys(t)
	s, err := LoadSecrets(envMap(map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym, "VIGIL_DATA_KEY": data}), Production, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "ignored in production") {
		t.Errorf("warnings = %q, want one about the ignored file", s.Warnings)
	}
	after, _ := os.ReadFile(filepath.Join(dir, DevKeysFile))
	if !bytes.Equal(before, after) {
		t.Errorf("production changed dev-secrets.json")
	}
}

func TestSecretsFromFiles(t *testing.T) {
	pseudonym, data, _, _ := testKeys(t)
	dir := t.TempDir()
	pf, df := filepath.Join(dir, "p"), filepath.Join(dir, "d")
	os.WriteFile(pf, []byte(pseudonym+"\n"), 0o600)
	os.WriteFile(df, []byte(data+"\n"), 0o600)
	s, err := LoadSecrets(envMap(map[string]string{"VIGIL_PSEUDONYM_KEY_FILE": pf, "VIGIL_DATA_KEY_FILE": df}), Production, dir)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := LoadSecrets(envMap(map[string]string{"VIGIL_PSEUDONYM_KEY": pseudonym, "VIGIL_DATA_KEY": data}), Production, dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Pseudonymizer.Pseudonym("x") != direct.Pseudonymizer.Pseudonym("x") {
		t.Errorf("the _FILE key differs from the same key given directly")
	}
}
