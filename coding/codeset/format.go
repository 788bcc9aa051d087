package codeset

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wardhq/ward"
)

// ward's own compact release files. Each is gzip-compressed UTF-8 text, one
// record per line, fields separated by tabs; the first field says what the
// line is. Titles and notes never hold tabs or newlines (they are
// whitespace-normalized on import).
//
// icd10cm-YYYY.tsv.gz:
//
//	ward-icd10cm 1
//	V  year  name  from  through  tabular(0|1)  source
//	P  chapter  title
//	S  section-id  chapter  title  categories(comma-separated keys)
//	C  key  B|H  long title          (B billable, H header)
//	I  key  inclusion term
//	X  scope  note text  ranges(";"-separated "LO" or "LO..HI" keys)
//
// hcpcs-YYYY.tsv.gz:
//
//	ward-hcpcs 1
//	V  year  name  source
//	H  code  short  long
//
// The NCCI tables are kept in the CMS layouts (see ParsePTP, ParseMUE).

const (
	icdMagic   = "ward-icd10cm\t1"
	hcpcsMagic = "ward-hcpcs\t1"
)

func tsvSafe(s string) string {
	if strings.ContainsAny(s, "\t\r\n") {
		return strings.Join(strings.Fields(s), " ")
	}
	return s
}

// WriteICD10CM writes v in ward's release format (uncompressed; the caller
// compresses).
func WriteICD10CM(w io.Writer, v *ICD10CM) error {
	bw := bufio.NewWriter(w)
	tab := 0
	if v.Tabular {
		tab = 1
	}
	fmt.Fprintf(bw, "%s\nV\t%d\t%s\t%s\t%s\t%d\t%s\n", icdMagic, v.Year, tsvSafe(v.Name), v.From, v.Through, tab, tsvSafe(v.Source))
	for _, ch := range v.chapters {
		fmt.Fprintf(bw, "P\t%d\t%s\n", ch.Number, tsvSafe(ch.Title))
	}
	cats := map[int16][]string{}
	for cat, i := range v.section {
		cats[i] = append(cats[i], cat)
	}
	for i, s := range v.sections {
		c := cats[int16(i)]
		sortStrings(c)
		fmt.Fprintf(bw, "S\t%s\t%d\t%s\t%s\n", tsvSafe(s.ID), s.Chapter, tsvSafe(s.Title), strings.Join(c, ","))
	}
	for i := range v.codes {
		c := &v.codes[i]
		flag := "H"
		if c.Billable {
			flag = "B"
		}
		fmt.Fprintf(bw, "C\t%s\t%s\t%s\n", c.Key, flag, tsvSafe(c.Title))
		for _, t := range c.Inclusion {
			fmt.Fprintf(bw, "I\t%s\t%s\n", c.Key, tsvSafe(t))
		}
	}
	for _, scope := range sortedKeys(v.excludes) {
		for _, e := range v.excludes[scope] {
			refs := make([]string, len(e.Ranges))
			for i, r := range e.Ranges {
				refs[i] = r.Lo
				if r.Hi != r.Lo {
					refs[i] += ".." + r.Hi
				}
			}
			fmt.Fprintf(bw, "X\t%s\t%s\t%s\n", scope, tsvSafe(e.Text), strings.Join(refs, ";"))
		}
	}
	return bw.Flush()
}

// ReadICD10CM reads a release written by WriteICD10CM. It reads the whole
// file into one string and keeps titles as substrings of it, which loads
// the hundred thousand codes of a release without a hundred thousand
// allocations.
func ReadICD10CM(r io.Reader, name string) (*ICD10CM, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	data := string(b)
	v := &ICD10CM{excludes: map[string][]Excludes{}, section: map[string]int16{}}
	n := 0
	fail := func(msg string) error { return &ParseError{File: name, Line: n, Msg: msg} }
	var f [8]string
	split := func(line string) []string {
		k := 0
		for k < len(f)-1 {
			i := strings.IndexByte(line, '\t')
			if i < 0 {
				break
			}
			f[k] = line[:i]
			line = line[i+1:]
			k++
		}
		f[k] = line
		return f[:k+1]
	}
	last := -1
	for len(data) > 0 {
		n++
		i := strings.IndexByte(data, '\n')
		var line string
		if i < 0 {
			line, data = data, ""
		} else {
			line, data = data[:i], data[i+1:]
		}
		if n == 1 {
			if line != icdMagic {
				return nil, fail("not a ward ICD-10-CM release file")
			}
			continue
		}
		if line == "" {
			continue
		}
		f := split(line)
		switch f[0] {
		case "C":
			if len(f) != 4 || (f[2] != "B" && f[2] != "H") {
				return nil, fail("C: want key, B|H, title")
			}
			if _, ok := ICD10CMKey(f[1]); !ok {
				return nil, fail("C: bad code")
			}
			last = len(v.codes)
			v.codes = append(v.codes, Code{Key: f[1], Code: ICD10CMDotted(f[1]), Billable: f[2] == "B", Title: f[3]})
		case "I":
			if len(f) != 3 || last < 0 || v.codes[last].Key != f[1] {
				return nil, fail("I: want the key of the code before it and a term")
			}
			v.codes[last].Inclusion = append(v.codes[last].Inclusion, f[2])
		case "X":
			if len(f) != 4 {
				return nil, fail("X: want scope, text, ranges")
			}
			e := Excludes{Scope: f[1], Text: f[2]}
			if f[3] != "" {
				for _, ref := range strings.Split(f[3], ";") {
					lo, hi, ok := strings.Cut(ref, "..")
					if !ok {
						hi = lo
					}
					e.Ranges = append(e.Ranges, Range{lo, hi})
				}
			}
			v.excludes[f[1]] = append(v.excludes[f[1]], e)
		case "V":
			if len(f) != 7 {
				return nil, fail("V: want 7 fields")
			}
			y, err := strconv.Atoi(f[1])
			if err != nil {
				return nil, fail("V: bad year")
			}
			v.Year, v.Name, v.Tabular, v.Source = y, f[2], f[5] == "1", f[6]
			if v.From, err = ward.ParseDate(f[3]); err != nil {
				return nil, fail("V: bad from date")
			}
			if v.Through, err = ward.ParseDate(f[4]); err != nil {
				return nil, fail("V: bad through date")
			}
		case "P":
			if len(f) != 3 {
				return nil, fail("P: want 3 fields")
			}
			num, err := strconv.Atoi(f[1])
			if err != nil {
				return nil, fail("P: bad chapter")
			}
			v.chapters = append(v.chapters, Chapter{Number: num, Title: f[2]})
		case "S":
			if len(f) != 5 {
				return nil, fail("S: want 5 fields")
			}
			ch, err := strconv.Atoi(f[2])
			if err != nil {
				return nil, fail("S: bad chapter")
			}
			v.sections = append(v.sections, Section{ID: f[1], Chapter: ch, Title: f[3]})
			if f[4] != "" {
				for _, c := range strings.Split(f[4], ",") {
					v.section[c] = int16(len(v.sections) - 1)
				}
			}
		default:
			return nil, fail(fmt.Sprintf("unknown record %q", f[0]))
		}
	}
	if v.Year == 0 || len(v.codes) == 0 {
		return nil, &ParseError{File: name, Msg: "no V record or no codes"}
	}
	v.build()
	return v, nil
}

// WriteHCPCS writes h in ward's release format.
func WriteHCPCS(w io.Writer, h *HCPCS) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s\nV\t%d\t%s\t%s\n", hcpcsMagic, h.Year, tsvSafe(h.Name), tsvSafe(h.Source))
	codes := make([]string, 0, len(h.codes))
	for c := range h.codes {
		codes = append(codes, c)
	}
	sortStrings(codes)
	for _, k := range codes {
		c := h.codes[k]
		fmt.Fprintf(bw, "H\t%s\t%s\t%s\n", c.Code, tsvSafe(c.Short), tsvSafe(c.Long))
	}
	return bw.Flush()
}

// ReadHCPCS reads a release written by WriteHCPCS.
func ReadHCPCS(r io.Reader, name string) (*HCPCS, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	var year int
	var hname, source string
	var codes []HCPCSCode
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			if line != hcpcsMagic {
				return nil, &ParseError{File: name, Line: n, Msg: "not a ward HCPCS release file"}
			}
			continue
		}
		f := strings.Split(line, "\t")
		switch {
		case f[0] == "V" && len(f) == 4:
			y, err := strconv.Atoi(f[1])
			if err != nil {
				return nil, &ParseError{File: name, Line: n, Msg: "V: bad year"}
			}
			year, hname, source = y, f[2], f[3]
		case f[0] == "H" && len(f) == 4:
			if _, k := ProcedureCode(f[1]); k != ProcedureHCPCS {
				return nil, &ParseError{File: name, Line: n, Msg: "H: bad code"}
			}
			codes = append(codes, HCPCSCode{Code: f[1], Short: f[2], Long: f[3]})
		default:
			return nil, &ParseError{File: name, Line: n, Msg: "bad record"}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if year == 0 {
		return nil, &ParseError{File: name, Msg: "no V record"}
	}
	return NewHCPCS(year, hname, source, codes), nil
}

// WritePTP writes p in the CMS PTP layout (tab-delimited) so that
// ParsePTP reads it back.
func WritePTP(w io.Writer, p *PTP, note string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s\n\nColumn 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale\n", tsvSafe(note))
	p.Each(func(e PTPEdit) bool {
		prior, del := "", "*"
		if e.Prior1996 {
			prior = "*"
		}
		if !e.Deleted.IsZero() {
			del = yyyymmdd(e.Deleted)
		}
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", e.Column1, e.Column2, prior, yyyymmdd(e.Effective), del, e.Modifier, tsvSafe(e.Rationale))
		return true
	})
	return bw.Flush()
}

// WriteMUE writes m in the CMS MUE layout (tab-delimited) so that ParseMUE
// reads it back.
func WriteMUE(w io.Writer, m *MUE, note string) error {
	bw := bufio.NewWriter(w)
	label := map[Setting]string{Practitioner: "Practitioner", Hospital: "Outpatient Hospital", DME: "DME Supplier"}[m.Setting]
	fmt.Fprintf(bw, "%s\n\nHCPCS/CPT Code\t%s Services MUE Values\tMUE Adjudication Indicator\tMUE Rationale\n", tsvSafe(note), label)
	mai := map[int]string{1: "1 Line Edit", 2: "2 Date of Service Edit: Policy", 3: "3 Date of Service Edit: Clinical"}
	m.Each(func(e MUEEdit) bool {
		fmt.Fprintf(bw, "%s\t%d\t%s\t%s\n", e.Code, e.Value, mai[e.MAI], tsvSafe(e.Rationale))
		return true
	})
	return bw.Flush()
}

func yyyymmdd(d ward.Date) string { return fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day) }

// gzipWriter returns a deterministic gzip writer (no name, no time stamp).
func gzipWriter(w io.Writer) *gzip.Writer {
	zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
	return zw
}
