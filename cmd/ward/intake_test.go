package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

func TestIntake(t *testing.T) {
	f := newRoutingFixture(t)
	cursor := filepath.Join(f.dir, "intake.cursor")
	since := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	want := 0
	for _, e := range f.ehr.Encounters() {
		if !e.End.Before(since) {
			want++
		}
	}
	args := []string{"--config", f.config, "--queue", "Outpatient coding", "--cursor-file", cursor}

	// The first run starts at --since and stops after four encounters.
	status, stdout, stderr := f.run(t, "intake", append(args, "--since", "2021-03-01", "--max", "4")...)
	if status != 0 || !strings.Contains(stdout, "4 encounters since 2021-03-01: 4 created, 0 already there, 0 failed") {
		t.Fatalf("first run: status %d\nstdout: %s\nstderr: %s", status, stdout, stderr)
	}
	b, err := os.ReadFile(cursor)
	if err != nil {
		t.Fatal(err)
	}
	saved := strings.TrimSpace(string(b))
	if !strings.HasSuffix(stdout, "cursor "+saved+"\n") || saved <= "2021-03-01" {
		t.Fatalf("cursor file holds %q; stdout %q", saved, stdout)
	}

	// The second continues from the saved cursor: the encounter at the
	// cursor is found to exist, the rest become tasks.
	status, stdout, stderr = f.run(t, "intake", args...)
	if status != 0 || !strings.Contains(stdout, "since "+saved+":") || !strings.Contains(stdout, "1 already there, 0 failed") {
		t.Fatalf("second run: status %d\nstdout: %s\nstderr: %s", status, stdout, stderr)
	}
	f.withServices(t, func(s ward.Services) {
		tasks, n, err := s.Tasks.FindTasks(context.Background(), ward.TaskFilter{Page: ward.Page{Limit: ward.MaxLimit}})
		if err != nil || n != want {
			t.Fatalf("%d tasks (%v), want %d: one per encounter since 2021-03-01", n, err, want)
		}
		restricted := 0
		for _, tk := range tasks {
			if len(tk.SensitivityTags) > 0 {
				restricted++
			}
		}
		if restricted != 6 {
			t.Errorf("%d tagged tasks, want the 6 sensitive demo encounters", restricted)
		}
	})

	// A third finds nothing new.
	status, stdout, _ = f.run(t, "intake", args...)
	if status != 0 || !strings.Contains(stdout, "0 created") {
		t.Fatalf("third run: status %d, stdout %s", status, stdout)
	}

	for _, test := range []struct {
		name string
		args []string
		out  string
	}{
		{"ErrNoCursor", []string{"--config", f.config, "--cursor-file", filepath.Join(f.dir, "none")}, "give --since"},
		{"ErrSince", []string{"--config", f.config, "--since", "yesterday"}, `--since "yesterday"`},
		{"ErrType", []string{"--config", f.config, "--since", "2021", "--type", "nursing"}, `--type "nursing"`},
		{"ErrSeveralQueues", []string{"--config", f.config, "--since", "2021-06", "--cursor-file", filepath.Join(f.dir, "c2")}, "several coding queues"},
		{"ErrNoQueue", []string{"--config", f.config, "--since", "2021-06", "--type", "cdi", "--cursor-file", filepath.Join(f.dir, "c3")}, "no cdi queue"},
		{"ErrUnknownQueue", []string{"--config", f.config, "--since", "2021-06", "--queue", "Nope", "--cursor-file", filepath.Join(f.dir, "c4")}, `"Nope"`},
		{"ErrBadCursorFile", []string{"--config", f.config, "--cursor-file", writeFile(t, f.dir, "bad.cursor", "drop table\n")}, "not a FHIR instant"},
	} {
		t.Run(test.name, func(t *testing.T) {
			status, stdout, stderr := f.run(t, "intake", test.args...)
			if status != 2 || !strings.Contains(stdout+stderr, test.out) {
				t.Fatalf("status %d, want 2; output %q, want %q", status, stdout+stderr, test.out)
			}
		})
	}
}

func TestEHRSource(t *testing.T) {
	f := newRoutingFixture(t)
	cfg := DefaultConfig()
	cfg.EHR.BaseURL = f.ehrURL
	c, err := newEHRClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &ehrSource{c: c}
	ctx := context.Background()
	p := f.ehr.Patients()[0]
	if b, err := s.Read(ctx, "Patient/"+p.ID); err != nil || !strings.Contains(string(b), p.ID) {
		t.Fatalf("read: %v", err)
	}
	if _, err := s.Read(ctx, "Patient/no-such-patient"); ward.ErrorCode(err) != ward.ENOTFOUND {
		t.Fatalf("read of a missing patient: %v, want ENOTFOUND", err)
	}
	if _, err := s.Read(ctx, "Patient/../Observation/1"); ward.ErrorCode(err) != ward.EINVALID {
		t.Fatalf("read with a path trick: %v, want EINVALID", err)
	}
	if b, err := s.Search(ctx, "Encounter?_count=1"); err != nil || !strings.Contains(string(b), `"searchset"`) {
		t.Fatalf("search: %v", err)
	}
	if _, err := s.Search(ctx, f.ehrURL+"/Encounter?_count=1"); err != nil {
		t.Fatalf("search by a link under the base: %v", err)
	}
	for _, u := range []string{"https://elsewhere.example/Encounter", "/Encounter", "//elsewhere.example/x", f.ehrURL + ".evil.example/Encounter"} {
		if _, err := s.Search(ctx, u); err == nil || !strings.Contains(err.Error(), "outside its base") {
			t.Errorf("search %s: %v, want it refused", u, err)
		}
	}
	if _, err := s.Search(ctx, "Encounter?_include=*"); err == nil {
		t.Errorf("a search the EHR refuses gave no error")
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cursor")
	for _, v := range []string{"one\n", "two\n"} {
		if err := writeFileAtomic(p, []byte(v)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != v {
			t.Fatalf("file holds %q, want %q", b, v)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("%d files in the directory, want only the cursor (no temporary left)", len(ents))
	}
}
