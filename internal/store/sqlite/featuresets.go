package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// featureSets maps lists of feature names to their rows in feature_sets and back. A store
// sees a handful of lists in its life (one per feature engine version), so it keeps them all.
type featureSets struct {
	last atomic.Pointer[featureSet] // the list seen last: the one every decision carries

	mu   sync.Mutex
	byID map[int64]*featureSet
	byJS map[string]*featureSet
}

type featureSet struct {
	id    int64
	names []string // never modified
}

// featureSetID returns the feature_sets row listing names (0 for nil), adding it first if
// the database does not have it yet.
func (s *Store) featureSetID(ctx context.Context, names []string) (int64, error) {
	if names == nil {
		return 0, nil
	}
	fs := &s.features
	if last := fs.last.Load(); last != nil && slices.Equal(last.names, names) {
		return last.id, nil
	}
	js, err := json.Marshal(names)
	if err != nil {
		return 0, fmt.Errorf("sqlite store: feature names: %w", err)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	set := fs.byJS[string(js)]
	if set == nil {
		if _, err := s.db.ExecContext(ctx,
			"INSERT INTO feature_sets (names) VALUES (?) ON CONFLICT (names) DO NOTHING", string(js)); err != nil {
			return 0, fmt.Errorf("sqlite store: feature names: %w", err)
		}
		var id int64
		if err := s.db.QueryRowContext(ctx, "SELECT id FROM feature_sets WHERE names = ?", string(js)).Scan(&id); err != nil {
			return 0, fmt.Errorf("sqlite store: feature names: %w", err)
		}
		set = &featureSet{id: id, names: slices.Clone(names)}
		fs.remember(set, string(js))
	}
	fs.last.Store(set)
	return set.id, nil
}

// loadFeatureSets reads every feature_sets row into the cache (Open). Listings decode
// decisions while their rows hold a pooled connection; had featureNames to query for a set
// on a cold cache, enough concurrent listings would take every connection and wait for one
// more, for ever.
func (s *Store) loadFeatureSets(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, "SELECT id, names FROM feature_sets")
	if err != nil {
		return fmt.Errorf("sqlite store: feature names: %w", err)
	}
	defer rows.Close()
	fs := &s.features
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for rows.Next() {
		var (
			id int64
			js string
		)
		if err := rows.Scan(&id, &js); err != nil {
			return fmt.Errorf("sqlite store: feature names: %w", err)
		}
		if _, err := fs.decode(id, js); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite store: feature names: %w", err)
	}
	return nil
}

// featureNames returns a copy of the names listed by feature_sets row id. Every row is
// cached from Open on (loadFeatureSets, featureSetID); the query is for a row written by
// another process since.
func (s *Store) featureNames(ctx context.Context, id int64) ([]string, error) {
	fs := &s.features
	fs.mu.Lock()
	defer fs.mu.Unlock()
	set := fs.byID[id]
	if set == nil {
		var js string
		err := s.db.QueryRowContext(ctx, "SELECT names FROM feature_sets WHERE id = ?", id).Scan(&js)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("sqlite store: feature names %d: %w", id, errCodec)
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite store: feature names: %w", err)
		}
		if set, err = fs.decode(id, js); err != nil {
			return nil, err
		}
	}
	return slices.Clone(set.names), nil
}

// decode reads the names of feature_sets row id from their JSON js and remembers them; the
// caller holds mu.
func (fs *featureSets) decode(id int64, js string) (*featureSet, error) {
	set := &featureSet{id: id}
	if err := json.Unmarshal([]byte(js), &set.names); err != nil || set.names == nil {
		return nil, fmt.Errorf("sqlite store: feature names %d: %w", id, errCodec)
	}
	fs.remember(set, js)
	return set, nil
}

func (fs *featureSets) remember(set *featureSet, js string) {
	if fs.byID == nil {
		fs.byID, fs.byJS = map[int64]*featureSet{}, map[string]*featureSet{}
	}
	fs.byID[set.id], fs.byJS[js] = set, set
}
