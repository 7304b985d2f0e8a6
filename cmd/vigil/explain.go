package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/score"
	"github.com/vigil-fraud/vigil/internal/state/memory"
)

func init() {
	register(command{
		name:    "explain",
		summary: "recompute a stored decision from its stored inputs and versions, and show that it matches",
		run:     runExplain,
	})
}

const explainExample = `vigil explain --data-dir data dec_01936f6e-8f4c-7a51-9a0e-2f1c3b4d5e6f
vigil explain --data-dir data --json dec_01936f6e-8f4c-7a51-9a0e-2f1c3b4d5e6f`

// runExplain exits 0 when the recomputed decision matches the stored one, 1 when it does not
// (the notes say why), and reports a missing decision, model or rule set as an error.
func runExplain(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "explain", "[--data-dir DIR] [--json] DECISION_ID", explainExample)
	dir := fs.String("data-dir", config.DefaultDataDir, "the data `directory`")
	rulesFlag := fs.String("rules", "", "the rules file in force (default: DIR/rules.yaml); only its lists' names matter")
	asJSON := fs.Bool("json", false, "print the explanation as one JSON object")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if err := config.BindEnv(fs, e.getenv); err != nil {
		fmt.Fprintf(e.stderr, "vigil explain: %v\n", err)
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "vigil explain: give one decision id")
		return errUsage
	}
	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		return fmt.Errorf("no data directory at %s", *dir)
	}
	d, err := openDataDir(ctx, e, *dir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.warn(e, "explain")
	registry, err := model.OpenRegistry(d.ModelsPath(), model.LoadOptions{PublicKey: d.Secrets.ModelPublicKey})
	if err != nil {
		return err
	}
	// Explaining reads no feature state (the stored feature values are the inputs), so it
	// runs beside a serving process: an empty in-memory state stands in for the locked one.
	state, err := memory.Open(memory.Options{})
	if err != nil {
		return err
	}
	defer state.Close()
	engine, err := feature.New(feature.Options{State: state})
	if err != nil {
		return err
	}
	lists, err := d.Store.Lists(ctx)
	if err != nil {
		return err
	}
	var src []byte
	path := *rulesFlag
	if path == "" {
		path = *dir + string(os.PathSeparator) + rulesFile
	}
	if b, err := score.LoadRulesFile(path); err == nil {
		src = b
	}
	opts := score.Options{Engine: engine, Store: d.Store, Pseudonymizer: d.Secrets.Pseudonymizer,
		Rules: src, Lists: lists, Archive: score.DirArchive(d.RulesPath())}
	p, err := score.New(opts)
	if err != nil && src != nil {
		// Each decision's rule set comes from the archive; the file only names the lists. A
		// file that does not compile (an edit the server refused, keeping its running set)
		// is no reason to fail: the shipped rule set stands in.
		opts.Rules = nil
		p, err = score.New(opts)
	}
	if err != nil {
		return err
	}
	x, err := p.Explain(ctx, fs.Arg(0), registry)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(e.stdout).Encode(explainJSON(x)); err != nil {
			return err
		}
	} else {
		printExplanation(e, x)
	}
	if !x.Match {
		return errors.New("the recomputed decision does not match the stored one")
	}
	return nil
}

// explainJSON replaces the NaN feature values JSON cannot carry with null.
func explainJSON(x *score.Explanation) map[string]any {
	features := make(map[string]any, len(x.Stored.FeatureNames))
	for i, name := range x.Stored.FeatureNames {
		if i < len(x.Stored.Features) && x.Stored.Features[i] == x.Stored.Features[i] {
			features[name] = x.Stored.Features[i]
		} else {
			features[name] = nil
		}
	}
	return map[string]any{
		"decision_id": x.Stored.ID, "transaction_id": x.Stored.TransactionID,
		"model_version": x.Stored.ModelVersion, "rules_version": x.Stored.RulesVersion,
		"stored":     map[string]any{"decision": x.Stored.Outcome, "score": x.Stored.Score, "rule_hits": x.Stored.RuleHits},
		"recomputed": map[string]any{"decision": x.Outcome, "score": x.Score, "rule_hits": x.RuleHits, "reasons": x.Reasons},
		"features":   features, "score_matches": x.ScoreMatch, "rules_match": x.RulesMatch, "matches": x.Match,
		"notes": x.Notes,
	}
}

func printExplanation(e env, x *score.Explanation) {
	s := x.Stored
	fmt.Fprintf(e.stdout, "decision %s for transaction %s, made %s\n", s.ID, s.TransactionID, s.CreatedAt.Format("2006-01-02 15:04:05.000 MST"))
	fmt.Fprintf(e.stdout, "  model %s, rules %s\n", s.ModelVersion, s.RulesVersion)
	fmt.Fprintf(e.stdout, "  stored:     %-7s score %.6f\n", s.Outcome, s.Score)
	fmt.Fprintf(e.stdout, "  recomputed: %-7s score %.6f\n", x.Outcome, x.Score)
	for _, r := range x.Reasons {
		fmt.Fprintf(e.stdout, "  reason: %s (+%.3f log-odds)\n", r.Text, r.Contribution)
	}
	for _, h := range x.RuleHits {
		fmt.Fprintf(e.stdout, "  rule %s -> %s: %s\n", h.Rule, h.Action, h.Reason)
	}
	for _, n := range x.Notes {
		fmt.Fprintf(e.stdout, "  note: %s\n", n)
	}
	if x.Match {
		fmt.Fprintln(e.stdout, "matches: the stored inputs and versions reproduce the decision exactly")
	} else {
		fmt.Fprintln(e.stdout, "DOES NOT MATCH (see the notes)")
	}
}
