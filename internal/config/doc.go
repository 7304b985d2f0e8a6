// Package config is where vigil reads its flags, its environment and its secrets, and
// nowhere else: every other package is given plain values, keys and options.
//
// It owns:
//
//   - BindEnv: every flag not given on the command line takes VIGIL_<NAME> from the
//     environment (--data-dir from VIGIL_DATA_DIR). A flag beats the environment, which beats
//     the default.
//   - Secret: a secret from VIGIL_<NAME>, or from the file named by VIGIL_<NAME>_FILE (Docker
//     and Kubernetes secrets); never both, and the value is never printed.
//   - LoadSecrets: the pseudonymisation key, the data key (and the previous one during a
//     rotation) and the model signing public key, checked for strength, with the development
//     fallback of keys generated once and kept in DATA_DIR/dev-secrets.json.
//   - Serve: the settings of `vigil serve`, their flags and defaults, the checks that refuse
//     unsafe combinations (production without TLS, a public address in clear), and the TLS
//     configuration (TLS 1.3 only, optional mutual TLS).
//
// # Development and production
//
// VIGIL_ENV is "development" (the default) or "production". In production a missing or weak
// secret, plain HTTP and a server without any active API key (RequireKeys) are start-up
// errors, and dev-secrets.json is never read or written. In development the missing keys are
// generated and kept beside the data, with a warning for the caller to log.
//
// No error of this package contains a secret's value.
//
// It does not own what the settings mean once read: the HTTP server, the stores and the
// state take them as options.
package config
