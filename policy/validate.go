package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	cedar "github.com/cedar-policy/cedar-go"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
	"github.com/cedar-policy/cedar-go/x/exp/schema"
	"github.com/cedar-policy/cedar-go/x/exp/schema/validate"
)

// NoDefaultsFile, present in a policy directory, makes Load leave out the
// default policies, so an organization can replace them.
const NoDefaultsFile = "NO_DEFAULTS"

// Error is one problem with a policy file.
type Error struct {
	File   string
	Line   int // from 1; 0 when unknown
	Column int
	Policy string // the policy's @id, when known
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Policy != "" {
		fmt.Fprintf(&b, "policy %q: ", e.Policy)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors lists every problem found in a set of policy files, in file
// order. Its Error is one line per problem.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Load reads every *.cedar file in dir, in name order, adds the default
// policies unless dir holds a file named NO_DEFAULTS, and validates them
// all. An engine with no policy at all is refused: it would deny
// everything.
func Load(dir string) (*Engine, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("policy directory: %w", err)
	}
	var files []File
	defaults := true
	for _, de := range entries { // ReadDir sorts by name
		name := de.Name()
		if name == NoDefaultsFile {
			defaults = false
			continue
		}
		if de.IsDir() || filepath.Ext(name) != ".cedar" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: filepath.Join(dir, name), Text: b})
	}
	if defaults {
		files = append([]File{Defaults()}, files...)
	}
	e, err := New(files...)
	if err != nil {
		return nil, err
	}
	if len(e.list) == 0 {
		return nil, Errors{{File: dir, Msg: "no policies: add *.cedar files or remove " + NoDefaultsFile + "; an empty policy set denies every request"}}
	}
	return e, nil
}

var validator = func() *validate.Validator {
	var s schema.Schema
	s.SetFilename("schema.cedarschema")
	if err := s.UnmarshalCedar(schemaText); err != nil {
		panic("policy: embedded schema: " + err.Error())
	}
	r, err := s.Resolve()
	if err != nil {
		panic("policy: embedded schema: " + err.Error())
	}
	return validate.New(r, validate.WithStrict())
}()

var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$`)

// compile parses and validates files.
func compile(files []File) (policyList, Errors) {
	var (
		list policyList
		errs Errors
		seen = map[string]*Error{} // @id → where first defined
	)
	for _, f := range files {
		pl, err := cedar.NewPolicyListFromBytes(f.Name, f.Text)
		if err != nil {
			errs = append(errs, parseError(f.Name, err))
			continue
		}
		for i, p := range pl {
			pos := p.Position()
			at := func(msg string, args ...any) *Error {
				return &Error{File: f.Name, Line: pos.Line, Column: pos.Column, Msg: fmt.Sprintf(msg, args...)}
			}
			id, ok := p.Annotations()["id"]
			if !ok {
				errs = append(errs, at(`policy has no @id annotation; add @id("...") so that decisions can name it`))
				continue
			}
			if !validID.MatchString(string(id)) {
				errs = append(errs, at(`@id(%q): use 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit`, id))
				continue
			}
			if first, dup := seen[string(id)]; dup {
				e := at("@id %q is already used at %s:%d:%d", id, first.File, first.Line, first.Column)
				e.Policy = string(id)
				errs = append(errs, e)
				continue
			}
			seen[string(id)] = at("")
			end := len(f.Text)
			if i+1 < len(pl) {
				end = pl[i+1].Position().Offset
			}
			if verrs := validatePolicy(f, string(id), p, f.Text[min(pos.Offset, end):end], pos.Offset); len(verrs) > 0 {
				errs = append(errs, verrs...)
				continue
			}
			list = append(list, &compiled{
				id:       string(id),
				cedarID:  cedar.PolicyID(id),
				p:        p,
				forbid:   p.Effect() == cedar.Forbid,
				reason:   ReasonForbid + ":" + string(id),
				errorMsg: ReasonError + ":" + string(id),
			})
		}
	}
	return list, errs
}

var parsePos = regexp.MustCompile(`parse error at [^:]*:(\d+):(\d+) (.*)$`)

// parseError turns cedar's "parser error: parse error at <input>:2:13
// \";\": invalid primary" into an Error at file:2:13.
func parseError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "parser error: ")
	e := &Error{File: file, Msg: msg}
	if m := parsePos.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Column, _ = strconv.Atoi(m[2])
		e.Msg = "syntax error near " + m[3]
	}
	return e
}

var (
	forPolicyPrefix = regexp.MustCompile("^for policy `[^`]*`, ")
	contextFor      = regexp.MustCompile(` in context for Ward::Action::"[^"]*"`)
	attrNotFound    = regexp.MustCompile("^attribute `([^`]+)` (on entity type|in context)")
	unknownType     = regexp.MustCompile("^unrecognized (?:entity type|action) `([^`]+)`")
)

// inTrapMsg replaces the validator's two messages about `in` on strings.
const inTrapMsg = "`in` tests membership in an entity hierarchy, not in a set of strings: " +
	"for strings it is a type error and the policy would never apply; " +
	"write SET.contains(VALUE) instead, e.g. principal.vendor_countries.contains(principal.country)"

// validatePolicy checks p against the schema. text is the policy's source,
// starting at byte offset base of the file, used to place each error on
// the line and column of what it is about.
func validatePolicy(f File, id string, p *cedar.Policy, text []byte, base int) Errors {
	err := validator.Policy(id, (*xast.Policy)(p.AST()))
	if err == nil {
		return nil
	}
	var msgs []string
	for _, e := range flatten(err) {
		msg := forPolicyPrefix.ReplaceAllString(e.Error(), "")
		msg = contextFor.ReplaceAllString(msg, " in context")
		if strings.Contains(msg, "__cedar::internal::AnyEntity") && strings.Contains(msg, "String") {
			msg = inTrapMsg
		}
		if !slices.Contains(msgs, msg) {
			msgs = append(msgs, msg)
		}
	}
	masked := mask(text)
	var errs Errors
	for _, msg := range msgs {
		off := locate(masked, text, msg)
		line, col := lineCol(f.Text, base+off)
		errs = append(errs, &Error{File: f.Name, Line: line, Column: col, Policy: id, Msg: msg})
	}
	return errs
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// locate returns the offset in a policy's text of what msg is about, or 0
// (the policy's start). masked is the text with comments and the contents
// of strings blanked, so that words inside them do not match.
func locate(masked, text []byte, msg string) int {
	var re *regexp.Regexp
	var in []byte = masked
	switch {
	case msg == inTrapMsg:
		// The first `in` of the conditions (the scope may hold `action in`).
		start := condStart.FindIndex(masked)
		if start == nil {
			return 0
		}
		if loc := inWord.FindIndex(masked[start[1]:]); loc != nil {
			return start[1] + loc[0]
		}
		return 0
	case attrNotFound.MatchString(msg):
		attr := attrNotFound.FindStringSubmatch(msg)[1]
		attr = attr[strings.LastIndex(attr, ".")+1:]
		q := regexp.QuoteMeta(attr)
		re = regexp.MustCompile(`\.\s*` + q + `\b|\bhas\s+` + q + `\b|\[\s*"` + q + `"`)
		in = text // ["attr"] is inside a string
	case unknownType.MatchString(msg):
		re = regexp.MustCompile(regexp.QuoteMeta(unknownType.FindStringSubmatch(msg)[1]))
		in = text
	default:
		return 0
	}
	if loc := re.FindIndex(in); loc != nil {
		if loc[0] < len(text) && text[loc[0]] == '.' {
			return loc[0] + 1
		}
		return loc[0]
	}
	return 0
}

var (
	condStart = regexp.MustCompile(`\b(when|unless)\s*\{`)
	inWord    = regexp.MustCompile(`\bin\b`)
)

// mask blanks comments and the contents of string literals, keeping
// offsets and newlines.
func mask(text []byte) []byte {
	out := slices.Clone(text)
	for i := 0; i < len(out); i++ {
		switch {
		case out[i] == '"':
			for i++; i < len(out) && out[i] != '"'; i++ {
				if out[i] == '\\' && i+1 < len(out) {
					out[i] = ' '
					i++
				}
				if out[i] != '\n' {
					out[i] = ' '
				}
			}
		case out[i] == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
		}
	}
	return out
}

// lineCol returns the 1-based line and column (in characters) of offset
// off in text.
func lineCol(text []byte, off int) (int, int) {
	off = min(max(off, 0), len(text))
	line := 1 + strings.Count(string(text[:off]), "\n")
	lineStart := strings.LastIndexByte(string(text[:off]), '\n') + 1
	return line, 1 + len([]rune(string(text[lineStart:off])))
}
