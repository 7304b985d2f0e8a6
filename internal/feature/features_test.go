package feature

import (
	"math"
	"testing"

	"github.com/vigil-fraud/vigil/internal/feature/window"
)

// TestFillWritesEverySlot guards the one-line-per-feature fill: every feature gets a value.
func TestFillWritesEverySlot(t *testing.T) {
	const sentinel = -12345.678
	out := make([]float64, NumFeatures)
	for i := range out {
		out[i] = sentinel
	}
	in := inputs{previous: -1}
	in.fill(out)
	for i, v := range out {
		if v == sentinel {
			t.Errorf("fill does not write %s", Index(i))
		}
	}
	if !math.IsNaN(out[CustomerSecondsSincePrevious]) || !math.IsNaN(out[CustomerAmountRatio30d]) ||
		!math.IsNaN(out[CustomerTravelSeconds]) || out[TerminalRisk30d] != 0 {
		t.Errorf("undefined values: %v", out)
	}
}

// TestWindowsFitHorizons: the histories keep what the longest windows read.
func TestWindowsFitHorizons(t *testing.T) {
	var longestCustomer int64
	for _, w := range customerWindows {
		longestCustomer = max(longestCustomer, w)
	}
	if h := int64(window.DefaultLimits.CustomerHorizon); h < longestCustomer {
		t.Errorf("customer horizon %d < longest window %d", h, longestCustomer)
	}
	if h := int64(window.DefaultLimits.TerminalHorizon); h < terminalDelay+terminalWindows[2] {
		t.Errorf("terminal horizon %d < delay + longest window %d", h, terminalDelay+terminalWindows[2])
	}
}
