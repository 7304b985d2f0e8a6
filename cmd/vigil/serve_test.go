package main

// This test drives the real `vigil serve` binary over real HTTP, as a payments team would:
// keys made with `vigil keys`, the documented errors for bad requests, and no acknowledged
// decision lost when the process is killed without warning.

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serveProc is a running `vigil serve`.
type serveProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
}

func startServe(t *testing.T, dir string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(vigilBin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VIGIL_ENV=development")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, stderr: new(bytes.Buffer)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if s := sc.Text(); strings.HasPrefix(s, "vigil serving on ") {
				line <- s
			}
		}
	}()
	select {
	case s := <-line:
		p.url = strings.Fields(strings.TrimPrefix(s, "vigil serving on "))[0]
	case <-time.After(60 * time.Second):
		t.Fatalf("vigil serve did not start:\n%s", p.stderr)
	}
	return p
}

type apiResult struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func call(t *testing.T, method, url, key, body string) apiResult {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := apiResult{status: resp.StatusCode, raw: string(raw), header: resp.Header}
	json.Unmarshal(raw, &r.body)
	return r
}

func errCode(r apiResult) string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func txnJSON(id string, amount float64) string {
	return fmt.Sprintf(`{"id": %q, "timestamp": "2026-11-24T12:00:00Z", "amount": %.2f, "currency": "EUR",
		"customer_id": "c-17", "terminal_id": "t-4", "card": "tok_9f2c", "channel": "ecommerce", "country": "FR"}`, id, amount)
}

// demoWithKeys trains a small model with `vigil demo` into dir/demo and creates one key of
// each role in dir/data, returning the keys in the order of roles.
func demoWithKeys(t *testing.T, dir string, roles ...string) []string {
	t.Helper()
	if r := sh(t, dir, "vigil demo --data-dir demo --customers 300 --terminals 600 --days 40 --no-serve"); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	keys := make([]string, len(roles))
	for i, role := range roles {
		r := sh(t, dir, "vigil keys create --data-dir data --role "+role)
		if r.code != 0 {
			t.Fatalf("keys create: %s", r.stderr)
		}
		keys[i] = lastLine(r.stdout)
	}
	return keys
}

func TestShellServe(t *testing.T) {
	dir := t.TempDir()
	var r shellResult
	keys := demoWithKeys(t, dir, "scorer", "analyst")
	scorer, analyst := keys[0], keys[1]
	if r := sh(t, dir, "vigil keys create --data-dir data --role admin --name ops-alice >/dev/null && vigil keys list --data-dir data"); r.code != 0 || !strings.Contains(r.stdout, "ops-alice") {
		t.Fatalf("a named key: %d %s %s", r.code, r.stdout, r.stderr)
	}

	s := startServe(t, dir, "--data-dir", "data", "--model", "demo/model.json")
	if r := call(t, "GET", s.url+"/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := call(t, "GET", s.url+"/readyz", "", ""); r.status != 200 {
		t.Fatalf("readyz %d %s", r.status, r.raw)
	}
	ok := call(t, "POST", s.url+"/v1/score", scorer, txnJSON("tx-1", 42.5))
	if ok.status != 200 || ok.body["decision_id"] == nil || ok.body["model_version"] == nil {
		t.Fatalf("score: %d %s", ok.status, ok.raw)
	}

	// The documented errors, and none of them leaves a decision behind.
	pan := strings.Replace(txnJSON("tx-pan", 10), "tok_9f2c", "4111111111111111", 1)
	for _, c := range []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"no key", "", txnJSON("tx-e1", 1), 401, "unauthenticated"},
		{"garbage key", "vgl_nope", txnJSON("tx-e2", 1), 401, "unauthenticated"},
		{"wrong role", analyst, txnJSON("tx-e3", 1), 403, "forbidden"},
		{"malformed", scorer, `{"id": "tx-e4",`, 400, "malformed"},
		{"missing fields", scorer, `{"id": "tx-e5"}`, 422, "invalid"},
		{"unknown field", scorer, strings.Replace(txnJSON("tx-e6", 1), `"currency"`, `"colour": "red", "currency"`, 1), 422, "invalid"},
		{"raw card number", scorer, pan, 422, "invalid"},
		{"oversized", scorer, `{"id": "` + strings.Repeat("x", 5<<20) + `"}`, 413, "too_large"},
	} {
		r := call(t, "POST", s.url+"/v1/score", c.key, c.body)
		if r.status != c.status || errCode(r) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.status, r.raw, c.status, c.code)
		}
		if strings.Contains(r.raw, "4111111111111111") {
			t.Errorf("%s: the response echoes the card number", c.name)
		}
	}
	if r := call(t, "GET", s.url+"/v1/decisions?limit=1000", analyst, ""); r.status != 200 || len(r.body["items"].([]any)) != 1 {
		t.Fatalf("after the refused requests there must be exactly one decision: %d %s", r.status, r.raw)
	}

	// Acknowledged decisions survive a kill -9: score concurrently, kill without warning
	// right after the last acknowledgement, restart, read every one back.
	var mu sync.Mutex
	acked := map[string]string{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 25 {
				id := fmt.Sprintf("k-%d-%d", w, i)
				r := call(t, "POST", s.url+"/v1/score", scorer, txnJSON(id, float64(5+i)))
				if r.status == 200 {
					mu.Lock()
					acked[id] = r.body["decision_id"].(string)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
	if len(acked) != 200 {
		t.Fatalf("%d of 200 acknowledged", len(acked))
	}
	s = startServe(t, dir, "--data-dir", "data")
	readBack(t, s, analyst, acked, "after kill -9")
	// The registry kept the model active across the restart, and a repeat is answered from
	// the store, not scored again.
	again := call(t, "POST", s.url+"/v1/score", scorer, txnJSON("tx-1", 42.5))
	if again.status != 200 || again.body["decision_id"] != ok.body["decision_id"] || again.body["replayed"] != true {
		t.Fatalf("repeat after restart: %d %s", again.status, again.raw)
	}
	// vigil explain recomputes a stored decision beside the running server.
	r = sh(t, dir, "vigil explain --data-dir data --json "+ok.body["decision_id"].(string))
	var x struct {
		Matches bool   `json:"matches"`
		ID      string `json:"decision_id"`
	}
	if r.code != 0 || json.Unmarshal([]byte(lastLine(r.stdout)), &x) != nil || !x.Matches || x.ID != ok.body["decision_id"] {
		t.Fatalf("explain: code %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := sh(t, dir, "vigil explain --data-dir data dec_nope"); r.code != 1 {
		t.Errorf("explain of an unknown decision: code %d", r.code)
	}
	// A clean stop (SIGTERM) exits 0.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("vigil serve after SIGTERM: %v\n%s", err, s.stderr)
	}
	if strings.Contains(s.stderr.String(), scorer) || strings.Contains(s.stderr.String(), "c-17") {
		t.Error("the server log holds a key or a raw customer id")
	}
	r = sh(t, dir, "vigil audit verify --data-dir data")
	if r.code != 0 {
		t.Fatalf("audit verify: %s %s", r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "rules.yaml")); err != nil {
		t.Errorf("the data directory's rules file was not created: %v", err)
	}
}

// serverCert writes a self-signed certificate for 127.0.0.1 and its key as PEM files.
func serverCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestShellServeTLS13Only(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := serverCert(t, dir)
	s := startServe(t, dir, "--data-dir", "data", "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(s.url, "https://") {
		t.Fatalf("served on %s", s.url)
	}
	get := func(maxVersion uint16) (*http.Response, error) {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: maxVersion}}}
		return c.Get(s.url + "/healthz")
	}
	resp, err := get(tls.VersionTLS13)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("TLS 1.3 client: %d, version %x", resp.StatusCode, resp.TLS.Version)
	}
	if _, err := get(tls.VersionTLS12); err == nil {
		t.Fatal("a TLS 1.2 client was served")
	}
	// Plain HTTP on the TLS port gets no API answer.
	if r, err := http.Get("http://" + strings.TrimPrefix(s.url, "https://") + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode == 200 {
			t.Fatal("plain HTTP was served on the TLS port")
		}
	}
	// The container's health check trusts the server's own certificate.
	addr := strings.TrimPrefix(s.url, "https://")
	if r := sh(t, dir, "vigil healthcheck --addr "+addr+" --tls-cert "+certFile); r.code != 0 {
		t.Fatalf("healthcheck over TLS: %d %s", r.code, r.stderr)
	}
}

// TestShellServeKillUnderLoad: kill -9 while requests are in flight, restart, and every
// decision acknowledged before the kill is there (the in-flight ones may or may not be: their
// callers were told nothing).
func TestShellServeKillUnderLoad(t *testing.T) {
	dir := t.TempDir()
	keys := demoWithKeys(t, dir, "scorer", "analyst")
	scorer, analyst := keys[0], keys[1]
	s := startServe(t, dir, "--data-dir", "data", "--model", "demo/model.json")
	client := &http.Client{Timeout: 30 * time.Second}
	// post scores one transaction; ok is false when no answer came (the server is gone).
	post := func(id string) (status int, decision string, ok bool) {
		req, err := http.NewRequest("POST", s.url+"/v1/score", strings.NewReader(txnJSON(id, 12.5)))
		if err != nil {
			return 0, "", false
		}
		req.Header.Set("Authorization", "Bearer "+scorer)
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", false
		}
		defer resp.Body.Close()
		var b struct {
			DecisionID string `json:"decision_id"`
		}
		if json.NewDecoder(resp.Body).Decode(&b) != nil {
			return resp.StatusCode, "", false // cut off mid-answer: not an acknowledgement
		}
		return resp.StatusCode, b.DecisionID, true
	}
	var (
		mu     sync.Mutex
		acked  = map[string]string{}
		killed = make(chan struct{})
		once   sync.Once
		wg     sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("load-%d-%d", w, i)
				status, dec, ok := post(id)
				if !ok {
					return
				}
				if status != 200 {
					t.Errorf("score %s: status %d", id, status)
					return
				}
				mu.Lock()
				acked[id] = dec
				n := len(acked)
				mu.Unlock()
				if n >= 400 {
					once.Do(func() {
						s.cmd.Process.Signal(syscall.SIGKILL) // the others are mid-request
						close(killed)
					})
				}
				select {
				case <-killed:
					return
				default:
				}
			}
		})
	}
	wg.Wait()
	s.cmd.Wait()
	if len(acked) < 400 {
		t.Fatalf("%d acknowledged before the kill", len(acked))
	}
	s = startServe(t, dir, "--data-dir", "data")
	readBack(t, s, analyst, acked, "after kill -9 under load")
}

// readBack reads every decision of acked (transaction id -> decision id) from s with the
// analyst key and fails the test at the first one missing or not of its transaction.
func readBack(t *testing.T, s *serveProc, analyst string, acked map[string]string, when string) {
	t.Helper()
	for id, dec := range acked {
		r := call(t, "GET", s.url+"/v1/decisions/"+dec, analyst, "")
		if r.status != 200 || r.body["transaction_id"] != id {
			t.Fatalf("acknowledged decision %s of %s lost %s: %d %s", dec, id, when, r.status, r.raw)
		}
	}
}

// TestShellServeStartupErrors: a server that cannot start says why on stderr and exits 1,
// never with a panic (the cleanup of a half-built server once met a nil server).
func TestShellServeStartupErrors(t *testing.T) {
	dir := t.TempDir()
	if r := sh(t, dir, "vigil keys create --data-dir data --role admin"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, c := range []struct{ args, want string }{
		{"--addr 127.0.0.1:0 --rules missing.yaml", "missing.yaml"},
		{"--addr " + ln.Addr().String(), "address already in use"},
	} {
		r := sh(t, dir, "vigil serve --data-dir data "+c.args)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "panic") {
			t.Errorf("serve %s: code %d, want 1 and %q; stderr:\n%s", c.args, r.code, c.want, r.stderr)
		}
	}
}
