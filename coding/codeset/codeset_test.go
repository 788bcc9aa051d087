package codeset_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/coding/codeset"
)

func date(s string) ward.Date {
	d, err := ward.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func MustDefault(tb testing.TB) *codeset.Release {
	tb.Helper()
	r, err := codeset.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestICD10CMKey(t *testing.T) {
	for _, test := range []struct {
		in, key string
		ok      bool
	}{
		{"E11.9", "E119", true},
		{"e11.9", "E119", true},
		{" E119 ", "E119", true},
		{"S13.4XXA", "S134XXA", true},
		{"U07.1", "U071", true},
		{"I10", "I10", true},
		{"E11-9", "", false},
		{"E1.19", "", false},
		{"11.9", "", false},
		{"E11.", "", false},
		{"E11.99999", "", false},
		{"EE1.9", "", false},
		{"", "", false},
	} {
		key, ok := codeset.ICD10CMKey(test.in)
		if key != test.key || ok != test.ok {
			t.Errorf("ICD10CMKey(%q)=%q,%v, want %q,%v", test.in, key, ok, test.key, test.ok)
		}
	}
}

func TestProcedureCode(t *testing.T) {
	for _, test := range []struct {
		in   string
		kind codeset.ProcedureKind
	}{
		{"99213", codeset.ProcedureCPT},
		{"0001F", codeset.ProcedureCPT},
		{"0042t", codeset.ProcedureCPT},
		{"0202U", codeset.ProcedureCPT},
		{"G0438", codeset.ProcedureHCPCS},
		{"j3420", codeset.ProcedureHCPCS},
		{"9921", codeset.ProcedureMalformed},
		{"99213-25", codeset.ProcedureMalformed},
		{"ABCDE", codeset.ProcedureMalformed},
		{"0001X", codeset.ProcedureMalformed},
	} {
		if _, kind := codeset.ProcedureCode(test.in); kind != test.kind {
			t.Errorf("ProcedureCode(%q) kind=%v, want %v", test.in, kind, test.kind)
		}
	}
}

func TestDefault(t *testing.T) {
	r := MustDefault(t)
	v, covered := r.ICD10CMFor(date("2021-03-01"))
	if !covered || v.Year != 2021 {
		t.Fatalf("ICD10CMFor=%v,%v", v.Name, covered)
	}
	if _, covered := r.ICD10CMFor(date("2024-03-01")); covered {
		t.Fatal("FY2021 covers 2024")
	}
	if b, h := v.Counts(); b != 72621 || h != 22492 {
		t.Fatalf("Counts=%d,%d, want 72621 billable (the order file's), 22492 headers", b, h)
	}
	for _, test := range []struct {
		code     string
		billable bool
		title    string
	}{
		{"E11.9", true, "Type 2 diabetes mellitus without complications"},
		{"E11", false, "Type 2 diabetes mellitus"},
		{"S13.4XXA", true, "Sprain of ligaments of cervical spine, initial encounter"},
		{"S06.1X7A", true, ""},
		{"H54.512A", true, ""},
	} {
		c, ok := v.Lookup(test.code)
		if !ok {
			t.Errorf("%s: not found", test.code)
			continue
		}
		if c.Billable != test.billable || test.title != "" && c.Title != test.title {
			t.Errorf("%s: billable=%v title=%q", test.code, c.Billable, c.Title)
		}
	}
	// The tabular list implies S06.1X7D, but FY2021 allows only A.
	if _, ok := v.Lookup("S06.1X7D"); ok {
		t.Error("S06.1X7D: found; the order file does not list it")
	}
	if r.HCPCS.Len() != 6710 {
		t.Fatalf("HCPCS.Len=%d", r.HCPCS.Len())
	}
	if c, ok := r.HCPCS.Lookup("G0503"); !ok || !strings.Contains(c.Long, "prepared for discharge") {
		t.Fatalf("G0503: %+v, want the continuation line joined", c)
	}
	if r.PTP[codeset.Practitioner] != nil || r.MUE[codeset.Practitioner] != nil {
		t.Fatal("the default release has NCCI tables")
	}
}

func TestEdits(t *testing.T) {
	v := MustDefault(t).ICD10CM[0]
	for _, test := range []struct {
		code string
		sex  codeset.Sex
		age  codeset.AgeEdit
	}{
		{"P07.30", codeset.SexAny, codeset.AgeNewborn},
		{"Z38.00", codeset.SexAny, codeset.AgeNewborn},
		{"Z00.129", codeset.SexAny, codeset.AgePediatric},
		{"O80", codeset.SexFemale, codeset.AgeMaternity},
		{"Z34.00", codeset.SexFemale, codeset.AgeMaternity},
		{"Z00.00", codeset.SexAny, codeset.AgeAdult},
		{"M81.0", codeset.SexAny, codeset.AgeAdult},
		{"N40.0", codeset.SexMale, codeset.AgeAny},
		{"C61", codeset.SexMale, codeset.AgeAny},
		{"C50.911", codeset.SexFemale, codeset.AgeAny},
		{"C50.921", codeset.SexMale, codeset.AgeAny},
		{"N95.1", codeset.SexFemale, codeset.AgeAdult},
		{"Z80.41", codeset.SexAny, codeset.AgeAny}, // family history: not sex-specific
		{"P00.89", codeset.SexAny, codeset.AgeNewborn},
		{"E11.9", codeset.SexAny, codeset.AgeAny},
		{"N39.0", codeset.SexAny, codeset.AgeAny},
	} {
		c, ok := v.Lookup(test.code)
		if !ok {
			t.Errorf("%s: not found", test.code)
			continue
		}
		if c.Sex != test.sex || c.Age != test.age {
			t.Errorf("%s: sex=%v age=%v, want %v %v", test.code, c.Sex, c.Age, test.sex, test.age)
		}
	}
}

func TestExcludes1(t *testing.T) {
	v := MustDefault(t).ICD10CM[0]
	for _, test := range []struct {
		a, b string
		ok   bool
	}{
		{"E11.9", "E10.9", true},   // E11: type 1 diabetes mellitus (E10.-)
		{"E10.65", "E11.9", true},  // and the other way round
		{"J45.909", "R06.2", true}, // J45: wheezing NOS (R06.2)
		{"I10", "O10.02", true},    // I10: (O10-O11, O13-O16)
		{"F32.9", "F33.1", true},   // F32: recurrent depressive disorder (F33.-)
		{"E11.9", "I10", false},
		{"J45.909", "J44.9", false}, // Excludes2 only
	} {
		a, _ := v.Lookup(test.a)
		b, _ := v.Lookup(test.b)
		if e, ok := v.Excludes1(a, b); ok != test.ok {
			t.Errorf("Excludes1(%s, %s)=%v (%v), want %v", test.a, test.b, ok, e, test.ok)
		}
	}
}

func TestParseCodeRefs(t *testing.T) {
	for _, test := range []struct {
		note string
		want string
	}{
		{"type 1 diabetes mellitus (E10.-)", "E10.-"},
		{"hypertensive disease complicating pregnancy (O10-O11, O13-O16)", "O10-O11 O13-O16"},
		{"Escherichia coli infection (A04.0-A04.4)", "A04.0-A04.4"},
		{"gestational diabetes (O24.4-)", "O24.4-"},
		{"rheumatic fever with heart involvement (I01.0 -I01.9)", "I01.0-I01.9"},
		{"adverse effects (A00-R94 and T80-T88.6, T88.8)", "A00-R94 T80-T88.6 T88.8-"},
		{"open fracture (S92.-with 7th character B)", "S92.-"},
		{"certain localized infections - see body system-related chapters", ""},
	} {
		var got []string
		for _, r := range codeset.ParseCodeRefs(test.note) {
			got = append(got, r.String())
		}
		if g := strings.Join(got, " "); g != test.want {
			t.Errorf("ParseCodeRefs(%q)=%q, want %q", test.note, g, test.want)
		}
	}
}

func open(tb testing.TB, name string) *os.File {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

func TestParseOrderFile(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		es, err := codeset.ParseOrderFile(open(t, "icd10cm_order_2021_excerpt.txt"), "order.txt")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := es[0], (codeset.OrderEntry{Order: 1, Key: "A00", Billable: false, Short: "Cholera", Long: "Cholera"}); got != want {
			t.Fatalf("first=%+v, want %+v", got, want)
		}
		def := MustDefault(t).ICD10CM[0]
		for _, e := range es {
			c, ok := def.LookupKey(e.Key)
			if !ok || c.Billable != e.Billable || c.Title != e.Long {
				t.Fatalf("%+v does not match the embedded release (%+v)", e, c)
			}
		}
	})
	for _, test := range []struct {
		name, text string
		line       int
		msg        string
	}{
		{"ErrShort", "00001 A00     0 Cholera                                                      Cholera\nA00 Cholera\n", 2, "at least 17"},
		{"ErrOrderNumber", "0000X A00     0 Cholera\n", 1, "order number"},
		{"ErrFlag", "00001 A00     2 Cholera\n", 1, "column 15"},
		{"ErrCode", "00001 A0.0    1 Cholera\n", 1, "without a dot"},
		{"ErrNotACode", "00001 000     1 Cholera\n", 1, "not an ICD-10-CM code"},
		{"ErrLayout", "00001A00      1 Cholera\n", 1, "blank"},
		{"ErrDuplicate", "00001 A00     0 Cholera\n\n00002 A00     0 Cholera\n", 3, "repeats line 1"},
		{"ErrEmpty", "\n\n", 0, "no codes"},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, err := codeset.ParseOrderFile(strings.NewReader(test.text), "order.txt")
			var pe *codeset.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err=%v, want a *ParseError", err)
			}
			if pe.Line != test.line || !strings.Contains(pe.Msg, test.msg) {
				t.Fatalf("err=%v, want line %d and %q", err, test.line, test.msg)
			}
		})
	}
}

func TestParseTabularXML(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		tab, err := codeset.ParseTabularXML(open(t, "icd10cm_tabular_2021_excerpt.xml"), "tabular.xml")
		if err != nil {
			t.Fatal(err)
		}
		if tab.Version != 2021 || len(tab.Chapters) != 3 || len(tab.Sections) != 3 {
			t.Fatalf("version=%d chapters=%d sections=%d", tab.Version, len(tab.Chapters), len(tab.Sections))
		}
		def := MustDefault(t).ICD10CM[0]
		n := 0
		for _, c := range tab.Codes {
			d, ok := def.LookupKey(c.Key)
			if !ok || d.Billable != c.Billable {
				t.Errorf("%s: billable=%v, embedded %v (found %v)", c.Key, c.Billable, d, ok)
			}
			if c.Billable {
				n++
			}
		}
		if n == 0 {
			t.Fatal("no billable codes")
		}
		// S13.4 takes seventh characters from its category.
		found := false
		for _, c := range tab.Codes {
			if c.Key == "S134XXA" && c.Title == "Sprain of ligaments of cervical spine, initial encounter" {
				found = true
			}
		}
		if !found {
			t.Fatal("S13.4XXA: not expanded from the seventh-character definition")
		}
		var scopes []string
		for _, e := range tab.Excludes {
			if strings.HasPrefix(e.Scope, "chapter:") && len(e.Ranges) > 0 {
				scopes = append(scopes, e.Scope+"="+e.Ranges[0].String())
			}
		}
		if got, want := strings.Join(scopes, ","), "chapter:19=P10-P15,chapter:19=O70-O71"; got != want {
			t.Fatalf("chapter notes=%s, want %s", got, want)
		}
	})
	for _, test := range []struct {
		name, text string
		line       int
		msg        string
	}{
		{"ErrSyntax", "<?xml version=\"1.0\"?>\n<ICD10CM.tabular>\n<version>2021</version>\n<chapter><name>1</name>\n</ICD10CM.tabular>\n", 5, "XML"},
		{"ErrRoot", "<?xml version=\"1.0\"?>\n<html></html>\n", 2, "root element"},
		{"ErrVersion", "<ICD10CM.tabular>\n<version>twenty</version>\n</ICD10CM.tabular>", 2, "fiscal year"},
		{"ErrCode", "<ICD10CM.tabular>\n<chapter><name>1</name><section id=\"A00-A09\">\n<diag><name>A0</name><desc>x</desc></diag></section></chapter></ICD10CM.tabular>", 2, "not an ICD-10-CM code"},
		{"ErrNesting", "<ICD10CM.tabular>\n<chapter><name>1</name><section id=\"A00-A09\">\n<diag><name>A00</name><desc>x</desc><diag><name>B00.1</name><desc>y</desc></diag></diag></section></chapter></ICD10CM.tabular>", 2, "nested under"},
		{"ErrNoCodes", "<ICD10CM.tabular><version>2021</version></ICD10CM.tabular>", 0, "no codes"},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, err := codeset.ParseTabularXML(strings.NewReader(test.text), "tabular.xml")
			var pe *codeset.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err=%v, want a *ParseError", err)
			}
			if pe.Line != test.line || !strings.Contains(pe.Msg, test.msg) {
				t.Fatalf("err=%v, want line %d and %q", err, test.line, test.msg)
			}
		})
	}
}

func TestParsePTP(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		b := codeset.NewPTPBuilder(codeset.Practitioner)
		if err := codeset.ParsePTP(open(t, "ncci_ptp_practitioner_sample.txt"), "ptp.txt", b.Add); err != nil {
			t.Fatal(err)
		}
		p := b.Build()
		if p.Len() != 370 {
			t.Fatalf("Len=%d, want 370", p.Len())
		}
		e, ok := p.Edit("99211", "99212", date("2024-02-01"))
		if !ok || e.Modifier != 0 || e.Rationale == "" {
			t.Fatalf("99211/99212: %+v %v", e, ok)
		}
		if _, ok := p.Edit("99211", "99212", date("2023-12-31")); ok {
			t.Fatal("an edit effective 2024-01-01 applies on 2023-12-31")
		}
		if _, ok := p.Edit("99212", "99211", date("2024-02-01")); ok {
			t.Fatal("edits are not symmetric")
		}
	})
	t.Run("Dates", func(t *testing.T) {
		text := "Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\tModifier\tPTP Edit Rationale\n" +
			"\t\t\t\t\t0=not allowed\t\n" + // a header continuation row
			"11042\t97597\t\t20110101\t20151231\t1\tMisuse of column two code with column one code\n" +
			"11042\t97597\t\t20160101\t*\t0\tMutually exclusive procedures\n" +
			"12001\t12002\t*\t19960101\t*\t9\tStandards of medical / surgical services\n"
		b := codeset.NewPTPBuilder(codeset.Practitioner)
		if err := codeset.ParsePTP(strings.NewReader(text), "ptp.txt", b.Add); err != nil {
			t.Fatal(err)
		}
		p := b.Build()
		for _, test := range []struct {
			dos  string
			ok   bool
			mod  int
			name string
		}{
			{"2010-12-31", false, 0, "before"},
			{"2011-01-01", true, 1, "first day"},
			{"2015-12-31", true, 1, "deletion date is inclusive"},
			{"2016-01-01", true, 0, "the re-added edit"},
		} {
			e, ok := p.Edit("11042", "97597", date(test.dos))
			if ok != test.ok || ok && e.Modifier != test.mod {
				t.Errorf("%s (%s): %+v %v", test.name, test.dos, e, ok)
			}
		}
		if _, ok := p.Edit("12001", "12002", date("2020-01-01")); ok {
			t.Error("modifier indicator 9 applies")
		}
	})
	for _, test := range []struct {
		name, text string
		line       int
		msg        string
	}{
		{"ErrNoHeader", "11042\t97597\t\t20110101\t*\t1\tx\n", 0, "no header"},
		{"ErrCode", "Column 1\tColumn 2\n1104\t97597\t\t20110101\t*\t1\tx\n", 2, "Column 1"},
		{"ErrDate", "Column 1\tColumn 2\n11042\t97597\t\t2011-13-01\t*\t1\tx\n", 2, "effective date"},
		{"ErrDeletion", "Column 1\tColumn 2\n11042\t97597\t\t20110101\t20100101\t1\tx\n", 2, "before the effective"},
		{"ErrModifier", "preamble\nColumn 1\tColumn 2\n\n11042\t97597\t\t20110101\t*\t2\tx\n", 4, "modifier indicator"},
		{"ErrFlag", "Column 1\tColumn 2\n11042\t97597\tX\t20110101\t*\t1\tx\n", 2, "prior-1996"},
		{"ErrFields", "Column 1\tColumn 2\n11042\t97597\n", 2, "fields"},
		{"ErrEmpty", "Column 1\tColumn 2\n", 0, "no edits"},
	} {
		t.Run(test.name, func(t *testing.T) {
			err := codeset.ParsePTP(strings.NewReader(test.text), "ptp.txt", func(codeset.PTPEdit) {})
			var pe *codeset.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err=%v, want a *ParseError", err)
			}
			if pe.Line != test.line || !strings.Contains(pe.Msg, test.msg) {
				t.Fatalf("err=%v, want line %d and %q", err, test.line, test.msg)
			}
		})
	}
}

func TestParseMUE(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, test := range []struct {
			file    string
			setting codeset.Setting
		}{
			{"ncci_mue_practitioner_sample.csv", codeset.Practitioner},
			{"ncci_mue_hospital_sample.csv", codeset.Hospital},
		} {
			m, s, named, err := codeset.ParseMUE(open(t, test.file), test.file)
			if err != nil {
				t.Fatal(err)
			}
			if !named || s != test.setting || m.Len() != 159 {
				t.Fatalf("%s: setting=%v named=%v len=%d", test.file, s, named, m.Len())
			}
			e, ok := m.Edit("99213")
			if !ok || e.Value != 1 || e.MAI != 2 {
				t.Fatalf("99213: %+v", e)
			}
		}
	})
	t.Run("Tab", func(t *testing.T) {
		m, _, named, err := codeset.ParseMUE(strings.NewReader("x\nHCPCS/CPT Code\tMUE Values\tMUE Adjudication Indicator\tMUE Rationale\n20610\t2\t1 Line Edit\tAnatomic Consideration\n"), "mue.txt")
		if err != nil {
			t.Fatal(err)
		}
		if e, _ := m.Edit("20610"); e.MAI != 1 || e.Value != 2 || named {
			t.Fatalf("%+v named=%v", e, named)
		}
	})
	for _, test := range []struct {
		name, text string
		line       int
		msg        string
	}{
		{"ErrValue", "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n99213,one,2 Date of Service Edit: Policy,x\n", 2, "MUE value"},
		{"ErrMAI", "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n99213,1,Policy,x\n", 2, "adjudication indicator"},
		{"ErrCode", "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n\n99,1,2,x\n", 3, "not a CPT or HCPCS"},
		{"ErrDuplicate", "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n99213,1,2,x\n99213,1,2,x\n", 3, "twice"},
		{"ErrNoHeader", "99213,1,2,x\n", 0, "no header"},
		{"ErrBinary", "PK\x03\x04\x00\x00", 0, "binary"},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, _, _, err := codeset.ParseMUE(strings.NewReader(test.text), "mue.csv")
			var pe *codeset.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err=%v, want a *ParseError", err)
			}
			if pe.Line != test.line || !strings.Contains(pe.Msg, test.msg) {
				t.Fatalf("err=%v, want line %d and %q", err, test.line, test.msg)
			}
		})
	}
}

func TestDetectKind(t *testing.T) {
	for _, test := range []struct{ file, kind string }{
		{"icd10cm_order_2021_excerpt.txt", codeset.FileOrder},
		{"icd10cm_tabular_2021_excerpt.xml", codeset.FileTabular},
		{"ncci_ptp_practitioner_sample.txt", codeset.FilePTP},
		{"ncci_mue_practitioner_sample.csv", codeset.FileMUE},
		{"README.md", ""},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", test.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := codeset.DetectKind(b); got != test.kind {
			t.Errorf("DetectKind(%s)=%q, want %q", test.file, got, test.kind)
		}
	}
}

func copyFixture(tb testing.TB, dir, name, as string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(dir, as)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestImport(t *testing.T) {
	in := t.TempDir()
	dir := filepath.Join(t.TempDir(), "codesets")
	// Pretend the excerpts are next year's release: FY2022.
	order := copyFixture(t, in, "icd10cm_order_2021_excerpt.txt", "icd10cm_order_2022.txt")
	tabular := copyFixture(t, in, "icd10cm_tabular_2021_excerpt.xml", "tabular.xml")
	ptp := copyFixture(t, in, "ncci_ptp_practitioner_sample.txt", "ccipra-v300r0-f1.txt")
	mue := copyFixture(t, in, "ncci_mue_hospital_sample.csv", "MCR_MUE_OutpatientHospitalServices_Eff_04-01-2024.csv")
	var calls int
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	res, err := codeset.Import(dir, []string{order, tabular, ptp, mue}, codeset.ImportOptions{
		Year:     2022,
		Progress: func(string, int64, int64) { calls++ },
		Now:      func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Fatal("no progress reported")
	}
	if len(res.Components) != 3 {
		t.Fatalf("components=%+v", res.Components)
	}
	r, err := codeset.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Dir != dir || len(r.ICD10CM) != 2 || r.ICD10CM[1].Year != 2022 || !r.ICD10CM[1].Tabular {
		t.Fatalf("release: dir=%q versions=%d", r.Dir, len(r.ICD10CM))
	}
	v, covered := r.ICD10CMFor(date("2022-03-01"))
	if !covered || v.Year != 2022 {
		t.Fatalf("FY2022 for 2022-03-01: %v %v", v.Name, covered)
	}
	if _, ok := v.Lookup("E11.65"); ok {
		t.Fatal("E11.65 is in the excerpt release")
	}
	if c, ok := v.Lookup("M17.11"); !ok || c.Title != "Unilateral primary osteoarthritis, right knee" {
		t.Fatalf("M17.11: %+v", c)
	}
	// FY2021 still comes from the embedded default.
	if v, covered := r.ICD10CMFor(date("2021-03-01")); !covered || v.Year != 2021 {
		t.Fatalf("FY2021: %v", v.Name)
	}
	p := r.PTP[codeset.Practitioner]
	if p == nil || p.Len() != 370 {
		t.Fatal("PTP not imported")
	}
	comp := r.Find(codeset.KindPTP, "practitioner")
	if comp.From != date("2024-01-01") || comp.Through != date("2024-03-31") {
		t.Fatalf("PTP quarter from v300r0: %s to %s", comp.From, comp.Through)
	}
	if m := r.MUE[codeset.Hospital]; m == nil || m.Len() != 159 {
		t.Fatal("hospital MUE not imported")
	}
	if comp := r.Find(codeset.KindMUE, "hospital"); comp.From != date("2024-04-01") {
		t.Fatalf("MUE quarter: %+v", comp)
	}

	// A later import of the MUE keeps the rest; a malformed file changes nothing.
	bad := filepath.Join(in, "bad_order_2023.txt")
	os.WriteFile(bad, []byte("00001 A00     0 Cholera\n00002 A000    7 Cholera due to Vibrio cholerae\n"), 0o644)
	before, _ := os.ReadFile(filepath.Join(dir, codeset.ManifestFile))
	_, err = codeset.Import(dir, []string{bad}, codeset.ImportOptions{})
	var pe *codeset.ParseError
	if !errors.As(err, &pe) || pe.Line != 2 {
		t.Fatalf("err=%v, want a ParseError at line 2", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, codeset.ManifestFile))
	if !bytes.Equal(before, after) {
		t.Fatal("a failed import changed the manifest")
	}
}

func TestImportZip(t *testing.T) {
	in := t.TempDir()
	zpath := filepath.Join(in, "ccipra-v300r0.zip")
	f, err := os.Create(zpath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	b, _ := os.ReadFile(filepath.Join("testdata", "ncci_ptp_practitioner_sample.txt"))
	w, _ := zw.Create("ccipra-v300r0-f1.txt")
	w.Write(b)
	w, _ = zw.Create("README.pdf") // not a table: skipped
	w.Write([]byte("%PDF"))
	zw.Close()
	f.Close()
	dir := filepath.Join(in, "rel")
	res, err := codeset.Import(dir, []string{zpath}, codeset.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Components) != 1 || res.Components[0].Count != 370 || res.Components[0].From != date("2024-01-01") {
		t.Fatalf("components=%+v", res.Components)
	}
}

func TestOpenMissing(t *testing.T) {
	r, err := codeset.Open(filepath.Join(t.TempDir(), "none"))
	if err != nil || r.Dir != "" {
		t.Fatalf("Open(missing)=%v, %v; want the embedded default", r.Dir, err)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	r := MustDefault(t)
	var buf bytes.Buffer
	if err := codeset.WriteICD10CM(&buf, r.ICD10CM[0]); err != nil {
		t.Fatal(err)
	}
	v, err := codeset.ReadICD10CM(&buf, "x")
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != r.ICD10CM[0].Len() || len(v.Chapters()) != 22 {
		t.Fatalf("round trip: %d codes, %d chapters", v.Len(), len(v.Chapters()))
	}
}
