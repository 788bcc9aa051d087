package routing_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/routing"
)

func TestParseImport(t *testing.T) {
	due := time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC)
	for _, test := range []struct {
		name   string
		format string
		in     string
		rows   map[int]ward.Task // by line
		errs   []routing.RowError
	}{
		{
			name: "NDJSON/OK",
			in: `{"type":"coding","queue_id":"que_1","patient_ref":"Patient/p1","encounter_ref":"Encounter/e1","priority":3,"due_at":"2026-03-01T12:00:00-05:00","external_id":"x1"}

{"type":"cdi","queue":"Outpatient coding","patient":"Patient/p2","encounter":"Encounter/e2","tags":["hiv"],"complexity":"4"}
`,
			rows: map[int]ward.Task{
				1: {Type: "coding", QueueID: "que_1", PatientRef: "Patient/p1", EncounterRef: "Encounter/e1", Priority: 3, Complexity: 1, DueAt: &due, ExternalID: "x1"},
				3: {Type: "cdi", QueueID: "Outpatient coding", PatientRef: "Patient/p2", EncounterRef: "Encounter/e2", Complexity: 4, SensitivityTags: []string{"hiv"}},
			},
		},
		{
			name: "NDJSON/BadRows",
			in: `{"type":"coding","queue_id":"q","patient_ref":"Patient/p1","external_id":"a"}
{"type":"coding","queue_id":"q","patient_ref":"p1","external_id":"b"}
{"type":"coding","queue_id":"q","patient":"Patient/p1","status":"open","external_id":"c"}
{"type":"coding","queue_id":"q","patient":"Patient/p1","colour":"red","external_id":"d"}
not json
{"type":"coding","queue_id":"q","patient":"Patient/p1","priority":12,"external_id":"e"}
{"type":"coding","queue_id":"q","patient":"Patient/p1"}
{"type":"coding","queue_id":"q","patient":"Patient/p1","due_at":"tomorrow","external_id":"f"}
{"type":"coding","queue_id":"q","patient":"Patient/p1","priority":"high","external_id":"g"}
{"type":"coding","queue_id":"q","patient":"Patient/p1","tags":["hiv","HIV"],"external_id":"h"}
{"type":"coding","queue_id":"q","patient":"Patient/p1","patient_ref":"Patient/p1","external_id":"i"}
{"type":"coding"} {"type":"coding"}
[1,2]
`,
			rows: map[int]ward.Task{1: {Type: "coding", QueueID: "q", PatientRef: "Patient/p1", Complexity: 1, ExternalID: "a"}},
			errs: []routing.RowError{
				{Line: 2, Field: "patient_ref", Message: "patient_ref must be a FHIR reference such as Patient/123."},
				{Line: 3, Field: "status", Message: "set by ward; it cannot be imported"},
				{Line: 4, Field: "colour"},
				{Line: 5},
				{Line: 6, Field: "priority", Message: "priority must be between 0 and 9."},
				{Line: 7, Field: "external_id"},
				{Line: 8, Field: "due_at"},
				{Line: 9, Field: "priority", Message: `"high" is not a whole number`},
				{Line: 10, Field: "tags[1]"},
				{Line: 11, Field: "patient_ref", Message: "also given as patient"},
				{Line: 12, Message: "more than one JSON value on the line"},
				{Line: 13, Message: "not a JSON object"},
			},
		},
		{
			name: "CSV/OK",
			in: "\xef\xbb\xbfType,Queue,Patient,Encounter,Priority,Due_At,External_ID,Tags\r\n" +
				"coding,que_1,Patient/p1,Encounter/e1,3,2026-03-01T17:00:00Z,x1,\r\n" +
				"\r\n" +
				"cdi,\"Sensitive, domestic\",Patient/p2,,0,,\"multi\nline\",mental_health;hiv\r\n" +
				"coding,que_1,Patient/p3,Encounter/e3,,,,\r\n",
			rows: map[int]ward.Task{
				2: {Type: "coding", QueueID: "que_1", PatientRef: "Patient/p1", EncounterRef: "Encounter/e1", Priority: 3, Complexity: 1, DueAt: &due, ExternalID: "x1", SensitivityTags: []string{}},
				6: {Type: "coding", QueueID: "que_1", PatientRef: "Patient/p3", EncounterRef: "Encounter/e3", Complexity: 1, SensitivityTags: []string{}},
			},
			// A quoted newline in an external ID is a single-line violation,
			// reported at the record's first line.
			errs: []routing.RowError{{Line: 4, Field: "external_id", Message: "must be a single line"}},
		},
		{
			name: "CSV/BadRows",
			in: "type,queue_id,patient,external_id\n" +
				"coding,q,Patient/1,a\n" +
				"coding,q,Patient/1\n" +
				"coding,q,Patient 1,c\n" +
				"coding,q,\"Patient/1\"x,d\n" +
				"nursing,q,Patient/1,e\n" +
				"coding,q,Patient/2,f\n",
			rows: map[int]ward.Task{
				2: {Type: "coding", QueueID: "q", PatientRef: "Patient/1", Complexity: 1, ExternalID: "a"},
				7: {Type: "coding", QueueID: "q", PatientRef: "Patient/2", Complexity: 1, ExternalID: "f"},
			},
			errs: []routing.RowError{
				{Line: 3, Message: "3 fields, but the header names 4 columns"},
				{Line: 4, Field: "patient"},
				{Line: 5},
				{Line: 6, Field: "type"},
			},
		},
		{
			name: "CSV/ErrUnknownColumns",
			in:   "type,queue_id,patient,colour,Size\ncoding,q,Patient/1,red,3\n",
			errs: []routing.RowError{{Line: 1, Field: "header"}},
		},
		{
			name: "CSV/ErrMissingColumns",
			in:   "\n\ntype,external_id\ncoding,x\n",
			errs: []routing.RowError{{Line: 3, Field: "header", Message: "missing columns queue_id, patient_ref"}},
		},
		{
			name: "CSV/ErrDuplicateColumn",
			in:   "type,queue_id,patient,patient_ref\n",
			errs: []routing.RowError{{Line: 1, Field: "patient_ref", Message: "column given twice (also as patient)"}},
		},
		{name: "Empty", in: ""},
		{name: "Blank", in: "\n \n"},
		{name: "ForcedFormat", format: "csv", in: `{"type":"coding"}` + "\n",
			errs: []routing.RowError{{Line: 1, Field: "header"}}},
		{name: "ErrFormat", format: "xlsx", in: "x",
			errs: []routing.RowError{{Line: 0, Field: "format", Message: `Unknown import format "xlsx": want ndjson or csv.`}}},
	} {
		t.Run(test.name, func(t *testing.T) {
			rows, errs := routing.ParseImport(strings.NewReader(test.in), test.format)
			got := map[int]ward.Task{}
			for _, r := range rows {
				got[r.Line] = *r.Task
			}
			if test.rows == nil {
				test.rows = map[int]ward.Task{}
			}
			if diff := cmp.Diff(test.rows, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if len(errs) != len(test.errs) {
				t.Fatalf("errors=%+v, want %+v", errs, test.errs)
			}
			for i, want := range test.errs {
				g := errs[i]
				if g.Line != want.Line || g.Field != want.Field || (want.Message != "" && g.Message != want.Message) || g.Message == "" {
					t.Errorf("error %d=%+v, want %+v", i, g, want)
				}
			}
		})
	}
}

func TestParseImport_UnknownColumnsNamed(t *testing.T) {
	_, errs := routing.ParseImport(strings.NewReader("type,queue_id,patient,colour,Size\n"), "")
	if len(errs) != 1 || !strings.Contains(errs[0].Message, `"colour", "Size"`) {
		t.Fatalf("errs=%+v, want the unknown columns named", errs)
	}
}

func TestImportReader_LongLines(t *testing.T) {
	row := `{"type":"coding","queue_id":"q","patient_ref":"Patient/1","external_id":"a"}` + "\n"
	long := `{"type":"coding","external_id":"` + strings.Repeat("x", routing.MaxImportLine) + `"}` + "\n"
	t.Run("NDJSONSkipsTheLine", func(t *testing.T) {
		rows, errs := routing.ParseImport(strings.NewReader(row+long+row), "")
		if len(rows) != 2 || rows[1].Line != 3 || len(errs) != 1 || errs[0].Line != 2 {
			t.Fatalf("rows=%d errs=%+v, want rows on lines 1 and 3 and an error on line 2", len(rows), errs)
		}
	})
	t.Run("CSVStops", func(t *testing.T) {
		in := "type,queue_id,patient,external_id\ncoding,q,Patient/1,a\ncoding,q,Patient/1,\"" + strings.Repeat("x", 2*routing.MaxImportLine)
		ir, err := routing.NewImportReader(strings.NewReader(in), "")
		if err != nil {
			t.Fatal(err)
		}
		if r, err := ir.Next(); err != nil || r.Line != 2 {
			t.Fatalf("first row: %+v, %v", r, err)
		}
		var re *routing.RowError
		if _, err := ir.Next(); !errors.As(err, &re) || re.Line != 3 {
			t.Fatalf("second row: %v, want a row error on line 3", err)
		}
		if _, err := ir.Next(); err != io.EOF {
			t.Fatalf("then %v, want io.EOF", err)
		}
	})
}

// FuzzParseImport: any input gives rows that validate and errors with
// line numbers inside the file, never a panic.
func FuzzParseImport(f *testing.F) {
	f.Add([]byte(`{"type":"coding","queue_id":"q","patient_ref":"Patient/1","external_id":"a","tags":["hiv"]}`+"\n"), "")
	f.Add([]byte("type,queue,patient,encounter,priority,due_at,tags\ncoding,q,Patient/1,Encounter/2,1,2026-01-01T00:00:00Z,hiv;sud\n"), "csv")
	f.Add([]byte("type,queue,patient\n\"coding\nx\",q,Patient/1\n\"unterminated"), "")
	f.Add([]byte("{\"a\":\n"), "ndjson")
	f.Fuzz(func(t *testing.T, b []byte, format string) {
		rows, errs := routing.ParseImport(bytes.NewReader(b), format)
		lines := bytes.Count(b, []byte("\n")) + 1
		for _, r := range rows {
			if err := r.Task.Validate(); err != nil {
				t.Fatalf("row on line %d does not validate: %v", r.Line, err)
			}
			if r.Line < 1 || r.Line > lines {
				t.Fatalf("row line %d outside 1..%d", r.Line, lines)
			}
		}
		for _, e := range errs {
			if e.Line < 0 || e.Line > lines || e.Message == "" {
				t.Fatalf("bad row error %+v (file has %d lines)", e, lines)
			}
		}
	})
}
