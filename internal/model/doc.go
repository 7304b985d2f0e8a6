// Package model owns vigil's learning and scoring maths: the histogram
// gradient-boosted tree trainer, the compiled tree predictor with reason codes,
// the logistic-regression baseline, the evaluation metrics of the Fraud
// Detection Handbook protocol, the signed and checksummed model file, and the
// import of XGBoost JSON models.
//
// It works on dense matrices of float64 feature values and on feature names
// only. It does not compute features (internal/feature does), does not read
// transaction files or stores, does not know what a transaction is, and does
// not read flags or the environment: callers pass keys and options in.
//
// # Comparison semantics
//
// Every tree node, whether trained here or imported, sends a feature value x
// to its left child when x < Threshold, to its right child when x >= Threshold,
// and a missing value (NaN) to the side recorded in the node (MissingLeft).
// +Inf and -Inf are ordinary values at prediction time; training refuses them
// (encode "unknown" as NaN instead). A trained split that separates missing
// values from all others uses the threshold math.MaxFloat64, so any finite
// value, even one larger than seen in training, goes with the values.
//
// # Determinism
//
// Training is deterministic for a given Dataset, options and Seed: the model
// is bit-identical whatever the number of workers or GOMAXPROCS, because every
// histogram is accumulated in row order by a single goroutine and every
// reduction runs in a fixed order.
//
// # Files
//
// A model file is one JSON object: an envelope holding the SHA-256 (and
// optionally an Ed25519 signature) of the exact bytes of its "content" member,
// which is the model document itself. Load refuses a file that fails any
// check and never returns a partly loaded model.
package model
