package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// query reads a listing's query parameters, collecting every problem as a field error.
type query struct {
	v    url.Values
	errs fraud.ValidationError
}

// newQuery refuses parameters not in allowed (a misspelt filter must not list everything),
// and a query string that does not parse: url.Values drops a pair with a bad escape or a
// ';', which would turn a filter into no filter.
func newQuery(r *http.Request, allowed ...string) *query {
	v, err := url.ParseQuery(r.URL.RawQuery)
	q := &query{v: v}
	if err != nil {
		q.errs.Add("(query)", "not a valid query string: a bad %-escape or a ';'")
	}
	for name := range q.v {
		if !contains(allowed, name) {
			path := name
			if !plainField.MatchString(path) {
				path = "(unnamed parameter)"
			}
			q.errs.Add(path, "unknown query parameter")
		}
	}
	for _, name := range allowed {
		if len(q.v[name]) > 1 {
			q.errs.Add(name, "given more than once")
		}
	}
	return q
}

func (q *query) str(name string) string { return q.v.Get(name) }

// time reads an RFC 3339 time; absent is the zero time.
func (q *query) time(name string) time.Time {
	s := q.v.Get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.errs.Add(name, "not RFC 3339 (e.g. 2026-11-24T12:00:00Z)")
	}
	return t
}

// limit reads the page size, 1..fraud.MaxPageLimit; absent is 0 (the store's default).
func (q *query) limit() int {
	s := q.v.Get("limit")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > fraud.MaxPageLimit {
		q.errs.Add("limit", fmt.Sprintf("must be a whole number from 1 to %d", fraud.MaxPageLimit))
		return 0
	}
	return n
}

// identifier reads an optional identifier parameter.
func (q *query) identifier(name string) string {
	s := q.v.Get(name)
	if s != "" && !fraud.IsIdentifier(s) {
		q.errs.Add(name, "must be 1-128 printable characters without spaces")
	}
	return s
}

func (q *query) err() error { return q.errs.Err() }

// page is a listing's answer.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// cursorError turns a store's refusal of a cursor into a field error.
func cursorError(err error, cursor string) error {
	if cursor != "" && errorIsInvalid(err) {
		return invalid("cursor", "not a cursor this server returned")
	}
	return err
}
