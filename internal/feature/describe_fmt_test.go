package feature

import (
	"fmt"
	"math"
	"testing"
)

// describeFmt is Describe as it was written with fmt, kept to check that the strconv version
// says exactly the same.
func describeFmt(i Index, x []float64) string {
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
		return fmt.Sprintf("%s by the customer in %s", pluralFmt(v, "payment"), windowWords(i))
	case CustomerMeanAmount1d, CustomerMeanAmount7d, CustomerMeanAmount30d:
		return fmt.Sprintf("customer's mean amount %.2f over %s", v, windowWords(i))
	case TerminalTxCount1d, TerminalTxCount7d, TerminalTxCount30d:
		return fmt.Sprintf("%s at the terminal in %s", pluralFmt(v, "payment"), windowWords(i))
	case TerminalRisk1d, TerminalRisk7d, TerminalRisk30d:
		return fmt.Sprintf("%.0f%% of the terminal's payments in %s were fraud", 100*v, windowWords(i))
	case CustomerSecondsSincePrevious:
		return "previous payment by the customer " + span(v) + " before"
	case CustomerAmountRatio30d:
		return fmt.Sprintf("amount %.1fx the customer's 30-day mean", v)
	case CustomerDistinctTerminals1d:
		return fmt.Sprintf("%s used by the customer in the last day", pluralFmt(v, "terminal"))
	case CustomerTxCount1h:
		return fmt.Sprintf("%s by the customer in the last hour", pluralFmt(v, "payment"))
	case CustomerSmallTxCount1h:
		return fmt.Sprintf("%s under 5.00 by the customer in the last hour", pluralFmt(v, "payment"))
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

func pluralFmt(v float64, noun string) string {
	if v == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%.0f %ss", v, noun)
}

func TestDescribeMatchesFmt(t *testing.T) {
	values := []float64{0, math.Copysign(0, -1), 1, -1, 2, 0.5, 0.05, 0.005, 0.004999, 1.25, 1.35, 2.5, 9.99, 9.995,
		23, 7, 12.5, -0.4, 1e6, 123456789.987, 1e21, 1e-7, -3.75, math.Inf(1), math.Inf(-1), math.NaN(),
		0.1 + 0.2, 5400, 86399.6, 1.0 / 3}
	x := make([]float64, NumFeatures)
	for i := range Index(NumFeatures) {
		for _, v := range values {
			for j := range x {
				x[j] = v
			}
			if got, want := Describe(i, x), describeFmt(i, x); got != want {
				t.Errorf("Describe(%s, %v) = %q, fmt gave %q", i, v, got, want)
			}
		}
	}
}
