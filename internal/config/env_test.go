package config

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

// envMap is a getenv over a map.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestEnvName(t *testing.T) {
	for flagName, want := range map[string]string{
		"data-dir": "VIGIL_DATA_DIR", "addr": "VIGIL_ADDR", "tls-client-ca": "VIGIL_TLS_CLIENT_CA",
	} {
		if got := EnvName(flagName); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", flagName, got, want)
		}
	}
}

func TestParseEnv(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", Development, true}, {"development", Development, true}, {"production", Production, true},
		{"prod", "", false}, {"Production", "", false},
	} {
		got, err := ParseEnv(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseEnv(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestBindEnv(t *testing.T) {
	newFS := func() (*flag.FlagSet, *string, *int, *time.Duration) {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		dir := fs.String("data-dir", "data", "")
		n := fs.Int("max-in-flight", 256, "")
		d := fs.Duration("timeout", 3*time.Second, "")
		return fs, dir, n, d
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantDir string
		wantN   int
		wantD   time.Duration
		wantErr string
	}{
		{name: "default", wantDir: "data", wantN: 256, wantD: 3 * time.Second},
		{name: "env beats default", env: map[string]string{"VIGIL_DATA_DIR": "/srv", "VIGIL_MAX_IN_FLIGHT": "9"},
			wantDir: "/srv", wantN: 9, wantD: 3 * time.Second},
		{name: "flag beats env", args: []string{"--data-dir", "here"}, env: map[string]string{"VIGIL_DATA_DIR": "/srv"},
			wantDir: "here", wantN: 256, wantD: 3 * time.Second},
		{name: "empty variable is unset", env: map[string]string{"VIGIL_DATA_DIR": ""}, wantDir: "data", wantN: 256, wantD: 3 * time.Second},
		{name: "bad value names the variable", env: map[string]string{"VIGIL_TIMEOUT": "soon"},
			wantErr: "VIGIL_TIMEOUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, dir, n, d := newFS()
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			err := BindEnv(fs, envMap(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *dir != tc.wantDir || *n != tc.wantN || *d != tc.wantD {
				t.Errorf("got %q %d %v, want %q %d %v", *dir, *n, *d, tc.wantDir, tc.wantN, tc.wantD)
			}
		})
	}
}

func TestBindEnvDoesNotEchoSecretishValues(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Int("signing-key-bits", 256, "")
	fs.Int("api-token-ttl", 1, "")
	const secret = "s3cr3t-value-never-shown"
	err := BindEnv(fs, envMap(map[string]string{"VIGIL_SIGNING_KEY_BITS": secret, "VIGIL_API_TOKEN_TTL": secret}))
	if err == nil || !strings.Contains(err.Error(), "VIGIL_SIGNING_KEY_BITS") || !strings.Contains(err.Error(), "VIGIL_API_TOKEN_TTL") {
		t.Fatalf("err = %v, want both variables named", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("the error repeats the value: %v", err)
	}
}
