package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/state/memory"
)

// newServe returns serve settings with the defaults, the given flags and environment.
func newServe(t *testing.T, args []string, env map[string]string) (*Serve, error) {
	t.Helper()
	var s Serve
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s.Register(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return &s, s.FromEnv(fs, envMap(env))
}

func TestServeDefaults(t *testing.T) {
	s, err := newServe(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Serve{Env: Development, Addr: "127.0.0.1:8080", DataDir: "data", Retention: 720 * time.Hour,
		PurgeEvery: time.Hour, Rate: 2000, Burst: 4000, MaxInFlight: 256, MaxBody: 4 << 20,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 120 * time.Second, ShutdownTimeout: 20 * time.Second, LogLevel: slog.LevelInfo,
		StateSync: memory.SyncInterval}
	if *s != want {
		t.Fatalf("defaults\n got %+v\nwant %+v", *s, want)
	}
	if w, err := s.Check(); err != nil || len(w) != 0 {
		t.Fatalf("the defaults do not pass Check: %v %v", w, err)
	}
}

func TestServeFlagsAndEnvironment(t *testing.T) {
	s, err := newServe(t, []string{"--rate", "10", "--state-sync", "always"},
		map[string]string{"VIGIL_ENV": "production", "VIGIL_RATE": "99", "VIGIL_LOG_LEVEL": "debug",
			"VIGIL_RETENTION": "168h", "VIGIL_DATA_DIR": "/var/lib/vigil/data"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Env != Production || s.Rate != 10 || s.LogLevel != slog.LevelDebug || s.Retention != 168*time.Hour ||
		s.DataDir != "/var/lib/vigil/data" || s.StateSync != memory.SyncAlways {
		t.Fatalf("got %+v", *s)
	}
	if _, err := newServe(t, nil, map[string]string{"VIGIL_STATE_SYNC": "sometimes"}); err == nil || !strings.Contains(err.Error(), "VIGIL_STATE_SYNC") {
		t.Errorf("bad VIGIL_STATE_SYNC: %v", err)
	}
	if _, err := newServe(t, nil, map[string]string{"VIGIL_ENV": "prod"}); err == nil || !strings.Contains(err.Error(), "VIGIL_ENV") {
		t.Errorf("bad VIGIL_ENV: %v", err)
	}
}

func TestServeCheck(t *testing.T) {
	cert, key, _ := writeCert(t)
	tlsArgs := []string{"--tls-cert", cert, "--tls-key", key}
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		wantErr  []string
		wantWarn string
	}{
		{name: "loopback in clear, development"},
		{name: "public address in clear, development", args: []string{"--addr", "0.0.0.0:8080"}, wantWarn: "TLS is off"},
		{name: "empty host in clear, development", args: []string{"--addr", ":8080"}, wantWarn: "TLS is off"},
		{name: "public address with TLS", args: append([]string{"--addr", "0.0.0.0:8443"}, tlsArgs...)},
		{name: "production with TLS", args: append([]string{"--addr", "0.0.0.0:8443"}, tlsArgs...), env: map[string]string{"VIGIL_ENV": "production"}},
		{name: "production in clear on loopback", env: map[string]string{"VIGIL_ENV": "production"}, wantErr: []string{"TLS is required"}},
		{name: "production in clear on a public address", args: []string{"--addr", "0.0.0.0:8080"}, env: map[string]string{"VIGIL_ENV": "production"},
			wantErr: []string{"TLS is required"}},
		{name: "certificate without key", args: []string{"--tls-cert", cert}, wantErr: []string{"--tls-cert and --tls-key"}},
		{name: "key without certificate", args: []string{"--tls-key", key}, wantErr: []string{"--tls-cert and --tls-key"}},
		{name: "client CA without TLS", args: []string{"--tls-client-ca", cert}, wantErr: []string{"--tls-client-ca"}},
		{name: "address without port", args: []string{"--addr", "localhost"}, wantErr: []string{"--addr"}},
		{name: "address with a bad port", args: []string{"--addr", "127.0.0.1:99999"}, wantErr: []string{"--addr"}},
		{name: "non-positive limits", args: []string{"--rate", "0", "--burst", "-1", "--max-in-flight", "0", "--max-body", "0"},
			wantErr: []string{"--rate", "--burst", "--max-in-flight", "--max-body"}},
		{name: "non-positive timeouts", args: []string{"--read-timeout", "0s", "--shutdown-timeout", "-1s", "--purge-every", "0s", "--retention", "0s"},
			wantErr: []string{"--read-timeout", "--shutdown-timeout", "--purge-every", "--retention"}},
		{name: "empty data directory", args: []string{"--data-dir", ""}, wantErr: []string{"--data-dir"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newServe(t, tc.args, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			warnings, err := s.Check()
			if tc.wantErr == nil && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			for _, w := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
			if tc.wantWarn == "" && len(warnings) > 0 {
				t.Errorf("unexpected warnings %q", warnings)
			}
			if tc.wantWarn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tc.wantWarn)) {
				t.Errorf("warnings %q, want one with %q", warnings, tc.wantWarn)
			}
		})
	}
}

func TestTLSConfig(t *testing.T) {
	cert, key, ca := writeCert(t)
	s, err := newServe(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := s.TLSConfig(); cfg != nil || err != nil {
		t.Fatalf("no certificate: %v, %v; want nil, nil", cfg, err)
	}
	s.TLSCert, s.TLSKey = cert, key
	cfg, err := s.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS13 || len(cfg.Certificates) != 1 || cfg.ClientAuth != tls.NoClientCert {
		t.Fatalf("TLS config: min %x, %d certificates, client auth %v", cfg.MinVersion, len(cfg.Certificates), cfg.ClientAuth)
	}
	s.TLSClientCA = ca
	if cfg, err = s.TLSConfig(); err != nil {
		t.Fatal(err)
	}
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert || cfg.ClientCAs == nil || cfg.MinVersion != tls.VersionTLS13 {
		t.Fatalf("mTLS config: client auth %v, CAs %v", cfg.ClientAuth, cfg.ClientCAs)
	}
	// Unusable files.
	s.TLSClientCA = key
	if _, err := s.TLSConfig(); err == nil || !strings.Contains(err.Error(), "--tls-client-ca") {
		t.Errorf("a client CA file without certificates: %v", err)
	}
	keyPEM, _ := os.ReadFile(key)
	s.TLSClientCA, s.TLSKey = "", cert
	_, err = s.TLSConfig()
	if err == nil || strings.Contains(err.Error(), string(keyPEM)) {
		t.Errorf("a certificate as key: %v", err)
	}
}

func TestRequireKeys(t *testing.T) {
	for _, tc := range []struct {
		env    string
		active int
		ok     bool
	}{
		{Production, 0, false}, {Production, 1, true}, {Development, 0, true}, {Development, 3, true},
	} {
		if err := RequireKeys(tc.env, tc.active); (err == nil) != tc.ok {
			t.Errorf("RequireKeys(%s, %d) = %v", tc.env, tc.active, err)
		}
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key, and returns their
// paths and the CA bundle's (the certificate itself).
func writeCert(t *testing.T) (cert, key, ca string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key, cert
}
