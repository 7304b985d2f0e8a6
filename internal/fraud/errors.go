package fraud

import (
	"errors"
	"strings"
)

// Sentinel errors shared by every adapter. Wrap them with %w; test them with errors.Is.
var (
	// ErrInvalid means the input was rejected by validation. A *ValidationError unwraps to it.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound means the requested entity does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the request contradicts stored state (e.g. the same id with other content).
	ErrConflict = errors.New("conflict")
)

// FieldError names one bad field by its JSON path ("amount", "attributes.k") and says why.
type FieldError struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// ValidationError lists every bad field of one input. Its message never contains the
// rejected values themselves, so it is safe to log and to return to a client.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		if f.Path != "" {
			b.WriteString(f.Path)
			b.WriteString(": ")
		}
		b.WriteString(f.Reason)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// add records one bad field.
func (e *ValidationError) add(path, reason string) {
	e.Fields = append(e.Fields, FieldError{Path: path, Reason: reason})
}

// Add records one bad field; packages that validate their own input (lists, labels, cases)
// build their errors with it so that every boundary reports the same shape.
func (e *ValidationError) Add(path, reason string) { e.add(path, reason) }

// Err returns e as an error, or nil when no field was bad.
func (e *ValidationError) Err() error { return e.orNil() }

// orNil returns e as an error, or nil when no field was bad.
func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Prefixed returns a copy of e whose paths start with prefix ("transactions[3].").
func (e *ValidationError) Prefixed(prefix string) *ValidationError {
	out := &ValidationError{Fields: make([]FieldError, len(e.Fields))}
	for i, f := range e.Fields {
		out.Fields[i] = FieldError{Path: prefix + f.Path, Reason: f.Reason}
	}
	return out
}
