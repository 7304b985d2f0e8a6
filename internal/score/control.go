package score

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/rules"
	"github.com/vigil-fraud/vigil/internal/training"
)

// RulesArchive keeps the source of every rule set that was active, by version.
type RulesArchive interface {
	SaveRules(version string, src []byte) error
	LoadRules(version string) ([]byte, error) // fraud.ErrNotFound when unknown
}

// setModel checks f against the engine's features and installs it in a (not yet shared).
func (a *active) setModel(f *model.File) error {
	if f == nil || f.Model == nil {
		return fmt.Errorf("%w: no model", model.ErrInvalidModel)
	}
	proj, err := training.ProjectionFor(f)
	if err != nil {
		return fmt.Errorf("%w: %v", model.ErrInvalidModel, err)
	}
	a.file, a.proj, a.names = f, proj, f.Model.FeatureNames()
	return nil
}

// Model returns the model being served, nil when none is.
func (p *Pipeline) Model() *model.File { return p.cur.Load().file }

// SetModel serves f from the next transaction on. It fails, serving the previous model,
// when f's features are not the engine's (model.ErrInvalidModel).
func (p *Pipeline) SetModel(f *model.File) error {
	p.control.Lock()
	defer p.control.Unlock()
	a := *p.cur.Load()
	if err := a.setModel(f); err != nil {
		return err
	}
	p.cur.Store(&a)
	return nil
}

// RuleSet returns the rule set in force.
func (p *Pipeline) RuleSet() *rules.RuleSet { return p.cur.Load().rules }

// SetRules compiles src as the rule set and puts it in force from the next transaction on.
// A set that does not compile is refused as a whole (a *fraud.ValidationError naming each
// problem and its line) and the running one stays. Setting the set in force again changes
// nothing and returns it.
func (p *Pipeline) SetRules(src []byte) (*rules.RuleSet, error) {
	p.control.Lock()
	defer p.control.Unlock()
	a := *p.cur.Load()
	if a.rules.Version() == rules.Version(src) {
		return a.rules, nil
	}
	rs, err := rules.Parse(src, rules.Options{ListNames: listNames(a.lists)})
	if err != nil {
		return nil, err
	}
	if err := p.archiveRules(rs); err != nil {
		return nil, err
	}
	a.rules = rs
	p.cur.Store(&a)
	return rs, nil
}

func (p *Pipeline) archiveRules(rs *rules.RuleSet) error {
	if p.archive == nil {
		return nil
	}
	if err := p.archive.SaveRules(rs.Version(), rs.Source()); err != nil {
		return fmt.Errorf("archive rules %s: %w", rs.Version(), err)
	}
	return nil
}

// listNames are the lists rules may read: the default set's and every stored one.
func listNames(lists map[string][]string) []string {
	names := rules.DefaultListNames()
	for name := range lists {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Limits of a list.
const (
	MaxListItems     = 100_000
	MaxListItemBytes = 256
)

var listName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// ValidListName reports whether name can name a list: lower-case letters, digits and
// underscores, starting with a letter, at most 64 bytes (it is a CEL identifier in rules).
func ValidListName(name string) bool { return listName.MatchString(name) }

// pseudonymousSuffixes mark the lists whose items are identifiers vigil pseudonymises in
// transactions: their items are pseudonymised the same way when stored, so that
// `txn.card in lists.blocked_cards` compares pseudonym with pseudonym.
var pseudonymousSuffixes = []string{"cards", "customers", "devices", "ips"}

// Pseudonymous reports whether the items of the named list are pseudonymised when stored:
// lists whose names end in cards, customers, devices or ips.
func Pseudonymous(name string) bool {
	for _, s := range pseudonymousSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// Lists returns the lists in force, by name (items as stored). The caller must not modify
// them.
func (p *Pipeline) Lists() map[string][]string { return p.cur.Load().lists }

// PutList replaces the named list with items and puts it in force from the next transaction
// on. Items of a pseudonymous list (see Pseudonymous) are pseudonymised first, unless they
// already are pseudonyms; duplicates are dropped. It fails with a *fraud.ValidationError
// (paths "name", "items[3]") for a bad name or item, and with the store's error.
func (p *Pipeline) PutList(ctx context.Context, name string, items []string) (fraud.List, error) {
	var verr fraud.ValidationError
	if !ValidListName(name) {
		verr.Add("name", "must be 1-64 lower-case letters, digits or underscores, starting with a letter")
	}
	if len(items) > MaxListItems {
		verr.Add("items", fmt.Sprintf("at most %d items", MaxListItems))
	}
	for i, it := range items {
		if len(verr.Fields) >= 20 {
			break
		}
		switch {
		case it == "" || len(it) > MaxListItemBytes || !utf8.ValidString(it) || strings.ContainsFunc(it, isControl):
			verr.Add(fmt.Sprintf("items[%d]", i), fmt.Sprintf("must be 1-%d bytes of printable UTF-8", MaxListItemBytes))
		case fraud.ContainsCardNumber(it):
			verr.Add(fmt.Sprintf("items[%d]", i), "looks like a raw card number: send a token, never a PAN")
		}
	}
	if len(verr.Fields) > 0 {
		return fraud.List{}, &verr
	}
	stored := make([]string, 0, len(items))
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if Pseudonymous(name) && !fraud.IsPseudonym(it) {
			it = p.pseudo.Pseudonym(it)
		}
		if !seen[it] {
			seen[it] = true
			stored = append(stored, it)
		}
	}
	p.control.Lock()
	defer p.control.Unlock()
	l := fraud.List{Name: name, Items: stored, UpdatedAt: p.now().UTC()}
	// The store refuses a write based on a stale version (another instance changed the list
	// meanwhile: fraud.ErrConflict); this instance bases it on the version it reads now.
	cur, err := p.store.List(ctx, name)
	switch {
	case err == nil:
		l.Version = cur.Version
	case !errors.Is(err, fraud.ErrNotFound):
		return fraud.List{}, err
	}
	v, err := p.store.PutList(ctx, l)
	if err != nil {
		return fraud.List{}, err
	}
	l.Version = v
	a := *p.cur.Load()
	_, known := a.lists[name]
	a.lists = maps.Clone(a.lists)
	a.lists[name] = stored
	a.cel = rules.NewLists(a.lists)
	if !known {
		// A new list name: recompile the rules in force so that they may refer to it.
		rs, err := rules.Parse(a.rules.Source(), rules.Options{ListNames: listNames(a.lists)})
		if err != nil {
			return fraud.List{}, fmt.Errorf("recompiling the rules with list %s: %w", name, err)
		}
		a.rules = rs
	}
	p.cur.Store(&a)
	return l, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
