package scim

import "github.com/wardhq/ward"

// MatchUser compiles f against the User schema and matches u; for tests.
func MatchUser(f *Filter, u *User) (bool, error) {
	c, err := compileFilter(f)
	if err != nil {
		return false, err
	}
	return c.match(u, nil), nil
}

// ApplyPatch decodes body as a PatchOp and applies it to w's state
// without the store; for tests.
func ApplyPatch(w *ward.Worker, body []byte) error {
	ops, err := decodePatch(body)
	if err != nil {
		return err
	}
	s := stateOf(w)
	return applyPatch(&s, ops)
}
