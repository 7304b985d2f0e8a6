package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vigil-fraud/vigil/internal/state/memory"
)

// Serve holds the settings of `vigil serve`. Register defines its flags with their defaults;
// FromEnv, after parsing, fills the ones not given from the environment; Check refuses unsafe
// or inconsistent settings.
type Serve struct {
	Env     string // Development or Production, from VIGIL_ENV
	Addr    string // --addr: host:port to listen on
	DataDir string // --data-dir: the data directory (store, state, models, rules)
	Model   string // --model: model file to serve ("" = none)
	Rules   string // --rules: rules YAML file, reloaded when it changes ("" = none)

	TLSCert     string // --tls-cert: PEM certificate chain
	TLSKey      string // --tls-key: PEM private key
	TLSClientCA string // --tls-client-ca: PEM CA bundle; set, clients must present a certificate it signed (mTLS)

	Retention  time.Duration // --retention: how long decisions and their transactions are kept
	PurgeEvery time.Duration // --purge-every: how often the retention purge runs

	Rate        float64 // --rate: requests per second allowed to each API key
	Burst       int     // --burst: requests an API key may send at once above the rate
	MaxInFlight int     // --max-in-flight: requests served at once, beyond which 503
	MaxBody     int64   // --max-body: largest request body in bytes

	ReadHeaderTimeout time.Duration // --read-header-timeout
	ReadTimeout       time.Duration // --read-timeout
	WriteTimeout      time.Duration // --write-timeout
	IdleTimeout       time.Duration // --idle-timeout
	ShutdownTimeout   time.Duration // --shutdown-timeout: how long in-flight requests get to finish on shutdown

	LogLevel  slog.Level        // --log-level: debug, info, warn or error
	StateSync memory.SyncPolicy // --state-sync: interval, always or never
}

// Defaults of the serve settings.
const (
	DefaultAddr        = "127.0.0.1:8080"
	DefaultDataDir     = "data"
	DefaultRetention   = 30 * 24 * time.Hour
	DefaultPurgeEvery  = time.Hour
	DefaultRate        = 2000
	DefaultBurst       = 4000
	DefaultMaxInFlight = 256
	DefaultMaxBody     = 4 << 20 // a batch of 1,000 transactions
)

// Register defines the serve flags on fs, with their defaults, writing into s.
func (s *Serve) Register(fs *flag.FlagSet) {
	s.Env = Development
	fs.StringVar(&s.Addr, "addr", DefaultAddr, "`host:port` to listen on (a non-loopback address needs TLS)")
	fs.StringVar(&s.DataDir, "data-dir", DefaultDataDir, "data `directory`: vigil.db, state/, models/, rules/")
	fs.StringVar(&s.Model, "model", "", "model `file` to serve")
	fs.StringVar(&s.Rules, "rules", "", "rules YAML `file`, reloaded when it changes")
	fs.StringVar(&s.TLSCert, "tls-cert", "", "TLS certificate chain (PEM `file`); with --tls-key, serve TLS 1.3")
	fs.StringVar(&s.TLSKey, "tls-key", "", "TLS private key (PEM `file`)")
	fs.StringVar(&s.TLSClientCA, "tls-client-ca", "", "CA bundle (PEM `file`): require and verify client certificates (mTLS)")
	fs.DurationVar(&s.Retention, "retention", DefaultRetention, "keep decisions and transactions this long (the demo uses 168h)")
	fs.DurationVar(&s.PurgeEvery, "purge-every", DefaultPurgeEvery, "run the retention purge this often")
	fs.Float64Var(&s.Rate, "rate", DefaultRate, "requests per second allowed to each API key")
	fs.IntVar(&s.Burst, "burst", DefaultBurst, "requests an API key may send at once above --rate")
	fs.IntVar(&s.MaxInFlight, "max-in-flight", DefaultMaxInFlight, "requests served at once; more are refused with 503")
	fs.Int64Var(&s.MaxBody, "max-body", DefaultMaxBody, "largest request body in `bytes` (4 MiB: a batch of 1,000)")
	fs.DurationVar(&s.ReadHeaderTimeout, "read-header-timeout", 5*time.Second, "time to read a request's headers")
	fs.DurationVar(&s.ReadTimeout, "read-timeout", 15*time.Second, "time to read a whole request")
	fs.DurationVar(&s.WriteTimeout, "write-timeout", 30*time.Second, "time to write a response")
	fs.DurationVar(&s.IdleTimeout, "idle-timeout", 120*time.Second, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&s.ShutdownTimeout, "shutdown-timeout", 20*time.Second, "time in-flight requests get to finish on shutdown")
	fs.TextVar(&s.LogLevel, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	s.StateSync = memory.SyncInterval
	fs.Var(syncFlag{&s.StateSync}, "state-sync", "when the feature state's log is fsynced: interval, always or never")
}

// FromEnv sets the flags of fs not given on the command line from the environment (BindEnv)
// and s.Env from VIGIL_ENV. Call it after fs.Parse.
func (s *Serve) FromEnv(fs *flag.FlagSet, getenv func(string) string) error {
	env, err := ParseEnv(getenv(EnvVar))
	if err != nil {
		return err
	}
	s.Env = env
	return BindEnv(fs, getenv)
}

// TLS reports whether a certificate is configured.
func (s *Serve) TLS() bool { return s.TLSCert != "" || s.TLSKey != "" }

// Check returns the warnings to log and an error listing every refused setting: a
// certificate without a key (or the reverse), a client CA without TLS, a non-positive limit
// or timeout, an unparsable address, an unknown VIGIL_ENV; in Production, no TLS at all; a
// non-loopback address without TLS is a warning in Development and an error in Production.
func (s *Serve) Check() (warnings []string, err error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	env, err := ParseEnv(s.Env)
	if err != nil {
		errs = append(errs, err)
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		bad("--tls-cert and --tls-key go together")
	}
	if s.TLSClientCA != "" && !s.TLS() {
		bad("--tls-client-ca needs TLS: set --tls-cert and --tls-key")
	}
	if s.DataDir == "" {
		bad("--data-dir is required")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"retention", s.Retention}, {"purge-every", s.PurgeEvery},
		{"read-header-timeout", s.ReadHeaderTimeout}, {"read-timeout", s.ReadTimeout},
		{"write-timeout", s.WriteTimeout}, {"idle-timeout", s.IdleTimeout}, {"shutdown-timeout", s.ShutdownTimeout},
	} {
		if d.v <= 0 {
			bad("--%s must be positive, got %s", d.name, d.v)
		}
	}
	if !(s.Rate > 0) {
		bad("--rate must be positive, got %v", s.Rate)
	}
	if s.Burst <= 0 {
		bad("--burst must be positive, got %d", s.Burst)
	}
	if s.MaxInFlight <= 0 {
		bad("--max-in-flight must be positive, got %d", s.MaxInFlight)
	}
	if s.MaxBody <= 0 {
		bad("--max-body must be positive, got %d", s.MaxBody)
	}
	loopback, err := checkAddr(s.Addr)
	if err != nil {
		errs = append(errs, err)
	}
	if env == Production && !s.TLS() {
		bad("%s=%s: TLS is required: set --tls-cert and --tls-key (VIGIL_TLS_CERT, VIGIL_TLS_KEY)", EnvVar, Production)
	} else if err == nil && !loopback && !s.TLS() {
		warnings = append(warnings, fmt.Sprintf("--addr %s is reachable from other hosts and TLS is off: API keys and data cross the network in clear", s.Addr))
	}
	return warnings, errors.Join(errs...)
}

// checkAddr parses a listen address and reports whether it is on a loopback interface only.
// A host name other than "localhost" counts as non-loopback, as does an empty host (every
// interface).
func checkAddr(addr string) (loopback bool, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("--addr %q: want host:port", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return false, fmt.Errorf("--addr %q: port must be a number from 0 to 65535", addr)
	}
	return IsLoopback(host), nil
}

// IsLoopback reports whether host names a loopback interface: "localhost" or a loopback IP.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// TLSConfig returns the server's TLS configuration: TLS 1.3 only, the certificate of
// --tls-cert and --tls-key, and with --tls-client-ca, client certificates required and
// verified against that bundle. It returns nil and no error when no certificate is
// configured. It fails when a file cannot be read or holds no usable certificate or key.
func (s *Serve) TLSConfig() (*tls.Config, error) {
	if !s.TLS() {
		if s.TLSClientCA != "" {
			return nil, errors.New("--tls-client-ca needs TLS: set --tls-cert and --tls-key")
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert, --tls-key: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
	if s.TLSClientCA != "" {
		pem, err := os.ReadFile(filepath.Clean(s.TLSClientCA))
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-client-ca: %s holds no PEM certificate", s.TLSClientCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// RequireKeys refuses to serve in Production when no API key is active (activeKeys is the
// number of keys neither revoked nor expired): every endpoint but health would refuse every
// request. In Development it returns nil; the caller may warn.
func RequireKeys(env string, activeKeys int) error {
	if env == Production && activeKeys <= 0 {
		return fmt.Errorf("%s=%s: no active API key: create one with vigil keys create --role admin (and a scorer key for clients)",
			EnvVar, Production)
	}
	return nil
}

// syncFlag is the flag.Value of a memory.SyncPolicy.
type syncFlag struct{ p *memory.SyncPolicy }

func (f syncFlag) String() string {
	if f.p == nil {
		return memory.SyncInterval.String()
	}
	return f.p.String()
}

func (f syncFlag) Set(s string) error {
	p, err := memory.ParseSyncPolicy(s)
	if err != nil {
		return err
	}
	*f.p = p
	return nil
}
