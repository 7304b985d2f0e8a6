package feature

import (
	"fmt"
	"math"
	"strings"
	"time"
)

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
		return fmt.Sprintf("amount %.2f", v)
	case Weekend:
		return yesNo(v, "on a weekend", "on a weekday")
	case Night:
		return yesNo(v, "at night (before 07:00 UTC)", "in the daytime")
	case Hour:
		return fmt.Sprintf("at %02.0f:00-%02.0f:59 UTC", v, v)
	case CustomerTxCount1d, CustomerTxCount7d, CustomerTxCount30d:
		return fmt.Sprintf("%s by the customer in %s", plural(v, "payment"), windowWords(i))
	case CustomerMeanAmount1d, CustomerMeanAmount7d, CustomerMeanAmount30d:
		return fmt.Sprintf("customer's mean amount %.2f over %s", v, windowWords(i))
	case TerminalTxCount1d, TerminalTxCount7d, TerminalTxCount30d:
		return fmt.Sprintf("%s at the terminal in %s", plural(v, "payment"), windowWords(i))
	case TerminalRisk1d, TerminalRisk7d, TerminalRisk30d:
		return fmt.Sprintf("%.0f%% of the terminal's payments in %s were fraud", 100*v, windowWords(i))
	case CustomerSecondsSincePrevious:
		return "previous payment by the customer " + span(v) + " before"
	case CustomerAmountRatio30d:
		return fmt.Sprintf("amount %.1fx the customer's 30-day mean", v)
	case CustomerDistinctTerminals1d:
		return fmt.Sprintf("%s used by the customer in the last day", plural(v, "terminal"))
	case CustomerTxCount1h:
		return fmt.Sprintf("%s by the customer in the last hour", plural(v, "payment"))
	case CustomerSmallTxCount1h:
		return fmt.Sprintf("%s under 5.00 by the customer in the last hour", plural(v, "payment"))
	case CustomerNewDevice:
		return yesNo(v, "a device new to the customer", "a device the customer has used before")
	case CustomerCountryChanged:
		return yesNo(v, "country differs from the customer's previous payment", "same country as the customer's previous payment")
	case TerminalRiskLast5:
		return fmt.Sprintf("%.0f%% of the terminal's 5 latest payments with known outcome were fraud", 100*v)
	case TerminalSecondsSinceKnownFraud:
		return "last known fraud at the terminal " + span(v) + " before"
	case TerminalSecondsSinceFirstKnownFraud:
		return "first known fraud at the terminal (last 37 days) " + span(v) + " before"
	case CustomerMaxAmountRatio14d:
		return fmt.Sprintf("customer's largest payment in the last 14 days %.1fx its mean from 14 to 30 days ago", v)
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
		return fmt.Sprintf("amount %.1fx the customer's mean from 14 to 30 days ago", v)
	case CustomerTravelSeconds:
		return "country changed " + span(v) + " after the customer's previous payment"
	}
	return fmt.Sprintf("%s = %g", defs[i].Name, v)
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
	return fmt.Sprintf("%.0f %ss", v, noun)
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
