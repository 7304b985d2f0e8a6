package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	const value = "correct-horse-battery-staple-0123456789"
	file := filepath.Join(dir, "secret")
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(file, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "unset"},
		{name: "value", env: map[string]string{"K": " " + value + " "}, want: value},
		{name: "file", env: map[string]string{"K_FILE": file}, want: value},
		{name: "both", env: map[string]string{"K": value, "K_FILE": file}, wantErr: "not both"},
		{name: "missing file", env: map[string]string{"K_FILE": filepath.Join(dir, "nope")}, wantErr: "K_FILE"},
		{name: "empty file", env: map[string]string{"K_FILE": empty}, wantErr: "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Secret(envMap(tc.env), "K")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), value) {
					t.Fatalf("the error holds the secret: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Secret = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
