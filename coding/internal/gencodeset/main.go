// Command gencodeset builds ward's embedded default code-set release
// (coding/codeset/data) from the public files in ../shared/data:
//
//	go run ./coding/internal/gencodeset -data ../shared/data -out coding/codeset/data
//
// It parses the FY2021 tabular XML with the same parser `ward codes import`
// uses, takes billable flags and long titles from the billable-code list
// derived from the CMS order file, cross-checks both (and the Excludes1
// references against the shared Excludes1 list), and writes the release
// files, release.json and SOURCE.md. The output is deterministic.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wardhq/ward/coding/codeset"
)

func main() {
	data := flag.String("data", "../shared/data", "the shared data directory")
	out := flag.String("out", "coding/codeset/data", "output directory")
	fixtures := flag.String("fixtures", "", "also write the CMS-layout test fixtures into this directory (coding/codeset/testdata)")
	flag.Parse()
	if err := run(*data, *out, *fixtures); err != nil {
		log.Fatal(err)
	}
}

type input struct{ rel, sha string }

func run(data, out, fixtures string) error {
	var inputs []input
	open := func(rel string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(data, rel))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		inputs = append(inputs, input{rel, hex.EncodeToString(sum[:])})
		return b, nil
	}

	xmlb, err := open("icd10cm/icd10cm_tabular_2021.xml")
	if err != nil {
		return err
	}
	tab, err := codeset.ParseTabularXML(bytes.NewReader(xmlb), "icd10cm_tabular_2021.xml")
	if err != nil {
		return err
	}
	billb, err := open("icd10cm/icd10cm_codes_2021_billable.tsv")
	if err != nil {
		return err
	}
	billable := map[string]string{}
	for i, line := range strings.Split(strings.TrimRight(string(billb), "\n"), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return fmt.Errorf("billable tsv line %d: %d fields", i+1, len(f))
		}
		billable[f[0]] = f[1]
	}
	// The order file lists every code in tabular order; rebuild it from the
	// tabular codes with the order file's billable flags and long titles.
	var order []codeset.OrderEntry
	seen := map[string]bool{}
	dropped, titleDiff := 0, 0
	for _, c := range tab.Codes {
		long, ok := billable[c.Key]
		if c.Billable && !ok {
			// A seventh-character expansion the order file does not list:
			// instructional notes restrict some (S06.-X7 and S06.-X8 take
			// only A). The order file wins.
			dropped++
			continue
		}
		if !c.Billable && ok {
			return fmt.Errorf("%s: a header in the tabular list but billable in the order file", c.Key)
		}
		title := c.Title
		if ok {
			if long != c.Title {
				titleDiff++
			}
			title = long
		}
		seen[c.Key] = true
		order = append(order, codeset.OrderEntry{Order: len(order) + 1, Key: c.Key, Billable: ok, Long: title, Short: title})
	}
	for k := range billable {
		if !seen[k] {
			return fmt.Errorf("%s: in the order file but not in the tabular list", k)
		}
	}
	log.Printf("ICD-10-CM FY2021: %d codes, %d billable (all of the order file's); %d tabular seventh-character expansions not in the order file dropped; %d composed titles differ from the order file's",
		len(order), len(billable), dropped, titleDiff)

	// Cross-check Excludes1 references with the shared list.
	exb, err := open("icd10cm/icd10cm_excludes1_2021.tsv")
	if err != nil {
		return err
	}
	theirs := map[string]string{}
	for i, line := range strings.Split(strings.TrimRight(string(exb), "\n"), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, "\t")
		for len(f) < 3 {
			f = append(f, "")
		}
		scope := f[0]
		switch {
		case strings.HasPrefix(scope, "Section "):
			scope = "section:" + strings.TrimPrefix(scope, "Section ")
		case strings.HasPrefix(scope, "Chapter "):
			scope = "chapter:" + strings.TrimPrefix(scope, "Chapter ")
		default:
			k, _ := codeset.ICD10CMKey(scope)
			scope = k
		}
		theirs[scope+"\t"+strings.Join(strings.Fields(f[1]), " ")] = normRefs(f[2])
	}
	same, differ, missing := 0, 0, 0
	var samples []string
	for _, e := range tab.Excludes {
		var refs []string
		for _, r := range e.Ranges {
			refs = append(refs, r.Lo+".."+r.Hi)
		}
		key := e.Scope + "\t" + e.Text
		t, ok := theirs[key]
		switch {
		case !ok:
			missing++
		case t == strings.Join(refs, ";"):
			same++
		default:
			differ++
			if len(samples) < 8 {
				samples = append(samples, fmt.Sprintf("  %s %q: ward %v, list %v", e.Scope, e.Text, refs, t))
			}
		}
	}
	log.Printf("Excludes1: %d notes; references agree with the shared list on %d, differ on %d, %d not in it", len(tab.Excludes), same, differ, missing)
	for _, s := range samples {
		log.Print(s)
	}

	v, warn, err := codeset.NewICD10CM(2021, "CDC/NCHS ICD-10-CM FY2021 tabular list XML and order file (January 2021 files), public domain; via ../shared/data/icd10cm", order, tab)
	if err != nil {
		return err
	}
	for _, w := range warn {
		log.Print("warning: ", w)
	}

	hb, err := open("hcpcs-level2/hcpcs_level2_2020.tsv")
	if err != nil {
		return err
	}
	var codes []codeset.HCPCSCode
	for i, line := range strings.Split(strings.TrimRight(string(hb), "\n"), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			return fmt.Errorf("hcpcs line %d: %d fields", i+1, len(f))
		}
		switch f[2] {
		case "3":
			codes = append(codes, codeset.HCPCSCode{Code: f[0], Short: f[4], Long: f[3]})
		case "4": // continuation of the previous code's long description
			if n := len(codes); n > 0 && codes[n-1].Code == f[0] {
				codes[n-1].Long += " " + f[3]
			}
		}
	}
	h := codeset.NewHCPCS(2020, "HCPCS Level II 2020", "CMS HCPCS Level II 2020 annual file, public domain; via wamuir/hcpcs (CC BY 3.0), ../shared/data/hcpcs-level2", codes)

	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(out, "*.gz"))
	for _, f := range old {
		os.Remove(f)
	}
	sizes := map[string]int{}
	write := func(name string, fn func(io.Writer) error) error {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err := fn(zw); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		sizes[name] = buf.Len()
		return os.WriteFile(filepath.Join(out, name), buf.Bytes(), 0o644)
	}
	if err := write("icd10cm-2021.tsv.gz", func(w io.Writer) error { return codeset.WriteICD10CM(w, v) }); err != nil {
		return err
	}
	if err := write("hcpcs-2020.tsv.gz", func(w io.Writer) error { return codeset.WriteHCPCS(w, h) }); err != nil {
		return err
	}
	nb, nh := v.Counts()
	man := codeset.Manifest{Format: 1, Components: []codeset.Component{
		{Kind: codeset.KindICD10CM, Name: v.Name, Version: "2021", File: "icd10cm-2021.tsv.gz", Source: v.Source, From: v.From, Through: v.Through, Count: v.Len(),
			Notes: []string{fmt.Sprintf("%d billable and %d header codes", nb, nh), "age and sex edits derived (see codeset/edits.go)"}},
		{Kind: codeset.KindHCPCS, Name: h.Name, Version: "2020", File: "hcpcs-2020.tsv.gz", Source: h.Source, From: h.From, Through: h.Through, Count: h.Len()},
	}}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, codeset.ManifestFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	sizes[codeset.ManifestFile] = len(b) + 1

	var md bytes.Buffer
	w := bufio.NewWriter(&md)
	fmt.Fprintf(w, "# Embedded default code sets\n\nGenerated by `go run ./coding/internal/gencodeset -data ../shared/data -out coding/codeset/data`\n")
	fmt.Fprintf(w, "(also `go generate ./coding/codeset`). Do not edit by hand.\n\n")
	fmt.Fprintf(w, "## Inputs (from ../shared/data; see its SOURCES.md)\n\n| file | sha256 |\n|---|---|\n")
	for _, in := range inputs {
		fmt.Fprintf(w, "| `%s` | %s |\n", in.rel, in.sha)
	}
	fmt.Fprintf(w, "\nICD-10-CM is US government work (CDC/NCHS, CMS), public domain: FY2021 tabular list XML and the\n")
	fmt.Fprintf(w, "billable-code list of the January 2021 order file, from StefanoTrv/simple_icd_10_CM 1.2.0 (commit 79ed12a0b803).\n")
	fmt.Fprintf(w, "HCPCS Level II 2020 is CMS public domain, from wamuir/hcpcs (CC BY 3.0, commit 50425cbbef2f).\n")
	fmt.Fprintf(w, "The Excludes1 list was used only to cross-check ward's own reading of the XML.\n\n")
	fmt.Fprintf(w, "## Outputs\n\n| file | bytes (gzip) | content |\n|---|---|---|\n")
	fmt.Fprintf(w, "| `icd10cm-2021.tsv.gz` | %d | %d codes (%d billable, %d headers), long titles, inclusion terms, %d Excludes1 notes, %d chapters |\n",
		sizes["icd10cm-2021.tsv.gz"], v.Len(), nb, nh, len(tab.Excludes), len(tab.Chapters))
	fmt.Fprintf(w, "| `hcpcs-2020.tsv.gz` | %d | %d HCPCS Level II codes with short and long descriptions |\n", sizes["hcpcs-2020.tsv.gz"], h.Len())
	fmt.Fprintf(w, "| `release.json` | %d | the manifest |\n\n", sizes[codeset.ManifestFile])
	total := 0
	for _, n := range sizes {
		total += n
	}
	fmt.Fprintf(w, "Embedded total: %d bytes. Dates of service covered: ICD-10-CM %s to %s, HCPCS %s to %s.\n",
		total, v.From, v.Through, h.From, h.Through)
	fmt.Fprintf(w, "No NCCI PTP or MUE table is embedded: the shared NCCI data is an unofficial sample (test fixtures only).\n")
	fmt.Fprintf(w, "The format of the `.tsv.gz` files is described in `../format.go`.\n")
	w.Flush()
	if err := os.WriteFile(filepath.Join(out, "SOURCE.md"), md.Bytes(), 0o644); err != nil {
		return err
	}
	names := make([]string, 0, len(sizes))
	for n := range sizes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		log.Printf("%s: %d bytes", n, sizes[n])
	}
	log.Printf("total embedded: %d bytes", total)
	if fixtures != "" {
		if err := writeFixtures(data, fixtures, order); err != nil {
			return err
		}
	}
	return nil
}

// orderExcerpt lists the code prefixes of the order-file fixture.
var orderExcerpt = []string{"A00", "E119", "I10", "M17", "N40", "O80", "P0730", "S134", "Z00"}

// writeFixtures writes the CMS-layout fixtures: an ICD-10-CM order file
// excerpt in the fixed-width layout, and the NCCI sample as PTP and MUE
// tables in the CMS layouts.
func writeFixtures(data, dir string, order []codeset.OrderEntry) error {
	var b bytes.Buffer
	for _, e := range order {
		keep := false
		for _, p := range orderExcerpt {
			if strings.HasPrefix(e.Key, p) {
				keep = true
			}
		}
		if !keep {
			continue
		}
		short := e.Long
		if len(short) > 60 {
			short = short[:60]
		}
		flag := 0
		if e.Billable {
			flag = 1
		}
		fmt.Fprintf(&b, "%05d %-7s %d %-60s %s\n", e.Order, e.Key, flag, short, e.Long)
	}
	if err := os.WriteFile(filepath.Join(dir, "icd10cm_order_2021_excerpt.txt"), b.Bytes(), 0o644); err != nil {
		return err
	}

	var ptp []struct {
		Column1, Column2  string
		EffectiveDate     string
		DeletionDate      *string
		ModifierIndicator int
		Rationale         string
	}
	if err := readJSON(filepath.Join(data, "ncci-sample/ptp-edits.json"), &ptp); err != nil {
		return err
	}
	b.Reset()
	b.WriteString("ward test fixture, NOT official CMS data: the NCCI sample of ../shared/data/ncci-sample (easysolutions906/ncci-api, ISC) in the CMS practitioner PTP layout\n")
	b.WriteString("\n")
	b.WriteString("Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale\n")
	for _, e := range ptp {
		del := "*"
		if e.DeletionDate != nil {
			del = strings.ReplaceAll(*e.DeletionDate, "-", "")
		}
		fmt.Fprintf(&b, "%s\t%s\t\t%s\t%s\t%d\t%s\n", e.Column1, e.Column2, strings.ReplaceAll(e.EffectiveDate, "-", ""), del, e.ModifierIndicator, e.Rationale)
	}
	if err := os.WriteFile(filepath.Join(dir, "ncci_ptp_practitioner_sample.txt"), b.Bytes(), 0o644); err != nil {
		return err
	}

	var mue []struct {
		Code                  string
		PractitionerMue       int
		FacilityMue           int
		Rationale             string
		AdjudicationIndicator int
	}
	if err := readJSON(filepath.Join(data, "ncci-sample/mue.json"), &mue); err != nil {
		return err
	}
	mai := map[int]string{1: "1 Line Edit", 2: "2 Date of Service Edit: Policy", 3: "3 Date of Service Edit: Clinical"}
	for _, set := range []struct{ file, label string }{{"ncci_mue_practitioner_sample.csv", "Practitioner"}, {"ncci_mue_hospital_sample.csv", "Outpatient Hospital"}} {
		b.Reset()
		b.WriteString("\"ward test fixture, NOT official CMS data: the NCCI sample of ../shared/data/ncci-sample in the CMS MUE layout\"\n")
		fmt.Fprintf(&b, "\"HCPCS/\nCPT Code\",%s Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n", set.label)
		for _, e := range mue {
			v := e.PractitionerMue
			if set.label != "Practitioner" {
				v = e.FacilityMue
			}
			fmt.Fprintf(&b, "%s,%d,%s,%q\n", e.Code, v, mai[e.AdjudicationIndicator], e.Rationale)
		}
		if err := os.WriteFile(filepath.Join(dir, set.file), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	log.Printf("fixtures written to %s", dir)
	return nil
}

func readJSON(name string, v any) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// normRefs turns the shared list's references ("A05.-;O10..O11") into
// ward's key ranges ("A05..A05;O10..O11").
func normRefs(s string) string {
	if s == "" {
		return ""
	}
	var out []string
	for _, r := range strings.Split(s, ";") {
		lo, hi, ok := strings.Cut(r, "..")
		if !ok {
			hi = lo
		}
		trim := func(x string) string {
			x = strings.TrimSuffix(strings.TrimSuffix(x, ".-"), "-")
			k, _ := codeset.ICD10CMKey(strings.TrimSuffix(x, "."))
			return k
		}
		out = append(out, trim(lo)+".."+trim(hi))
	}
	return strings.Join(out, ";")
}
