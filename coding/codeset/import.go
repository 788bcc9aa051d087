package codeset

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// File kinds that Import recognizes by content.
const (
	FileOrder   = "icd10cm-order"   // ICD-10-CM order file
	FileTabular = "icd10cm-tabular" // ICD-10-CM tabular list XML
	FilePTP     = "ncci-ptp"        // NCCI PTP edit table
	FileMUE     = "ncci-mue"        // NCCI MUE table
)

// ImportOptions tune Import.
type ImportOptions struct {
	// Year is the ICD-10-CM fiscal year; 0 takes it from the tabular XML's
	// <version> or the order file's name (icd10cm_order_2026.txt).
	Year int
	// Setting is the NCCI setting of PTP files; nil takes it from the file
	// name (ccipra: practitioner, ccioph: hospital) and, for MUE files, from
	// the header row.
	Setting *Setting
	// Effective is the first date of service of the NCCI quarter; zero takes
	// it from the file name (PTP "v321r0" = version 32.1 = April 2026; MUE
	// "Eff_04-01-2026") or, for PTP, from the latest effective date in the
	// table.
	Effective ward.Date
	// Progress, when set, is called as each file is read.
	Progress func(file string, done, total int64)
	// Now returns the time recorded as the import time; nil means time.Now.
	Now func() time.Time
}

// ImportResult reports what Import wrote.
type ImportResult struct {
	Components []Component
	Warnings   []string
}

// input is one file to import: a plain file or a member of a zip archive.
type input struct {
	name string // path, or path!member
	size int64
	open func() (io.ReadCloser, error)
	kind string
}

// DetectKind tells which CMS file head (its first bytes) starts: FileOrder,
// FileTabular, FilePTP, FileMUE, or "" when it is none of them.
func DetectKind(head []byte) string {
	if bytes.Contains(head, []byte("<ICD10CM.tabular")) {
		return FileTabular
	}
	for _, line := range strings.Split(string(head), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if _, msg := parseOrderLine(line); msg == "" {
			return FileOrder
		}
		break
	}
	for _, line := range strings.Split(string(head), "\n") {
		for _, sep := range []byte{'\t', ','} {
			f := splitFields(strings.TrimRight(line, "\r"), sep)
			switch {
			case isPTPHeader(f):
				return FilePTP
			case isMUEHeader(f):
				return FileMUE
			}
		}
	}
	return ""
}

func expandInputs(paths []string) ([]input, []io.Closer, error) {
	var out []input
	var closers []io.Closer
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, closers, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, closers, err
		}
		magic := make([]byte, 4)
		n, _ := io.ReadFull(f, magic)
		f.Close()
		if n == 4 && string(magic) == "PK\x03\x04" {
			zr, err := zip.OpenReader(p)
			if err != nil {
				return nil, closers, fmt.Errorf("%s: %w", p, err)
			}
			closers = append(closers, zr)
			for _, zf := range zr.File {
				ext := strings.ToLower(filepath.Ext(zf.Name))
				if zf.FileInfo().IsDir() || (ext != ".txt" && ext != ".csv" && ext != ".xml") {
					continue
				}
				zf := zf
				out = append(out, input{name: p + "!" + zf.Name, size: int64(zf.UncompressedSize64), open: func() (io.ReadCloser, error) { return zf.Open() }})
			}
			continue
		}
		p := p
		out = append(out, input{name: p, size: st.Size(), open: func() (io.ReadCloser, error) { return os.Open(p) }})
	}
	for i := range out {
		rc, err := out[i].open()
		if err != nil {
			return nil, closers, err
		}
		head := make([]byte, sniffSize)
		n, _ := io.ReadFull(rc, head)
		rc.Close()
		out[i].kind = DetectKind(head[:n])
		if out[i].kind == "" {
			return nil, closers, &ParseError{File: out[i].name, Msg: "not a CMS file ward can import (an ICD-10-CM order file or tabular XML, an NCCI PTP or MUE table)"}
		}
	}
	return out, closers, nil
}

// progressReader counts bytes for a progress report and hashes them.
type progressReader struct {
	r        io.Reader
	name     string
	done     int64
	total    int64
	fn       func(string, int64, int64)
	h        hash.Hash
	lastCall int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	p.h.Write(b[:n])
	if p.fn != nil && (p.done-p.lastCall >= 256<<10 || err == io.EOF) {
		p.lastCall = p.done
		p.fn(p.name, p.done, p.total)
	}
	return n, err
}

var (
	yearInName    = regexp.MustCompile(`(20\d\d)`)
	ncciVersion   = regexp.MustCompile(`(?i)v(\d\d)(\d)r\d`)
	mueEffective  = regexp.MustCompile(`(\d\d)-(\d\d)-(20\d\d)`)
	isoInFileName = regexp.MustCompile(`(20\d\d)-(\d\d)-(\d\d)`)
)

// quarterOf returns the first day of the quarter holding d.
func quarterOf(d ward.Date) ward.Date {
	return ward.Date{Year: d.Year, Month: time.Month((int(d.Month)-1)/3*3 + 1), Day: 1}
}

func ncciEffective(name string, opts ImportOptions) (ward.Date, bool) {
	if !opts.Effective.IsZero() {
		return opts.Effective, true
	}
	base := filepath.Base(name)
	if m := ncciVersion.FindStringSubmatch(base); m != nil {
		yy, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		if q <= 3 {
			return ward.Date{Year: 1994 + yy, Month: time.Month(1 + 3*q), Day: 1}, true
		}
	}
	if m := isoInFileName.FindStringSubmatch(base); m != nil {
		if d, err := ward.ParseDate(m[0]); err == nil {
			return d, true
		}
	}
	if m := mueEffective.FindStringSubmatch(base); m != nil {
		if d, err := ward.ParseDate(m[3] + "-" + m[1] + "-" + m[2]); err == nil {
			return d, true
		}
	}
	return ward.Date{}, false
}

func ptpSettingOf(name string, opts ImportOptions) Setting {
	if opts.Setting != nil {
		return *opts.Setting
	}
	l := strings.ToLower(filepath.Base(name))
	if strings.Contains(l, "ccioph") || strings.Contains(l, "hosp") || strings.Contains(l, "outpatient") {
		return Hospital
	}
	return Practitioner
}

// Import reads CMS release files and writes them into the release directory
// dir (created if needed) as one release with what dir already holds:
// each ICD-10-CM fiscal year, and each NCCI table per setting, replaces the
// one of the same year or setting. Pass every part of a quarter's PTP table
// (the f1 to f4 files) in one import. Zip archives as CMS ships them are
// read member by member. Nothing in dir changes unless every file reads
// without error.
func Import(dir string, paths []string, opts ImportOptions) (*ImportResult, error) {
	if len(paths) == 0 {
		return nil, errors.New("no files to import")
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	man, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	inputs, closers, err := expandInputs(paths)
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	if err != nil {
		return nil, err
	}
	res := &ImportResult{}
	type icdParts struct {
		order   []OrderEntry
		tab     *Tabular
		sources []string
	}
	years := map[int]*icdParts{}
	ptp := map[Setting]*PTPBuilder{}
	ptpSources := map[Setting][]string{}
	ptpMaxEff := map[Setting]ward.Date{}
	ptpEff := map[Setting]ward.Date{}
	mue := map[Setting]*MUE{}
	mueSource := map[Setting]string{}
	mueEff := map[Setting]ward.Date{}
	for _, in := range inputs {
		rc, err := in.open()
		if err != nil {
			return nil, err
		}
		pr := &progressReader{r: bufio.NewReaderSize(rc, 1<<20), name: in.name, total: in.size, fn: opts.Progress, h: sha256.New()}
		err = func() error {
			defer rc.Close()
			switch in.kind {
			case FileOrder, FileTabular:
				var order []OrderEntry
				var tab *Tabular
				var err error
				year := opts.Year
				if in.kind == FileOrder {
					if order, err = ParseOrderFile(pr, in.name); err != nil {
						return err
					}
					if year == 0 {
						m := yearInName.FindAllString(filepath.Base(in.name), -1)
						if len(m) == 0 {
							return &ParseError{File: in.name, Msg: "no fiscal year in the file name; give one (--year)"}
						}
						year, _ = strconv.Atoi(m[len(m)-1])
					}
				} else {
					if tab, err = ParseTabularXML(pr, in.name); err != nil {
						return err
					}
					if year == 0 {
						year = tab.Version
					}
				}
				if year == 0 {
					return &ParseError{File: in.name, Msg: "no fiscal year; give one (--year)"}
				}
				p := years[year]
				if p == nil {
					p = &icdParts{}
					years[year] = p
				}
				if order != nil {
					if p.order != nil {
						return &ParseError{File: in.name, Msg: fmt.Sprintf("a second order file for FY%d", year)}
					}
					p.order = order
				}
				if tab != nil {
					if p.tab != nil {
						return &ParseError{File: in.name, Msg: fmt.Sprintf("a second tabular XML for FY%d", year)}
					}
					p.tab = tab
				}
				p.sources = append(p.sources, filepath.Base(in.name)+" sha256:"+hex.EncodeToString(pr.h.Sum(nil))[:16])
			case FilePTP:
				s := ptpSettingOf(in.name, opts)
				b := ptp[s]
				if b == nil {
					b = NewPTPBuilder(s)
					ptp[s] = b
				}
				if err := ParsePTP(pr, in.name, func(e PTPEdit) {
					if ptpMaxEff[s].Before(e.Effective) {
						ptpMaxEff[s] = e.Effective
					}
					b.Add(e)
				}); err != nil {
					return err
				}
				if d, ok := ncciEffective(in.name, opts); ok {
					ptpEff[s] = d
				}
				ptpSources[s] = append(ptpSources[s], filepath.Base(in.name)+" sha256:"+hex.EncodeToString(pr.h.Sum(nil))[:16])
			case FileMUE:
				m, s, named, err := ParseMUE(pr, in.name)
				if err != nil {
					return err
				}
				if opts.Setting != nil {
					s = *opts.Setting
				} else if !named {
					s = Practitioner
					res.Warnings = append(res.Warnings, in.name+": the header names no setting; imported as practitioner")
				}
				m.Setting = s
				if mue[s] != nil {
					return &ParseError{File: in.name, Msg: fmt.Sprintf("a second %s MUE table in one import", s)}
				}
				mue[s] = m
				mueSource[s] = filepath.Base(in.name) + " sha256:" + hex.EncodeToString(pr.h.Sum(nil))[:16]
				if d, ok := ncciEffective(in.name, opts); ok {
					mueEff[s] = d
				}
			}
			return nil
		}()
		if err != nil {
			return nil, err
		}
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	stamp := now().UTC().Truncate(time.Second)
	var added []Component
	var writes []func() error
	for _, year := range sortedIntKeys(years) {
		p := years[year]
		v, warn, err := NewICD10CM(year, strings.Join(p.sources, ", "), p.order, p.tab)
		if err != nil {
			return nil, err
		}
		for _, w := range warn {
			res.Warnings = append(res.Warnings, fmt.Sprintf("FY%d: %s", year, w))
		}
		c := Component{Kind: KindICD10CM, Name: v.Name, Version: strconv.Itoa(year), File: fmt.Sprintf("icd10cm-%d.tsv.gz", year),
			Source: v.Source, From: v.From, Through: v.Through, Imported: stamp, Count: v.Len()}
		if !v.Tabular {
			c.Notes = append(c.Notes, "no tabular XML: Excludes1 notes, inclusion terms and chapters are missing; import icd10cm_tabular_"+strconv.Itoa(year)+".xml too")
			res.Warnings = append(res.Warnings, fmt.Sprintf("FY%d: %s", year, c.Notes[0]))
		}
		if p.order == nil {
			c.Notes = append(c.Notes, "no order file: billable flags derived from the tabular list")
		}
		added = append(added, c)
		writes = append(writes, func() error {
			return writeGz(filepath.Join(dir, c.File), func(w io.Writer) error { return WriteICD10CM(w, v) })
		})
	}
	for s := Setting(0); s < NumSettings; s++ {
		b := ptp[s]
		if b == nil {
			continue
		}
		t := b.Build()
		eff, ok := ptpEff[s]
		c := Component{Kind: KindPTP, Setting: s.String(), File: "ptp-" + s.String() + ".txt.gz", Source: strings.Join(ptpSources[s], ", "),
			Imported: stamp, Count: t.Len()}
		if !ok {
			eff = quarterOf(ptpMaxEff[s])
			c.Notes = append(c.Notes, "quarter taken from the latest effective date in the table")
		}
		c.From = eff
		c.Through = ward.DateOf(quarterOf(eff).In(time.UTC).AddDate(0, 3, -1))
		c.Version = fmt.Sprintf("%d Q%d", eff.Year, (int(eff.Month)-1)/3+1)
		c.Name = fmt.Sprintf("NCCI PTP %s %s", s, c.Version)
		added = append(added, c)
		note := "ward import of NCCI PTP " + s.String() + " edits from " + c.Source + "; modifier indicator 9 rows dropped"
		writes = append(writes, func() error {
			return writeGz(filepath.Join(dir, c.File), func(w io.Writer) error { return WritePTP(w, t, note) })
		})
	}
	for s := Setting(0); s < NumSettings; s++ {
		m := mue[s]
		if m == nil {
			continue
		}
		c := Component{Kind: KindMUE, Setting: s.String(), File: "mue-" + s.String() + ".txt.gz", Source: mueSource[s], Imported: stamp, Count: m.Len()}
		if eff, ok := mueEff[s]; ok {
			c.From = eff
			c.Through = ward.DateOf(quarterOf(eff).In(time.UTC).AddDate(0, 3, -1))
			c.Version = fmt.Sprintf("%d Q%d", eff.Year, (int(eff.Month)-1)/3+1)
		} else {
			c.Notes = append(c.Notes, "quarter unknown: MUE files carry no dates; give --effective")
			res.Warnings = append(res.Warnings, fmt.Sprintf("MUE %s: %s", s, c.Notes[0]))
		}
		c.Name = strings.TrimSpace(fmt.Sprintf("NCCI MUE %s %s", s, c.Version))
		added = append(added, c)
		note := "ward import of NCCI MUE " + s.String() + " edits from " + c.Source
		writes = append(writes, func() error {
			return writeGz(filepath.Join(dir, c.File), func(w io.Writer) error { return WriteMUE(w, m, note) })
		})
	}
	for _, w := range writes {
		if err := w(); err != nil {
			return nil, err
		}
	}
	// Replace same-year and same-setting components, keep the rest.
	var kept []Component
	for _, old := range man.Components {
		replaced := false
		for _, c := range added {
			if c.Kind == old.Kind && c.Setting == old.Setting && (c.Kind != KindICD10CM || c.Version == old.Version) {
				replaced = true
			}
		}
		if !replaced {
			kept = append(kept, old)
		}
	}
	man.Format = 1
	man.Components = append(kept, added...)
	sort.SliceStable(man.Components, func(i, j int) bool {
		a, b := man.Components[i], man.Components[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Setting != b.Setting {
			return a.Setting < b.Setting
		}
		return a.Version < b.Version
	})
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(filepath.Join(dir, ManifestFile), append(b, '\n')); err != nil {
		return nil, err
	}
	res.Components = added
	return res, nil
}

func sortedIntKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// writeGz writes a gzip-compressed file atomically.
func writeGz(name string, fn func(io.Writer) error) error {
	var buf bytes.Buffer
	zw := gzipWriter(&buf)
	if err := fn(zw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return writeAtomic(name, buf.Bytes())
}

func writeAtomic(name string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, name)
}
