package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ehrdemo"
)

// routingFixture is a SQLite store with queues, the demo EHR over HTTP and
// a configuration file naming both.
type routingFixture struct {
	dir    string
	config string
	dsn    string
	ehr    *ehrdemo.Server
	ehrURL string
}

func newRoutingFixture(t *testing.T) *routingFixture {
	t.Helper()
	ehr, err := ehrdemo.New(ehrdemo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(ehr)
	t.Cleanup(hs.Close)
	f := &routingFixture{dir: t.TempDir(), ehr: ehr, ehrURL: hs.URL}
	f.dsn = filepath.Join(f.dir, "ward.db")
	f.config = writeFile(t, f.dir, "ward.yaml", fmt.Sprintf(`store:
  driver: sqlite
  dsn: %s
ehr:
  base_url: %s
ledger:
  key_file: %s
  origin: ward-test.localhost/ledger
`, f.dsn, hs.URL, filepath.Join(f.dir, "ledger.key")))
	ctx := context.Background()
	db, err := openStore(ctx, "sqlite", f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []ward.Queue{
		{Name: "Outpatient coding", Function: ward.FunctionCoding},
		{Name: "Sensitive charts", Function: ward.FunctionCoding},
		{Name: "Denials follow-up", Function: ward.FunctionDenials},
	} {
		if err := db.Services().Queues.CreateQueue(ctx, &q); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// run runs a command and returns its exit status and output.
func (f *routingFixture) run(t *testing.T, cmd string, args ...string) (int, string, string) {
	t.Helper()
	m, stdout, stderr := newTestMain()
	var err error
	ctx := context.Background()
	switch cmd {
	case "tasks":
		off := false
		err = (&TasksCommand{Main: m, Progress: &off}).Run(ctx, args)
	case "intake":
		err = (&IntakeCommand{Main: m}).Run(ctx, args)
	case "tags":
		err = (&TagsCommand{Main: m}).Run(ctx, args)
	default:
		t.Fatalf("no command %s", cmd)
	}
	return m.Exit(err), stdout.String(), stderr.String()
}

// withServices opens the fixture's store.
func (f *routingFixture) withServices(t *testing.T, fn func(s ward.Services)) {
	t.Helper()
	db, err := openStore(context.Background(), "sqlite", f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(db.Services())
}

func (f *routingFixture) task(t *testing.T, externalID string) *ward.Task {
	t.Helper()
	var task *ward.Task
	f.withServices(t, func(s ward.Services) {
		found, _, err := s.Tasks.FindTasks(context.Background(), ward.TaskFilter{ExternalID: &externalID})
		if err != nil || len(found) != 1 {
			t.Fatalf("task %s: %v, %v", externalID, found, err)
		}
		task = found[0]
	})
	return task
}

// rowErrors returns the "LINE: field" of each FILE:LINE: field: message
// line of stderr.
func rowErrors(t *testing.T, file, stderr string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		rest, ok := strings.CutPrefix(l, file+":")
		if !ok {
			continue
		}
		parts := strings.SplitN(rest, ": ", 3)
		if len(parts) == 3 {
			out = append(out, parts[0]+": "+parts[1])
		} else {
			out = append(out, parts[0])
		}
	}
	return out
}

func TestTasksImport(t *testing.T) {
	f := newRoutingFixture(t)
	for _, test := range []struct {
		file     string
		errs     []string
		created  []string
		sudTask  string
		sudWants []string
	}{
		{
			file: "testdata/import/mixed.ndjson",
			errs: []string{
				"4: priority", "5: colour", "6", "7: patient_ref", "8: queue_id", "9: encounter_ref",
			},
			created:  []string{"imp-1", "imp-2", "imp-3"},
			sudTask:  "imp-2",
			sudWants: []string{ward.TagMentalHealth, ward.TagRestricted, ward.TagSubstanceUse},
		},
		{
			file:     "testdata/import/mixed.csv",
			errs:     []string{"3: patient", "5: priority", "7", "8: type"},
			created:  []string{"csv-1", "csv-2", "csv-3"},
			sudTask:  "csv-2",
			sudWants: []string{ward.TagMentalHealth, ward.TagRestricted, ward.TagSubstanceUse},
		},
	} {
		t.Run(filepath.Ext(test.file)[1:], func(t *testing.T) {
			status, stdout, stderr := f.run(t, "tasks", "import", "--config", f.config, test.file)
			if status != 1 {
				t.Fatalf("exit status %d, want 1 (some rows failed)\nstdout: %s\nstderr: %s", status, stdout, stderr)
			}
			if got := rowErrors(t, test.file, stderr); !slices.Equal(got, test.errs) {
				t.Fatalf("row errors %q, want %q\nstderr: %s", got, test.errs, stderr)
			}
			rows := len(test.created) + len(test.errs)
			if want := fmt.Sprintf("%s: %d rows: %d created, 0 already there, %d failed", test.file, rows, len(test.created), len(test.errs)); !strings.Contains(stdout, want) {
				t.Fatalf("stdout %q, want %q", stdout, want)
			}
			for _, ext := range test.created {
				f.task(t, ext)
			}
			if got := f.task(t, test.sudTask).SensitivityTags; !slices.Equal(got, test.sudWants) {
				t.Errorf("task on the substance-use encounter has tags %v, want %v", got, test.sudWants)
			}

			// Importing the file again adds nothing and fails the same rows.
			status, stdout, stderr = f.run(t, "tasks", "import", "--config", f.config, test.file)
			if status != 1 || !strings.Contains(stdout, fmt.Sprintf("0 created, %d already there, %d failed", len(test.created), len(test.errs))) {
				t.Fatalf("re-import: status %d, stdout %q, stderr %s", status, stdout, stderr)
			}
		})
	}

	t.Run("OK", func(t *testing.T) {
		file := writeFile(t, t.TempDir(), "good.ndjson", `{"type":"coding","queue":"Outpatient coding","patient":"Patient/3ce34794-f9f4-45a0-824e-19760b2f80c8","external_id":"good-1"}`+"\n")
		status, stdout, stderr := f.run(t, "tasks", "import", "--config", f.config, "--format", "ndjson", file)
		if status != 0 || !strings.Contains(stdout, "1 row: 1 created") {
			t.Fatalf("status %d, stdout %q, stderr %q", status, stdout, stderr)
		}
	})

	t.Run("ErrHeader", func(t *testing.T) {
		file := "testdata/import/badheader.csv"
		status, _, stderr := f.run(t, "tasks", "import", "--config", f.config, file)
		if status != 1 || !strings.Contains(stderr, file+`:1: header: unknown columns "colour", "size"`) {
			t.Fatalf("status %d, stderr %q", status, stderr)
		}
	})

	for _, test := range []struct {
		name string
		args []string
		out  string
	}{
		{"ErrNoFile", []string{"import", "--config", f.config}, "want one FILE"},
		{"ErrMissingFile", []string{"import", "--config", f.config, "nope.csv"}, "no such file"},
		{"ErrFormat", []string{"import", "--config", f.config, "--format", "xlsx", "testdata/import/mixed.csv"}, `--format "xlsx"`},
		{"ErrNoCommand", nil, "a command is required"},
		{"ErrUnknownCommand", []string{"list"}, `unknown command "list"`},
		{"ErrNoEHR", []string{"import", "--dsn", filepath.Join(t.TempDir(), "x.db"), "testdata/import/mixed.csv"}, "ehr.base_url"},
		{"ErrValueSets", []string{"import", "--config", f.config, "--valuesets", writeFile(t, t.TempDir(), "vs.yaml", "version: 1\ntags:\n  hiv:\n    icd10cm: [nonsense]\n"), "testdata/import/mixed.csv"}, "vs.yaml"},
	} {
		t.Run(test.name, func(t *testing.T) {
			status, stdout, stderr := f.run(t, "tasks", test.args...)
			if status != 2 || !strings.Contains(stdout+stderr, test.out) {
				t.Fatalf("status %d, want 2, output %q, want %q", status, stdout+stderr, test.out)
			}
		})
	}
}

func TestTasksImport_ErrLedgerKeyMissing(t *testing.T) {
	f := newRoutingFixture(t)
	file := writeFile(t, t.TempDir(), "good.ndjson", `{"type":"coding","queue":"Outpatient coding","patient":"Patient/3ce34794-f9f4-45a0-824e-19760b2f80c8","external_id":"k-1"}`+"\n")
	if status, _, stderr := f.run(t, "tasks", "import", "--config", f.config, file); status != 0 {
		t.Fatalf("first import: %d %s", status, stderr)
	}
	// Another configuration names a key file that does not exist: the
	// command must not sign the existing ledger with a new key.
	cfg := writeFile(t, f.dir, "other.yaml", fmt.Sprintf("store: {driver: sqlite, dsn: %s}\nehr: {base_url: %s}\nledger: {key_file: %s}\n", f.dsn, f.ehrURL, filepath.Join(f.dir, "elsewhere.key")))
	status, _, stderr := f.run(t, "tasks", "import", "--config", cfg, file)
	if status != 2 || !strings.Contains(stderr, "ledger.key_file") {
		t.Fatalf("status %d, stderr %q; want 2 naming ledger.key_file", status, stderr)
	}
}

func TestRowProgress(t *testing.T) {
	var b strings.Builder
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	p := &rowProgress{w: &b, total: 10, on: true, now: clock, start: now}
	for i := 1; i <= 10; i++ {
		now = now.Add(time.Second)
		p.draw(i, i/5)
	}
	p.clear()
	out := b.String()
	for _, want := range []string{"[" + strings.Repeat("=", 30) + "] 10/10 rows, 2 failed (1.0 rows/s)", "3/10 rows", "\r\x1b[K"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output %q lacks %q", out, want)
		}
	}
	b.Reset()
	off := &rowProgress{w: &b, total: 10, now: clock, start: now}
	off.draw(1, 0)
	off.clear()
	if b.Len() != 0 {
		t.Errorf("a progress bar that is off wrote %q", b.String())
	}
}
