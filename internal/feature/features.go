package feature

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"

	"github.com/vigil-fraud/vigil/internal/feature/window"
)

// Index is the position of a feature in the vector Compute fills.
type Index int

// The features of the default set, in vector order. The first fifteen are the Fraud Detection
// Handbook's inputs, in its order.
const (
	Amount Index = iota
	Weekend
	Night
	CustomerTxCount1d
	CustomerMeanAmount1d
	CustomerTxCount7d
	CustomerMeanAmount7d
	CustomerTxCount30d
	CustomerMeanAmount30d
	TerminalTxCount1d
	TerminalRisk1d
	TerminalTxCount7d
	TerminalRisk7d
	TerminalTxCount30d
	TerminalRisk30d
	Hour
	CustomerSecondsSincePrevious
	CustomerAmountRatio30d
	CustomerDistinctTerminals1d
	CustomerTxCount1h
	CustomerSmallTxCount1h
	CustomerNewDevice
	CustomerCountryChanged
	CustomerTravelSeconds
	TerminalRiskLast5
	TerminalSecondsSinceKnownFraud
	CustomerAmountRatioOld
	TerminalSecondsSinceFirstKnownFraud
	CustomerMaxAmountRatio14d
	TerminalFraudRunSeconds
	TerminalSecondsBeforeFraudRun
	TerminalOrdinaryFraudRunSeconds
	TerminalSecondsBeforeOrdinaryFraudRun
	TerminalSecondsSinceOrdinaryFraud

	// NumFeatures is the length of the feature vector.
	NumFeatures int = iota
)

// HandbookCount is the number of the handbook's inputs: the first HandbookCount features.
const HandbookCount = 15

// Window bounds of the definitions, in seconds.
const (
	hour          = 3600
	day           = 86400
	terminalDelay = 7 * day // the handbook's delay d: terminal windows end 7 days back
	// smallCents is the amount below which a payment counts as small (card testing).
	smallCents = 500
	// maxDistinct caps the distinct-terminals count (a customer rarely uses more in a day).
	maxDistinct = 64
)

// Def defines one feature.
type Def struct {
	Name     string // vigil's name, snake_case: the CSV column and the name in model files
	Handbook string // the handbook's column name, "" when the handbook has no such input
	Version  string // changes whenever the same history would give another value
	Doc      string // the definition, in one sentence
}

// defs is the table of features. Adding one is local: a constant above, a row here, a line
// in fill below (adding to inputs and its scan in inputs.go if it needs a new aggregate), and
// a line in the reference computation (featuretest.Reference).
var defs = [NumFeatures]Def{
	Amount: {Name: "amount", Handbook: "TX_AMOUNT", Version: "1",
		Doc: "the transaction's amount"},
	Weekend: {Name: "weekend", Handbook: "TX_DURING_WEEKEND", Version: "1",
		Doc: "1 on Saturday or Sunday (UTC), else 0"},
	Night: {Name: "night", Handbook: "TX_DURING_NIGHT", Version: "1",
		Doc: "1 when the hour (UTC) is at most 6, else 0"},
	CustomerTxCount1d: {Name: "customer_tx_count_1d", Handbook: "CUSTOMER_ID_NB_TX_1DAY_WINDOW", Version: "1",
		Doc: "the customer's transactions in (t-1d, t], this one included"},
	CustomerMeanAmount1d: {Name: "customer_mean_amount_1d", Handbook: "CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW", Version: "1",
		Doc: "the mean amount of the customer's transactions in (t-1d, t], this one included"},
	CustomerTxCount7d: {Name: "customer_tx_count_7d", Handbook: "CUSTOMER_ID_NB_TX_7DAY_WINDOW", Version: "1",
		Doc: "the customer's transactions in (t-7d, t], this one included"},
	CustomerMeanAmount7d: {Name: "customer_mean_amount_7d", Handbook: "CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW", Version: "1",
		Doc: "the mean amount of the customer's transactions in (t-7d, t], this one included"},
	CustomerTxCount30d: {Name: "customer_tx_count_30d", Handbook: "CUSTOMER_ID_NB_TX_30DAY_WINDOW", Version: "1",
		Doc: "the customer's transactions in (t-30d, t], this one included"},
	CustomerMeanAmount30d: {Name: "customer_mean_amount_30d", Handbook: "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW", Version: "1",
		Doc: "the mean amount of the customer's transactions in (t-30d, t], this one included"},
	TerminalTxCount1d: {Name: "terminal_tx_count_1d", Handbook: "TERMINAL_ID_NB_TX_1DAY_WINDOW", Version: "1",
		Doc: "the terminal's transactions in (t-8d, t-7d]"},
	TerminalRisk1d: {Name: "terminal_risk_1d", Handbook: "TERMINAL_ID_RISK_1DAY_WINDOW", Version: "1",
		Doc: "known frauds / transactions of the terminal in (t-8d, t-7d], 0 when none"},
	TerminalTxCount7d: {Name: "terminal_tx_count_7d", Handbook: "TERMINAL_ID_NB_TX_7DAY_WINDOW", Version: "1",
		Doc: "the terminal's transactions in (t-14d, t-7d]"},
	TerminalRisk7d: {Name: "terminal_risk_7d", Handbook: "TERMINAL_ID_RISK_7DAY_WINDOW", Version: "1",
		Doc: "known frauds / transactions of the terminal in (t-14d, t-7d], 0 when none"},
	TerminalTxCount30d: {Name: "terminal_tx_count_30d", Handbook: "TERMINAL_ID_NB_TX_30DAY_WINDOW", Version: "1",
		Doc: "the terminal's transactions in (t-37d, t-7d]"},
	TerminalRisk30d: {Name: "terminal_risk_30d", Handbook: "TERMINAL_ID_RISK_30DAY_WINDOW", Version: "1",
		Doc: "known frauds / transactions of the terminal in (t-37d, t-7d], 0 when none"},
	Hour: {Name: "hour", Version: "1",
		Doc: "the hour of the day (UTC), 0-23"},
	CustomerSecondsSincePrevious: {Name: "customer_seconds_since_previous", Version: "1",
		Doc: "seconds since the customer's latest earlier-or-same-second transaction; " +
			"missing (NaN) when there is none"},
	CustomerAmountRatio30d: {Name: "customer_amount_ratio_30d", Version: "1",
		Doc: "the amount / the mean amount of the customer's other transactions in (t-30d, t] " +
			"(this one excluded, so a surprise does not dilute its own baseline); missing (NaN) when there are none"},
	CustomerDistinctTerminals1d: {Name: "customer_distinct_terminals_1d", Version: "1",
		Doc: "distinct terminals of the customer's transactions in (t-1d, t], this one included (at most 64)"},
	CustomerTxCount1h: {Name: "customer_tx_count_1h", Version: "1",
		Doc: "the customer's transactions in (t-1h, t], this one included"},
	CustomerSmallTxCount1h: {Name: "customer_small_tx_count_1h", Version: "1",
		Doc: "the customer's transactions under 5.00 in (t-1h, t], this one included"},
	CustomerNewDevice: {Name: "customer_new_device", Version: "1",
		Doc: "1 when the transaction has a device and the customer, seen with other devices, " +
			"was not seen with this one among its 4 most recent; else 0"},
	CustomerCountryChanged: {Name: "customer_country_changed", Version: "1",
		Doc: "1 when the transaction has a country and the customer's newest earlier transaction " +
			"had another one; else 0"},
	CustomerTravelSeconds: {Name: "customer_travel_seconds", Version: "1",
		Doc: "when the country changed: seconds since the customer's newest earlier transaction " +
			"(0 if that one is later); missing (NaN) otherwise"},
	TerminalRiskLast5: {Name: "terminal_risk_last5", Version: "1",
		Doc: "known frauds / transactions among the terminal's 5 newest transactions in (t-37d, t-7d] " +
			"(individually kept events); missing (NaN) when there is none. Unlike the day windows it " +
			"follows the latest known outcomes whatever the terminal's traffic"},
	TerminalSecondsSinceKnownFraud: {Name: "terminal_seconds_since_known_fraud", Version: "1",
		Doc: "seconds since the terminal's newest transaction in (t-37d, t] that is known (labelled) " +
			"to be fraud, among its individually kept events; missing (NaN) when there is none"},
	CustomerAmountRatioOld: {Name: "customer_amount_ratio_old", Version: "1",
		Doc: "the amount / the mean amount of the customer's transactions in (t-30d, t-14d]: a baseline " +
			"that two weeks of fraudulent spending cannot inflate; missing (NaN) when there are none"},
	TerminalSecondsSinceFirstKnownFraud: {Name: "terminal_seconds_since_first_known_fraud", Version: "1",
		Doc: "seconds since the terminal's oldest transaction in (t-37d, t] known to be fraud: with " +
			"terminal_seconds_since_known_fraud, how long a known compromise has lasted; missing (NaN) when none"},
	CustomerMaxAmountRatio14d: {Name: "customer_max_amount_ratio_14d", Version: "1",
		Doc: "the largest amount among the customer's other transactions in (t-14d, t] (individually kept " +
			"events) / the mean amount of its transactions in (t-30d, t-14d]: the inflated payments a " +
			"compromised card has already made; missing (NaN) when either is empty"},
	TerminalFraudRunSeconds: {Name: "terminal_fraud_run_seconds", Version: "1",
		Doc: "seconds since the oldest transaction of the unbroken run of known frauds that ends with the " +
			"terminal's newest transaction in (t-37d, t-7d] (individually kept events): how long an " +
			"ongoing compromise has lasted at least; missing (NaN) when that transaction is not a known fraud"},
	TerminalSecondsBeforeFraudRun: {Name: "terminal_seconds_before_fraud_run", Version: "1",
		Doc: "seconds since the terminal's newest transaction in (t-37d, t-7d] older than the run of " +
			"terminal_fraud_run_seconds (so not a known fraud): how long the compromise has lasted at " +
			"most; missing (NaN) when there is no run or the run fills the window"},
	TerminalOrdinaryFraudRunSeconds: {Name: "terminal_ordinary_fraud_run_seconds", Version: "1",
		Doc: "terminal_fraud_run_seconds counting only ordinary known frauds: a fraud whose amount was more than " +
			largeRatio + " times its customer's mean in (t'-30d, t'-14d] when it was made at t' (an inflated payment " +
			"of a compromised card, which says nothing of the terminal) breaks the run as a genuine payment does"},
	TerminalSecondsBeforeOrdinaryFraudRun: {Name: "terminal_seconds_before_ordinary_fraud_run", Version: "1",
		Doc: "seconds since the terminal's newest transaction in (t-37d, t-7d] older than the run of " +
			"terminal_ordinary_fraud_run_seconds (a genuine payment or an inflated fraud); missing (NaN) when " +
			"there is no run or the run fills the window"},
	TerminalSecondsSinceOrdinaryFraud: {Name: "terminal_seconds_since_ordinary_fraud", Version: "1",
		Doc: "terminal_seconds_since_known_fraud counting only ordinary known frauds (not more than " + largeRatio +
			" times their customer's mean in (t'-30d, t'-14d] when made); missing (NaN) when there is none"},
}

// largeRatio is window.LargeRatio in words, for the definitions.
var largeRatio = strconv.FormatFloat(window.LargeRatio, 'g', -1, 64)

// fill writes every feature's value. It is a plain function rather than a value func per
// row of defs: calling through function values would make inputs escape to the heap, one
// allocation per transaction.
func (in *inputs) fill(out []float64) {
	out = out[:NumFeatures]
	out[Amount] = in.amount
	out[Weekend] = b2f(in.weekday == 0 || in.weekday == 6)
	out[Night] = b2f(in.hour <= 6)
	out[CustomerTxCount1d] = in.cust[w1d].n
	out[CustomerMeanAmount1d] = in.cust[w1d].mean()
	out[CustomerTxCount7d] = in.cust[w7d].n
	out[CustomerMeanAmount7d] = in.cust[w7d].mean()
	out[CustomerTxCount30d] = in.cust[w30d].n
	out[CustomerMeanAmount30d] = in.cust[w30d].mean()
	out[TerminalTxCount1d] = in.term[0].n
	out[TerminalRisk1d] = in.term[0].risk()
	out[TerminalTxCount7d] = in.term[1].n
	out[TerminalRisk7d] = in.term[1].risk()
	out[TerminalTxCount30d] = in.term[2].n
	out[TerminalRisk30d] = in.term[2].risk()
	out[Hour] = float64(in.hour)
	out[CustomerSecondsSincePrevious] = in.sincePrevious()
	out[CustomerAmountRatio30d] = in.amountRatio()
	out[CustomerDistinctTerminals1d] = float64(in.distinct)
	out[CustomerTxCount1h] = in.cust[w1h].n
	out[CustomerSmallTxCount1h] = in.small1h
	out[CustomerNewDevice] = b2f(in.newDevice)
	out[CustomerCountryChanged] = b2f(in.countryChanged)
	out[CustomerTravelSeconds] = in.travelSeconds()
	out[TerminalRiskLast5] = in.termLast5.riskOrNaN()
	out[TerminalSecondsSinceKnownFraud] = in.sinceKnownFraud()
	out[CustomerAmountRatioOld] = in.amountRatioOld()
	out[TerminalSecondsSinceFirstKnownFraud] = in.sinceFirstKnownFraud()
	out[CustomerMaxAmountRatio14d] = in.maxAmountRatio14d()
	out[TerminalFraudRunSeconds] = in.since(in.run.start)
	out[TerminalSecondsBeforeFraudRun] = in.since(in.run.before)
	out[TerminalOrdinaryFraudRunSeconds] = in.since(in.ordinaryRun.start)
	out[TerminalSecondsBeforeOrdinaryFraudRun] = in.since(in.ordinaryRun.before)
	out[TerminalSecondsSinceOrdinaryFraud] = in.since(in.lastOrdinaryFraud)
}

// Defs returns the definitions of the features, in vector order.
func Defs() []Def { return append([]Def(nil), defs[:]...) }

// Names returns vigil's names of the features, in vector order.
func Names() []string {
	names := make([]string, NumFeatures)
	for i := range defs {
		names[i] = defs[i].Name
	}
	return names
}

// HandbookNames returns the handbook's names of its fifteen inputs, in its order: the first
// HandbookCount features.
func HandbookNames() []string {
	names := make([]string, HandbookCount)
	for i := range names {
		names[i] = defs[i].Handbook
	}
	return names
}

// String returns the feature's name.
func (i Index) String() string {
	if i < 0 || int(i) >= NumFeatures {
		return "unknown"
	}
	return defs[i].Name
}

// Version identifies the feature set: its names and definition versions, in order. A model
// file records it, so a model is only served with the features it was trained on.
var Version = setVersion()

func setVersion() string {
	h := sha256.New()
	for _, d := range defs {
		h.Write([]byte(d.Name))
		h.Write([]byte{'='})
		h.Write([]byte(d.Version))
		h.Write([]byte{'\n'})
	}
	return "fs1-" + hex.EncodeToString(h.Sum(nil)[:6])
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var nan = math.NaN()
