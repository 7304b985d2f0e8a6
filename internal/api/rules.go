package api

import (
	"net/http"
	"os"
	"slices"

	"github.com/google/renameio/v2"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/rules"
)

type rulesJSON struct {
	Version    string           `json:"version"`
	Thresholds rules.Thresholds `json:"thresholds"`
	Rules      []rules.Rule     `json:"rules"`
	Source     string           `json:"source"`
	Changed    *bool            `json:"changed,omitempty"`
}

func newRulesJSON(rs *rules.RuleSet) rulesJSON {
	out := rulesJSON{Version: rs.Version(), Thresholds: rs.Thresholds(), Rules: rs.Rules(), Source: string(rs.Source())}
	if out.Rules == nil {
		out.Rules = []rules.Rule{}
	}
	return out
}

// getRules returns the rule set in force and its source.
func (s *Server) getRules(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, newRulesJSON(s.o.Pipeline.RuleSet()))
}

type rulesRequest struct {
	Source *string `json:"source"`
}

// putRules puts a rule set in force: the body is the YAML file (application/yaml,
// text/yaml) or {"source": "<yaml>"}. A set that does not compile is refused whole (422,
// each problem with its line) and the running set stays. With Options.RulesFile the file is
// rewritten atomically first; if the set then cannot be put in force the file is restored.
func (s *Server) putRules(w http.ResponseWriter, r *http.Request) error {
	body, mt, err := readBody(r, "application/yaml", "text/yaml", "application/x-yaml", "application/json")
	if err != nil {
		return err
	}
	src := body
	if mt == "application/json" {
		var req rulesRequest
		if err := unmarshalStrict(body, &req); err != nil {
			return err
		}
		if req.Source == nil {
			return invalid("source", "required: the rule file's YAML")
		}
		src = []byte(*req.Source)
	}
	s.rulesMu.Lock()
	defer s.rulesMu.Unlock()
	old := s.o.Pipeline.RuleSet()
	changed := rules.Version(src) != old.Version()
	// The file also when it has drifted from the set sent (an edit the hot reload refused,
	// with the running set PUT back to recover): after a 200 the file holds the set in force.
	fileDiffers := false
	if s.o.RulesFile != "" {
		cur, err := os.ReadFile(s.o.RulesFile)
		fileDiffers = err != nil || rules.Version(cur) != rules.Version(src)
	}
	wrote := false
	if (changed || fileDiffers) && s.o.RulesFile != "" {
		// The file first, so that a hot reload of it can only ever move forward: check the
		// set compiles as the pipeline will compile it, write the file, then put it in force.
		if _, err := rules.Parse(src, rules.Options{ListNames: s.listNames()}); err != nil {
			return err
		}
		if err := renameio.WriteFile(s.o.RulesFile, src, 0o600); err != nil {
			return err
		}
		wrote = true
	}
	rs, err := s.o.Pipeline.SetRules(src)
	if err != nil {
		if wrote {
			if undo := renameio.WriteFile(s.o.RulesFile, old.Source(), 0o600); undo != nil {
				s.log.Error("restoring the previous rules file failed", logKeyRequestID, requestID(r), logKeyError, undo)
			}
		}
		return err // a *fraud.ValidationError (422 with lines) or the archive's failure
	}
	switch {
	case changed:
		s.record(r, audit.ActionRulesUpdate, rs.Version(), map[string]any{"previous": old.Version()})
	case wrote:
		s.record(r, audit.ActionRulesUpdate, rs.Version(), map[string]any{"previous": old.Version(), "file_restored": true})
	}
	out := newRulesJSON(rs)
	out.Changed = &changed
	return writeJSON(w, http.StatusOK, out)
}

// listNames are the lists rules may read, as the pipeline compiles them: the default lists
// and every list in force.
func (s *Server) listNames() []string {
	names := rules.DefaultListNames()
	for name := range s.o.Pipeline.Lists() {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
