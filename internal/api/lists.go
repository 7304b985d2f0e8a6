package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/score"
)

type listSummary struct {
	Name         string    `json:"name"`
	Version      int64     `json:"version"`
	Count        int       `json:"count"`
	Pseudonymous bool      `json:"pseudonymous"`
	UpdatedAt    time.Time `json:"updated_at"`
}

type listJSON struct {
	Name         string    `json:"name"`
	Version      int64     `json:"version"`
	Items        []string  `json:"items"`
	Pseudonymous bool      `json:"pseudonymous"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// listLists returns every stored list: name, version and how many items are in force.
func (s *Server) listLists(w http.ResponseWriter, r *http.Request) error {
	stored, err := s.o.Store.Lists(r.Context())
	if err != nil {
		return err
	}
	inForce := s.o.Pipeline.Lists()
	out := struct {
		Items []listSummary `json:"items"`
	}{Items: make([]listSummary, len(stored))}
	for i, l := range stored {
		out.Items[i] = listSummary{Name: l.Name, Version: l.Version, Count: len(inForce[l.Name]),
			Pseudonymous: score.Pseudonymous(l.Name), UpdatedAt: l.UpdatedAt}
	}
	return writeJSON(w, http.StatusOK, out)
}

// getList returns one list with its items as stored: the items of a pseudonymous list
// (cards, customers, devices, IPs) are pseudonyms.
func (s *Server) getList(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if !score.ValidListName(name) {
		return &httpError{status: http.StatusNotFound, code: codeNotFound, message: "not found"}
	}
	l, err := s.o.Store.List(r.Context(), name)
	if err != nil {
		return err
	}
	if l.Items == nil {
		l.Items = []string{}
	}
	return writeJSON(w, http.StatusOK, listJSON{Name: l.Name, Version: l.Version, Items: l.Items,
		Pseudonymous: score.Pseudonymous(l.Name), UpdatedAt: l.UpdatedAt})
}

// listRequest's items are decoded one by one (stringItems) so that a wrong type names its
// element (items[3]); encoding/json's errors name only the array.
type listRequest struct {
	Items []json.RawMessage `json:"items"`
}

// stringItems decodes items, each a JSON string; it names at most the first 20 that are not.
func stringItems(raw []json.RawMessage) ([]string, error) {
	items := make([]string, len(raw))
	var verr fraud.ValidationError
	for i, r := range raw {
		if json.Unmarshal(r, &items[i]) != nil || bytes.Equal(bytes.TrimSpace(r), []byte("null")) {
			if verr.Add(fmt.Sprintf("items[%d]", i), "must be a JSON string"); len(verr.Fields) == 20 {
				break
			}
		}
	}
	return items, verr.Err()
}

// putList replaces a list and puts it in force. The audit entry counts the items, added
// and removed; it never holds them.
func (s *Server) putList(w http.ResponseWriter, r *http.Request) error {
	var req listRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Items == nil {
		return invalid("items", "required (an empty array empties the list)")
	}
	want, err := stringItems(req.Items)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	before := s.o.Pipeline.Lists()[name]
	l, err := s.o.Pipeline.PutList(r.Context(), name, want)
	if err != nil {
		return err
	}
	added, removed := diffCounts(before, l.Items)
	s.record(r, audit.ActionListUpdate, name, map[string]any{"version": l.Version, "count": len(l.Items),
		"added": added, "removed": removed})
	items := slices.Clone(l.Items)
	slices.Sort(items)
	return writeJSON(w, http.StatusOK, listJSON{Name: l.Name, Version: l.Version, Items: items,
		Pseudonymous: score.Pseudonymous(l.Name), UpdatedAt: l.UpdatedAt})
}

// diffCounts counts the items of after not in before, and of before not in after.
func diffCounts(before, after []string) (added, removed int) {
	in := make(map[string]bool, len(before))
	for _, it := range before {
		in[it] = true
	}
	for _, it := range after {
		if !in[it] {
			added++
		}
		delete(in, it)
	}
	return added, len(in)
}
