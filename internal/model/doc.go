// Package model owns vigil's learning and scoring maths: the histogram
// gradient-boosted tree trainer (TrainGBDT), the compiled tree predictor with
// reason codes (GBDT, Explain, TopReasons), the logistic-regression baseline
// (TrainLogistic), the evaluation metrics of the Fraud Detection Handbook
// protocol (AUC, AveragePrecision, CardPrecisionAtK, TrainTestSplit), the
// signed and checksummed model file (Save, Load, Sign, Verify), and the
// import of XGBoost JSON models (ImportXGBoost).
//
// It works on dense matrices of float64 feature values and on feature names
// only. It does not compute features (internal/feature does), does not read
// transaction files or stores, does not know what a transaction is, and does
// not read flags or the environment: callers pass data, keys and options in.
//
// # Comparison semantics
//
// Every tree node, whether trained here or imported, sends a feature value x
// to its left child when x < Threshold, to its right child when x >=
// Threshold (-0 and +0 compare equal), and a missing value (NaN) to the side
// recorded in the node. +Inf and -Inf are ordinary values at prediction
// time; training refuses them (encode "unknown" as NaN instead). A trained
// split that separates missing values from all others uses the threshold
// math.MaxFloat64, so any finite value, even one larger than seen in
// training, goes with the values. Imported XGBoost thresholds are converted
// so that these semantics reproduce XGBoost's float32 comparisons exactly.
//
// # Determinism
//
// Training is deterministic for a given Dataset, options and Seed: on one
// platform the model is bit-identical whatever the number of workers or
// GOMAXPROCS, because every histogram is accumulated in row order by a single
// goroutine and every reduction runs in a fixed order. (Other architectures
// may round differently where the compiler fuses multiply-adds.)
//
// # Files
//
// A model file is one JSON object: an envelope holding the SHA-256 (and
// optionally an Ed25519 signature) of the exact bytes of its "content" member,
// which is the model document itself. Load refuses a file that fails any
// check and never returns a partly loaded model.
package model
