package fhir

import (
	"strings"
)

// DefaultMaxBytes is the largest response body Filter accepts when
// Policy.MaxBytes is zero.
const DefaultMaxBytes = 32 << 20

// Policy is what a response may release: one patient's compartment, the
// resource types and top-level fields of the task profile, and only codes
// and labels the worker is cleared for.
type Policy struct {
	// PatientID is the granted patient's logical id. Required.
	PatientID string
	// Allowed maps each releasable resource type to its rule. A type that
	// is absent is removed. OperationOutcome, when absent, is released
	// reduced to issue severity and code.
	Allowed map[string]*TypeRule
	// Sensitive reports whether a coding (any object with a "code" string,
	// with its sibling "system" or "") is one the worker is not cleared
	// for. It is called for meta.security labels and for codings anywhere
	// else in a resource. When nil, no code is sensitive but every
	// meta.security label removes its resource (fail closed).
	Sensitive func(system, code string) bool
	// BaseURL is the gateway's public FHIR base (e.g.
	// https://ward.example/fhir); UpstreamBase the EHR's. Bundle links and
	// fullUrls under UpstreamBase are rewritten to BaseURL; any other
	// absolute URL is dropped. References under either base count as
	// compartment references.
	BaseURL      string
	UpstreamBase string
	// MaxBytes bounds the body; 0 means DefaultMaxBytes.
	MaxBytes int

	maxDepth int
}

// TypeRule is the task profile for one resource type.
type TypeRule struct {
	// Fields are the top-level elements released besides resourceType,
	// id and meta (which always are). "_x", the extension sibling of a
	// primitive x, follows x. "contained" releases the contained resources
	// that pass the policy themselves.
	Fields map[string]bool
	// OutsideCompartment releases resources of a type that no Patient
	// compartment contains (Practitioner, Organization, Medication...),
	// which hold no patient's data. It has no effect on types that have
	// compartment parameters: those must be in the patient's compartment.
	OutsideCompartment bool
}

// Result describes what Filter released and removed, for the audit event.
type Result struct {
	Resources        int      // resources released (entries, or 1)
	RemovedResources []string // "Observation/9: not_in_compartment"
	RemovedFields    []string // "Patient.name", each once
	Bytes            int      // bytes appended to dst
}

// Removal reasons for resources; a single resource that is removed makes
// Filter return a *Refusal with one of these reasons.
const (
	ReasonNotInCompartment = "not_in_compartment"
	ReasonTypeNotAllowed   = "type_not_allowed"
	ReasonSecurityLabel    = "security_label"
	ReasonSensitiveCode    = "sensitive_code"
	ReasonNoResource       = "no_resource"
	// Whole-response errors: the gateway releases nothing.
	ReasonMalformedResponse = "malformed_response"
	ReasonResponseTooLarge  = "response_too_large"
)

type field struct {
	name           []byte
	kStart, vStart int
	vEnd           int
}

type resInfo struct {
	typ, id       string
	fields        []field
	contained     []*resInfo
	label         bool
	sensitive     bool
	inCompartment bool
	start, end    int
	entries       []entry // Bundle only
}

type entry struct {
	fullURL    []byte
	hasFullURL bool
	res        *resInfo
	search     [2]int // raw span of a {mode, score} search, or zero
	reason     string
}

// Filter appends to dst the part of the FHIR JSON response src that p
// releases, and returns the extended slice. Every resource (a single one,
// each Bundle entry's, each contained one) is removed unless its type is
// allowed, it is in Patient/p.PatientID's compartment and it carries no
// flagged label or code; fields outside its TypeRule are removed; Bundle
// links and fullUrls are rewritten from UpstreamBase to BaseURL, other
// absolute URLs dropped, and total is dropped when an entry was removed.
//
// Filter works on tokens (it never builds generic values). It returns a
// *Refusal and dst unchanged when src is malformed JSON, has a wrong
// shape, a duplicate key, nesting beyond 64 levels or more than MaxBytes
// (ReasonMalformedResponse, ReasonResponseTooLarge), or when src is a
// single resource that is removed (its removal reason): the caller then
// releases nothing.
func Filter(dst, src []byte, p *Policy) ([]byte, Result, error) {
	var res Result
	if p == nil || p.PatientID == "" {
		return dst, res, &Refusal{Reason: ReasonMalformedResponse, Detail: "no patient in policy"}
	}
	max := p.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	if len(src) > max {
		return dst, res, &Refusal{Reason: ReasonResponseTooLarge, Detail: "response body too large"}
	}
	s := &scanner{src: src, p: p, res: &res}
	for _, b := range []string{p.UpstreamBase, p.BaseURL} {
		if b != "" {
			s.bases = append(s.bases, b)
		}
	}
	i := s.ws(0)
	info, end, err := s.inspect(i, 0, true)
	if err == nil && s.ws(end) != len(src) {
		err = errSyntax
	}
	if err != nil {
		return dst, Result{}, &Refusal{Reason: ReasonMalformedResponse, Detail: err.Error()}
	}
	n := len(dst)
	if info.typ == "Bundle" {
		if info.label || info.sensitive {
			return dst, Result{}, &Refusal{Reason: ReasonSecurityLabel, Detail: "bundle carries a security label"}
		}
		dst = s.emitBundle(dst, info)
	} else {
		if reason := s.decide(info, false); reason != "" {
			return dst, Result{}, &Refusal{Reason: reason, Detail: info.typ + " withheld"}
		}
		res.Resources = 1
		dst = s.emitResource(dst, info)
	}
	res.Bytes = len(dst) - n
	return dst, res, nil
}

// typeName interns resource type names so that resInfo.typ costs no
// allocation for known types.
func typeName(b []byte) string {
	tableOnce.Do(loadTable)
	if name, ok := typeNames[string(b)]; ok {
		return name
	}
	return string(b)
}

// inspect validates the resource object at i and gathers what decide and
// emit need. root is true for the response's top-level value, where a
// Bundle is unwrapped.
func (s *scanner) inspect(i, depth int, root bool) (*resInfo, int, error) {
	src := s.src
	if i >= len(src) || src[i] != '{' {
		return nil, 0, errShape
	}
	if depth+1 > s.maxDepth() {
		return nil, 0, errDepth
	}
	info := &resInfo{start: i}
	typ, err := s.peekType(i)
	if err != nil {
		return nil, 0, err
	}
	info.typ = typ
	ti := typeOf(typ)
	bundle := root && typ == "Bundle"
	j := s.ws(i + 1)
	if j < len(src) && src[j] == '}' {
		return nil, 0, errShape // no resourceType
	}
	var keys keySet
	var fb [24]field
	fields := fb[:0]
	for {
		key, _, vi, err := s.member(j)
		if err != nil {
			return nil, 0, err
		}
		if !keys.add(key) {
			return nil, 0, errDup
		}
		var end int
		switch {
		case string(key) == "resourceType":
			end, err = s.walk(vi, depth+1, modePlain, nil)
		case string(key) == "id":
			end, err = s.walk(vi, depth+1, modePlain, nil)
			if err == nil {
				if src[vi] != '"' {
					return nil, 0, errShape
				}
				id, _ := s.stringAt(vi, end)
				info.id = string(id)
			}
		case string(key) == "meta":
			end, err = s.walk(vi, depth+1, modeMeta, info)
		case string(key) == "contained" && !bundle:
			end, err = s.inspectList(vi, depth+1, func(ci, d int) (int, error) {
				c, cend, err := s.inspect(ci, d, false)
				if err == nil {
					info.contained = append(info.contained, c)
				}
				return cend, err
			})
		case bundle && string(key) == "entry":
			end, err = s.inspectList(vi, depth+1, func(ei, d int) (int, error) {
				return s.inspectEntry(info, ei, d)
			})
		case bundle && string(key) == "link":
			end, err = s.walk(vi, depth+1, modePlain, nil)
			if err == nil && src[vi] != '[' {
				return nil, 0, errShape
			}
		case bundle:
			end, err = s.walk(vi, depth+1, modePlain, nil)
		default:
			end, err = s.walk(vi, depth+1, modePlain, info)
			if err == nil && ti != nil && !info.inCompartment {
				for _, path := range ti.compPaths {
					if path[0] == string(key) && s.refs(vi, path[1:]) {
						info.inCompartment = true
						break
					}
				}
			}
		}
		if err != nil {
			return nil, 0, err
		}
		fields = append(fields, field{name: key, kStart: j, vStart: vi, vEnd: end})
		var done bool
		if j, done, err = s.next(end, '}'); err != nil {
			return nil, 0, err
		} else if done {
			break
		}
	}
	info.end = j
	info.fields = s.keep(fields)
	if typ == "Patient" && info.id == s.p.PatientID {
		info.inCompartment = true
	}
	return info, j, nil
}

// keep copies fields into the scanner's arena, so that a response's
// resources share a few allocations.
func (s *scanner) keep(fields []field) []field {
	if cap(s.arena)-len(s.arena) < len(fields) {
		s.arena = make([]field, 0, max(512, len(fields)))
	}
	n := len(s.arena)
	s.arena = append(s.arena, fields...)
	return s.arena[n:len(s.arena):len(s.arena)]
}

// inspectList validates the array at i, calling fn for each element.
func (s *scanner) inspectList(i, depth int, fn func(i, depth int) (int, error)) (int, error) {
	src := s.src
	if i >= len(src) || src[i] != '[' {
		return 0, errShape
	}
	if depth+1 > s.maxDepth() {
		return 0, errDepth
	}
	i = s.ws(i + 1)
	if i < len(src) && src[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := fn(i, depth+1)
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
}

// peekType finds the resourceType of the object at i: usually its first
// member, otherwise found by a validating pass over the members.
func (s *scanner) peekType(i int) (string, error) {
	j := s.ws(i + 1)
	for {
		key, _, vi, err := s.member(j)
		if err != nil {
			return "", err
		}
		end, err := s.walk(vi, 1, modePlain, nil)
		if err != nil {
			return "", err
		}
		if string(key) == "resourceType" {
			v, ok := s.stringAt(vi, end)
			if !ok || len(v) == 0 {
				return "", errShape
			}
			return typeName(v), nil
		}
		var done bool
		if j, done, err = s.next(end, '}'); err != nil {
			return "", err
		} else if done {
			return "", errShape
		}
	}
}

// inspectEntry validates one Bundle.entry object.
func (s *scanner) inspectEntry(b *resInfo, i, depth int) (int, error) {
	src := s.src
	if i >= len(src) || src[i] != '{' {
		return 0, errShape
	}
	if depth+1 > s.maxDepth() {
		return 0, errDepth
	}
	var e entry
	j := s.ws(i + 1)
	if j < len(src) && src[j] == '}' {
		b.entries = append(b.entries, entry{reason: ReasonNoResource})
		return j + 1, nil
	}
	var keys keySet
	for {
		key, _, vi, err := s.member(j)
		if err != nil {
			return 0, err
		}
		if !keys.add(key) {
			return 0, errDup
		}
		var end int
		switch string(key) {
		case "resource":
			e.res, end, err = s.inspect(vi, depth+1, false)
		case "fullUrl":
			end, err = s.walk(vi, depth+1, modePlain, nil)
			if err == nil {
				v, ok := s.stringAt(vi, end)
				if !ok {
					return 0, errShape
				}
				e.fullURL, e.hasFullURL = v, true
			}
		case "search":
			end, err = s.walk(vi, depth+1, modePlain, nil)
			if err == nil && src[vi] == '{' {
				plain := true
				s.each(vi, func(k []byte, kvi, _ int) {
					switch string(k) {
					case "mode":
						plain = plain && src[kvi] == '"'
					case "score":
						plain = plain && (src[kvi] == '-' || src[kvi] >= '0' && src[kvi] <= '9')
					default:
						plain = false
					}
				})
				if plain {
					e.search = [2]int{vi, end}
				}
			}
		default: // request, response (with its outcome resource), link...: dropped
			end, err = s.walk(vi, depth+1, modePlain, nil)
		}
		if err != nil {
			return 0, err
		}
		var done bool
		if j, done, err = s.next(end, '}'); err != nil {
			return 0, err
		} else if done {
			break
		}
	}
	if e.res == nil {
		e.reason = ReasonNoResource
	}
	b.entries = append(b.entries, e)
	return j, nil
}

// decide returns why r must be removed, or "".
func (s *scanner) decide(r *resInfo, contained bool) string {
	p := s.p
	rule := p.Allowed[r.typ]
	if r.typ == "Bundle" || r.typ == "Parameters" {
		return ReasonTypeNotAllowed
	}
	if r.typ == "OperationOutcome" && rule == nil && !contained {
		if r.label || r.sensitive {
			return ReasonSecurityLabel
		}
		return ""
	}
	ti := typeOf(r.typ)
	switch {
	case rule == nil || ti == nil:
		return ReasonTypeNotAllowed
	case r.typ == "Patient" || len(ti.compPaths) > 0:
		if !r.inCompartment {
			return ReasonNotInCompartment
		}
	case !rule.OutsideCompartment:
		return ReasonNotInCompartment
	}
	if r.label {
		return ReasonSecurityLabel
	}
	if r.sensitive {
		return ReasonSensitiveCode
	}
	return ""
}

func (s *scanner) removed(r *resInfo, reason string) {
	name := r.typ
	if r.id != "" {
		name += "/" + r.id
	}
	s.res.RemovedResources = append(s.res.RemovedResources, name+": "+reason)
}

func (s *scanner) removedField(typ string, name []byte) {
	for _, f := range s.res.RemovedFields {
		if len(f) == len(typ)+1+len(name) && strings.HasPrefix(f, typ) && f[len(typ)] == '.' && f[len(typ)+1:] == string(name) {
			return
		}
	}
	s.res.RemovedFields = append(s.res.RemovedFields, typ+"."+string(name))
}

// emitResource appends the released part of the resource r.
func (s *scanner) emitResource(dst []byte, r *resInfo) []byte {
	if r.typ == "OperationOutcome" && s.p.Allowed["OperationOutcome"] == nil {
		return s.emitOutcome(dst, r)
	}
	rule := s.p.Allowed[r.typ]
	dst = append(dst, '{')
	first := true
	for _, f := range r.fields {
		name := string(f.name)
		base := strings.TrimPrefix(name, "_")
		keep := name == "resourceType" || name == "id" || name == "meta" || rule.Fields[base]
		if !keep {
			s.removedField(r.typ, f.name)
			continue
		}
		if name == "contained" {
			mark := len(dst)
			if !first {
				dst = append(dst, ',')
			}
			dst = append(dst, `"contained":[`...)
			n := 0
			for _, c := range r.contained {
				if reason := s.decide(c, true); reason != "" {
					s.removed(c, reason)
					continue
				}
				if n > 0 {
					dst = append(dst, ',')
				}
				dst = s.emitResource(dst, c)
				n++
			}
			if n == 0 {
				dst = dst[:mark]
				continue
			}
			dst = append(dst, ']')
			first = false
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		dst = append(dst, s.src[f.kStart:f.vEnd]...)
		first = false
	}
	return append(dst, '}')
}

// emitOutcome appends an OperationOutcome reduced to its issues' severity
// and code: diagnostics and details may carry upstream detail or PHI.
func (s *scanner) emitOutcome(dst []byte, r *resInfo) []byte {
	dst = append(dst, `{"resourceType":"OperationOutcome","issue":[`...)
	n := 0
	for _, f := range r.fields {
		if string(f.name) != "issue" || s.src[f.vStart] != '[' {
			continue
		}
		s.elems(f.vStart, func(vi, _ int) {
			var sev, code []byte
			s.each(vi, func(k []byte, kvi, end int) {
				switch string(k) {
				case "severity":
					sev, _ = s.stringAt(kvi, end)
				case "code":
					code, _ = s.stringAt(kvi, end)
				}
			})
			if sev == nil || code == nil {
				return
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"severity":`...)
			dst = appendString(dst, string(sev))
			dst = append(dst, `,"code":`...)
			dst = appendString(dst, string(code))
			dst = append(dst, '}')
			n++
		})
	}
	return append(dst, "]}"...)
}

// rewrite maps an absolute URL under the upstream base to the gateway's
// base. ok is false for any URL that must not be released.
func (s *scanner) rewrite(u string, fullURL bool) (string, bool) {
	if fullURL && (strings.HasPrefix(u, "urn:uuid:") || strings.HasPrefix(u, "urn:oid:")) {
		return u, true
	}
	up := strings.TrimSuffix(s.p.UpstreamBase, "/")
	gw := strings.TrimSuffix(s.p.BaseURL, "/")
	if up != "" && gw != "" {
		if rest, ok := strings.CutPrefix(u, up); ok && (rest == "" || rest[0] == '/' || rest[0] == '?') {
			return gw + rest, true
		}
	}
	if gw != "" {
		if rest, ok := strings.CutPrefix(u, gw); ok && (rest == "" || rest[0] == '/' || rest[0] == '?') {
			return u, true
		}
	}
	return "", false
}

func (s *scanner) emitBundle(dst []byte, b *resInfo) []byte {
	removed := 0
	for k := range b.entries {
		e := &b.entries[k]
		if e.reason == "" {
			e.reason = s.decide(e.res, false)
		}
		if e.reason != "" {
			removed++
			if e.res != nil {
				s.removed(e.res, e.reason)
			} else {
				s.res.RemovedResources = append(s.res.RemovedResources, "entry: "+e.reason)
			}
		}
	}
	dst = append(dst, '{')
	first := true
	sep := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
	}
	for _, f := range b.fields {
		switch string(f.name) {
		case "resourceType", "id", "meta", "type", "timestamp":
			sep()
			dst = append(dst, s.src[f.kStart:f.vEnd]...)
		case "total":
			if removed == 0 {
				sep()
				dst = append(dst, s.src[f.kStart:f.vEnd]...)
			} else {
				s.removedField("Bundle", f.name)
			}
		case "link":
			sep()
			dst = append(dst, `"link":[`...)
			n := 0
			s.elems(f.vStart, func(vi, _ int) {
				var rel, u []byte
				s.each(vi, func(k []byte, kvi, end int) {
					switch string(k) {
					case "relation":
						rel, _ = s.stringAt(kvi, end)
					case "url":
						u, _ = s.stringAt(kvi, end)
					}
				})
				nu, ok := s.rewrite(string(u), false)
				if rel == nil || !ok {
					return
				}
				if n > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, `{"relation":`...)
				dst = appendString(dst, string(rel))
				dst = append(dst, `,"url":`...)
				dst = appendString(dst, nu)
				dst = append(dst, '}')
				n++
			})
			dst = append(dst, ']')
		case "entry":
			sep()
			dst = append(dst, `"entry":[`...)
			n := 0
			for _, e := range b.entries {
				if e.reason != "" {
					continue
				}
				if n > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, '{')
				if e.hasFullURL {
					if u, ok := s.rewrite(string(e.fullURL), true); ok {
						dst = append(dst, `"fullUrl":`...)
						dst = appendString(dst, u)
						dst = append(dst, ',')
					}
				}
				dst = append(dst, `"resource":`...)
				dst = s.emitResource(dst, e.res)
				if e.search[1] > 0 {
					dst = append(dst, `,"search":`...)
					dst = append(dst, s.src[e.search[0]:e.search[1]]...)
				}
				dst = append(dst, '}')
				n++
				s.res.Resources++
			}
			dst = append(dst, ']')
		default:
			s.removedField("Bundle", f.name)
		}
	}
	return append(dst, '}')
}
