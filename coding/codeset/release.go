package codeset

import (
	"compress/gzip"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward"
)

//go:generate go run ../internal/gencodeset -data ../../../shared/data -out data

// The embedded default release, generated from ../shared/data by
// coding/internal/gencodeset (see data/SOURCE.md).
//
//go:embed data/release.json data/*.gz
var embedded embed.FS

// ManifestFile is the name of a release directory's manifest.
const ManifestFile = "release.json"

// Component kinds.
const (
	KindICD10CM = "icd10cm"
	KindHCPCS   = "hcpcs"
	KindPTP     = "ptp"
	KindMUE     = "mue"
)

// Component describes one loaded part of a release.
type Component struct {
	Kind     string    `json:"kind"`              // icd10cm, hcpcs, ptp or mue
	Setting  string    `json:"setting,omitempty"` // NCCI tables: practitioner, hospital or dme
	Name     string    `json:"name"`              // e.g. "ICD-10-CM FY2021"
	Version  string    `json:"version,omitempty"` // e.g. "2021", "32.1"
	File     string    `json:"file"`              // file in the release directory
	Source   string    `json:"source"`            // where the data came from
	From     ward.Date `json:"from"`              // first date of service covered; zero if unknown
	Through  ward.Date `json:"through"`           // last date of service covered; zero if unknown
	Imported time.Time `json:"imported,omitzero"`
	Count    int       `json:"count"`              // codes or edits
	Notes    []string  `json:"notes,omitempty"`    // what is missing or approximate
	Embedded bool      `json:"embedded,omitempty"` // part of ward's built-in default
}

// Covers reports whether date of service d falls within c's dates. A
// component with unknown dates covers every date.
func (c *Component) Covers(d ward.Date) bool {
	if d.IsZero() {
		return true
	}
	if !c.From.IsZero() && d.Before(c.From) {
		return false
	}
	return c.Through.IsZero() || !c.Through.Before(d)
}

// Manifest is the content of a release directory's release.json.
type Manifest struct {
	Format     int         `json:"format"`
	Components []Component `json:"components"`
}

// Release is the set of code sets and edit tables the checks run against:
// one or more ICD-10-CM fiscal years, HCPCS Level II, and the NCCI PTP and
// MUE tables per setting. It is immutable once loaded and safe for
// concurrent use.
type Release struct {
	Dir        string      // the directory it was loaded from; "" for the embedded default
	Components []Component // what is loaded, embedded parts included
	ICD10CM    []*ICD10CM  // ordered by From
	HCPCS      *HCPCS
	PTP        [NumSettings]*PTP
	MUE        [NumSettings]*MUE
}

// ICD10CMFor returns the ICD-10-CM release for date of service d: the one
// whose dates cover d, else the nearest one (and covered false). A zero d
// gets the latest release.
func (r *Release) ICD10CMFor(d ward.Date) (v *ICD10CM, covered bool) {
	if len(r.ICD10CM) == 0 {
		return nil, false
	}
	if d.IsZero() {
		return r.ICD10CM[len(r.ICD10CM)-1], true
	}
	for _, v := range r.ICD10CM {
		if v.Covers(d) {
			return v, true
		}
	}
	if d.Before(r.ICD10CM[0].From) {
		return r.ICD10CM[0], false
	}
	return r.ICD10CM[len(r.ICD10CM)-1], false
}

// Find returns the component of kind (and setting, for NCCI tables), or nil.
func (r *Release) Find(kind, setting string) *Component {
	for i := range r.Components {
		c := &r.Components[i]
		if c.Kind == kind && c.Setting == setting {
			return c
		}
	}
	return nil
}

var (
	defaultOnce sync.Once
	defaultRel  *Release
	defaultErr  error
)

// Default returns the embedded default release: ICD-10-CM FY2021 and HCPCS
// Level II 2020, without NCCI tables (ward ships no official NCCI data; see
// `ward codes import`). It is loaded once.
func Default() (*Release, error) {
	defaultOnce.Do(func() {
		sub, err := fs.Sub(embedded, "data")
		if err != nil {
			defaultErr = err
			return
		}
		defaultRel, defaultErr = load(sub, "", nil)
		if defaultErr != nil {
			defaultErr = fmt.Errorf("embedded code sets: %w", defaultErr)
		}
		for i := range defaultRel.Components {
			defaultRel.Components[i].Embedded = true
		}
	})
	return defaultRel, defaultErr
}

// Open loads the release in dir when dir holds a release.json, else the
// embedded default. Parts the directory lacks (the ICD-10-CM years and the
// HCPCS release it does not have) come from the embedded default, so older
// dates of service keep their code set.
func Open(dir string) (*Release, error) {
	if dir == "" {
		return Default()
	}
	if _, err := os.Stat(path.Join(dir, ManifestFile)); errors.Is(err, fs.ErrNotExist) {
		return Default()
	}
	def, err := Default()
	if err != nil {
		return nil, err
	}
	r, err := load(os.DirFS(dir), dir, def)
	if err != nil {
		return nil, err
	}
	r.Dir = dir
	return r, nil
}

// ReadManifest reads dir's release.json; a missing file gives an empty
// manifest.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(path.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &Manifest{Format: 1}, nil
	} else if err != nil {
		return nil, err
	}
	return parseManifest(b, path.Join(dir, ManifestFile))
}

func parseManifest(b []byte, name string) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if m.Format != 1 {
		return nil, fmt.Errorf("%s: format %d is not supported by this ward", name, m.Format)
	}
	return &m, nil
}

func openGz(fsys fs.FS, name string) (io.ReadCloser, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

// load reads the release in fsys; fallback supplies what it lacks.
func load(fsys fs.FS, dir string, fallback *Release) (*Release, error) {
	b, err := fs.ReadFile(fsys, ManifestFile)
	if err != nil {
		return nil, err
	}
	m, err := parseManifest(b, path.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	r := &Release{}
	years := map[int]bool{}
	for _, c := range m.Components {
		name := path.Join(dir, c.File)
		if !fs.ValidPath(c.File) || strings.Contains(c.File, "/") {
			return nil, fmt.Errorf("%s: component file %q must be a plain file name", path.Join(dir, ManifestFile), c.File)
		}
		rc, err := openGz(fsys, c.File)
		if err != nil {
			return nil, err
		}
		err = func() error {
			defer rc.Close()
			switch c.Kind {
			case KindICD10CM:
				v, err := ReadICD10CM(rc, name)
				if err != nil {
					return err
				}
				years[v.Year] = true
				r.ICD10CM = append(r.ICD10CM, v)
			case KindHCPCS:
				h, err := ReadHCPCS(rc, name)
				if err != nil {
					return err
				}
				r.HCPCS = h
			case KindPTP:
				s, ok := ParseSetting(c.Setting)
				if !ok {
					return fmt.Errorf("%s: unknown setting %q", name, c.Setting)
				}
				b := NewPTPBuilder(s)
				if err := ParsePTP(rc, name, b.Add); err != nil {
					return err
				}
				r.PTP[s] = b.Build()
			case KindMUE:
				s, ok := ParseSetting(c.Setting)
				if !ok {
					return fmt.Errorf("%s: unknown setting %q", name, c.Setting)
				}
				mue, _, _, err := ParseMUE(rc, name)
				if err != nil {
					return err
				}
				mue.Setting = s
				r.MUE[s] = mue
			default:
				return fmt.Errorf("%s: unknown component kind %q", path.Join(dir, ManifestFile), c.Kind)
			}
			return nil
		}()
		if err != nil {
			return nil, err
		}
		r.Components = append(r.Components, c)
	}
	if fallback != nil {
		for i, v := range fallback.ICD10CM {
			if !years[v.Year] {
				r.ICD10CM = append(r.ICD10CM, v)
				if c := fallback.findICD(i); c != nil {
					r.Components = append(r.Components, *c)
				}
			}
		}
		if r.HCPCS == nil && fallback.HCPCS != nil {
			r.HCPCS = fallback.HCPCS
			if c := fallback.Find(KindHCPCS, ""); c != nil {
				r.Components = append(r.Components, *c)
			}
		}
	}
	sort.SliceStable(r.ICD10CM, func(i, j int) bool { return r.ICD10CM[i].From.Before(r.ICD10CM[j].From) })
	return r, nil
}

// findICD returns the component of the i-th ICD-10-CM release.
func (r *Release) findICD(i int) *Component {
	v := r.ICD10CM[i]
	for j := range r.Components {
		c := &r.Components[j]
		if c.Kind == KindICD10CM && c.Version == itoa(v.Year) {
			return c
		}
	}
	return nil
}

func sortStrings(s []string) { sort.Strings(s) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// NewICD10CM builds fiscal year year of ICD-10-CM from an order file, a
// tabular list, or both. With both, the order file decides the codes, their
// titles and billable flags, and the tabular list adds the notes and
// structure; codes found in one but not the other are reported as warnings.
func NewICD10CM(year int, source string, order []OrderEntry, tab *Tabular) (*ICD10CM, []string, error) {
	if order == nil && tab == nil {
		return nil, nil, errors.New("an ICD-10-CM release needs an order file or a tabular XML file")
	}
	v := &ICD10CM{Year: year, Name: fmt.Sprintf("ICD-10-CM FY%d", year), Source: source,
		excludes: map[string][]Excludes{}, section: map[string]int16{}}
	v.From, v.Through = fiscalYear(year)
	var warnings []string
	var incl map[string][]string
	if tab != nil {
		v.Tabular = true
		incl = make(map[string][]string, len(tab.Codes))
		for _, c := range tab.Codes {
			if len(c.Inclusion) > 0 {
				incl[c.Key] = c.Inclusion
			}
		}
		v.chapters = tab.Chapters
		for i, s := range tab.Sections {
			v.sections = append(v.sections, s.Section)
			for _, c := range s.Categories {
				v.section[c] = int16(i)
			}
		}
		for _, e := range tab.Excludes {
			v.excludes[e.Scope] = append(v.excludes[e.Scope], e)
		}
	}
	if order != nil {
		for _, e := range order {
			v.codes = append(v.codes, Code{Key: e.Key, Code: ICD10CMDotted(e.Key), Title: e.Long, Billable: e.Billable, Inclusion: incl[e.Key]})
		}
		if tab != nil {
			inOrder := make(map[string]bool, len(order))
			for _, e := range order {
				inOrder[e.Key] = e.Billable
			}
			missing, differ := 0, 0
			for _, c := range tab.Codes {
				b, ok := inOrder[c.Key]
				if !ok {
					missing++
				} else if b != c.Billable {
					differ++
				}
			}
			if missing > 0 || differ > 0 {
				warnings = append(warnings, fmt.Sprintf("the tabular list has %d codes the order file lacks and %d whose billable flag differs; the order file wins", missing, differ))
			}
		}
	} else {
		for _, c := range tab.Codes {
			v.codes = append(v.codes, Code{Key: c.Key, Code: ICD10CMDotted(c.Key), Title: c.Title, Billable: c.Billable, Inclusion: c.Inclusion})
		}
		warnings = append(warnings, "no order file: billable flags and seventh-character titles were derived from the tabular list")
	}
	v.build()
	// Drop references that name no code of the release: "(G6PD)" in a note
	// is an enzyme, not a code.
	for scope, notes := range v.excludes {
		for i := range notes {
			rs := notes[i].Ranges[:0]
			for _, r := range notes[i].Ranges {
				if v.hasPrefix(r.Lo) && v.hasPrefix(r.Hi) {
					rs = append(rs, r)
				}
			}
			notes[i].Ranges = rs
		}
		v.excludes[scope] = notes
	}
	return v, warnings, nil
}

// hasPrefix reports whether some code's key starts with p.
func (v *ICD10CM) hasPrefix(p string) bool {
	found := false
	v.Under(p, func(*Code) bool { found = true; return false })
	return found
}
