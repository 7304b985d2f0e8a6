package api

import (
	"net/http"

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
// rewritten atomically too; if that fails the previous set is put back.
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
	rs, err := s.o.Pipeline.SetRules(src)
	if err != nil {
		return err // a *fraud.ValidationError (422 with lines) or the archive's failure
	}
	changed := rs.Version() != old.Version()
	if changed && s.o.RulesFile != "" {
		if err := renameio.WriteFile(s.o.RulesFile, src, 0o600); err != nil {
			if _, undo := s.o.Pipeline.SetRules(old.Source()); undo != nil {
				s.log.Error("restoring the previous rules failed", logKeyRequestID, requestID(r), logKeyError, undo)
			}
			return err
		}
	}
	if changed {
		s.record(r, audit.ActionRulesUpdate, rs.Version(), map[string]any{"previous": old.Version()})
	}
	out := newRulesJSON(rs)
	out.Changed = &changed
	return writeJSON(w, http.StatusOK, out)
}
