package fhir

import (
	"errors"
	"mime"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// Limits on what ParseRequest accepts.
const (
	MaxPathBytes  = 2 << 10 // the raw path after the gateway's base
	MaxQueryBytes = 8 << 10 // the raw query plus any form body
	MaxParams     = 100
)

// Interaction is the FHIR RESTful interaction a request asks for.
type Interaction string

// Interactions. These strings are stable: they reach audit events.
const (
	Read         Interaction = "read"
	VRead        Interaction = "vread"
	Search       Interaction = "search"
	History      Interaction = "history"
	Operation    Interaction = "operation"
	Create       Interaction = "create"
	Update       Interaction = "update"
	Patch        Interaction = "patch"
	Delete       Interaction = "delete"
	Batch        Interaction = "batch"
	Capabilities Interaction = "capabilities"
)

// IsWrite reports whether i changes data on the server.
func (i Interaction) IsWrite() bool {
	return i == Create || i == Update || i == Patch || i == Delete || i == Batch
}

// Refusal reasons. They are stable codes: the console, the monitor and
// audit events use them. New reasons are added at the end of the list.
const (
	ReasonMalformedURL           = "malformed_url"
	ReasonPathTraversal          = "path_traversal"
	ReasonUnsupportedInteraction = "unsupported_interaction"
	ReasonBatchRefused           = "batch_refused"
	ReasonGraphQLRefused         = "graphql_refused"
	ReasonHasRefused             = "has_refused"
	ReasonChainedRefused         = "chained_refused"
	ReasonFilterRefused          = "filter_refused"
	ReasonQueryRefused           = "query_refused"
	ReasonIncludeRefused         = "include_refused"
	ReasonRevIncludeRefused      = "revinclude_refused"
	ReasonOperationRefused       = "operation_refused"
	ReasonWriteRefused           = "write_refused"
	ReasonTooLong                = "too_long"
	ReasonAmbiguousParameter     = "ambiguous_parameter"
	ReasonContainedRefused       = "contained_refused"
	ReasonUnknownResourceType    = "unknown_resource_type"
	ReasonUnknownParameter       = "unknown_parameter"
	ReasonFormatRefused          = "format_refused"
	ReasonOtherPatient           = "other_patient"
	ReasonUnscopedSearch         = "unscoped_search"
)

// Refusal is a request (or response) that ward will not pass, with a
// stable reason code and a detail for the audit trail. Detail never holds
// parameter values.
type Refusal struct {
	Reason string
	Detail string
}

// Error implements error.
func (r *Refusal) Error() string { return "fhir: " + r.Reason + ": " + r.Detail }

// RefusalReason returns the reason of the *Refusal in err's chain, or "".
func RefusalReason(err error) string {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	return ""
}

func refuse(reason, detail string) *Refusal { return &Refusal{Reason: reason, Detail: detail} }

// Param is one search or control parameter: "code:text=x" is
// {Name: "code", Modifier: "text", Value: "x"}. Values are decoded.
type Param struct {
	Name, Modifier, Value string
}

// Request is a parsed FHIR R4 request.
type Request struct {
	Method       string
	Interaction  Interaction
	ResourceType string // "" for system-level interactions
	ID           string
	VersionID    string
	// Compartment is "Patient/<id>" for a compartment search such as
	// /Patient/123/Condition.
	Compartment string
	Operation   string // "$everything"
	Params      []Param
	Format      string // the _format value, if any
	Body        []byte // the body of a create or update, for PatientScope
}

// Parser parses requests against allow-lists that depend on the task
// profile. The zero Parser allows no _include, no _revinclude and no
// operation.
type Parser struct {
	Includes    map[string]bool // allowed _include values, e.g. "Observation:patient"
	RevIncludes map[string]bool // allowed _revinclude values
	Operations  map[string]bool // allowed operations, e.g. "$everything"
}

// ParseRequest parses a request with the zero Parser.
func ParseRequest(method, rawPath, rawQuery, contentType string, body []byte) (*Request, error) {
	return (&Parser{}).Parse(method, rawPath, rawQuery, contentType, body)
}

// Parse parses a FHIR request. rawPath is the still-escaped path after the
// gateway's FHIR base ("/Patient/123/_history/2"), rawQuery the raw query.
// A form-encoded POST _search body adds its parameters. It returns a
// *Refusal for anything malformed, ambiguous or never allowed: batches and
// transactions, GraphQL, _has, chained parameters, _filter, _query,
// _contained, includes and operations outside the allow-lists, formats
// other than JSON. What depends on the grant (the patient, writes) is left
// to PatientScope and the caller.
//
// The caller MUST forward the request to the upstream as r.Path() and
// r.Query(), which are rebuilt from what was checked, never as received.
func (ps *Parser) Parse(method, rawPath, rawQuery, contentType string, body []byte) (*Request, error) {
	if len(rawPath) > MaxPathBytes {
		return nil, refuse(ReasonTooLong, "path too long")
	}
	if len(rawQuery) > MaxQueryBytes {
		return nil, refuse(ReasonTooLong, "query too long")
	}
	r := &Request{Method: method}
	segs, err := splitPath(rawPath)
	if err != nil {
		return nil, err
	}
	if err := r.route(method, segs); err != nil {
		return nil, err
	}
	if r.Operation != "" && !ps.Operations[r.Operation] {
		return nil, refuse(ReasonOperationRefused, "operation "+r.Operation+" not allowed")
	}
	if r.Params, err = parseParams(rawQuery, nil); err != nil {
		return nil, err
	}
	if r.Interaction == Search && method == "POST" {
		mt, _, err := mime.ParseMediaType(contentType)
		if len(body) > 0 && (err != nil || mt != "application/x-www-form-urlencoded") {
			return nil, refuse(ReasonMalformedURL, "a _search body must be form-encoded")
		}
		if len(rawQuery)+len(body) > MaxQueryBytes {
			return nil, refuse(ReasonTooLong, "search parameters too long")
		}
		if r.Params, err = parseParams(string(body), r.Params); err != nil {
			return nil, err
		}
	}
	if r.Interaction == Create || r.Interaction == Update {
		r.Body = body
	}
	if err := ps.checkParams(r); err != nil {
		return nil, err
	}
	return r, nil
}

// splitPath splits the raw path on its literal slashes and decodes each
// segment, refusing what servers disagree on: empty segments, dot
// segments, encoded slashes and backslashes, double encoding, path
// parameters (";"), control and non-ASCII bytes.
func splitPath(raw string) ([]string, error) {
	if raw == "" || raw == "/" {
		return nil, nil
	}
	if raw[0] != '/' {
		return nil, refuse(ReasonMalformedURL, "path must start with /")
	}
	p := strings.TrimSuffix(raw[1:], "/") // one trailing slash is harmless: the path is rebuilt
	segs := strings.Split(p, "/")
	for k, seg := range segs {
		if seg == "" {
			return nil, refuse(ReasonMalformedURL, "empty path segment")
		}
		dec := make([]byte, 0, len(seg))
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if c == '%' {
				if i+2 >= len(seg) || !isHex(seg[i+1]) || !isHex(seg[i+2]) {
					return nil, refuse(ReasonMalformedURL, "bad percent-encoding")
				}
				c = byte(hexVal([]byte(seg[i+1 : i+3])))
				i += 2
				switch {
				case c == '/' || c == '\\':
					return nil, refuse(ReasonPathTraversal, "encoded slash in path")
				case c == '%':
					return nil, refuse(ReasonMalformedURL, "double percent-encoding")
				}
			} else if c == '\\' {
				return nil, refuse(ReasonPathTraversal, "backslash in path")
			} else if !pathByte(c) {
				return nil, refuse(ReasonMalformedURL, "character not allowed in path")
			}
			if c < 0x20 || c >= 0x7f {
				return nil, refuse(ReasonMalformedURL, "control or non-ASCII byte in path")
			}
			dec = append(dec, c)
		}
		if s := string(dec); s == "." || s == ".." {
			return nil, refuse(ReasonPathTraversal, "dot segment in path")
		}
		segs[k] = string(dec)
	}
	return segs, nil
}

// pathByte reports whether c may appear unencoded in a path segment: FHIR
// paths need letters, digits, "-", ".", "_" and "$" only.
func pathByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '$'
}

func checkType(s string) error {
	if IsResourceType(s) {
		return nil
	}
	return refuse(ReasonUnknownResourceType, "unknown resource type")
}

func checkOp(s string) error {
	if strings.EqualFold(s, "$graphql") {
		return refuse(ReasonGraphQLRefused, "GraphQL is not supported")
	}
	if len(s) < 2 || len(s) > 64 || !(s[1] >= 'a' && s[1] <= 'z' || s[1] >= 'A' && s[1] <= 'Z') {
		return refuse(ReasonMalformedURL, "bad operation name")
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return refuse(ReasonMalformedURL, "bad operation name")
		}
	}
	return nil
}

func checkID(s string) error {
	if !validID(s) {
		return refuse(ReasonMalformedURL, "bad resource id")
	}
	return nil
}

func isRead(m string) bool { return m == "GET" || m == "HEAD" }

func (r *Request) route(method string, segs []string) error {
	for _, s := range segs {
		if strings.EqualFold(s, "$graphql") {
			return refuse(ReasonGraphQLRefused, "GraphQL is not supported")
		}
	}
	unsupported := refuse(ReasonUnsupportedInteraction, method+" not supported here")
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE":
	default:
		return unsupported
	}
	n := len(segs)
	if n == 0 {
		if method == "POST" {
			r.Interaction = Batch
			return refuse(ReasonBatchRefused, "batch and transaction bundles are refused")
		}
		return refuse(ReasonUnsupportedInteraction, "system-level search is refused")
	}
	s0 := segs[0]
	switch {
	case s0 == "metadata" && n == 1:
		if !isRead(method) {
			return unsupported
		}
		r.Interaction = Capabilities
		return nil
	case s0 == "_history" && n == 1:
		if !isRead(method) {
			return unsupported
		}
		r.Interaction = History
		return nil
	case strings.HasPrefix(s0, "$") && n == 1:
		if err := checkOp(s0); err != nil {
			return err
		}
		if method != "GET" && method != "POST" {
			return unsupported
		}
		r.Interaction, r.Operation = Operation, s0
		return nil
	case s0 == "_search":
		return refuse(ReasonUnsupportedInteraction, "system-level search is refused")
	}
	if err := checkType(s0); err != nil {
		return err
	}
	r.ResourceType = s0
	if n == 1 {
		switch method {
		case "GET", "HEAD":
			r.Interaction = Search
		case "POST":
			r.Interaction = Create
		default:
			return refuse(ReasonWriteRefused, "conditional writes are refused")
		}
		return nil
	}
	s1 := segs[1]
	if n == 2 {
		switch {
		case s1 == "_search":
			if method != "GET" && method != "POST" {
				return unsupported
			}
			r.Interaction = Search
		case s1 == "_history":
			if !isRead(method) {
				return unsupported
			}
			r.Interaction = History
		case strings.HasPrefix(s1, "$"):
			if err := checkOp(s1); err != nil {
				return err
			}
			if method != "GET" && method != "POST" {
				return unsupported
			}
			r.Interaction, r.Operation = Operation, s1
		default:
			if err := checkID(s1); err != nil {
				return err
			}
			r.ID = s1
			switch method {
			case "GET", "HEAD":
				r.Interaction = Read
			case "PUT":
				r.Interaction = Update
			case "PATCH":
				r.Interaction = Patch
			case "DELETE":
				r.Interaction = Delete
			default:
				return unsupported
			}
		}
		return nil
	}
	if err := checkID(s1); err != nil {
		return err
	}
	r.ID = s1
	s2 := segs[2]
	switch {
	case s2 == "_history" && n == 3:
		if !isRead(method) {
			return unsupported
		}
		r.Interaction = History
		return nil
	case s2 == "_history" && n == 4:
		if !isRead(method) {
			return unsupported
		}
		if err := checkID(segs[3]); err != nil {
			return err
		}
		r.Interaction, r.VersionID = VRead, segs[3]
		return nil
	case strings.HasPrefix(s2, "$") && n == 3:
		if err := checkOp(s2); err != nil {
			return err
		}
		if method != "GET" && method != "POST" {
			return unsupported
		}
		r.Interaction, r.Operation = Operation, s2
		return nil
	}
	// A compartment search: /Patient/123/Condition[/_search].
	if n > 4 || n == 4 && segs[3] != "_search" {
		return refuse(ReasonMalformedURL, "unexpected path segments")
	}
	if err := checkType(s2); err != nil {
		return err
	}
	if s0 != "Patient" {
		return refuse(ReasonUnsupportedInteraction, "only Patient compartments are supported")
	}
	if n == 3 && !isRead(method) || n == 4 && method != "GET" && method != "POST" {
		return unsupported
	}
	r.Interaction, r.Compartment, r.ResourceType, r.ID = Search, s0+"/"+s1, s2, ""
	return nil
}

// parseParams appends the parameters of the form-encoded s to ps. Only
// "&" separates; a literal ";" is refused since some servers split on it.
func parseParams(s string, ps []Param) ([]Param, error) {
	if s == "" {
		return ps, nil
	}
	if strings.IndexByte(s, ';') >= 0 {
		return nil, refuse(ReasonAmbiguousParameter, "literal ; in parameters")
	}
	for pair := range strings.SplitSeq(s, "&") {
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(rawName)
		value, err2 := url.QueryUnescape(rawValue)
		if err1 != nil || err2 != nil {
			return nil, refuse(ReasonMalformedURL, "bad percent-encoding in parameters")
		}
		if name == "" {
			return nil, refuse(ReasonMalformedURL, "empty parameter name")
		}
		for i := 0; i < len(name); i++ {
			if c := name[i]; c <= 0x20 || c >= 0x7f {
				return nil, refuse(ReasonMalformedURL, "bad byte in parameter name")
			}
		}
		if !utf8.ValidString(value) {
			return nil, refuse(ReasonMalformedURL, "parameter value is not UTF-8")
		}
		for _, c := range value {
			if c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 {
				return nil, refuse(ReasonMalformedURL, "control character in parameter value")
			}
		}
		base, mod, _ := strings.Cut(name, ":")
		ps = append(ps, Param{Name: base, Modifier: mod, Value: value})
		if len(ps) > MaxParams {
			return nil, refuse(ReasonTooLong, "too many parameters")
		}
	}
	return ps, nil
}

// control parameters: name → may repeat.
var controlParams = map[string]bool{
	"_count": false, "_offset": false, "_sort": false, "_summary": false, "_elements": false,
	"_total": false, "_format": false, "_pretty": false, "_since": false, "_at": false,
	"_include": true, "_revinclude": true, "_list": true,
}

// readParams are the parameters a read, vread or history accepts.
var readParams = map[string]bool{"_format": true, "_pretty": true, "_summary": true, "_elements": true, "_since": true, "_at": true, "_count": true}

func (ps *Parser) checkParams(r *Request) error {
	seen := map[string]bool{}
	for _, p := range r.Params {
		name, full := p.Name, p.Name
		if p.Modifier != "" {
			full += ":" + p.Modifier
		}
		switch {
		case strings.EqualFold(name, "_has"):
			return refuse(ReasonHasRefused, "_has is refused")
		case strings.Contains(full, "."):
			return refuse(ReasonChainedRefused, "chained parameters are refused")
		case strings.EqualFold(name, "_filter"):
			return refuse(ReasonFilterRefused, "_filter is refused")
		case strings.EqualFold(name, "_query"):
			return refuse(ReasonQueryRefused, "_query is refused")
		case strings.EqualFold(name, "_contained"), strings.EqualFold(name, "_containedType"):
			return refuse(ReasonContainedRefused, "_contained is refused")
		case strings.EqualFold(name, "_include"):
			if name != "_include" || p.Modifier != "" || !ps.Includes[p.Value] {
				return refuse(ReasonIncludeRefused, "_include not allowed")
			}
		case strings.EqualFold(name, "_revinclude"):
			if name != "_revinclude" || p.Modifier != "" || !ps.RevIncludes[p.Value] {
				return refuse(ReasonRevIncludeRefused, "_revinclude not allowed")
			}
		}
		if repeat, ok := controlParams[name]; ok {
			if !repeat && seen[name] {
				return refuse(ReasonAmbiguousParameter, "repeated "+name)
			}
			seen[name] = true
			if p.Modifier != "" {
				return refuse(ReasonAmbiguousParameter, "modifier on "+name)
			}
			if name == "_format" {
				switch p.Value {
				case "json", "application/json", "application/fhir+json", "application/fhir json":
					r.Format = p.Value
				default:
					return refuse(ReasonFormatRefused, "only JSON is served")
				}
			}
			if name == "_pretty" && p.Value != "true" && p.Value != "false" {
				return refuse(ReasonAmbiguousParameter, "bad _pretty")
			}
		}
		switch r.Interaction {
		case Search:
			if _, ok := controlParams[name]; ok {
				continue
			}
			if lookupParam(r.ResourceType, name) != nil {
				continue
			}
			if foldParam(r.ResourceType, name) {
				return refuse(ReasonAmbiguousParameter, "parameter "+name+" differs in case from a known one")
			}
			return refuse(ReasonUnknownParameter, "unknown search parameter "+safeName(name))
		case Operation:
			// An operation's parameters are its own; the allow-list
			// decides which operations are reachable.
		default:
			if !readParams[name] {
				return refuse(ReasonUnknownParameter, "parameter "+safeName(name)+" not allowed here")
			}
		}
	}
	return nil
}

func safeName(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

func foldParam(resourceType, name string) bool {
	for k := range controlParams {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	if ti := typeOf(resourceType); ti != nil {
		for k := range ti.params {
			if strings.EqualFold(k, name) {
				return true
			}
		}
	}
	for k := range common {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// Path returns the canonical path of r, relative to the FHIR base.
func (r *Request) Path() string {
	var b strings.Builder
	switch {
	case r.Compartment != "":
		b.WriteString("/" + r.Compartment + "/" + r.ResourceType)
		return b.String()
	case r.Interaction == Capabilities:
		return "/metadata"
	}
	if r.ResourceType != "" {
		b.WriteString("/" + r.ResourceType)
	}
	if r.ID != "" {
		b.WriteString("/" + r.ID)
	}
	switch r.Interaction {
	case History:
		b.WriteString("/_history")
	case VRead:
		b.WriteString("/_history/" + r.VersionID)
	case Operation:
		b.WriteString("/" + r.Operation)
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// Query returns the canonical, encoded query of r (parameters in their
// original order, including those of a form body), without "?".
func (r *Request) Query() string {
	var b strings.Builder
	for i, p := range r.Params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.Name))
		if p.Modifier != "" {
			b.WriteByte(':')
			b.WriteString(url.QueryEscape(p.Modifier))
		}
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.Value))
	}
	return b.String()
}

// PatientScope checks that r stays inside Patient/patientID's compartment.
// bases are the FHIR bases under which a full-URL reference to the patient
// counts (the upstream's and the gateway's); without them only "<id>" and
// "Patient/<id>" do.
//
// It returns a *Refusal (other_patient, unscoped_search, write_refused,
// unsupported_interaction) when the request reaches, or may reach,
// another patient. needsResponseCheck is true when the URL cannot prove
// membership (a read of an Observation by id, an operation): the response
// filter then decides. Callers MUST run Filter on every response anyway.
func (r *Request) PatientScope(patientID string, bases ...string) (needsResponseCheck bool, err error) {
	if patientID == "" {
		return false, refuse(ReasonUnscopedSearch, "no patient")
	}
	other := refuse(ReasonOtherPatient, "request names another patient")
	switch r.Interaction {
	case Capabilities:
		return false, nil
	case Read, VRead:
		if r.ResourceType == "Patient" {
			if r.ID != patientID {
				return false, other
			}
			return false, nil
		}
		return true, nil
	case History:
		if r.ID == "" {
			return false, refuse(ReasonUnscopedSearch, "type- or system-level history is refused")
		}
		if r.ResourceType == "Patient" {
			if r.ID != patientID {
				return false, other
			}
			return false, nil
		}
		return true, nil
	case Search:
		if r.Compartment != "" {
			if r.Compartment != "Patient/"+patientID {
				return false, other
			}
			if len(CompartmentParams(r.ResourceType)) == 0 {
				return false, refuse(ReasonUnscopedSearch, r.ResourceType+" is not in the Patient compartment")
			}
			return false, r.scopeParams(patientID, bases, false)
		}
		return false, r.scopeParams(patientID, bases, true)
	case Operation:
		if r.ID == "" {
			return false, refuse(ReasonUnscopedSearch, "type- or system-level operations are refused")
		}
		if r.ResourceType == "Patient" && r.ID != patientID {
			return false, other
		}
		return true, nil
	case Create, Update:
		if r.ResourceType == "Patient" {
			if r.Interaction == Create || r.ID != patientID || !InPatientCompartment("Patient", r.Body, patientID) {
				return false, other
			}
			return false, nil
		}
		if r.Interaction == Update {
			return false, refuse(ReasonWriteRefused, "the record to update cannot be proven the patient's")
		}
		if !InPatientCompartment(r.ResourceType, r.Body, patientID, bases...) {
			return false, other
		}
		return false, nil
	case Patch, Delete:
		if r.ResourceType == "Patient" && r.ID == patientID {
			return false, nil
		}
		return false, refuse(ReasonWriteRefused, "the record to change cannot be proven the patient's")
	}
	return false, refuse(ReasonUnsupportedInteraction, "interaction not supported")
}

// scopeParam reports whether sp, a search parameter of resourceType,
// matches only through the type's Patient compartment references.
func scopeParam(resourceType string, sp *param) bool {
	ti := typeOf(resourceType)
	if ti == nil || sp.kind != "reference" || len(sp.paths) == 0 {
		return false
	}
	for _, p := range sp.paths {
		if !hasPath(ti.compPaths, strings.Split(p, ".")) {
			return false
		}
	}
	return true
}

func (r *Request) scopeParams(patientID string, bases []string, need bool) error {
	found := 0
	unscoped := func(d string) error { return refuse(ReasonUnscopedSearch, d) }
	for _, p := range r.Params {
		if r.ResourceType == "Patient" && p.Name == "_id" {
			if p.Modifier != "" {
				return unscoped("modifier on _id")
			}
			if p.Value != patientID {
				return refuse(ReasonOtherPatient, "_id names another patient")
			}
			found++
			continue
		}
		sp := lookupParam(r.ResourceType, p.Name)
		if sp == nil || !scopeParam(r.ResourceType, sp) {
			continue
		}
		if p.Modifier != "" && p.Modifier != "Patient" {
			return unscoped("modifier :" + safeName(p.Modifier) + " on compartment parameter " + p.Name)
		}
		v := p.Value
		switch {
		case v == patientID:
			if !sp.patientOnly && p.Modifier != "Patient" {
				return unscoped("bare id on " + p.Name + ", which also targets other types: use Patient/<id>")
			}
		case v == "Patient/"+patientID && p.Modifier == "":
		case p.Modifier == "" && strings.Contains(v, "://") && isPatientRef(v, patientID, bases) && !strings.Contains(v, "/_history/"):
		default:
			return refuse(ReasonOtherPatient, p.Name+" names another patient")
		}
		found++
	}
	if need && found == 0 {
		params := CompartmentParams(r.ResourceType)
		sort.Strings(params)
		if r.ResourceType == "Patient" {
			params = []string{"_id"}
		}
		return unscoped("search must name the patient with one of: " + strings.Join(params, ", "))
	}
	return nil
}
