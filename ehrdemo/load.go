package ehrdemo

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// The embedded files are reproduced from ../shared by internal/gendata.
//
//go:generate go run ./internal/gendata -src ../../shared/data/synthea-fhir-r4 -out data
//go:embed data/*.json.gz
var dataFS embed.FS

// Tags and labels ward puts on the demo data.
const (
	tagSystem       = "https://ward.dev/fhir/CodeSystem/demo"
	tagGenerated    = "generated"
	confSystem      = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
	actCodeSystem   = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	snomedSystem    = "http://snomed.info/sct"
	loincSystem     = "http://loinc.org"
	icd10cmSystem   = "http://hl7.org/fhir/sid/icd-10-cm"
	defaultModified = "2026-01-01T00:00:00Z"
)

var wardTag = coding{System: tagSystem, Code: tagGenerated, Display: "Generated or modified by ward for the demo"}

var (
	sharedOnce sync.Once
	shared     *dataset
	sharedErr  error
)

// loadShared parses the embedded data once per process. The dataset is
// immutable after loading, so every Server shares it.
func loadShared() (*dataset, error) {
	sharedOnce.Do(func() { shared, sharedErr = loadDataset(dataFS) })
	return shared, sharedErr
}

// dataset is the immutable, fully indexed demo EHR content.
type dataset struct {
	types      map[string]*typeData
	notes      map[string]string // encounter id -> note text
	patients   []Patient
	encounters []Encounter
}

type typeData struct {
	def  *resourceDef
	list []*resource // default (load) order
	byID map[string]*resource
}

// resource is one stored resource: its final JSON and its search index.
type resource struct {
	id          string
	body        []byte
	lastUpdated string
	idx         []ival // sorted by param
}

// pending is a resource during loading, before its JSON is final.
type pending struct {
	typ, id string
	raw     []byte // compact JSON; urn:uuid references not yet rewritten for source data
	f       fields // decoded raw; references resolved through loader.resolve
	meta    meta
	code    *codeableConcept // replacement for the "code" element, if modified
	changed bool             // ward generated or modified it: tag it
}

type loader struct {
	list  []*pending
	byKey map[string]*pending // "Type/id"
	urn   map[string]string   // "urn:uuid:x" -> "Type/id"
	// by encounter reference "Encounter/id"
	byEncounter map[string][]*pending
	strs        map[string]string
}

func loadDataset(fsys fs.FS) (*dataset, error) {
	l := &loader{byKey: map[string]*pending{}, urn: map[string]string{}, byEncounter: map[string][]*pending{}, strs: map[string]string{}}
	names, err := fs.Glob(fsys, "data/*.json.gz")
	if err != nil {
		return nil, err
	}
	// Organizations and Practitioners first: the patient bundles repeat some
	// of them without the utilization extensions, and the first copy wins.
	sort.Slice(names, func(i, j int) bool {
		ki, kj := !isDirectory(names[i]), !isDirectory(names[j])
		if ki != kj {
			return !ki
		}
		return names[i] < names[j]
	})
	// Decode the files in parallel, then add them in file order so that the
	// result does not depend on scheduling.
	type result struct {
		entries []bundleEntry
		err     error
	}
	results := make([]result, len(names))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i].entries, results[i].err = readBundle(fsys, name)
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res.err != nil {
			return nil, fmt.Errorf("load %s: %w", names[i], res.err)
		}
		for _, e := range res.entries {
			key := e.p.typ + "/" + e.p.id
			if strings.HasPrefix(e.fullURL, "urn:uuid:") {
				l.urn[e.fullURL] = key
			}
			if _, dup := l.byKey[key]; !dup {
				l.add(e.p)
			}
		}
	}
	if len(l.list) == 0 {
		return nil, fmt.Errorf("load: no resources in embedded data")
	}
	l.addICD10()
	if err := l.addSensitive(); err != nil {
		return nil, err
	}
	if err := l.addLookalikes(); err != nil {
		return nil, err
	}
	notes, err := l.addNotes()
	if err != nil {
		return nil, err
	}
	return l.finish(notes)
}

func isDirectory(name string) bool {
	b := path.Base(name)
	return strings.HasPrefix(b, "hospitalInformation") || strings.HasPrefix(b, "practitionerInformation")
}

type bundleEntry struct {
	fullURL string
	p       *pending
}

// readBundle decodes one gzipped Bundle into pending resources.
func readBundle(fsys fs.FS, name string) ([]bundleEntry, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, err
	}
	if b.ResourceType != "Bundle" {
		return nil, fmt.Errorf("not a Bundle: %q", b.ResourceType)
	}
	out := make([]bundleEntry, 0, len(b.Entry))
	for _, e := range b.Entry {
		p := &pending{raw: e.Resource}
		if bytes.IndexByte(p.raw, '\n') >= 0 {
			var c bytes.Buffer
			if err := json.Compact(&c, p.raw); err != nil {
				return nil, err
			}
			p.raw = c.Bytes()
		}
		if err := json.Unmarshal(p.raw, &p.f); err != nil {
			return nil, fmt.Errorf("entry %s: %w", e.FullURL, err)
		}
		p.typ, p.id = p.f.ResourceType, p.f.ID
		if defs[p.typ] == nil || !validID(p.id) {
			return nil, fmt.Errorf("entry %s: unsupported resource %s/%s", e.FullURL, p.typ, p.id)
		}
		p.meta.Tag = p.f.Meta.Tag
		p.meta.Security = p.f.Meta.Security
		out = append(out, bundleEntry{e.FullURL, p})
	}
	return out, nil
}

// add registers p (source or generated).
func (l *loader) add(p *pending) {
	l.list = append(l.list, p)
	l.byKey[p.typ+"/"+p.id] = p
}

// addGenerated registers a resource ward generated from a Go value.
func (l *loader) addGenerated(v any) (*pending, error) {
	p := &pending{raw: marshal(v), changed: true}
	if err := json.Unmarshal(p.raw, &p.f); err != nil {
		return nil, err
	}
	p.typ, p.id = p.f.ResourceType, p.f.ID
	if defs[p.typ] == nil || !validID(p.id) {
		return nil, fmt.Errorf("generated resource %s/%s is invalid", p.typ, p.id)
	}
	if _, dup := l.byKey[p.typ+"/"+p.id]; dup {
		return nil, fmt.Errorf("generated resource %s/%s already exists", p.typ, p.id)
	}
	p.meta.Tag = p.f.Meta.Tag
	p.meta.Security = p.f.Meta.Security
	l.add(p)
	return p, nil
}

// resolve turns a bundle-internal "urn:uuid:" reference into "Type/id".
func (l *loader) resolve(r *reference) string {
	if r == nil {
		return ""
	}
	if k, ok := l.urn[r.Reference]; ok {
		return k
	}
	return r.Reference
}

// get returns the resource a reference points to, or nil.
func (l *loader) get(r *reference) *pending {
	return l.byKey[l.resolve(r)]
}

// ofType returns the pending resources of one type in load order.
func (l *loader) ofType(typ string) []*pending {
	var out []*pending
	for _, p := range l.list {
		if p.typ == typ {
			out = append(out, p)
		}
	}
	return out
}

// indexEncounters groups resources by the encounter they belong to.
func (l *loader) indexEncounters() {
	l.byEncounter = map[string][]*pending{}
	for _, p := range l.list {
		if p.f.Encounter != nil {
			k := l.resolve(p.f.Encounter)
			l.byEncounter[k] = append(l.byEncounter[k], p)
		}
	}
}

func (l *loader) intern(s string) string {
	if v, ok := l.strs[s]; ok {
		return v
	}
	l.strs[s] = s
	return s
}

// finish rewrites references, sets meta, builds the JSON and the search index.
func (l *loader) finish(notes map[string]string) (*dataset, error) {
	d := &dataset{types: map[string]*typeData{}, notes: notes}
	for _, name := range typeNames {
		d.types[name] = &typeData{def: defs[name], byID: map[string]*resource{}}
	}
	resolveAll := func(f *fields) {
		for _, r := range f.refs() {
			if r != nil {
				r.Reference = l.resolve(r)
			}
		}
	}
	for _, p := range l.list {
		td := d.types[p.typ]
		resolveAll(&p.f)
		lu := lastUpdated(&p.f)
		m := meta{VersionID: "1", LastUpdated: lu, Security: p.meta.Security, Tag: p.meta.Tag}
		if p.changed && !hasCoding(m.Tag, wardTag) {
			m.Tag = append(append([]coding(nil), m.Tag...), wardTag)
		}
		body, err := l.assemble(p, m)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", p.typ, p.id, err)
		}
		r := &resource{id: p.id, body: body, lastUpdated: lu}
		e := &emitter{def: td.def, intern: l.intern}
		e.token("_id", "", p.id)
		e.date("_lastUpdated", lu)
		for _, c := range m.Tag {
			e.token("_tag", c.System, c.Code)
		}
		for _, c := range m.Security {
			e.token("_security", c.System, c.Code)
		}
		if p.code != nil {
			p.f.Code = p.code
		}
		td.def.index(&p.f, e)
		sort.SliceStable(e.vals, func(i, j int) bool { return e.vals[i].p < e.vals[j].p })
		r.idx = append([]ival(nil), e.vals...)
		td.list = append(td.list, r)
		td.byID[p.id] = r
	}
	d.patients = l.patientSummaries()
	d.encounters = l.encounterSummaries()
	l.list, l.byKey, l.byEncounter = nil, nil, nil
	return d, nil
}

// assemble writes the final JSON of p: resourceType, id and meta first, then
// the remaining elements in their original order, with references rewritten.
func (l *loader) assemble(p *pending, m meta) ([]byte, error) {
	raw := l.rewriteRefs(p.raw)
	members, err := splitObject(raw)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(raw) + 256)
	b.WriteString(`{"resourceType":`)
	b.Write(marshal(p.typ))
	b.WriteString(`,"id":`)
	b.Write(marshal(p.id))
	b.WriteString(`,"meta":`)
	b.Write(marshal(m))
	for _, mb := range members {
		switch mb.key {
		case "resourceType", "id", "meta":
			continue
		}
		b.WriteByte(',')
		b.Write(mb.rawKey)
		b.WriteByte(':')
		if mb.key == "code" && p.code != nil {
			b.Write(marshal(p.code))
		} else {
			b.Write(mb.value)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// rewriteRefs replaces every JSON string "urn:uuid:X" that names a loaded
// resource with "Type/X".
func (l *loader) rewriteRefs(b []byte) []byte {
	const pfx = `"urn:uuid:`
	if !bytes.Contains(b, []byte(pfx)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for {
		i := bytes.Index(b, []byte(pfx))
		if i < 0 {
			break
		}
		j := bytes.IndexByte(b[i+1:], '"')
		if j < 0 {
			break
		}
		end := i + 1 + j
		if k, ok := l.urn[string(b[i+1:end])]; ok {
			out = append(out, b[:i+1]...)
			out = append(out, k...)
		} else {
			out = append(out, b[:end]...)
		}
		b = b[end:]
	}
	return append(out, b...)
}

type member struct {
	key    string
	rawKey []byte
	value  []byte
}

// splitObject splits a compact JSON object into its top-level members.
func splitObject(b []byte) ([]member, error) {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, fmt.Errorf("not a compact JSON object")
	}
	var out []member
	i := 1
	for i < len(b)-1 {
		if b[i] == ',' {
			i++
		}
		ks := i
		ke, err := skipString(b, i)
		if err != nil {
			return nil, err
		}
		key := string(b[ks+1 : ke-1])
		if bytes.IndexByte(b[ks:ke], '\\') >= 0 {
			if err := json.Unmarshal(b[ks:ke], &key); err != nil {
				return nil, err
			}
		}
		if ke >= len(b) || b[ke] != ':' {
			return nil, fmt.Errorf("expected ':' at %d", ke)
		}
		vs := ke + 1
		ve, err := skipValue(b, vs)
		if err != nil {
			return nil, err
		}
		out = append(out, member{key: key, rawKey: b[ks:ke], value: b[vs:ve]})
		i = ve
	}
	return out, nil
}

func skipString(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return 0, fmt.Errorf("expected string at %d", i)
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated string")
}

func skipValue(b []byte, i int) (int, error) {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			e, err := skipString(b, i)
			if err != nil {
				return 0, err
			}
			i = e
			if depth == 0 {
				return i, nil
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, nil // end of the enclosing object
			}
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		case ',':
			if depth == 0 {
				return i, nil
			}
		}
		i++
	}
	return 0, fmt.Errorf("unterminated value")
}

// refs returns pointers to every reference the loader reads, for rewriting.
func (f *fields) refs() []*reference {
	rs := []*reference{f.Subject, f.Patient, f.Encounter, f.ServiceProvider, f.Requester, f.Provider, f.Claim}
	for i := range f.Author {
		rs = append(rs, &f.Author[i])
	}
	for i := range f.Result {
		rs = append(rs, &f.Result[i])
	}
	for i := range f.Participant {
		rs = append(rs, f.Participant[i].Individual)
	}
	if f.Context != nil {
		for i := range f.Context.Encounter {
			rs = append(rs, &f.Context.Encounter[i])
		}
	}
	for i := range f.Item {
		for j := range f.Item[i].Encounter {
			rs = append(rs, &f.Item[i].Encounter[j])
		}
	}
	return rs
}

// lastUpdated picks a deterministic meta.lastUpdated: the resource's own
// clinical or business time, else a fixed instant.
func lastUpdated(f *fields) string {
	var cands []string
	switch f.ResourceType {
	case "Encounter":
		if f.Period != nil {
			cands = []string{f.Period.End, f.Period.Start}
		}
	case "Condition":
		cands = []string{f.RecordedDate, f.OnsetDateTime}
	case "Observation", "DiagnosticReport":
		cands = []string{f.Issued, f.EffectiveDateTime}
		if f.EffectivePeriod != nil {
			cands = append(cands, f.EffectivePeriod.End, f.EffectivePeriod.Start)
		}
	case "Procedure":
		cands = []string{f.PerformedDateTime}
		if f.PerformedPeriod != nil {
			cands = append(cands, f.PerformedPeriod.End, f.PerformedPeriod.Start)
		}
	case "MedicationRequest":
		cands = []string{f.AuthoredOn}
	case "Claim", "ExplanationOfBenefit":
		cands = []string{f.Created}
	case "Immunization":
		cands = []string{f.OccurrenceDateTime}
	case "AllergyIntolerance":
		cands = []string{f.RecordedDate}
	case "CarePlan":
		if f.Period != nil {
			cands = []string{f.Period.Start}
		}
	case "DocumentReference":
		cands = []string{f.Date}
	}
	for _, c := range cands {
		if c == "" || len(c) < len("2006-01-02T15:04") {
			continue
		}
		if t, ok := parseTime(c); ok {
			return formatInstant(t)
		}
	}
	return defaultModified
}

func hasCoding(list []coding, c coding) bool {
	for _, x := range list {
		if x.System == c.System && x.Code == c.Code {
			return true
		}
	}
	return false
}

// validID reports whether s is a valid FHIR logical id.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// age returns whole years between birth and t.
func age(birth, t time.Time) int {
	y := t.Year() - birth.Year()
	if t.Month() < birth.Month() || (t.Month() == birth.Month() && t.Day() < birth.Day()) {
		y--
	}
	return y
}
