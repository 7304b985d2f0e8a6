package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vigil-fraud/vigil/internal/history"
	"github.com/vigil-fraud/vigil/internal/synth"
)

func init() {
	register(command{
		name:    "generate",
		summary: "write a synthetic transaction history (the fraud handbook's simulator and more)",
		run:     runGenerate,
	})
}

const generateExample = `vigil generate --customers 5000 --terminals 10000 --days 183 --start 2018-04-01 --seed 1 --out history.csv
vigil generate --scenarios handbook --layout handbook --out handbook.csv
vigil generate --days 30 --scenarios handbook,card_testing --out history.jsonl --json`

// generateReport is what generate prints with --json, as one line.
type generateReport struct {
	Out            string         `json:"out"`
	Layout         string         `json:"layout"`
	Seed           uint64         `json:"seed"`
	Start          string         `json:"start"`
	Days           int            `json:"days"`
	Customers      int            `json:"customers"`
	Terminals      int            `json:"terminals"`
	Radius         float64        `json:"radius"`
	Scenarios      string         `json:"scenarios"`
	Rows           int            `json:"rows"`
	Frauds         int            `json:"frauds"`
	FraudRate      float64        `json:"fraud_rate"`
	ByScenario     map[string]int `json:"by_scenario"`
	ElapsedSeconds float64        `json:"elapsed_seconds"`
}

func runGenerate(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "generate", "--out FILE [flags]", generateExample)
	out := fs.String("out", "", "the file to write: .csv (vigil's columns, or the handbook's with --layout handbook), .jsonl or .ndjson (required)")
	customers := fs.Int("customers", synth.DefaultCustomers, "number of customers")
	terminals := fs.Int("terminals", synth.DefaultTerminals, "number of terminals")
	days := fs.Int("days", synth.DefaultDays, "number of days to simulate")
	start := fs.String("start", synth.DefaultStart.Format(time.DateOnly), "first day, YYYY-MM-DD")
	seed := fs.Uint64("seed", 1, "random seed: the same flags and seed always write the same file")
	radius := fs.Float64("radius", synth.DefaultRadius, "a customer uses the terminals closer than this, on a 100x100 grid")
	scenarios := fs.String("scenarios", "", "fraud scenarios, a comma list of: "+strings.Join(synth.ScenarioNames(), ", ")+
		"\n(default all; handbook with --layout handbook, whose columns cannot show the extras)")
	layoutName := fs.String("layout", "", "csv, jsonl or handbook (default from the extension of --out)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(e.stderr, "vigil generate: "+format+"\n", a...)
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if *out == "" {
		return usageErr("--out FILE is required (.csv, .jsonl or .ndjson)")
	}
	layout, err := generateLayout(*out, *layoutName)
	if err != nil {
		return usageErr("%v", err)
	}
	switch {
	case *customers < 1 || *customers > synth.MaxCustomers:
		return usageErr("--customers must be between 1 and %d, got %d", synth.MaxCustomers, *customers)
	case *terminals < 1 || *terminals > synth.MaxTerminals:
		return usageErr("--terminals must be between 1 and %d, got %d", synth.MaxTerminals, *terminals)
	case *days < 1 || *days > synth.MaxDays:
		return usageErr("--days must be between 1 and %d, got %d", synth.MaxDays, *days)
	case !(*radius > 0) || *radius > 1e6:
		return usageErr("--radius must be a positive number, got %v", *radius)
	}
	startDay, err := time.Parse(time.DateOnly, *start)
	if err != nil {
		return usageErr("--start must be a date like 2018-04-01, got %q", *start)
	}
	scen := synth.DefaultScenarios
	if layout == history.LayoutHandbook {
		scen = synth.Handbook
	}
	if set["scenarios"] {
		if scen, err = synth.ParseScenarios(*scenarios); err != nil {
			return usageErr("--scenarios: %v", err)
		}
	}
	began := time.Now()
	g, err := synth.New(synth.Options{
		Customers: *customers, Terminals: *terminals, Days: *days, Start: startDay,
		Radius: *radius, Seed: *seed, Scenarios: scen,
	})
	if err != nil {
		return usageErr("%v", err)
	}

	meta := history.Meta{
		"classification": "synthetic",
		"generator":      "vigil-synth/" + synth.Version,
		"seed":           fmt.Sprint(*seed),
		"start":          startDay.Format(time.DateOnly),
		"days":           fmt.Sprint(*days),
		"customers":      fmt.Sprint(*customers),
		"terminals":      fmt.Sprint(*terminals),
		"radius":         fmt.Sprint(*radius),
		"scenarios":      scen.String(),
	}
	f, err := history.Create(*out, layout, meta)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	p := newProgress(e.stderr, "generate", int64(*days), "days")
	sum, err := g.Run(ctx, f.Write, func(day, _ int) { p.Set(int64(day)) })
	p.Finish(int64(sum.Days))
	if err != nil {
		f.Abort()
		if ctx.Err() != nil {
			return fmt.Errorf("generate: interrupted after %d of %d days; %s not written", sum.Days, *days, *out)
		}
		return fmt.Errorf("generate: %s not written: %w", *out, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("generate: %s not written: %w", *out, err)
	}

	rep := generateReport{
		Out: *out, Layout: layout.String(), Seed: *seed, Start: meta["start"], Days: *days,
		Customers: *customers, Terminals: *terminals, Radius: *radius, Scenarios: scen.String(),
		Rows: sum.Rows, Frauds: sum.Frauds, FraudRate: sum.FraudRate(), ByScenario: map[string]int{},
		ElapsedSeconds: time.Since(began).Seconds(),
	}
	for _, name := range scen.Names() {
		rep.ByScenario[name] = sum.ByScenario[name]
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(rep)
	}
	printGenerateReport(e.stdout, rep, scen.Names())
	return nil
}

// generateLayout picks the layout from the file's extension and the --layout flag, and
// refuses a combination that cannot be written.
func generateLayout(out, name string) (history.Layout, error) {
	byExt, err := history.LayoutOf(out)
	if err != nil {
		return 0, fmt.Errorf("--out: %w", err)
	}
	switch strings.ToLower(name) {
	case "":
		return byExt, nil
	case "csv", "vigil":
		if byExt != history.LayoutCSV {
			return 0, errors.New("--layout csv needs a .csv file")
		}
		return history.LayoutCSV, nil
	case "handbook":
		if byExt != history.LayoutCSV {
			return 0, errors.New("--layout handbook needs a .csv file")
		}
		return history.LayoutHandbook, nil
	case "jsonl", "ndjson":
		if byExt != history.LayoutJSONL {
			return 0, errors.New("--layout jsonl needs a .jsonl or .ndjson file")
		}
		return history.LayoutJSONL, nil
	}
	return 0, fmt.Errorf("--layout must be csv, jsonl or handbook, got %q", name)
}

func printGenerateReport(w io.Writer, r generateReport, names []string) {
	fmt.Fprintf(w, "wrote %s (%s layout, scenarios %s, seed %d)\n", r.Out, r.Layout, r.Scenarios, r.Seed)
	fmt.Fprintf(w, "  %d customers, %d terminals, %d days from %s\n", r.Customers, r.Terminals, r.Days, r.Start)
	fmt.Fprintf(w, "  rows     %10d\n", r.Rows)
	fmt.Fprintf(w, "  frauds   %10d  (%.3f%%)\n", r.Frauds, 100*r.FraudRate)
	for _, n := range names {
		fmt.Fprintf(w, "    %-22s %8d\n", n, r.ByScenario[n])
	}
	fmt.Fprintf(w, "  elapsed  %10s\n", time.Duration(r.ElapsedSeconds*float64(time.Second)).Round(time.Millisecond))
}
