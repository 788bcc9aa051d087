package gateway

import (
	"fmt"
	"strings"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/routing"
)

// systemAliases mirrors routing's: other spellings of the code systems the
// value sets name, so that a code is not missed because of its system URI.
var systemAliases = map[string]string{
	"http://hl7.org/fhir/sid/icd-10":         routing.SystemICD10CM,
	"urn:oid:2.16.840.1.113883.6.90":         routing.SystemICD10CM,
	"urn:oid:2.16.840.1.113883.6.3":          routing.SystemICD10CM,
	"urn:oid:2.16.840.1.113883.6.96":         routing.SystemSNOMED,
	"urn:oid:2.16.840.1.113883.6.1":          routing.SystemLOINC,
	"http://hl7.org/fhir/v3/ActCode":         routing.SystemActCode,
	"urn:oid:2.16.840.1.113883.5.4":          routing.SystemActCode,
	"http://hl7.org/fhir/v3/Confidentiality": routing.SystemConfidentiality,
	"urn:oid:2.16.840.1.113883.5.25":         routing.SystemConfidentiality,
}

func canonicalSystem(s string) string {
	if c, ok := systemAliases[s]; ok {
		return c
	}
	return s
}

// sensIndex maps codes and security labels to the sensitivity tags they
// give, as bit masks (one bit per tag), for the response filter.
type sensIndex struct {
	bits      map[string]uint64            // tag → bit
	labels    map[string]map[string]uint64 // canonical system → code → tags
	icdPrefix map[string]uint64            // normalized prefix → tags
	icdRanges []icdRange
	snomed    map[string]uint64
	loinc     map[string]uint64
}

type icdRange struct {
	lo, hi string
	mask   uint64
}

func normICD(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), ".", ""))
}

func newSensIndex(vs *routing.ValueSets) (*sensIndex, error) {
	x := &sensIndex{
		bits:      map[string]uint64{},
		labels:    map[string]map[string]uint64{},
		icdPrefix: map[string]uint64{},
		snomed:    map[string]uint64{},
		loinc:     map[string]uint64{},
	}
	tags := vs.TagNames()
	if len(tags) > 63 {
		return nil, fmt.Errorf("gateway: %d sensitivity tags; at most 63 are supported", len(tags))
	}
	for i, tag := range tags {
		bit := uint64(1) << i
		x.bits[tag] = bit
		tv := vs.Tags[tag]
		for _, l := range tv.SecurityLabels {
			sys, code, _ := strings.Cut(l, "|")
			sys = canonicalSystem(sys)
			if x.labels[sys] == nil {
				x.labels[sys] = map[string]uint64{}
			}
			x.labels[sys][code] |= bit
		}
		for _, c := range tv.ICD10CM {
			if lo, hi, ok := strings.Cut(c, "-"); ok {
				x.icdRanges = append(x.icdRanges, icdRange{normICD(lo), normICD(hi), bit})
			} else {
				x.icdPrefix[normICD(c)] |= bit
			}
		}
		for _, c := range tv.SNOMED {
			x.snomed[c] |= bit
		}
		for _, c := range tv.LOINC {
			x.loinc[c] |= bit
		}
	}
	return x, nil
}

// cleared returns the mask of the tags in clearances.
func (x *sensIndex) cleared(clearances []string) uint64 {
	var m uint64
	for _, c := range clearances {
		m |= x.bits[c]
	}
	return m
}

// mask returns the tags that the coding system|code gives.
func (x *sensIndex) mask(system, code string) uint64 {
	system = canonicalSystem(system)
	var m uint64
	if codes, ok := x.labels[system]; ok {
		m |= codes[code]
	}
	switch system {
	case routing.SystemICD10CM:
		n := normICD(code)
		for l := 3; l <= len(n) && l <= 8; l++ {
			m |= x.icdPrefix[n[:l]]
		}
		for _, r := range x.icdRanges {
			if len(n) >= len(r.lo) && n[:len(r.lo)] >= r.lo && n[:len(r.lo)] <= r.hi {
				m |= r.mask
			}
		}
	case routing.SystemSNOMED:
		m |= x.snomed[strings.TrimSpace(code)]
	case routing.SystemLOINC:
		m |= x.loinc[strings.TrimSpace(code)]
	}
	return m
}

// sensitiveFor returns the fhir.Policy.Sensitive function for a team:
// a coding is sensitive when it gives a tag the team is not cleared for.
func (x *sensIndex) sensitiveFor(t *ward.Team) func(system, code string) bool {
	ok := x.cleared(t.Clearances)
	return func(system, code string) bool { return x.mask(system, code)&^ok != 0 }
}
