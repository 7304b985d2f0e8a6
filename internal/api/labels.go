package api

import (
	"net/http"
	"time"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

type labelRequest struct {
	TransactionID string `json:"transaction_id"`
	Fraud         *bool  `json:"fraud"`
	Source        string `json:"source"`
}

// createLabel labels a scored transaction fraud or genuine; the label reaches the store
// and the feature state (score.Pipeline.Label).
func (s *Server) createLabel(w http.ResponseWriter, r *http.Request) error {
	var req labelRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var verr fraud.ValidationError
	if req.TransactionID == "" {
		verr.Add("transaction_id", "required")
	}
	if req.Fraud == nil {
		verr.Add("fraud", "required (true or false)")
	}
	if err := verr.Err(); err != nil {
		return err
	}
	l := fraud.Label{TransactionID: req.TransactionID, Fraud: *req.Fraud, Source: req.Source, LabelledAt: s.o.Now().UTC()}
	if l.Source == "" {
		l.Source = "api"
	}
	cur, replayed, err := s.o.Pipeline.Label(r.Context(), l)
	if err != nil {
		return err
	}
	if replayed {
		// The transaction already carries this label: nothing changed, nothing to audit.
		return writeJSON(w, http.StatusOK, labelJSON{Label: cur, Replayed: true})
	}
	s.record(r, audit.ActionLabelCreate, l.TransactionID, map[string]any{"fraud": l.Fraud, "source": l.Source})
	return writeJSON(w, http.StatusCreated, labelJSON{Label: l})
}

// labelJSON is the answer to a label: the label stored, or with replayed the one the
// transaction already carried.
type labelJSON struct {
	fraud.Label
	Replayed bool `json:"replayed,omitempty"`
}

// listLabels lists labels, oldest first.
func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "transaction_id", "from", "to", "limit", "cursor")
	f := fraud.LabelFilter{TransactionID: q.identifier("transaction_id"), From: q.time("from"), To: q.time("to"),
		Limit: q.limit(), Cursor: q.str("cursor")}
	if err := q.err(); err != nil {
		return err
	}
	p, err := s.o.Store.Labels(r.Context(), f)
	if err != nil {
		return cursorError(err, f.Cursor)
	}
	if p.Items == nil {
		p.Items = []fraud.Label{}
	}
	return writeJSON(w, http.StatusOK, page[fraud.Label]{Items: p.Items, NextCursor: p.Next})
}

// caseJSON is a review case as the API shows it.
type caseJSON struct {
	ID            string           `json:"id"`
	DecisionID    string           `json:"decision_id"`
	TransactionID string           `json:"transaction_id"`
	Status        fraud.CaseStatus `json:"status"`
	Assignee      string           `json:"assignee,omitempty"`
	Resolution    fraud.Outcome    `json:"resolution,omitempty"`
	Note          string           `json:"note,omitempty"`
	OpenedAt      time.Time        `json:"opened_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
}

func newCaseJSON(c *fraud.Case) caseJSON {
	return caseJSON{ID: c.ID, DecisionID: c.DecisionID, TransactionID: c.TransactionID, Status: c.Status,
		Assignee: c.Assignee, Resolution: c.Resolution, Note: c.Note, OpenedAt: c.OpenedAt, UpdatedAt: c.UpdatedAt}
}

// listCases lists review cases, oldest opened first.
func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "status", "assignee", "limit", "cursor")
	f := fraud.CaseFilter{Status: fraud.CaseStatus(q.str("status")), Assignee: q.identifier("assignee"),
		Limit: q.limit(), Cursor: q.str("cursor")}
	switch f.Status {
	case "", fraud.CaseOpen, fraud.CaseAssigned, fraud.CaseResolved:
	default:
		q.errs.Add("status", "must be open, assigned or resolved")
	}
	if err := q.err(); err != nil {
		return err
	}
	p, err := s.o.Store.Cases(r.Context(), f)
	if err != nil {
		return cursorError(err, f.Cursor)
	}
	out := page[caseJSON]{Items: make([]caseJSON, len(p.Items)), NextCursor: p.Next}
	for i := range p.Items {
		out.Items[i] = newCaseJSON(&p.Items[i])
	}
	return writeJSON(w, http.StatusOK, out)
}

// getCase returns one case.
func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	c, err := s.o.Store.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newCaseJSON(c))
}

type assignRequest struct {
	Assignee string `json:"assignee"`
}

// assignCase gives a case to an analyst.
func (s *Server) assignCase(w http.ResponseWriter, r *http.Request) error {
	var req assignRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if !fraud.IsIdentifier(req.Assignee) {
		return invalid("assignee", "required: 1-128 printable characters without spaces")
	}
	if fraud.ContainsCardNumber(req.Assignee) {
		return invalid("assignee", fraud.ReasonCardInText)
	}
	id := r.PathValue("id")
	if err := s.o.Store.AssignCase(r.Context(), id, req.Assignee, s.o.Now().UTC()); err != nil {
		return caseError(err)
	}
	s.record(r, audit.ActionCaseAssign, id, map[string]any{"assignee": req.Assignee})
	c, err := s.o.Store.Case(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newCaseJSON(c))
}

type resolveRequest struct {
	Fraud *bool  `json:"fraud"`
	Note  string `json:"note"`
}

// resolveCase closes a case with the analyst's verdict, which labels its transaction.
func (s *Server) resolveCase(w http.ResponseWriter, r *http.Request) error {
	var req resolveRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Fraud == nil {
		return invalid("fraud", "required (true or false)")
	}
	id := r.PathValue("id")
	c, err := s.o.Pipeline.ResolveCase(r.Context(), id, *req.Fraud, req.Note)
	if c != nil {
		// The resolution was made (even if its label then failed): it is audited.
		s.record(r, audit.ActionCaseResolve, id, map[string]any{"resolution": c.Resolution, "fraud": *req.Fraud,
			"labelled": err == nil})
	}
	if err != nil {
		return caseError(err)
	}
	return writeJSON(w, http.StatusOK, newCaseJSON(c))
}

// caseError says what a conflict on a case means.
func caseError(err error) error {
	if errorIsConflict(err) {
		return &httpError{status: http.StatusConflict, code: codeConflict, message: "the case is already resolved"}
	}
	return err
}
