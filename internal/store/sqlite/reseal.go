package sqlite

import (
	"context"
	"fmt"

	"github.com/vigil-fraud/vigil/internal/seal"
)

// sealedColumns names every sealed column with its table's id column. The names are
// constants of this package: they are the only identifiers ever joined into SQL text.
var sealedColumns = []struct{ table, column string }{
	{"transactions", "sealed_sensitive"},
	{"decisions", "sealed_explanation"},
	{"cases", "sealed_note"},
}

// resealBatch is how many rows Reseal reads and rewrites per transaction, so the decision
// writer never waits long for the lock.
const resealBatch = 500

// Reseal rewrites every sealed value that is not sealed under the Sealer's current key,
// and returns how many it rewrote. It is the second step of a key rotation (see package
// seal): open the store with the new key as current and the old one as previous, Reseal,
// then the old key can be dropped. It is idempotent and safe to run while the store serves;
// interrupted, it resumes where it stands when run again.
func (s *Store) Reseal(ctx context.Context) (int64, error) {
	var total int64
	current := s.sealer.CurrentKeyID()
	for _, sc := range sealedColumns {
		adColumn := sc.table + "." + sc.column
		after := ""
		for {
			n, last, more, err := s.resealPage(ctx, sc.table, sc.column, adColumn, after, current)
			total += n
			if err != nil {
				return total, fmt.Errorf("sqlite store: reseal %s: %w", adColumn, err)
			}
			if !more {
				break
			}
			after = last
		}
	}
	return total, nil
}

// resealPage rewrites, in one transaction, the stale values among the next resealBatch rows
// of table after id after. It returns how many it rewrote, the last id read and whether
// there may be more rows.
func (s *Store) resealPage(ctx context.Context, table, column, adColumn, after string, current uint32) (int64, string, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", false, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "SELECT id, "+column+" FROM "+table+" WHERE id > ? ORDER BY id LIMIT ?", after, resealBatch)
	if err != nil {
		return 0, "", false, err
	}
	type stale struct {
		id     string
		sealed []byte
	}
	var (
		pending []stale
		last    string
		read    int
	)
	for rows.Next() {
		var st stale
		if err := rows.Scan(&st.id, &st.sealed); err != nil {
			rows.Close()
			return 0, "", false, err
		}
		read++
		last = st.id
		if id, ok := seal.SealedKeyID(st.sealed); !ok || id != current {
			pending = append(pending, st)
		}
	}
	if err := rows.Close(); err != nil {
		return 0, "", false, err
	}
	for _, st := range pending {
		plain, err := s.sealer.Open(st.sealed, ad(adColumn, st.id))
		if err != nil {
			return 0, "", false, fmt.Errorf("open a sealed value: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET "+column+" = ? WHERE id = ?",
			s.sealer.Seal(plain, ad(adColumn, st.id)), st.id); err != nil {
			return 0, "", false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, "", false, err
	}
	return int64(len(pending)), last, read == resealBatch, nil
}
