// Package policy evaluates the organization's Cedar policies for one PHI
// request: Decide is a pure function of a ward.AccessRequest, with no I/O,
// that runs after ward's own checks (session, shift, origin, grant).
//
// Policies are validated against an embedded schema (schema.cedarschema)
// when loaded, so a policy that names an unknown attribute, compares values
// of different types or applies `in` to strings is refused at load instead
// of silently never matching. Every policy carries an @id annotation; the
// IDs name the policies that decided.
//
// Every policy is evaluated; a forbid wins, and without a permit the answer
// is deny. A forbid that fails to evaluate denies too (fail closed).
// Decisions are cached per engine, keyed by exactly the request attributes
// that the loaded policies read, so a repeated request costs a hash and a
// comparison; loading policies makes a new engine with an empty cache.
package policy

import (
	_ "embed"
	"hash/maphash"
	"iter"
	"sync/atomic"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/wardhq/ward"
)

// Reason codes of a decision. A forbid or an evaluation error is suffixed
// with ":" and the policy's @id.
const (
	ReasonPermit   = "policy_permit"
	ReasonForbid   = "policy_forbid"     // "policy_forbid:<id>"
	ReasonNoPermit = "no_policy_permits" // no permit applied: default deny
	ReasonError    = "policy_error"      // "policy_error:<id>": a forbid failed to evaluate
	ReasonNoCaller = "no_principal"      // the request had no principal
)

//go:embed default.cedar
var defaultPolicies []byte

//go:embed schema.cedarschema
var schemaText []byte

// File is one policy document.
type File struct {
	Name string // for error messages, e.g. "policies/org.cedar"
	Text []byte
}

// Defaults returns ward's default policies.
func Defaults() File { return File{Name: "default.cedar", Text: defaultPolicies} }

// Schema returns the Cedar schema that policies are validated against.
func Schema() []byte { return schemaText }

// Engine decides access requests with a fixed set of validated policies.
// It is safe for concurrent use.
type Engine struct {
	list  policyList
	need  fieldSet // request attributes that some policy reads
	cache *cache   // nil: every request is evaluated
}

// compiled is one loaded policy.
type compiled struct {
	id       string
	cedarID  cedar.PolicyID
	p        *cedar.Policy
	forbid   bool
	reason   string // "policy_forbid:<id>"
	errorMsg string // "policy_error:<id>"
}

// policyList iterates the policies in load order, so reasons come out in
// a stable order (a cedar.PolicySet is a map).
type policyList []*compiled

func (l policyList) All() iter.Seq2[cedar.PolicyID, *cedar.Policy] {
	return func(yield func(cedar.PolicyID, *cedar.Policy) bool) {
		for _, c := range l {
			if !yield(c.cedarID, c.p) {
				return
			}
		}
	}
}

// New compiles and validates the policies in files (only those: see Load
// for the defaults). It returns Errors, one per problem, each naming the
// file, line and column.
func New(files ...File) (*Engine, error) {
	list, errs := compile(files)
	if len(errs) > 0 {
		return nil, errs
	}
	e := &Engine{list: list, cache: newCache()}
	for _, c := range list {
		e.need |= references(c.p.AST())
	}
	return e, nil
}

// Default returns an engine with ward's default policies only.
func Default() *Engine {
	e, err := New(Defaults())
	if err != nil {
		panic("policy: default policies do not validate: " + err.Error()) // a test guards this
	}
	return e
}

// IDs returns the @id of every loaded policy in load order.
func (e *Engine) IDs() []string {
	ids := make([]string, len(e.list))
	for i, c := range e.list {
		ids[i] = c.id
	}
	return ids
}

// Decide answers req. It never fails: without a principal, or when a forbid
// cannot be evaluated, it denies. The Reasons and Policies slices of the
// result are shared between calls and must not be modified.
func (e *Engine) Decide(req *ward.AccessRequest) ward.AccessDecision {
	if req == nil || req.Principal == nil {
		return ward.AccessDecision{Reasons: noCallerReasons}
	}
	if e.cache == nil {
		return e.evaluate(req)
	}
	var buf [256]byte
	key := appendKey(buf[:0], e.need, req)
	slot := &e.cache.slots[maphash.Bytes(e.cache.seed, key)&(cacheSlots-1)]
	if ent := slot.Load(); ent != nil && ent.key == string(key) {
		return ent.d
	}
	d := e.evaluate(req)
	slot.Store(&cacheEntry{key: string(key), d: d})
	return d
}

var (
	noCallerReasons = []string{ReasonNoCaller}
	permitReasons   = []string{ReasonPermit}
	noPermitReasons = []string{ReasonNoPermit}
)

// evaluate runs every policy on req.
func (e *Engine) evaluate(req *ward.AccessRequest) ward.AccessDecision {
	ents, creq := buildRequest(e.need, req)
	_, diag := cedar.Authorize(e.list, ents, creq)
	byID := func(id cedar.PolicyID) *compiled {
		for _, c := range e.list {
			if c.cedarID == id {
				return c
			}
		}
		return nil
	}
	var d ward.AccessDecision
	var permits []string
	for _, r := range diag.Reasons {
		c := byID(r.PolicyID)
		if c.forbid {
			d.Reasons = append(d.Reasons, c.reason)
			d.Policies = append(d.Policies, c.id)
		} else {
			permits = append(permits, c.id)
		}
	}
	// A permit that fails to evaluate only fails to grant; a forbid that
	// fails might have denied, so it denies.
	for _, er := range diag.Errors {
		if c := byID(er.PolicyID); c.forbid {
			d.Reasons = append(d.Reasons, c.errorMsg)
			d.Policies = append(d.Policies, c.id)
		}
	}
	switch {
	case len(d.Reasons) > 0:
	case len(permits) > 0:
		d = ward.AccessDecision{Permit: true, Reasons: permitReasons, Policies: permits}
	default:
		d.Reasons = noPermitReasons
	}
	return d
}

// cacheSlots is the size of the direct-mapped decision cache: a power of
// two. A colliding key replaces the entry, so memory stays bounded.
const cacheSlots = 1 << 12

type cache struct {
	seed  maphash.Seed
	slots [cacheSlots]atomic.Pointer[cacheEntry]
}

type cacheEntry struct {
	key string
	d   ward.AccessDecision
}

func newCache() *cache { return &cache{seed: maphash.MakeSeed()} }
