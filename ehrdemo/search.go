package ehrdemo

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Paging and input limits.
const (
	defaultCount = 20
	maxCount     = 200
	maxParams    = 64  // search parameters in one request
	maxOr        = 100 // comma-separated values in one parameter
	maxOffset    = 1 << 30
	offsetParam  = "_offset"
)

// kv is one query parameter, in request order.
type kv struct{ key, value string }

// parsePairs parses a URL-encoded query or form body, keeping order.
func parsePairs(raw string) ([]kv, error) {
	var out []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, errorf(http.StatusBadRequest, "invalid", "Malformed query string: %s", clip(part))
		}
		out = append(out, kv{key, val})
	}
	return out, nil
}

// searchQuery is a parsed search.
type searchQuery struct {
	td           *typeData
	clauses      []clause // ANDed
	count        int
	offset       int
	sorts        []sortKey
	summaryCount bool
	pretty       bool
	keep         []kv // parameters repeated in paging links (all but _count and _offset)
}

// clause is one search parameter occurrence: its values are ORed.
type clause struct {
	p       int
	typ     paramType
	exact   bool // string :exact
	contain bool // string :contains
	not     bool // token :not
	missing int8 // -1: not a :missing clause; 0: false; 1: true
	alts    []alt
}

// alt is one comma-separated value.
type alt struct {
	system    string // token system; reference type
	hasSystem bool
	code      string // token code; string value (lower-cased unless :exact); reference id
	prefix    string // date
	lo, hi    int64
}

type sortKey struct {
	p    int
	typ  paramType
	desc bool
}

// resultParams are the search control parameters ward understands. Others
// starting with "_" that FHIR defines are rejected as unsupported.
var resultParams = map[string]bool{"_count": true, "_offset": true, "_sort": true, "_summary": true, "_total": true, "_format": true, "_pretty": true}

// parseSearch validates every parameter. Unknown or unsupported parameters are
// errors (400), never ignored: a security gateway sits in front of this server
// and a silently ignored filter would widen a result set.
func parseSearch(td *typeData, pairs []kv) (*searchQuery, error) {
	q := &searchQuery{td: td, count: defaultCount}
	if len(pairs) > maxParams {
		return nil, errorf(http.StatusBadRequest, "too-costly", "Too many search parameters (%d, at most %d).", len(pairs), maxParams)
	}
	seen := map[string]bool{}
	for _, pr := range pairs {
		name, mod, hasMod := strings.Cut(pr.key, ":")
		if resultParams[name] {
			if hasMod {
				return nil, errorf(http.StatusBadRequest, "invalid", "Parameter %s takes no modifier.", clip(pr.key))
			}
			if seen[name] {
				return nil, errorf(http.StatusBadRequest, "invalid", "Parameter %s may appear only once.", name)
			}
			seen[name] = true
			if err := q.control(name, pr.value); err != nil {
				return nil, err
			}
			if name != "_count" && name != offsetParam {
				q.keep = append(q.keep, pr)
			}
			continue
		}
		q.keep = append(q.keep, pr)
		if pr.value == "" {
			continue // FHIR: parameters with empty values are ignored
		}
		if strings.Contains(name, ".") {
			return nil, errorf(http.StatusBadRequest, "not-supported", "Chained search parameters are not supported: %s.", clip(pr.key))
		}
		i, ok := td.def.byName[name]
		if !ok {
			return nil, errorf(http.StatusBadRequest, "not-supported", "Unknown or unsupported search parameter %q for resource type %s.", clip(name), td.def.name)
		}
		c, err := parseClause(td.def.params[i], i, mod, hasMod, pr.value)
		if err != nil {
			return nil, err
		}
		q.clauses = append(q.clauses, c)
	}
	return q, nil
}

// control applies one result parameter.
func (q *searchQuery) control(name, v string) error {
	switch name {
	case "_count", offsetParam:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || (name == offsetParam && n > maxOffset) {
			return errorf(http.StatusBadRequest, "invalid", "Invalid %s value %q: want a non-negative integer.", name, clip(v))
		}
		if name == "_count" {
			q.count = min(n, maxCount)
		} else {
			q.offset = n
		}
	case "_sort":
		for _, k := range strings.Split(v, ",") {
			desc := strings.HasPrefix(k, "-")
			k = strings.TrimPrefix(k, "-")
			i, ok := q.td.def.byName[k]
			if !ok || q.td.def.params[i].typ == typeReference {
				return errorf(http.StatusBadRequest, "not-supported", "Cannot sort %s by %q.", q.td.def.name, clip(k))
			}
			q.sorts = append(q.sorts, sortKey{p: i, typ: q.td.def.params[i].typ, desc: desc})
		}
	case "_summary":
		switch v {
		case "count":
			q.summaryCount = true
		case "false":
		default:
			return errorf(http.StatusBadRequest, "not-supported", "Unsupported _summary value %q (supported: count, false).", clip(v))
		}
	case "_total":
		if v != "none" && v != "estimate" && v != "accurate" {
			return errorf(http.StatusBadRequest, "invalid", "Invalid _total value %q.", clip(v))
		}
	case "_format":
		if !jsonFormat(v) {
			return errorf(http.StatusNotAcceptable, "not-supported", "Unsupported _format %q: this server speaks FHIR JSON only.", clip(v))
		}
	case "_pretty":
		if v != "true" && v != "false" {
			return errorf(http.StatusBadRequest, "invalid", "Invalid _pretty value %q.", clip(v))
		}
		q.pretty = v == "true"
	}
	return nil
}

func parseClause(p param, i int, mod string, hasMod bool, value string) (clause, error) {
	c := clause{p: i, typ: p.typ, missing: -1}
	if hasMod {
		switch {
		case mod == "missing":
			switch value {
			case "true":
				c.missing = 1
			case "false":
				c.missing = 0
			default:
				return c, errorf(http.StatusBadRequest, "invalid", "Invalid :missing value %q: want true or false.", clip(value))
			}
			return c, nil
		case p.typ == typeString && mod == "exact":
			c.exact = true
		case p.typ == typeString && mod == "contains":
			c.contain = true
		case p.typ == typeToken && mod == "not" && p.name != "_id":
			c.not = true
		case p.typ == typeReference && contains(p.targets, mod):
		default:
			return c, errorf(http.StatusBadRequest, "not-supported", "Unsupported modifier :%s on %s parameter %s.", clip(mod), p.typ, p.name)
		}
	}
	parts, err := splitEscaped(value)
	if err != nil {
		return c, err
	}
	if len(parts) > maxOr {
		return c, errorf(http.StatusBadRequest, "too-costly", "Too many values for %s (%d, at most %d).", p.name, len(parts), maxOr)
	}
	for _, part := range parts {
		if part == "" {
			continue
		}
		var a alt
		switch p.typ {
		case typeToken:
			a, err = parseTokenValue(part)
		case typeDate:
			a, err = parseDateValue(part)
		case typeString:
			a.code = unescape(part)
			if !c.exact {
				a.code = strings.ToLower(a.code)
			}
		case typeReference:
			a, err = parseRefValue(part, mod)
		}
		if err != nil {
			return c, err
		}
		c.alts = append(c.alts, a)
	}
	if len(c.alts) == 0 {
		return c, errorf(http.StatusBadRequest, "invalid", "Parameter %s has no value.", p.name)
	}
	return c, nil
}

// splitEscaped splits a parameter value at commas not escaped with '\'.
func splitEscaped(s string) ([]string, error) {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 == len(s) {
				return nil, errorf(http.StatusBadRequest, "invalid", "Dangling escape character in %q.", clip(s))
			}
			i++
		case ',':
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:]), nil
}

// unescape removes FHIR search escapes (\, \| \$ \\).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func parseTokenValue(s string) (alt, error) {
	bar := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '|':
			if bar >= 0 {
				return alt{}, errorf(http.StatusBadRequest, "invalid", "Malformed token %q: more than one '|'.", clip(s))
			}
			bar = i
		}
	}
	if bar < 0 {
		return alt{code: unescape(s)}, nil
	}
	a := alt{hasSystem: true, system: unescape(s[:bar]), code: unescape(s[bar+1:])}
	if a.system == "" && a.code == "" {
		return alt{}, errorf(http.StatusBadRequest, "invalid", "Malformed token %q.", clip(s))
	}
	return a, nil
}

var datePrefixes = map[string]bool{"eq": true, "ne": true, "gt": true, "lt": true, "ge": true, "le": true, "sa": true, "eb": true, "ap": true}

func parseDateValue(s string) (alt, error) {
	a := alt{prefix: "eq"}
	if len(s) >= 2 && datePrefixes[s[:2]] {
		a.prefix, s = s[:2], s[2:]
	}
	lo, hi, ok := parseDateRange(s)
	if !ok {
		return alt{}, errorf(http.StatusBadRequest, "invalid", "Malformed date %q: want [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.fff]][Z|+hh:mm]]]].", clip(s))
	}
	a.lo, a.hi = lo, hi
	return a, nil
}

// parseRefValue accepts "id", "Type/id", "Type/id/_history/v" and absolute
// URLs ending in one of those. With a :Type modifier the type is fixed.
func parseRefValue(s, typ string) (alt, error) {
	s = unescape(s)
	if i := strings.Index(s, "://"); i >= 0 {
		segs := strings.Split(strings.TrimRight(s[i+3:], "/"), "/")
		if n := len(segs); n >= 4 && segs[n-2] == "_history" {
			segs = segs[:n-2]
		}
		if n := len(segs); n >= 3 {
			s = segs[n-2] + "/" + segs[n-1]
		} else {
			return alt{}, errorf(http.StatusBadRequest, "invalid", "Malformed reference %q.", clip(s))
		}
	}
	if before, _, ok := strings.Cut(s, "/_history/"); ok {
		s = before
	}
	a := alt{}
	if t, id, ok := strings.Cut(s, "/"); ok {
		if typ != "" && t != typ {
			return alt{}, errorf(http.StatusBadRequest, "invalid", "Reference %q does not match modifier :%s.", clip(s), typ)
		}
		a.system, a.code = t, id
	} else {
		a.system, a.code = typ, s
	}
	if a.code == "" {
		return alt{}, errorf(http.StatusBadRequest, "invalid", "Malformed reference %q.", clip(s))
	}
	return a, nil
}

// values returns the index values of r for parameter p.
func values(r *resource, p int) []ival {
	i := sort.Search(len(r.idx), func(i int) bool { return int(r.idx[i].p) >= p })
	j := i
	for j < len(r.idx) && int(r.idx[j].p) == p {
		j++
	}
	return r.idx[i:j]
}

func (c *clause) match(r *resource) bool {
	vals := values(r, c.p)
	if c.missing >= 0 {
		return (len(vals) == 0) == (c.missing == 1)
	}
	found := false
	for _, a := range c.alts {
		for _, v := range vals {
			if c.matchOne(a, v) {
				found = true
				break
			}
		}
		if found {
			break
		}
	}
	return found != c.not
}

func (c *clause) matchOne(a alt, v ival) bool {
	switch c.typ {
	case typeToken:
		switch {
		case !a.hasSystem:
			return v.value == a.code
		case a.code == "":
			return v.system == a.system
		default:
			return v.system == a.system && v.value == a.code
		}
	case typeString:
		switch {
		case c.exact:
			return v.value == a.code
		case c.contain:
			return strings.Contains(v.system, a.code)
		default:
			return strings.HasPrefix(v.system, a.code)
		}
	case typeReference:
		return v.value == a.code && (a.system == "" || v.system == a.system)
	case typeDate:
		return dateMatch(a.prefix, a.lo, a.hi, v.lo, v.hi)
	}
	return false
}

// dateMatch applies a FHIR date prefix to search range [plo, phi) and target
// range [tlo, thi), following the R4 rules for ranges.
func dateMatch(prefix string, plo, phi, tlo, thi int64) bool {
	eq := plo <= tlo && thi <= phi
	switch prefix {
	case "eq":
		return eq
	case "ne":
		return !eq
	case "gt":
		return thi > phi
	case "lt":
		return tlo < plo
	case "ge":
		return thi > phi || eq
	case "le":
		return tlo < plo || eq
	case "sa":
		return tlo >= phi
	case "eb":
		return thi <= plo
	case "ap": // approximately: the ranges overlap
		return tlo < phi && thi > plo
	}
	return false
}

// run returns the matching resources in result order.
func (q *searchQuery) run() []*resource {
	var out []*resource
	for _, r := range q.td.list {
		ok := true
		for i := range q.clauses {
			if !q.clauses[i].match(r) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, r)
		}
	}
	if len(q.sorts) > 0 {
		sort.SliceStable(out, func(i, j int) bool { return q.less(out[i], out[j]) })
	}
	return out
}

// less orders by the sort keys; resources without a value sort last.
func (q *searchQuery) less(a, b *resource) bool {
	for _, k := range q.sorts {
		va, oka := sortValue(a, k)
		vb, okb := sortValue(b, k)
		if oka != okb {
			return oka
		}
		if !oka || va == vb {
			continue
		}
		if k.desc {
			return va.after(vb)
		}
		return vb.after(va)
	}
	return false
}

type sortVal struct {
	n int64
	s string
}

func (a sortVal) after(b sortVal) bool {
	if a.n != b.n {
		return a.n > b.n
	}
	return a.s > b.s
}

// sortValue is the earliest (ascending) or latest (descending) value of a parameter.
func sortValue(r *resource, k sortKey) (sortVal, bool) {
	vals := values(r, k.p)
	if len(vals) == 0 {
		return sortVal{}, false
	}
	var best sortVal
	for i, v := range vals {
		var x sortVal
		switch k.typ {
		case typeDate:
			x.n = v.lo
			if k.desc {
				x.n = v.hi
			}
		case typeString:
			x.s = v.system
		default:
			x.s = v.value
		}
		if i == 0 || (k.desc && x.after(best)) || (!k.desc && best.after(x)) {
			best = x
		}
	}
	return best, true
}

// jsonFormat reports whether a _format value asks for JSON.
func jsonFormat(v string) bool {
	mt, _, _ := strings.Cut(v, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case "json", "application/json", "application/fhir+json", "application/json+fhir":
		return true
	}
	return false
}

// clip shortens user input echoed in diagnostics.
func clip(s string) string {
	n := 80
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
