package feature

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/vigil-fraud/vigil/internal/feature/window"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

// Options configure an Engine.
type Options struct {
	// State keeps the per-entity histories (required): state/memory embedded, state/redis
	// shared. A state that implements window.Local is read in place (no copy, no allocation).
	State fraud.FeatureState
}

// Engine computes the features of transactions from the histories of their customers and
// terminals, point in time: Compute reads the state as it is before the transaction, Update
// adds the transaction after it was scored, and labels reach the state only through Label.
//
// An Engine is safe for concurrent use; it holds no state of its own. Scoring one transaction
// is Compute, then (after the decision) Update. Compute and Update of the same transaction are
// not atomic together: transactions of one customer scored concurrently may not see each
// other, exactly as if they had arrived in the same instant.
type Engine struct {
	state   fraud.FeatureState
	local   window.Local
	scratch sync.Pool // *remoteScratch, for states read through Load
}

// remoteScratch holds the decoded histories of one Compute on a networked state.
type remoteScratch struct {
	keys     [2]fraud.EntityKey
	blobs    [2][]byte
	customer window.Customer
	terminal window.Terminal
}

// New returns an engine over opts.State. It fails when no state is given.
func New(opts Options) (*Engine, error) {
	if opts.State == nil {
		return nil, errors.New("feature: no state given")
	}
	e := &Engine{state: opts.State}
	e.local, _ = opts.State.(window.Local)
	e.scratch.New = func() any { return new(remoteScratch) }
	return e, nil
}

// State returns the state the engine reads and updates.
func (e *Engine) State() fraud.FeatureState { return e.state }

// Compute writes the features of t into out[:NumFeatures], in the order of the Index
// constants, from the state as it is now: t itself is not added (see Update). It fails with an
// error wrapping fraud.ErrInvalid when t's timestamp or amount cannot be represented (see
// window.Observe) or out is shorter than NumFeatures, and with the state's error when a
// networked state cannot be read. On an in-process state it does not allocate.
func (e *Engine) Compute(ctx context.Context, t *fraud.Transaction, out []float64) error {
	if len(out) < NumFeatures {
		return fmt.Errorf("%w: feature vector of %d, want %d", fraud.ErrInvalid, len(out), NumFeatures)
	}
	o, err := window.Observe(t)
	if err != nil {
		return err
	}
	var in inputs
	if e.local != nil {
		e.local.RLock()
		in.gather(&o, t.Amount, e.local.Customer(t.CustomerID), e.local.Terminal(t.TerminalID))
		e.local.RUnlock()
	} else {
		s := e.scratch.Get().(*remoteScratch)
		defer e.scratch.Put(s)
		s.keys = [2]fraud.EntityKey{{Kind: fraud.CustomerEntity, ID: t.CustomerID}, {Kind: fraud.TerminalEntity, ID: t.TerminalID}}
		if err := e.state.Load(ctx, s.keys[:], s.blobs[:]); err != nil {
			return fmt.Errorf("load feature state: %w", err)
		}
		if err := s.customer.UnmarshalBinary(s.blobs[0]); err != nil {
			return fmt.Errorf("customer history: %w", err)
		}
		if err := s.terminal.UnmarshalBinary(s.blobs[1]); err != nil {
			return fmt.Errorf("terminal history: %w", err)
		}
		in.gather(&o, t.Amount, &s.customer, &s.terminal)
	}
	in.fill(out)
	return nil
}

// Update adds t to the histories of its customer and terminal: call it once per transaction,
// after Compute (and after the decision is durable). It fails like the state's Observe.
func (e *Engine) Update(ctx context.Context, t *fraud.Transaction) error {
	return e.state.Observe(ctx, t)
}

// Label records that the past transaction t was fraud (or not): from then on it counts in the
// terminal risk of the transactions whose delayed windows cover t's time. It fails like the
// state's Label.
func (e *Engine) Label(ctx context.Context, t *fraud.Transaction, isFraud bool) error {
	return e.state.Label(ctx, t, isFraud)
}
