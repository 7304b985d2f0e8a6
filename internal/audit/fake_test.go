package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// memStore is an in-memory fraud.AuditStore whose entries a test may change freely, as an
// attacker with write access to the database could. ScanAudit returns entries in slice
// order (not sorted), so a test can also reorder them.
type memStore struct {
	mu      sync.Mutex
	entries []fraud.AuditEntry
	// beforeAppend, when set, runs before each append (outside the lock).
	beforeAppend func()
}

var _ fraud.AuditStore = (*memStore)(nil)

func clone(e fraud.AuditEntry) fraud.AuditEntry {
	e.PrevHash, e.Hash = bytes.Clone(e.PrevHash), bytes.Clone(e.Hash)
	return e
}

func (s *memStore) AppendAudit(_ context.Context, e fraud.AuditEntry) error {
	if s.beforeAppend != nil {
		s.beforeAppend()
	}
	if e.Seq == 0 || e.Time.IsZero() || e.Action == "" {
		return fmt.Errorf("mem: %w", fraud.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var last uint64
	if n := len(s.entries); n > 0 {
		last = s.entries[n-1].Seq
	}
	if e.Seq != last+1 {
		return fmt.Errorf("mem: %d after %d: %w", e.Seq, last, fraud.ErrConflict)
	}
	s.entries = append(s.entries, clone(e))
	return nil
}

func (s *memStore) LastAudit(context.Context) (*fraud.AuditEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 {
		return nil, fmt.Errorf("mem: %w", fraud.ErrNotFound)
	}
	e := clone(s.entries[len(s.entries)-1])
	return &e, nil
}

func (s *memStore) ScanAudit(ctx context.Context, fromSeq uint64, fn func(fraud.AuditEntry) error) error {
	s.mu.Lock()
	entries := make([]fraud.AuditEntry, 0, len(s.entries))
	for _, e := range s.entries {
		entries = append(entries, clone(e))
	}
	s.mu.Unlock()
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.Seq < fromSeq {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// copyStore returns a store holding a deep copy of s's entries.
func (s *memStore) copyStore() *memStore {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &memStore{}
	for _, e := range s.entries {
		c.entries = append(c.entries, clone(e))
	}
	return c
}
