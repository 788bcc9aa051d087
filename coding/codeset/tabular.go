package codeset

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Tabular is what ward reads from the ICD-10-CM tabular list XML
// (icd10cm_tabular_YYYY.xml): the codes it defines, with the billable codes
// that its seventh-character definitions imply, and the notes and structure
// the checks need.
type Tabular struct {
	Version  int // the <version> element, a fiscal year
	Codes    []TabularCode
	Excludes []Excludes
	Chapters []Chapter
	Sections []TabularSection
}

// TabularCode is a code of the tabular list in tabular order.
type TabularCode struct {
	Key       string
	Title     string
	Billable  bool // a leaf, or a seventh-character expansion of one
	Inclusion []string
}

// TabularSection is a section with the categories under it.
type TabularSection struct {
	Section
	Categories []string // 3-character keys
}

type xExt struct {
	Char string `xml:"char,attr"`
	Text string `xml:",chardata"`
}

type xDiag struct {
	Placeholder string   `xml:"placeholder,attr"`
	Name        string   `xml:"name"`
	Desc        string   `xml:"desc"`
	Inclusion   []string `xml:"inclusionTerm>note"`
	Excludes1   []string `xml:"excludes1>note"`
	Seven       []xExt   `xml:"sevenChrDef>extension"`
	Diags       []xDiag  `xml:"diag"`
}

type xSection struct {
	ID        string   `xml:"id,attr"`
	Desc      string   `xml:"desc"`
	Excludes1 []string `xml:"excludes1>note"`
	Diags     []xDiag  `xml:"diag"`
}

type xChapter struct {
	Name      string     `xml:"name"`
	Desc      string     `xml:"desc"`
	Excludes1 []string   `xml:"excludes1>note"`
	Sections  []xSection `xml:"section"`
}

// ParseTabularXML reads the CDC ICD-10-CM tabular list XML. It streams
// chapter by chapter. Malformed XML, a code that is not an ICD-10-CM code,
// a code that does not extend its parent's, a duplicate code or a missing
// title is an error naming the line.
func ParseTabularXML(r io.Reader, name string) (*Tabular, error) {
	dec := xml.NewDecoder(r)
	t := &Tabular{}
	seen := map[string]bool{}
	root := false
	fail := func(msg string) error {
		line, _ := dec.InputPos()
		return &ParseError{File: name, Line: line, Msg: msg}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &ParseError{File: name, Line: se.Line, Msg: "XML: " + se.Msg}
			}
			return nil, fail(fmt.Sprintf("XML: %v", err))
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			if se.Name.Local != "ICD10CM.tabular" {
				return nil, fail(fmt.Sprintf("root element is <%s>, want <ICD10CM.tabular>", se.Name.Local))
			}
			root = true
			continue
		}
		switch se.Name.Local {
		case "version":
			var s string
			if err := dec.DecodeElement(&s, &se); err != nil {
				return nil, fail(fmt.Sprintf("<version>: %v", err))
			}
			y, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || y < 2000 || y > 2999 {
				return nil, fail(fmt.Sprintf("<version> %q is not a fiscal year", strings.TrimSpace(s)))
			}
			t.Version = y
		case "chapter":
			line, _ := dec.InputPos()
			var ch xChapter
			if err := dec.DecodeElement(&ch, &se); err != nil {
				var se *xml.SyntaxError
				if errors.As(err, &se) {
					return nil, &ParseError{File: name, Line: se.Line, Msg: "XML: " + se.Msg}
				}
				return nil, &ParseError{File: name, Line: line, Msg: fmt.Sprintf("chapter: %v", err)}
			}
			if msg := t.addChapter(&ch, seen); msg != "" {
				return nil, &ParseError{File: name, Line: line, Msg: "chapter starting here: " + msg}
			}
		default:
			if err := dec.Skip(); err != nil {
				return nil, fail(fmt.Sprintf("XML: %v", err))
			}
		}
	}
	if !root {
		return nil, &ParseError{File: name, Msg: "empty: not an ICD-10-CM tabular XML file"}
	}
	if len(t.Codes) == 0 {
		return nil, &ParseError{File: name, Msg: "no codes: not an ICD-10-CM tabular XML file"}
	}
	return t, nil
}

func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

func (t *Tabular) addChapter(ch *xChapter, seen map[string]bool) string {
	num, err := strconv.Atoi(strings.TrimSpace(ch.Name))
	if err != nil || num < 1 || num > 99 {
		return fmt.Sprintf("chapter <name> %q is not a chapter number", strings.TrimSpace(ch.Name))
	}
	t.Chapters = append(t.Chapters, Chapter{Number: num, Title: clean(ch.Desc)})
	scope := "chapter:" + strconv.Itoa(num)
	t.addExcludes(scope, ch.Excludes1)
	for i := range ch.Sections {
		xs := &ch.Sections[i]
		id := strings.TrimSpace(xs.ID)
		if id == "" {
			return "a <section> without an id"
		}
		sec := TabularSection{Section: Section{ID: id, Title: clean(xs.Desc), Chapter: num}}
		t.addExcludes("section:"+id, xs.Excludes1)
		for j := range xs.Diags {
			d := &xs.Diags[j]
			if msg := t.addDiag(d, "", nil, seen); msg != "" {
				return msg
			}
			if k, ok := ICD10CMKey(d.Name); ok && len(k) == 3 {
				sec.Categories = append(sec.Categories, k)
			}
		}
		t.Sections = append(t.Sections, sec)
	}
	return ""
}

func (t *Tabular) addExcludes(scope string, notes []string) {
	for _, n := range notes {
		n = clean(n)
		if n == "" {
			continue
		}
		t.Excludes = append(t.Excludes, Excludes{Scope: scope, Text: n, Ranges: ParseCodeRefs(n)})
	}
}

// addDiag adds d and everything under it. seven is the seventh-character
// definition in effect (d's own or an ancestor's).
func (t *Tabular) addDiag(d *xDiag, parent string, seven []xExt, seen map[string]bool) string {
	name := strings.TrimSpace(d.Name)
	k, ok := ICD10CMKey(name)
	if !ok {
		return fmt.Sprintf("<diag> name %q is not an ICD-10-CM code", name)
	}
	// A child is longer than its parent and in the same category. (It
	// does not always extend the parent's key: FY2021 nests H54.512A under
	// H54.511.)
	if parent != "" && (k[:3] != parent[:3] || len(k) <= len(parent)) {
		return fmt.Sprintf("code %s is nested under %s but is not a longer code of its category", name, ICD10CMDotted(parent))
	}
	if len(d.Seven) > 0 {
		seven = d.Seven
	}
	title := clean(d.Desc)
	if title == "" {
		return fmt.Sprintf("code %s has no <desc>", name)
	}
	placeholder := d.Placeholder == "true"
	leaf := len(d.Diags) == 0
	if !placeholder {
		if seen[k] {
			return fmt.Sprintf("code %s appears twice", name)
		}
		seen[k] = true
		var incl []string
		for _, n := range d.Inclusion {
			if n = clean(n); n != "" {
				incl = append(incl, n)
			}
		}
		t.Codes = append(t.Codes, TabularCode{Key: k, Title: title, Billable: leaf && len(seven) == 0, Inclusion: incl})
		t.addExcludes(k, d.Excludes1)
	}
	if leaf && len(seven) > 0 {
		// A leaf under a seventh-character definition is a header; the
		// billable codes are the leaf padded with X to six characters
		// plus each seventh character.
		base := k
		for len(base) < 6 {
			base += "X"
		}
		if len(base) != 6 {
			return fmt.Sprintf("code %s takes a seventh character but already has %d", name, len(k))
		}
		for _, x := range seven {
			c := strings.TrimSpace(x.Char)
			if len(c) != 1 || !(c[0] >= 'A' && c[0] <= 'Z' || c[0] >= '0' && c[0] <= '9') {
				return fmt.Sprintf("code %s: seventh character %q is not a letter or digit", name, c)
			}
			ck := base + c
			if seen[ck] {
				continue
			}
			seen[ck] = true
			t.Codes = append(t.Codes, TabularCode{Key: ck, Title: title + ", " + clean(x.Text), Billable: true})
		}
	}
	for i := range d.Diags {
		if msg := t.addDiag(&d.Diags[i], k, seven, seen); msg != "" {
			return msg
		}
	}
	return ""
}

// ParseCodeRefs returns the codes an Excludes1 note refers to, from the
// parenthesized references at its end: "(E10.-)", "(O10-O11, O13-O16)",
// "(A04.0-A04.4)", "(O24.4-)". References in prose ("see ...") are not
// read. A range qualified in words ("T36-T50 with fifth or sixth character
// 5") is read as the whole range.
func ParseCodeRefs(note string) []Range {
	var out []Range
	for i := 0; i < len(note); i++ {
		if note[i] != '(' && note[i] != '[' {
			continue
		}
		close := byte(')')
		if note[i] == '[' {
			close = ']'
		}
		j := strings.IndexByte(note[i+1:], close)
		if j < 0 {
			break
		}
		group := note[i+1 : i+1+j]
		i += j + 1
		// "I01.0 -I01.9" and "Q70.0- -Q70.3-": no spaces around a range's dash.
		group = strings.NewReplacer(" -", "-", "- ", "-").Replace(group)
		for _, part := range strings.FieldsFunc(group, func(r rune) bool { return r == ',' || r == ';' }) {
			for _, ref := range strings.Split(part, " and ") {
				if r, ok := parseRef(strings.TrimSpace(ref)); ok {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// parseRef parses "E10.-", "O24.4-", "A18.32", "O10-O11", "A04.0-A04.4",
// "S52.5--S52.6-" and "T36-T50 with ...". Anything else is not a reference.
func parseRef(s string) (Range, bool) {
	// Keep the leading run of code characters: "S92.-with 7th character B"
	// is S92.-, "T36-T50 with ..." is T36-T50.
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			s = s[:i]
			break
		}
	}
	trim := func(s string) string {
		s = strings.TrimSuffix(strings.TrimSuffix(s, ".-"), "-")
		return strings.TrimSuffix(s, ".")
	}
	lo, hi := s, ""
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '-' && s[i+1] >= 'A' && s[i+1] <= 'Z' {
			lo, hi = s[:i], s[i+1:]
			break
		}
	}
	lk, ok := ICD10CMKey(trim(lo))
	if !ok {
		return Range{}, false
	}
	if hi == "" {
		return Range{lk, lk}, true
	}
	hk, ok := ICD10CMKey(trim(hi))
	if !ok || hk < lk[:min(len(lk), len(hk))] {
		return Range{}, false
	}
	return Range{lk, hk}, true
}
