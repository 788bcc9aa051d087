// Package canon gives the canonical stored form of values that both store
// drivers must round-trip identically. It imports only the standard library.
package canon

import "time"

// Precision is the resolution of stored times. PostgreSQL keeps
// microseconds, so every driver truncates to microseconds.
const Precision = time.Microsecond

// Time returns t as a store returns it: in UTC, truncated to Precision, with
// no monotonic clock reading.
func Time(t time.Time) time.Time { return t.UTC().Truncate(Precision) }

// TimePtr is Time for an optional time; nil stays nil.
func TimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := Time(*t)
	return &v
}

// Slice returns s, or an empty non-nil slice when s is nil, so that lists
// encode as [] rather than null.
func Slice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
