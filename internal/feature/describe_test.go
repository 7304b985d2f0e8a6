package feature

import (
	"math"
	"strings"
	"testing"
)

func TestDescribeEveryFeature(t *testing.T) {
	x := make([]float64, NumFeatures)
	for i := range x {
		x[i] = 3
	}
	x[CustomerAmountRatio30d] = 5.23
	x[TerminalRisk7d] = 0.43
	x[CustomerSecondsSincePrevious] = 42
	x[CustomerTravelSeconds] = 5400
	for i := range Index(NumFeatures) {
		got := Describe(i, x)
		if got == "" || strings.Contains(got, "%!") || strings.Contains(got, " = ") {
			t.Errorf("Describe(%s) = %q: every feature needs its own words", i, got)
		}
	}
	for _, tt := range []struct {
		i    Index
		want string
	}{
		{CustomerAmountRatio30d, "amount 5.2x the customer's 30-day mean"},
		{TerminalRisk7d, "43% of the terminal's payments in the 7 days before the last week (known outcomes) were fraud"},
		{CustomerSecondsSincePrevious, "previous payment by the customer 42s before"},
		{CustomerTravelSeconds, "country changed 1h30m after the customer's previous payment"},
		{CustomerTxCount1h, "3 payments by the customer in the last hour"},
		{CustomerMaxAmountRatio14d, "customer's largest payment in the last 14 days 3.0x its mean from 14 to 30 days ago"},
		{TerminalFraudRunSeconds, "every payment at the terminal with known outcome since 3s before was fraud"},
		{TerminalOrdinaryFraudRunSeconds, "every payment at the terminal with known outcome since 3s before was " +
			"fraud of a usual amount for its customer"},
	} {
		if got := Describe(tt.i, x); got != tt.want {
			t.Errorf("Describe(%s) = %q, want %q", tt.i, got, tt.want)
		}
	}
	x[CustomerAmountRatio30d] = math.NaN()
	if got := Describe(CustomerAmountRatio30d, x); !strings.Contains(got, "unknown") {
		t.Errorf("missing value: %q", got)
	}
	if Describe(-1, x) != "" || Describe(Index(NumFeatures), x) != "" || Describe(Amount, x[:3]) != "" {
		t.Error("out-of-range input must give an empty description")
	}
}
