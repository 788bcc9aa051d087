package coding

import (
	"fmt"
	"strings"
	"sync"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/coding/codeset"
	"github.com/wardhq/ward/coding/evidence"
)

// Options tune one check.
type Options struct {
	// Setting selects the NCCI tables: practitioner (the zero value) or
	// hospital.
	Setting codeset.Setting
	// Rules, when not empty, runs only these rules.
	Rules []Rule
}

func (o *Options) wants(r Rule) bool {
	if len(o.Rules) == 0 {
		return true
	}
	for _, x := range o.Rules {
		if x == r {
			return true
		}
	}
	return false
}

// Validator checks submissions against one code-set release. It is safe
// for concurrent use; it caches the terms and specificity candidates of the
// codes it has seen.
type Validator struct {
	rel      *codeset.Release
	lex      *evidence.Lexicon
	mu       sync.RWMutex
	terms    map[termKey]*evidence.Term
	spec     map[termKey][]specCandidate
	words    map[string]*evidence.Term
	concepts []compiledConcept
	phrases  phraseCache
}

type termKey struct {
	year int
	key  string
}

type compiledConcept struct {
	concept
	covers []codeset.Range
	term   *evidence.Term
	unless *evidence.Term
}

// New returns a Validator over release r.
func New(r *codeset.Release) *Validator {
	v := &Validator{rel: r, lex: evidence.Default(), terms: map[termKey]*evidence.Term{},
		spec: map[termKey][]specCandidate{}, words: map[string]*evidence.Term{}}
	for i, c := range concepts {
		if c.suggest != "" {
			cc := compiledConcept{concept: c, covers: conceptRanges[i].covers, term: evidence.NewTerm(c.phrases...)}
			if u := conceptUnless[c.name]; len(u) > 0 {
				cc.unless = evidence.NewTerm(u...)
			}
			v.concepts = append(v.concepts, cc)
		}
	}
	return v
}

var (
	defaultOnce sync.Once
	defaultVal  *Validator
	defaultErr  error
)

// Default returns a Validator over the embedded default release.
func Default() (*Validator, error) {
	defaultOnce.Do(func() {
		r, err := codeset.Default()
		if err != nil {
			defaultErr = err
			return
		}
		defaultVal = New(r)
	})
	return defaultVal, defaultErr
}

// Check checks sub and its note with the Validator over the embedded
// default release. It panics only if the embedded release is corrupt, which
// is a build fault.
func Check(sub *ward.Submission, note string, opts Options) []Finding {
	v, err := Default()
	if err != nil {
		panic(err)
	}
	return v.Check(sub, note, opts)
}

// Release returns the release v checks against.
func (v *Validator) Release() *codeset.Release { return v.rel }

// dx is a submitted diagnosis as the checks see it.
type dx struct {
	i    int           // index in the submission
	code string        // as submitted, trimmed
	key  string        // key form if well formed
	c    *codeset.Code // nil unless the code is in the release in effect
}

// px is a submitted procedure.
type px struct {
	i    int
	code string
	kind codeset.ProcedureKind
	ok   bool // well formed and, for HCPCS, known
	mods []string
}

// Check runs every rule (or opts.Rules) on sub and note and returns the
// findings; none means the submission passes. Check reads sub and never
// changes it. It assumes sub passed ward.Submission.Validate for shape, but
// tolerates any input. An empty note skips the note-based rules
// (specificity, documentation, missed diagnoses).
func (v *Validator) Check(sub *ward.Submission, note string, opts Options) []Finding {
	if sub == nil {
		return nil
	}
	c := checker{v: v, sub: sub, opts: &opts}
	c.ver, c.covered = v.rel.ICD10CMFor(sub.DateOfService)
	c.resolve()
	if opts.wants(RuleValidity) {
		c.validity()
	}
	if opts.wants(RulePTP) {
		c.ptp()
	}
	if opts.wants(RuleMUE) {
		c.mue()
	}
	if opts.wants(RuleAge) || opts.wants(RuleSex) {
		c.ageSex()
	}
	if opts.wants(RuleExcludes1) {
		c.excludes1()
	}
	if strings.TrimSpace(note) != "" && (opts.wants(RuleSpecificity) || opts.wants(RuleDocumentation) || opts.wants(RuleMissed)) {
		c.doc = v.lex.Parse(note)
		c.noteRules()
		c.doc.Release()
	}
	return c.out
}

type checker struct {
	v       *Validator
	sub     *ward.Submission
	opts    *Options
	ver     *codeset.ICD10CM
	covered bool
	dxs     []dx
	pxs     []px
	doc     *evidence.Document
	out     []Finding
}

func (c *checker) add(f Finding) {
	f.Source = SourceRules
	c.out = append(c.out, f)
}

func dxField(i int) string { return fmt.Sprintf("diagnoses[%d].code", i) }
func pxField(i int) string { return fmt.Sprintf("procedures[%d].code", i) }

func (c *checker) resolve() {
	c.dxs = make([]dx, len(c.sub.Diagnoses))
	for i, d := range c.sub.Diagnoses {
		x := dx{i: i, code: strings.TrimSpace(d.Code)}
		if k, ok := codeset.ICD10CMKey(x.code); ok {
			x.key = k
			x.code = codeset.ICD10CMDotted(k)
			if c.ver != nil {
				if code, ok := c.ver.LookupKey(k); ok {
					x.c = code
				}
			}
		}
		c.dxs[i] = x
	}
	c.pxs = make([]px, len(c.sub.Procedures))
	for i, p := range c.sub.Procedures {
		code, kind := codeset.ProcedureCode(p.Code)
		x := px{i: i, code: code, kind: kind, ok: kind != codeset.ProcedureMalformed}
		if kind == codeset.ProcedureHCPCS {
			if _, known := c.v.rel.HCPCS.Lookup(code); !known {
				x.ok = false
			}
		}
		for _, m := range p.Modifiers {
			x.mods = append(x.mods, strings.ToUpper(strings.TrimSpace(m)))
		}
		c.pxs[i] = x
	}
}

// title returns "E11.9 (Type 2 diabetes mellitus without complications)".
func title(c *codeset.Code) string { return c.Code + " (" + c.Title + ")" }
