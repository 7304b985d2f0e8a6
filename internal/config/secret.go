package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Secret returns the secret in the environment variable name, or read from the file named by
// name+"_FILE" (Docker and Kubernetes secrets), with surrounding white space removed. It
// returns "" and nil when neither is set. Setting both, an unreadable file or an empty file
// is an error naming the variable; no error contains the value.
func Secret(getenv func(string) string, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("set %s or %s_FILE, not both", name, name)
	case file != "":
		b, err := os.ReadFile(filepath.Clean(file))
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("%s_FILE: %s is empty", name, file)
		}
		return s, nil
	}
	return strings.TrimSpace(v), nil
}
