package evidence_test

import (
	"testing"

	"github.com/wardhq/ward/coding/evidence"
)

// FuzzNote feeds arbitrary notes and terms to the parser: no panic, spans
// inside the note, sections in order.
func FuzzNote(f *testing.F) {
	f.Add("ASSESSMENT AND PLAN:\n1. Type 2 diabetes mellitus. Denies chest pain.\n", "type 2 diabetes")
	f.Add("FAMILY HISTORY:\nMother with breast cancer; no diabetes.\nA/P: Return if fever.", "breast cancer")
	f.Add("s/p appendectomy. r/o pneumonia.\r\nHPI:\twraps\nonto the next line", "appendectomy")
	f.Add("\xff\xfe: ;;; ...\n\n\n:", "x")
	lex := evidence.Default()
	f.Fuzz(func(t *testing.T, note, term string) {
		d := lex.Parse(note)
		defer d.Release()
		tm := evidence.NewTerm(term, term+" "+term)
		m := d.Find(tm)
		if m.Found() && (m.Start < 0 || m.End > len(note) || m.Start > m.End) {
			t.Fatalf("span [%d,%d] outside a note of %d bytes", m.Start, m.End, len(note))
		}
		if m.Found() {
			if s, e := d.SentenceOf(m); s > m.Start || e < m.End {
				t.Fatalf("sentence [%d,%d] does not hold the mention [%d,%d]", s, e, m.Start, m.End)
			}
			d.InSentence(m, tm)
		}
		end := 0
		for _, s := range d.Sections() {
			if s.Start < end || s.End < s.Start || s.End > len(note) {
				t.Fatalf("sections out of order: %+v", d.Sections())
			}
			end = s.Start
		}
		for _, x := range d.Mentions(tm, nil) {
			if x.End > len(note) || x.Start > x.End {
				t.Fatalf("mention %+v", x)
			}
		}
	})
}
