package score

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/google/renameio/v2"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/rules"
)

// ModelSource finds a model by version (model.Registry).
type ModelSource interface {
	Load(version string) (*model.File, error)
}

// Explanation is a stored decision recomputed from its stored inputs and versions.
type Explanation struct {
	Stored     *fraud.Decision `json:"stored"`
	Score      float64         `json:"score"`   // recomputed
	Outcome    fraud.Outcome   `json:"outcome"` // recomputed
	Reasons    []fraud.Reason  `json:"reasons"` // recomputed
	RuleHits   []fraud.RuleHit `json:"rule_hits"`
	ScoreMatch bool            `json:"score_matches"`
	RulesMatch bool            `json:"rules_match"` // same outcome and same rules hit
	Match      bool            `json:"matches"`
	// Notes say what could not be recomputed as it was, and why.
	Notes []string `json:"notes,omitempty"`
}

// Explain recomputes the stored decision id: the model version it recorded (from models)
// scores its stored feature values, and the rule set version it recorded (from the archive)
// judges its stored transaction, with the lists as they are now (lists are not versioned
// with decisions: a rule on a list changed since may differ, which the notes then say).
func (p *Pipeline) Explain(ctx context.Context, id string, models ModelSource) (*Explanation, error) {
	d, err := p.store.Decision(ctx, id)
	if err != nil {
		return nil, err
	}
	t, err := p.store.Transaction(ctx, d.TransactionID)
	if err != nil {
		return nil, fmt.Errorf("the decision's transaction: %w", err)
	}
	cur := p.cur.Load()
	a := &active{lists: cur.lists, cel: cur.cel}
	f := cur.file
	if f == nil || f.Version() != d.ModelVersion {
		if models == nil {
			return nil, fmt.Errorf("model %s: %w", d.ModelVersion, fraud.ErrNotFound)
		}
		if f, err = models.Load(d.ModelVersion); err != nil {
			return nil, err
		}
	}
	if err := a.setModel(f); err != nil {
		return nil, err
	}
	a.rules = cur.rules
	if a.rules.Version() != d.RulesVersion {
		if p.archive == nil {
			return nil, fmt.Errorf("rules %s: %w", d.RulesVersion, fraud.ErrNotFound)
		}
		src, err := p.archive.LoadRules(d.RulesVersion)
		if err != nil {
			return nil, err
		}
		if a.rules, err = rules.Parse(src, rules.Options{ListNames: listNames(a.lists)}); err != nil {
			return nil, fmt.Errorf("rules %s no longer compile: %w", d.RulesVersion, err)
		}
	}
	// The stored features, by name, in the engine's order.
	var x [feature.NumFeatures]float64
	for i := range x {
		x[i] = math.NaN()
	}
	e := &Explanation{Stored: d}
	for j, name := range d.FeatureNames {
		i := slices.Index(featureNames, name)
		if i < 0 || j >= len(d.Features) {
			e.Notes = append(e.Notes, "stored feature "+name+" is not computed by this build")
			continue
		}
		x[i] = d.Features[j]
	}
	var s scratch
	e.Score, e.Reasons = a.predict(&s, x[:], len(d.Reasons))
	res := a.rules.Evaluate(rules.Input{Transaction: t, Features: x[:], Score: e.Score, Lists: a.cel})
	e.Outcome, e.RuleHits = res.Outcome, res.Hits
	e.ScoreMatch = e.Score == d.Score
	e.RulesMatch = e.Outcome == d.Outcome && sameHits(e.RuleHits, d.RuleHits)
	if !e.RulesMatch {
		e.Notes = append(e.Notes, "the rules judge differently now: a list they read has probably changed since")
	}
	if !e.ScoreMatch {
		e.Notes = append(e.Notes, fmt.Sprintf("score differs by %.3g", math.Abs(e.Score-d.Score)))
	}
	e.Match = e.ScoreMatch && e.RulesMatch
	return e, nil
}

func sameHits(a, b []fraud.RuleHit) bool {
	return slices.EqualFunc(a, b, func(x, y fraud.RuleHit) bool { return x.Rule == y.Rule && x.Action == y.Action })
}

// DirArchive keeps rule sets as files DIR/<version>.yaml (mode 0600).
type DirArchive string

var rulesVersion = regexp.MustCompile(`^rs-[0-9a-f]{12}$`)

func (d DirArchive) path(version string) (string, error) {
	if !rulesVersion.MatchString(version) {
		return "", fmt.Errorf("rules %q: %w", version, fraud.ErrNotFound)
	}
	return filepath.Join(string(d), version+".yaml"), nil
}

// SaveRules writes src under version unless it is there already.
func (d DirArchive) SaveRules(version string, src []byte) error {
	path, err := d.path(version)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	return renameio.WriteFile(path, src, 0o600)
}

// LoadRules reads the rule set stored under version, checking that its bytes still have
// that version.
func (d DirArchive) LoadRules(version string) ([]byte, error) {
	path, err := d.path(version)
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(path) // #nosec G304 -- the name is a validated version
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("rules %s: %w", version, fraud.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if rules.Version(src) != version {
		return nil, fmt.Errorf("rules %s: archived file was changed", version)
	}
	return src, nil
}
