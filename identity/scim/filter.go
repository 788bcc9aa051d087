package scim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on a filter, so that a hostile one costs little to reject.
const (
	maxFilterLen   = 4096 // bytes
	maxFilterDepth = 32   // nested parentheses, brackets and not(...)
	maxFilterNodes = 256  // attribute expressions and logical operators
)

// Filter is a parsed SCIM filter expression (RFC 7644 §3.4.2.2): attribute
// expressions joined by and, or and not with parentheses, and value paths
// such as emails[type eq "work"]. Precedence is not, then and, then or.
type Filter struct {
	root node
}

// ParseFilter parses s. Attribute names and operators are case-insensitive.
// A filter that does not parse, or is longer than 4096 bytes or nested more
// than 32 deep, returns an error for which ScimType reports invalidFilter.
func ParseFilter(s string) (*Filter, error) {
	if len(s) > maxFilterLen {
		return nil, errFilter("The filter is longer than %d bytes.", maxFilterLen)
	}
	if !utf8.ValidString(s) {
		return nil, errFilter("The filter is not valid UTF-8.")
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if !p.done() {
		return nil, errFilter("Unexpected %s in the filter.", p.peek())
	}
	return &Filter{root: n}, nil
}

// String returns the filter in a canonical form that ParseFilter reads
// back to the same filter: attribute names and operators in lower case,
// every logical operation in parentheses.
func (f *Filter) String() string {
	var b strings.Builder
	f.root.format(&b)
	return b.String()
}

// node is one part of a filter's syntax tree.
type node interface {
	format(b *strings.Builder)
}

// logicalNode is "l and r" or "l or r".
type logicalNode struct {
	op   string // "and" or "or"
	l, r node
}

// notNode is not(x).
type notNode struct{ x node }

// compareNode is "attr op value" or "attr pr".
type compareNode struct {
	attr  attrPath
	op    string // eq ne co sw ew gt ge lt le pr
	value any    // string, bool, float64 or nil (null); unused for pr
}

// valuePathNode is attr[filter]: true when one value of the multi-valued
// attribute attr satisfies filter, whose attributes are attr's
// sub-attributes.
type valuePathNode struct {
	attr   attrPath
	filter node
}

// attrPath is [URN ":"] name ["." sub], kept as written except that the
// URN and names are lower-cased (they are case-insensitive).
type attrPath struct {
	urn  string // "" when absent
	name string
	sub  string // "" when absent
}

func (a attrPath) String() string {
	s := a.name
	if a.sub != "" {
		s += "." + a.sub
	}
	if a.urn != "" {
		s = a.urn + ":" + s
	}
	return s
}

func (n *logicalNode) format(b *strings.Builder) {
	b.WriteByte('(')
	n.l.format(b)
	b.WriteString(" " + n.op + " ")
	n.r.format(b)
	b.WriteByte(')')
}

func (n *notNode) format(b *strings.Builder) {
	b.WriteString("not (")
	n.x.format(b)
	b.WriteByte(')')
}

func (n *compareNode) format(b *strings.Builder) {
	b.WriteString(n.attr.String())
	b.WriteString(" " + n.op)
	if n.op == "pr" {
		return
	}
	b.WriteByte(' ')
	switch v := n.value.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case string:
		q, _ := json.Marshal(v) // a valid UTF-8 string always marshals
		b.Write(q)
	}
}

func (n *valuePathNode) format(b *strings.Builder) {
	b.WriteString(n.attr.String())
	b.WriteByte('[')
	n.filter.format(b)
	b.WriteByte(']')
}

// token kinds.
const (
	tokWord   = iota // an attribute path, operator, keyword or literal
	tokString        // a JSON string literal, value already decoded
	tokLParen
	tokRParen
	tokLBracket
	tokRBracket
)

type token struct {
	kind int
	text string // the word, or the decoded string
	pos  int    // byte offset, for messages
}

func (t token) String() string {
	switch t.kind {
	case tokString:
		return fmt.Sprintf("string at byte %d", t.pos)
	case tokWord:
		if len(t.text) > 40 {
			return fmt.Sprintf("%q at byte %d", t.text[:40]+"...", t.pos)
		}
		return fmt.Sprintf("%q at byte %d", t.text, t.pos)
	}
	return fmt.Sprintf("%q at byte %d", t.text, t.pos)
}

// lex splits s into tokens. Words run to the next space, parenthesis,
// bracket or quote; strings are JSON strings.
func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(' || c == ')' || c == '[' || c == ']':
			kind := tokLParen
			switch c {
			case ')':
				kind = tokRParen
			case '[':
				kind = tokLBracket
			case ']':
				kind = tokRBracket
			}
			toks = append(toks, token{kind: kind, text: s[i : i+1], pos: i})
			i++
		case c == '"':
			j, err := scanString(s, i)
			if err != nil {
				return nil, err
			}
			var v string
			if err := json.Unmarshal([]byte(s[i:j]), &v); err != nil {
				return nil, errFilter("The string at byte %d is not a valid JSON string.", i)
			}
			toks = append(toks, token{kind: tokString, text: v, pos: i})
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n()[]\"", rune(s[j])) {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: s[i:j], pos: i})
			i = j
		}
		if len(toks) > 4*maxFilterNodes {
			return nil, errFilter("The filter has too many terms.")
		}
	}
	return toks, nil
}

// scanString returns the end (exclusive) of the JSON string starting at
// s[i] == '"'.
func scanString(s string, i int) (int, error) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errFilter("The string at byte %d is not terminated.", i)
}

type parser struct {
	toks        []token
	i           int
	nodes       int
	inValuePath bool // value filters do not nest
}

func (p *parser) done() bool { return p.i >= len(p.toks) }

func (p *parser) peek() token {
	if p.done() {
		return token{kind: tokWord, text: "end of filter", pos: -1}
	}
	return p.toks[p.i]
}

// keyword reports whether the next token is the word kw (case-insensitive).
func (p *parser) keyword(kw string) bool {
	return !p.done() && p.toks[p.i].kind == tokWord && equalFoldASCII(p.toks[p.i].text, kw)
}

func (p *parser) expect(kind int, what string) error {
	if p.done() {
		return errFilter("Expected %s at the end of the filter.", what)
	}
	if p.toks[p.i].kind != kind {
		return errFilter("Expected %s, found %s.", what, p.toks[p.i])
	}
	p.i++
	return nil
}

func (p *parser) count() error {
	p.nodes++
	if p.nodes > maxFilterNodes {
		return errFilter("The filter has more than %d terms.", maxFilterNodes)
	}
	return nil
}

// or parses FILTER: and-terms joined by "or".
func (p *parser) or(depth int) (node, error) {
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		p.i++
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		if err := p.count(); err != nil {
			return nil, err
		}
		l = &logicalNode{op: "or", l: l, r: r}
	}
	return l, nil
}

// and parses unary terms joined by "and".
func (p *parser) and(depth int) (node, error) {
	l, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		p.i++
		r, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		if err := p.count(); err != nil {
			return nil, err
		}
		l = &logicalNode{op: "and", l: l, r: r}
	}
	return l, nil
}

// unary parses "not (FILTER)", "(FILTER)", a value path or an attribute
// expression.
func (p *parser) unary(depth int) (node, error) {
	if depth >= maxFilterDepth {
		return nil, errFilter("The filter is nested more than %d deep.", maxFilterDepth)
	}
	if p.done() {
		return nil, errFilter("The filter ends where an expression was expected.")
	}
	t := p.toks[p.i]
	// "not" is a keyword only before "(": an attribute may be named not.
	if p.keyword("not") && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == tokLParen {
		p.i += 2
		x, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expect(tokRParen, `")"`); err != nil {
			return nil, err
		}
		if err := p.count(); err != nil {
			return nil, err
		}
		return &notNode{x: x}, nil
	}
	switch t.kind {
	case tokLParen:
		p.i++
		x, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expect(tokRParen, `")"`); err != nil {
			return nil, err
		}
		return x, nil
	case tokWord:
	default:
		return nil, errFilter("Expected an attribute name, found %s.", t)
	}
	attr, err := parseAttrPath(t.text)
	if err != nil {
		return nil, err
	}
	p.i++
	if !p.done() && p.toks[p.i].kind == tokLBracket {
		if attr.sub != "" {
			return nil, errFilter("A value filter follows an attribute, not a sub-attribute (%s).", t)
		}
		if p.inValuePath {
			return nil, errFilter("Value filters cannot be nested (%s).", t)
		}
		p.i++
		p.inValuePath = true
		f, err := p.or(depth + 1)
		p.inValuePath = false
		if err != nil {
			return nil, err
		}
		if err := p.expect(tokRBracket, `"]"`); err != nil {
			return nil, err
		}
		if err := p.count(); err != nil {
			return nil, err
		}
		return &valuePathNode{attr: attr, filter: f}, nil
	}
	return p.comparison(attr)
}

// comparison parses the operator and value after an attribute path.
func (p *parser) comparison(attr attrPath) (node, error) {
	if err := p.count(); err != nil {
		return nil, err
	}
	if p.done() || p.toks[p.i].kind != tokWord {
		return nil, errFilter("Expected an operator after %s.", attr)
	}
	op := asciiLower(p.toks[p.i].text)
	p.i++
	switch op {
	case "pr":
		return &compareNode{attr: attr, op: op}, nil
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
	default:
		return nil, errFilter("%q is not a filter operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr).", truncate(op, 40))
	}
	if p.done() {
		return nil, errFilter("Expected a value after %s %s.", attr, op)
	}
	t := p.toks[p.i]
	p.i++
	switch t.kind {
	case tokString:
		return &compareNode{attr: attr, op: op, value: t.text}, nil
	case tokWord:
		switch asciiLower(t.text) {
		case "true":
			return &compareNode{attr: attr, op: op, value: true}, nil
		case "false":
			return &compareNode{attr: attr, op: op, value: false}, nil
		case "null":
			return &compareNode{attr: attr, op: op, value: nil}, nil
		}
		if f, ok := parseNumber(t.text); ok {
			return &compareNode{attr: attr, op: op, value: f}, nil
		}
	}
	return nil, errFilter("Expected a value (a quoted string, true, false, null or a number), found %s.", t)
}

// parseNumber parses a JSON number.
func parseNumber(s string) (float64, bool) {
	if !json.Valid([]byte(s)) || s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// parseAttrPath parses [URN ":"] ATTRNAME ["." subAttr]. A URN is
// recognised by its "urn:" prefix and runs to the last colon.
func parseAttrPath(s string) (attrPath, error) {
	var a attrPath
	rest := s
	if len(s) > 4 && equalFoldASCII(s[:4], "urn:") {
		i := strings.LastIndexByte(s, ':')
		a.urn, rest = asciiLower(s[:i]), s[i+1:]
	}
	name, sub, hasSub := strings.Cut(rest, ".")
	if !validAttrName(name) || hasSub && !validAttrName(sub) {
		return attrPath{}, errFilter("%q is not an attribute path.", truncate(s, 60))
	}
	a.name, a.sub = asciiLower(name), asciiLower(sub)
	return a, nil
}

// validAttrName reports whether s is an ATTRNAME: ALPHA *(nameChar), where
// nameChar is "-", "_", DIGIT or ALPHA (RFC 7643 §2.1; "$ref" too).
func validAttrName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if i == 0 && !alpha || !alpha && !('0' <= c && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
