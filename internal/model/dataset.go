package model

import (
	"fmt"
	"math"
)

// Dataset is a dense, row-major table of feature values with binary labels.
// It is the only input format of the trainers; the caller builds it from
// whatever the feature engine produced.
type Dataset struct {
	// Names are the feature names, one per column. They must be unique and
	// non-empty; the trained model keeps them.
	Names []string
	// Rows is the number of rows.
	Rows int
	// X holds Rows*len(Names) values, row by row: X[i*len(Names)+j] is
	// feature j of row i. NaN means missing; ±Inf is refused.
	X []float64
	// Y holds one label per row: 1 for fraud, 0 for genuine.
	Y []float64
	// W optionally holds one non-negative weight per row; nil means all 1.
	W []float64
}

// Row returns the feature values of row i, sharing storage with d.X.
func (d *Dataset) Row(i int) []float64 {
	n := len(d.Names)
	return d.X[i*n : (i+1)*n : (i+1)*n]
}

// Labels returns Y as booleans (true for fraud), the form the metrics take.
func (d *Dataset) Labels() []bool {
	out := make([]bool, d.Rows)
	for i, y := range d.Y {
		out[i] = y == 1
	}
	return out
}

// Validate reports the first problem that makes d unusable for training or
// evaluation. The error wraps ErrInvalidData.
func (d *Dataset) Validate() error {
	if d == nil {
		return fmt.Errorf("%w: nil dataset", ErrInvalidData)
	}
	nf := len(d.Names)
	if nf == 0 {
		return fmt.Errorf("%w: no features", ErrInvalidData)
	}
	seen := make(map[string]int, nf)
	for j, name := range d.Names {
		if name == "" {
			return fmt.Errorf("%w: feature %d has an empty name", ErrInvalidData, j)
		}
		if k, dup := seen[name]; dup {
			return fmt.Errorf("%w: feature name %q used by columns %d and %d", ErrInvalidData, name, k, j)
		}
		seen[name] = j
	}
	if d.Rows <= 0 {
		return fmt.Errorf("%w: %d rows", ErrInvalidData, d.Rows)
	}
	if len(d.X) != d.Rows*nf {
		return fmt.Errorf("%w: X has %d values, want rows*features = %d*%d", ErrInvalidData, len(d.X), d.Rows, nf)
	}
	if len(d.Y) != d.Rows {
		return fmt.Errorf("%w: Y has %d labels, want %d", ErrInvalidData, len(d.Y), d.Rows)
	}
	if d.W != nil && len(d.W) != d.Rows {
		return fmt.Errorf("%w: W has %d weights, want %d", ErrInvalidData, len(d.W), d.Rows)
	}
	for i, v := range d.X {
		if math.IsInf(v, 0) {
			return fmt.Errorf("%w: row %d feature %q is infinite (use NaN for missing)", ErrInvalidData, i/nf, d.Names[i%nf])
		}
	}
	for i, y := range d.Y {
		if y != 0 && y != 1 {
			return fmt.Errorf("%w: row %d label is %v, want 0 or 1", ErrInvalidData, i, y)
		}
	}
	for i, w := range d.W {
		if !(w >= 0) || math.IsInf(w, 1) {
			return fmt.Errorf("%w: row %d weight is %v, want finite and >= 0", ErrInvalidData, i, w)
		}
	}
	return nil
}

// sameNames reports whether a and b list the same names in the same order.
func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// weight returns the weight of row i (1 when d.W is nil).
func (d *Dataset) weight(i int) float64 {
	if d.W == nil {
		return 1
	}
	return d.W[i]
}
