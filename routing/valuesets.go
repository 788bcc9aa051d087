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

// Code systems the value sets match.
const (
	SystemICD10CM         = "http://hl7.org/fhir/sid/icd-10-cm"
	SystemSNOMED          = "http://snomed.info/sct"
	SystemLOINC           = "http://loinc.org"
	SystemActCode         = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	SystemConfidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
)

// systemAliases maps other names of the same code systems (OIDs, FHIR
// DSTU2/STU3 URIs, WHO ICD-10, whose chapters agree with ICD-10-CM's
// categories) to the names the value sets use, so that a label or code is
// not missed because of how a source spells its system.
var systemAliases = map[string]string{
	"http://hl7.org/fhir/sid/icd-10":         SystemICD10CM,
	"urn:oid:2.16.840.1.113883.6.90":         SystemICD10CM,
	"urn:oid:2.16.840.1.113883.6.3":          SystemICD10CM,
	"urn:oid:2.16.840.1.113883.6.96":         SystemSNOMED,
	"urn:oid:2.16.840.1.113883.6.1":          SystemLOINC,
	"http://hl7.org/fhir/v3/ActCode":         SystemActCode,
	"urn:oid:2.16.840.1.113883.5.4":          SystemActCode,
	"http://hl7.org/fhir/v3/Confidentiality": SystemConfidentiality,
	"urn:oid:2.16.840.1.113883.5.25":         SystemConfidentiality,
}

func canonicalSystem(s string) string {
	if c, ok := systemAliases[s]; ok {
		return c
	}
	return s
}

//go:embed valuesets.yaml
var defaultValueSetsYAML []byte

// ValueSets say which FHIR data give which sensitivity tag. They are read
// from a versioned YAML file (the default is routing/valuesets.yaml) that an
// organization may extend.
type ValueSets struct {
	Version string                  `json:"version"`
	Tags    map[string]*TagValueSet `json:"tags"`
}

// TagValueSet lists what produces one tag.
type TagValueSet struct {
	// SecurityLabels are "system|code" of meta.security codings.
	SecurityLabels []string `json:"security_labels,omitempty"`
	// ICD10CM are codes or category prefixes ("B20", "Z71.4") and ranges of
	// equal-length prefixes ("F10-F19").
	ICD10CM []string `json:"icd10cm,omitempty"`
	// SNOMED and LOINC are exact codes.
	SNOMED []string `json:"snomed,omitempty"`
	LOINC  []string `json:"loinc,omitempty"`
}

// DefaultValueSets returns ward's default value sets, a new copy each call.
func DefaultValueSets() *ValueSets {
	vs, err := ParseValueSets("valuesets.yaml", defaultValueSetsYAML)
	if err != nil {
		panic("routing: default value sets: " + err.Error()) // a test keeps it valid
	}
	return vs
}

var (
	versionPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$`)
	icdPattern     = regexp.MustCompile(`^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$`)
	snomedPattern  = regexp.MustCompile(`^[1-9][0-9]{5,17}$`)
	loincPattern   = regexp.MustCompile(`^[0-9]{1,7}-[0-9]$`)
	labelPattern   = regexp.MustCompile(`^[^|\s]+\|[^|\s]+$`)
)

// ParseValueSets reads a value-set file. file names it in errors, which are
// EINVALID and name the line and the field at fault.
func ParseValueSets(file string, data []byte) (*ValueSets, error) {
	d := yamlDoc{file: file}
	root, err := d.parse(data)
	if err != nil {
		return nil, err
	}
	vs := &ValueSets{Tags: map[string]*TagValueSet{}}
	sawTags := false
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
			vs.Version = s
		case "tags":
			sawTags = true
			return d.mapping(v, "tags", func(tag string, k, v *yaml.Node) error {
				field := "tags." + tag
				if !ward.ValidTag(tag) {
					return d.errf(k, field, "%q is not a sensitivity tag (lower case letters, digits and _)", tag)
				}
				tv, err := d.tagValueSet(v, field)
				if err != nil {
					return err
				}
				vs.Tags[tag] = tv
				return nil
			})
		default:
			return d.errf(k, key, "unknown field; want version or tags")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if vs.Version == "" {
		return nil, d.errf(root, "version", "version is required")
	}
	if !sawTags {
		return nil, d.errf(root, "tags", "tags is required")
	}
	return vs, nil
}

func (d yamlDoc) tagValueSet(n *yaml.Node, field string) (*TagValueSet, error) {
	tv := &TagValueSet{}
	err := d.mapping(n, field, func(key string, k, v *yaml.Node) error {
		f := field + "." + key
		list, nodes, err := d.strList(v, f)
		if err != nil {
			return err
		}
		var check func(string) string
		var dst *[]string
		switch key {
		case "security_labels":
			dst, check = &tv.SecurityLabels, checkLabel
		case "icd10cm":
			dst, check = &tv.ICD10CM, checkICD
		case "snomed":
			dst, check = &tv.SNOMED, checkSNOMED
		case "loinc":
			dst, check = &tv.LOINC, checkLOINC
		default:
			return d.errf(k, f, "unknown field; want security_labels, icd10cm, snomed or loinc")
		}
		seen := map[string]bool{}
		for i, s := range list {
			s = strings.TrimSpace(s)
			if msg := check(s); msg != "" {
				return d.errf(nodes[i], fmt.Sprintf("%s[%d]", f, i), "%q %s", s, msg)
			}
			if seen[s] {
				return d.errf(nodes[i], fmt.Sprintf("%s[%d]", f, i), "%q is listed twice", s)
			}
			seen[s] = true
			*dst = append(*dst, s)
		}
		return nil
	})
	return tv, err
}

func checkLabel(s string) string {
	if !labelPattern.MatchString(s) {
		return "is not a security label system|code"
	}
	return ""
}

// normICD upper-cases an ICD-10-CM code and drops its dot.
func normICD(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), ".", ""))
}

func checkICD(s string) string {
	lo, hi, isRange := strings.Cut(s, "-")
	if !icdPattern.MatchString(lo) || (isRange && !icdPattern.MatchString(hi)) {
		return "is not an ICD-10-CM code, category or range such as F10-F19"
	}
	if isRange {
		l, h := normICD(lo), normICD(hi)
		if len(l) != len(h) {
			return "is a range whose ends differ in length"
		}
		if l > h {
			return "is a range whose start is after its end"
		}
	}
	return ""
}

func checkSNOMED(s string) string {
	if !snomedPattern.MatchString(s) {
		return "is not a SNOMED CT concept id (6 to 18 digits)"
	}
	return ""
}

func checkLOINC(s string) string {
	if !loincPattern.MatchString(s) {
		return "is not a LOINC code such as 718-7"
	}
	if !loincCheckDigitOK(s) {
		return "has a wrong check digit"
	}
	return ""
}

// loincCheckDigitOK checks a LOINC code's mod-10 (Luhn) check digit.
func loincCheckDigitOK(s string) bool {
	num, check, _ := strings.Cut(s, "-")
	sum := 0
	for i := 0; i < len(num); i++ {
		v := int(num[len(num)-1-i] - '0')
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return int(check[0]-'0') == (10-sum%10)%10
}

// Extend returns value sets that hold vs and then ext: ext's codes and
// labels are added to vs's tags and ext's new tags are added. Nothing of vs
// is removed, so an extension can only make tagging stricter. The version
// is "base+ext".
func (vs *ValueSets) Extend(ext *ValueSets) *ValueSets {
	out := &ValueSets{Version: vs.Version, Tags: map[string]*TagValueSet{}}
	if ext.Version != "" {
		out.Version += "+" + ext.Version
	}
	for _, src := range []*ValueSets{vs, ext} {
		for tag, tv := range src.Tags {
			o := out.Tags[tag]
			if o == nil {
				o = &TagValueSet{}
				out.Tags[tag] = o
			}
			o.SecurityLabels = mergeUnique(o.SecurityLabels, tv.SecurityLabels)
			o.ICD10CM = mergeUnique(o.ICD10CM, tv.ICD10CM)
			o.SNOMED = mergeUnique(o.SNOMED, tv.SNOMED)
			o.LOINC = mergeUnique(o.LOINC, tv.LOINC)
		}
	}
	return out
}

func mergeUnique(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// TagNames returns the tags the value sets can produce, sorted.
func (vs *ValueSets) TagNames() []string {
	out := make([]string, 0, len(vs.Tags))
	for t := range vs.Tags {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
