package routing

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/wardhq/ward"
	"go.yaml.in/yaml/v3"
)

//go:embed profiles.yaml
var defaultProfilesYAML []byte

// Profiles are the task-type profiles: the minimum necessary that each
// task type may see. They are read from a versioned YAML file (the default
// is routing/profiles.yaml); an organization may replace it.
type Profiles struct {
	Version  string     `json:"version"`
	Profiles []*Profile `json:"profiles"` // in the order of ward.Functions
}

// Profile is what one task type may use.
type Profile struct {
	TaskType    ward.Function `json:"task_type"`
	Description string        `json:"description,omitempty"`
	// Resources are the resource types the task type may use, sorted by
	// type.
	Resources []ResourceRule `json:"resources"`
	// Include lists the _include values a search may carry.
	Include []string `json:"include"`
	// Everything reports whether $everything is allowed.
	Everything bool `json:"everything"`
}

// ResourceRule is what a profile allows on one resource type.
type ResourceRule struct {
	Type         string   `json:"type"`
	Interactions []string `json:"interactions"`
	// Fields are the visible elements: top-level names, nested paths
	// "a.b", and choice elements "value[x]". resourceType is always kept.
	Fields []string `json:"fields"`
}

// DefaultProfiles returns ward's default profiles, a new copy each call.
func DefaultProfiles() *Profiles {
	p, err := ParseProfiles("profiles.yaml", defaultProfilesYAML)
	if err != nil {
		panic("routing: default profiles: " + err.Error()) // a test keeps it valid
	}
	return p
}

// For returns the profile of a task type.
func (ps *Profiles) For(taskType ward.Function) (*Profile, bool) {
	for _, p := range ps.Profiles {
		if p.TaskType == taskType {
			return p, true
		}
	}
	return nil, false
}

// Resource returns the rule for a resource type.
func (p *Profile) Resource(resourceType string) (*ResourceRule, bool) {
	i, ok := slices.BinarySearchFunc(p.Resources, resourceType, func(r ResourceRule, t string) int { return strings.Compare(r.Type, t) })
	if !ok {
		return nil, false
	}
	return &p.Resources[i], true
}

// Allows reports whether the profile allows interaction on resourceType.
func (p *Profile) Allows(resourceType, interaction string) bool {
	r, ok := p.Resource(resourceType)
	return ok && slices.Contains(r.Interactions, interaction)
}

// ResourceTypes returns the profile's resource types, sorted: a grant's
// scope.
func (p *Profile) ResourceTypes() []string {
	out := make([]string, len(p.Resources))
	for i, r := range p.Resources {
		out[i] = r.Type
	}
	return out
}

// Interactions returns every interaction the profile allows on some type,
// in the order read, vread, search, history: a grant's scope.
func (p *Profile) Interactions() []string {
	var out []string
	for _, in := range interactions {
		for _, r := range p.Resources {
			if slices.Contains(r.Interactions, in) {
				out = append(out, in)
				break
			}
		}
	}
	return out
}

var interactions = []string{ward.InteractionRead, ward.InteractionVRead, ward.InteractionSearch, ward.InteractionHistory}

var (
	fieldPattern   = regexp.MustCompile(`^[a-z][A-Za-z0-9]{0,63}(\[x\]|(\.[a-z][A-Za-z0-9]{0,63}){1,3})?$`)
	includePattern = regexp.MustCompile(`^([A-Z][A-Za-z]+):([a-z][a-z0-9-]{0,63})(?::([A-Z][A-Za-z]+))?$`)
)

// ParseProfiles reads a profiles file. file names it in errors, which are
// EINVALID and name the line and the field at fault.
func ParseProfiles(file string, data []byte) (*Profiles, error) {
	d := yamlDoc{file: file}
	root, err := d.parse(data)
	if err != nil {
		return nil, err
	}
	ps := &Profiles{}
	sawProfiles := false
	err = d.mapping(root, "", func(key string, k, v *yaml.Node) error {
		switch key {
		case "version":
			s, err := d.str(v, "version")
			if err != nil {
				return err
			}
			if !versionPattern.MatchString(s) {
				return d.errf(v, "version", "%q is not a version such as 2026.1", s)
			}
			ps.Version = s
		case "profiles":
			sawProfiles = true
			return d.mapping(v, "profiles", func(name string, k, v *yaml.Node) error {
				f := ward.Function(name)
				if !f.Valid() {
					return d.errf(k, "profiles."+name, "%q is not a task type; want one of coding, prior_auth, denials, cdi", name)
				}
				p, err := d.profile(v, "profiles."+name)
				if err != nil {
					return err
				}
				p.TaskType = f
				ps.Profiles = append(ps.Profiles, p)
				return nil
			})
		default:
			return d.errf(k, key, "unknown field; want version or profiles")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if ps.Version == "" {
		return nil, d.errf(root, "version", "version is required")
	}
	if !sawProfiles || len(ps.Profiles) == 0 {
		return nil, d.errf(root, "profiles", "at least one profile is required")
	}
	slices.SortFunc(ps.Profiles, func(a, b *Profile) int {
		return slices.Index(ward.Functions, a.TaskType) - slices.Index(ward.Functions, b.TaskType)
	})
	return ps, nil
}

func (d yamlDoc) profile(n *yaml.Node, field string) (*Profile, error) {
	p := &Profile{Include: []string{}}
	var includeNodes []*yaml.Node
	sawResources := false
	err := d.mapping(n, field, func(key string, k, v *yaml.Node) error {
		f := field + "." + key
		switch key {
		case "description":
			s, err := d.str(v, f)
			if err != nil {
				return err
			}
			if len(s) > 500 {
				return d.errf(v, f, "description must be at most 500 bytes")
			}
			p.Description = s
		case "everything":
			b, err := d.boolean(v, f)
			if err != nil {
				return err
			}
			p.Everything = b
		case "include":
			list, nodes, err := d.strList(v, f)
			if err != nil {
				return err
			}
			p.Include, includeNodes = list, nodes
		case "resources":
			sawResources = true
			return d.mapping(v, f, func(typ string, k, v *yaml.Node) error {
				rf := f + "." + typ
				if !fhirR4Resources[typ] {
					return d.errf(k, rf, "%q is not a FHIR R4 resource type", typ)
				}
				r, err := d.resourceRule(v, rf)
				if err != nil {
					return err
				}
				r.Type = typ
				p.Resources = append(p.Resources, r)
				return nil
			})
		default:
			return d.errf(k, f, "unknown field; want description, resources, include or everything")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawResources || len(p.Resources) == 0 {
		return nil, d.errf(n, field+".resources", "a profile needs at least one resource type")
	}
	if _, ok := p.resourceIndex("Patient"); !ok {
		return nil, d.errf(n, field+".resources", "a profile needs Patient: every grant is for one patient")
	}
	slices.SortFunc(p.Resources, func(a, b ResourceRule) int { return strings.Compare(a.Type, b.Type) })
	seen := map[string]bool{}
	for i, inc := range p.Include {
		f := fmt.Sprintf("%s.include[%d]", field, i)
		m := includePattern.FindStringSubmatch(inc)
		if m == nil {
			return nil, d.errf(includeNodes[i], f, "%q is not an _include value SourceType:param[:TargetType] (wildcards are never allowed)", inc)
		}
		for _, t := range []string{m[1], m[3]} {
			if t == "" {
				continue
			}
			if _, ok := p.Resource(t); !ok {
				return nil, d.errf(includeNodes[i], f, "%q names %s, which the profile does not allow", inc, t)
			}
		}
		if seen[inc] {
			return nil, d.errf(includeNodes[i], f, "%q is listed twice", inc)
		}
		seen[inc] = true
	}
	return p, nil
}

// resourceIndex finds a type before Resources are sorted.
func (p *Profile) resourceIndex(t string) (int, bool) {
	for i, r := range p.Resources {
		if r.Type == t {
			return i, true
		}
	}
	return -1, false
}

func (d yamlDoc) resourceRule(n *yaml.Node, field string) (ResourceRule, error) {
	var r ResourceRule
	var sawIn, sawFields bool
	err := d.mapping(n, field, func(key string, k, v *yaml.Node) error {
		f := field + "." + key
		list, nodes, err := d.strList(v, f)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for i, s := range list {
			if seen[s] {
				return d.errf(nodes[i], fmt.Sprintf("%s[%d]", f, i), "%q is listed twice", s)
			}
			seen[s] = true
		}
		switch key {
		case "interactions":
			sawIn = true
			for i, s := range list {
				if !slices.Contains(interactions, s) {
					return d.errf(nodes[i], fmt.Sprintf("%s[%d]", f, i), "%q is not one of read, vread, search, history", s)
				}
			}
			r.Interactions = list
		case "fields":
			sawFields = true
			for i, s := range list {
				if !fieldPattern.MatchString(s) {
					return d.errf(nodes[i], fmt.Sprintf("%s[%d]", f, i), "%q is not an element name such as birthDate, value[x] or hospitalization.admitSource (no wildcards)", s)
				}
			}
			r.Fields = list
		default:
			return d.errf(k, f, "unknown field; want interactions or fields")
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	if !sawIn || len(r.Interactions) == 0 {
		return r, d.errf(n, field+".interactions", "at least one interaction is required")
	}
	if !sawFields || len(r.Fields) == 0 {
		return r, d.errf(n, field+".fields", "at least one field is required")
	}
	return r, nil
}
