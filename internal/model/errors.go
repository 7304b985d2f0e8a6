package model

import "errors"

// Sentinel errors. Every error this package returns for bad input wraps one of
// these, so callers can test with errors.Is and still print a precise message.
var (
	// ErrInvalidData marks a Dataset, metric input or option that cannot be used.
	ErrInvalidData = errors.New("invalid data")
	// ErrInvalidModel marks a model (file, import or in-memory) that is
	// malformed: out-of-range nodes or features, non-finite values, cycles.
	ErrInvalidModel = errors.New("invalid model")
	// ErrChecksum marks a model file whose content does not match its SHA-256.
	ErrChecksum = errors.New("model checksum mismatch")
	// ErrSignature marks a model file whose Ed25519 signature is missing while
	// a public key is required, or does not verify.
	ErrSignature = errors.New("model signature invalid")
	// ErrUnsupported marks a file format version, model kind or XGBoost
	// feature this package does not handle.
	ErrUnsupported = errors.New("unsupported model")
	// ErrUndefined marks a metric that is undefined for its input, such as
	// AUC when only one class is present.
	ErrUndefined = errors.New("metric undefined")
)
