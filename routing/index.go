package routing

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// entry is one non-terminal task in the router's index.
type entry struct {
	t       *ward.Task
	prio    int
	due     int64 // unix ns; MaxInt64 when the task has no due time
	created int64
	cls     *class
	hi      int // position in cls.h, or -1 when not queued (not open, or being claimed)
}

func newEntry(t *ward.Task) *entry {
	e := &entry{t: t, prio: t.Priority, due: math.MaxInt64, created: t.CreatedAt.UnixNano(), hi: -1}
	if t.DueAt != nil {
		e.due = t.DueAt.UnixNano()
	}
	return e
}

// before reports whether a goes first: higher priority, then earlier due
// time (none last), then older, then lower ID.
func before(a, b *entry) bool {
	if a.prio != b.prio {
		return a.prio > b.prio
	}
	if a.due != b.due {
		return a.due < b.due
	}
	if a.created != b.created {
		return a.created < b.created
	}
	return a.t.ID < b.t.ID
}

// class is an eligibility class: the open tasks of one type with one set
// of tags. Every worker of a team is eligible for all of a class or none of
// it, so a decision looks at the top of each of the team's classes only.
type class struct {
	key  string
	typ  ward.Function
	tags []string
	h    []*entry // binary heap by before
}

func classKey(typ ward.Function, tags []string) string {
	return string(typ) + "\x00" + strings.Join(tags, ",")
}

// sortedTags returns tags sorted and distinct, in a new slice.
func sortedTags(tags []string) []string {
	out := slices.Clone(tags)
	slices.Sort(out)
	return slices.Compact(out)
}

func (c *class) push(e *entry) {
	e.cls = c
	e.hi = len(c.h)
	c.h = append(c.h, e)
	c.up(e.hi)
}

func (c *class) remove(e *entry) {
	i := e.hi
	if i < 0 || c != e.cls {
		return
	}
	last := len(c.h) - 1
	if i != last {
		c.swap(i, last)
	}
	c.h[last] = nil
	c.h = c.h[:last]
	e.hi = -1
	if i != last {
		if !c.down(i) {
			c.up(i)
		}
	}
}

func (c *class) swap(i, j int) {
	c.h[i], c.h[j] = c.h[j], c.h[i]
	c.h[i].hi, c.h[j].hi = i, j
}

func (c *class) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !before(c.h[i], c.h[p]) {
			break
		}
		c.swap(i, p)
		i = p
	}
}

func (c *class) down(i int) bool {
	start := i
	n := len(c.h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && before(c.h[r], c.h[l]) {
			m = r
		}
		if !before(c.h[m], c.h[i]) {
			break
		}
		c.swap(i, m)
		i = m
	}
	return i > start
}

// shiftCache holds one schedule's Shift answer for one minute: shift
// windows start and end on whole minutes of zones whose offsets are whole
// minutes, so the answer cannot change inside the minute.
type shiftCache struct {
	minute     int64
	start, end time.Time
	ok         bool
}
