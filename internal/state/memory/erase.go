package memory

import (
	"context"
	"fmt"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// EraseCustomer removes the history of the pseudonymous customer id (its events, devices,
// countries and last-seen time) and reports whether there was one. Terminal histories keep
// their aggregates: they hold no customer id, only transaction-id hashes and fraud flags.
//
// The erasure is logged like any change, so recovery gives the same state. When the state
// has a directory, EraseCustomer then takes a snapshot, which deletes the log segments that
// still hold the customer's earlier records, so the id leaves the disk too (the new snapshot
// replaces the old one atomically). If that snapshot fails, the customer is already erased
// from memory and the log, EraseCustomer returns true and the error, and the next snapshot
// finishes the job.
//
// It fails with an error wrapping fraud.ErrInvalid for an empty or too long id, and with
// ErrClosed after Close. Idempotent: erasing an unknown or erased customer writes nothing and
// returns false, nil.
func (s *State) EraseCustomer(ctx context.Context, customerID string) (bool, error) {
	if customerID == "" || len(customerID) > maxIDLength {
		return false, fmt.Errorf("%w: customer id empty or longer than %d bytes", fraud.ErrInvalid, maxIDLength)
	}
	s.mu.Lock()
	if err := s.writable(); err != nil {
		s.mu.Unlock()
		return false, err
	}
	persisted := s.seg != nil
	if s.customers[customerID] == nil {
		s.mu.Unlock()
		// Not held (never seen, erased, or swept as inactive): a sweep since the last
		// snapshot left the customer's history in that snapshot and its records in the log,
		// so take a snapshot now (it does nothing when nothing changed since the last one).
		if persisted {
			if err := s.Snapshot(ctx); err != nil {
				return false, fmt.Errorf("removing the customer's earlier records from disk: %w", err)
			}
		}
		return false, nil
	}
	if persisted {
		if err := s.append(encodeErase(s.rec[:0], s.seq+1, customerID)); err != nil {
			s.mu.Unlock()
			return false, err
		}
	}
	s.erase(customerID)
	s.mu.Unlock()
	if persisted {
		if err := s.Snapshot(ctx); err != nil {
			return true, fmt.Errorf("erased; removing the customer's earlier log records from disk: %w", err)
		}
	}
	return true, nil
}

// erase applies an erasure; the caller holds mu.
func (s *State) erase(customerID string) {
	seq := s.seq + 1
	if !holds(s.customersAt, customerID, seq) {
		delete(s.customers, customerID)
	}
	s.seq = seq
}
