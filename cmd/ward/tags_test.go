package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ehrdemo"
)

func TestTagsExplain(t *testing.T) {
	f := newRoutingFixture(t)
	// The demo's opioid-use encounter: labelled R, ETH and 42CFRPart2, and
	// diagnosed F11.20.
	var sud ehrdemo.Encounter
	for _, e := range f.ehr.Encounters() {
		if slices.Contains(e.ConditionCodes, "F11.20") && len(e.Security) > 0 {
			sud = e
		}
	}
	if sud.ID == "" {
		t.Fatal("no demo opioid-use encounter")
	}
	// A task stored straight into the store, untagged, as a task from
	// before the value sets knew the code would be.
	var task *ward.Task
	f.withServices(t, func(s ward.Services) {
		qs, _, _ := s.Queues.FindQueues(context.Background(), ward.QueueFilter{})
		task = &ward.Task{QueueID: qs[0].ID, Type: ward.FunctionCoding, PatientRef: "Patient/" + sud.PatientID, EncounterRef: "Encounter/" + sud.ID, Complexity: 1}
		if err := s.Tasks.CreateTask(context.Background(), task); err != nil {
			t.Fatal(err)
		}
	})

	status, stdout, stderr := f.run(t, "tags", "explain", "--config", f.config, task.ID)
	if status != 1 || !strings.Contains(stderr, "run with --apply") {
		t.Fatalf("explain of an untagged sensitive task: status %d, want 1\nstdout: %s\nstderr: %s", status, stdout, stderr)
	}
	for _, want := range []string{
		"Task " + task.ID + ": coding on Patient/" + sud.PatientID + ", Encounter/" + sud.ID,
		"Encounter/" + sud.ID + " meta.security[1] v3-ActCode|ETH",
		"substance_use icd10cm F10-F19 (value sets 2026.1)",
		"ICD-10-CM F11.20",
		"Computed: mental_health, restricted, substance_use",
		"Stored:   (none)",
		"The task lacks mental_health, restricted, substance_use.",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, stdout)
		}
	}
	// Every tag row names its source and its rule.
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "substance_use ") && !strings.Contains(l, "(value sets ") {
			t.Errorf("row %q has no rule", l)
		}
	}

	status, stdout, stderr = f.run(t, "tags", "explain", "--config", f.config, "--apply", task.ID)
	if status != 0 || !strings.Contains(stdout, "Added mental_health, restricted, substance_use") {
		t.Fatalf("--apply: status %d\nstdout: %s\nstderr: %s", status, stdout, stderr)
	}
	status, stdout, _ = f.run(t, "tags", "explain", "--config", f.config, task.ID)
	if status != 0 || !strings.Contains(stdout, "The stored tags cover the computed ones.") {
		t.Fatalf("after --apply: status %d\nstdout: %s", status, stdout)
	}

	// Each explanation disclosed chart data and is in the ledger.
	db, err := openStore(context.Background(), "sqlite", f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	action := "task.tags_explained"
	if _, n, err := ledgerOf(db).FindLedger(context.Background(), ward.LedgerFilter{Action: &action}); err != nil || n != 3 {
		t.Fatalf("%d %s entries (%v), want 3", n, action, err)
	}
	action = "task.tagged"
	if _, n, _ := ledgerOf(db).FindLedger(context.Background(), ward.LedgerFilter{Action: &action}); n != 1 {
		t.Fatalf("%d task.tagged entries, want 1 from --apply", n)
	}

	for _, test := range []struct {
		name string
		args []string
		out  string
	}{
		{"ErrNoTask", []string{"explain", "--config", f.config}, "want one TASK_ID"},
		{"ErrNoCommand", nil, "a command is required"},
	} {
		t.Run(test.name, func(t *testing.T) {
			status, stdout, stderr := f.run(t, "tags", test.args...)
			if status != 2 || !strings.Contains(stdout+stderr, test.out) {
				t.Fatalf("status %d, want 2; output %q", status, stdout+stderr)
			}
		})
	}
	t.Run("ErrUnknownTask", func(t *testing.T) {
		status, _, stderr := f.run(t, "tags", "explain", "--config", f.config, "task_nope")
		if status != 1 || stderr == "" {
			t.Fatalf("status %d, stderr %q", status, stderr)
		}
	})
}
