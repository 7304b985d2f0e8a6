package main

import "github.com/vigil-fraud/vigil/internal/config"

// secretFromEnv returns the secret named by the environment variable name, or read from the
// file named by name+"_FILE"; see config.Secret, where secrets are read.
func secretFromEnv(e env, name string) (string, error) {
	return config.Secret(e.getenv, name)
}
