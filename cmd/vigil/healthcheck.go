package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-fraud/vigil/internal/config"
)

func init() {
	register(command{
		name:    "healthcheck",
		summary: "check a running server's /healthz (exit 0 when healthy; for container health checks)",
		run:     runHealthcheck,
	})
}

const healthcheckExample = `vigil healthcheck
vigil healthcheck --addr 127.0.0.1:8443 --tls-cert /etc/vigil/tls/cert.pem --timeout 2s`

func runHealthcheck(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "healthcheck", "[--addr HOST:PORT] [--tls] [--tls-cert FILE] [--timeout 3s]", healthcheckExample)
	addr := fs.String("addr", config.DefaultAddr, "the server's `host:port` (0.0.0.0 or [::] means this host)")
	useTLS := fs.Bool("tls", false, "use https (default: on when --tls-cert is set)")
	certFile := fs.String("tls-cert", "", "the server's certificate (PEM `file`, as serve's --tls-cert): trusted as is, so a self-signed or\ninternal certificate verifies, also on loopback; without it the system's CAs verify")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := config.BindEnv(fs, e.getenv); err != nil {
		fmt.Fprintf(e.stderr, "vigil healthcheck: %v\n", err)
		return errUsage
	}
	tlsSet := false
	fs.Visit(func(f *flag.Flag) { tlsSet = tlsSet || f.Name == "tls" })
	if !tlsSet && e.getenv("VIGIL_TLS") == "" && *certFile != "" {
		*useTLS = true
	}
	if *timeout <= 0 {
		fmt.Fprintln(e.stderr, "vigil healthcheck: --timeout must be positive")
		return errUsage
	}
	target, client, err := healthRequest(*addr, *useTLS, *certFile, *timeout)
	if err != nil {
		fmt.Fprintf(e.stderr, "vigil healthcheck: %v\n", err)
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %s: %w", target, unwrapURLError(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: %s answered %s", target, resp.Status)
	}
	fmt.Fprintf(e.stdout, "healthy: %s\n", target)
	return nil
}

// healthRequest returns the /healthz URL of addr and the client to ask it with. An
// unspecified host (0.0.0.0, [::], or none: the address a server listens on) is asked on
// loopback.
//
// With TLS the server's certificate is always verified. With certFile (the server's own
// certificate) the client trusts exactly the certificates in that file; when the host is
// loopback it checks the certificate against the first name the certificate holds, since a
// server's certificate names its public host, not 127.0.0.1. Without certFile, the system's
// CAs and the host name verify, as for any client. Skipping verification on loopback, the
// simpler choice, would let any local process that grabbed the port pass the check.
func healthRequest(addr string, useTLS bool, certFile string, timeout time.Duration) (string, *http.Client, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("--addr %q: want host:port", addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	scheme := "http"
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true, TLSHandshakeTimeout: timeout}
	if useTLS {
		scheme = "https"
		cfg := &tls.Config{MinVersion: tls.VersionTLS13, ServerName: host}
		if certFile != "" {
			pool, name, err := pinnedCertificate(certFile)
			if err != nil {
				return "", nil, err
			}
			cfg.RootCAs = pool
			if config.IsLoopback(host) {
				cfg.ServerName = name
			}
		}
		tr.TLSClientConfig = cfg
	}
	target := scheme + "://" + net.JoinHostPort(host, port) + "/healthz"
	return target, &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}

// pinnedCertificate reads a PEM certificate chain and returns a pool of its certificates and
// the first name (DNS, else IP address) of the first one.
func pinnedCertificate(file string) (*x509.CertPool, string, error) {
	b, err := os.ReadFile(filepath.Clean(file))
	if err != nil {
		return nil, "", fmt.Errorf("--tls-cert: %w", err)
	}
	pool := x509.NewCertPool()
	var leaf *x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, "", fmt.Errorf("--tls-cert %s: %w", file, err)
		}
		if leaf == nil {
			leaf = c
		}
		pool.AddCert(c)
	}
	switch {
	case leaf == nil:
		return nil, "", fmt.Errorf("--tls-cert %s: no PEM certificate", file)
	case len(leaf.DNSNames) > 0:
		return pool, leaf.DNSNames[0], nil
	case len(leaf.IPAddresses) > 0:
		return pool, leaf.IPAddresses[0].String(), nil
	}
	return nil, "", fmt.Errorf("--tls-cert %s: the certificate names no host (no DNS or IP subject alternative name)", file)
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
