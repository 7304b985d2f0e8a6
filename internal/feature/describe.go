package feature

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The numbers of the descriptions are formatted with strconv, not fmt: Describe runs for
// each reason of every decision, and fmt was a tenth of its cost (TestDescribeMatchesFmt keeps
// the words identical to the fmt formats they replaced).
func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// pad2 left-pads a one-character number with a zero, as fmt's %02.0f does.
func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

// Describe says in domain words what feature i's value in the vector x means for a person
// reading a decision's reasons: "amount 5.2x the customer's 30-day mean". x is the full
// feature vector of the transaction (some descriptions use a second feature). An index out
// of range gives "".
func Describe(i Index, x []float64) string {
	if i < 0 || int(i) >= NumFeatures || len(x) < NumFeatures {
		return ""
	}
	v := x[i]
	if math.IsNaN(v) {
		return defs[i].Name + " unknown (no history)"
	}
	switch i {
	case Amount:
		return "amount " + f2(v)
	case Weekend:
		return yesNo(v, "on a weekend", "on a weekday")
	case Night:
		return yesNo(v, "at night (before 07:00 UTC)", "in the daytime")
	case Hour:
		return "at " + pad2(f0(v)) + ":00-" + pad2(f0(v)) + ":59 UTC"
	case CustomerTxCount1d, CustomerTxCount7d, CustomerTxCount30d:
		return plural(v, "payment") + " by the customer in " + windowWords(i)
	case CustomerMeanAmount1d, CustomerMeanAmount7d, CustomerMeanAmount30d:
		return "customer's mean amount " + f2(v) + " over " + windowWords(i)
	case TerminalTxCount1d, TerminalTxCount7d, TerminalTxCount30d:
		return plural(v, "payment") + " at the terminal in " + windowWords(i)
	case TerminalRisk1d, TerminalRisk7d, TerminalRisk30d:
		return f0(100*v) + "% of the terminal's payments in " + windowWords(i) + " were fraud"
	case CustomerSecondsSincePrevious:
		return "previous payment by the customer " + span(v) + " before"
	case CustomerAmountRatio30d:
		return "amount " + f1(v) + "x the customer's 30-day mean"
	case CustomerDistinctTerminals1d:
		return plural(v, "terminal") + " used by the customer in the last day"
	case CustomerTxCount1h:
		return plural(v, "payment") + " by the customer in the last hour"
	case CustomerSmallTxCount1h:
		return plural(v, "payment") + " under 5.00 by the customer in the last hour"
	case CustomerNewDevice:
		return yesNo(v, "a device new to the customer", "a device the customer has used before")
	case CustomerCountryChanged:
		return yesNo(v, "country differs from the customer's previous payment", "same country as the customer's previous payment")
	case TerminalRiskLast5:
		return f0(100*v) + "% of the terminal's 5 latest payments with known outcome were fraud"
	case TerminalSecondsSinceKnownFraud:
		return "last known fraud at the terminal " + span(v) + " before"
	case TerminalSecondsSinceFirstKnownFraud:
		return "first known fraud at the terminal (last 37 days) " + span(v) + " before"
	case CustomerMaxAmountRatio14d:
		return "customer's largest payment in the last 14 days " + f1(v) + "x its mean from 14 to 30 days ago"
	case TerminalFraudRunSeconds:
		return "every payment at the terminal with known outcome since " + span(v) + " before was fraud"
	case TerminalSecondsBeforeFraudRun:
		return "terminal's last payment before its run of known frauds " + span(v) + " before"
	case TerminalOrdinaryFraudRunSeconds:
		return "every payment at the terminal with known outcome since " + span(v) +
			" before was fraud of a usual amount for its customer"
	case TerminalSecondsBeforeOrdinaryFraudRun:
		return "terminal's last payment before its run of known frauds of usual amounts " + span(v) + " before"
	case TerminalSecondsSinceOrdinaryFraud:
		return "last known fraud of a usual amount for its customer at the terminal " + span(v) + " before"
	case CustomerAmountRatioOld:
		return "amount " + f1(v) + "x the customer's mean from 14 to 30 days ago"
	case CustomerTravelSeconds:
		return "country changed " + span(v) + " after the customer's previous payment"
	}
	return defs[i].Name + " = " + strconv.FormatFloat(v, 'g', -1, 64)
}

// windowWords names the window of a windowed feature.
func windowWords(i Index) string {
	switch i {
	case CustomerTxCount1d, CustomerMeanAmount1d:
		return "the last day"
	case CustomerTxCount7d, CustomerMeanAmount7d:
		return "the last 7 days"
	case CustomerTxCount30d, CustomerMeanAmount30d:
		return "the last 30 days"
	case TerminalTxCount1d, TerminalRisk1d:
		return "the day a week back (known outcomes)"
	case TerminalTxCount7d, TerminalRisk7d:
		return "the 7 days before the last week (known outcomes)"
	case TerminalTxCount30d, TerminalRisk30d:
		return "the 30 days before the last week (known outcomes)"
	}
	return ""
}

func yesNo(v float64, yes, no string) string {
	if v != 0 {
		return yes
	}
	return no
}

func plural(v float64, noun string) string {
	if v == 1 {
		return "1 " + noun
	}
	return f0(v) + " " + noun + "s"
}

// span renders a number of seconds as a rounded duration: "42s", "1h30m".
func span(sec float64) string {
	d := time.Duration(sec) * time.Second
	if d >= time.Hour {
		d = d.Round(time.Minute)
		return strings.TrimSuffix(d.String(), "0s")
	}
	return d.String()
}
