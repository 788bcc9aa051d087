package fhir

import (
	_ "embed"
	"strings"
	"sync"
)

//go:generate go run ./internal/gen/gensearch -data ../../shared/data/fhir-r4 -out searchparams.tsv

// searchTable is generated from HL7's FHIR R4 definitions (the Patient
// CompartmentDefinition and the search-parameters Bundle); see
// internal/gen for its format.
//
//go:embed searchparams.tsv
var searchTable string

// SearchTable returns the embedded table, for tests that compare it with
// the definitions it was generated from.
func SearchTable() string { return searchTable }

type param struct {
	kind        string // FHIR search parameter type: reference, token, ...
	compartment bool   // named by the Patient CompartmentDefinition
	patientOnly bool   // targets Patient only
	paths       []string
}

type typeInfo struct {
	params map[string]*param
	// compPaths are the element paths (split on ".") whose references
	// make a resource of this type a member of a Patient compartment.
	compPaths  [][]string
	compParams []string
}

var (
	tableOnce sync.Once
	types     map[string]*typeInfo
	typeNames map[string]string
	common    map[string]*param // Resource and DomainResource parameters
)

func loadTable() {
	types = map[string]*typeInfo{}
	typeNames = map[string]string{}
	common = map[string]*param{}
	for _, line := range strings.Split(searchTable, "\n") {
		f := strings.Split(line, "\t")
		switch {
		case len(f) == 2 && f[0] == "T":
			types[f[1]] = &typeInfo{params: map[string]*param{}}
			typeNames[f[1]] = f[1]
		case len(f) == 6 && f[0] == "P":
			p := &param{kind: f[3], compartment: strings.Contains(f[4], "c"), patientOnly: strings.Contains(f[4], "p")}
			if f[5] != "-" {
				p.paths = strings.Split(f[5], ",")
			}
			if f[1] == "Resource" || f[1] == "DomainResource" {
				common[f[2]] = p
				continue
			}
			ti := types[f[1]]
			if ti == nil {
				continue
			}
			ti.params[f[2]] = p
			// Patient.link is a compartment parameter in the definition
			// but a linked record is another person's record: membership of
			// a Patient is by its id alone.
			if p.compartment && f[1] != "Patient" {
				ti.compParams = append(ti.compParams, f[2])
				for _, path := range p.paths {
					segs := strings.Split(path, ".")
					if !hasPath(ti.compPaths, segs) {
						ti.compPaths = append(ti.compPaths, segs)
					}
				}
			}
		}
	}
}

func hasPath(paths [][]string, p []string) bool {
	for _, q := range paths {
		if strings.Join(q, ".") == strings.Join(p, ".") {
			return true
		}
	}
	return false
}

func typeOf(name string) *typeInfo {
	tableOnce.Do(loadTable)
	return types[name]
}

// lookupParam returns the search parameter code of resourceType, or nil.
func lookupParam(resourceType, code string) *param {
	if ti := typeOf(resourceType); ti != nil {
		if p := ti.params[code]; p != nil {
			return p
		}
	}
	return common[code]
}

// IsResourceType reports whether name is an FHIR R4 resource type, exactly
// as spelled (type names are case-sensitive).
func IsResourceType(name string) bool { return typeOf(name) != nil }

// CompartmentParams returns the search parameters that place a resource of
// resourceType in a Patient compartment, per the FHIR R4 Patient
// CompartmentDefinition, or nil when the type has none. For Patient it
// returns nil: a Patient is in its own compartment by id, and Patient.link
// is not membership.
func CompartmentParams(resourceType string) []string {
	ti := typeOf(resourceType)
	if ti == nil {
		return nil
	}
	return append([]string(nil), ti.compParams...)
}

// CompartmentPaths returns the element paths (such as "subject" or
// "participant.actor") whose references place a resource of resourceType
// in a Patient compartment.
func CompartmentPaths(resourceType string) []string {
	ti := typeOf(resourceType)
	if ti == nil {
		return nil
	}
	var out []string
	for _, p := range ti.compPaths {
		out = append(out, strings.Join(p, "."))
	}
	return out
}

// InPatientCompartment reports whether resource, the JSON of one resource
// of resourceType, is in the compartment of Patient/patientID: for a
// Patient its id is patientID; for any other type one of its compartment
// references is "Patient/<patientID>" (optionally with a _history suffix,
// or prefixed by one of bases). It returns false for malformed JSON, a
// resourceType that does not match, and types outside every Patient
// compartment. Contained resources are not considered.
func InPatientCompartment(resourceType string, resource []byte, patientID string, bases ...string) bool {
	if patientID == "" {
		return false
	}
	p := &Policy{PatientID: patientID, UpstreamBase: "", maxDepth: defaultMaxDepth}
	s := &scanner{src: resource, p: p, bases: bases}
	i := s.ws(0)
	info, end, err := s.inspect(i, 0, false)
	if err != nil || s.ws(end) != len(resource) {
		return false
	}
	return info.typ == resourceType && info.inCompartment
}

// isPatientRef reports whether ref names Patient/id, relative or under one
// of bases, optionally version-specific.
func isPatientRef(ref, id string, bases []string) bool {
	if strings.Contains(ref, "://") {
		ok := false
		for _, b := range bases {
			b = strings.TrimSuffix(b, "/")
			if b != "" && strings.HasPrefix(ref, b+"/") {
				ref, ok = ref[len(b)+1:], true
				break
			}
		}
		if !ok {
			return false
		}
	}
	rest, found := strings.CutPrefix(ref, "Patient/")
	if !found {
		return false
	}
	if got, hist, ok := strings.Cut(rest, "/_history/"); ok {
		return got == id && validID(hist)
	}
	return rest == id
}

// validID reports whether s is a FHIR id: [A-Za-z0-9\-\.]{1,64}, and not
// a dot segment.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
