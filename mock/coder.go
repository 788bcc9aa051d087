package mock

import (
	"context"

	"github.com/wardhq/ward"
)

// Coder is a fake of the http package's Coder, the coding checks, for
// tests: Check calls CheckFn, which the test sets. Calling Check while
// CheckFn is nil panics.
type Coder struct {
	CheckFn func(ctx context.Context, sub *ward.Submission, note string) ([]ward.CodingFinding, error)
}

// Check calls CheckFn.
func (m *Coder) Check(ctx context.Context, sub *ward.Submission, note string) ([]ward.CodingFinding, error) {
	return m.CheckFn(ctx, sub, note)
}
