package synth

import (
	"fmt"
	"strings"

	"github.com/vigil-fraud/vigil/internal/history"
)

// ScenarioSet is a set of fraud scenarios to simulate. Its zero value means
// DefaultScenarios; NoScenarios asks for none (legitimate traffic only).
type ScenarioSet uint16

// The scenarios, one bit each.
const (
	HighAmount          ScenarioSet = 1 << iota // handbook 1: every amount > 220 is fraud
	CompromisedTerminal                         // handbook 2: 2 terminals a day, 28 days
	CompromisedCustomer                         // handbook 3: 3 customers a day, 14 days, 1/3 x5
	CardTesting                                 // tiny e-commerce attempts, then a large one
	AccountTakeover                             // e-commerce from a never-seen device, larger amounts
	ImpossibleTravel                            // card present far away within an hour of home

	// NoScenarios is the explicit empty set (the zero value means the default).
	NoScenarios ScenarioSet = 1 << 15
)

// Named sets.
const (
	// Handbook is the three scenarios of the Fraud Detection Handbook, and only them: the
	// data to use when comparing with the handbook's published results.
	Handbook = HighAmount | CompromisedTerminal | CompromisedCustomer
	// Extras is vigil's scenarios beyond the handbook.
	Extras = CardTesting | AccountTakeover | ImpossibleTravel
	// All is every scenario.
	All = Handbook | Extras
	// DefaultScenarios is what the zero ScenarioSet means: every scenario. The extras run at
	// rates low enough that the default dataset keeps the handbook's fraud rate band
	// (0.8-0.9%); see Options.
	DefaultScenarios = All
)

// scenarioNames lists each scenario with the name written in fraud_scenario, in the
// order they are applied.
var scenarioNames = []struct {
	set  ScenarioSet
	name string
}{
	{HighAmount, history.ScenarioHighAmount},
	{CompromisedTerminal, history.ScenarioCompromisedTerminal},
	{CompromisedCustomer, history.ScenarioCompromisedCustomer},
	{CardTesting, history.ScenarioCardTesting},
	{AccountTakeover, history.ScenarioAccountTakeover},
	{ImpossibleTravel, history.ScenarioImpossibleTravel},
}

// ScenarioNames returns every word ParseScenarios accepts, for help texts.
func ScenarioNames() []string {
	names := []string{"handbook", "extras", "all", "none"}
	for _, s := range scenarioNames {
		names = append(names, s.name)
	}
	return names
}

// ParseScenarios reads a comma-separated list of scenario names (as written in
// fraud_scenario) and the words "handbook", "extras", "all" and "none". It fails with an
// error naming the unknown word and listing the known ones.
func ParseScenarios(s string) (ScenarioSet, error) {
	var set ScenarioSet
	none := false
	for _, w := range strings.Split(s, ",") {
		w = strings.ToLower(strings.TrimSpace(w))
		switch w {
		case "handbook":
			set |= Handbook
			continue
		case "extras":
			set |= Extras
			continue
		case "all":
			set |= All
			continue
		case "none":
			none = true
			continue
		case "":
			return 0, fmt.Errorf("empty scenario name in %q (want a comma-separated list of %s)", s, strings.Join(ScenarioNames(), ", "))
		}
		found := false
		for _, n := range scenarioNames {
			if n.name == w {
				set |= n.set
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown scenario %q (want a comma-separated list of %s)", w, strings.Join(ScenarioNames(), ", "))
		}
	}
	if none {
		if set != 0 {
			return 0, fmt.Errorf("scenario %q: \"none\" cannot be combined with other scenarios", s)
		}
		return NoScenarios, nil
	}
	return set, nil
}

// effective resolves the zero value to DefaultScenarios and drops the NoScenarios marker.
func (s ScenarioSet) effective() ScenarioSet {
	if s == 0 {
		return DefaultScenarios
	}
	return s &^ NoScenarios
}

// Has reports whether every scenario of x is in s (the zero s meaning DefaultScenarios).
func (s ScenarioSet) Has(x ScenarioSet) bool {
	x = x &^ NoScenarios
	return s.effective()&x == x
}

// Names returns the fraud_scenario names of the scenarios in s, in the order they are
// applied.
func (s ScenarioSet) Names() []string {
	e := s.effective()
	var names []string
	for _, n := range scenarioNames {
		if e&n.set != 0 {
			names = append(names, n.name)
		}
	}
	return names
}

// String returns the canonical list ParseScenarios reads back: "all", "handbook", "none",
// or the scenario names joined by commas.
func (s ScenarioSet) String() string {
	e := s.effective()
	switch e {
	case All:
		return "all"
	case Handbook:
		return "handbook"
	case Extras:
		return "extras"
	case 0:
		return "none"
	}
	return strings.Join(s.Names(), ",")
}
