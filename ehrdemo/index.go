package ehrdemo

import (
	"sort"
	"strconv"
	"strings"
)

// paramType is a FHIR search parameter type.
type paramType uint8

const (
	typeToken paramType = iota + 1
	typeDate
	typeString
	typeReference
)

func (t paramType) String() string {
	switch t {
	case typeToken:
		return "token"
	case typeDate:
		return "date"
	case typeString:
		return "string"
	case typeReference:
		return "reference"
	}
	return "unknown"
}

// param is one search parameter of a resource type.
type param struct {
	name    string
	typ     paramType
	targets []string // reference: allowed target types
	doc     string
}

// resourceDef describes one served resource type: its search parameters and
// how to extract their values from a resource.
type resourceDef struct {
	name   string
	params []param
	byName map[string]int
	index  func(f *fields, e *emitter)
}

// ival is one indexed search value of a resource.
//
//	token:     system, value = code
//	string:    system = lower-cased value, value = original
//	reference: system = target type, value = target id
//	date:      [lo, hi)
type ival struct {
	p      uint8
	system string
	value  string
	lo, hi int64
}

// Implicit code systems of plain code elements, so that "system|code" works on them.
const (
	csGender       = "http://hl7.org/fhir/administrative-gender"
	csEventStatus  = "http://hl7.org/fhir/event-status"
	csObsStatus    = "http://hl7.org/fhir/observation-status"
	csDiagStatus   = "http://hl7.org/fhir/diagnostic-report-status"
	csEncStatus    = "http://hl7.org/fhir/encounter-status"
	csMedReqStatus = "http://hl7.org/fhir/CodeSystem/medicationrequest-status"
	csMedReqIntent = "http://hl7.org/fhir/CodeSystem/medicationrequest-intent"
	csDocStatus    = "http://hl7.org/fhir/document-reference-status"
	csFMStatus     = "http://hl7.org/fhir/fm-status"
	csEOBStatus    = "http://hl7.org/fhir/explanationofbenefit-status"
	csClaimUse     = "http://hl7.org/fhir/claim-use"
	csReqStatus    = "http://hl7.org/fhir/request-status"
	csReqIntent    = "http://hl7.org/fhir/request-intent"
	csGoalStatus   = "http://hl7.org/fhir/goal-status"
	csAllergyCat   = "http://hl7.org/fhir/allergy-intolerance-category"
	csImmStatus    = "http://hl7.org/fhir/event-status"
)

// commonParams apply to every type; they are indexed by the loader, not by index funcs.
var commonParams = []param{
	{name: "_id", typ: typeToken, doc: "Logical id of the resource"},
	{name: "_lastUpdated", typ: typeDate, doc: "meta.lastUpdated"},
	{name: "_tag", typ: typeToken, doc: "meta.tag"},
	{name: "_security", typ: typeToken, doc: "meta.security (confidentiality and sensitivity labels)"},
}

func ref(name string, targets ...string) param {
	return param{name: name, typ: typeReference, targets: targets}
}
func tok(name, doc string) param { return param{name: name, typ: typeToken, doc: doc} }
func dat(name, doc string) param { return param{name: name, typ: typeDate, doc: doc} }
func str(name, doc string) param { return param{name: name, typ: typeString, doc: doc} }

// defs maps each served resource type to its definition. Index funcs name
// parameters; their positions depend on the common parameters before them.
var defs = map[string]*resourceDef{}

// typeNames lists the served types in a stable order.
var typeNames []string

func define(name string, params []param, index func(f *fields, e *emitter)) {
	d := &resourceDef{name: name, params: append(append([]param(nil), commonParams...), params...), index: index, byName: map[string]int{}}
	for i, p := range d.params {
		if p.doc == "" && p.typ == typeReference {
			d.params[i].doc = "Reference to " + strings.Join(p.targets, " or ") + " (Type/id or id)"
		}
		d.byName[p.name] = i
	}
	defs[name] = d
	typeNames = append(typeNames, name)
	sort.Strings(typeNames)
}

func init() {
	subjectPatient := []param{ref("patient", "Patient"), ref("subject", "Patient")}
	define("Patient", []param{
		tok("identifier", "Patient identifier (system|value)"),
		str("name", "Any part of a name (family, given, prefix, suffix, text)"),
		str("family", "Family name"),
		str("given", "Given name"),
		tok("gender", "Administrative gender"),
		dat("birthdate", "Date of birth"),
		dat("death-date", "Date of death"),
		tok("deceased", "true if the patient has died"),
		str("address", "Any part of an address"),
		str("address-city", "City"),
		str("address-state", "State"),
		str("address-postalcode", "Postal code"),
	}, func(f *fields, e *emitter) {
		e.identifiers("identifier", f.Identifier)
		e.humanNames(f.names())
		e.token("gender", csGender, f.Gender)
		e.date("birthdate", f.BirthDate)
		e.date("death-date", f.DeceasedDateTime)
		deceased := f.DeceasedDateTime != "" || (f.DeceasedBoolean != nil && *f.DeceasedBoolean)
		e.token("deceased", "", strconv.FormatBool(deceased))
		e.addresses(f.Address)
	})
	define("Practitioner", []param{
		tok("identifier", "Practitioner identifier (system|value)"),
		str("name", "Any part of a name"),
		str("family", "Family name"),
		str("given", "Given name"),
		tok("gender", "Administrative gender"),
	}, func(f *fields, e *emitter) {
		e.identifiers("identifier", f.Identifier)
		e.humanNames(f.names())
		e.token("gender", csGender, f.Gender)
	})
	define("Organization", []param{
		tok("identifier", "Organization identifier (system|value)"),
		str("name", "Organization name"),
		tok("type", "Organization type"),
		str("address", "Any part of an address"),
		str("address-city", "City"),
		str("address-state", "State"),
	}, func(f *fields, e *emitter) {
		e.identifiers("identifier", f.Identifier)
		e.str("name", f.nameString())
		e.concepts("type", concepts(f.Type)...)
		e.addresses(f.Address)
	})
	define("Encounter", append(subjectPatient,
		dat("date", "Encounter period"),
		tok("status", "Encounter status"),
		tok("class", "Encounter class (v3-ActCode AMB, EMER, IMP...)"),
		tok("type", "Encounter type"),
		tok("reason-code", "Reason for the encounter"),
		ref("service-provider", "Organization"),
		ref("participant", "Practitioner"),
		ref("practitioner", "Practitioner"),
	), func(f *fields, e *emitter) {
		e.subject(f.Subject)
		e.period("date", f.Period)
		e.token("status", csEncStatus, f.Status)
		if f.Class != nil {
			e.token("class", f.Class.System, f.Class.Code)
		}
		e.concepts("type", concepts(f.Type)...)
		e.concepts("reason-code", f.ReasonCode...)
		e.ref("service-provider", f.ServiceProvider)
		for _, p := range f.Participant {
			e.ref("participant", p.Individual)
			e.ref("practitioner", p.Individual)
		}
	})
	define("Condition", append(subjectPatient,
		tok("code", "Condition code (SNOMED CT; ICD-10-CM where ward added it)"),
		tok("clinical-status", "active, resolved, ..."),
		tok("verification-status", "confirmed, ..."),
		tok("category", "problem-list-item, encounter-diagnosis"),
		ref("encounter", "Encounter"),
		dat("onset-date", "Onset"),
		dat("recorded-date", "Date recorded"),
		dat("abatement-date", "Abatement"),
	), func(f *fields, e *emitter) {
		e.subject(f.Subject)
		e.concepts("code", ptrConcepts(f.Code)...)
		e.concepts("clinical-status", ptrConcepts(f.ClinicalStatus)...)
		e.concepts("verification-status", ptrConcepts(f.VerificationStatus)...)
		e.concepts("category", concepts(f.Category)...)
		e.ref("encounter", f.Encounter)
		e.date("onset-date", f.OnsetDateTime)
		e.date("recorded-date", f.RecordedDate)
		e.date("abatement-date", f.AbatementDateTime)
	})
	define("Observation", append(subjectPatient,
		tok("code", "Observation code (LOINC)"),
		tok("category", "vital-signs, laboratory, survey, ..."),
		dat("date", "Effective time"),
		ref("encounter", "Encounter"),
		tok("status", "Observation status"),
		tok("value-concept", "Coded value"),
		str("value-string", "String value"),
	), func(f *fields, e *emitter) {
		e.subject(f.Subject)
		e.concepts("code", ptrConcepts(f.Code)...)
		e.concepts("category", concepts(f.Category)...)
		e.date("date", f.EffectiveDateTime)
		e.period("date", f.EffectivePeriod)
		e.ref("encounter", f.Encounter)
		e.token("status", csObsStatus, f.Status)
		e.concepts("value-concept", ptrConcepts(f.ValueCodeableConcept)...)
		e.str("value-string", f.ValueString)
	})
	define("Procedure", append(subjectPatient,
		tok("code", "Procedure code (SNOMED CT)"),
		dat("date", "When performed"),
		ref("encounter", "Encounter"),
		tok("status", "Procedure status"),
	), func(f *fields, e *emitter) {
		e.subject(f.Subject)
		e.concepts("code", ptrConcepts(f.Code)...)
		e.date("date", f.PerformedDateTime)
		e.period("date", f.PerformedPeriod)
		e.ref("encounter", f.Encounter)
		e.token("status", csEventStatus, f.Status)
	})
	define("MedicationRequest", append(subjectPatient,
		tok("status", "MedicationRequest status"),
		tok("intent", "order, plan, ..."),
		ref("encounter", "Encounter"),
		dat("authoredon", "When the request was written"),
		tok("code", "Medication code (RxNorm)"),
		ref("requester", "Practitioner"),
	), func(f *fields, e *emitter) {
		e.subject(f.Subject)
		e.token("status", csMedReqStatus, f.Status)
		e.token("intent", csMedReqIntent, f.Intent)
		e.ref("encounter", f.Encounter)
		e.date("authoredon", f.AuthoredOn)
		e.concepts("code", ptrConcepts(f.MedicationCodeableConcept)...)
		e.ref("requester", f.Requester)
	})
	define("DiagnosticReport", append(subjectPatient,
		tok("code", "Report code (LOINC)"),
		tok("category", "Service category"),
		dat("date", "Effective time"),
		dat("issued", "When issued"),
		ref("encounter", "Encounter"),
		tok("status", "Report status"),
		ref("result", "Observation"),
	), func(f *fields, e *emitter) {
		e.subject(f.Subject)
		e.concepts("code", ptrConcepts(f.Code)...)
		e.concepts("category", concepts(f.Category)...)
		e.date("date", f.EffectiveDateTime)
		e.period("date", f.EffectivePeriod)
		e.date("issued", f.Issued)
		e.ref("encounter", f.Encounter)
		e.token("status", csDiagStatus, f.Status)
		for i := range f.Result {
			e.ref("result", &f.Result[i])
		}
	})
	define("DocumentReference", append(subjectPatient,
		tok("type", "Document type (LOINC)"),
		tok("category", "Document category"),
		dat("date", "When the document was created"),
		dat("period", "Period of care documented"),
		ref("encounter", "Encounter"),
		tok("status", "current, superseded, entered-in-error"),
		ref("author", "Practitioner"),
	), func(f *fields, e *emitter) {
		e.subject(f.Subject)
		e.concepts("type", concepts(f.Type)...)
		e.concepts("category", concepts(f.Category)...)
		e.date("date", f.Date)
		e.token("status", csDocStatus, f.Status)
		if f.Context != nil {
			for i := range f.Context.Encounter {
				e.ref("encounter", &f.Context.Encounter[i])
			}
			e.period("period", f.Context.Period)
		}
		for i := range f.Author {
			e.ref("author", &f.Author[i])
		}
	})
	claimParams := []param{
		ref("patient", "Patient"),
		dat("created", "Creation date"),
		tok("status", "active, cancelled, draft, entered-in-error"),
		tok("use", "claim, preauthorization, predetermination"),
		ref("encounter", "Encounter"),
		ref("provider", "Organization", "Practitioner"),
	}
	claimIndex := func(status string) func(f *fields, e *emitter) {
		return func(f *fields, e *emitter) {
			e.ref("patient", f.Patient)
			e.date("created", f.Created)
			e.token("status", status, f.Status)
			e.token("use", csClaimUse, f.Use)
			for _, it := range f.Item {
				for i := range it.Encounter {
					e.ref("encounter", &it.Encounter[i])
				}
			}
			e.ref("provider", f.Provider)
			e.ref("claim", f.Claim)
			e.identifiers("identifier", f.Identifier)
		}
	}
	define("Claim", claimParams, claimIndex(csFMStatus))
	define("ExplanationOfBenefit", append(claimParams[:len(claimParams):len(claimParams)],
		ref("claim", "Claim"),
		tok("identifier", "EOB identifier (system|value)"),
	), claimIndex(csEOBStatus))
	define("Immunization", []param{
		ref("patient", "Patient"),
		dat("date", "Administration date"),
		tok("status", "Immunization status"),
		tok("vaccine-code", "Vaccine code (CVX)"),
	}, func(f *fields, e *emitter) {
		e.ref("patient", f.Patient)
		e.date("date", f.OccurrenceDateTime)
		e.token("status", csImmStatus, f.Status)
		e.concepts("vaccine-code", ptrConcepts(f.VaccineCode)...)
	})
	define("AllergyIntolerance", []param{
		ref("patient", "Patient"),
		tok("clinical-status", "active, inactive, resolved"),
		tok("code", "Substance code"),
		tok("category", "food, medication, environment, biologic"),
		dat("date", "Date recorded"),
	}, func(f *fields, e *emitter) {
		e.ref("patient", f.Patient)
		e.concepts("clinical-status", ptrConcepts(f.ClinicalStatus)...)
		e.concepts("code", ptrConcepts(f.Code)...)
		for _, c := range concepts(f.Category) {
			for _, cd := range c.Coding {
				e.token("category", csAllergyCat, cd.Code)
			}
		}
		e.date("date", f.RecordedDate)
	})
	define("CarePlan", append(subjectPatient,
		tok("status", "CarePlan status"),
		tok("intent", "CarePlan intent"),
		tok("category", "CarePlan category"),
		dat("date", "CarePlan period"),
		ref("encounter", "Encounter"),
	), func(f *fields, e *emitter) {
		e.subject(f.Subject)
		e.token("status", csReqStatus, f.Status)
		e.token("intent", csReqIntent, f.Intent)
		e.concepts("category", concepts(f.Category)...)
		e.period("date", f.Period)
		e.ref("encounter", f.Encounter)
	})
	define("Goal", append(subjectPatient,
		tok("lifecycle-status", "Goal lifecycle status"),
	), func(f *fields, e *emitter) {
		e.subject(f.Subject)
		e.token("lifecycle-status", csGoalStatus, f.LifecycleStatus)
	})
}

func ptrConcepts(c *codeableConcept) []codeableConcept {
	if c == nil {
		return nil
	}
	return []codeableConcept{*c}
}

// emitter collects the index values of one resource.
type emitter struct {
	def    *resourceDef
	vals   []ival
	intern func(string) string
}

func (e *emitter) add(name string, v ival) {
	i, ok := e.def.byName[name]
	if !ok {
		return // parameter not defined for this type (e.g. "claim" on Claim)
	}
	v.p = uint8(i)
	v.system = e.intern(v.system)
	e.vals = append(e.vals, v)
}

func (e *emitter) token(name, system, code string) {
	if code != "" {
		e.add(name, ival{system: system, value: code})
	}
}

func (e *emitter) concepts(name string, cs ...codeableConcept) {
	for _, c := range cs {
		for _, cd := range c.Coding {
			e.token(name, cd.System, cd.Code)
		}
	}
}

func (e *emitter) identifiers(name string, ids []identifier) {
	for _, id := range ids {
		e.token(name, id.System, id.Value)
	}
}

func (e *emitter) str(name, s string) {
	if s != "" {
		e.add(name, ival{system: strings.ToLower(s), value: s})
	}
}

func (e *emitter) humanNames(names []humanName) {
	for _, n := range names {
		e.str("family", n.Family)
		e.str("name", n.Family)
		for _, g := range n.Given {
			e.str("given", g)
			e.str("name", g)
		}
		for _, s := range append(append([]string(nil), n.Prefix...), n.Suffix...) {
			e.str("name", s)
		}
		e.str("name", n.Text)
	}
}

func (e *emitter) addresses(as []address) {
	for _, a := range as {
		for _, l := range a.Line {
			e.str("address", l)
		}
		for _, s := range []string{a.City, a.State, a.PostalCode, a.Country} {
			e.str("address", s)
		}
		e.str("address-city", a.City)
		e.str("address-state", a.State)
		e.str("address-postalcode", a.PostalCode)
	}
}

func (e *emitter) date(name, s string) {
	if s == "" {
		return
	}
	if lo, hi, ok := parseDateRange(s); ok {
		e.add(name, ival{lo: lo, hi: hi})
	}
}

func (e *emitter) period(name string, p *period) {
	if lo, hi, ok := periodRange(p); ok {
		e.add(name, ival{lo: lo, hi: hi})
	}
}

// ref indexes a relative reference "Type/id". Others (absolute, contained) are skipped.
func (e *emitter) ref(name string, r *reference) {
	if r == nil {
		return
	}
	typ, id, ok := splitRef(r.Reference)
	if !ok {
		return
	}
	if i, ok := e.def.byName[name]; ok {
		p := e.def.params[i]
		if len(p.targets) > 0 && !contains(p.targets, typ) {
			return
		}
	}
	e.add(name, ival{system: typ, value: id})
}

// subject indexes subject as both "subject" and, when it is a Patient, "patient".
func (e *emitter) subject(r *reference) {
	e.ref("subject", r)
	e.ref("patient", r)
}

// splitRef splits a relative reference "Type/id".
func splitRef(s string) (typ, id string, ok bool) {
	typ, id, ok = strings.Cut(s, "/")
	if !ok || typ == "" || id == "" || strings.Contains(id, "/") || strings.Contains(typ, ":") {
		return "", "", false
	}
	return typ, id, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
