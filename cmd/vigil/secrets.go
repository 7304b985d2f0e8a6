package main

import (
	"fmt"
	"os"
	"strings"
)

// secretFromEnv returns the secret named by the environment variable name, or read from the
// file named by name+"_FILE" (Docker and Kubernetes secrets). Setting both is an error; the
// value is never printed.
func secretFromEnv(e env, name string) (string, error) {
	v, file := e.getenv(name), e.getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("set %s or %s_FILE, not both", name, name)
	case file != "":
		b, err := os.ReadFile(file) // #nosec G304 -- the operator names the secret file
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(v), nil
}
