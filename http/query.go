package http

import (
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/wardhq/ward"
)

// query parses the query string of a list request. Each accessor consumes
// one parameter; done reports the first problem, including parameters no
// accessor consumed, so that a misspelt filter fails instead of silently
// matching everything. An empty value counts as absent.
type query struct {
	values url.Values
	used   map[string]bool
	err    error
}

// parseQuery parses raw, a URL's RawQuery.
func parseQuery(raw string) *query {
	q := &query{used: make(map[string]bool)}
	v, err := url.ParseQuery(raw)
	if err != nil {
		q.err = ward.Errorf(ward.EINVALID, "The query string is malformed.")
	}
	q.values = v
	return q
}

// get returns the single value of name, or "" when absent or empty.
func (q *query) get(name string) string {
	q.used[name] = true
	vs := q.values[name]
	switch {
	case len(vs) == 0:
		return ""
	case len(vs) > 1:
		q.fail(name, "%s is given more than once.", name)
		return ""
	}
	return vs[0]
}

func (q *query) fail(name, format string, args ...any) {
	if q.err == nil {
		q.err = ward.FieldErrorf(name, format, args...)
	}
}

// str returns a string filter, nil when absent.
func (q *query) str(name string) *string {
	if v := q.get(name); v != "" {
		return &v
	}
	return nil
}

// enum returns an enumerated filter, nil when absent; a value valid
// rejects is an error naming the parameter.
func enum[T ~string](q *query, name string, valid func(T) bool) *T {
	v := q.get(name)
	if v == "" {
		return nil
	}
	t := T(v)
	if !valid(t) {
		q.fail(name, "%s is not a valid %s.", strconv.Quote(truncate(v, 64)), name)
		return nil
	}
	return &t
}

// instant returns a time filter, nil when absent. It takes RFC 3339 or
// "now" (the server's clock).
func (q *query) instant(name string, now func() time.Time) *time.Time {
	v := q.get(name)
	if v == "" {
		return nil
	}
	if v == "now" {
		t := now()
		return &t
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		q.fail(name, "%s must be \"now\" or an RFC 3339 time such as 2026-01-02T15:04:05Z.", name)
		return nil
	}
	return &t
}

// uint returns an unsigned integer parameter, nil when absent.
func (q *query) uint(name string) *uint64 {
	v := q.get(name)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		q.fail(name, "%s must be a non-negative integer.", name)
		return nil
	}
	return &n
}

// page returns the offset and limit parameters, normalized: limit defaults
// to ward.DefaultLimit and may not exceed ward.MaxLimit.
func (q *query) page() ward.Page {
	var p ward.Page
	p.Offset = q.integer("offset", 0)
	if v := q.get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > ward.MaxLimit {
			q.fail("limit", "limit must be an integer between 1 and %d.", ward.MaxLimit)
		}
		p.Limit = n
	}
	if err := p.Normalize(); err != nil && q.err == nil {
		q.err = err
	}
	return p
}

func (q *query) integer(name string, def int) int {
	v := q.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		q.fail(name, "%s must be a non-negative integer.", name)
		return def
	}
	return n
}

// done returns the first problem met, or an error naming a parameter that
// no accessor consumed.
func (q *query) done() error {
	if q.err != nil {
		return q.err
	}
	var unknown []string
	for name := range q.values {
		if !q.used[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		name := truncate(unknown[0], 64)
		return ward.FieldErrorf(name, "Unknown query parameter %s.", strconv.Quote(name))
	}
	return nil
}
