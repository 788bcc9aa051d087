package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/coding"
	"github.com/wardhq/ward/ehrdemo"
)

// runCodes runs "ward codes args..." and returns the exit status and output.
func runCodes(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	m, stdout, stderr := newTestMain()
	m.Getenv = func(k string) string { return env[k] }
	c := &CodesCommand{Main: m, Stdin: strings.NewReader(stdin)}
	status := m.Exit(c.Run(context.Background(), args))
	return status, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const checkNote = `ASSESSMENT AND PLAN:
1. Type 2 diabetes mellitus without complications. Continue metformin.
2. Essential hypertension, well controlled.`

func checkJSON(dx ...string) string {
	in := map[string]any{
		"encounter_ref": "Encounter/1", "date_of_service": "2021-03-02", "patient_age": 58, "patient_sex": "M",
		"procedures": []map[string]any{{"code": "99213", "units": 1}}, "note": checkNote,
	}
	var ds []map[string]any
	for i, d := range dx {
		ds = append(ds, map[string]any{"code": d, "sequence": i + 1})
	}
	in["diagnoses"] = ds
	b, _ := json.Marshal(in)
	return string(b)
}

func TestCodes_Usage(t *testing.T) {
	for _, test := range []struct {
		name   string
		args   []string
		status int
		out    string
	}{
		{"NoCommand", nil, 2, "a command is required"},
		{"Help", []string{"help"}, 0, "ward codes <command>"},
		{"Unknown", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"CheckH", []string{"check", "-h"}, 0, "--json"},
		{"CheckNoFile", []string{"check"}, 2, "want one FILE.json"},
		{"CheckBadSetting", []string{"check", "--setting", "dme", "x.json"}, 2, "--setting"},
		{"InfoBadDate", []string{"info", "--date", "2024-13-01"}, 2, "--date"},
		{"ImportNoFiles", []string{"import"}, 2, "name the files"},
		{"EvidenceExtraArg", []string{"evidence", "x"}, 2, "unexpected argument"},
	} {
		t.Run(test.name, func(t *testing.T) {
			status, stdout, stderr := runCodes(t, nil, "", test.args...)
			if status != test.status || !strings.Contains(stdout+stderr, test.out) {
				t.Fatalf("status=%d, want %d; output %q does not contain %q", status, test.status, stdout+stderr, test.out)
			}
		})
	}
}

func TestCodes_Check(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"WARD_CODESETS": filepath.Join(dir, "none")}
	t.Run("OK", func(t *testing.T) {
		f := writeFile(t, dir, "ok.json", checkJSON("E11.9", "I10"))
		status, stdout, stderr := runCodes(t, env, "", "check", f)
		if status != 0 || !strings.Contains(stdout, "No findings") {
			t.Fatalf("status=%d stdout=%q stderr=%q", status, stdout, stderr)
		}
		if !strings.Contains(stderr, "no NCCI PTP table") {
			t.Fatalf("stderr=%q, want a note that NCCI edits were not checked", stderr)
		}
	})
	t.Run("Findings", func(t *testing.T) {
		f := writeFile(t, dir, "bad.json", checkJSON("E11", "N95.1"))
		status, stdout, stderr := runCodes(t, env, "", "check", f)
		if status != 1 {
			t.Fatalf("status=%d, want 1\n%s%s", status, stdout, stderr)
		}
		for _, want := range []string{"RULE", "validity", "E11 (Type 2 diabetes mellitus) is a header code", "sex", "documentation", "missed_diagnosis", "suggest: I10"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout does not contain %q:\n%s", want, stdout)
			}
		}
		if !strings.Contains(stderr, "ward: 4 findings (3 errors); the submission needs review.") {
			t.Errorf("stderr=%q", stderr)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		f := writeFile(t, dir, "bad.json", checkJSON("E11.9", "N95.1"))
		status, stdout, _ := runCodes(t, env, "", "check", "--json", f)
		var out struct {
			Passed   bool
			Findings []coding.Finding
			Counts   map[string]int
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		if status != 1 || out.Passed || out.Counts["sex"] != 1 || out.Findings[0].Source != coding.SourceRules {
			t.Fatalf("status=%d out=%+v", status, out)
		}
	})
	t.Run("FlagsAfterFile", func(t *testing.T) {
		f := writeFile(t, dir, "ok.json", checkJSON("E11.9", "I10"))
		status, stdout, _ := runCodes(t, env, "", "check", f, "--json")
		if status != 0 || !strings.Contains(stdout, `"passed": true`) {
			t.Fatalf("status=%d stdout=%s", status, stdout)
		}
	})
	t.Run("Stdin", func(t *testing.T) {
		status, stdout, _ := runCodes(t, env, checkJSON("E11.9", "I10"), "check", "-")
		if status != 0 || !strings.Contains(stdout, "No findings") {
			t.Fatalf("status=%d stdout=%s", status, stdout)
		}
	})
	t.Run("NoteFile", func(t *testing.T) {
		in := strings.Replace(checkJSON("E11.9", "I10"), `"note"`, `"id"`, 1)
		f := writeFile(t, dir, "nonote.json", in)
		n := writeFile(t, dir, "note.txt", "Assessment: T2DM. HTN.")
		status, stdout, stderr := runCodes(t, env, "", "check", "--note", n, f)
		if status != 0 {
			t.Fatalf("status=%d stdout=%s stderr=%s", status, stdout, stderr)
		}
	})
	for _, test := range []struct {
		name, input, msg string
	}{
		{"ErrSyntax", "{\n\"encounter_ref\": \"Encounter/1\",\n}", "JSON: line 3"},
		{"ErrNotObject", "[1, 2]", "one JSON object"},
		{"ErrUnknownField", strings.Replace(checkJSON("E11.9"), `"sequence"`, `"seq"`, 1), "diagnoses[0].seq: unknown field"},
		{"ErrType", strings.Replace(checkJSON("E11.9"), `"patient_age":58`, `"patient_age":"58"`, 1), "patient_age: must be a whole number"},
		{"ErrDate", strings.Replace(checkJSON("E11.9"), `2021-03-02`, `03/02/2021`, 1), "date_of_service: must be a date"},
		{"ErrUnits", strings.Replace(checkJSON("E11.9"), `"units":1`, `"units":"one"`, 1), "procedures[0].units: must be a whole number"},
		{"ErrValidate", strings.Replace(checkJSON("E11.9"), `Encounter/1`, `enc-1`, 1), "encounter_ref: encounter_ref must be a FHIR reference"},
		{"ErrNoDiagnoses", checkJSON(), "diagnoses: A submission needs at least one diagnosis."},
		{"ErrSex", strings.Replace(checkJSON("E11.9"), `"patient_sex":"M"`, `"patient_sex":"X"`, 1), "patient_sex"},
	} {
		t.Run(test.name, func(t *testing.T) {
			f := writeFile(t, dir, "in.json", test.input)
			status, stdout, stderr := runCodes(t, env, "", "check", f)
			if status != 2 || !strings.Contains(stderr, test.msg) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("status=%d stderr=%q, want 2 and one line containing %q (stdout %q)", status, stderr, test.msg, stdout)
			}
		})
	}
	t.Run("ErrMissingFile", func(t *testing.T) {
		status, _, stderr := runCodes(t, env, "", "check", filepath.Join(dir, "missing.json"))
		if status != 2 || !strings.Contains(stderr, "no such file") {
			t.Fatalf("status=%d stderr=%q", status, stderr)
		}
	})
}

func TestCodes_Evidence(t *testing.T) {
	env := map[string]string{"WARD_CODESETS": filepath.Join(t.TempDir(), "none")}
	in := `{"note": "Denies chest pain.", "term": "chest pain"}
{"note": "FAMILY HISTORY:\nMother with breast cancer.", "term": "breast cancer"}
{"note": "A/P: HTN, stable.", "term": "I10"}
{"note": "Lungs clear.", "term": "pneumonia"}
`
	status, stdout, stderr := runCodes(t, env, in, "evidence")
	want := `{"status":"negated","span":[7,17]}
{"status":"family","span":[28,41]}
{"status":"affirmed","span":[5,8]}
{"status":"absent"}
`
	if status != 0 || stdout != want {
		t.Fatalf("status=%d stdout:\n%s\nwant:\n%s\nstderr: %s", status, stdout, want, stderr)
	}
	status, stdout, stderr = runCodes(t, env, "{\"note\": 1}\n", "evidence")
	if status != 1 || !strings.Contains(stdout, `"error":"line 1`) || !strings.Contains(stderr, "1 of 1 input lines") {
		t.Fatalf("status=%d stdout=%q stderr=%q", status, stdout, stderr)
	}
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "coding", "codeset", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCodes_ImportInfoCheck(t *testing.T) {
	dir := t.TempDir()
	codesets := filepath.Join(dir, "data", "codesets")
	// The default directory is next to the SQLite database.
	env := map[string]string{"WARD_STORE_DSN": filepath.Join(dir, "data", "ward.db")}

	status, stdout, stderr := runCodes(t, env, "", "info")
	if status != 0 || !strings.Contains(stdout, "embedded default (no release in "+codesets+")") || !strings.Contains(stdout, "ICD-10-CM FY2021") {
		t.Fatalf("info: status=%d\n%s%s", status, stdout, stderr)
	}

	ptp := filepath.Join(dir, "ccipra-v300r0-f1.txt")
	b, _ := os.ReadFile(fixture(t, "ncci_ptp_practitioner_sample.txt"))
	os.WriteFile(ptp, b, 0o644)
	status, stdout, stderr = runCodes(t, env, "", "import", ptp, fixture(t, "ncci_mue_practitioner_sample.csv"), "--effective", "2024-01-01")
	if status != 0 {
		t.Fatalf("import: status=%d\n%s%s", status, stdout, stderr)
	}
	if !strings.Contains(stdout, "imported NCCI PTP practitioner 2024 Q1: 370 edits") || !strings.Contains(stdout, "imported NCCI MUE practitioner 2024 Q1: 159 edits") {
		t.Fatalf("import stdout=%s", stdout)
	}
	if !strings.Contains(stderr, "ward: importing ccipra-v300r0-f1.txt: 100%") {
		t.Fatalf("import stderr (progress lines when not a terminal)=%s", stderr)
	}

	status, stdout, _ = runCodes(t, env, "", "info", "--date", "2024-02-01")
	for _, want := range []string{"release directory " + codesets, "NCCI PTP practitioner 2024 Q1", "2024-01-01 to 2024-03-31",
		"WARNING: HCPCS Level II 2020", "WARNING: no loaded ICD-10-CM release covers the date of service 2024-02-01", "no NCCI PTP table for the hospital setting"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("info --date: %q missing:\n%s", want, stdout)
		}
	}
	if status != 0 {
		t.Fatalf("info status=%d", status)
	}
	status, stdout, _ = runCodes(t, env, "", "info", "--json")
	var info struct {
		Source     string
		Components []struct{ Kind, Name string }
	}
	if err := json.Unmarshal([]byte(stdout), &info); err != nil || status != 0 || len(info.Components) != 4 {
		t.Fatalf("info --json: %v %d %s", err, status, stdout)
	}

	in := strings.Replace(checkJSON("E11.9", "I10"), `"procedures":[{"code":"99213","units":1}]`, `"procedures":[{"code":"99213","units":1},{"code":"99214","units":1}]`, 1)
	in = strings.Replace(in, "2021-03-02", "2024-02-01", 1)
	f := writeFile(t, dir, "ptp.json", in)
	status, stdout, stderr = runCodes(t, env, "", "check", f)
	if status != 1 || !strings.Contains(stdout, "ncci_ptp") || !strings.Contains(stderr, "does not cover the date of service 2024-02-01") {
		t.Fatalf("check with NCCI: status=%d\n%s%s", status, stdout, stderr)
	}

	// A malformed file is rejected with its line number; nothing changes.
	bad := writeFile(t, dir, "ccipra-v301r0-f1.txt", "Column 1\tColumn 2\n99213\t99214\t\t20240101\t*\t2\tx\n")
	status, _, stderr = runCodes(t, env, "", "import", bad)
	if status != 2 || !strings.Contains(stderr, "ccipra-v301r0-f1.txt:2: modifier indicator") {
		t.Fatalf("import bad: status=%d stderr=%q", status, stderr)
	}
	status, stdout, _ = runCodes(t, env, "", "info")
	if status != 0 || !strings.Contains(stdout, "NCCI PTP practitioner 2024 Q1") {
		t.Fatalf("a failed import changed the release:\n%s", stdout)
	}
	status, _, stderr = runCodes(t, env, "", "import", writeFile(t, dir, "notes.txt", "hello\n"))
	if status != 2 || !strings.Contains(stderr, "not a CMS file") {
		t.Fatalf("import unknown: status=%d stderr=%q", status, stderr)
	}
}

// TestCodes_DemoNotes checks that the demo EHR's notes document the codes
// of their encounters: ward's note parser handles the demo's style.
func TestCodes_DemoNotes(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo EHR")
	}
	s, err := ehrdemo.New(ehrdemo.Options{BaseURL: "http://127.0.0.1/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := coding.Default()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range s.Encounters() {
		if len(e.ConditionCodes) == 0 {
			continue
		}
		note, ok := s.Note(e.ID)
		if !ok {
			t.Fatalf("%s: no note", e.ID)
		}
		sub := &ward.Submission{EncounterRef: "Encounter/" + e.ID, DateOfService: ward.Date{Year: 2021, Month: 3, Day: 1}, PatientSex: "U", PatientAge: 40}
		for i, c := range e.ConditionCodes {
			sub.Diagnoses = append(sub.Diagnoses, ward.CodedDiagnosis{Code: c, Sequence: i + 1})
		}
		n++
		for _, f := range v.Check(sub, note, coding.Options{Rules: []coding.Rule{coding.RuleValidity, coding.RuleDocumentation, coding.RuleSpecificity}}) {
			t.Errorf("%s: %s", e.ID, f)
		}
	}
	if n < 100 {
		t.Fatalf("only %d demo encounters with codes", n)
	}
}

func TestCodes_ProgressTerminal(t *testing.T) {
	var b strings.Builder
	p := &progress{w: &b, tty: true}
	p.update("/x/ccipra-v300r0-f1.txt", 50, 100)
	p.update("/x/ccipra-v300r0-f1.txt", 100, 100)
	p.done()
	want := "\rimporting ccipra-v300r0-f1.txt [###############---------------]  50% 0.0 MB" +
		"\rimporting ccipra-v300r0-f1.txt [##############################] 100% 0.0 MB\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}
