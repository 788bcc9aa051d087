package gateway

import (
	"strings"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/fhir"
	"github.com/wardhq/ward/routing"
)

// choiceTypes are the FHIR R4 data types a choice element "x[x]" may take;
// "value[x]" in a profile releases valueQuantity, valueString and so on.
var choiceTypes = []string{
	"Base64Binary", "Boolean", "Canonical", "Code", "Date", "DateTime", "Decimal", "Id", "Instant",
	"Integer", "Markdown", "Oid", "PositiveInt", "String", "Time", "UnsignedInt", "Uri", "Url", "Uuid",
	"Address", "Age", "Annotation", "Attachment", "CodeableConcept", "Coding", "ContactPoint", "Count",
	"Distance", "Duration", "HumanName", "Identifier", "Money", "Period", "Quantity", "Range", "Ratio",
	"Reference", "SampledData", "Signature", "Timing", "ContactDetail", "Contributor", "DataRequirement",
	"Expression", "ParameterDefinition", "RelatedArtifact", "TriggerDefinition", "UsageContext", "Dosage", "Meta",
}

// profileRules is a task profile compiled for the request path: the
// parser with its allow-lists and the response filter's field rules.
type profileRules struct {
	profile *routing.Profile
	parser  *fhir.Parser
	allowed map[string]*fhir.TypeRule
}

func compileProfiles(ps *routing.Profiles) map[ward.Function]*profileRules {
	out := map[ward.Function]*profileRules{}
	for _, p := range ps.Profiles {
		out[p.TaskType] = compileProfile(p)
	}
	return out
}

func compileProfile(p *routing.Profile) *profileRules {
	pr := &profileRules{
		profile: p,
		parser:  &fhir.Parser{Includes: map[string]bool{}, RevIncludes: map[string]bool{}, Operations: map[string]bool{}},
		allowed: map[string]*fhir.TypeRule{},
	}
	for _, inc := range p.Include {
		pr.parser.Includes[inc] = true
	}
	if p.Everything {
		pr.parser.Operations["$everything"] = true
	}
	for _, r := range p.Resources {
		rule := &fhir.TypeRule{Fields: map[string]bool{}}
		for _, f := range r.Fields {
			switch {
			case strings.HasSuffix(f, "[x]"):
				base := strings.TrimSuffix(f, "[x]")
				for _, t := range choiceTypes {
					rule.Fields[base+t] = true
				}
			case strings.Contains(f, "."):
				// fhir.Filter keeps or drops top-level elements only:
				// releasing the parent would release its other children,
				// so a nested path releases nothing (fail closed).
			default:
				rule.Fields[f] = true
			}
		}
		pr.allowed[r.Type] = rule
	}
	return pr
}

// allows reports whether the profile lets req through: its includes and
// operation (the parser used may have been another profile's), its
// resource type and interaction. It returns the reason when not.
func (pr *profileRules) allows(req *fhir.Request, interaction string) string {
	for _, p := range req.Params {
		switch p.Name {
		case "_include":
			if !pr.parser.Includes[p.Value] {
				return fhir.ReasonIncludeRefused
			}
		case "_revinclude":
			if !pr.parser.RevIncludes[p.Value] {
				return fhir.ReasonRevIncludeRefused
			}
		}
	}
	if req.Operation != "" {
		if !pr.parser.Operations[req.Operation] {
			return fhir.ReasonOperationRefused
		}
		return ""
	}
	r, ok := pr.profile.Resource(req.ResourceType)
	if !ok {
		return ReasonResourceNotInGrant
	}
	for _, in := range r.Interactions {
		if in == interaction {
			return ""
		}
	}
	return ReasonInteractionNotInGrant
}
