package scim

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// patchOp is one operation of a PatchOp request (RFC 7644 §3.5.2).
type patchOp struct {
	op    string // add, remove or replace
	path  string // "" when absent
	value json.RawMessage
}

// decodePatch decodes a PatchOp body. Operation names and member names
// are case-insensitive, as Microsoft Entra ID sends "Replace".
func decodePatch(body []byte) ([]patchOp, error) {
	o, err := decodeObject(body, "The patch request")
	if err != nil {
		return nil, err
	}
	if err := requireSchema(o, SchemaPatchOp); err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	for _, k := range o.keys {
		switch k {
		case "schemas":
		case "operations":
			if err := json.Unmarshal(o.vals[k], &raw); err != nil {
				return nil, errSyntax("Operations must be an array of operations.")
			}
		default:
			return nil, errSyntax("A patch request has no attribute %q.", truncate(k, 60))
		}
	}
	if len(raw) == 0 {
		return nil, errSyntax("Operations must hold at least one operation.")
	}
	if len(raw) > maxPatchOperations {
		return nil, errValue("A patch request may hold at most %d operations.", maxPatchOperations)
	}
	ops := make([]patchOp, 0, len(raw))
	for i, r := range raw {
		what := "Operations[" + strconv.Itoa(i) + "]"
		m, err := decodeObject(r, what)
		if err != nil {
			return nil, err
		}
		var op patchOp
		hasValue := false
		for _, k := range m.keys {
			v := m.vals[k]
			switch k {
			case "op":
				if err := json.Unmarshal(v, &op.op); err != nil {
					return nil, errSyntax("%s.op must be add, remove or replace.", what)
				}
				op.op = asciiLower(op.op)
			case "path":
				if isNull(v) {
					continue
				}
				if err := json.Unmarshal(v, &op.path); err != nil {
					return nil, errPath("%s.path must be a string.", what)
				}
			case "value":
				op.value, hasValue = v, true
			default:
				return nil, errSyntax("%s has no attribute %q.", what, truncate(k, 60))
			}
		}
		switch op.op {
		case opAdd, opReplace:
			if !hasValue {
				return nil, errSyntax("%s: %s needs a value.", what, op.op)
			}
		case opRemove:
			if op.path == "" {
				return nil, errorf(http.StatusBadRequest, "noTarget", "%s: remove needs a path.", what)
			}
		default:
			return nil, errSyntax("%s.op must be add, remove or replace.", what)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// applyPatch applies ops to s in order; the first error stops it and
// nothing is written.
func applyPatch(s *userState, ops []patchOp) error {
	for _, op := range ops {
		if op.path != "" {
			p, err := resolvePath(op.path)
			if err != nil {
				return err
			}
			if err := s.apply(op.op, p, op.value, true); err != nil {
				return err
			}
			continue
		}
		// No path: the value is an object of attributes (which may be
		// paths themselves, as in {"name.givenName": "Ana"}).
		m, err := decodeObject(op.value, "A patch value without a path")
		if err != nil {
			return err
		}
		for _, k := range m.keys {
			if k == "schemas" {
				continue
			}
			p, err := resolvePath(k)
			if err != nil {
				return err
			}
			if err := s.apply(op.op, p, m.vals[k], false); err != nil {
				return err
			}
		}
	}
	return nil
}
