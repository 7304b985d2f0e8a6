// Package fraud is vigil's domain: the payment Transaction, the Decision taken on it, the
// analyst's Label, their validation, and the pseudonymisation of identifiers.
//
// It owns the vocabulary every other package speaks and imports only the standard library.
// It does not compute features, score, store or transport anything: adapters (feature
// engines, stores, streams, the HTTP API) import this package, never the reverse.
//
// Every error caused by bad input is a *ValidationError listing each bad field by its JSON
// path; it unwraps to ErrInvalid so callers can map it to a status in one place.
package fraud
