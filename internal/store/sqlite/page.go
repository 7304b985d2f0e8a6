package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// queryPage runs one keyset-paginated query: q ends with "LIMIT ?" and args hold every value
// but the limit. It fetches one row more than limit to learn whether another page follows;
// scan reads a row and returns it with the cursor that resumes after it, and the cursor of
// the last row kept becomes the page's Next. what names the query in errors.
func queryPage[T any](ctx context.Context, db *sql.DB, what, q string, args []any, limit int,
	scan func(*sql.Rows) (T, string, error)) (fraud.Page[T], error) {
	var page fraud.Page[T]
	rows, err := db.QueryContext(ctx, q, append(args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("sqlite store: %s: %w", what, err)
	}
	defer rows.Close()
	var last string
	for rows.Next() {
		item, cursor, err := scan(rows)
		if err != nil {
			return page, fmt.Errorf("sqlite store: %s: %w", what, err)
		}
		if len(page.Items) < limit {
			last = cursor
		}
		page.Items = append(page.Items, item)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite store: %s: %w", what, err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = last
	}
	return page, nil
}

// query assembles a filtered SELECT from constant fragments: conditions are fixed text with
// "?" placeholders, and every value goes into args, never into the text.
type query struct {
	b    strings.Builder
	args []any
}

// newQuery starts "selectFrom WHERE 1 = 1", to which and adds conditions.
func newQuery(selectFrom string) *query {
	q := &query{}
	q.b.WriteString(selectFrom)
	q.b.WriteString(" WHERE 1 = 1")
	return q
}

// and adds the condition cond with the values of its placeholders.
func (q *query) and(cond string, args ...any) {
	q.b.WriteString(" AND ")
	q.b.WriteString(cond)
	q.args = append(q.args, args...)
}

// during bounds column col to [from, to), each bound only when it is set.
func (q *query) during(col string, from, to time.Time) {
	if !from.IsZero() {
		q.and(col+" >= ?", clampNanos(from))
	}
	if !to.IsZero() {
		q.and(col+" < ?", clampNanos(to))
	}
}

// then appends the rest of the statement (ORDER BY ... LIMIT ?).
func (q *query) then(rest string) { q.b.WriteString(rest) }

func (q *query) String() string { return q.b.String() }
