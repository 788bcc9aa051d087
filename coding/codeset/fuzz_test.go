package codeset_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/coding/codeset"
)

// Seeds beyond testdata/fuzz: the fixtures themselves, cut to a few KB.
func addFixture(f *testing.F, name string, max int) {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	if len(b) > max {
		b = b[:max]
	}
	f.Add(b)
}

func FuzzOrderFile(f *testing.F) {
	addFixture(f, "icd10cm_order_2021_excerpt.txt", 4096)
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := codeset.ParseOrderFile(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		// What parses writes back in the fixed-width layout and parses
		// to the same entries.
		var buf bytes.Buffer
		for _, e := range es {
			if k, ok := codeset.ICD10CMKey(e.Key); !ok || k != e.Key || e.Long == "" {
				t.Fatalf("bad entry %+v", e)
			}
			flag := 0
			if e.Billable {
				flag = 1
			}
			fmt.Fprintf(&buf, "%05d %-7s %d %-60s %s\n", e.Order, e.Key, flag, e.Short, e.Long)
		}
		es2, err := codeset.ParseOrderFile(&buf, "again")
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if len(es2) != len(es) {
			t.Fatalf("re-parse: %d entries, want %d", len(es2), len(es))
		}
		for i := range es {
			if es[i].Key != es2[i].Key || es[i].Billable != es2[i].Billable || es[i].Long != es2[i].Long {
				t.Fatalf("re-parse: %+v != %+v", es2[i], es[i])
			}
		}
	})
}

func FuzzTabularXML(f *testing.F) {
	addFixture(f, "icd10cm_tabular_2021_excerpt.xml", 1<<20)
	f.Add([]byte(`<ICD10CM.tabular><version>2021</version><chapter><name>1</name><section id="A00-A09"><diag><name>A00</name><desc>Cholera</desc><sevenChrDef><extension char="A">initial</extension></sevenChrDef><diag><name>A00.0</name><desc>x</desc></diag></diag></section></chapter></ICD10CM.tabular>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := codeset.ParseTabularXML(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range tab.Codes {
			if k, ok := codeset.ICD10CMKey(c.Key); !ok || k != c.Key || seen[c.Key] || c.Title == "" {
				t.Fatalf("bad code %+v", c)
			}
			seen[c.Key] = true
		}
		if _, _, err := codeset.NewICD10CM(2021, "fuzz", nil, tab); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzPTP(f *testing.F) {
	addFixture(f, "ncci_ptp_practitioner_sample.txt", 4096)
	f.Add([]byte("Column 1,Column 2,*,Effective Date,Deletion Date,Modifier,Rationale\n11042,97597,*,20110101,20151231,1,\"a, b\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		bl := codeset.NewPTPBuilder(codeset.Practitioner)
		n := 0
		if err := codeset.ParsePTP(bytes.NewReader(b), "fuzz", func(e codeset.PTPEdit) {
			n++
			if e.Modifier != 0 && e.Modifier != 1 && e.Modifier != 9 || !e.Deleted.IsZero() && e.Deleted.Before(e.Effective) {
				t.Fatalf("bad edit %+v", e)
			}
			bl.Add(e)
		}); err != nil {
			return
		}
		p := bl.Build()
		var buf bytes.Buffer
		if err := codeset.WritePTP(&buf, p, "fuzz"); err != nil {
			t.Fatal(err)
		}
		bl2 := codeset.NewPTPBuilder(codeset.Practitioner)
		err := codeset.ParsePTP(&buf, "again", bl2.Add)
		if p.Len() == 0 {
			return // only indicator-9 rows: nothing written back
		}
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if bl2.Build().Len() != p.Len() {
			t.Fatal("re-parse lost edits")
		}
	})
}

func FuzzMUE(f *testing.F) {
	addFixture(f, "ncci_mue_practitioner_sample.csv", 4096)
	f.Add([]byte("x\nHCPCS/CPT Code\tMUE Values\tMUE Adjudication Indicator\tMUE Rationale\n20610\t2\t1 Line Edit\tAnatomic\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _, _, err := codeset.ParseMUE(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := codeset.WriteMUE(&buf, m, "fuzz"); err != nil {
			t.Fatal(err)
		}
		m2, _, _, err := codeset.ParseMUE(&buf, "again")
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, buf.String())
		}
		if m2.Len() != m.Len() {
			t.Fatalf("re-parse: %d edits, want %d", m2.Len(), m.Len())
		}
		m.Each(func(e codeset.MUEEdit) bool {
			if e2, ok := m2.Edit(e.Code); !ok || e2.Value != e.Value || e2.MAI != e.MAI {
				t.Fatalf("re-parse: %+v != %+v", e2, e)
			}
			return true
		})
	})
}

func FuzzCodeFormat(f *testing.F) {
	for _, s := range []string{"E11.9", "e119", "S13.4XXA", "E11-9", "99213", "0001F", "G0438", "J34.", " I10 ", "Z99.999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, ok := codeset.ICD10CMKey(s); ok {
			if len(k) < 3 || len(k) > 7 || strings.ToUpper(k) != k || strings.Contains(k, ".") {
				t.Fatalf("ICD10CMKey(%q)=%q", s, k)
			}
			if k2, ok := codeset.ICD10CMKey(codeset.ICD10CMDotted(k)); !ok || k2 != k {
				t.Fatalf("dotted %q does not round-trip", codeset.ICD10CMDotted(k))
			}
		}
		if c, kind := codeset.ProcedureCode(s); kind != codeset.ProcedureMalformed {
			if len(c) != 5 || strings.ToUpper(c) != c {
				t.Fatalf("ProcedureCode(%q)=%q", s, c)
			}
			if _, k2 := codeset.ProcedureCode(c); k2 != kind {
				t.Fatalf("ProcedureCode(%q) kind changed", c)
			}
		}
	})
}
