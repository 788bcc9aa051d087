package coding

import "fmt"

// Rule names a check. Findings carry it; the corpus measures precision and
// recall per rule. Do not rename: stored findings and review decisions refer
// to these strings.
type Rule string

// Rules.
const (
	// RuleValidity: a code that is malformed, unknown, deleted or not yet
	// valid on the date of service, a header (non-billable) code, or listed
	// twice.
	RuleValidity Rule = "validity"
	// RulePTP: an NCCI procedure-to-procedure pair coded together without
	// an allowed bypass modifier.
	RulePTP Rule = "ncci_ptp"
	// RuleMUE: more units than the NCCI medically unlikely edit allows.
	RuleMUE Rule = "mue"
	// RuleAge: a code whose Medicare Code Editor age category excludes the
	// patient's age (newborn, pediatric, maternity, adult).
	RuleAge Rule = "age"
	// RuleSex: a code for the other sex.
	RuleSex Rule = "sex"
	// RuleExcludes1: two codes that an Excludes1 note forbids together.
	RuleExcludes1 Rule = "excludes1"
	// RuleSpecificity: an unspecified code (or the wrong laterality or
	// episode of care) where the note documents the specific one.
	RuleSpecificity Rule = "specificity"
	// RuleDocumentation: a diagnosis the note does not affirm.
	RuleDocumentation Rule = "documentation"
	// RuleMissed: a condition the note affirms that no code covers.
	RuleMissed Rule = "missed_diagnosis"
)

// Rules lists every rule in the order Check reports them.
var Rules = []Rule{RuleValidity, RulePTP, RuleMUE, RuleAge, RuleSex, RuleExcludes1, RuleSpecificity, RuleDocumentation, RuleMissed}

// Severity is how much a finding matters.
type Severity string

// Severities.
const (
	// SeverityError: the claim line would be denied or the code is not
	// supported; a person must review it.
	SeverityError Severity = "error"
	// SeverityWarning: likely wrong or incomplete; a person should look.
	SeverityWarning Severity = "warning"
)

// Source says what produced a finding.
type Source string

// Sources.
const (
	SourceRules Source = "rules" // ward's deterministic checks
	SourceLLM   Source = "llm"   // the optional second reviewer (package coding/llm)
)

// Span is a byte range [start, end) of the note.
type Span [2]int

// Evidence is what a finding rests on.
type Evidence struct {
	// Codes involved, in display form ("E11.9", "99213").
	Codes []string `json:"codes,omitempty"`
	// Fields of the submission at fault: "diagnoses[1].code",
	// "procedures[0].units".
	Fields []string `json:"fields,omitempty"`
	// Span of the note that the finding rests on, if any.
	Span *Span `json:"span,omitempty"`
	// Excerpt is the sentence around Span.
	Excerpt string `json:"excerpt,omitempty"`
	// Status is what the note says about the concept, for note-based
	// findings: affirmed, negated, hypothetical, historical, family, absent.
	Status string `json:"status,omitempty"`
	// Suggest lists codes that would fix the finding.
	Suggest []string `json:"suggest,omitempty"`
}

// Finding is one discrepancy between a submission, the code sets and the
// note.
type Finding struct {
	Rule     Rule     `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Evidence Evidence `json:"evidence"`
	Source   Source   `json:"source"`
}

// String formats f on one line for logs and tests.
func (f Finding) String() string {
	return fmt.Sprintf("%s %s %v: %s", f.Rule, f.Severity, f.Evidence.Codes, f.Message)
}
