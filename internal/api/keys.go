package api

import (
	"net/http"
	"time"

	"github.com/vigil-fraud/vigil/internal/apikey"
	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

// newKeyJSON is a key just made: the only answer that ever holds its secret.
type newKeyJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name,omitempty"`
	Role      fraud.Role `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	Secret    string     `json:"secret"`
}

type keyJSON struct {
	apikey.Info
	Status string `json:"status"`
}

type createKeyRequest struct {
	Role    fraud.Role `json:"role"`
	Expires string     `json:"expires"`
	Name    string     `json:"name"`
}

type rotateKeyRequest struct {
	Expires string `json:"expires"`
}

// expiry reads an optional lifetime ("90d", "12h", "30m"), apikey.DefaultExpiry when empty.
func expiry(s string) (time.Duration, error) {
	if s == "" {
		return apikey.DefaultExpiry, nil
	}
	d, err := apikey.ParseExpiry(s)
	if err != nil {
		return 0, invalid("expires", "a whole number of days, hours or minutes (90d, 12h, 30m), at most 730d")
	}
	return d, nil
}

// createKey makes a key; the answer holds its secret, shown this once.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var req createKeyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if !req.Role.Valid() {
		return invalid("role", "must be scorer, analyst or admin")
	}
	if !apikey.ValidName(req.Name) {
		return invalid("name", "at most 64 printable characters")
	}
	if fraud.ContainsCardNumber(req.Name) {
		return invalid("name", fraud.ReasonCardInText)
	}
	d, err := expiry(req.Expires)
	if err != nil {
		return err
	}
	secret, k, err := s.o.Keys.CreateNamed(r.Context(), req.Role, req.Name, d)
	if err != nil {
		return err
	}
	s.record(r, audit.ActionKeyCreate, k.ID, map[string]any{"role": k.Role, "name": k.Name, "expires_at": k.ExpiresAt})
	return writeJSON(w, http.StatusCreated, newKeyJSON{ID: k.ID, Name: k.Name, Role: k.Role, CreatedAt: k.CreatedAt,
		ExpiresAt: k.ExpiresAt, Secret: secret})
}

// listKeys lists every key with its status; never a hash or a secret.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	infos, err := s.o.Keys.List(r.Context())
	if err != nil {
		return err
	}
	now := s.o.Now()
	out := struct {
		Items []keyJSON `json:"items"`
	}{Items: make([]keyJSON, len(infos))}
	for i, info := range infos {
		out.Items[i] = keyJSON{Info: info, Status: info.Status(now)}
	}
	return writeJSON(w, http.StatusOK, out)
}

// revokeKey revokes a key at once. Revoking a revoked key changes nothing.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.o.Keys.Revoke(r.Context(), id); err != nil {
		return err
	}
	s.record(r, audit.ActionKeyRevoke, id, nil)
	return writeJSON(w, http.StatusOK, struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}{ID: id, Status: "revoked"})
}

// rotateKey replaces a key with a new one of the same role and revokes the old one at
// once; the answer holds the new secret, shown this once. The body is optional.
func (s *Server) rotateKey(w http.ResponseWriter, r *http.Request) error {
	var req rotateKeyRequest
	body, _, err := readBody(r, "application/json")
	if err != nil {
		return err
	}
	if len(body) > 0 {
		if err := unmarshalStrict(body, &req); err != nil {
			return err
		}
	}
	d, err := expiry(req.Expires)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	secret, k, err := s.o.Keys.Rotate(r.Context(), id, d)
	if err != nil {
		if errorIsConflict(err) {
			return &httpError{status: http.StatusConflict, code: codeConflict,
				message: "the key is revoked: create a new key instead"}
		}
		return err
	}
	s.record(r, audit.ActionKeyRotate, id, map[string]any{"new_key_id": k.ID})
	return writeJSON(w, http.StatusCreated, newKeyJSON{ID: k.ID, Name: k.Name, Role: k.Role, CreatedAt: k.CreatedAt,
		ExpiresAt: k.ExpiresAt, Secret: secret})
}
