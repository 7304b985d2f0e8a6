package rules

import (
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/overloads"
	"cel.dev/cel-go/common/types/ref"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// estimator bounds the sizes of the rules' inputs for CEL's static cost estimate, which
// otherwise assumes any string, map or list may be unbounded, and charges membership in a
// named list as the hash lookup it is.
type estimator struct {
	maxListEntries uint64
}

var _ cost.Estimator = estimator{}

// EstimateSize implements cost.Estimator.
func (e estimator) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	path := n.Path()
	if len(path) == 0 {
		return nil
	}
	var sz cost.SizeEstimate
	switch {
	case path[0] == "lists" && len(path) == 2:
		sz = cost.RangedSizeEstimate(0, e.maxListEntries)
	case path[0] == "lists" && len(path) == 3: // an entry of a list
		sz = cost.RangedSizeEstimate(0, fraud.MaxAttributeValue)
	case path[0] == "txn" && len(path) == 2 && path[1] == "attributes":
		sz = cost.RangedSizeEstimate(0, fraud.MaxAttributes)
	case path[0] == "txn" && len(path) == 3 && path[1] == "attributes":
		sz = cost.RangedSizeEstimate(0, fraud.MaxAttributeValue)
	case path[0] == "txn" && len(path) == 2:
		sz = cost.RangedSizeEstimate(0, fraud.MaxIDLength)
	default:
		return nil
	}
	return &sz
}

// EstimateCallCost implements cost.Estimator.
func (e estimator) EstimateCallCost(function, overloadID string, target *cost.AstNode, args []cost.AstNode) *cost.CallEstimate {
	if overloadID == overloads.InList && len(args) == 2 {
		if p := args[1].Path(); len(p) == 2 && p[0] == "lists" {
			return cost.NewCallEstimate(cost.FixedCostEstimate(1), nil)
		}
	}
	return nil
}

// runtimeCost charges membership in a named list one unit at evaluation, like the estimate.
type runtimeCost struct{}

var _ cost.ActualCostEstimator = runtimeCost{}

var one = uint64(1)

// CallCost implements cost.ActualCostEstimator.
func (runtimeCost) CallCost(function, overloadID string, args []ref.Val, result ref.Val) *uint64 {
	if len(args) == 2 {
		if _, ok := args[1].(*stringSet); ok && (overloadID == overloads.InList || function == "@in") {
			return &one
		}
	}
	return nil
}
