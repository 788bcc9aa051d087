package fhir

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// The scanner is a strict RFC 8259 validator that walks the bytes once,
// without building values: strings must be valid UTF-8 with no raw control
// characters, duplicate keys (compared after unescaping) are an error,
// nesting is bounded. Object keys and string values are compared after
// unescaping, so "\u0073ubject" is "subject" here as it is to any client.

const defaultMaxDepth = 64

// walk modes.
const (
	modePlain  = iota
	modeMeta   // the object is a resource's meta
	modeLabels // the value is meta.security: its codings are labels
)

type scanner struct {
	src   []byte
	p     *Policy
	bases []string // bases under which absolute Patient references count
	res   *Result
	arena []field
}

type scanError struct{ detail string }

func (e *scanError) Error() string { return e.detail }

func errAt(detail string) error { return &scanError{detail} }

var (
	errSyntax = errAt("invalid JSON")
	errDup    = errAt("duplicate object key")
	errDepth  = errAt("nesting too deep")
	errShape  = errAt("unexpected JSON shape")
)

func (s *scanner) ws(i int) int {
	for i < len(s.src) {
		switch s.src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// str scans the string starting at s.src[i] == '"' and returns the index
// after its closing quote and whether it contains escapes.
func (s *scanner) str(i int) (end int, esc bool, err error) {
	src := s.src
	i++
	for i < len(src) {
		c := src[i]
		switch {
		case c == '"':
			return i + 1, esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(src) {
				return 0, false, errSyntax
			}
			switch src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(src) {
					return 0, false, errSyntax
				}
				for _, h := range src[i+2 : i+6] {
					if !isHex(h) {
						return 0, false, errSyntax
					}
				}
				i += 6
			default:
				return 0, false, errSyntax
			}
		case c < 0x20:
			return 0, false, errSyntax
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, errSyntax
			}
			i += size
		}
	}
	return 0, false, errSyntax
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hexVal(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// unescape decodes the body of a validated JSON string (without quotes).
// Lone surrogates become U+FFFD, as in encoding/json.
func unescape(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch b[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hexVal(b[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, hexVal(b[i+2:i+6])); r2 != utf8.RuneError {
						out = utf8.AppendRune(out, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // " \ /
			out = append(out, b[i+1])
		}
		i += 2
	}
	return out
}

// strVal returns the decoded value of the validated string token src[i:end].
func (s *scanner) strVal(i, end int, esc bool) []byte {
	if esc {
		return unescape(s.src[i+1 : end-1])
	}
	return s.src[i+1 : end-1]
}

func (s *scanner) number(i int) (int, error) {
	src := s.src
	if i < len(src) && src[i] == '-' {
		i++
	}
	switch {
	case i < len(src) && src[i] == '0':
		i++
	case i < len(src) && src[i] >= '1' && src[i] <= '9':
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
	default:
		return 0, errSyntax
	}
	if i < len(src) && src[i] == '.' {
		i++
		j := i
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
		if i == j {
			return 0, errSyntax
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		j := i
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
		if i == j {
			return 0, errSyntax
		}
	}
	return i, nil
}

// keySet detects duplicate keys in one object: a linear scan while the
// object is small, a map beyond that (so that a hostile object with many
// keys costs linear time).
type keySet struct {
	arr [16][]byte
	n   int
	m   map[string]struct{}
}

func (k *keySet) add(key []byte) bool {
	if k.m != nil {
		if _, ok := k.m[string(key)]; ok {
			return false
		}
		k.m[string(key)] = struct{}{}
		return true
	}
	for _, o := range k.arr[:k.n] {
		if bytes.Equal(o, key) {
			return false
		}
	}
	if k.n < len(k.arr) {
		k.arr[k.n] = key
		k.n++
		return true
	}
	k.m = make(map[string]struct{}, 64)
	for _, o := range k.arr {
		k.m[string(o)] = struct{}{}
	}
	k.m[string(key)] = struct{}{}
	return true
}

// member scans one "key": value head at i and returns the decoded key and
// the index of the value.
func (s *scanner) member(i int) (key []byte, kEnd, vi int, err error) {
	if i >= len(s.src) || s.src[i] != '"' {
		return nil, 0, 0, errSyntax
	}
	end, esc, err := s.str(i)
	if err != nil {
		return nil, 0, 0, err
	}
	key = s.strVal(i, end, esc)
	j := s.ws(end)
	if j >= len(s.src) || s.src[j] != ':' {
		return nil, 0, 0, errSyntax
	}
	if vi = s.ws(j + 1); vi >= len(s.src) {
		return nil, 0, 0, errSyntax
	}
	return key, end, vi, nil
}

// next consumes the separator after a member or element at i: it returns
// the index of the next one, or done with the index after the closing
// bracket.
func (s *scanner) next(i int, closer byte) (j int, done bool, err error) {
	i = s.ws(i)
	if i >= len(s.src) {
		return 0, false, errSyntax
	}
	switch s.src[i] {
	case ',':
		return s.ws(i + 1), false, nil
	case closer:
		return i + 1, true, nil
	}
	return 0, false, errSyntax
}

// walk validates the value at i and returns its end. When info is not nil
// it records codings flagged by the policy: meta.security labels (mode
// modeLabels) and codings anywhere else.
func (s *scanner) walk(i, depth int, mode int, info *resInfo) (int, error) {
	src := s.src
	if i >= len(src) {
		return 0, errSyntax
	}
	switch c := src[i]; {
	case c == '{':
		if depth++; depth > s.maxDepth() {
			return 0, errDepth
		}
		i = s.ws(i + 1)
		if i < len(src) && src[i] == '}' {
			return i + 1, nil
		}
		var keys keySet
		var system, code []byte
		hasCode := false
		for {
			key, _, vi, err := s.member(i)
			if err != nil {
				return 0, err
			}
			if !keys.add(key) {
				return 0, errDup
			}
			child := modePlain
			if mode == modeMeta && string(key) == "security" {
				child = modeLabels
			}
			end, err := s.walk(vi, depth, child, info)
			if err != nil {
				return 0, err
			}
			if info != nil && src[vi] == '"' {
				switch string(key) {
				case "system":
					system = s.strVal(vi, end, bytes.IndexByte(src[vi:end], '\\') >= 0)
				case "code":
					code = s.strVal(vi, end, bytes.IndexByte(src[vi:end], '\\') >= 0)
					hasCode = true
				}
			}
			var done bool
			if i, done, err = s.next(end, '}'); err != nil {
				return 0, err
			} else if done {
				break
			}
		}
		if info != nil && hasCode {
			if mode == modeLabels {
				if s.p.Sensitive == nil || s.p.Sensitive(string(system), string(code)) {
					info.label = true
				}
			} else if s.p.Sensitive != nil && s.p.Sensitive(string(system), string(code)) {
				info.sensitive = true
			}
		}
		return i, nil
	case c == '[':
		if depth++; depth > s.maxDepth() {
			return 0, errDepth
		}
		i = s.ws(i + 1)
		if i < len(src) && src[i] == ']' {
			return i + 1, nil
		}
		for {
			end, err := s.walk(i, depth, mode, info)
			if err != nil {
				return 0, err
			}
			var done bool
			if i, done, err = s.next(end, ']'); err != nil {
				return 0, err
			} else if done {
				return i, nil
			}
		}
	case c == '"':
		end, _, err := s.str(i)
		return end, err
	case c == 't':
		return s.lit(i, "true")
	case c == 'f':
		return s.lit(i, "false")
	case c == 'n':
		return s.lit(i, "null")
	default:
		return s.number(i)
	}
}

func (s *scanner) lit(i int, word string) (int, error) {
	if len(s.src)-i >= len(word) && string(s.src[i:i+len(word)]) == word {
		return i + len(word), nil
	}
	return 0, errSyntax
}

func (s *scanner) maxDepth() int {
	if s.p != nil && s.p.maxDepth > 0 {
		return s.p.maxDepth
	}
	return defaultMaxDepth
}

// skip returns the end of the already validated value at i.
func (s *scanner) skip(i int) int {
	end, err := s.walk(i, 0, modePlain, nil)
	if err != nil {
		return len(s.src)
	}
	return end
}

// each calls fn for every member of the already validated object at i.
func (s *scanner) each(i int, fn func(key []byte, vi, end int)) {
	src := s.src
	if src[i] != '{' {
		return
	}
	i = s.ws(i + 1)
	if src[i] == '}' {
		return
	}
	for {
		key, _, vi, err := s.member(i)
		if err != nil {
			return
		}
		end := s.skip(vi)
		fn(key, vi, end)
		var done bool
		if i, done, err = s.next(end, '}'); err != nil || done {
			return
		}
	}
}

// elems calls fn for every element of the already validated array at i.
func (s *scanner) elems(i int, fn func(vi, end int)) {
	src := s.src
	if src[i] != '[' {
		return
	}
	i = s.ws(i + 1)
	if src[i] == ']' {
		return
	}
	for {
		end := s.skip(i)
		fn(i, end)
		var done bool
		var err error
		if i, done, err = s.next(end, ']'); err != nil || done {
			return
		}
	}
}

// stringAt returns the decoded string at the validated value i, and false
// when the value is not a string.
func (s *scanner) stringAt(vi, end int) ([]byte, bool) {
	if s.src[vi] != '"' {
		return nil, false
	}
	return s.strVal(vi, end, bytes.IndexByte(s.src[vi:end], '\\') >= 0), true
}

// refs reports whether the validated value at i holds, at the element path
// segs, a Reference to the policy's patient.
func (s *scanner) refs(i int, segs []string) bool {
	found := false
	switch s.src[i] {
	case '[':
		s.elems(i, func(vi, _ int) {
			if !found && s.refs(vi, segs) {
				found = true
			}
		})
	case '{':
		s.each(i, func(key []byte, vi, end int) {
			if found {
				return
			}
			if len(segs) == 0 {
				if string(key) == "reference" {
					if ref, ok := s.stringAt(vi, end); ok && isPatientRef(string(ref), s.p.PatientID, s.bases) {
						found = true
					}
				}
			} else if string(key) == segs[0] && s.refs(vi, segs[1:]) {
				found = true
			}
		})
	}
	return found
}
