package rules

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"slices"

	"cel.dev/cel-go/cel"

	"github.com/vigil-fraud/vigil/internal/feature"
)

// Action is what a matching rule does to the decision.
type Action string

// The actions a rule may take. See the package documentation for their precedence.
const (
	ActionDecline Action = "decline" // decline, whatever the score and the other rules
	ActionApprove Action = "approve" // approve (an allow-list), unless a decline rule matched
	ActionReview  Action = "review"  // at least review, unless a decline or approve rule matched
	ActionTag     Action = "tag"     // annotate only
)

func (a Action) valid() bool {
	switch a {
	case ActionDecline, ActionApprove, ActionReview, ActionTag:
		return true
	}
	return false
}

// Thresholds turn the model's score into an outcome: review from Review, decline from Decline.
type Thresholds struct {
	Review  float64 `json:"review"`
	Decline float64 `json:"decline"`
}

// Rule is one rule as written in the file.
type Rule struct {
	Name   string `json:"name"`
	When   string `json:"when"`
	Action Action `json:"action"`
	Reason string `json:"reason"`
	Line   int    `json:"line"` // the line of the rule in the file, from 1
}

// Limits on what a rule set may hold. They bound the work of loading one and of evaluating it.
const (
	// MaxFileBytes is the largest rule file Parse reads.
	MaxFileBytes = 1 << 20
	// MaxRules is the most rules a set may hold.
	MaxRules = 500
	// MaxExpressionBytes is the longest `when` expression.
	MaxExpressionBytes = 4096
	// MaxNameBytes is the longest rule name; MaxReasonBytes the longest reason.
	MaxNameBytes   = 64
	MaxReasonBytes = 256
)

// Defaults of Options.
const (
	// DefaultCostLimit is the runtime cost one rule may spend on one transaction. A rule that
	// reads a few fields costs under 20; scanning a list of 100,000 entries costs about 300,000.
	DefaultCostLimit = 1_000_000
	// DefaultMaxEstimatedCost is the static worst-case cost a rule may have to be accepted. It
	// admits one scan (exists, all, filter...) over a list as large as DefaultMaxListEntries
	// and refuses a scan nested in another.
	DefaultMaxEstimatedCost = 10_000_000
	// DefaultMaxListEntries is the size of a named list the static estimate assumes. Lists
	// that rules scan should stay under it; membership (x in lists.NAME) costs 1 whatever
	// the size, so a block list may be far larger.
	DefaultMaxListEntries = 100_000
)

// cheapCost is the static worst-case cost under which a rule is not cost-tracked at runtime:
// its cost is proven small for any transaction that passed fraud.Validate (whose fields are
// bounded), so counting it would only cost allocations on every transaction. Any scan of a
// named list exceeds it (the estimate assumes MaxListEntries), so every rule whose cost
// depends on a list's size is tracked and stopped at CostLimit.
const cheapCost = 1000

// Options configure how a rule set is compiled. The zero value is usable: vigil's features,
// no lists and the default limits.
type Options struct {
	// FeatureNames are the names rules may read as features.NAME, in the order of the vector
	// given to Evaluate. Empty means feature.Names().
	FeatureNames []string
	// ListNames are the lists rules may read as lists.NAME; any other name is a compile error.
	ListNames []string
	// CostLimit bounds the runtime cost of one rule on one transaction; a rule that exceeds it
	// does not match and its error is reported. 0 means DefaultCostLimit.
	CostLimit uint64
	// MaxEstimatedCost refuses a rule whose static worst-case cost is higher. 0 means
	// DefaultMaxEstimatedCost.
	MaxEstimatedCost uint64
	// MaxListEntries is the largest list the static estimate assumes. 0 means
	// DefaultMaxListEntries.
	MaxListEntries uint64
}

func (o Options) withDefaults() Options {
	if len(o.FeatureNames) == 0 {
		o.FeatureNames = feature.Names()
	}
	if o.CostLimit == 0 {
		o.CostLimit = DefaultCostLimit
	}
	if o.MaxEstimatedCost == 0 {
		o.MaxEstimatedCost = DefaultMaxEstimatedCost
	}
	if o.MaxListEntries == 0 {
		o.MaxListEntries = DefaultMaxListEntries
	}
	return o
}

// RuleSet is a compiled, immutable rule set: safe for concurrent use.
type RuleSet struct {
	version    string
	source     []byte
	thresholds Thresholds
	rules      []Rule
	progs      []cel.Program
	tracked    []bool // whether each rule is cost-tracked at runtime
	options    Options
}

// Version identifies the set by its bytes: "rs-" and the first 12 hex digits of their
// SHA-256. The same file always has the same version; decisions record it.
func (rs *RuleSet) Version() string { return rs.version }

// Source returns a copy of the file the set was parsed from.
func (rs *RuleSet) Source() []byte { return slices.Clone(rs.source) }

// Thresholds returns the set's score thresholds.
func (rs *RuleSet) Thresholds() Thresholds { return rs.thresholds }

// Rules returns a copy of the set's rules, in file order.
func (rs *RuleSet) Rules() []Rule { return slices.Clone(rs.rules) }

// Version computes the version Parse gives a file: "rs-" and the first 12 hex digits of the
// SHA-256 of its bytes.
func Version(src []byte) string {
	sum := sha256.Sum256(src)
	return "rs-" + hex.EncodeToString(sum[:6])
}

//go:embed testdata/default.yaml
var defaultSource []byte

// DefaultSource returns a copy of the rule set vigil ships, for writing out as a starting file.
func DefaultSource() []byte { return slices.Clone(defaultSource) }

// DefaultListNames returns the names of the lists the default rule set reads.
func DefaultListNames() []string { return []string{"blocked_cards", "blocked_terminals"} }

// Default parses the rule set vigil ships. It reads the lists DefaultListNames; when
// opts.ListNames is empty they are declared, otherwise opts.ListNames must include them.
func Default(opts Options) (*RuleSet, error) {
	if len(opts.ListNames) == 0 {
		opts.ListNames = DefaultListNames()
	}
	rs, err := Parse(defaultSource, opts)
	if err != nil {
		return nil, fmt.Errorf("default rule set: %w", err)
	}
	return rs, nil
}

// Parse decodes, validates, type-checks and compiles a whole rule file. It either returns a
// set in which every rule compiled, or a *fraud.ValidationError (which unwraps to
// fraud.ErrInvalid) naming every problem by its path ("rules[2].when") with its line in the
// file; it never returns part of a set. An error in opts (a feature or list declared twice)
// is returned as a plain error.
func Parse(src []byte, opts Options) (*RuleSet, error) {
	opts = opts.withDefaults()
	p, err := newProvider(opts.FeatureNames, opts.ListNames)
	if err != nil {
		return nil, fmt.Errorf("rules options: %w", err)
	}
	env, err := newEnv(p)
	if err != nil {
		return nil, fmt.Errorf("rules environment: %w", err)
	}
	f, err := decodeFile(src)
	if err != nil {
		return nil, err
	}
	rs := &RuleSet{
		version:    Version(src),
		source:     slices.Clone(src),
		thresholds: f.thresholds,
		rules:      make([]Rule, len(f.rules)),
		progs:      make([]cel.Program, len(f.rules)),
		tracked:    make([]bool, len(f.rules)),
		options:    opts,
	}
	var errs errorList
	for i, r := range f.rules {
		rs.rules[i] = r.Rule
		prog, tracked, ok := compileRule(env, opts, r, i, &errs)
		if ok {
			rs.progs[i], rs.tracked[i] = prog, tracked
		}
	}
	if err := errs.orNil(); err != nil {
		return nil, err
	}
	return rs, nil
}

// compileRule type-checks, bounds and plans one rule's expression, reporting problems at the
// rule's `when` path and line.
func compileRule(env *cel.Env, opts Options, r fileRule, i int, errs *errorList) (prog cel.Program, tracked, ok bool) {
	path := fmt.Sprintf("rules[%d].when", i)
	ast, iss := env.Compile(r.When)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			line := r.whenLine
			if l := e.Location.Line(); l > 1 {
				line += l - 1 + r.whenBlock
			}
			errs.add(path, line, e.Message)
		}
		return nil, false, false
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		errs.add(path, r.whenLine, "must be a bool expression, is "+ast.OutputType().String())
		return nil, false, false
	}
	est, err := env.EstimateCost(ast, estimator{maxListEntries: opts.MaxListEntries})
	if err != nil {
		errs.add(path, r.whenLine, "cost estimate: "+err.Error())
		return nil, false, false
	}
	if est.Max > opts.MaxEstimatedCost {
		errs.add(path, r.whenLine, fmt.Sprintf("too expensive: worst-case cost %d exceeds %d", est.Max, opts.MaxEstimatedCost))
		return nil, false, false
	}
	progOpts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	tracked = est.Max > min(cheapCost, opts.CostLimit)
	if tracked {
		progOpts = append(progOpts, cel.CostTracking(runtimeCost{}), cel.CostLimit(opts.CostLimit))
	}
	prog, err = env.Program(ast, progOpts...)
	if err != nil {
		errs.add(path, r.whenLine, err.Error())
		return nil, false, false
	}
	return prog, tracked, true
}
