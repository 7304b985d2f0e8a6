package model

import (
	"context"
	"fmt"
	"math"
)

// newton minimises the penalised logistic loss of a Logistic model over
// θ = (intercept, w_1..w_d) by Newton steps.
type newton struct {
	d   *Dataset
	m   *Logistic
	o   LogisticOptions
	dim int
	cw  []float64 // class-weighted row weights
}

// solve runs Newton's method from the model's current intercept and zero
// weights, and stores the solution in s.m.
func (s *newton) solve(ctx context.Context, totalWeight float64) error {
	theta := make([]float64, s.dim)
	theta[0] = s.m.intercept
	cand := make([]float64, s.dim)
	step := make([]float64, s.dim)
	for range s.o.MaxIterations {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("train logistic: %w", err)
		}
		obj, g, h := s.eval(theta, true)
		if maxAbs(g) <= s.o.Tolerance*totalWeight {
			break
		}
		for a := range g {
			step[a] = -g[a]
		}
		if err := choleskySolve(h, step, s.dim); err != nil {
			return fmt.Errorf("train logistic: %w", err)
		}
		slope := 0.0
		for a := range g {
			slope += g[a] * step[a]
		}
		if -slope <= 1e-12*math.Abs(obj) {
			// Within rounding of the optimum, where Newton converges
			// quadratically but the objective can no longer show a decrease:
			// take the full step and stop.
			for a := range theta {
				theta[a] += step[a]
			}
			break
		}
		accepted := false
		for t := 1.0; t > 1e-10; t /= 2 {
			for a := range theta {
				cand[a] = theta[a] + t*step[a]
			}
			if c, _, _ := s.eval(cand, false); c <= obj+1e-4*t*slope {
				copy(theta, cand)
				accepted = true
				break
			}
		}
		if !accepted {
			break // no further progress at float64 precision
		}
	}
	s.m.intercept = theta[0]
	copy(s.m.weights, theta[1:])
	return nil
}

// eval returns the penalised objective at θ and, when withDerivatives, its
// gradient and Hessian (dim×dim, row-major). Rows are summed in fixed chunks
// whose partial sums are added in chunk order, so the result does not depend
// on the number of workers.
func (s *newton) eval(theta []float64, withDerivatives bool) (obj float64, g, h []float64) {
	d, dim := s.d, s.dim
	nf := dim - 1
	nc := chunks(d.Rows)
	objs := make([]float64, nc)
	var gs, hs []float64
	if withDerivatives {
		gs = make([]float64, nc*dim)
		hs = make([]float64, nc*dim*dim)
	}
	parallelFor(nc, s.o.Workers, func(c int) {
		lo, hi := chunkRange(c, d.Rows)
		z := make([]float64, dim)
		z[0] = 1
		var o float64
		for i := lo; i < hi; i++ {
			m := theta[0]
			for j := range nf {
				z[j+1] = 0
				if v := d.X[i*nf+j]; v == v {
					z[j+1] = (v - s.m.mean[j]) / s.m.std[j]
				}
				m += theta[j+1] * z[j+1]
			}
			w := s.cw[i]
			o += w * logLossMargin(m, d.Y[i])
			if !withDerivatives {
				continue
			}
			p := sigmoid(m)
			r := w * (p - d.Y[i])
			q := w * max(p*(1-p), 1e-16)
			gc := gs[c*dim : (c+1)*dim]
			hc := hs[c*dim*dim : (c+1)*dim*dim]
			for a := range dim {
				gc[a] += r * z[a]
				qa := q * z[a]
				row := hc[a*dim : (a+1)*dim]
				for b := a; b < dim; b++ {
					row[b] += qa * z[b]
				}
			}
		}
		objs[c] = o
	})
	for c := range nc {
		obj += objs[c]
	}
	for j := 1; j < dim; j++ {
		obj += s.o.Lambda / 2 * theta[j] * theta[j]
	}
	if !withDerivatives {
		return obj, nil, nil
	}
	g = make([]float64, dim)
	h = make([]float64, dim*dim)
	for c := range nc {
		for a := range dim {
			g[a] += gs[c*dim+a]
		}
		for k := range dim * dim {
			h[k] += hs[c*dim*dim+k]
		}
	}
	for a := range dim {
		for b := a + 1; b < dim; b++ {
			h[b*dim+a] = h[a*dim+b]
		}
	}
	for j := 1; j < dim; j++ {
		g[j] += s.o.Lambda * theta[j]
		h[j*dim+j] += s.o.Lambda
	}
	return obj, g, h
}

// choleskySolve solves h·x = b for a symmetric positive-definite h (n×n,
// row-major, overwritten by its Cholesky factor), leaving x in b.
func choleskySolve(h, b []float64, n int) error {
	for j := range n {
		sum := h[j*n+j]
		for k := range j {
			sum -= h[j*n+k] * h[j*n+k]
		}
		if !(sum > 0) {
			return fmt.Errorf("%w: Hessian not positive definite", ErrInvalidData)
		}
		l := math.Sqrt(sum)
		h[j*n+j] = l
		for i := j + 1; i < n; i++ {
			s := h[i*n+j]
			for k := range j {
				s -= h[i*n+k] * h[j*n+k]
			}
			h[i*n+j] = s / l
		}
	}
	for i := range n { // L·y = b
		s := b[i]
		for k := range i {
			s -= h[i*n+k] * b[k]
		}
		b[i] = s / h[i*n+i]
	}
	for i := n - 1; i >= 0; i-- { // Lᵀ·x = y
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= h[k*n+i] * b[k]
		}
		b[i] = s / h[i*n+i]
	}
	return nil
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}
