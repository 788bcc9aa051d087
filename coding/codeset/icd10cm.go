package codeset

import (
	"sort"
	"strings"

	"github.com/wardhq/ward"
)

// ICD10CM is one release of the ICD-10-CM code set: a fiscal year's codes
// with their titles, billable flags, tabular notes and derived age and sex
// edits. It is immutable once built and safe for concurrent use.
type ICD10CM struct {
	Year    int       // fiscal year, e.g. 2021
	Name    string    // e.g. "ICD-10-CM FY2021"
	Source  string    // where the files came from
	From    ward.Date // first date of service the release is for (October 1 of the year before)
	Through ward.Date // last date of service (September 30)
	// Tabular is true when the tabular XML was loaded: Excludes1 notes,
	// inclusion terms, chapters and sections are then known.
	Tabular bool

	codes    []Code
	byKey    map[string]int32
	sorted   []int32 // code indexes ordered by key, for prefix searches
	excludes map[string][]Excludes
	chapters []Chapter
	sections []Section
	section  map[string]int16 // category (3-character key) → index in sections
}

// Code is one ICD-10-CM code: a billable code or a header (a category or
// subcategory that has more specific codes under it).
type Code struct {
	Key       string   // upper case without the dot: "E119"
	Code      string   // display form: "E11.9"
	Title     string   // long description
	Billable  bool     // valid for HIPAA-covered transactions
	Inclusion []string // inclusion terms from the tabular list
	Sex       Sex      // derived sex edit, see edits.go
	Age       AgeEdit  // derived age edit, see edits.go
}

// Excludes is one Excludes1 note: the codes in Ranges are never coded
// together with a code in Scope.
type Excludes struct {
	Scope  string  // a code key, "section:A15-A19" or "chapter:1"
	Text   string  // the note as written
	Ranges []Range // the codes it refers to; empty when it refers only in prose
}

// Range is an inclusive range of code keys; a key stands for itself and
// every code under it. {Lo: "E10", Hi: "E10"} is E10.-, {"O10","O11"} is
// O10-O11, {"A040","A044"} is A04.0-A04.4.
type Range struct{ Lo, Hi string }

// Contains reports whether the code with key k lies in r.
func (r Range) Contains(k string) bool {
	if len(k) < len(r.Lo) {
		// A broader code than the range's start: in only if the range
		// starts at k itself, which a shorter key cannot equal.
		return false
	}
	if k[:len(r.Lo)] < r.Lo {
		return false
	}
	h := k
	if len(h) > len(r.Hi) {
		h = h[:len(r.Hi)]
	}
	return h <= r.Hi
}

// String returns the range in tabular notation: "E10.-", "O24.4-",
// "O10-O11". A single key always reads as the code and its children.
func (r Range) String() string {
	if r.Lo == r.Hi {
		if len(r.Lo) == 3 {
			return r.Lo + ".-"
		}
		return ICD10CMDotted(r.Lo) + "-"
	}
	return ICD10CMDotted(r.Lo) + "-" + ICD10CMDotted(r.Hi)
}

// Chapter is a chapter of the tabular list.
type Chapter struct {
	Number int
	Title  string
}

// Section is a block of categories within a chapter, such as A15-A19.
type Section struct {
	ID      string // "A15-A19"
	Title   string
	Chapter int
}

// Lookup returns the code (with or without its dot, any case).
func (v *ICD10CM) Lookup(code string) (*Code, bool) {
	k, ok := ICD10CMKey(code)
	if !ok {
		return nil, false
	}
	return v.LookupKey(k)
}

// LookupKey returns the code with key k.
func (v *ICD10CM) LookupKey(k string) (*Code, bool) {
	i, ok := v.byKey[k]
	if !ok {
		return nil, false
	}
	return &v.codes[i], true
}

// Len returns the number of codes, headers included.
func (v *ICD10CM) Len() int { return len(v.codes) }

// Counts returns the numbers of billable and header codes.
func (v *ICD10CM) Counts() (billable, headers int) {
	for i := range v.codes {
		if v.codes[i].Billable {
			billable++
		} else {
			headers++
		}
	}
	return billable, headers
}

// Codes calls fn for each code in release order until fn returns false.
func (v *ICD10CM) Codes(fn func(*Code) bool) {
	for i := range v.codes {
		if !fn(&v.codes[i]) {
			return
		}
	}
}

// Parent returns the nearest existing code above c ("S13.4XXA" → "S13.4"),
// or nil for a category.
func (v *ICD10CM) Parent(c *Code) *Code {
	for k := c.Key[:len(c.Key)-1]; len(k) >= 3; k = k[:len(k)-1] {
		if p, ok := v.LookupKey(k); ok {
			return p
		}
	}
	return nil
}

// Ancestors appends the keys of every code above c, nearest first.
func (v *ICD10CM) Ancestors(c *Code, dst []string) []string {
	for p := v.Parent(c); p != nil; p = v.Parent(p) {
		dst = append(dst, p.Key)
	}
	return dst
}

// Under calls fn for every code whose key starts with prefix (the code
// itself included), in key order, until fn returns false.
func (v *ICD10CM) Under(prefix string, fn func(*Code) bool) {
	i := sort.Search(len(v.sorted), func(i int) bool { return v.codes[v.sorted[i]].Key >= prefix })
	for ; i < len(v.sorted); i++ {
		c := &v.codes[v.sorted[i]]
		if !strings.HasPrefix(c.Key, prefix) || !fn(c) {
			return
		}
	}
}

// SectionOf returns the tabular section and chapter of c, if known.
func (v *ICD10CM) SectionOf(c *Code) (*Section, *Chapter) {
	if len(c.Key) < 3 {
		return nil, nil
	}
	i, ok := v.section[c.Key[:3]]
	if !ok {
		return nil, nil
	}
	s := &v.sections[i]
	for j := range v.chapters {
		if v.chapters[j].Number == s.Chapter {
			return s, &v.chapters[j]
		}
	}
	return s, nil
}

// Chapters returns the chapters of the tabular list.
func (v *ICD10CM) Chapters() []Chapter { return v.chapters }

// ExcludesOf appends the Excludes1 notes that apply to c: its own, its
// ancestors', its section's and its chapter's.
func (v *ICD10CM) ExcludesOf(c *Code, dst []*Excludes) []*Excludes {
	add := func(scope string) {
		for i := range v.excludes[scope] {
			dst = append(dst, &v.excludes[scope][i])
		}
	}
	add(c.Key)
	for p := v.Parent(c); p != nil; p = v.Parent(p) {
		add(p.Key)
	}
	if s, ch := v.SectionOf(c); s != nil {
		add("section:" + s.ID)
		if ch != nil {
			add("chapter:" + itoa(ch.Number))
		}
	}
	return dst
}

// Excludes1 returns the Excludes1 note under which a and b may not be coded
// together, looking at a's notes and then b's.
func (v *ICD10CM) Excludes1(a, b *Code) (*Excludes, bool) {
	var buf [16]*Excludes
	for _, pair := range [2][2]*Code{{a, b}, {b, a}} {
		for _, e := range v.ExcludesOf(pair[0], buf[:0]) {
			for _, r := range e.Ranges {
				if r.Contains(pair[1].Key) {
					return e, true
				}
			}
		}
	}
	return nil, false
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// build indexes v after its codes, notes and sections are set.
func (v *ICD10CM) build() {
	v.byKey = make(map[string]int32, len(v.codes))
	v.sorted = make([]int32, len(v.codes))
	for i := range v.codes {
		v.byKey[v.codes[i].Key] = int32(i)
		v.sorted[i] = int32(i)
	}
	sort.Slice(v.sorted, func(i, j int) bool { return v.codes[v.sorted[i]].Key < v.codes[v.sorted[j]].Key })
	if v.section == nil {
		v.section = map[string]int16{}
	}
	if v.excludes == nil {
		v.excludes = map[string][]Excludes{}
	}
	deriveEdits(v)
}

// fiscalYear returns the dates of service of ICD-10-CM fiscal year y:
// October 1 of y-1 through September 30 of y.
func fiscalYear(y int) (from, through ward.Date) {
	return ward.Date{Year: y - 1, Month: 10, Day: 1}, ward.Date{Year: y, Month: 9, Day: 30}
}

// Covers reports whether date of service d falls within v's dates.
func (v *ICD10CM) Covers(d ward.Date) bool {
	return !d.Before(v.From) && !v.Through.Before(d)
}
