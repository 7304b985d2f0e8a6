package history

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// Record is one transaction of a history with its ground truth: whether it was fraud and,
// for synthetic data, the scenario that made it so ("" when legitimate).
type Record struct {
	fraud.Transaction
	Fraud    bool
	Scenario string
}

// Scenario names, as written in fraud_scenario. The first three are the handbook's.
const (
	ScenarioHighAmount          = "high_amount"          // handbook 1: amount > 220
	ScenarioCompromisedTerminal = "compromised_terminal" // handbook 2
	ScenarioCompromisedCustomer = "compromised_customer" // handbook 3
	ScenarioCardTesting         = "card_testing"
	ScenarioAccountTakeover     = "account_takeover"
	ScenarioImpossibleTravel    = "impossible_travel"
)

// handbookScenarios maps the handbook's TX_FRAUD_SCENARIO codes to scenario names.
var handbookScenarios = []string{"", ScenarioHighAmount, ScenarioCompromisedTerminal, ScenarioCompromisedCustomer}

// HandbookScenarioCode returns the handbook's TX_FRAUD_SCENARIO code of a scenario name:
// 0 for legitimate, 1-3 for the handbook's scenarios, 4-6 for vigil's extra ones.
func HandbookScenarioCode(s string) int {
	for i, n := range handbookScenarios {
		if n == s {
			return i
		}
	}
	for i, n := range []string{ScenarioCardTesting, ScenarioAccountTakeover, ScenarioImpossibleTravel} {
		if n == s {
			return 4 + i
		}
	}
	return 0
}

// handbookName is the inverse of handbookCode.
// knownScenario reports whether name is a scenario name above, or empty (no fraud, or none
// said). Anything else is refused on reading: the name is copied into the feature table and
// reports people open.
func knownScenario(name string) bool {
	switch name {
	case "", ScenarioHighAmount, ScenarioCompromisedTerminal, ScenarioCompromisedCustomer,
		ScenarioCardTesting, ScenarioAccountTakeover, ScenarioImpossibleTravel:
		return true
	}
	return false
}

const reasonScenario = "must be empty or a scenario name: high_amount, compromised_terminal, compromised_customer, card_testing, account_takeover, impossible_travel"

func handbookName(code int) (string, bool) {
	if code >= 0 && code < len(handbookScenarios) {
		return handbookScenarios[code], true
	}
	extra := []string{ScenarioCardTesting, ScenarioAccountTakeover, ScenarioImpossibleTravel}
	if code >= 4 && code-4 < len(extra) {
		return extra[code-4], true
	}
	return "", false
}

// Layout is the shape of a history file.
type Layout int

// The supported layouts.
const (
	LayoutCSV      Layout = iota + 1 // vigil's CSV columns
	LayoutJSONL                      // JSON Lines
	LayoutHandbook                   // the Fraud Detection Handbook's CSV columns
)

func (l Layout) String() string {
	switch l {
	case LayoutCSV:
		return "csv"
	case LayoutJSONL:
		return "jsonl"
	case LayoutHandbook:
		return "handbook"
	}
	return "unknown"
}

// LayoutOf returns the layout a path's extension names: .csv (vigil CSV when writing; the
// header decides when reading), .jsonl or .ndjson.
func LayoutOf(path string) (Layout, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return LayoutCSV, nil
	case ".jsonl", ".ndjson":
		return LayoutJSONL, nil
	}
	return 0, fmt.Errorf("%s: unknown extension (want .csv, .jsonl or .ndjson)", filepath.Base(path))
}

// Meta is the metadata line of a history file: classification=synthetic and how the data
// was made. Keys are sorted when written.
type Meta map[string]string

// Classification returns the data classification the file declares ("" if none).
func (m Meta) Classification() string { return m["classification"] }

func (m Meta) keys() []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// LineError is a bad line of a history file. It unwraps to the cause, often a
// *fraud.ValidationError naming the fields.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ErrLayout means a file's header is neither vigil's nor the handbook's.
var ErrLayout = errors.New("unrecognised history layout")

// HandbookTimeLayout is the layout of the handbook's TX_DATETIME (no zone: read as UTC).
const HandbookTimeLayout = "2006-01-02 15:04:05"

// DayOf returns the number of whole days between start (truncated to its UTC midnight) and
// t: the handbook's TX_TIME_DAYS when start is the first day of the data.
func DayOf(start, t time.Time) int {
	s := start.UTC().Truncate(24 * time.Hour)
	d := t.UTC().Sub(s)
	if d < 0 {
		return -int((-d + 24*time.Hour - 1) / (24 * time.Hour))
	}
	return int(d / (24 * time.Hour))
}
