package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
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
vigil healthcheck --addr 127.0.0.1:8443 --tls --timeout 2s`

func runHealthcheck(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "healthcheck", "[--addr HOST:PORT] [--tls] [--timeout 3s]", healthcheckExample)
	addr := fs.String("addr", config.DefaultAddr, "the server's `host:port` (0.0.0.0 or [::] means this host)")
	useTLS := fs.Bool("tls", false, "use https (default: on when VIGIL_TLS_CERT is set); the certificate is verified unless the host is loopback")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := config.BindEnv(fs, e.getenv); err != nil {
		fmt.Fprintf(e.stderr, "vigil healthcheck: %v\n", err)
		return errUsage
	}
	tlsGiven := false
	fs.Visit(func(f *flag.Flag) { tlsGiven = tlsGiven || f.Name == "tls" })
	if !tlsGiven && e.getenv("VIGIL_TLS") == "" && (e.getenv("VIGIL_TLS_CERT") != "") {
		*useTLS = true
	}
	if *timeout <= 0 {
		fmt.Fprintln(e.stderr, "vigil healthcheck: --timeout must be positive")
		return errUsage
	}
	target, client, err := healthRequest(*addr, *useTLS, *timeout)
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
// loopback. With TLS the server's certificate is verified, except on a loopback host: there the
// check asks this host itself, whose certificate usually names the public host name, not
// 127.0.0.1, and no one else can answer on loopback.
func healthRequest(addr string, useTLS bool, timeout time.Duration) (string, *http.Client, error) {
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
		cfg := &tls.Config{MinVersion: tls.VersionTLS13}
		if config.IsLoopback(host) {
			cfg.InsecureSkipVerify = true
		}
		tr.TLSClientConfig = cfg
	}
	target := scheme + "://" + net.JoinHostPort(host, port) + "/healthz"
	return target, &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
