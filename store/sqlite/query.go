package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// where collects the conditions of a filter.
type where struct {
	conds []string
	args  []any
}

// add appends a condition with its arguments.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// String returns the WHERE clause, or "" when there are no conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// eq adds "col = v" when the filter field v is set.
func eq[T ~string](w *where, col string, v *T) {
	if v != nil {
		w.add(col+" = ?", string(*v))
	}
}

// eqRef adds a match on an optional reference column, which holds NULL
// when the reference is absent: a filter on "" matches absent references.
func eqRef(w *where, col string, v *string) {
	if v != nil {
		w.add(col+" IS ?", nullString(*v))
	}
}

// find runs a paged list query: the count of all matches and one page of
// rows, in order. cols and from are constants; scan reads one row.
func find[T any](ctx context.Context, tx *Tx, cols, from string, w *where, order string, page ward.Page, scan func(scanner) (*T, error)) ([]*T, int, error) {
	if err := page.Normalize(); err != nil {
		return nil, 0, err
	}
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+from+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q := `SELECT ` + cols + ` FROM ` + from + w.String() + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	rows, err := tx.QueryContext(ctx, q, append(w.args, page.Limit, page.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	items := make([]*T, 0)
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return items, total, nil
}

// findOne reads the single row of a query by ID, or returns notFound.
func findOne[T any](ctx context.Context, tx *Tx, cols, from, id string, scan func(scanner) (*T, error), notFound string) (*T, error) {
	it, err := scan(tx.QueryRowContext(ctx, `SELECT `+cols+` FROM `+from+` WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return nil, ward.Errorf(ward.ENOTFOUND, "%s", notFound)
	} else if err != nil {
		return nil, err
	}
	return it, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// timeDest scans a stored time.
type timeDest struct{ p *time.Time }

func (d timeDest) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("time column: unexpected %T", src)
	}
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return fmt.Errorf("time column: %w", err)
	}
	*d.p = t
	return nil
}

// timePtrDest scans an optional stored time; NULL is nil.
type timePtrDest struct{ p **time.Time }

func (d timePtrDest) Scan(src any) error {
	if src == nil {
		*d.p = nil
		return nil
	}
	var t time.Time
	if err := (timeDest{&t}).Scan(src); err != nil {
		return err
	}
	*d.p = &t
	return nil
}

// dateDest scans a stored date; "" is the zero Date.
type dateDest struct{ p *ward.Date }

func (d dateDest) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("date column: unexpected %T", src)
	}
	return d.p.UnmarshalText([]byte(s))
}

// formatDate returns the stored form of d.
func formatDate(d ward.Date) string { return d.String() }

// refDest scans an optional reference; NULL is "".
type refDest struct{ p *string }

func (d refDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.p = ""
	case string:
		*d.p = v
	default:
		return fmt.Errorf("reference column: unexpected %T", src)
	}
	return nil
}

// jsonDest scans a JSON column into p.
type jsonDest struct{ p any }

func (d jsonDest) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("json column: unexpected %T", src)
	}
	if err := json.Unmarshal(b, d.p); err != nil {
		return fmt.Errorf("json column: %w", err)
	}
	return nil
}

// jsonText returns the stored form of a list; callers pass non-nil slices
// so that an empty list is stored as [].
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// transitionsOf reads the lifecycle history of one entity from table
// (worker_transitions or task_transitions, keyed by col), oldest first.
func transitionsOf(ctx context.Context, tx *Tx, table, col, id string) ([]ward.Transition, error) {
	rows, err := tx.QueryContext(ctx, `SELECT from_status, to_status, at, actor, reason FROM `+table+` WHERE `+col+` = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ts := make([]ward.Transition, 0)
	for rows.Next() {
		var t ward.Transition
		if err := rows.Scan(&t.From, &t.To, timeDest{&t.At}, &t.Actor, &t.Reason); err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// addTransition records a move of the entity id, stamped now by the
// principal in ctx, and returns it.
func addTransition(ctx context.Context, tx *Tx, table, col, id, from, to, reason string) (ward.Transition, error) {
	t := ward.Transition{From: from, To: to, At: tx.now, Actor: ward.Actor(ctx), Reason: reason}
	_, err := tx.exec(ctx, `INSERT INTO `+table+` (`+col+`, seq, from_status, to_status, at, actor, reason)
		VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM `+table+` WHERE `+col+` = ?), ?, ?, ?, ?, ?)`,
		id, id, t.From, t.To, formatTime(t.At), t.Actor, t.Reason)
	return t, err
}
