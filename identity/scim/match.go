package scim

import (
	"strings"
	"time"
)

// evalCtx says what a filter's attribute names are relative to.
type evalCtx int

const (
	ctxUser  evalCtx = iota // a User
	ctxEmail                // one email, inside emails[...]
)

type attrType int

const (
	typString attrType = iota
	typBool
	typTime
)

// attrDef describes one filterable attribute. get returns its values,
// leaving out empty ones, so that "pr" is len > 0.
type attrDef struct {
	typ       attrType
	caseExact bool
	user      func(u *User) []any
	email     func(e *Email) []any
}

func str(s string) []any {
	if s == "" {
		return nil
	}
	return []any{s}
}

func tm(t time.Time) []any {
	if t.IsZero() {
		return nil
	}
	return []any{t}
}

func ext(get func(x *WardExtension) string) func(u *User) []any {
	return func(u *User) []any {
		if u.Ward == nil {
			return nil
		}
		return str(get(u.Ward))
	}
}

func emailValues(get func(e *Email) any) func(u *User) []any {
	return func(u *User) []any {
		var vs []any
		for i := range u.Emails {
			if v := get(&u.Emails[i]); v != "" {
				vs = append(vs, v)
			}
		}
		return vs
	}
}

// coreAttrs are the core User attributes a filter may name, by lower-case
// path.
var coreAttrs = map[string]attrDef{
	"id":                {typ: typString, caseExact: true, user: func(u *User) []any { return str(u.ID) }},
	"externalid":        {typ: typString, caseExact: true, user: func(u *User) []any { return str(u.ExternalID) }},
	"username":          {typ: typString, user: func(u *User) []any { return str(u.UserName) }},
	"displayname":       {typ: typString, user: func(u *User) []any { return str(u.DisplayName) }},
	"name.givenname":    {typ: typString, user: func(u *User) []any { return str(u.Name.GivenName) }},
	"name.familyname":   {typ: typString, user: func(u *User) []any { return str(u.Name.FamilyName) }},
	"name.formatted":    {typ: typString, user: func(u *User) []any { return str(u.Name.Formatted) }},
	"emails":            {typ: typString, user: emailValues(func(e *Email) any { return e.Value })},
	"emails.value":      {typ: typString, user: emailValues(func(e *Email) any { return e.Value })},
	"emails.type":       {typ: typString, user: emailValues(func(e *Email) any { return e.Type })},
	"emails.primary":    {typ: typBool, user: emailValues(func(e *Email) any { return e.Primary })},
	"active":            {typ: typBool, user: func(u *User) []any { return []any{u.Active} }},
	"meta.created":      {typ: typTime, user: func(u *User) []any { return tm(u.Meta.Created) }},
	"meta.lastmodified": {typ: typTime, user: func(u *User) []any { return tm(u.Meta.LastModified) }},
	"meta.resourcetype": {typ: typString, caseExact: true, user: func(u *User) []any { return str(u.Meta.ResourceType) }},
	"meta.location":     {typ: typString, caseExact: true, user: func(u *User) []any { return str(u.Meta.Location) }},
	"meta.version":      {typ: typString, caseExact: true, user: func(u *User) []any { return str(u.Meta.Version) }},
}

// wardAttrs are the ward extension's attributes, by lower-case name.
var wardAttrs = map[string]attrDef{
	"team":     {typ: typString, caseExact: true, user: ext(func(x *WardExtension) string { return x.Team })},
	"teamname": {typ: typString, user: ext(func(x *WardExtension) string { return x.TeamName })},
	"site":     {typ: typString, caseExact: true, user: ext(func(x *WardExtension) string { return x.Site })},
	"sitename": {typ: typString, user: ext(func(x *WardExtension) string { return x.SiteName })},
	"role":     {typ: typString, user: ext(func(x *WardExtension) string { return x.Role })},
	"schedule": {typ: typString, caseExact: true, user: ext(func(x *WardExtension) string { return x.Schedule })},
}

// emailAttrs are the sub-attributes of one email, inside emails[...].
var emailAttrs = map[string]attrDef{
	"value":   {typ: typString, email: func(e *Email) []any { return str(e.Value) }},
	"type":    {typ: typString, email: func(e *Email) []any { return str(e.Type) }},
	"primary": {typ: typBool, email: func(e *Email) []any { return []any{e.Primary} }},
}

// lookupAttr returns the definition of the attribute a names in ctx.
func lookupAttr(a attrPath, ctx evalCtx) (attrDef, error) {
	key := a.name
	if a.sub != "" {
		key += "." + a.sub
	}
	var def attrDef
	var ok bool
	switch {
	case ctx == ctxEmail && a.urn == "":
		def, ok = emailAttrs[key]
	case ctx == ctxEmail:
	case a.urn == "" || a.urn == lowerUser:
		def, ok = coreAttrs[key]
	case a.urn == lowerWard:
		def, ok = wardAttrs[key]
	default:
		return def, errFilter("%q names an unknown schema.", truncate(a.urn, 80))
	}
	if !ok {
		return def, errFilter("Filtering on %q is not supported.", truncate(a.String(), 80))
	}
	return def, nil
}

// compiled is a filter checked against the User schema, ready to match.
type compiled struct {
	pred func(u *User, e *Email) bool
}

func (c *compiled) match(u *User, e *Email) bool { return c.pred(u, e) }

// compileFilter checks f against the User schema: every attribute must
// exist and every comparison suit its type (invalidFilter otherwise).
func compileFilter(f *Filter) (*compiled, error) {
	return compile(f.root, ctxUser)
}

func compile(n node, ctx evalCtx) (*compiled, error) {
	switch n := n.(type) {
	case *logicalNode:
		l, err := compile(n.l, ctx)
		if err != nil {
			return nil, err
		}
		r, err := compile(n.r, ctx)
		if err != nil {
			return nil, err
		}
		if n.op == "and" {
			return &compiled{func(u *User, e *Email) bool { return l.pred(u, e) && r.pred(u, e) }}, nil
		}
		return &compiled{func(u *User, e *Email) bool { return l.pred(u, e) || r.pred(u, e) }}, nil
	case *notNode:
		x, err := compile(n.x, ctx)
		if err != nil {
			return nil, err
		}
		return &compiled{func(u *User, e *Email) bool { return !x.pred(u, e) }}, nil
	case *valuePathNode:
		if ctx != ctxUser || n.attr.name != "emails" || n.attr.sub != "" ||
			n.attr.urn != "" && n.attr.urn != lowerUser {
			return nil, errFilter("Value filters are supported on emails only.")
		}
		inner, err := compile(n.filter, ctxEmail)
		if err != nil {
			return nil, err
		}
		return &compiled{func(u *User, _ *Email) bool {
			for i := range u.Emails {
				if inner.pred(u, &u.Emails[i]) {
					return true
				}
			}
			return false
		}}, nil
	case *compareNode:
		def, err := lookupAttr(n.attr, ctx)
		if err != nil {
			return nil, err
		}
		test, err := comparison(def, n)
		if err != nil {
			return nil, err
		}
		if ctx == ctxEmail {
			return &compiled{func(_ *User, e *Email) bool { return e != nil && test(def.email(e)) }}, nil
		}
		return &compiled{func(u *User, _ *Email) bool { return test(def.user(u)) }}, nil
	}
	return nil, errFilter("The filter could not be understood.")
}

// comparison returns the test that n makes of an attribute's values.
// Against a multi-valued attribute a comparison holds when it holds for
// one value; ne holds when no value is equal.
func comparison(def attrDef, n *compareNode) (func(vs []any) bool, error) {
	attr := n.attr.String()
	if n.op == "pr" {
		return func(vs []any) bool { return len(vs) > 0 }, nil
	}
	if n.value == nil {
		switch n.op {
		case "eq":
			return func(vs []any) bool { return len(vs) == 0 }, nil
		case "ne":
			return func(vs []any) bool { return len(vs) > 0 }, nil
		}
		return nil, errFilter("%s %s null: null can be compared only with eq and ne.", attr, n.op)
	}
	anyOf := func(f func(v any) bool) func(vs []any) bool {
		return func(vs []any) bool {
			for _, v := range vs {
				if f(v) {
					return true
				}
			}
			return false
		}
	}
	negate := func(f func(vs []any) bool) func(vs []any) bool {
		return func(vs []any) bool { return !f(vs) }
	}
	switch def.typ {
	case typBool:
		want, ok := n.value.(bool)
		if !ok {
			return nil, errFilter("%s is a boolean; compare it with true or false.", attr)
		}
		eq := anyOf(func(v any) bool { b, _ := v.(bool); return b == want })
		switch n.op {
		case "eq":
			return eq, nil
		case "ne":
			return negate(eq), nil
		}
		return nil, errFilter("%s is a boolean; only eq, ne and pr apply.", attr)
	case typTime:
		s, ok := n.value.(string)
		if !ok {
			return nil, errFilter("%s is a dateTime; compare it with a quoted RFC 3339 time.", attr)
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, errFilter("%s is a dateTime; %q is not an RFC 3339 time.", attr, truncate(s, 40))
		}
		cmp := func(test func(c int) bool) func(vs []any) bool {
			return anyOf(func(v any) bool { t, _ := v.(time.Time); return test(t.Compare(want)) })
		}
		switch n.op {
		case "eq":
			return cmp(func(c int) bool { return c == 0 }), nil
		case "ne":
			return negate(cmp(func(c int) bool { return c == 0 })), nil
		case "gt":
			return cmp(func(c int) bool { return c > 0 }), nil
		case "ge":
			return cmp(func(c int) bool { return c >= 0 }), nil
		case "lt":
			return cmp(func(c int) bool { return c < 0 }), nil
		case "le":
			return cmp(func(c int) bool { return c <= 0 }), nil
		}
		return nil, errFilter("%s is a dateTime; only eq, ne, gt, ge, lt, le and pr apply.", attr)
	}
	want, ok := n.value.(string)
	if !ok {
		return nil, errFilter("%s is a string; compare it with a quoted string.", attr)
	}
	fold := func(s string) string { return s }
	if !def.caseExact {
		fold = strings.ToLower
	}
	want = fold(want)
	str := func(test func(s string) bool) func(vs []any) bool {
		return anyOf(func(v any) bool { s, _ := v.(string); return test(fold(s)) })
	}
	switch n.op {
	case "eq":
		return str(func(s string) bool { return s == want }), nil
	case "ne":
		return negate(str(func(s string) bool { return s == want })), nil
	case "co":
		return str(func(s string) bool { return strings.Contains(s, want) }), nil
	case "sw":
		return str(func(s string) bool { return strings.HasPrefix(s, want) }), nil
	case "ew":
		return str(func(s string) bool { return strings.HasSuffix(s, want) }), nil
	case "gt":
		return str(func(s string) bool { return s > want }), nil
	case "ge":
		return str(func(s string) bool { return s >= want }), nil
	case "lt":
		return str(func(s string) bool { return s < want }), nil
	case "le":
		return str(func(s string) bool { return s <= want }), nil
	}
	return nil, errFilter("%s: unsupported operator %s.", attr, n.op)
}

// pushdown returns the equality conditions on userName, externalId and id
// that every match of f must meet (the top-level and-terms), so that the
// store can narrow the candidates. The full filter is still applied.
func pushdown(f *Filter) (username, externalID, id *string) {
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case *logicalNode:
			if n.op == "and" {
				walk(n.l)
				walk(n.r)
			}
		case *compareNode:
			s, ok := n.value.(string)
			if n.op != "eq" || !ok || n.attr.sub != "" || n.attr.urn != "" && n.attr.urn != lowerUser {
				return
			}
			switch n.attr.name {
			case "username":
				// Usernames are stored lower case, and matching folds
				// with strings.ToLower, so this is exact.
				l := strings.ToLower(s)
				username = &l
			case "externalid":
				externalID = &s
			case "id":
				id = &s
			}
		}
	}
	walk(f.root)
	return username, externalID, id
}
