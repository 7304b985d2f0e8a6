package score

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/vigil-fraud/vigil/internal/rules"
)

// LoadRulesFile reads a rule file, refusing one larger than rules.MaxFileBytes.
func LoadRulesFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > rules.MaxFileBytes {
		return nil, fmt.Errorf("rules %s: larger than %d bytes", path, rules.MaxFileBytes)
	}
	return os.ReadFile(path) // #nosec G304 -- the operator names the rules file
}

// WatchRules keeps the pipeline's rules in step with the file at path until ctx ends: every
// interval it looks at the file and, when its bytes are not the rule set in force, compiles
// them and puts them in force. A file that does not compile is refused as a whole and logged
// with every error and its line; the running set stays, and the file is looked at again when
// it changes. Changes made through SetRules (the API) should be written to the file too, or
// the next look puts the file's set back.
func (p *Pipeline) WatchRules(ctx context.Context, path string, interval time.Duration) {
	if interval <= 0 {
		interval = rules.DefaultInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var lastMod time.Time
	var lastSize int64 = -1
	var refused string
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		st, err := os.Stat(path)
		if err != nil {
			if refused != "missing" {
				p.log.Error("rules file unreadable; the running rules stay", "path", path, "error", err)
				refused = "missing"
			}
			continue
		}
		if st.ModTime().Equal(lastMod) && st.Size() == lastSize {
			continue
		}
		lastMod, lastSize = st.ModTime(), st.Size()
		src, err := LoadRulesFile(path)
		if err != nil {
			p.log.Error("rules file unreadable; the running rules stay", "path", path, "error", err)
			continue
		}
		v := rules.Version(src)
		if v == p.RuleSet().Version() || v == refused {
			continue
		}
		prev := p.RuleSet().Version()
		if _, err := p.SetRules(src); err != nil {
			refused = v
			p.log.Error("rules file refused; the running rules stay", "path", path,
				"rules_version", prev, "refused_version", v, "errors", err.Error())
			continue
		}
		refused = ""
		p.log.Info("rules reloaded", "path", path, "rules_version", v, "previous_rules_version", prev)
		if p.onRules != nil {
			p.onRules(prev, v)
		}
	}
}
