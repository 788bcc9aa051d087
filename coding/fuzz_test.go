package coding_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/coding"
)

// FuzzEvidenceStream feeds arbitrary input to the JSON-lines reader of
// `ward codes evidence`: one output line per non-blank input line, never a
// panic.
func FuzzEvidenceStream(f *testing.F) {
	f.Add([]byte(`{"note": "Denies chest pain.", "term": "chest pain"}` + "\n" + `{"note": "A/P: HTN.", "term": "I10"}`))
	f.Add([]byte("not json\n\n{\"note\": 1}\r\n"))
	v, err := coding.Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		lines, _, err := v.StreamEvidence(bytes.NewReader(in), &out)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(out.String(), "\n"); got != lines {
			t.Fatalf("%d output lines for %d answered input lines", got, lines)
		}
	})
}

// FuzzCheck runs the whole check on arbitrary codes and notes.
func FuzzCheck(f *testing.F) {
	f.Add("E11.9", "99213", "25", 2, "ASSESSMENT:\nType 2 diabetes mellitus.\n")
	f.Add("S13.4XXA", "G0438", "", 1, "Sprain of the neck, initial encounter.")
	f.Add("Z80.3", "xx", "59", 0, "FAMILY HISTORY: mother with breast cancer")
	v := MustCorpusValidator(f)
	f.Fuzz(func(t *testing.T, dx, px, mod string, units int, note string) {
		s := &ward.Submission{EncounterRef: "Encounter/1", DateOfService: ward.Date{Year: 2024, Month: 2, Day: 1}, PatientAge: units, PatientSex: "F",
			Diagnoses:  []ward.CodedDiagnosis{{Code: dx}, {Code: "I10"}},
			Procedures: []ward.CodedProcedure{{Code: px, Units: units, Modifiers: []string{mod}}, {Code: "99213", Units: 1}}}
		for _, f := range v.Check(s, note, coding.Options{}) {
			if f.Rule == "" || f.Message == "" || f.Source != coding.SourceRules {
				t.Fatalf("bad finding %+v", f)
			}
			if sp := f.Evidence.Span; sp != nil && (sp[0] < 0 || sp[1] > len(note) || sp[0] > sp[1]) {
				t.Fatalf("span %v outside the note", sp)
			}
		}
	})
}
