package api

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

type erasureRequest struct {
	CustomerID string `json:"customer_id"`
}

type erasureJSON struct {
	Reference           string `json:"reference"`
	TransactionsRemoved int64  `json:"transactions_removed"`
	StateErased         bool   `json:"state_erased"`
}

// erase removes one customer's data (GDPR): every stored transaction with its decisions,
// labels and cases, and, with Options.EraseState, the customer's feature history. The
// customer id is taken raw and pseudonymised as scoring did; it is never logged nor
// audited: the audit entry's target is a random reference, returned to the caller for
// their records. Erasure is idempotent, so a failed one may be retried.
func (s *Server) erase(w http.ResponseWriter, r *http.Request) error {
	var req erasureRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if !fraud.IsIdentifier(req.CustomerID) {
		return invalid("customer_id", "required: 1-128 printable characters without spaces")
	}
	pseudonym := s.o.Pseudonymizer.Pseudonym(req.CustomerID)
	out := erasureJSON{Reference: newErasureRef()}
	var stateErr error
	// With no decision of the customer between its save and its feature-state update, so
	// that none puts the erased history back.
	err := s.o.Pipeline.EraseCustomer(pseudonym, func() error {
		n, err := s.o.Store.EraseCustomer(r.Context(), pseudonym)
		if err != nil {
			return err
		}
		out.TransactionsRemoved = n
		if s.o.EraseState != nil {
			stateErr = s.o.EraseState(r.Context(), pseudonym)
			out.StateErased = stateErr == nil
		}
		return nil
	})
	if err != nil {
		return err
	}
	n := out.TransactionsRemoved
	s.record(r, audit.ActionCustomerErase, out.Reference, map[string]any{"transactions": n,
		"state_erased": out.StateErased})
	if stateErr != nil {
		return stateErr // the store part is done and audited; a retry finishes the state
	}
	return writeJSON(w, http.StatusOK, out)
}

func newErasureRef() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "era_" + hex.EncodeToString(b[:])
}
