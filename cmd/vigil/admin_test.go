package main

// Shell tests of the administration commands (keys, audit verify, erase) on a real data
// directory, and in-process tests of healthcheck against httptest servers.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/state/memory"
	"github.com/vigil-fraud/vigil/internal/store/sqlite"
)

var keyPattern = regexp.MustCompile(`^vgl_[a-z2-7]{16}_[a-z2-7]{58}$`)

// filesContaining returns the files under dir whose bytes contain b.
func filesContaining(t *testing.T, dir string, b []byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, b) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// auditRow is one row of the audit_log table, read directly.
type auditRow struct {
	Seq                           int64
	Actor, Action, Target, Detail string
}

// openDB opens the data directory's SQLite file directly, as an auditor (or an attacker) would.
func openDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func auditRows(t *testing.T, dir string) []auditRow {
	t.Helper()
	rows, err := openDB(t, dir).Query("SELECT seq, actor, action, target, details FROM audit_log ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var r auditRow
		if err := rows.Scan(&r.Seq, &r.Actor, &r.Action, &r.Target, &r.Detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestShellKeys(t *testing.T) {
	dir := t.TempDir()
	r := sh(t, dir, "vigil keys create --data-dir d --role scorer --expires 30d")
	if r.code != 0 {
		t.Fatalf("keys create: code %d\n%s", r.code, r.stderr)
	}
	key := lastLine(r.stdout)
	if !keyPattern.MatchString(key) || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("stdout must be the key alone: %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "development keys") || !strings.Contains(r.stderr, "shown once") {
		t.Errorf("stderr lacks the development warning or the note: %s", r.stderr)
	}
	if strings.Contains(r.stderr, key) {
		t.Fatalf("the key is on stderr too")
	}

	// --json, and every flag from the environment.
	r = sh(t, dir, "VIGIL_DATA_DIR=d VIGIL_ROLE=admin vigil keys create --json")
	var created struct {
		Key, ID, Role string
		ExpiresAt     time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &created); err != nil || r.code != 0 {
		t.Fatalf("keys create --json: %q (%v) code %d %s", r.stdout, err, r.code, r.stderr)
	}
	if !keyPattern.MatchString(created.Key) || created.Role != "admin" || !strings.Contains(created.Key, created.ID) {
		t.Fatalf("keys create --json: %+v", created)
	}
	if d := time.Until(created.ExpiresAt); d < 89*24*time.Hour || d > 90*24*time.Hour {
		t.Errorf("default expiry in %v, want 90 days", d)
	}

	// Only the hash is stored: neither key appears in any file; the first key's hash does.
	for _, k := range []string{key, created.Key} {
		if files := filesContaining(t, filepath.Join(dir, "d"), []byte(k)); len(files) != 0 {
			t.Fatalf("a key is stored in clear in %v", files)
		}
	}
	sum := sha256.Sum256([]byte(key))
	if files := filesContaining(t, filepath.Join(dir, "d"), sum[:]); len(files) == 0 {
		t.Errorf("the key's SHA-256 is in no file: is it stored at all?")
	}

	// list
	r = sh(t, dir, "vigil keys list --data-dir d")
	if r.code != 0 || strings.Count(r.stdout, "active") != 2 || !strings.Contains(r.stdout, created.ID) || !strings.Contains(r.stdout, "scorer") {
		t.Fatalf("keys list: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	firstID := strings.Split(strings.TrimPrefix(key, "vgl_"), "_")[0]

	// revoke, twice
	r = sh(t, dir, "vigil keys revoke "+firstID+" --data-dir d && vigil keys revoke --data-dir d "+firstID)
	if r.code != 0 || !strings.Contains(r.stdout, "revoked key "+firstID) || !strings.Contains(r.stdout, "already revoked") {
		t.Fatalf("keys revoke: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = sh(t, dir, "vigil keys revoke nosuchkey --data-dir d")
	if r.code != 1 || !strings.Contains(r.stderr, "no API key") {
		t.Errorf("revoke an unknown key: code %d %s", r.code, r.stderr)
	}

	// rotate
	r = sh(t, dir, "vigil keys rotate "+created.ID+" --data-dir d --expires 12h")
	rotated := lastLine(r.stdout)
	if r.code != 0 || !keyPattern.MatchString(rotated) || rotated == created.Key {
		t.Fatalf("keys rotate: code %d %q\n%s", r.code, r.stdout, r.stderr)
	}
	r = sh(t, dir, "vigil keys rotate "+created.ID+" --data-dir d")
	if r.code != 1 || !strings.Contains(r.stderr, "revoked") {
		t.Errorf("rotate a revoked key: code %d %s", r.code, r.stderr)
	}

	// list --json: three keys, statuses, never a hash.
	r = sh(t, dir, "vigil keys list --data-dir d --json")
	if strings.Contains(strings.ToLower(r.stdout), "hash") {
		t.Fatalf("keys list --json shows a hash: %s", r.stdout)
	}
	var listed struct {
		Keys []struct {
			ID, Role, Status string
		}
	}
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &listed); err != nil || len(listed.Keys) != 3 {
		t.Fatalf("keys list --json: %q (%v)", r.stdout, err)
	}
	status := map[string]string{}
	for _, k := range listed.Keys {
		status[k.ID] = k.Status
	}
	newID := strings.Split(strings.TrimPrefix(rotated, "vgl_"), "_")[0]
	if status[firstID] != "revoked" || status[created.ID] != "revoked" || status[newID] != "active" {
		t.Fatalf("statuses %v", status)
	}

	// Every change is audited, by the OS user, without a secret.
	rows := auditRows(t, filepath.Join(dir, "d"))
	var actions []string
	for _, row := range rows {
		actions = append(actions, row.Action)
		if !strings.HasPrefix(row.Actor, "cli:") {
			t.Errorf("entry %d actor %q", row.Seq, row.Actor)
		}
		for _, k := range []string{key, created.Key, rotated} {
			if strings.Contains(row.Target+row.Detail, k) || strings.Contains(row.Target+row.Detail, strings.SplitN(k, "_", 3)[2]) {
				t.Errorf("entry %d holds a key", row.Seq)
			}
		}
	}
	if got := strings.Join(actions, " "); got != "key.create key.create key.revoke key.rotate" {
		t.Errorf("audited actions %q", got)
	}

	// Usage errors exit 2 and change nothing.
	for _, args := range []string{"create --data-dir d --role root", "create --data-dir d --role scorer --expires never",
		"create --data-dir d --role scorer --expires 5y", "revoke --data-dir d", "frob"} {
		if r := sh(t, dir, "vigil keys "+args); r.code != 2 {
			t.Errorf("keys %s: code %d, want 2 (%s)", args, r.code, r.stderr)
		}
	}
	if r := sh(t, dir, "VIGIL_EXPIRES=soon vigil keys create --data-dir d --role scorer"); r.code != 2 || !strings.Contains(r.stderr, "expiry") {
		t.Errorf("bad VIGIL_EXPIRES: code %d %s", r.code, r.stderr)
	}
	if n := len(auditRows(t, filepath.Join(dir, "d"))); n != 4 {
		t.Errorf("usage errors wrote audit entries: %d", n)
	}
}

func TestShellKeysProductionRefusesMissingKeys(t *testing.T) {
	dir := t.TempDir()
	r := sh(t, dir, "VIGIL_ENV=production vigil keys create --data-dir d --role admin")
	if r.code != 1 || !strings.Contains(r.stderr, "VIGIL_PSEUDONYM_KEY") || r.stdout != "" {
		t.Fatalf("production without keys: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "d", "dev-secrets.json")); err == nil {
		t.Fatal("production wrote dev-secrets.json")
	}
	r = sh(t, dir, `VIGIL_ENV=production VIGIL_PSEUDONYM_KEY=$(head -c 32 /dev/urandom | base64) VIGIL_DATA_KEY=$(head -c 32 /dev/urandom | base64) \
vigil keys create --data-dir d --role admin`)
	if r.code != 0 || !keyPattern.MatchString(lastLine(r.stdout)) || strings.Contains(r.stderr, "development keys") {
		t.Fatalf("production with keys: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestShellAuditVerify(t *testing.T) {
	dir := t.TempDir()
	// A missing store fails the check (a wrong path, an unmounted volume) and makes nothing.
	r := sh(t, dir, "vigil audit verify --data-dir d")
	if r.code != 1 || !strings.Contains(r.stderr, "no vigil store") {
		t.Fatalf("verify a missing store: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "d", "vigil.db")); err == nil {
		t.Fatal("verify made a store")
	}
	r = sh(t, dir, "vigil keys list --data-dir d >/dev/null && vigil audit verify --data-dir d")
	if r.code != 0 || !strings.Contains(r.stdout, "empty") {
		t.Fatalf("verify an empty log: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = sh(t, dir, `for role in scorer analyst admin; do vigil keys create --data-dir d --role $role >/dev/null 2>&1 || exit 1; done
vigil audit verify --data-dir d`)
	if r.code != 0 || !strings.Contains(r.stdout, "3 entries") || !strings.Contains(r.stdout, "head 3:") {
		t.Fatalf("verify: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	head := strings.TrimPrefix(lastLine(r.stdout), "head ")
	r = sh(t, dir, "vigil audit verify --data-dir d --json --expect-head "+head)
	var ok auditVerifyResult
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &ok); err != nil || r.code != 0 || !ok.OK || ok.Entries != 3 || ok.Head != head {
		t.Fatalf("verify --json: %q (%v) code %d %s", r.stdout, err, r.code, r.stderr)
	}

	// Flip one byte of entry 2's details, as someone with write access to the file could
	// (the append-only triggers are theirs to drop).
	db := openDB(t, filepath.Join(dir, "d"))
	var details string
	if err := db.QueryRow("SELECT details FROM audit_log WHERE seq = 2").Scan(&details); err != nil {
		t.Fatal(err)
	}
	b := []byte(details)
	i := bytes.Index(b, []byte("analyst"))
	if i < 0 {
		t.Fatalf("entry 2 details %q", details)
	}
	b[i] ^= 0x20 // "analyst" -> "Analyst"
	if _, err := db.Exec("DROP TRIGGER audit_log_no_update"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE audit_log SET details = ? WHERE seq = 2", string(b)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	r = sh(t, dir, "vigil audit verify --data-dir d")
	if r.code != 1 || !strings.Contains(r.stderr, "entry 2") || !strings.Contains(r.stderr, "hash does not match") {
		t.Fatalf("verify a tampered log: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = sh(t, dir, "vigil audit verify --data-dir d --json")
	var broken auditVerifyResult
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &broken); err != nil || r.code != 1 || broken.OK || broken.BrokenSeq != 2 {
		t.Fatalf("verify --json a tampered log: %q (%v) code %d", r.stdout, err, r.code)
	}
	if r := sh(t, dir, "vigil audit verify --data-dir d --expect-head nonsense"); r.code != 2 {
		t.Errorf("bad --expect-head: code %d", r.code)
	}
}

// seedCustomer stores n decisions of customer (pseudonymised with the data directory's
// development keys, as serve would) and observes them in the feature state.
func seedCustomer(t *testing.T, dir, customer string, n int, first int) {
	t.Helper()
	ctx := context.Background()
	secrets, err := config.LoadSecrets(func(string) string { return "" }, config.Development, dir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dir, "vigil.db"), Sealer: secrets.Sealer})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	state, err := memory.Open(memory.Options{Dir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	defer state.Close()
	now := time.Now().UTC()
	for i := range n {
		id := customer + "-tx-" + string(rune('a'+first+i))
		tx := fraud.Transaction{ID: id, Timestamp: now, Amount: 12.5, Currency: "EUR", CustomerID: customer,
			TerminalID: "T-1", Card: "tok_card_1"}
		secrets.Pseudonymizer.Apply(&tx)
		d := fraud.Decision{ID: "dec-" + id, TransactionID: id, Outcome: fraud.Approve, Score: 0.1,
			ModelVersion: "m1", RulesVersion: "r1", CreatedAt: now}
		if err := store.SaveDecision(ctx, &tx, &d); err != nil {
			t.Fatal(err)
		}
		if err := state.Observe(ctx, &tx); err != nil {
			t.Fatal(err)
		}
	}
}

// customerData returns how many decisions the store and whether the state hold for customer.
func customerData(t *testing.T, dir, customer string) (decisions int, history bool) {
	t.Helper()
	ctx := context.Background()
	secrets, err := config.LoadSecrets(func(string) string { return "" }, config.Development, dir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dir, "vigil.db"), Sealer: secrets.Sealer})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p := secrets.Pseudonymizer.Pseudonym(customer)
	page, err := store.Decisions(ctx, fraud.DecisionFilter{CustomerID: p})
	if err != nil {
		t.Fatal(err)
	}
	state, err := memory.Open(memory.Options{Dir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	defer state.Close()
	state.RLock()
	history = state.Customer(p) != nil
	state.RUnlock()
	return len(page.Items), history
}

func TestShellErase(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "d")
	if r := sh(t, dir, "vigil keys create --data-dir d --role admin"); r.code != 0 { // makes the data directory and its keys
		t.Fatalf("keys create: %s", r.stderr)
	}
	seedCustomer(t, d, "C-777", 3, 0)
	seedCustomer(t, d, "C-888", 2, 0)
	if n, h := customerData(t, d, "C-777"); n != 3 || !h {
		t.Fatalf("seeded: %d decisions, history %v", n, h)
	}

	// Refused while a server holds the feature state: nothing changes.
	held, err := memory.Open(memory.Options{Dir: filepath.Join(d, "state")})
	if err != nil {
		t.Fatal(err)
	}
	r := sh(t, dir, "vigil erase --customer C-777 --data-dir d")
	held.Close()
	if r.code != 1 || !strings.Contains(r.stderr, "running server") || !strings.Contains(r.stderr, "admin API") {
		t.Fatalf("erase while locked: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n, h := customerData(t, d, "C-777"); n != 3 || !h {
		t.Fatalf("a refused erase changed data: %d decisions, history %v", n, h)
	}

	// A reference holding the customer id is refused.
	if r := sh(t, dir, "vigil erase --customer C-777 --data-dir d --reference DSR-C-777"); r.code != 2 {
		t.Errorf("reference with the id: code %d %s", r.code, r.stderr)
	}

	r = sh(t, dir, "vigil erase --customer C-777 --data-dir d --reference DSR-2026-0117")
	if r.code != 0 || !strings.Contains(r.stdout, "3 transactions") || !strings.Contains(r.stdout, "feature history: removed") {
		t.Fatalf("erase: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n, h := customerData(t, d, "C-777"); n != 0 || h {
		t.Fatalf("after erase: %d decisions, history %v", n, h)
	}
	if n, h := customerData(t, d, "C-888"); n != 2 || !h {
		t.Fatalf("another customer's data went too: %d decisions, history %v", n, h)
	}

	// Again, with a generated reference: nothing left, still audited.
	r = sh(t, dir, "vigil erase --customer C-777 --data-dir d --json")
	var res struct {
		Reference      string
		Transactions   int
		FeatureHistory bool `json:"feature_history"`
	}
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &res); err != nil || r.code != 0 ||
		!strings.HasPrefix(res.Reference, "erasure-") || res.Transactions != 0 || res.FeatureHistory {
		t.Fatalf("erase again --json: %q (%v) code %d %s", r.stdout, err, r.code, r.stderr)
	}

	secrets, err := config.LoadSecrets(func(string) string { return "" }, config.Development, d)
	if err != nil {
		t.Fatal(err)
	}
	pseudonym := secrets.Pseudonymizer.Pseudonym("C-777")
	rows := auditRows(t, d)
	if len(rows) != 3 || rows[1].Action != "customer.erase" || rows[1].Target != "DSR-2026-0117" ||
		!strings.Contains(rows[1].Detail, `"transactions":3`) || rows[2].Target != res.Reference {
		t.Fatalf("audit rows %+v", rows)
	}
	for _, row := range rows {
		for _, s := range []string{"C-777", pseudonym} {
			if strings.Contains(row.Target+row.Detail+row.Actor, s) {
				t.Fatalf("the audit log keeps the customer: %+v", row)
			}
		}
	}
	if files := filesContaining(t, filepath.Join(d, "state"), []byte(pseudonym)); len(files) != 0 {
		t.Fatalf("the feature state's files still hold the pseudonym: %v", files)
	}
	if r := sh(t, dir, "vigil audit verify --data-dir d"); r.code != 0 {
		t.Fatalf("verify after erase: %s", r.stderr)
	}
	if r := sh(t, dir, "vigil erase --data-dir d"); r.code != 2 {
		t.Errorf("erase without --customer: code %d", r.code)
	}
	if r := sh(t, dir, "vigil erase --customer x --data-dir nowhere"); r.code != 1 || !strings.Contains(r.stderr, "no data directory") {
		t.Errorf("erase in a missing directory: code %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Errorf("erase created a missing data directory")
	}
}

// healthcheck runs vigil healthcheck in-process.
func healthcheck(t *testing.T, getenv map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{stdout: &out, stderr: &errb, getenv: func(k string) string { return getenv[k] }}
	code = run(context.Background(), e, append([]string{"healthcheck"}, args...))
	return code, out.String(), errb.String()
}

func TestHealthcheck(t *testing.T) {
	healthy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok"))
	})
	plain := httptest.NewServer(healthy)
	defer plain.Close()
	secure := httptest.NewUnstartedServer(healthy)
	secure.StartTLS()
	defer secure.Close()
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "draining", http.StatusServiceUnavailable)
	}))
	defer sick.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	_, plainPort, _ := net.SplitHostPort(plain.Listener.Addr().String())
	// The TLS server's own certificate (httptest's, for example.com and 127.0.0.1), and another.
	dir := t.TempDir()
	pinned, other := filepath.Join(dir, "server.pem"), filepath.Join(dir, "other.pem")
	os.WriteFile(pinned, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw}), 0o600)
	os.WriteFile(other, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfSigned(t)}), 0o600)

	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		code    int
		wantOut string
	}{
		{name: "healthy", args: []string{"--addr", plain.Listener.Addr().String()}, code: 0, wantOut: "healthy"},
		{name: "address from VIGIL_ADDR, unspecified host", env: map[string]string{"VIGIL_ADDR": "0.0.0.0:" + plainPort}, code: 0, wantOut: "healthy"},
		{name: "TLS on loopback with the server's certificate", args: []string{"--addr", secure.Listener.Addr().String(), "--tls-cert", pinned},
			code: 0, wantOut: "https://"},
		{name: "TLS because VIGIL_TLS_CERT is set", env: map[string]string{"VIGIL_TLS_CERT": pinned},
			args: []string{"--addr", secure.Listener.Addr().String()}, code: 0, wantOut: "https://"},
		{name: "TLS on loopback without the certificate is verified too", args: []string{"--addr", secure.Listener.Addr().String(), "--tls"},
			code: 1, wantOut: "certificate"},
		{name: "TLS with another certificate", args: []string{"--addr", secure.Listener.Addr().String(), "--tls-cert", other},
			code: 1, wantOut: "certificate"},
		{name: "plain HTTP to a TLS server", args: []string{"--addr", secure.Listener.Addr().String(), "--tls=false"}, code: 1, wantOut: "unhealthy"},
		{name: "503", args: []string{"--addr", sick.Listener.Addr().String()}, code: 1, wantOut: "503"},
		{name: "nothing listening", args: []string{"--addr", closedAddr, "--timeout", "1s"}, code: 1, wantOut: "unhealthy"},
		{name: "bad address", args: []string{"--addr", "nope"}, code: 2, wantOut: "host:port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := healthcheck(t, tc.env, tc.args...)
			if code != tc.code || !strings.Contains(stdout+stderr, tc.wantOut) {
				t.Fatalf("code %d, want %d; output %q, want %q", code, tc.code, stdout+stderr, tc.wantOut)
			}
			if code == 1 && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("want a one-line reason, got %q", stderr)
			}
		})
	}
}

func TestHealthRequestAlwaysVerifies(t *testing.T) {
	dir := t.TempDir()
	pinned := filepath.Join(dir, "server.pem")
	os.WriteFile(pinned, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfSigned(t)}), 0o600)
	for _, tc := range []struct {
		addr, cert, url, serverName string
	}{
		{"127.0.0.1:8443", "", "https://127.0.0.1:8443/healthz", "127.0.0.1"},
		{"0.0.0.0:8443", "", "https://127.0.0.1:8443/healthz", "127.0.0.1"},
		{"[::]:8443", "", "https://[::1]:8443/healthz", "::1"},
		{":8443", pinned, "https://127.0.0.1:8443/healthz", "vigil.example.com"},
		{"localhost:8443", pinned, "https://localhost:8443/healthz", "vigil.example.com"},
		{"vigil.example.com:443", "", "https://vigil.example.com:443/healthz", "vigil.example.com"},
		{"10.0.0.7:8443", pinned, "https://10.0.0.7:8443/healthz", "10.0.0.7"},
	} {
		u, c, err := healthRequest(tc.addr, true, tc.cert, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		cfg := c.Transport.(*http.Transport).TLSClientConfig
		if u != tc.url || cfg.ServerName != tc.serverName || cfg.InsecureSkipVerify || (tc.cert != "") != (cfg.RootCAs != nil) {
			t.Errorf("%s: %s, server name %q, skip %v; want %s, %q", tc.addr, u, cfg.ServerName, cfg.InsecureSkipVerify, tc.url, tc.serverName)
		}
	}
	if _, _, err := healthRequest("127.0.0.1:1", true, filepath.Join(dir, "missing.pem"), time.Second); err == nil {
		t.Error("a missing --tls-cert file is accepted")
	}
}

// selfSigned returns a self-signed certificate for vigil.example.com, DER-encoded.
func selfSigned(t *testing.T) []byte {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "vigil.example.com"},
		DNSNames: []string{"vigil.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
