package routing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wardhq/ward"
)

// TagInput is the FHIR data a task's tags are computed from: the raw JSON
// of the patient, the encounter and the encounter's other resources
// (Conditions, Procedures, Observations, DocumentReferences...). Any may be
// empty.
type TagInput struct {
	Patient   json.RawMessage   `json:"patient,omitempty"`
	Encounter json.RawMessage   `json:"encounter,omitempty"`
	Resources []json.RawMessage `json:"resources,omitempty"`
}

// Explanation says which data produced a tag: `ward tags explain` shows it.
type Explanation struct {
	Tag string `json:"tag"`
	// Source is the resource and the element, e.g. "Encounter/123
	// meta.security v3-ActCode|PSY" or "Condition/9 code.coding[1]
	// ICD-10-CM F11.20".
	Source string `json:"source"`
	// Rule is the value-set entry that matched, e.g. "substance_use
	// icd10cm F10-F19 (value sets 2026.1)".
	Rule string `json:"rule"`
}

type tagRule struct{ tag, text string }

type icdRange struct {
	lo, hi string // normalized, equal length
	rule   tagRule
}

// Tagger computes sensitivity tags from FHIR data. It is safe for
// concurrent use.
type Tagger struct {
	version   string
	labels    map[string][]tagRule // canonical "system|code"
	icdPrefix map[string][]tagRule // normalized prefix
	icdRanges []icdRange
	snomed    map[string][]tagRule
	loinc     map[string][]tagRule
}

// NewTagger compiles vs.
func NewTagger(vs *ValueSets) *Tagger {
	t := &Tagger{
		version:   vs.Version,
		labels:    map[string][]tagRule{},
		icdPrefix: map[string][]tagRule{},
		snomed:    map[string][]tagRule{},
		loinc:     map[string][]tagRule{},
	}
	for _, tag := range vs.TagNames() {
		tv := vs.Tags[tag]
		rule := func(kind, v string) tagRule {
			return tagRule{tag, fmt.Sprintf("%s %s %s (value sets %s)", tag, kind, v, vs.Version)}
		}
		for _, l := range tv.SecurityLabels {
			sys, code, _ := strings.Cut(l, "|")
			k := canonicalSystem(sys) + "|" + code
			t.labels[k] = append(t.labels[k], rule("security_labels", l))
		}
		for _, c := range tv.ICD10CM {
			if lo, hi, ok := strings.Cut(c, "-"); ok {
				t.icdRanges = append(t.icdRanges, icdRange{normICD(lo), normICD(hi), rule("icd10cm", c)})
			} else {
				k := normICD(c)
				t.icdPrefix[k] = append(t.icdPrefix[k], rule("icd10cm", c))
			}
		}
		for _, c := range tv.SNOMED {
			t.snomed[c] = append(t.snomed[c], rule("snomed", c))
		}
		for _, c := range tv.LOINC {
			t.loinc[c] = append(t.loinc[c], rule("loinc", c))
		}
	}
	return t
}

// Version returns the version of the value sets the tagger applies.
func (t *Tagger) Version() string { return t.version }

// maxResourceBytes bounds one resource's JSON; larger input is not read
// and, like unreadable input, tags the task restricted.
const maxResourceBytes = 8 << 20

// Tag returns the sorted, distinct tags that in's data produce, and an
// explanation of each match, sorted by tag and source. A resource that is
// not a readable JSON object tags restricted: tagging fails closed.
func (t *Tagger) Tag(in TagInput) ([]string, []Explanation) {
	var ex []Explanation
	add := func(name string, raw json.RawMessage) {
		if len(bytes.TrimSpace(raw)) == 0 {
			return
		}
		ex = t.tagResource(ex, name, raw)
	}
	add("Patient", in.Patient)
	add("Encounter", in.Encounter)
	for i, r := range in.Resources {
		add(fmt.Sprintf("resources[%d]", i), r)
	}
	slices.SortFunc(ex, func(a, b Explanation) int {
		if c := strings.Compare(a.Tag, b.Tag); c != 0 {
			return c
		}
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	ex = slices.Compact(ex)
	var tags []string
	for _, e := range ex {
		if len(tags) == 0 || tags[len(tags)-1] != e.Tag {
			tags = append(tags, e.Tag)
		}
	}
	if tags == nil {
		tags = []string{}
	}
	return tags, ex
}

func (t *Tagger) tagResource(ex []Explanation, name string, raw json.RawMessage) []Explanation {
	unreadable := func(why string) []Explanation {
		return append(ex, Explanation{Tag: ward.TagRestricted, Source: name, Rule: "unreadable resource (" + why + "): restricted, failing closed"})
	}
	if len(raw) > maxResourceBytes {
		return unreadable("too large")
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return unreadable("not JSON")
	}
	if dec.More() {
		return unreadable("trailing data")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return unreadable("not an object")
	}
	src := name
	if rt, ok := obj["resourceType"].(string); ok && rt != "" {
		src = rt
		if id, ok := obj["id"].(string); ok && id != "" {
			src += "/" + id
		}
	}
	w := walker{t: t, src: src, ex: ex}
	w.walk(obj)
	return w.ex
}

// walker visits every coding of one resource.
type walker struct {
	t    *Tagger
	src  string
	ex   []Explanation
	path []string
}

func (w *walker) at(extra string) string {
	return w.src + " " + strings.Join(w.path, ".") + " " + extra
}

func (w *walker) walk(v any) {
	switch x := v.(type) {
	case map[string]any:
		w.coding(x)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic explanations
		for _, k := range keys {
			if k == "meta" {
				w.meta(x[k])
				continue
			}
			w.path = append(w.path, k)
			w.walk(x[k])
			w.path = w.path[:len(w.path)-1]
		}
	case []any:
		for i, e := range x {
			if len(w.path) > 0 {
				last := w.path[len(w.path)-1]
				w.path[len(w.path)-1] = last + "[" + strconv.Itoa(i) + "]"
				w.walk(e)
				w.path[len(w.path)-1] = last
			} else {
				w.walk(e)
			}
		}
	}
}

// meta matches meta.security labels; meta.tag and the rest carry no
// sensitivity.
func (w *walker) meta(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	sec, _ := m["security"].([]any)
	for i, e := range sec {
		c, ok := e.(map[string]any)
		if !ok {
			continue
		}
		sys, _ := c["system"].(string)
		code, _ := c["code"].(string)
		for _, r := range w.t.labels[canonicalSystem(sys)+"|"+code] {
			w.ex = append(w.ex, Explanation{Tag: r.tag, Source: fmt.Sprintf("%s meta.security[%d] %s|%s", w.src, i, shortSystem(sys), code), Rule: r.text})
		}
	}
}

// coding matches x when it is a Coding (has string system and code).
func (w *walker) coding(x map[string]any) {
	sys, ok1 := x["system"].(string)
	code, ok2 := x["code"].(string)
	if !ok1 || !ok2 {
		return
	}
	sys = canonicalSystem(sys)
	var rules []tagRule
	switch sys {
	case SystemICD10CM:
		n := normICD(code)
		for l := 3; l <= len(n) && l <= 8; l++ {
			rules = append(rules, w.t.icdPrefix[n[:l]]...)
		}
		for _, r := range w.t.icdRanges {
			if len(n) >= len(r.lo) && n[:len(r.lo)] >= r.lo && n[:len(r.lo)] <= r.hi {
				rules = append(rules, r.rule)
			}
		}
	case SystemSNOMED:
		rules = w.t.snomed[strings.TrimSpace(code)]
	case SystemLOINC:
		rules = w.t.loinc[strings.TrimSpace(code)]
	}
	for _, r := range rules {
		w.ex = append(w.ex, Explanation{Tag: r.tag, Source: w.at(shortSystem(sys) + " " + code), Rule: r.text})
	}
}

// shortSystem names well-known code systems briefly in explanations.
func shortSystem(sys string) string {
	switch canonicalSystem(sys) {
	case SystemICD10CM:
		return "ICD-10-CM"
	case SystemSNOMED:
		return "SNOMED-CT"
	case SystemLOINC:
		return "LOINC"
	case SystemActCode:
		return "v3-ActCode"
	case SystemConfidentiality:
		return "v3-Confidentiality"
	}
	return sys
}
