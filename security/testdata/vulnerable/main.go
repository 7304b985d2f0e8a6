// Command vulnerable is a fixture for security/security-scan.sh: every weakness in it, and in
// the Dockerfile, insecure.tf and copyleft/ beside it, is planted on purpose, so that the
// scanner's own test can prove each one is found. It is its own module under testdata/, so it
// is never built into vigil and the project's scans skip it.
// The key below is fake: it was made up for this fixture and grants access to nothing.
package main

import (
	"fmt"
	"math/rand"
	"net/http"
	"os/exec"
	"time"

	"example.com/copyleft"
	"golang.org/x/text/language"
)

// Planted: a hardcoded cloud credential (gosec G101, gitleaks aws-access-token).
const awsAccessKeyID = "AKIAZ7QK4WMN2XJ5VBLP"

// newSessionToken plants a security token drawn from math/rand (gosec G404).
func newSessionToken() string {
	return fmt.Sprintf("%016x", rand.Int63())
}

// ping plants a shell injection: user input concatenated into `sh -c` (gosec G204, G702).
func ping(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("host")
	out, err := exec.Command("sh", "-c", "ping -c 1 "+host).CombinedOutput()
	if err != nil {
		http.Error(w, "ping failed", http.StatusBadGateway)
		return
	}
	_, _ = w.Write(out)
}

// Planted: a GPL-3.0 dependency (licence check) and golang.org/x/text v0.3.5, whose
// language.Parse has known vulnerabilities (govulncheck GO-2021-0113, GO-2022-1059).
func greet(lang string) string {
	tag, err := language.Parse(lang)
	if err != nil {
		return copyleft.Greeting()
	}
	return copyleft.Greeting() + " " + tag.String()
}

func main() {
	fmt.Println(greet("en"))
	http.HandleFunc("/ping", ping)
	fmt.Println("token", newSessionToken(), "key", awsAccessKeyID)
	srv := &http.Server{Addr: "127.0.0.1:8080", ReadHeaderTimeout: 5 * time.Second}
	_ = srv.ListenAndServe()
}
